"""Wiring of the webhook machinery into the app lifespan (kept here so app.py stays small).

One ``httpx.AsyncClient`` for every host call, the host clients, the outbox listener on
the service, the worker task, and ``WebhookSync`` for the handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

import httpx
from starlette.applications import Starlette

from bot.hosts.clients import build_clients
from bot.hosts.github.client import InstallationLookup
from bot.hosts.gitlab.client import KnownId
from bot.services.deliveries import WebhookSync
from bot.services.outbox import OutboxWorker, RetryPolicy, outbox_listener
from bot.services.reviews import ReviewService
from config.settings import Settings
from store import host_sync
from store.db import Db

log = logging.getLogger(__name__)


def _lookups(db: Db) -> tuple[InstallationLookup, KnownId]:
    async def installation_for(repo: str) -> int | None:
        async with db.connection() as conn:
            return await host_sync.installation_for(conn, repo)

    async def gitlab_known_id(username: str) -> int | None:
        async with db.connection() as conn:
            return await host_sync.gitlab_id(conn, username)

    return installation_for, gitlab_known_id


@contextlib.asynccontextmanager
async def webhook_runtime(
    app: Starlette, settings: Settings, service: ReviewService
) -> AsyncIterator[None]:
    timeout = httpx.Timeout(settings.host_timeout)
    async with httpx.AsyncClient(timeout=timeout, headers={"User-Agent": "reviewbot"}) as http:
        installation_for, gitlab_known_id = _lookups(service.db)
        clients = build_clients(settings, http, time.time, installation_for, gitlab_known_id)
        policy = RetryPolicy(give_up_after=settings.outbox_give_up_after)
        worker = OutboxWorker(
            service, clients, policy=policy, poll_interval=settings.outbox_poll_interval
        )
        service.change_listeners.append(outbox_listener)
        app.state.http = http
        app.state.outbox = worker
        app.state.webhook_sync = WebhookSync(service, worker.wake)
        task = asyncio.create_task(worker.run_forever()) if settings.outbox_worker else None
        try:
            yield
        finally:
            if task is not None:
                worker.stop()
                try:  # a round ends within the host timeout; do not wait for ever
                    await asyncio.wait_for(task, settings.host_timeout * 2)
                except TimeoutError:
                    log.warning("outbox worker did not stop in time; its leases will expire")
