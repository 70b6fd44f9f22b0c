"""``reviewbot simulate FILE… [--since 30d] [--until DATE] [--json] [--seed N]``: replay the
stored PRs of a window against candidate team files, in memory, and print simulated
beside actual. Writes nothing. Exit status: 0 done, 1 the files are invalid, 2 bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from bot.cli.teams import print_problems
from bot.cli.where import log_database
from bot.core.errors import BadRequest, SimulationTooLarge
from bot.core.replay.history import Window
from bot.core.replay.text import render
from bot.services.simulate import DEFAULT_SINCE, Limits, Simulator, window_of
from config.settings import Settings
from config.team_parse import TeamConfig, parse_config_files
from config.team_spec import ConfigInvalid
from store.db import Db, migrate


def add_simulate_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], reads: str
) -> None:
    simulate = sub.add_parser(
        "simulate",
        help="replay stored PRs against team files, writing nothing",
        description=__doc__.split("\n\n")[0].replace("``", "") if __doc__ else None,
        epilog=f"environment: {reads}",
    )
    simulate.add_argument("files", nargs="+", metavar="FILE")
    simulate.add_argument(
        "--since", default=DEFAULT_SINCE, help="30d, 12h, 2w or a date (default 30d)"
    )
    simulate.add_argument("--until", help="a date or date-time (default now)")
    simulate.add_argument("--json", action="store_true", help="print the report as JSON")
    simulate.add_argument("--seed", type=int, help="make the random choices reproducible")


def run_simulate(args: argparse.Namespace, settings: Settings) -> int:
    logging.getLogger("databases").setLevel(logging.WARNING)
    try:
        config = parse_config_files(args.files)
    except ConfigInvalid as invalid:
        print_problems(invalid, "; nothing was simulated:")
        return 1
    try:
        window = window_of(args.since, args.until, datetime.now(UTC), Limits())
    except (BadRequest, SimulationTooLarge) as exc:
        print(f"reviewbot simulate: {exc.message}", file=sys.stderr)
        return 2
    from bot.cli.embedded_attach import command_store

    log_database(settings.database_url, settings.data_dir)
    with command_store(settings, "simulate") as (db_url, _redis_url):
        report = asyncio.run(_run(db_url, config, args, window))
    if args.json:
        sys.stdout.write(json.dumps(report, indent=2) + "\n")
    else:
        sys.stdout.write(render(report))
    return 0


async def _run(
    db_url: str, config: TeamConfig, args: argparse.Namespace, window: Window
) -> dict[str, Any]:
    await migrate(db_url)
    db = Db(db_url, pool_size=1)
    await db.connect()
    try:
        return await Simulator(db).run(config, args.files, window, args.seed)
    finally:
        await db.disconnect()
