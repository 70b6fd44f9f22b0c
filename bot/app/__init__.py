"""The application: ``create_app(settings)`` and the lifespan that owns shared resources."""

from __future__ import annotations

import logging
import os
import random
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.middleware import Middleware

from bot.app.process import stop_with_supervisor
from bot.app.store_start import store_prepared
from bot.app.webhook_runtime import webhook_runtime
from bot.hosts.registry import HOSTS
from bot.observability import logs
from bot.observability.metrics import PoolUse, ResourceCollector
from bot.services.changes import ChangeFeed
from bot.services.chooser import Chooser
from bot.services.dashboard import Dashboard
from bot.services.deactivation import Deactivations
from bot.services.outbox import OutboxWorker
from bot.services.pull_requests import PullRequests
from bot.services.readiness import Readiness
from bot.services.review_reads import ReviewReads
from bot.services.review_scheduler import ReviewScheduler
from bot.services.routing_worker import RoutingWorker
from bot.services.simulate import Simulator
from bot.services.stats import Stats
from bot.services.team_config import start_team_config
from bot.services.teams import TeamDirectory, Teams
from bot.services.users import Users
from config.settings import Settings
from handlers import all_routes
from handlers.dashboard_session import DashboardSessions
from handlers.deps import Services
from handlers.errors import EXCEPTION_HANDLERS
from handlers.middleware import RequestObserver, TokenAuth
from store.cache import TeamCache
from store.db import Db

log = logging.getLogger(__name__)

READ_POOL_SIZE = 2  # connections for grouped /users/getReview reads, besides DB_POOL_SIZE


def create_app(settings: Settings) -> Starlette:
    if settings.database_url is None:
        raise ValueError("create_app needs settings.database_url (the CLI starts embedded servers)")
    database_url = settings.database_url

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # An exit stack, so that a failure half-way through start-up (a broken TEAMS_FILE,
        # say) still closes what was already opened, in reverse order.
        async with AsyncExitStack() as resources:
            started = await _start(settings, database_url, resources)
            services, worker, routing, scheduler = started
            app.state.services, app.state.outbox_worker = services, worker
            app.state.routing_worker, app.state.review_scheduler = routing, scheduler
            yield

    return Starlette(
        routes=all_routes(),
        exception_handlers=dict(EXCEPTION_HANDLERS),
        lifespan=lifespan,
        # Outermost first: every answer, a 401 included, gets a request id and is counted.
        middleware=[
            Middleware(RequestObserver),
            Middleware(TokenAuth, admin=settings.admin_token, user=settings.user_token),
            Middleware(DashboardSessions, settings=settings),
        ],
    )


async def _start(
    settings: Settings, database_url: str, resources: AsyncExitStack
) -> tuple[Services, OutboxWorker, RoutingWorker, ReviewScheduler]:
    """Open every shared resource (closed by ``resources``) and build the use cases on them.

    Nothing here needs PostgreSQL to answer: migrations and TEAMS_FILE wait for it if it
    is away (``store_prepared``), so an instance started during an outage spools webhooks.
    """
    db = Db(database_url, pool_size=settings.db_pool_size)
    await db.connect()
    resources.push_async_callback(db.disconnect)
    # getReview groups (one statement each) on connections of their own: behind the
    # write transactions' queue a read waited for a pooled connection longer than it ran.
    reads_db = Db(database_url, pool_size=READ_POOL_SIZE)
    await reads_db.connect()
    resources.push_async_callback(reads_db.disconnect)
    cache = TeamCache.from_url(settings.redis_url, settings.redis_timeout)
    resources.push_async_callback(cache.close)
    directory = TeamDirectory(db, cache)
    chooser = Chooser(directory, random.Random(settings.selection_seed))
    changes = ChangeFeed()
    teams = await start_team_config(db, cache, settings.teams_file, apply=False)
    resources.callback(teams.stop)
    reloader = teams.reloader
    await resources.enter_async_context(
        store_prepared(database_url, reloader.reload if reloader else _nothing)
    )
    if settings.admin_token is None and settings.user_token is None:
        log.warning("ADMIN_TOKEN and USER_TOKEN are unset: the management API is open")
    short = sum(1 for s in settings.secrets() if len(s.reveal()) < logs.MIN_MASKED_SECRET)
    if short:
        log.warning(
            "%d configured secret(s) shorter than %d characters: weak, and not masked in logs",
            short,
            logs.MIN_MASKED_SECRET,
        )
    hooks = await resources.enter_async_context(
        webhook_runtime(settings, db, directory, chooser, changes)
    )
    services = Services(
        settings=settings,
        teams=Teams(db, directory),
        users=Users(db, directory),
        pull_requests=PullRequests(db, directory, chooser, changes),
        deactivations=Deactivations(db, directory, chooser, changes),
        stats=Stats(db),
        teams_reloader=teams.reloader,
        deliveries=hooks.deliveries,
        outbox=hooks.admin,
        metrics_registry=_resource_metrics(cache, db),
        readiness=Readiness(db, cache),
        dashboard=Dashboard(db, lambda: datetime.now(UTC), list(HOSTS)),
        simulator=Simulator(db),
        review_reads=ReviewReads(reads_db),
    )
    # The workers and the scheduler apart: tests drive their clocks.
    return services, hooks.worker, hooks.routing, hooks.scheduler


async def _nothing() -> None:
    return None


def _resource_metrics(cache: TeamCache, db: Db) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(
        ResourceCollector(lambda: (cache.hits, cache.misses), lambda: PoolUse(*db.pool_use()))
    )
    return registry


def app_from_env() -> Starlette:
    """uvicorn factory: each worker process builds its app from the environment once."""
    settings = Settings.from_env(os.environ)
    logs.configure(settings.log_level, logs.secret_values(settings), settings.log_format)
    stop_with_supervisor()
    return create_app(settings)
