"""The OpenAPI fragment documents exactly the team-config endpoints, with error envelopes."""

from __future__ import annotations

from pathlib import Path

import yaml
from starlette.routing import Route

from handlers import teams_config

FRAGMENT = Path(__file__).resolve().parent.parent / "handlers" / "openapi" / "teams_config.yaml"


def test_fragment_matches_the_routes() -> None:
    spec = yaml.safe_load(FRAGMENT.read_text())
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    served = {
        (route.path, method)
        for route in teams_config.routes
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }
    assert documented == served
    for ops in spec["paths"].values():
        for op in ops.values():
            for status, response in op["responses"].items():
                schema = response["content"]["application/json"]["schema"]["$ref"]
                if int(status) >= 400:
                    assert schema == "#/components/schemas/Error"
                else:
                    assert (
                        schema.removeprefix("#/components/schemas/")
                        in spec["components"]["schemas"]
                    )
