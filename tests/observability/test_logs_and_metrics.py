"""Prometheus metrics, request ids and structured JSON logs."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from collections.abc import Iterator

import httpx
import pytest

from bot.observability import logs
from tests.conftest import add_team, member


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name + (f"{{{wanted}}}" if wanted else "")) + r" ([0-9.e+-]+)$"
    found = re.search(pattern, text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def _metrics(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_requests_are_counted_by_route_template_and_status(
    client: httpx.AsyncClient,
) -> None:
    labels = {"method": "GET", "route": "/team/get", "status": "404"}
    before = await _metrics(client)
    for _ in range(3):
        await client.get("/team/get", params={"team_name": "nope"})
    await client.get("/no/such/path")
    after = await _metrics(client)
    total = "reviewbot_http_requests_total"
    assert _sample(after, total, **labels) - _sample(before, total, **labels) == 3
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert _sample(after, total, **unmatched) - _sample(before, total, **unmatched) == 1
    count = "reviewbot_http_request_duration_seconds_count"
    assert _sample(after, count, **labels) - _sample(before, count, **labels) == 3


async def test_resource_and_outbox_metrics_are_exposed(client: httpx.AsyncClient) -> None:
    await add_team(client, "core", member("a"), member("b"))
    for _ in range(2):
        await client.get("/team/get", params={"team_name": "core"})
    text = await _metrics(client)
    assert _sample(text, "reviewbot_cache_hits_total") >= 1
    assert _sample(text, "reviewbot_cache_misses_total") >= 1
    assert _sample(text, "reviewbot_db_pool_connections") >= 1
    assert _sample(text, "reviewbot_db_pool_max") == 10
    assert "reviewbot_db_pool_in_use" in text
    for name in (
        "reviewbot_webhook_deliveries_total",
        "reviewbot_outbox_depth",
        "reviewbot_outbox_failures_total",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in text


async def test_request_id_is_generated_or_honoured(client: httpx.AsyncClient) -> None:
    generated = (await client.get("/health")).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    given = await client.get("/health", headers={"X-Request-ID": "trace-42"})
    assert given.headers["x-request-id"] == "trace-42"
    unsafe = await client.get("/health", headers={"X-Request-ID": "x\tinjected " * 20})
    assert re.fullmatch(r"[0-9a-f]{32}", unsafe.headers["x-request-id"])
    # Error answers carry it too.
    assert "x-request-id" in (await client.get("/team/get")).headers


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.JsonFormatter(secrets=["s3cret-value"]))
    logger = logging.getLogger("reviewbot.access")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    yield out
    logger.removeHandler(handler)
    logger.setLevel(previous)


async def test_access_log_is_json_with_the_request_id(
    client: httpx.AsyncClient, json_log: io.StringIO
) -> None:
    await client.get("/team/get", params={"team_name": "x"}, headers={"X-Request-ID": "r-1"})
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    entry = next(e for e in lines if e.get("request_id") == "r-1")
    assert entry["logger"] == "reviewbot.access"
    assert entry["status"] == 404
    assert entry["message"] == "GET /team/get 404"
    assert entry["level"] == "INFO" and entry["ts"].endswith("Z")
    assert isinstance(entry["ms"], float)


def test_formatter_masks_secrets_and_keeps_extras() -> None:
    formatter = logs.JsonFormatter(secrets=["s3cret-value", ""])
    record = logging.LogRecord(
        "x", logging.WARNING, __file__, 1, "token=%s", ("s3cret-value",), None
    )
    record.__dict__["detail"] = {"header": "Bearer s3cret-value"}
    token = logs.request_id.set("abc")
    try:
        entry = json.loads(formatter.format(record))
    finally:
        logs.request_id.reset(token)
    assert entry["message"] == f"token={logs.MASK}"
    assert entry["detail"] == {"header": f"Bearer {logs.MASK}"}
    assert entry["request_id"] == "abc"


@pytest.mark.parametrize(
    "secret",
    [
        'quo"te-secret',
        "back\\slash",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
    ],
)
def test_secrets_that_json_escapes_are_masked_too(secret: str) -> None:
    formatter = logs.JsonFormatter(secrets=[secret])
    try:
        raise ValueError(f"bad key {secret}")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "key %s", (secret,), None)
        record.exc_info = sys.exc_info()
    record.__dict__["detail"] = {"nested": [secret, {"deeper": secret}]}
    line = formatter.format(record)
    entry = json.loads(line)
    assert secret not in json.dumps(entry) and secret.split("\n")[0] not in line
    assert entry["message"] == f"key {logs.MASK}"
    assert entry["detail"] == {"nested": [logs.MASK, {"deeper": logs.MASK}]}
    assert logs.MASK in entry["exception"]


def test_secret_values_come_from_the_settings() -> None:
    from config.settings import Secret, Settings
    from tests.conftest import with_hosts

    settings = Settings(admin_token=Secret("adm"))
    settings = with_hosts(settings, github={"token": Secret("gh")}, gitea={"token": Secret("gt")})
    assert sorted(logs.secret_values(settings)) == ["adm", "gh", "gt"]


def test_a_short_secret_is_not_smeared_over_every_line() -> None:
    formatter = logs.JsonFormatter(secrets=["s", "long-enough-secret"])
    record = logging.LogRecord(
        "x",
        logging.INFO,
        __file__,
        1,
        "starting embedded PostgreSQL %s",
        ("long-enough-secret",),
        None,
    )
    entry = json.loads(formatter.format(record))
    assert entry["message"] == f"starting embedded PostgreSQL {logs.MASK}"


def test_a_secret_that_begins_another_does_not_leave_the_others_tail() -> None:
    formatter = logs.JsonFormatter(secrets=["shorttok", "shorttokLONGERsecret"])
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "%s", ("shorttokLONGERsecret",), None
    )
    assert json.loads(formatter.format(record))["message"] == logs.MASK
