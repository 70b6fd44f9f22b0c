"""BOT_NAME: the mention name of comment commands."""

from __future__ import annotations

import pytest

from config.settings import Settings, SettingsError


@pytest.mark.parametrize(
    ("raw", "name"),
    [("", "reviewbot"), ("assign-o-matic", "assign-o-matic"), ("@rb", "rb"), ("rb[bot]", "rb")],
)
def test_bot_name(raw: str, name: str) -> None:
    assert Settings.from_env({"BOT_NAME": raw}).bot_name == name


@pytest.mark.parametrize("raw", ["two words", "bad/name", "-dash"])
def test_a_bot_name_that_is_no_login_is_refused(raw: str) -> None:
    with pytest.raises(SettingsError, match="BOT_NAME"):
        Settings.from_env({"BOT_NAME": raw})
