"""The served OpenAPI document is valid and complete (issue 12, point 6)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
from openapi_spec_validator import validate

from handlers import openapi


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in openapi.HTTP_METHODS
    ]


def _broken(spec: dict[str, Any]) -> list[str]:
    """Every rule the document breaks, as readable lines."""
    broken: list[str] = []
    defined = [t["name"] for t in spec.get("tags", [])]
    if len(set(defined)) != len(defined):
        broken.append("a tag is defined twice")
    ids = Counter(op.get("operationId") for _, _, op in _operations(spec))
    for path, method, op in _operations(spec):
        where = f"{method.upper()} {path}"
        if not op.get("operationId") or ids[op.get("operationId")] > 1:
            broken.append(f"{where}: no unique operationId")
        if not op.get("description"):
            broken.append(f"{where}: no description")
        tags = op.get("tags", [])
        if len(tags) != 1 or tags[0] not in defined:
            broken.append(f"{where}: tags {tags} is not one defined tag")
        responses = op.get("responses", {})
        access = op.get("x-access")
        if path.startswith("/webhooks/"):
            if op.get("security") != []:
                broken.append(f"{where}: a webhook must declare no bearer security")
            broken += [f"{where}: no {s}" for s in ("401", "403", "415") if s not in responses]
        if access in ("admin", "user") and "401" not in responses:
            broken.append(f"{where}: needs a token but lists no 401")
        if "requestBody" in op and "413" not in responses:
            broken.append(f"{where}: reads a body but lists no 413")
        if op.get("x-store", True) is not False and "503" not in responses:
            broken.append(f"{where}: uses the store but lists no 503")
    return broken


async def test_the_served_document_is_valid_openapi_and_keeps_the_rules(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    served = response.json()
    validate(served)
    assert _broken(served) == []
    names = {t["name"] for t in served["tags"]}
    assert names == {
        "teams",
        "users",
        "pull_requests",
        "webhooks",
        "outbox",
        "stats",
        "simulate",
        "operations",
        "dashboard",
    }


def test_the_rules_catch_what_they_forbid() -> None:
    spec = openapi.spec()
    webhook = spec["paths"]["/webhooks/github"]["post"]
    broken = {
        **spec,
        "paths": {
            "/webhooks/github": {"post": {**webhook, "security": [{"bearer": []}]}},
            "/team/get": {"get": {"responses": {"200": {"description": "x"}}, "x-access": "user"}},
        },
    }
    found = _broken(broken)
    assert "POST /webhooks/github: a webhook must declare no bearer security" in found
    assert "GET /team/get: no description" in found
    assert "GET /team/get: needs a token but lists no 401" in found
    assert "GET /team/get: uses the store but lists no 503" in found
    assert "GET /team/get: tags [] is not one defined tag" in found
