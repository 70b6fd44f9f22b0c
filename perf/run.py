"""``make perf``: the whole benchmark, end to end, in one process.

1. start the ceiling (bare Starlette, same uvicorn settings) and reviewbot (``reviewbot
   serve``, embedded PostgreSQL + Redis under a temporary DATA_DIR), each on a free port;
2. ceiling phase; seed the reference scenario through the API; read, write and mixed
   phases; the ceiling again (its drift says how noisy the machine was);
3. webhook and bulk-deactivation phases, each only if the service has the endpoint;
4. stop both servers, write ``perf/results/<timestamp>.json`` and a PNG chart beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from perf import deactivation, report, round_trips, targets, webhook
from perf.ceiling import BODY
from perf.load import Phase, run_phase, run_requests
from perf.profile import profiling, summary, wait_events
from perf.scenario import READS, WRITES, Request, World, build_teams
from perf.servers import Server, ceiling_argv, free_port, running, server_env, service_argv

RESULTS = Path(__file__).resolve().parent / "results"


def _args() -> argparse.Namespace:
    env = os.environ.get
    p = argparse.ArgumentParser(prog="make perf", description=__doc__)
    p.add_argument(
        "--duration",
        type=float,
        default=float(env("PERF_DURATION", "20")),
        help="seconds per load phase (PERF_DURATION, default 20)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=int(env("WORKERS", "1")),
        help="uvicorn workers of both servers (WORKERS, default 1)",
    )
    p.add_argument("--readers", type=int, default=int(env("PERF_READERS", "60")))
    p.add_argument("--writers", type=int, default=int(env("PERF_WRITERS", "60")))
    p.add_argument("--teams", type=int, default=20)
    p.add_argument("--users-per-team", type=int, default=10)
    p.add_argument("--prs-per-team", type=int, default=50)
    p.add_argument(
        "--phases",
        default=env("PERF_PHASES", "read,write,mixed"),
        help="comma-separated load phases among read,write,mixed "
        "(and, one kind alone: create, reassign, team-get, get-review)",
    )
    p.add_argument("--webhook-senders", type=int, default=20)
    p.add_argument("--deactivation-rounds", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument(
        "--profile",
        type=Path,
        default=Path(env("PERF_PROFILE", "")) if env("PERF_PROFILE") else None,
        help="directory for py-spy profiles of each service phase (PERF_PROFILE)",
    )
    return p.parse_args()  # fmt: skip


def _ceiling_phase(seconds: float, users: int) -> Phase:
    fixed = Request("ceiling", "GET", "/fixed", None, (200,))
    return Phase("ceiling", [(lambda: fixed, users)], {"ceiling": "ceiling"}, seconds)


def _load_phases(args: argparse.Namespace, world: World) -> list[Phase]:
    both = {**READS, **WRITES}
    known = {
        "read": Phase("read", [(world.read, args.readers)], READS, args.duration),
        "write": Phase("write", [(world.write, args.writers)], WRITES, args.duration),
        # not in the default list: one write kind alone, for before/after comparisons
        "create": Phase("create", [(world.create, args.writers)], WRITES, args.duration),
        "reassign": Phase("reassign", [(world.reassign, args.writers)], WRITES, args.duration),
        "team-get": Phase(
            "team-get", [(_only(world.read, "team/get"), args.readers)], READS, args.duration
        ),
        "get-review": Phase(
            "get-review",
            [(_only(world.read, "users/getReview"), args.readers)],
            READS,
            args.duration,
        ),
        "mixed": Phase(
            "mixed", [(world.read, args.readers), (world.write, args.writers)], both, args.duration
        ),
    }
    return [known[name.strip()] for name in args.phases.split(",") if name.strip()]


def _only(make: Callable[[], Request], endpoint: str) -> Callable[[], Request]:
    """The reader's requests of one endpoint only (the reader draws both, half each)."""

    def next_request() -> Request:
        while (request := make()).endpoint != endpoint:
            pass
        return request

    return next_request


