"""Webhook settings come from the environment once, typed."""

from __future__ import annotations

import pytest

from config.settings import Settings, SettingsError


def test_webhook_settings_from_env() -> None:
    settings = Settings.from_env(
        {
            "WEBHOOK_MAX_BYTES": "65536",
            "OUTBOX_GIVE_UP_SECONDS": "60",
            "OUTBOX_POLL_SECONDS": "0.5",
            "HOST_TIMEOUT": "3",
            "OUTBOX_WORKER": "off",
            "GITEA_URL": "https://gitea.example.com/",
        }
    )
    assert settings.webhook_max_bytes == 65536
    assert settings.outbox_give_up_after == 60.0
    assert settings.outbox_poll_interval == 0.5
    assert settings.host_timeout == 3.0
    assert settings.outbox_worker is False
    assert settings.code_hosts["gitea"].url == "https://gitea.example.com"  # type: ignore[attr-defined]


def test_webhook_defaults() -> None:
    settings = Settings.from_env({})
    assert (settings.webhook_max_bytes, settings.outbox_worker) == (5 << 20, True)
    assert all(host.webhook_secret is None for host in settings.code_hosts.values())


def test_a_tiny_body_limit_is_refused() -> None:
    with pytest.raises(SettingsError, match="WEBHOOK_MAX_BYTES"):
        Settings.from_env({"WEBHOOK_MAX_BYTES": "10"})


@pytest.mark.parametrize("name", ["OUTBOX_POLL_SECONDS", "OUTBOX_GIVE_UP_SECONDS", "HOST_TIMEOUT"])
def test_times_must_be_positive(name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: "0"})
