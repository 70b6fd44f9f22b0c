"""The webhook machinery of the lifespan: one ``httpx.AsyncClient`` for every host call,
the host clients, the outbox subscribed to reviewer changes, the worker task, and the
delivery use case for the handlers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from bot.hosts.github.client import InstallationLookup
from bot.hosts.gitlab.client import KnownId
from bot.hosts.registry import build_clients
from bot.services.changes import ChangeFeed
from bot.services.chooser import Chooser
from bot.services.deliveries import WebhookSync
from bot.services.outbox import OutboxWorker, RetryPolicy, outbox_listener
from bot.services.outbox_admin import OutboxAdmin
from bot.services.teams import TeamDirectory
from config.settings import Settings
from store import host_sync
from store.db import Db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookRuntime:
    deliveries: WebhookSync
    worker: OutboxWorker
    admin: OutboxAdmin


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
    settings: Settings, db: Db, directory: TeamDirectory, chooser: Chooser, changes: ChangeFeed
) -> AsyncIterator[WebhookRuntime]:
    timeout = httpx.Timeout(settings.host_timeout)
    async with httpx.AsyncClient(timeout=timeout, headers={"User-Agent": "reviewbot"}) as http:
        installation_for, gitlab_known_id = _lookups(db)
        clients = build_clients(settings, http, time.time, installation_for, gitlab_known_id)
        policy = RetryPolicy(give_up_after=settings.outbox_give_up_after)
        worker = OutboxWorker(
            db,
            chooser,
            changes,
            clients,
            policy=policy,
            poll_interval=settings.outbox_poll_interval,
        )
        changes.subscribe(outbox_listener)
        runtime = WebhookRuntime(
            deliveries=WebhookSync(db, directory, chooser, changes, worker.wake),
            worker=worker,
            admin=OutboxAdmin(db, lambda: worker.clock(), worker.wake),
        )
        task = asyncio.create_task(worker.run_forever()) if settings.outbox_worker else None
        try:
            yield runtime
        finally:
            if task is not None:
                worker.stop()
                try:  # a round ends within the host timeout; do not wait for ever
                    await asyncio.wait_for(task, settings.host_timeout * 2)
                except TimeoutError:
                    log.warning("outbox worker did not stop in time; its leases will expire")
