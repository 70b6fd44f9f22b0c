"""Helpers for team-config tests: a TeamConfigService on the test store, files on disk."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio

from bot.services.chooser import Chooser
from bot.services.team_config import TeamConfigService
from bot.services.teams import TeamDirectory
from config.settings import Settings
from store.cache import TeamCache
from store.db import Db


@pytest_asyncio.fixture
async def configs(settings: Settings) -> AsyncIterator[TeamConfigService]:
    assert settings.database_url is not None
    db = Db(settings.database_url, pool_size=4)
    await db.connect()
    cache = TeamCache.from_url(settings.redis_url, 1.0)
    try:
        yield TeamConfigService(db, cache)
    finally:
        await cache.close()
        await db.disconnect()


def write_file(tmp_path: Path, text: str, name: str = "teams.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


async def apply_text(configs: TeamConfigService, tmp_path: Path, text: str) -> None:
    await configs.apply([write_file(tmp_path, text, "applied.yaml")])


async def open_pr(client: httpx.AsyncClient, pr_id: str, author: str) -> list[str]:
    response = await client.post(
        "/pullRequest/create",
        json={"pull_request_id": pr_id, "pull_request_name": pr_id, "author_id": author},
    )
    assert response.status_code == 201, response.text
    reviewers: list[str] = response.json()["pr"]["assigned_reviewers"]
    return reviewers


def chooser_for(configs: TeamConfigService) -> Chooser:
    """A Chooser on the same store, to call choose_and_lock as other paths do."""
    return Chooser(TeamDirectory(configs.db, configs.cache), random.Random(5))
