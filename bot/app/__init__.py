"""The application: ``create_app(settings)`` and the lifespan that owns shared resources."""

from __future__ import annotations

import logging
import os
import random
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.middleware import Middleware

from bot.app.webhook_runtime import webhook_runtime
from bot.observability import logs
from bot.observability.metrics import PoolUse, ResourceCollector
from bot.services.reviews import ReviewService
from bot.services.team_config import start_team_config
from config.settings import Settings
from handlers import all_routes
from handlers.errors import EXCEPTION_HANDLERS
from handlers.middleware import RequestObserver, TokenAuth
from store.cache import TeamCache
from store.db import Db, migrate

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> Starlette:
    if settings.database_url is None:
        raise ValueError("create_app needs settings.database_url (the CLI starts embedded servers)")
    database_url = settings.database_url

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # An exit stack, so that a failure half-way through start-up (a broken TEAMS_FILE,
        # say) still closes what was already opened, in reverse order.
        async with AsyncExitStack() as resources:
            await migrate(database_url)
            db = Db(database_url, pool_size=settings.db_pool_size)
            await db.connect()
            resources.push_async_callback(db.disconnect)
            cache = TeamCache.from_url(settings.redis_url, settings.redis_timeout)
            resources.push_async_callback(cache.close)
            service = ReviewService(db, cache, random.Random(settings.selection_seed))
            app.state.settings, app.state.db, app.state.cache = settings, db, cache
            app.state.service = service
            teams = await start_team_config(db, cache, settings.teams_file)
            resources.callback(teams.stop)
            app.state.team_config, app.state.teams_reloader = teams.service, teams.reloader
            app.state.metrics_registry = _resource_metrics(cache, db)
            if settings.admin_token is None and settings.user_token is None:
                log.warning("ADMIN_TOKEN and USER_TOKEN are unset: the management API is open")
            await resources.enter_async_context(webhook_runtime(app, settings, service))
            yield

    return Starlette(
        routes=all_routes(),
        exception_handlers=dict(EXCEPTION_HANDLERS),
        lifespan=lifespan,
        # Outermost first: every answer, a 401 included, gets a request id and is counted.
        middleware=[
            Middleware(RequestObserver),
            Middleware(TokenAuth, admin=settings.admin_token, user=settings.user_token),
        ],
    )


def _resource_metrics(cache: TeamCache, db: Db) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(
        ResourceCollector(lambda: (cache.hits, cache.misses), lambda: PoolUse(*db.pool_use()))
    )
    return registry


def app_from_env() -> Starlette:
    """uvicorn factory: each worker process builds its app from the environment once."""
    settings = Settings.from_env(os.environ)
    logs.configure(settings.log_level, logs.secret_values(settings))
    return create_app(settings)
