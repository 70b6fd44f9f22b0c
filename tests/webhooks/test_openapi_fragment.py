"""The OpenAPI fragment documents exactly the routes this feature serves."""

from __future__ import annotations

from pathlib import Path

import yaml
from starlette.routing import Route

from handlers import webhooks

FRAGMENT = Path(webhooks.__file__).parent / "openapi" / "webhooks.yaml"


def test_every_webhook_route_is_documented_and_nothing_else() -> None:
    spec = yaml.safe_load(FRAGMENT.read_text())
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    served = {
        (r.path, m)
        for r in webhooks.routes
        if isinstance(r, Route)
        for m in (r.methods or ())
        if m != "HEAD"
    }
    assert documented == served


def test_error_responses_use_the_shared_envelope() -> None:
    spec = yaml.safe_load(FRAGMENT.read_text())
    error = spec["components"]["responses"]["WebhookError"]
    assert error["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
