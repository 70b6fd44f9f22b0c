"""Bulk deactivation timing: the scenario of the extensions issue.

A 200-member team with several hundred open reviews; ``POST /team/deactivate`` takes 100
members out at once and every open review of theirs is reassigned. Measured from the
client, on 127.0.0.1, so the figure is server time plus one local round trip. Runs only
when the service has the endpoint.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import msgspec

from perf.client import Connection
from perf.load import run_requests
from perf.scenario import World, build_teams
from perf.servers import Server, serves

TEAM_SIZE = 200
DEACTIVATED = 100
PRS = 300  # two reviewers each: 600 reviews, about half of them held by the deactivated


async def available(server: Server) -> bool:
    return await serves(server, "/team/deactivate")


async def _one(server: Server, world: World, round_no: int) -> dict[str, Any]:
    [team_add] = build_teams(world, 1, TEAM_SIZE, prefix=f"bulk{round_no}")
    team = list(world.teams)[-1]
    members = world.teams[team]
    setup = await run_requests(server, [team_add], 1)
    creates = [world.create(author=world.rng.choice(members)) for _ in range(PRS)]
    setup_prs = await run_requests(server, creates, 16)
    if setup.total_errors() or setup_prs.total_errors():
        return {"error": "setup failed"}
    gone = world.rng.sample(members, DEACTIVATED)
    leaving = set(gone)
    affected = sum(1 for r in world.reviewers.values() for u in r if u in leaving)
    body = msgspec.json.encode({"team_name": team, "user_ids": gone})
    conn = Connection("127.0.0.1", server.port)
    try:
        start = time.perf_counter()
        status, answer = await conn.request("POST", "/team/deactivate", body)
        elapsed = time.perf_counter() - start
    finally:
        conn.close()
    world.inactive.update(gone)
    result: dict[str, Any] = {"status": status, "ms": round(elapsed * 1000, 2)}
    result["reviews_affected"] = affected
    if status == 200:
        decoded = msgspec.json.decode(answer)
        changes = decoded.get("reassignments") or decoded.get("changes") or []
        result["changes_reported"] = len(changes)
    else:
        result["answer"] = answer[:300].decode(errors="replace")
    return result


async def run(server: Server, world: World, rounds: int) -> dict[str, Any]:
    results = [await _one(server, world, n) for n in range(rounds)]
    times = [r["ms"] for r in results if r.get("status") == 200]
    return {
        "available": True,
        "team_size": TEAM_SIZE,
        "deactivated": DEACTIVATED,
        "open_prs": PRS,
        "rounds": results,
        "median_ms": round(statistics.median(times), 2) if times else None,
        "max_ms": max(times) if times else None,
    }
