"""``reviewbot teams validate|plan|apply|export``: team files from the command line.

Works on the same store as the service given the same environment: ``DATABASE_URL``, or
the embedded PostgreSQL under ``DATA_DIR`` (the running service's, never stopped by a
command; started for the command otherwise — see bot/cli/embedded_attach.py).
Exit status: 0 done, 1 the files are invalid, 2 bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from bot.cli.where import log_database
from bot.services.team_config import TeamConfigService
from config.settings import Settings
from config.team_parse import parse_config_files
from config.team_plan import plural
from config.team_spec import ConfigInvalid
from store.cache import TeamCache
from store.db import Db, migrate


def add_teams_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser], reads: str) -> None:
    teams = sub.add_parser(
        "teams",
        help="validate, plan, apply or export team YAML files",
        description=__doc__.split("\n\n")[1].replace("``", "") if __doc__ else None,
        epilog=f"environment: {reads} (validate reads none)",
    )
    actions = teams.add_subparsers(dest="action", required=True, metavar="ACTION")
    validate = actions.add_parser("validate", help="check files; report every problem")
    validate.add_argument("files", nargs="+", metavar="FILE")
    plan = actions.add_parser("plan", help="show what apply would change")
    plan.add_argument("files", nargs="+", metavar="FILE")
    plan.add_argument("--json", action="store_true", help="print the plan as JSON")
    plan.add_argument("--prune", action="store_true", help="include deactivating unlisted users")
    apply = actions.add_parser("apply", help="apply files in one transaction")
    apply.add_argument("files", nargs="+", metavar="FILE")
    apply.add_argument("--json", action="store_true", help="print what changed as JSON")
    apply.add_argument("--prune", action="store_true", help="deactivate users listed nowhere")
    export = actions.add_parser("export", help="write the stored teams as YAML")
    export.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")


def run_teams(args: argparse.Namespace, settings: Settings) -> int:
    logging.getLogger("databases").setLevel(logging.WARNING)  # one line per connect
    try:
        if args.action == "validate":
            return _validate(args.files)
        log_database(settings.database_url, settings.data_dir)
        with _store_urls(settings, args.action) as (db_url, redis_url):
            output = asyncio.run(_run(args, db_url, redis_url, settings.redis_timeout))
        if getattr(args, "output", None):
            Path(args.output).write_text(output, encoding="utf-8")
        else:
            sys.stdout.write(output)
        return 0
    except ConfigInvalid as invalid:
        print_problems(invalid, "; nothing was applied:")
        return 1


def print_problems(invalid: ConfigInvalid, after: str) -> None:
    """The team files' problems, one a line under "N problems<after>". On stdout, like any
    linter's findings: stderr carries only log lines."""
    print(f"{plural(len(invalid.issues), 'problem')}{after}")
    for issue in invalid.issues:
        print(f"  {issue}")


def _validate(files: list[str]) -> int:
    config = parse_config_files(files)
    teams = config.teams
    members = sum(len(t.members) for t in teams)
    counts = [plural(len(teams), "team"), plural(members, "member"), plural(len(files), "file")]
    rules = f", {plural(len(config.rules), 'rule')}" if config.rules else ""
    print(f"valid: {counts[0]}, {counts[1]}{rules} in {counts[2]}")
    return 0


@contextlib.contextmanager
def _store_urls(settings: Settings, action: str) -> Iterator[tuple[str, str | None]]:
    from bot.cli.embedded_attach import command_store

    with command_store(settings, f"teams {action}") as urls:
        yield urls


@contextlib.asynccontextmanager
async def _service(
    db_url: str, redis_url: str | None, redis_timeout: float
) -> AsyncIterator[TeamConfigService]:
    await migrate(db_url)
    db = Db(db_url, pool_size=2)
    await db.connect()
    cache = TeamCache.from_url(redis_url, redis_timeout)
    try:
        yield TeamConfigService(db, cache)
    finally:
        await cache.close()
        await db.disconnect()


async def _run(
    args: argparse.Namespace, db_url: str, redis_url: str | None, redis_timeout: float
) -> str:
    """What to print: the exported YAML, or the plan (applied or not)."""
    async with _service(db_url, redis_url, redis_timeout) as service:
        if args.action == "export":
            return await service.export()
        if args.action == "plan":
            changes = await service.plan(args.files, prune=args.prune)
        else:
            changes = await service.apply(args.files, prune=args.prune)
    if args.json:
        return json.dumps(changes.as_json(), indent=2, default=str) + "\n"
    done = "\napplied." if args.action == "apply" and not changes.empty else ""
    return changes.as_text() + done + "\n"
