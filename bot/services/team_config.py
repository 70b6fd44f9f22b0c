"""Team files as use cases: plan, apply, export, and reloading ``TEAMS_FILE``.

Shared by the CLI (``reviewbot teams …``), the service's start, SIGHUP and the admin
endpoint. Apply is one transaction under an advisory lock (see store/team_config.py);
the Redis team cache is invalidated after it commits.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from config.team_export import export_yaml
from config.team_parse import TeamConfig, parse_config_files
from config.team_plan import Plan, plan
from config.team_spec import ConfigInvalid, StoredState
from store import team_config as store
from store.cache import TeamCache
from store.db import Db

log = logging.getLogger(__name__)


def split_files(teams_file: str | None) -> list[str]:
    """``TEAMS_FILE`` names one file, or several separated by commas."""
    return [p.strip() for p in (teams_file or "").split(",") if p.strip()]


class TeamConfigService:
    def __init__(self, db: Db, cache: TeamCache) -> None:
        self.db = db
        self.cache = cache

    async def plan(self, files: Sequence[str], *, prune: bool = False) -> Plan:
        config = await asyncio.to_thread(parse_config_files, files)
        async with self.db.connection() as conn:
            return _plan(config, await store.load_state(conn), prune)

    async def apply(self, files: Sequence[str], *, prune: bool = False) -> Plan:
        """Apply in one transaction; raises ConfigInvalid (nothing applied) on any problem."""
        config = await asyncio.to_thread(parse_config_files, files)
        async with self.db.transaction() as conn:
            await store.lock_for_apply(conn)
            # Planned under the lock: against what any earlier apply committed.
            changes = _plan(config, await store.load_state(conn), prune)
            await store.write_plan(conn, changes)
        await self.cache.invalidate(changes.touched_teams())
        return changes

    async def export(self) -> str:
        async with self.db.connection() as conn:
            return export_yaml(await store.load_state(conn))


def _plan(config: TeamConfig, state: StoredState, prune: bool) -> Plan:
    return plan(config.teams, state, prune=prune, rules=config.rules, codeowners=config.codeowners)


@dataclass
class ReloadResult:
    status: str  # "applied" | "rejected"
    files: list[str]
    plan: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "files": self.files}
        if self.plan is not None:
            out["plan"] = self.plan
        if self.errors:
            out["errors"] = self.errors
        return out


class TeamsReloader:
    """Applies ``TEAMS_FILE``; a broken file leaves the running config as it is."""

    def __init__(self, service: TeamConfigService, files: list[str]) -> None:
        self.service = service
        self.files = files
        self.last: ReloadResult | None = None
        self._lock = asyncio.Lock()  # SIGHUP and the endpoint take turns in this process

    async def reload(self) -> ReloadResult:
        async with self._lock:
            try:
                applied = await self.service.apply(self.files)
            except ConfigInvalid as invalid:
                errors = [str(i) for i in invalid.issues]
                log.error("TEAMS_FILE not applied; the running config stays:\n%s", invalid)
                self.last = ReloadResult("rejected", self.files, errors=errors)
            else:
                log.info("TEAMS_FILE applied: %s", applied.as_text().replace("\n", "; "))
                self.last = ReloadResult("applied", self.files, plan=applied.as_json())
            return self.last


async def start_team_config(
    db: Db, cache: TeamCache, teams_file: str | None, *, apply: bool = True
) -> TeamsStartup:
    """Apply ``TEAMS_FILE`` once at start (unless ``apply`` is False: the caller applies it
    when the store is ready) and reload it on SIGHUP (main thread only)."""
    service = TeamConfigService(db, cache)
    files = split_files(teams_file)
    reloader = TeamsReloader(service, files) if files else None
    if reloader is None:
        return TeamsStartup(service, None, lambda: None)
    if apply:
        await reloader.reload()
    loop = asyncio.get_running_loop()
    pending: set[asyncio.Task[ReloadResult]] = set()

    def finished(task: asyncio.Task[ReloadResult]) -> None:
        pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("reloading TEAMS_FILE failed", exc_info=task.exception())

    def on_sighup() -> None:
        log.info("SIGHUP: reloading TEAMS_FILE")
        task = loop.create_task(reloader.reload())
        pending.add(task)  # keep a reference until done
        task.add_done_callback(finished)

    try:
        loop.add_signal_handler(signal.SIGHUP, on_sighup)
    except (RuntimeError, ValueError, NotImplementedError) as exc:  # not the main thread
        log.warning("SIGHUP will not reload TEAMS_FILE here (%s); use POST /teams/reload", exc)
        return TeamsStartup(service, reloader, lambda: None)
    return TeamsStartup(service, reloader, lambda: loop.remove_signal_handler(signal.SIGHUP))


@dataclass(frozen=True)
class TeamsStartup:
    service: TeamConfigService
    reloader: TeamsReloader | None
    stop: Callable[[], object]
