"""The team-config OpenAPI fragment answers errors with the shared envelope."""

from __future__ import annotations

from pathlib import Path

import yaml

FRAGMENT = Path(__file__).resolve().parent.parent / "handlers" / "openapi" / "teams_config.yaml"


def test_responses_use_the_envelope_or_a_known_schema() -> None:
    # Which routes it documents is checked with every fragment in tests/test_openapi.py.
    spec = yaml.safe_load(FRAGMENT.read_text())
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
