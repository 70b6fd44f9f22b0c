"""Authenticity of deliveries: one pure check per host, constant-time comparisons.

``headers`` is any mapping whose lookups are case-insensitive (Starlette's ``Headers``)
or whose keys are lower-case.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from bot.core.errors import Unauthorized, WebhookNotConfigured
from bot.hosts.events import Host

SECRET_VARIABLES = {
    Host.GITHUB: "GITHUB_WEBHOOK_SECRET",
    Host.GITLAB: "GITLAB_WEBHOOK_SECRET",
    Host.GITEA: "GITEA_WEBHOOK_SECRET",
}


def _hmac_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def verify(host: Host, headers: Mapping[str, str], body: bytes, secret: str | None) -> None:
    """Raise unless the delivery is signed with ``secret``; refuse when no secret is set."""
    if not secret:
        variable = SECRET_VARIABLES[host]
        raise WebhookNotConfigured(f"{host} webhooks are refused: set {variable} to enable them")
    if host is Host.GITHUB:
        _verify_github(headers, body, secret)
    elif host is Host.GITLAB:
        _verify_gitlab(headers, secret)
    else:
        _verify_gitea(headers, body, secret)


def _verify_github(headers: Mapping[str, str], body: bytes, secret: str) -> None:
    given = headers.get("x-hub-signature-256")
    if not given:
        raise Unauthorized("missing X-Hub-Signature-256 header")
    if not _same(given, "sha256=" + _hmac_hex(secret, body)):
        raise Unauthorized("X-Hub-Signature-256 does not match the body")


def _verify_gitlab(headers: Mapping[str, str], secret: str) -> None:
    given = headers.get("x-gitlab-token")
    if not given:
        raise Unauthorized("missing X-Gitlab-Token header")
    if not _same(given, secret):
        raise Unauthorized("X-Gitlab-Token does not match the configured secret")


def _verify_gitea(headers: Mapping[str, str], body: bytes, secret: str) -> None:
    # Forgejo sends its own header name (and, for compatibility, usually the Gitea one too).
    given = headers.get("x-forgejo-signature") or headers.get("x-gitea-signature")
    if not given:
        raise Unauthorized("missing X-Gitea-Signature / X-Forgejo-Signature header")
    if not _same(given.lower(), _hmac_hex(secret, body)):
        raise Unauthorized("X-Gitea-Signature does not match the body")


def delivery_id(host: Host, headers: Mapping[str, str], body: bytes) -> str:
    """The host's delivery id; a hash of the body when a (very old) host sends none."""
    names = {
        Host.GITHUB: ("x-github-delivery",),
        Host.GITLAB: ("x-gitlab-event-uuid", "x-gitlab-webhook-uuid"),
        Host.GITEA: ("x-forgejo-delivery", "x-gitea-delivery"),
    }[host]
    for name in names:
        value = headers.get(name)
        if value:
            return value
    return "body-sha256:" + hashlib.sha256(body).hexdigest()
