"""``reviewbot doctor`` for GitHub: the App (GET /app with its JWT) or the token (GET /user)."""

from __future__ import annotations

import time

import httpx
import jwt

from bot.hosts.doctor import Finding, credentials_finding, whoami
from bot.hosts.github.client import API_VERSION, app_jwt
from bot.hosts.github.spec import GitHubSettings

SUBJECT = "GitHub credentials"
APP_VARIABLES = "GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY"


async def check(settings: GitHubSettings, http: httpx.AsyncClient) -> list[Finding]:
    """Nothing when no GitHub credentials are set (the host is not configured)."""
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
    if bool(settings.app_id) != bool(settings.app_private_key):
        return [Finding(False, SUBJECT, "only half of a GitHub App is set", f"set {APP_VARIABLES}")]
    if settings.app_id and settings.app_private_key:
        try:
            token = app_jwt(settings.app_id, settings.app_private_key.reveal(), time.time())
        except (ValueError, TypeError, jwt.PyJWTError) as exc:
            fix = "GITHUB_APP_PRIVATE_KEY must be the App's PEM private key"
            return [Finding(False, SUBJECT, f"cannot sign a JWT: {exc}", fix)]
        headers["Authorization"] = f"Bearer {token}"
        status, found = await whoami(http, f"{settings.api_url}/app", headers, "slug")
        return [credentials_finding(SUBJECT, status, found, "GitHub App", APP_VARIABLES)]
    if settings.token:
        headers["Authorization"] = f"Bearer {settings.token.reveal()}"
        status, found = await whoami(http, f"{settings.api_url}/user", headers, "login")
        return [credentials_finding(SUBJECT, status, found, "user", "GITHUB_TOKEN")]
    return []
