"""Authenticity of deliveries, for any host: the secret must be set, the host's own check
must pass; and the delivery id the host sent. Constant-time comparisons throughout.

``headers`` is any mapping whose lookups are case-insensitive (Starlette's ``Headers``)
or whose keys are lower-case.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from bot.core.errors import WebhookNotConfigured
from bot.hosts.spec import HostSpec


def hmac_hex(secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of the raw body: what signing hosts send, in their own header."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def verify(
    spec: HostSpec[Any], headers: Mapping[str, str], body: bytes, secret: str | None
) -> None:
    """Raise unless the delivery is signed with ``secret``; refuse when no secret is set."""
    if not secret:
        raise WebhookNotConfigured(
            f"{spec.name} webhooks are refused: set {spec.webhook_secret_variable} to enable them"
        )
    spec.verify(headers, body, secret)


def delivery_id(spec: HostSpec[Any], headers: Mapping[str, str], body: bytes) -> str:
    """The host's delivery id; a hash of the body when a (very old) host sends none."""
    for name in spec.delivery_headers:
        value = headers.get(name)
        if value:
            return value
    return "body-sha256:" + hashlib.sha256(body).hexdigest()
