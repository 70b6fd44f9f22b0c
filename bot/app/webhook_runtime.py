"""The webhook machinery of the lifespan: one ``httpx.AsyncClient`` for every host call,
the host clients and memories (from ``bot.hosts.registry``), the outbox subscribed to
reviewer changes, the worker task, and the delivery use case for the handlers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import cast

import httpx

from bot.hosts.base import HostDeps, HostReader
from bot.hosts.wiring import build_clients, build_memories
from bot.services.changes import ChangeFeed
from bot.services.chooser import Chooser
from bot.services.deliveries import WebhookSync
from bot.services.outbox import OutboxWorker, RetryPolicy, is_host_pr, outbox_listener
from bot.services.outbox_admin import OutboxAdmin
from bot.services.review_scheduler import ReviewScheduler
from bot.services.routing import Router
from bot.services.routing_worker import RoutingWorker
from bot.services.spool_drain import SpoolDrainer
from bot.services.teams import TeamDirectory
from config.settings import Settings
from store.db import Db
from store.spool import Spool

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookRuntime:
    deliveries: WebhookSync
    worker: OutboxWorker
    admin: OutboxAdmin
    routing: RoutingWorker
    scheduler: ReviewScheduler


@contextlib.asynccontextmanager
async def webhook_runtime(
    settings: Settings, db: Db, directory: TeamDirectory, chooser: Chooser, changes: ChangeFeed
) -> AsyncIterator[WebhookRuntime]:
    timeout = httpx.Timeout(settings.host_timeout)
    async with httpx.AsyncClient(timeout=timeout, headers={"User-Agent": "reviewbot"}) as http:
        clients = build_clients(settings.code_hosts, HostDeps(http, time.time, db))
        policy = RetryPolicy(
            give_up_after=settings.outbox_give_up_after, lease=settings.outbox_lease
        )
        poll = settings.outbox_poll_interval
        worker = OutboxWorker(db, chooser, changes, clients, policy=policy, poll_interval=poll)
        changes.subscribe(outbox_listener, writes_for=is_host_pr)
        spool = Spool(settings.webhook_spool_dir, settings.spool_max_bytes)
        taking = spool if settings.spool_max_bytes > 0 else None  # 0: drain what is left only
        deliveries = WebhookSync(
            db,
            directory,
            chooser,
            changes,
            worker.wake,
            build_memories(),
            spool=taking,
            bot_name=settings.bot_name,
        )
        drainer = SpoolDrainer(spool, deliveries.apply_spooled)
        deliveries.on_spooled = drainer.wake
        # The host clients also read (changed files, CODEOWNERS) for the routing worker.
        readers = {h: cast(HostReader, c) for h, c in clients.items()}
        router = Router(directory, chooser, changes, deliveries.suggestions)
        routing = RoutingWorker(
            db,
            router,
            readers,
            clock=lambda: worker.clock(),
            on_chosen=worker.wake,
            policy=policy,
            poll_interval=poll,
            owner=worker.owner,
        )
        deliveries.on_routed = routing.wake
        runtime = WebhookRuntime(
            deliveries=deliveries,
            worker=worker,
            admin=OutboxAdmin(db, lambda: worker.clock(), worker.wake),
            routing=routing,
            scheduler=ReviewScheduler(db, chooser, changes, worker.wake),
        )
        task = asyncio.create_task(worker.run_forever()) if settings.outbox_worker else None
        # The same switch: an instance that sends no post-backs reads no files either,
        # and follows no reviews (what the scheduler decides goes out through post-backs).
        routing_task = (
            asyncio.create_task(routing.run_forever()) if settings.outbox_worker else None
        )
        following = (
            asyncio.create_task(runtime.scheduler.run_forever()) if settings.outbox_worker else None
        )
        draining = asyncio.create_task(drainer.run_forever())
        try:
            yield runtime
        finally:
            await _stop_drainer(drainer, draining)
            if routing_task is not None:
                routing.stop()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(routing_task, settings.host_timeout * 2)
            if following is not None:
                following.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await following
            if task is not None:
                worker.stop()
                try:  # a round ends within the host timeout; do not wait for ever
                    await asyncio.wait_for(task, settings.host_timeout * 2)
                except TimeoutError:
                    log.warning("outbox worker did not stop in time; its claims are released")
            await worker.close()  # ends the owner session: any claim left is anybody's


async def _stop_drainer(drainer: SpoolDrainer, task: asyncio.Task[None]) -> None:
    """What is still spooled stays on disk; the next start (or another process) applies it."""
    drainer.stop()
    try:
        await asyncio.wait_for(task, 5)
    except TimeoutError:
        log.warning("webhook spool drainer did not stop in time")
