"""The OpenAPI file describes every route, and the running service keeps to it.

Schemathesis generates requests from the document (valid ones and deliberately invalid
ones) against a real server on 127.0.0.1, and checks each answer: never a 5xx, a
documented status, the documented content type, a body matching its schema, and invalid
input rejected with a 4xx. Examples per operation are capped so the run stays short.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
import yaml
from schemathesis import checks as st_checks
from starlette.routing import BaseRoute, Mount, Route

import handlers
from bot.app import create_app
from config.settings import Settings
from handlers import all_routes, openapi
from tests.conftest import serving

EXAMPLES_PER_OPERATION = 20  # ~1 s per operation here; keeps the run well under a minute
NOT_DESCRIBED = {"/docs/assets", "/dashboard/static"}  # static files of the pages

schema = schemathesis.openapi.from_dict(openapi.spec())


def test_every_route_is_described() -> None:
    described = {
        (path, method.upper())
        for path, item in openapi.spec()["paths"].items()
        for method in item
        if method in openapi.HTTP_METHODS
    }
    served = set()
    for route in all_routes():
        if isinstance(route, Mount) and route.path in NOT_DESCRIBED:
            continue
        assert isinstance(route, Route), f"unexpected route type {route!r}"
        served |= {(route.path, m) for m in route.methods or () if m != "HEAD"}
    assert served - described == set(), "routes missing from the OpenAPI file"
    assert described - served == set(), "the OpenAPI file describes routes that do not exist"


def _served(routes: list[BaseRoute]) -> set[tuple[str, str]]:
    return {
        (route.path, method)
        for route in routes
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }


def _endpoint_modules() -> list[ModuleType]:
    """Every handlers/ module that serves routes."""
    found = []
    for info in pkgutil.iter_modules(handlers.__path__):
        module = importlib.import_module(f"handlers.{info.name}")
        if hasattr(module, "routes"):
            found.append(module)
    return found


@pytest.mark.parametrize("module", _endpoint_modules(), ids=lambda m: m.__name__)
def test_each_endpoint_module_has_a_fragment_documenting_exactly_its_routes(
    module: ModuleType,
) -> None:
    routes = module.routes() if callable(module.routes) else module.routes
    fragment = Path(openapi.__file__).parent / f"{module.__name__.rsplit('.', 1)[-1]}.yaml"
    spec = yaml.safe_load(fragment.read_text())
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    assert documented == _served(routes)


def test_every_error_response_is_the_envelope() -> None:
    spec = openapi.spec()
    shared = spec["components"]["responses"]
    for path, item in spec["paths"].items():
        for method, op in item.items():
            for status, response in op["responses"].items():
                if int(status) < 400:
                    continue
                if "$ref" in response:
                    response = shared[response["$ref"].removeprefix("#/components/responses/")]
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)


def test_fragments_cannot_overwrite_each_other() -> None:
    one = {"paths": {"/x": {"get": {"responses": {}}}}}
    with pytest.raises(openapi.SpecError, match="GET /x"):
        openapi.assemble([("a.yaml", one), ("b.yaml", one)])
    clash = [
        ("a.yaml", {"components": {"schemas": {"S": {"type": "string"}}}}),
        ("b.yaml", {"components": {"schemas": {"S": {"type": "integer"}}}}),
    ]
    with pytest.raises(openapi.SpecError, match="S"):
        openapi.assemble(clash)


@pytest.fixture(scope="module")
def api_url(migrated: str, redis_url: str) -> Iterator[str]:
    settings = Settings(database_url=migrated, redis_url=redis_url, selection_seed=5)
    with serving(create_app(settings)) as url:
        _seed(url)
        yield url


def _seed(url: str) -> None:
    """A little data, so that generated ids sometimes hit something that exists."""
    with httpx.Client(base_url=url) as c:
        members = [{"user_id": u, "username": u, "is_active": True} for u in ("0", "1", "2")]
        c.post("/team/add", json={"team_name": "0", "members": members})
        c.post(
            "/pullRequest/create",
            json={"pull_request_id": "0", "pull_request_name": "0", "author_id": "0"},
        )


CHECKS: list[Any] = [
    st_checks.not_a_server_error,
    st_checks.status_code_conformance,
    st_checks.content_type_conformance,
    st_checks.response_schema_conformance,
    st_checks.negative_data_rejection,
]


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(hypothesis.HealthCheck),
    database=None,
)
def test_responses_match_the_document(case: Any, api_url: str) -> None:
    case.call_and_validate(base_url=api_url, checks=CHECKS)


async def test_docs_page_is_served_offline(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/docs/assets/") for a in assets)  # nothing external
    for asset in assets:
        response = await client.get(asset)
        assert response.status_code == 200 and len(response.content) > 1000, asset
    served = (await client.get("/openapi.json")).json()
    assert served == openapi.spec() and served["openapi"].startswith("3.1")
