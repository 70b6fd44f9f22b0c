"""Code host clients (I/O): one per host, all behind ``bot.hosts.base.HostClient``."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from bot.hosts.base import HostClient
from bot.hosts.gitea.client import GiteaClient
from bot.hosts.github.client import AppCredentials, GitHubClient, InstallationLookup
from bot.hosts.gitlab.client import GitLabClient, KnownId
from config.settings import Settings


def build_clients(
    settings: Settings,
    http: httpx.AsyncClient,
    clock: Callable[[], float],
    installation_for: InstallationLookup,
    gitlab_known_id: KnownId,
) -> dict[str, HostClient]:
    """A client for every host whose credentials are configured."""
    clients: dict[str, HostClient] = {}
    token = settings.github_token.reveal() if settings.github_token else None
    app = None
    if settings.github_app_id and settings.github_app_private_key:
        # A PEM in an environment variable often arrives with literal "\n" escapes.
        key = settings.github_app_private_key.reveal().replace("\\n", "\n")
        app = AppCredentials(settings.github_app_id, key, installation_for)
    if token or app:
        clients["github"] = GitHubClient(http, settings.github_api_url, clock, token=token, app=app)
    if settings.gitlab_token:
        clients["gitlab"] = GitLabClient(
            http, settings.gitlab_url, settings.gitlab_token.reveal(), clock, gitlab_known_id
        )
    if settings.gitea_url and settings.gitea_token:
        clients["gitea"] = GiteaClient(
            http, settings.gitea_url, settings.gitea_token.reveal(), clock
        )
    return clients
