"""The webhook OpenAPI fragment answers errors with the shared envelope.

Which routes it documents is checked with every fragment in tests/test_openapi.py.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from handlers import webhooks

FRAGMENT = Path(webhooks.__file__).parent / "openapi" / "webhooks.yaml"


def test_error_responses_use_the_shared_envelope() -> None:
    spec = yaml.safe_load(FRAGMENT.read_text())
    error = spec["components"]["responses"]["WebhookError"]
    assert error["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
