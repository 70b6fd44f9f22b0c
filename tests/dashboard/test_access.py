"""Dashboard access with tokens set: login form, session cookie, CSRF, admin-only retry."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest_asyncio
import redis.asyncio as redis

from config.settings import Secret
from tests.conftest import AppFactory
from tests.dashboard.seed import Seeded, seed

ADMIN = "dashboard-admin-token-0123456789"
USER = "dashboard-user-token-0123456789"


@pytest_asyncio.fixture
async def guarded(
    make_client: AppFactory, pg: asyncpg.Pool, redis_client: redis.Redis
) -> AsyncIterator[tuple[httpx.AsyncClient, Seeded]]:
    tokens = {"admin_token": Secret(ADMIN), "user_token": Secret(USER)}
    async with make_client(outbox_worker=False, **tokens) as client:
        client.headers["authorization"] = f"Bearer {ADMIN}"  # for seeding through the API
        seeded = await seed(client, pg, redis_client)
        del client.headers["authorization"]
        yield client, seeded


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "no CSRF field"
    return found.group(1)


async def _login(client: httpx.AsyncClient, token: str) -> httpx.Response:
    form = await client.get("/dashboard/login")
    assert form.status_code == 200
    return await client.post("/dashboard/login", data={"token": token, "csrf": _csrf(form.text)})


async def test_the_page_needs_a_login_and_the_login_page_is_open(
    guarded: tuple[httpx.AsyncClient, Seeded],
) -> None:
    client, _ = guarded
    page = await client.get("/dashboard")
    assert page.status_code == 303 and page.headers["location"] == "/dashboard/login"
    form = await client.get("/dashboard/login")
    assert form.status_code == 200 and 'type="password"' in form.text
    assert 'method="post"' in form.text  # the token goes in the body, never in a URL


async def test_a_wrong_token_goes_back_to_the_form(
    guarded: tuple[httpx.AsyncClient, Seeded],
) -> None:
    client, _ = guarded
    response = await _login(client, "not-a-token")
    assert response.status_code == 303 and response.headers["location"] == "/dashboard/login"
    again = await client.get("/dashboard/login")
    assert "That token is not valid." in again.text
    assert (await client.get("/dashboard")).status_code == 303


async def test_a_user_reads_but_cannot_retry(guarded: tuple[httpx.AsyncClient, Seeded]) -> None:
    client, data = guarded
    response = await _login(client, USER)
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/dashboard" in cookie
    page = await client.get("/dashboard")
    assert page.status_code == 200 and 'data-team="platform"' in page.text
    assert "/dashboard/retry" not in page.text  # no retry button for a user
    refused = await client.post(
        "/dashboard/retry", data={"csrf": _csrf(page.text), "id": str(data.failed_outbox_id)}
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "FORBIDDEN"


async def test_an_admin_retries_with_the_csrf_token_only(
    guarded: tuple[httpx.AsyncClient, Seeded], pg: asyncpg.Pool
) -> None:
    client, data = guarded
    await _login(client, ADMIN)
    page = await client.get("/dashboard")
    assert 'id="retry-all"' in page.text
    outbox_id = str(data.failed_outbox_id)
    forged = await client.post("/dashboard/retry", data={"csrf": "forged", "id": outbox_id})
    assert forged.status_code == 403
    missing = await client.post("/dashboard/retry", data={"id": outbox_id})
    assert missing.status_code == 403
    state = "SELECT state FROM outbox WHERE id = $1"
    assert await pg.fetchval(state, data.failed_outbox_id) == "failed"
    done = await client.post("/dashboard/retry", data={"csrf": _csrf(page.text), "id": outbox_id})
    assert done.status_code == 303 and done.headers["location"] == "/dashboard"
    assert await pg.fetchval(state, data.failed_outbox_id) == "pending"
    after = await client.get("/dashboard")
    assert "1 failed post-back sent back to the outbox." in after.text


async def test_the_cookie_holds_no_token_and_is_no_bearer(
    guarded: tuple[httpx.AsyncClient, Seeded],
) -> None:
    client, _ = guarded
    await _login(client, ADMIN)
    value = client.cookies["reviewbot_dashboard"]
    payload = value.split(".")[0]
    content = json.loads(base64.b64decode(payload + "=" * (-len(payload) % 4)))
    assert content["role"] == "admin" and ADMIN not in json.dumps(content)
    # The session opens the dashboard only: the API still wants the bearer token.
    assert (await client.get("/stats")).status_code == 401


async def test_logout_ends_the_session(guarded: tuple[httpx.AsyncClient, Seeded]) -> None:
    client, _ = guarded
    await _login(client, USER)
    page = await client.get("/dashboard")
    stale = await client.post("/dashboard/logout", data={"csrf": "wrong"})
    assert stale.status_code == 403
    response = await client.post("/dashboard/logout", data={"csrf": _csrf(page.text)})
    assert response.status_code == 303 and response.headers["location"] == "/dashboard/login"
    assert (await client.get("/dashboard")).status_code == 303


async def test_new_tokens_end_old_sessions(
    guarded: tuple[httpx.AsyncClient, Seeded], make_client: AppFactory
) -> None:
    client, _ = guarded
    await _login(client, ADMIN)
    cookie = client.cookies["reviewbot_dashboard"]
    rotated = {"admin_token": Secret(ADMIN + "-new"), "user_token": Secret(USER)}
    async with make_client(outbox_worker=False, **rotated) as other:
        other.cookies.set("reviewbot_dashboard", cookie, path="/dashboard")
        assert (await other.get("/dashboard")).status_code == 303
