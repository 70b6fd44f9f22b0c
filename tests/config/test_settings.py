from __future__ import annotations

from pathlib import Path

import pytest

from config.settings import Settings, SettingsError


def test_defaults_follow_the_contract() -> None:
    s = Settings.from_env({})
    assert (s.host, s.port) == ("127.0.0.1", 8080)  # no token: this machine only
    assert s.database_url is None and s.redis_url is None
    assert s.data_dir == Path(".reviewbot")
    assert s.code_hosts["github"].api_url == "https://api.github.com"  # type: ignore[attr-defined]
    assert s.code_hosts["gitlab"].url == "https://gitlab.com"  # type: ignore[attr-defined]
    assert s.code_hosts["gitea"].url is None  # type: ignore[attr-defined]
    assert s.cache_enabled
    assert Settings() == s  # the defaults are those of an empty environment


def test_an_open_api_listens_on_loopback_unless_host_says_otherwise() -> None:
    assert Settings.from_env({}).host == "127.0.0.1"
    assert Settings.from_env({"HOST": "0.0.0.0"}).host == "0.0.0.0"
    assert Settings.from_env({"ADMIN_TOKEN": "a-token"}).host == "0.0.0.0"
    assert Settings.from_env({"USER_TOKEN": "u-token"}).host == "0.0.0.0"
    assert Settings.from_env({"ADMIN_TOKEN": "a-token", "HOST": "127.0.0.1"}).host == "127.0.0.1"


def test_redis_off_disables_the_cache() -> None:
    assert not Settings.from_env({"REDIS_URL": "off"}).cache_enabled


def test_secrets_never_show_in_repr() -> None:
    s = Settings.from_env({"ADMIN_TOKEN": "hunter2", "GITHUB_WEBHOOK_SECRET": "s3cret"})
    assert "hunter2" not in repr(s) and "s3cret" not in repr(s)
    assert s.admin_token is not None and s.admin_token.reveal() == "hunter2"
    secret = s.code_hosts["github"].webhook_secret
    assert secret is not None and secret.reveal() == "s3cret"


def test_bad_numbers_are_reported_by_name() -> None:
    with pytest.raises(SettingsError, match="PORT"):
        Settings.from_env({"PORT": "eighty"})
    with pytest.raises(SettingsError, match="WORKERS"):
        Settings.from_env({"WORKERS": "0"})


def test_urls_lose_trailing_slashes() -> None:
    s = Settings.from_env(
        {
            "GITHUB_API_URL": "https://ghe.example/api/v3/",
            "GITLAB_URL": "https://gl.example/",
            "GITEA_URL": " https://g/ ",
        }
    )
    assert s.code_hosts["github"].api_url == "https://ghe.example/api/v3"  # type: ignore[attr-defined]
    assert s.code_hosts["gitlab"].url == "https://gl.example"  # type: ignore[attr-defined]
    assert s.code_hosts["gitea"].url == "https://g"  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
def test_redis_timeout_must_be_positive(value: str) -> None:
    # A zero or negative socket timeout makes every Redis call fail: a silent cache outage.
    with pytest.raises(SettingsError, match="REDIS_TIMEOUT"):
        Settings.from_env({"REDIS_TIMEOUT": value})


def test_the_outbox_lease_is_configurable_and_outlasts_a_host_call() -> None:
    assert Settings.from_env({}).outbox_lease == 60.0
    assert Settings.from_env({"OUTBOX_LEASE_SECONDS": "15"}).outbox_lease == 15.0
    with pytest.raises(SettingsError, match=r"OUTBOX_LEASE_SECONDS.*HOST_TIMEOUT"):
        Settings.from_env({"OUTBOX_LEASE_SECONDS": "10", "HOST_TIMEOUT": "10"})
    with pytest.raises(SettingsError, match="OUTBOX_LEASE_SECONDS"):
        Settings.from_env({"OUTBOX_LEASE_SECONDS": "0"})


def test_an_unknown_log_level_is_a_settings_error_not_a_traceback() -> None:
    with pytest.raises(SettingsError, match="LOG_LEVEL must be one of"):
        Settings.from_env({"LOG_LEVEL": "bogus"})
    assert Settings.from_env({"LOG_LEVEL": " warning "}).log_level == "WARNING"
