"""Hostile deliveries (issue 10): each gets a clean answer and changes nothing.

Path injection through a payload's repository, oversized stored strings, deep nesting,
and slow or unsigned uploads refused before their body is read (real uvicorn, raw sockets).
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from dataclasses import replace
from typing import Any

import asyncpg
import httpx
import pytest

from bot.app import create_app
from config.settings import Settings
from tests.conftest import serving, with_hosts
from tests.webhooks.conftest import FIXTURE_EVENTS, HOOK_HOSTS, SECRETS, Bot, load, signed_headers

OPENED = {
    "github": "pull_request__opened",
    "gitlab": "merge_request__open",
    "gitea": "pull_request__opened",
}
HOSTS = list(OPENED)


def _set_repo(host: str, path: str) -> Any:
    def edit(payload: dict[str, Any]) -> None:
        if host == "gitlab":
            payload["project"]["path_with_namespace"] = path
        else:
            payload["repository"]["full_name"] = path

    return edit


async def _nothing_stored(pg: asyncpg.Pool) -> None:
    assert await pg.fetchval("SELECT count(*) FROM pull_requests") == 0
    assert await pg.fetchval("SELECT count(*) FROM webhook_deliveries") == 0
    assert await pg.fetchval("SELECT count(*) FROM outbox") == 0


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize(
    "path",
    [
        "o/r/../../../orgs/evil/hooks?x=",
        "victim/secret#frag",
        "../admin",
        "o/r%2F..",
        "owner/" + "r" * 20_000,
    ],
    ids=["traversal", "fragment", "dotdot", "encoded", "20kB"],
)
async def test_a_repository_path_the_host_would_not_send_is_400(
    bot: Bot, pg: asyncpg.Pool, host: str, path: str
) -> None:
    answer = await bot.post(host, OPENED[host], edit=_set_repo(host, path))
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "BAD_REQUEST"
    assert "repository path" in answer.json()["error"]["message"]
    await _nothing_stored(pg)


@pytest.mark.parametrize("host", HOSTS)
async def test_a_delivery_id_over_255_characters_is_400(
    bot: Bot, pg: asyncpg.Pool, host: str
) -> None:
    answer = await bot.post(host, OPENED[host], delivery="d" * 3000)
    assert answer.status_code == 400, answer.text
    assert "longer than 255" in answer.json()["error"]["message"]
    await _nothing_stored(pg)


@pytest.mark.parametrize("host", HOSTS)
async def test_json_nested_1000_deep_is_400(bot: Bot, pg: asyncpg.Pool, host: str) -> None:
    payload = load(host, OPENED[host])
    body = json.dumps(payload)[:-1].encode() + b', "ignored": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    headers = signed_headers(host, FIXTURE_EVENTS[host](OPENED[host]), body, "d1", SECRETS[host])
    answer = await bot.client.post(f"/webhooks/{host}", content=body, headers=headers)
    assert answer.status_code == 400, answer.text
    assert "nested too deeply" in answer.json()["error"]["message"]
    await _nothing_stored(pg)


@pytest.mark.parametrize("host", HOSTS)
async def test_a_huge_title_is_stored_cut_to_1000_characters(
    bot: Bot, pg: asyncpg.Pool, host: str
) -> None:
    def titled(payload: dict[str, Any]) -> None:
        (payload["object_attributes"] if host == "gitlab" else payload["pull_request"])["title"] = (
            "t" * (4 << 20)
        )

    answer = await bot.post(host, OPENED[host], edit=titled)
    assert answer.status_code == 200, answer.text
    names = await pg.fetch("SELECT pull_request_name FROM pull_requests")
    assert [len(r["pull_request_name"]) for r in names] == [1000]


async def test_user_names_longer_than_any_host_allows_are_not_stored(
    bot: Bot, pg: asyncpg.Pool
) -> None:
    # GitLab payloads teach numeric ids of user names, kept in an indexed table.
    def long_author(payload: dict[str, Any]) -> None:
        payload["user"]["username"] = "u" * 20_000

    answer = await bot.post("gitlab", OPENED["gitlab"], edit=long_author)
    assert answer.status_code == 202, answer.text  # an author nobody knows
    assert await pg.fetchval("SELECT count(*) FROM gitlab_users WHERE length(username) > 255") == 0


@pytest.mark.parametrize(
    "pr_id",
    [
        "github:victim/secret#frag#2",
        "github:o/r/../../../orgs/evil/hooks?x=#1",
        "gitea:a/b#1",
        "gitlab:g/p!1",
        "github:not-even-parsable",
    ],
)
async def test_rest_create_refuses_host_shaped_ids(bot: Bot, pg: asyncpg.Pool, pr_id: str) -> None:
    answer = await bot.client.post(
        "/pullRequest/create",
        json={"pull_request_id": pr_id, "pull_request_name": "x", "author_id": "alice"},
    )
    assert answer.status_code == 400, answer.text
    assert "kept for pull requests that arrive" in answer.json()["error"]["message"]
    await _nothing_stored(pg)


# -- slow and unsigned uploads, against a real uvicorn --------------------------------------


def _app(settings: Settings, **overrides: Any) -> Any:
    return create_app(with_hosts(replace(settings, outbox_worker=False, **overrides), **HOOK_HOSTS))


def _open(url: str, host: str, headers: dict[str, str], length: int) -> socket.socket:
    port = int(url.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    lines = [f"POST /webhooks/{host} HTTP/1.1", "host: reviewbot", f"content-length: {length}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def _answer(sock: socket.socket) -> tuple[int, bytes, float]:
    """Status, everything read until the server closed, and how long that took."""
    started, data = time.monotonic(), b""
    with sock:
        while chunk := sock.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1]), data, time.monotonic() - started


UNSIGNED = {
    "github": {"x-github-event": "pull_request"},
    "gitlab": {"x-gitlab-event": "Merge Request Hook", "x-gitlab-token": "wrong"},
    "gitea": {"x-gitea-event": "pull_request"},
}


@pytest.mark.parametrize("host", HOSTS)
def test_unsigned_deliveries_are_refused_before_their_body(settings: Settings, host: str) -> None:
    with serving(_app(settings, body_read_timeout=30.0)) as url:
        sock = _open(url, host, UNSIGNED[host], 4 << 20)  # announces 4 MiB, sends none
        status, data, took = _answer(sock)
    assert status == 401, data
    assert took < 5, "answered without waiting for the body (whose deadline is 30 s)"


def test_a_stalled_body_gets_408_at_its_deadline_and_the_connection_closes(
    settings: Settings,
) -> None:
    headers = signed_headers("github", "ping", b"{}", str(uuid.uuid4()), SECRETS["github"])
    with serving(_app(settings, body_read_timeout=1.0)) as url:
        sock = _open(url, "github", headers, 1000)
        sock.sendall(b"{")  # and nothing more
        status, data, took = _answer(sock)
    assert status == 408, data
    assert b"REQUEST_TIMEOUT" in data
    assert 0.5 < took < 8


def test_bodies_in_flight_are_bounded(settings: Settings) -> None:
    """One slot: a complete delivery waits while a stalled one holds it, and is answered
    once that one has timed out; a third, waiting longer than the deadline, is 503 BUSY."""
    ping = b'{"hook_id": 1}'
    signed = signed_headers("github", "ping", ping, "p", SECRETS["github"])
    with serving(_app(settings, body_read_timeout=1.5, bodies_in_flight=1)) as url:
        stalled = _open(url, "github", signed, 1000)
        time.sleep(0.3)
        second = _open(url, "github", signed, 1000)  # waits for the slot, then stalls
        time.sleep(0.3)
        third = _open(url, "github", signed, len(ping))
        third.sendall(ping)
        first_status, _, _ = _answer(stalled)
        third_status, third_data, _ = _answer(third)
        second_status, _, _ = _answer(second)
    assert (first_status, second_status) == (408, 408)
    assert third_status == 503 and b"BUSY" in third_data and b"retry-after" in third_data.lower()


def test_stalled_deliveries_do_not_hold_up_the_api(settings: Settings) -> None:
    """Webhook and API bodies take turns apart: with the one webhook slot held by a stalled
    delivery whose signature looks right, an API write is answered at once."""
    forged = {"x-github-event": "pull_request", "x-hub-signature-256": "sha256=" + "0" * 64}
    with serving(_app(settings, body_read_timeout=3.0, bodies_in_flight=1)) as url:
        stalled = _open(url, "github", forged, 1000)
        time.sleep(0.3)
        started = time.monotonic()
        created = httpx.post(f"{url}/team/add", json={"team_name": "t", "members": []}, timeout=10)
        waited = time.monotonic() - started
        status, _, _ = _answer(stalled)
    assert created.status_code == 201, created.text
    assert waited < 2.5  # not held until the stalled delivery's 3 s deadline
    assert status == 408
