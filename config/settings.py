"""Typed settings, read once from a mapping (normally ``os.environ``) at start.

No module reads the environment on its own; everything that needs a setting gets it
from the ``Settings`` object built here. Secrets are wrapped in ``Secret`` so that a
stray ``print(settings)`` or log line never shows them. Each code host's settings are
declared by its card (``bot/hosts/<host>/spec.py``) and held in ``Settings.code_hosts``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.hosts.registry import HOSTS
from bot.hosts.spec import HostSettings


class SettingsError(ValueError):
    """A configuration variable has a value we cannot use."""


class Secret:
    """A string that does not reveal itself in repr/str."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def _secret(env: Mapping[str, str], name: str) -> Secret | None:
    value = env.get(name, "")
    return Secret(value) if value else None


def _int(env: Mapping[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    raw = env.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "")
    if raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    value = _float(env, name, default)
    if not (math.isfinite(value) and value > 0):  # 'nan' and 'inf' parse as floats
        raise SettingsError(f"{name} must be a positive number of seconds, got {value}")
    return value


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` (case-insensitive); unset means the first."""
    value = env.get(name, "").strip().lower() or choices[0]
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _log_level(env: Mapping[str, str]) -> str:
    level = (env.get("LOG_LEVEL", "") or "INFO").strip().upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
    return level


_BOT_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,253}[A-Za-z0-9_])?")


def _bot_name(env: Mapping[str, str]) -> str:
    """BOT_NAME: a login as code hosts spell them (without '@' or '[bot]')."""
    name = env.get("BOT_NAME", "").strip().removeprefix("@").removesuffix("[bot]")
    if not name:
        return "reviewbot"
    if not _BOT_NAME.fullmatch(name):
        raise SettingsError(
            f"BOT_NAME must be a login (letters, digits, '-', '_', '.'), got {name!r}"
        )
    return name


def _optional(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


class Env:
    """The environment, one variable at a time, as a host card's ``read_settings`` reads it
    (so that the cards, which config imports, need not import config)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def text(self, name: str) -> str:
        return self._env.get(name, "")

    def optional(self, name: str) -> str | None:
        return _optional(self._env, name)

    def secret(self, name: str) -> Secret | None:
        return _secret(self._env, name)


# Where an open API (no token set) listens unless HOST says otherwise: this machine only.
LOOPBACK = "127.0.0.1"
ALL_INTERFACES = "0.0.0.0"


def _listen_host(env: Mapping[str, str]) -> str:
    """HOST if set; else all interfaces when a token guards the API, loopback when none does."""
    explicit = env.get("HOST", "").strip()
    if explicit:
        return explicit
    tokens = env.get("ADMIN_TOKEN", "") or env.get("USER_TOKEN", "")
    return ALL_INTERFACES if tokens else LOOPBACK


def _code_hosts(env: Mapping[str, str]) -> dict[str, HostSettings]:
    reader = Env(env)
    return {name: spec.read_settings(reader) for name, spec in HOSTS.items()}


@dataclass(frozen=True)
class Settings:
    host: str = LOOPBACK  # from_env: 0.0.0.0 when a token is set (see _listen_host)
    port: int = 8080
    workers: int = 1
    database_url: str | None = None
    redis_url: str | None = None  # None: embedded; "off": no cache
    data_dir: Path = Path(".reviewbot")
    admin_token: Secret | None = None
    user_token: Secret | None = None
    teams_file: str | None = None
    # Per host of bot.hosts.registry, by name; the defaults are those of an empty environment.
    # Left out of the hash (a dict has none), so Settings stays hashable.
    code_hosts: Mapping[str, HostSettings] = field(
        default_factory=lambda: _code_hosts({}), hash=False
    )
    db_pool_size: int = 10
    redis_timeout: float = 0.25
    selection_seed: int | None = None
    log_level: str = "INFO"
    log_format: str = "json"  # LOG_FORMAT: json lines, or text for a person at a terminal
    # Webhooks and the post-back outbox (issue 3).
    webhook_max_bytes: int = 5 << 20
    # Every request body (issue 10): received within this many seconds, this many at once.
    body_read_timeout: float = 10.0
    bodies_in_flight: int = 16
    outbox_worker: bool = True  # tests that drive the worker by hand turn it off
    outbox_give_up_after: float = 7200.0
    outbox_poll_interval: float = 1.0
    # A claim held by a live but stuck worker is retaken after this (a dead one's at once).
    outbox_lease: float = 60.0
    host_timeout: float = 10.0
    # Verified webhooks kept while PostgreSQL is down (issue 11): None = DATA_DIR/spool.
    spool_dir: Path | None = None
    spool_max_bytes: int = 128 << 20  # 0: no spool, such deliveries are refused with 503
    bot_name: str = "reviewbot"  # BOT_NAME: the mention name of comment commands (issue 13)

    @property
    def webhook_spool_dir(self) -> Path:
        return self.spool_dir if self.spool_dir is not None else self.data_dir / "spool"

    def __post_init__(self) -> None:
        if self.outbox_lease <= self.host_timeout:  # else a slow call could be sent twice
            raise SettingsError(
                f"OUTBOX_LEASE_SECONDS ({self.outbox_lease:g}) must be longer than "
                f"HOST_TIMEOUT ({self.host_timeout:g})"
            )

    @property
    def cache_enabled(self) -> bool:
        return self.redis_url != "off"

    def secrets(self) -> list[Secret]:
        """Every secret held, the code hosts' included: the logs mask them all."""
        holders = [self, *self.code_hosts.values()]
        return [v for h in holders for v in vars(h).values() if isinstance(v, Secret)]

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        seed = env.get("SELECTION_SEED", "")
        return cls(
            host=_listen_host(env),
            port=_int(env, "PORT", 8080, minimum=0),
            workers=_int(env, "WORKERS", 1, minimum=1),
            database_url=_optional(env, "DATABASE_URL"),
            redis_url=_optional(env, "REDIS_URL"),
            data_dir=Path(env.get("DATA_DIR", "") or ".reviewbot"),
            admin_token=_secret(env, "ADMIN_TOKEN"),
            user_token=_secret(env, "USER_TOKEN"),
            teams_file=_optional(env, "TEAMS_FILE"),
            code_hosts=_code_hosts(env),
            db_pool_size=_int(env, "DB_POOL_SIZE", 10, minimum=1),
            redis_timeout=_positive_float(env, "REDIS_TIMEOUT", 0.25),
            selection_seed=_int(env, "SELECTION_SEED", 0) if seed else None,
            log_level=_log_level(env),
            log_format=_choice(env, "LOG_FORMAT", ("json", "text")),
            webhook_max_bytes=_int(env, "WEBHOOK_MAX_BYTES", 5 << 20, minimum=1024),
            body_read_timeout=_positive_float(env, "BODY_READ_TIMEOUT", 10.0),
            bodies_in_flight=_int(env, "MAX_BODIES_IN_FLIGHT", 16, minimum=1),
            outbox_worker=(env.get("OUTBOX_WORKER", "") or "on").lower() not in ("off", "0"),
            outbox_give_up_after=_positive_float(env, "OUTBOX_GIVE_UP_SECONDS", 7200.0),
            outbox_poll_interval=_positive_float(env, "OUTBOX_POLL_SECONDS", 1.0),
            outbox_lease=_positive_float(env, "OUTBOX_LEASE_SECONDS", 60.0),
            host_timeout=_positive_float(env, "HOST_TIMEOUT", 10.0),
            spool_dir=Path(d) if (d := _optional(env, "SPOOL_DIR")) else None,
            spool_max_bytes=_int(env, "SPOOL_MAX_BYTES", 128 << 20, minimum=0),
            bot_name=_bot_name(env),
        )
