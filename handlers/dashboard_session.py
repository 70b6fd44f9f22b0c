"""Who is looking at the dashboard: a signed session cookie from the login form, and CSRF.

The session (Starlette's ``SessionMiddleware``) holds the role the login token proved,
``admin`` or ``user``, never the token: its content is signed, not encrypted. The signing
key is derived from the configured tokens (and the database URL), so every worker and
instance agrees on it with no extra variable, a forged cookie needs every token that is
set, and changing a token ends every session at once. The cookie is HttpOnly,
SameSite=Strict and scoped to ``/dashboard``; API requests never carry or parse it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs

from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.core.errors import BadRequest, Forbidden
from config.settings import Settings
from handlers.codec import read_raw
from handlers.deps import Services

PREFIX = "/dashboard"
HOME = PREFIX
LOGIN = "/dashboard/login"
COOKIE = "reviewbot_dashboard"
SESSION_HOURS = 12
FORM_MAX_BYTES = 4096


class Role(StrEnum):
    ADMIN = "admin"
    USER = "user"


def session_secret(settings: Settings) -> str:
    """HMAC-SHA256 over every configured token: one-way, identical in every process."""
    parts = [
        settings.admin_token.reveal() if settings.admin_token else "",
        settings.user_token.reveal() if settings.user_token else "",
        settings.database_url or "",
    ]
    material = "\0".join(parts).encode()
    return hmac.new(b"reviewbot dashboard session v1", material, hashlib.sha256).hexdigest()


class DashboardSessions:
    """``SessionMiddleware`` for ``/dashboard`` paths only: the rest of the API pays nothing."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.sessions = SessionMiddleware(
            app,
            secret_key=session_secret(settings),
            session_cookie=COOKIE,
            max_age=SESSION_HOURS * 3600,
            path=PREFIX,
            same_site="strict",
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == PREFIX or path.startswith(PREFIX + "/"):
            await self.sessions(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def tokens_set(settings: Settings) -> bool:
    return settings.admin_token is not None or settings.user_token is not None


def role_of(request: Request, settings: Settings) -> Role | None:
    """The signed-in role; with no token configured everyone is admin, as on the API."""
    if not tokens_set(settings):
        return Role.ADMIN
    found = request.session.get("role")
    return Role(found) if found in (Role.ADMIN, Role.USER) else None


def role_for_token(token: str, settings: Settings) -> Role | None:
    """Which role a login token proves; both comparisons always run (constant time)."""
    given = token.encode()
    admin = settings.admin_token.reveal().encode() if settings.admin_token else None
    user = settings.user_token.reveal().encode() if settings.user_token else None
    is_admin = admin is not None and hmac.compare_digest(given, admin)
    is_user = user is not None and hmac.compare_digest(given, user)
    if is_admin:
        return Role.ADMIN
    return Role.USER if is_user else None


def sign_in(request: Request, role: Role) -> None:
    """A fresh session for the role (a new CSRF token: nothing from before carries over)."""
    request.session.clear()
    request.session["role"] = role.value
    request.session["csrf"] = secrets.token_urlsafe(32)


def csrf_token(request: Request) -> str:
    """This session's CSRF token, made on first use; forms carry it in a hidden field."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, form: dict[str, str]) -> bool:
    expected = request.session.get("csrf")
    given = form.get("csrf", "")
    return isinstance(expected, str) and bool(expected) and hmac.compare_digest(given, expected)


def require_csrf(request: Request, form: dict[str, str]) -> None:
    if not csrf_ok(request, form):
        raise Forbidden("the form's CSRF token is missing or stale; reload the page")


async def read_form(request: Request, max_bytes: int = FORM_MAX_BYTES) -> dict[str, str]:
    """A small urlencoded form (the last value of each field), within the API's body limits."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await read_raw(request, max_bytes)
    if kind != "application/x-www-form-urlencoded":
        raise BadRequest("the form must be sent as application/x-www-form-urlencoded")
    try:
        parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("the form is not valid urlencoded UTF-8") from None
    return {k: v[-1] for k, v in parsed.items()}


def common_context(request: Request, found: Services, role: Role) -> dict[str, Any]:
    """What every signed-in page's frame needs: the role, the CSRF token, a message."""
    return {
        "role": role.value,
        "signed_in": tokens_set(found.settings),
        "csrf": csrf_token(request),
        "flash": request.session.pop("flash", None),
    }
