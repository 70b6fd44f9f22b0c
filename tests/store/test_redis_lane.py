"""The pipelined Redis lane of the cache's hot read: right reply to each caller, bounded
waits, and failures the cache already handles (``OSError``, ``ResponseError``)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis
from redis.exceptions import NoScriptError, ResponseError

from store.redis_lane import ReadLane, encode_command, parse_reply


@pytest.fixture
async def lane(redis_url: str, redis_client: redis.Redis) -> AsyncIterator[ReadLane]:
    found = ReadLane.for_url(redis_url, 2.0)
    assert found is not None
    yield found
    await found.close()


async def test_concurrent_calls_each_get_their_own_reply(
    lane: ReadLane, redis_client: redis.Redis
) -> None:
    await redis_client.mset({f"k{i}": f"v{i}" * i for i in range(200)})
    replies = await asyncio.gather(*(lane.call("GET", f"k{i}") for i in range(200)))
    assert replies == [(f"v{i}" * i).encode() for i in range(200)]
    assert await lane.call("GET", "missing") is None
    assert await lane.call("INCR", "n") == 1


async def test_script_replies_and_a_forgotten_script(
    lane: ReadLane, redis_client: redis.Redis
) -> None:
    sha = await redis_client.script_load("return {KEYS[1], redis.call('GET', KEYS[1])}")
    await redis_client.set("a", b"\x00\r\n binary")
    assert await lane.call("EVALSHA", sha, 1, "a") == [b"a", b"\x00\r\n binary"]
    await redis_client.script_flush()
    with pytest.raises(NoScriptError):
        await lane.call("EVALSHA", sha, 1, "a")
    with pytest.raises(ResponseError):
        await lane.call("NOSUCHCOMMAND")
    assert await lane.call("PING") == b"PONG"  # still in step after errors


async def test_a_cancelled_caller_leaves_the_others_in_step(
    lane: ReadLane, redis_client: redis.Redis
) -> None:
    await redis_client.set("x", b"1")
    await redis_client.set("y", b"2")
    await lane.call("PING")
    slow = asyncio.ensure_future(lane.call("EVAL", "redis.call('GET', 'x') return 'late'", 0))
    other = asyncio.ensure_future(lane.call("GET", "y"))
    slow.cancel()
    assert await other == b"2"
    with contextlib.suppress(asyncio.CancelledError):
        await slow
    assert await lane.call("GET", "x") == b"1"


async def test_a_silent_server_times_out_every_waiting_call() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    lane = ReadLane.for_url(f"redis://127.0.0.1:{port}/0", 0.3)
    assert lane is not None
    try:
        started = time.monotonic()
        results = await asyncio.gather(
            *(lane.call("GET", "k") for _ in range(3)), return_exceptions=True
        )
        assert all(isinstance(r, TimeoutError) for r in results), results
        assert time.monotonic() - started < 2.0
    finally:
        await lane.close()
        listener.close()


async def test_nobody_listening_is_an_os_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    lane = ReadLane.for_url(f"redis://127.0.0.1:{port}", 0.5)
    assert lane is not None
    with pytest.raises(OSError):
        await lane.call("PING")


async def test_reconnects_after_the_connection_drops(
    lane: ReadLane, redis_client: redis.Redis
) -> None:
    assert await lane.call("PING") == b"PONG"
    await redis_client.client_kill_filter(_type="normal", skipme=True)
    with contextlib.suppress(OSError):
        await lane.call("PING")  # may meet the closed socket once
    assert await lane.call("PING") == b"PONG"


def test_tls_urls_are_left_to_redis_py() -> None:
    assert ReadLane.for_url("rediss://cache:6380/0", 1.0) is None


def test_replies_cut_anywhere_wait_for_the_rest() -> None:
    whole = b"*2\r\n$3\r\nabc\r\n*2\r\n:7\r\n$-1\r\n+OK\r\n"
    for cut in range(1, len(whole) - 5):
        with pytest.raises(Exception) as caught:
            parse_reply(bytearray(whole[:cut]))
        assert type(caught.value).__name__ == "_Incomplete"
    reply, end = parse_reply(bytearray(whole))
    assert reply == [b"abc", [7, None]]
    assert parse_reply(bytearray(whole), end) == (b"OK", len(whole))
    encoded = b"*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$1\r\n5\r\n"
    assert encode_command("SET", "k", b"v", 5) == encoded
