"""Operational endpoints: ``/health``, ``/ready``, ``/metrics``, ``/openapi.json`` and ``/docs``.

The Swagger UI files come from the ``swagger-ui-py`` package and are served from here, so
the page works with no network access at all.
"""

from __future__ import annotations

import contextlib
from importlib.util import find_spec
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.core.errors import Unavailable
from bot.observability.metrics import OUTBOX_DEPTH
from handlers import openapi
from handlers.codec import json_response
from handlers.deps import services_if_started

ASSETS_PATH = "/docs/assets"

DOCS_PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>reviewbot API</title>
  <link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{url: "/openapi.json", dom_id: "#swagger-ui"}});
  </script>
</body>
</html>
"""


def swagger_ui_dir() -> Path:
    """The folder of Swagger UI's static files, found without importing its package."""
    found = find_spec("swagger_ui")
    if found is None or found.origin is None:
        raise RuntimeError("the swagger-ui-py package is not installed")
    return Path(found.origin).parent / "static"


async def health(request: Request) -> Response:
    return json_response({"status": "ok"})


async def ready(request: Request) -> Response:
    """200 when PostgreSQL answers (Redis reported alongside); 503 ``UNAVAILABLE`` if not."""
    found = services_if_started(request)
    if found is None:
        raise Unavailable("not ready: the service is still starting")
    report = await found.readiness.check()  # Unavailable → the error table's 503
    return json_response(
        {"status": "ready", "checks": {"postgres": report.postgres, "redis": report.redis}}
    )


async def metrics(request: Request) -> Response:
    found = services_if_started(request)
    if found is not None:
        # While PostgreSQL is away the gauge keeps its last value; the rest still scrapes.
        with contextlib.suppress(Unavailable):
            for state, count in (await found.outbox.depth()).items():
                OUTBOX_DEPTH.labels(state).set(count)
    body = generate_latest(REGISTRY)
    if found is not None:
        body += generate_latest(found.metrics_registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


async def openapi_json(request: Request) -> Response:
    return Response(openapi.spec_json(), media_type="application/json")


async def docs(request: Request) -> Response:
    return HTMLResponse(DOCS_PAGE)


def routes() -> list[BaseRoute]:
    openapi.spec_json()  # assemble now: a broken fragment stops the start, not a request
    return [
        Route("/health", health, methods=["GET"]),
        Route("/ready", ready, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route("/docs", docs, methods=["GET"]),
        Mount(ASSETS_PATH, app=StaticFiles(directory=swagger_ui_dir()), name="docs-assets"),
    ]
