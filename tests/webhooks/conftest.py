"""Webhook test kit: one respx router per code host, signed fixture deliveries, a bot.

Fixtures in ``fixtures/<host>/<event>__<action>[__variant].json`` are in each host's
documented payload shape; ``Bot.post`` signs them the way the host would and sends them
through the app in-process. The outbox worker is driven by hand (``Bot.drain``) with a
clock the test moves, so retry tests never sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
import respx
from starlette.applications import Starlette

from bot.app import create_app
from bot.services.outbox import OutboxWorker
from bot.services.routing_worker import RoutingWorker
from config.settings import Secret, Settings
from store.outbox import Owner
from tests.conftest import add_team, member, running, with_hosts

FIXTURES = Path(__file__).parent / "fixtures"
GITHUB_API = "https://api.github.test"
GITLAB_URL = "https://gitlab.test"
GITEA_URL = "https://gitea.test"
SECRETS = {"github": "gh-secret", "gitlab": "gl-secret", "gitea": "gt-secret"}

HOOK_HOSTS: dict[str, dict[str, Any]] = {
    "github": {
        "api_url": GITHUB_API,
        "token": Secret("gh-token"),
        "webhook_secret": Secret(SECRETS["github"]),
    },
    "gitlab": {
        "url": GITLAB_URL,
        "token": Secret("gl-token"),
        "webhook_secret": Secret(SECRETS["gitlab"]),
    },
    "gitea": {
        "url": GITEA_URL,
        "token": Secret("gt-token"),
        "webhook_secret": Secret(SECRETS["gitea"]),
    },
}

# Members of team "backend" and their handles per host (absent: the user_id is the handle).
HANDLES = {
    "alice": {"github": "alice-gh", "gitlab": "alice-gl", "gitea": "alice-gt"},
    "carol": {"github": "carol-gh", "gitlab": "carol-gl", "gitea": "carol-gt"},
}


def load(host: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / host / f"{name}.json").read_text())
    return data


# Per host: (event, body, delivery id, secret) -> the headers the host would send.
SIGNERS: dict[str, Callable[[str, bytes, str, str], dict[str, str]]] = {
    "github": lambda event, body, delivery, secret: {
        "x-github-event": event,
        "x-github-delivery": delivery,
        "x-hub-signature-256": "sha256=" + _digest(secret, body),
    },
    "gitlab": lambda event, body, delivery, secret: {
        "x-gitlab-event": event,
        "x-gitlab-event-uuid": delivery,
        "x-gitlab-token": secret,
    },
    "gitea": lambda event, body, delivery, secret: {
        "x-gitea-event": event,
        "x-gitea-delivery": delivery,
        "x-gitea-signature": _digest(secret, body),
    },
}
# Per host: the event header's value for a fixture (named <event>__<action>[__variant]).
FIXTURE_EVENTS: dict[str, Callable[[str], str]] = {
    "github": lambda fixture: fixture.split("__")[0],
    "gitlab": lambda fixture: "Note Hook" if fixture.startswith("note__") else "Merge Request Hook",
    "gitea": lambda fixture: fixture.split("__")[0],
}


def _digest(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed_headers(
    host: str, event: str, body: bytes, delivery: str, secret: str
) -> dict[str, str]:
    return {"content-type": "application/json", **SIGNERS[host](event, body, delivery, secret)}


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Bot:
    app: Starlette
    client: httpx.AsyncClient
    clock: FakeClock

    @property
    def worker(self) -> OutboxWorker:
        worker: OutboxWorker = self.app.state.outbox_worker
        return worker

    @property
    def routing(self) -> RoutingWorker:
        worker: RoutingWorker = self.app.state.routing_worker
        return worker

    async def route(self, rounds: int = 20) -> int:
        """Run the routing worker until no job is due (at the fake clock's time)."""
        total = 0
        for _ in range(rounds):
            done = await self.routing.run_once()
            if done == 0:
                return total
            total += done
        raise AssertionError("the routing jobs did not settle")

    async def post(
        self,
        host: str,
        fixture: str,
        *,
        delivery: str | None = None,
        edit: Callable[[dict[str, Any]], None] | None = None,
        secret: str | None = None,
    ) -> httpx.Response:
        payload = load(host, fixture)
        if edit is not None:
            edit(payload)
        body = json.dumps(payload).encode()
        event = FIXTURE_EVENTS[host](fixture)
        headers = signed_headers(
            host, event, body, delivery or str(uuid.uuid4()), secret or SECRETS[host]
        )
        return await self.client.post(f"/webhooks/{host}", content=body, headers=headers)

    async def drain(self, rounds: int = 20) -> int:
        """Run the worker until nothing is due (at the fake clock's time)."""
        total = 0
        for _ in range(rounds):
            sent = await self.worker.run_once()
            if sent == 0:
                return total
            total += sent
        raise AssertionError("the outbox did not drain")


@pytest.fixture
def github_api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=GITHUB_API, assert_all_called=False) as router:
        yield router


