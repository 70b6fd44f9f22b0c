"""``reviewbot doctor`` for GitLab: whom ``GITLAB_TOKEN`` belongs to (GET /api/v4/user)."""

from __future__ import annotations

import httpx

from bot.hosts.doctor import Finding, credentials_finding, whoami
from bot.hosts.gitlab.spec import GitLabSettings


async def check(settings: GitLabSettings, http: httpx.AsyncClient) -> list[Finding]:
    if not settings.token:
        return []
    headers = {"PRIVATE-TOKEN": settings.token.reveal(), "Accept": "application/json"}
    status, found = await whoami(http, f"{settings.url}/api/v4/user", headers, "username")
    return [credentials_finding("GitLab credentials", status, found, "user", "GITLAB_TOKEN")]
