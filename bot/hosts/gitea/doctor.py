"""``reviewbot doctor`` for Gitea/Forgejo: whom ``GITEA_TOKEN`` belongs to (GET /api/v1/user)."""

from __future__ import annotations

import httpx

from bot.hosts.doctor import Finding, credentials_finding, whoami
from bot.hosts.gitea.spec import GiteaSettings

SUBJECT = "Gitea credentials"


async def check(settings: GiteaSettings, http: httpx.AsyncClient) -> list[Finding]:
    if not settings.token:
        return []
    if not settings.url:
        return [Finding(False, SUBJECT, "GITEA_TOKEN is set but GITEA_URL is not", "set GITEA_URL")]
    headers = {"Authorization": f"token {settings.token.reveal()}", "Accept": "application/json"}
    status, found = await whoami(http, f"{settings.url}/api/v1/user", headers, "login")
    return [credentials_finding(SUBJECT, status, found, "user", "GITEA_TOKEN and GITEA_URL")]
