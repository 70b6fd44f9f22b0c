"""The webhook scenario: signed GitHub ``pull_request`` deliveries and a local fake GitHub.

Measures two things: how fast reviewbot acknowledges a delivery, and how long it takes from
sending the delivery until reviewbot's post-back (``POST /repos/{owner}/{repo}/pulls/{n}/
requested_reviewers``) reaches the fake host. The phase runs only when the service has the
endpoint (``POST /webhooks/github`` answers something other than 404/405).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import httptools
import msgspec

from perf.client import Connection, TransportError
from perf.scenario import World
from perf.servers import Server, free_port, serves
from perf.stats import Endpoint

SECRET = "perf-webhook-secret"
OWNER, REPO = "perf-org", "perf-repo"
_POSTBACK = re.compile(rb"^/repos/([^/]+)/([^/]+)/pulls/(\d+)/requested_reviewers$")
POSTBACK_WAIT = 15.0  # seconds to wait for outstanding post-backs after the last delivery


@dataclass
class FakeGitHub:
    """Answers like GitHub's REST API for what reviewbot calls, and notes when."""

    port: int = 0
    received: dict[int, float] = field(default_factory=dict)  # PR number -> arrival time
    calls: int = 0
    # PR numbers go on across runs against the same service: a number sent again would be
    # an "opened" for a PR that exists, and its post-back time would be the old one's
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def protocol(self) -> asyncio.Protocol:
        return _FakeGitHubProtocol(self)


class _FakeGitHubProtocol(asyncio.Protocol):
    def __init__(self, host: FakeGitHub) -> None:
        self.host = host
        self.parser = httptools.HttpRequestParser(self)
        self.url = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport, hence the cast
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self.transport is not None:
                self.transport.close()

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_message_complete(self) -> None:
        self.host.calls += 1
        path, method = self.url.split(b"?")[0], self.parser.get_method()
        self.url = b""
        match = _POSTBACK.match(path)
        if match and method == b"POST":
            number = int(match[3])
            self.host.received.setdefault(number, time.perf_counter())
            body = msgspec.json.encode({"number": number, "requested_reviewers": []})
            self._answer(b"201 Created", body)
        else:
            self._answer(b"200 OK", b"{}")

    def _answer(self, status: bytes, body: bytes) -> None:
        assert self.transport is not None
        head = b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
        length = b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
        self.transport.write(head + length + body)


@contextlib.asynccontextmanager
async def fake_github() -> AsyncIterator[FakeGitHub]:
    host = FakeGitHub(port=free_port())
    server = await asyncio.get_running_loop().create_server(host.protocol, "127.0.0.1", host.port)
    try:
        yield host
    finally:
        server.close()


def service_env(host: FakeGitHub) -> dict[str, str]:
    return {
        "GITHUB_WEBHOOK_SECRET": SECRET,
        "GITHUB_TOKEN": "perf-token",
        "GITHUB_API_URL": f"http://127.0.0.1:{host.port}",
    }


async def available(server: Server) -> bool:
    return await serves(server, "/webhooks/github")


def delivery(number: int, author: str) -> tuple[bytes, bytes]:
    """(headers, body) of a signed GitHub ``pull_request`` ``opened`` delivery."""
    user = {"login": author, "id": 100000 + number, "type": "User"}
    repo = {
        "id": 4242,
        "name": REPO,
        "full_name": f"{OWNER}/{REPO}",
        "owner": {"login": OWNER, "id": 4243, "type": "Organization"},
    }
    body = msgspec.json.encode({
        "action": "opened",
        "number": number,
        "pull_request": {
            "id": 900000 + number,
            "number": number,
            "state": "open",
            "title": f"perf change {number}",
            "user": user,
            "draft": False,
            "merged": False,
            "requested_reviewers": [],
            "html_url": f"https://github.com/{OWNER}/{REPO}/pull/{number}",
            "head": {"ref": f"change-{number}", "sha": "0" * 40},
            "base": {"ref": "main", "sha": "1" * 40},
        },
        "repository": repo,
        "sender": user,
    })  # fmt: skip
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = (
        "X-GitHub-Event: pull_request\r\n"
        f"X-GitHub-Delivery: {uuid.uuid4()}\r\n"
        f"X-Hub-Signature-256: sha256={signature}\r\n"
        "User-Agent: GitHub-Hookshot/perf\r\n"
    ).encode()
    return headers, body


async def run(
    server: Server, host: FakeGitHub, world: World, senders: int, seconds: float
) -> dict[str, Any]:
    ack = Endpoint()
    sent: dict[int, float] = {}
    t0 = time.perf_counter()
    stop_at = t0 + seconds

    async def sender() -> None:
        conn = Connection("127.0.0.1", server.port)
        try:
            while (start := time.perf_counter()) < stop_at:
                number = next(host.numbers)
                headers, body = delivery(number, world.rng.choice(world.users))
                start = time.perf_counter()
                try:
                    status, _ = await conn.request("POST", "/webhooks/github", body, headers)
                except TransportError as exc:
                    ack.error(str(exc).split(":")[0])
                    continue
                sent[number] = start
                ack.record(status, time.perf_counter() - start, int(start - t0), (200, 201, 202))
        finally:
            conn.close()

    await asyncio.gather(*(sender() for _ in range(senders)))
    postback = await _postbacks(host, sent, t0)
    return {
        "available": True,
        "acknowledgement": ack.summary(seconds),
        "delivery_to_postback": postback.summary(seconds),
        "senders": senders,
        "fake_host_calls": host.calls,
    }


async def _postbacks(host: FakeGitHub, sent: dict[int, float], t0: float) -> Endpoint:
    """Time from each delivery to its post-back, waiting a bounded time for stragglers."""
    deadline = time.perf_counter() + POSTBACK_WAIT
    while not host.received.keys() >= sent.keys() and time.perf_counter() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)  # post-backs arrive on another connection; poll is simplest
    postback = Endpoint()
    for number, start in sent.items():
        if number in host.received:
            postback.record(200, host.received[number] - start, int(start - t0), (200,))
        else:
            postback.error(f"no post-back within {POSTBACK_WAIT:g} s of the end")
    return postback
