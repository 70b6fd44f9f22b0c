"""The application: ``create_app(settings)`` and the lifespan that owns shared resources."""

from __future__ import annotations

import logging
import os
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette

from bot.service import ReviewService
from bot.webhook_runtime import webhook_runtime
from config.settings import Settings
from handlers import all_routes
from handlers.errors import EXCEPTION_HANDLERS
from store.cache import TeamCache
from store.db import Db, migrate

log = logging.getLogger(__name__)


def create_app(settings: Settings) -> Starlette:
    if settings.database_url is None:
        raise ValueError("create_app needs settings.database_url (the CLI starts embedded servers)")
    database_url = settings.database_url

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await migrate(database_url)
        db = Db(database_url, pool_size=settings.db_pool_size)
        await db.connect()
        cache = TeamCache.from_url(settings.redis_url, settings.redis_timeout)
        rng = random.Random(settings.selection_seed)
        app.state.settings = settings
        app.state.db = db
        app.state.cache = cache
        app.state.service = service = ReviewService(db, cache, rng)
        try:
            async with webhook_runtime(app, settings, service):
                yield
        finally:
            await cache.close()
            await db.disconnect()

    return Starlette(
        routes=all_routes(),
        exception_handlers=dict(EXCEPTION_HANDLERS),
        lifespan=lifespan,
    )


def app_from_env() -> Starlette:
    """uvicorn factory: each worker process builds its app from the environment once."""
    return create_app(Settings.from_env(os.environ))
