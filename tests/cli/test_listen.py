"""Where serve listens, and what it says about it (issue 12.9)."""

from __future__ import annotations

import logging

from bot.cli import listen_notice, uvicorn_options
from config.settings import Settings


def test_an_open_api_listens_on_loopback_and_says_so() -> None:
    settings = Settings.from_env({})
    assert uvicorn_options(settings)["host"] == "127.0.0.1"
    level, line = listen_notice(settings)
    assert level == logging.INFO
    assert line.startswith("listening on 127.0.0.1:8080 only")
    assert "HOST=0.0.0.0" in line


def test_all_interfaces_without_tokens_must_be_asked_for_and_is_a_warning() -> None:
    settings = Settings.from_env({"HOST": "0.0.0.0"})
    assert uvicorn_options(settings)["host"] == "0.0.0.0"
    level, line = listen_notice(settings)
    assert level == logging.WARNING and "set the tokens" in line


def test_with_a_token_all_interfaces_is_the_default() -> None:
    settings = Settings.from_env({"ADMIN_TOKEN": "a-long-admin-token"})
    assert listen_notice(settings) == (logging.INFO, "listening on 0.0.0.0:8080")
