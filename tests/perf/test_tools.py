"""The load generator's own parts: if these lie, every figure of ``make perf`` lies."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import random

import msgspec
import pytest
import uvicorn

from perf import ceiling, webhook
from perf.client import Connection, TransportError
from perf.scenario import World, build_teams
from perf.servers import free_port
from perf.stats import Endpoint, percentile


async def test_client_keeps_one_connection_for_many_requests_and_reads_bodies() -> None:
    port = free_port()
    config = uvicorn.Config(ceiling.app, factory=True, port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 (uvicorn exposes a flag, not an event)
            await asyncio.sleep(0.01)
        conn = Connection("127.0.0.1", port)
        assert await conn.request("GET", "/fixed") == (200, ceiling.BODY)
        first = conn._proto
        answers = [await conn.request("GET", "/fixed") for _ in range(50)]
        assert answers == [(200, ceiling.BODY)] * 50
        missing = await conn.request("POST", "/nowhere", b'{"a": 1}')
        assert missing[0] == 404
        assert conn._proto is first and not first.closed  # one connection, kept alive
        conn.close()
    finally:
        server.should_exit = True
        await task


async def test_client_reports_a_refused_connection_as_transport_error() -> None:
    conn = Connection("127.0.0.1", free_port())  # nothing listens there
    with pytest.raises(TransportError):
        await conn.request("GET", "/health")


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([], 99) == 0.0


def test_expected_conflicts_are_not_errors_and_unexpected_statuses_are() -> None:
    endpoint = Endpoint()
    endpoint.record(200, 0.001, 0, (200,))
    endpoint.record(409, 0.002, 0, (200,))
    endpoint.record(500, 0.003, 0, (200,))
    endpoint.record(404, 0.003, 1, (200,))
    summary = endpoint.summary(2.0)
    assert (summary["ok"], summary["conflicts_409"], summary["errors"]) == (1, 1, 2)
    assert summary["total"] == 4
    assert summary["per_second"] == [2, 0]


def test_world_tracks_open_prs_and_never_merges_one_twice() -> None:
    world = World(run_id="t", rng=random.Random(3))
    build_teams(world, 2, 5)
    for n in range(10):
        world.pr_opened(f"pr{n}", [world.users[n % 10]])
    merged = {msgspec.json.decode(world.merge().body or b"")["pull_request_id"] for _ in range(10)}
    assert merged == {f"pr{n}" for n in range(10)}
    assert world.open_prs == []


def test_writer_mix_keeps_most_users_active() -> None:
    world = World(run_id="t", rng=random.Random(5))
    build_teams(world, 20, 10)
    for _ in range(2000):
        world.set_active()
    assert len(world.inactive) <= len(world.users) * 0.1


def test_webhook_deliveries_are_signed_like_github() -> None:
    headers, body = webhook.delivery(7, "alice")
    expected = hmac.new(webhook.SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert f"X-Hub-Signature-256: sha256={expected}".encode() in headers
    payload = msgspec.json.decode(body)
    assert payload["action"] == "opened"
    assert payload["pull_request"]["user"]["login"] == "alice"
    assert payload["repository"]["full_name"] == f"{webhook.OWNER}/{webhook.REPO}"