async def _seed(server: Server, world: World, args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    teams = build_teams(world, args.teams, args.users_per_team)
    rec = await run_requests(server, teams, 8)
    creates = [
        world.create(author=world.rng.choice(members))
        for members in list(world.teams.values())
        for _ in range(args.prs_per_team)
    ]
    rec_prs = await run_requests(server, creates, 32)
    errors = rec.total_errors() + rec_prs.total_errors()
    if errors:
        samples = {**rec.summary(1)["classes"], **rec_prs.summary(1)["classes"]}
        raise RuntimeError(f"seeding failed with {errors} errors: {samples}")
    return {
        "teams": args.teams,
        "users": len(world.users),
        "prs": len(creates),
        "seconds": round(time.perf_counter() - started, 2),
    }


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    world = World(run_id=f"p{int(time.time())}", rng=random.Random(args.seed))
    results: dict[str, Any] = {"meta": report.machine(args), "phases": {}}
    with tempfile.TemporaryDirectory(prefix="reviewbot-perf-") as tmp:
        work = Path(tmp)
        ceiling_port, service_port = free_port(), free_port()
        async with (
            webhook.fake_github() as github,
            running("ceiling", ceiling_argv(), server_env(ceiling_port, args.workers, {}),
                    ceiling_port, work) as ceiling,
            running("reviewbot", service_argv(),
                    server_env(service_port, args.workers,
                               {"DATA_DIR": str(work / "data"), **webhook.service_env(github)}),
                    service_port, work, data_dir=work / "data") as service,
        ):  # fmt: skip
            users = max(args.readers, args.writers)
            results["ceiling"] = {"before": await run_phase(_ceiling_phase(args.duration, users),
                                                            ceiling)}  # fmt: skip
            results["seed"] = await _seed(service, world, args)
            results["phases"] = await _load(service, world, args)
            results["ceiling"]["after"] = await run_phase(
                _ceiling_phase(args.duration, users), ceiling
            )
            await _webhook_and_deactivation(service, github, world, args, results)
        results["server_logs"] = _keep_logs(work, args.out, args.stamp)
    results["writes_in_process"] = await round_trips.run()  # issue 18: round trips, CPU
    results["round_trips_per_write"] = results["writes_in_process"]["round_trips"]
    results["ceiling"]["body_bytes"] = len(BODY)
    report.add_ratios(results)
    results["targets"] = targets.as_json(targets.figures(results))
    return results


async def _load(service: Server, world: World, args: argparse.Namespace) -> dict[str, Any]:
    """The read, write and mixed phases, each profiled when asked."""
    phases: dict[str, Any] = {}
    for phase in _load_phases(args, world):
        with profiling(service, args.profile, phase.name, phase.seconds):
            async with wait_events(service, args.profile is not None) as waits:
                phases[phase.name] = await run_phase(phase, service)
        if waits:
            phases[phase.name]["postgres_wait_samples"] = dict(waits.most_common(12))
    return phases


async def _webhook_and_deactivation(
    service: Server,
    github: webhook.FakeGitHub,
    world: World,
    args: argparse.Namespace,
    results: dict[str, Any],
) -> None:
    """One webhook sender (latency as a host's deliveries see it), then bulk deactivation,
    then the webhook flood (capacity): the flood leaves an outbox backlog that is still
    being posted back afterwards, which would slow whatever ran next."""
    hooks = await webhook.available(service)
    results["webhook_single"] = (
        await webhook.run(service, github, world, 1, args.duration / 2)
        if hooks
        else {"available": False}
    )
    results["deactivation"] = (
        await deactivation.run(service, world, args.deactivation_rounds)
        if await deactivation.available(service)
        else {"available": False}
    )
    results["webhook"] = (
        await webhook.run(service, github, world, args.webhook_senders, args.duration)
        if hooks else {"available": False}
    )  # fmt: skip


def _keep_logs(work: Path, out: Path, stamp: str) -> list[str]:
    """Server logs with errors in them are kept beside the results; clean ones are not."""
    kept = []
    for log in sorted(work.glob("*.log")):
        text = log.read_text(errors="replace")
        if "Traceback" in text or " ERROR " in text:
            out.mkdir(parents=True, exist_ok=True)
            target = out / f"{stamp}-{log.name}"
            target.write_text(text)
            kept.append(str(target))
    return kept


def main() -> None:
    args = _args()
    args.stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    import uvloop  # uvicorn[standard] brings it; the generator needs the fast loop too

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        results = runner.run(_main(args))
    args.out.mkdir(parents=True, exist_ok=True)
    json_path = args.out / f"{args.stamp}.json"
    report.write_json(results, json_path)
    chart = report.write_chart(results, json_path.with_suffix(".png"))
    print(report.table(results))
    print("\nIssue 18 targets (ratios to the ceiling of this run):\n"
          + targets.table(targets.figures(results)))  # fmt: skip
    print("\nREADME table:\n" + report.readme_table(results) + "\n")
    if args.profile is not None:
        for path in sorted(args.profile.glob("*.txt")):
            print(summary(path))
    print(f"results: {json_path}" + (f"\nchart:   {chart}" if chart else ""))
