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

from bot.core.errors import BadRequest, WebhookNotConfigured
from bot.hosts.spec import HostSpec

# Hosts send a UUID (36 characters); anything much longer is not a delivery id, and a
# text longer than about 2.7 KB cannot even be indexed by PostgreSQL.
DELIVERY_ID_MAX = 255
_HEX = frozenset("0123456789abcdefABCDEF")


def hmac_hex(secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of the raw body: what signing hosts send, in their own header."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def well_formed_hex(given: str) -> bool:
    """64 hex digits: the shape of a hex HMAC-SHA256."""
    return len(given) == 64 and all(c in _HEX for c in given)


def precheck(spec: HostSpec[Any], headers: Mapping[str, str], secret: str | None) -> str:
    """Before any byte of the body is read: the secret is set, and the headers carry what
    the host's check needs (for a token-only host, the whole check). Returns the secret."""
    if not secret:
        raise WebhookNotConfigured(
            f"{spec.name} webhooks are refused: set {spec.webhook_secret_variable} to enable them"
        )
    spec.precheck(headers, secret)
    return secret


def verify(
    spec: HostSpec[Any], headers: Mapping[str, str], body: bytes, secret: str | None
) -> None:
    """Raise unless the delivery is signed with ``secret``; refuse when no secret is set."""
    spec.verify(headers, body, precheck(spec, headers, secret))


def delivery_id(spec: HostSpec[Any], headers: Mapping[str, str], body: bytes) -> str:
    """The host's delivery id; a hash of the body when a (very old) host sends none."""
    for name in spec.delivery_headers:
        value = headers.get(name)
        if value and len(value) > DELIVERY_ID_MAX:
            raise BadRequest(f"{name} header is longer than {DELIVERY_ID_MAX} characters")
        if value:
            return value
    return "body-sha256:" + hashlib.sha256(body).hexdigest()
