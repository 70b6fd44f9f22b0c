"""The ``reviewbot`` command as a tool: help, version, logs, a signed sample webhook."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest

from bot.app import create_app
from bot.hosts.registry import HOSTS
from config.settings import Secret, Settings
from tests.conftest import serving, with_hosts


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "REDIS", "GIT"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("command", "variable"),
    [
        (["serve"], "WEBHOOK_MAX_BYTES"),
        (["migrate"], "DATABASE_URL"),
        (["teams"], "DATA_DIR"),
        (["doctor"], "TEAMS_FILE"),
        (["webhook", "send"], "GITEA_WEBHOOK_SECRET"),
    ],
)
def test_every_command_has_help_naming_the_variables_it_reads(
    command: list[str], variable: str
) -> None:
    done = _cli(*command, "--help")
    assert done.returncode == 0, done.stderr
    assert variable in done.stdout and "``" not in done.stdout


def test_top_level_help_and_version() -> None:
    done = _cli("--help")
    assert done.returncode == 0 and "``" not in done.stdout
    assert all(c in done.stdout for c in ("serve", "migrate", "teams", "doctor", "webhook"))
    version = _cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("reviewbot 0.")


def test_cli_logs_are_json_lines_and_name_the_database(settings: Settings, tmp_path: Path) -> None:
    assert settings.database_url
    done = _cli("migrate", env={"DATABASE_URL": settings.database_url})
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert any(line["message"].startswith("database: postgresql://") for line in lines)


def test_warnings_and_uvicorn_colours_end_up_as_json(tmp_path: Path) -> None:
    code = (
        "import logging, warnings\n"
        "from bot.observability import logs\n"
        "logs.configure('INFO')\n"
        "warnings.warn('Neither XDG_RUNTIME_DIR nor /run/user exists', UserWarning)\n"
        "logging.getLogger('uvicorn.error').info('Started \\x1b[1mserver\\x1b[0m',"
        " extra={'color_message': '\\x1b[32mStarted\\x1b[0m'})\n"
    )
    done = subprocess.run(
        [sys.executable, "-W", "always", "-c", code], capture_output=True, text=True, check=True
    )
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert [line["logger"] for line in lines] == ["py.warnings", "uvicorn.error"]
    assert "XDG_RUNTIME_DIR" in lines[0]["message"]
    assert lines[1]["message"] == "Started server" and "color_message" not in lines[1]
    assert "\x1b" not in done.stderr


def test_log_format_text_is_one_readable_line() -> None:
    code = (
        "import logging\n"
        "from bot.observability import logs\n"
        "logs.configure('INFO', log_format='text')\n"
        "logging.getLogger('x').warning('hello', extra={'pr': 'p1'})\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    line = done.stderr.strip()
    assert ' WARNING x: hello pr="p1"' in line and not line.startswith("{")
    bad = _cli("doctor", env={"LOG_FORMAT": "xml"})
    assert bad.returncode == 2 and "LOG_FORMAT must be one of json, text" in bad.stderr


@pytest.mark.parametrize("host", list(HOSTS))
async def test_webhook_send_delivers_a_signed_sample_that_assigns_reviewers(
    host: str, settings: Settings, pg: asyncpg.Pool
) -> None:
    secrets = {name: {"webhook_secret": Secret(f"{name}-s")} for name in HOSTS}
    app = create_app(with_hosts(settings, **secrets))
    with serving(app) as url:
        async with httpx.AsyncClient(base_url=url) as client:
            team = {
                "team_name": "core",
                "members": [
                    {"user_id": u, "username": u, "is_active": True} for u in ("ana", "bo", "cy")
                ],
            }
            assert (await client.post("/team/add", json=team)).status_code == 201
        env = {f"{host.upper()}_WEBHOOK_SECRET": f"{host}-s"}
        port = url.rpartition(":")[2]
        stranger = _cli("webhook", "send", host, "--author", "zed", env={**env, "PORT": port})
        done = _cli("webhook", "send", host, "--url", url, "--author", "ana", env=env)
        wrong = _cli("webhook", "send", host, "--url", url, "--secret", "nope")
    assert done.returncode == 0, done.stdout + done.stderr
    # No --url: PORT names the instance; an author no member has is ignored, and says so.
    assert stranger.returncode == 1, stranger.stdout + stranger.stderr
    assert "-> 202" in stranger.stdout
    assert "ignored: unknown author" in stranger.stderr and "'zed'" in stranger.stderr
    assert "-> 200" in done.stdout and '"applied"' in done.stdout
    row = await pg.fetchrow("SELECT pull_request_id, author_id FROM pull_requests")
    assert row["author_id"] == "ana" and row["pull_request_id"].startswith(f"{host}:")
    assert await pg.fetchval("SELECT count(*) FROM pr_reviewers") == 2
    assert wrong.returncode == 1 and "-> 401" in wrong.stdout
    assert _cli("webhook", "send", host, "--url", url).returncode == 2  # no secret set


def test_serve_writes_only_json_lines_warnings_included(tmp_path: Path) -> None:
    """The embedded PostgreSQL path, where platformdirs warns about XDG_RUNTIME_DIR."""
    import signal
    import socket
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "REDIS"))}
    base.pop("XDG_RUNTIME_DIR", None)
    env = {**base, "DATA_DIR": str(tmp_path / "data"), "REDIS_URL": "off"}
    env.update(PORT=str(port), HOST="127.0.0.1", OUTBOX_WORKER="off")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise AssertionError("the service did not start")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    lines = [json.loads(line) for line in err.splitlines()]  # every line is JSON
    assert "\x1b" not in err and out == ""
    assert any(line["logger"] == "uvicorn.error" for line in lines)
    assert not any("color_message" in line for line in lines)
    warned = [line for line in lines if line["logger"] == "py.warnings"]
    assert all("Warning" in line["message"] for line in warned)


def test_each_host_card_names_every_variable_it_reads_and_serve_help_lists_them() -> None:
    from config.settings import Env

    class Recording(Env):
        def __init__(self) -> None:
            super().__init__({})
            self.read: set[str] = set()

        def text(self, name: str) -> str:
            self.read.add(name)
            return super().text(name)

        def optional(self, name: str) -> str | None:
            self.read.add(name)
            return super().optional(name)

        def secret(self, name: str) -> Secret | None:
            self.read.add(name)
            return super().secret(name)

    helped = " ".join(_cli("serve", "--help").stdout.split())
    for spec in HOSTS.values():
        env = Recording()
        spec.read_settings(env)
        assert env.read == set(spec.variables), spec.name
        assert all(v in helped for v in spec.variables)
