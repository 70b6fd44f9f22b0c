"""Inputs that used to reach Python or PostgreSQL unchecked (500s) or unbounded
(query parameters, PR ids, the outbox retry body)."""

from __future__ import annotations

import base64

import httpx
import msgspec
import pytest

from bot.hosts.registry import parse_pr_id
from tests.conftest import add_team, member


def _cursor(at: str, pr_id: str) -> str:
    raw = msgspec.json.encode([at, pr_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "²"},  # str.isdigit() says yes, int() says no
        {"limit": "9" * 5000},  # beyond int()'s digit limit
        {"cursor": _cursor("2024-01-01T00:00:00+00:00", "pr\x00")},  # NUL: PostgreSQL text
        {"cursor": _cursor("0001-01-01T00:00:00+14:00", "pr")},  # before year 1 in UTC
    ],
)
async def test_bad_list_parameters_are_400(
    client: httpx.AsyncClient, query: dict[str, str]
) -> None:
    response = await client.get("/pullRequest/list", params=query)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize(
    "query",
    [
        {"pr_limit": "³"},
        {"since": "0001-01-01T00:00:00+14:00"},
        {"until": "9999-12-31T23:59:59-14:00"},
    ],
)
async def test_bad_stats_parameters_are_400(
    client: httpx.AsyncClient, query: dict[str, str]
) -> None:
    response = await client.get("/stats", params=query)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "BAD_REQUEST"


async def test_a_pr_id_that_looks_like_a_host_pr_with_a_non_ascii_number_is_no_500(
    client: httpx.AsyncClient,
) -> None:
    # The outbox listener parses every PR id for host coordinates; '²' passed isdigit().
    # Host-shaped ids are now refused on create altogether (issue 10): a clean 400.
    await add_team(client, "t", member("a"), member("b"))
    response = await client.post(
        "/pullRequest/create",
        json={"pull_request_id": "github:o/r#²", "pull_request_name": "x", "author_id": "a"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "BAD_REQUEST"
    assert parse_pr_id("github:o/r#²") is None


async def test_outbox_retry_caps_its_body_like_every_other_endpoint(
    client: httpx.AsyncClient,
) -> None:
    body = b'{"ids": [' + b"1," * (1 << 20) + b"1]}"
    response = await client.post("/outbox/retry", content=body)
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize("path", ["/webhooks/github", "/team/add", "/pullRequest/merge"])
@pytest.mark.parametrize("length", [b"\xb2", b"9" * 5000])
async def test_a_strange_content_length_is_no_500(
    client: httpx.AsyncClient, path: str, length: bytes
) -> None:
    # Starlette decodes headers as latin-1: b"\xb2" is '²', which isdigit() accepts.
    response = await client.post(path, content=b"{}", headers={"content-length": length})
    assert response.status_code < 500, response.text


async def test_a_required_query_parameter_over_the_limit_is_refused_without_being_echoed(
    client: httpx.AsyncClient,
) -> None:
    huge = "x" * 20_000
    for path, name in (
        ("/pullRequest/get", "pull_request_id"),
        ("/users/getReview", "user_id"),
        ("/pullRequest/explain", "pull_request_id"),
    ):
        response = await client.get(path, params={name: huge})
        assert response.status_code == 400, path
        assert len(response.content) < 300 and "longer than 1100" in response.text


async def test_merge_and_reassign_take_pr_ids_as_long_as_a_webhook_can_store(
    client: httpx.AsyncClient,
) -> None:
    long_id = "gitlab:" + "/".join(["g" * 200] * 4) + "/proj!12"
    for path, body in (
        ("/pullRequest/merge", {"pull_request_id": long_id}),
        ("/pullRequest/reassign", {"pull_request_id": long_id, "old_user_id": "u"}),
    ):
        response = await client.post(path, json=body)
        # Not a 400 about the id's length: the id is looked up (and this one does not exist).
        assert response.status_code == 404, response.text


@pytest.mark.parametrize(
    "query",
    [
        b"team_name=a",
        b"team_name=a&team_name=b",
        b"team%5Fname=x%2By+z&other=1",
        b"team_name=&team_name",
        b"&&team_name=%E2%82%AC%ZZ&",
        b"team_name",
        b"x=1;team_name=2",
        b"team_name=\xe9",
        b"",
    ],
)
def test_query_values_read_as_starlette_reads_them(query: bytes) -> None:
    from starlette.requests import Request

    from handlers.params import last_value

    expected = Request({"type": "http", "query_string": query, "headers": []}).query_params
    assert last_value(query, "team_name") == expected.get("team_name")
