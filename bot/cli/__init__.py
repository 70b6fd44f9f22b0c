"""reviewbot picks code reviewers for pull requests.

Commands: serve, migrate, teams, doctor, webhook. `reviewbot COMMAND --help` lists each
command's options and the environment variables it reads (README: Configuration).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from bot.cli.doctor import run_doctor
from bot.cli.rules import add_rules_parser, run_rules
from bot.cli.simulate import add_simulate_parser, run_simulate
from bot.cli.teams import add_teams_parser, run_teams
from bot.cli.webhook import add_webhook_parser, run_webhook
from bot.cli.where import log_database
from bot.hosts.registry import HOSTS
from config.settings import Settings, SettingsError

log = logging.getLogger("reviewbot.cli")


class _Terminated(SystemExit):
    pass


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated(0)


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How reviewbot runs uvicorn; perf/ serves its ceiling app with exactly these."""
    return {
        "host": settings.host,
        "port": settings.port,
        "workers": settings.workers,
        "log_level": settings.log_level.lower(),
        "access_log": False,
        "log_config": None,  # bot.observability.logs already sends every record out as JSON
        # The C implementations (uvicorn[standard] brings both); httptools' protocol with a
        # deadline on request headers (bot/cli/http_protocol.py).
        "loop": "uvloop",
        "http": "bot.cli.http_protocol:HeaderDeadlineProtocol",
    }


def listen_notice(settings: Settings) -> tuple[int, str]:
    """The log level and line that say where the service listens and who can reach it."""
    where = f"listening on {settings.host}:{settings.port}"
    open_api = settings.admin_token is None and settings.user_token is None
    if not open_api:
        return logging.INFO, where
    if settings.host in ("127.0.0.1", "::1", "localhost"):
        return logging.INFO, (
            f"{where} only: no ADMIN_TOKEN/USER_TOKEN is set, so the open API is not exposed "
            "to other machines (set the tokens, or HOST=0.0.0.0, to listen on all interfaces)"
        )
    return logging.WARNING, (
        f"{where} with no ADMIN_TOKEN/USER_TOKEN set: anyone who can reach it can change "
        "teams and reviewers; set the tokens"
    )


def _serve(settings: Settings) -> int:
    import uvicorn

    from bot.cli.embedded import embedded_servers

    address = f"http://{settings.host}:{settings.port}"
    with embedded_servers(
        settings.database_url, settings.redis_url, settings.data_dir, address=address
    ) as urls:
        # Workers build their app from the environment; hand them the resolved servers.
        os.environ["DATABASE_URL"], os.environ["REDIS_URL"] = urls
        # uvicorn re-raises SIGTERM/SIGINT once it has shut down; turning them into
        # exceptions lets the embedded servers above stop instead of being orphaned.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        log.log(*listen_notice(settings))
        with contextlib.suppress(KeyboardInterrupt, _Terminated):
            uvicorn.run("bot.app:app_from_env", factory=True, **uvicorn_options(settings))
    return 0


def _migrate(settings: Settings) -> int:
    from bot.cli.embedded_attach import command_store
    from store.db import migrate

    log_database(settings.database_url, settings.data_dir)
    # Under DATA_DIR: a running serve's PostgreSQL, left running; else one for this run.
    with command_store(replace(settings, redis_url="off"), "migrate") as (db_url, _):
        applied = asyncio.run(migrate(db_url))
    print("applied: " + ", ".join(applied) if applied else "database is up to date")
    return 0


SERVER_VARIABLES = "DATABASE_URL, REDIS_URL, DATA_DIR, LOG_LEVEL, LOG_FORMAT"
HOST_VARIABLES = ", ".join(v for spec in HOSTS.values() for v in spec.variables)
SERVE_VARIABLES = (
    "PORT, HOST, WORKERS, DATABASE_URL, REDIS_URL, DATA_DIR, ADMIN_TOKEN, USER_TOKEN, "
    f"TEAMS_FILE, {HOST_VARIABLES}, DB_POOL_SIZE, REDIS_TIMEOUT, SELECTION_SEED, "
    "LOG_LEVEL, LOG_FORMAT, WEBHOOK_MAX_BYTES, BODY_READ_TIMEOUT, MAX_BODIES_IN_FLIGHT, "
    "OUTBOX_WORKER, OUTBOX_POLL_SECONDS, OUTBOX_GIVE_UP_SECONDS, OUTBOX_LEASE_SECONDS, "
    "HOST_TIMEOUT, SPOOL_DIR, SPOOL_MAX_BYTES, BOT_NAME"
)
DOCTOR_VARIABLES = (
    "DATABASE_URL, REDIS_URL, DATA_DIR, ADMIN_TOKEN, USER_TOKEN, TEAMS_FILE, HOST_TIMEOUT, "
    f"{HOST_VARIABLES}"
)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("reviewbot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str, text: str, reads: str
) -> None:
    sub.add_parser(name, help=text, description=text + ".", epilog=f"environment: {reads}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reviewbot",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Exit status: 0 done, 1 the command found a problem, 2 bad usage.",
    )
    parser.add_argument("--version", action="version", version=f"reviewbot {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _command(
        sub, "serve", "run the service (embedded PostgreSQL/Redis when URLs unset)", SERVE_VARIABLES
    )
    _command(
        sub,
        "migrate",
        "apply database migrations and exit",
        "DATABASE_URL, DATA_DIR, LOG_LEVEL, LOG_FORMAT",
    )
    add_teams_parser(sub, SERVER_VARIABLES)
    _command(sub, "doctor", "check the configuration and say what to fix", DOCTOR_VARIABLES)
    add_webhook_parser(sub)
    add_rules_parser(sub)
    add_simulate_parser(sub, SERVER_VARIABLES)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env(os.environ)
    except SettingsError as exc:
        parser.exit(2, f"reviewbot: {exc}\n")
    from bot.observability import logs

    logs.configure(settings.log_level, logs.secret_values(settings), settings.log_format)
    from bot.cli.embedded_owner import DataDirBusy

    commands: dict[str, Callable[[Settings], int]] = {
        "serve": _serve,
        "teams": lambda s: run_teams(args, s),
        "doctor": run_doctor,
        "webhook": lambda s: run_webhook(args, s),
        "rules": lambda s: run_rules(args),
        "simulate": lambda s: run_simulate(args, s),
    }
    try:
        return commands.get(args.command, _migrate)(settings)
    except DataDirBusy as busy:
        log.error("%s", busy)
        print(f"reviewbot: {busy}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
