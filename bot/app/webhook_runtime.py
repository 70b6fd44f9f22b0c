"""Wiring of the webhook machinery into the app lifespan (kept here so app.py stays small).

One ``httpx.AsyncClient`` for every host call, the host clients and memories (from
``bot.hosts.registry``), the outbox listener on the service, the worker task, and
``WebhookSync`` for the handlers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

import httpx
from starlette.applications import Starlette

from bot.hosts.base import HostDeps
from bot.hosts.wiring import build_clients, build_memories
from bot.services.deliveries import WebhookSync
from bot.services.outbox import OutboxWorker, RetryPolicy, outbox_listener
from bot.services.reviews import ReviewService
from config.settings import Settings

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def webhook_runtime(
    app: Starlette, settings: Settings, service: ReviewService
) -> AsyncIterator[None]:
    timeout = httpx.Timeout(settings.host_timeout)
    async with httpx.AsyncClient(timeout=timeout, headers={"User-Agent": "reviewbot"}) as http:
        clients = build_clients(settings.code_hosts, HostDeps(http, time.time, service.db))
        policy = RetryPolicy(give_up_after=settings.outbox_give_up_after)
        worker = OutboxWorker(
            service, clients, policy=policy, poll_interval=settings.outbox_poll_interval
        )
        service.change_listeners.append(outbox_listener)
        app.state.http = http
        app.state.outbox = worker
        app.state.webhook_sync = WebhookSync(service, worker.wake, build_memories())
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