@pytest.fixture
def gitlab_api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=GITLAB_URL + "/api/v4", assert_all_called=False) as router:
        yield router


@pytest.fixture
def gitea_api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=GITEA_URL + "/api/v1", assert_all_called=False) as router:
        yield router


BotFactory = Callable[..., contextlib.AbstractAsyncContextManager[Bot]]


@pytest.fixture
def make_bot(
    settings: Settings,
    github_api: respx.MockRouter,
    gitlab_api: respx.MockRouter,
    gitea_api: respx.MockRouter,
) -> BotFactory:
    @contextlib.asynccontextmanager
    async def factory(**overrides: Any) -> AsyncIterator[Bot]:
        """Overrides are Settings fields, or per host ``gitea={"token": None}``."""
        hosts = {name: {**fields, **overrides.pop(name, {})} for name, fields in HOOK_HOSTS.items()}
        changed = replace(settings, **{"outbox_worker": False, **overrides})
        app = create_app(with_hosts(changed, **hosts))
        async with running(app) as client:
            clock = FakeClock()
            if not app.state.services.settings.outbox_worker:  # driven by hand: time is the test's
                app.state.outbox_worker.clock = clock
                app.state.review_scheduler.clock = clock
                app.state.services.deliveries.review_clock.clock = clock
            yield Bot(app, client, clock)

    return factory


@pytest_asyncio.fixture
async def bot(make_bot: BotFactory, pg: asyncpg.Pool) -> AsyncIterator[Bot]:
    async with make_bot() as b:
        await add_team(
            b.client, "backend", member("alice"), member("bob"), member("carol"), member("dave")
        )
        await add_team(b.client, "design", member("erin"))
        for user_id, handles in HANDLES.items():
            for host, handle in handles.items():
                await pg.execute(
                    "INSERT INTO user_handles (user_id, host, handle) VALUES ($1, $2, $3)",
                    user_id,
                    host,
                    handle,
                )
        yield b


async def end_session(pg: asyncpg.Pool, owner: Owner) -> None:
    """Another instance dies: PostgreSQL ends its owner session (as when its process is
    killed), and its advisory lock is gone once the backend has exited."""
    pid = owner.backend_pid()
    assert await pg.fetchval("SELECT pg_terminate_backend($1)", pid)
    for _ in range(100):  # the server drops the session's locks as the backend exits
        if not await pg.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
            return
        await asyncio.sleep(0.02)


async def outbox_rows(pg: asyncpg.Pool) -> list[dict[str, Any]]:
    rows = await pg.fetch(
        "SELECT id, host, pull_request_id, kind, user_id, state, attempts, last_error "
        "FROM outbox ORDER BY id"
    )
    return [dict(r) for r in rows]


async def reviewers(pg: asyncpg.Pool, pr_id: str) -> list[str]:
    rows = await pg.fetch(
        "SELECT user_id FROM pr_reviewers WHERE pull_request_id = $1 ORDER BY slot", pr_id
    )
    return [r["user_id"] for r in rows]


def sent_reviewers(route: respx.Route) -> list[list[str]]:
    """The reviewers of every call a route received, in order."""
    return [json.loads(call.request.content)["reviewers"] for call in route.calls]
