"""Bearer tokens: writes need the admin token, reads either; some paths are always open."""

from __future__ import annotations

import pytest
from starlette.routing import Route

from config.settings import Secret
from handlers import all_routes, openapi
from handlers.middleware import Access, access_needed
from tests.conftest import AppFactory

ADMIN = "admin-secret-token"
USER = "user-secret-token"
OPEN_PATHS = {"/health", "/ready", "/metrics", "/openapi.json", "/docs"}


def _protected_routes() -> list[tuple[str, str]]:
    found = []
    for route in all_routes():
        open_path = route.path in OPEN_PATHS or route.path.startswith("/webhooks/")
        # The dashboard checks its own login session (tests/api/test_dashboard_access.py).
        open_path = open_path or access_needed("GET", route.path) is Access.SESSION
        if isinstance(route, Route) and not open_path:
            found += [(m, route.path) for m in sorted(route.methods or ()) if m != "HEAD"]
    return found


def _documented_access(method: str, path: str) -> str:
    access: str = openapi.spec()["paths"][path][method.lower()]["x-access"]
    return access


def test_the_openapi_document_states_each_operations_access_as_enforced() -> None:
    for path, item in openapi.spec()["paths"].items():
        for method in item:
            assert item[method]["x-access"] == access_needed(method.upper(), path), (method, path)
    assert access_needed("GET", "/outbox/failed") is Access.ADMIN


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tokens() -> dict[str, Secret]:
    return {"admin_token": Secret(ADMIN), "user_token": Secret(USER)}


async def test_every_route_checks_tokens(
    make_client: AppFactory, tokens: dict[str, Secret]
) -> None:
    routes = _protected_routes()
    assert ("POST", "/team/deactivate") in routes and ("GET", "/stats") in routes
    async with make_client(**tokens) as client:
        for method, path in routes:
            user_may = _documented_access(method, path) == "user"
            for headers, allowed in (
                ({}, False),
                (_bearer("wrong"), False),
                ({"Authorization": ADMIN}, False),  # no scheme
                (_bearer(USER), user_may),
                (_bearer(ADMIN), True),
            ):
                response = await client.request(method, path, headers=headers, content=b"{}")
                if allowed:
                    assert response.status_code != 401, (method, path, headers)
                else:
                    assert response.status_code == 401, (method, path, headers)
                    assert response.json()["error"]["code"] == "UNAUTHORIZED"
                    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_open_paths_need_no_token(make_client: AppFactory, tokens: dict[str, Secret]) -> None:
    async with make_client(**tokens) as client:
        for path in [*sorted(OPEN_PATHS), "/docs/assets/swagger-ui.css"]:
            response = await client.get(path)
            assert response.status_code == 200, path
        # Webhook endpoints check their own signatures; the token layer lets them through.
        response = await client.post("/webhooks/github", content=b"{}")
        assert response.status_code != 401


async def test_admin_only_configuration(make_client: AppFactory) -> None:
    async with make_client(admin_token=Secret(ADMIN)) as client:
        assert (await client.get("/team/list", headers=_bearer(ADMIN))).status_code == 200
        assert (await client.get("/team/list", headers=_bearer(USER))).status_code == 401


async def test_no_tokens_means_open_with_a_warning(
    make_client: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async with make_client() as client:
        assert (await client.get("/team/list")).status_code == 200
    assert any("ADMIN_TOKEN and USER_TOKEN are unset" in r.message for r in caplog.records)


async def test_tokens_never_reach_the_logs(
    make_client: AppFactory, tokens: dict[str, Secret], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    async with make_client(**tokens) as client:
        await client.get("/team/list", headers=_bearer(USER))
        await client.post("/team/add", headers=_bearer("wrong-" + ADMIN), json={})
    text = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert ADMIN not in text and USER not in text
    assert "/team/list" in text  # the access log did run


async def test_requests_without_tokens_get_the_envelope(
    make_client: AppFactory, tokens: dict[str, Secret]
) -> None:
    async with make_client(**tokens) as client:
        response = await client.post("/team/add", json={}, headers=_bearer(USER))
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"]  # refusals are traceable too
    assert response.json() == {
        "error": {
            "code": "UNAUTHORIZED",
            "message": "this request changes data and needs the admin token",
        }
    }
