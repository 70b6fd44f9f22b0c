"""``/ready``: readiness against real servers that are stopped under it; ``/health`` stays
liveness."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.app import create_app
from bot.cli.embedded import embedded_redis
from config.settings import Secret, Settings
from store.db import migrate
from tests.api.test_faults import PrivatePostgres, private_postgres  # noqa: F401 (fixture)
from tests.conftest import AppFactory, running


async def test_ready_when_postgres_and_redis_answer(make_client: AppFactory) -> None:
    async with make_client() as client:
        answer = await client.get("/ready")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "ready", "checks": {"postgres": "ok", "redis": "ok"}}


async def test_ready_reports_caching_off(make_client: AppFactory) -> None:
    async with make_client(redis_url="off") as client:
        answer = await client.get("/ready")
    assert answer.json()["checks"] == {"postgres": "ok", "redis": "off"}


async def test_ready_needs_no_token_when_tokens_are_set(make_client: AppFactory) -> None:
    async with make_client(admin_token=Secret("a" * 20), user_token=Secret("u" * 20)) as client:
        assert (await client.get("/ready")).status_code == 200
        assert (await client.get("/team/get", params={"team_name": "x"})).status_code == 401


async def test_postgres_stopped_makes_ready_503_while_health_stays_200(
    private_postgres: PrivatePostgres,  # noqa: F811
) -> None:
    await migrate(private_postgres.url)
    app = create_app(Settings(database_url=private_postgres.url, redis_url="off"))
    async with running(app) as client:
        assert (await client.get("/ready")).status_code == 200
        await asyncio.to_thread(private_postgres.stop)
        down = await client.get("/ready")
        health = await client.get("/health")
    assert down.status_code == 503, down.text
    assert down.json()["error"]["code"] == "UNAVAILABLE"
    assert down.json()["error"]["message"].startswith("not ready: PostgreSQL")
    assert down.headers["retry-after"] == "2"
    assert "x-request-id" in down.headers
    assert health.status_code == 200


async def test_redis_stopped_is_reported_but_the_instance_stays_ready(
    settings: Settings, tmp_path: Path
) -> None:
    with embedded_redis(tmp_path / "private") as redis_url:
        app = create_app(Settings(database_url=settings.database_url, redis_url=redis_url))
        async with running(app) as client:
            up = (await client.get("/ready")).json()
            await asyncio.to_thread(_kill_redis, tmp_path / "private")
            down = await client.get("/ready")
    assert up["checks"]["redis"] == "ok"
    assert down.status_code == 200, down.text
    assert down.json()["checks"] == {"postgres": "ok", "redis": "down"}


def _kill_redis(data_dir: Path) -> None:
    import os
    import signal
    import time

    pid = int((data_dir / "redis" / "redis.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # gone, or a zombie until embedded_redis reaps it
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
                return
        except OSError:
            return
        time.sleep(0.02)
