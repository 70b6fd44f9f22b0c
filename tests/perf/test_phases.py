"""The webhook and bulk-deactivation phases, run against a stand-in service.

The real endpoints are built on other branches; these tests make sure the phases probe,
send, match post-backs and time correctly, so that ``make perf`` reports real figures
the day the endpoints exist.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from perf import deactivation, webhook
from perf.scenario import World, build_teams
from perf.servers import free_port


@dataclass
class _Service:
    port: int


def _stand_in(github_port: int, with_endpoints: bool) -> Starlette:
    tasks: set[asyncio.Task[None]] = set()

    async def post_back(number: int) -> None:
        async with httpx.AsyncClient() as client:
            url = f"http://127.0.0.1:{github_port}/repos/{webhook.OWNER}/{webhook.REPO}"
            await client.post(f"{url}/pulls/{number}/requested_reviewers", json={"reviewers": []})

    async def hook(request: Request) -> Response:
        payload = msgspec.json.decode(await request.body())
        task = asyncio.create_task(post_back(payload["number"]))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return Response(b'{"status":"accepted"}', 202, media_type="application/json")

    async def created(request: Request) -> Response:
        body = msgspec.json.decode(await request.body())
        if "members" in body:
            return Response(b"{}", 201, media_type="application/json")
        pr = {"pull_request_id": body["pull_request_id"], "status": "OPEN",
              "assigned_reviewers": []}  # fmt: skip
        return Response(msgspec.json.encode({"pr": pr}), 201, media_type="application/json")

    async def deactivate(request: Request) -> Response:
        body = msgspec.json.decode(await request.body())
        answer = {"deactivated": body.get("user_ids", []), "reassignments": [{}, {}]}
        return Response(msgspec.json.encode(answer), media_type="application/json")

    routes = [
        Route("/team/add", created, methods=["POST"]),
        Route("/pullRequest/create", created, methods=["POST"]),
    ]
    if with_endpoints:
        routes += [
            Route("/webhooks/github", hook, methods=["POST"]),
            Route("/team/deactivate", deactivate, methods=["POST"]),
        ]
    return Starlette(routes=routes)


@contextlib.asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[_Service]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
            await asyncio.sleep(0.01)
        yield _Service(port)
    finally:
        server.should_exit = True
        await task


def _world() -> World:
    world = World(run_id="t", rng=random.Random(1))
    build_teams(world, 2, 5)
    return world


async def test_phases_report_not_available_without_the_endpoints() -> None:
    async with webhook.fake_github() as github, serving(_stand_in(github.port, False)) as svc:
        assert not await webhook.available(svc)  # type: ignore[arg-type]
        assert not await deactivation.available(svc)  # type: ignore[arg-type]


async def test_webhook_phase_matches_every_post_back_to_its_delivery() -> None:
    async with webhook.fake_github() as github, serving(_stand_in(github.port, True)) as svc:
        assert await webhook.available(svc)  # type: ignore[arg-type]
        result: dict[str, Any] = await webhook.run(svc, github, _world(), 4, 0.5)  # type: ignore[arg-type]
    ack, post = result["acknowledgement"], result["delivery_to_postback"]
    assert ack["total"] > 0 and ack["errors"] == 0
    assert post["errors"] == 0 and post["ok"] == ack["ok"]
    assert post["p50_ms"] >= ack["p50_ms"] > 0  # the post-back comes after the answer


async def test_deactivation_phase_times_one_call_per_round() -> None:
    async with webhook.fake_github() as github, serving(_stand_in(github.port, True)) as svc:
        result = await deactivation.run(svc, _world(), 2)  # type: ignore[arg-type]
    assert [r["status"] for r in result["rounds"]] == [200, 200]
    assert all(r["changes_reported"] == 2 for r in result["rounds"])
    assert result["median_ms"] is not None and result["median_ms"] > 0
