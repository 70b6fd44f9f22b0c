"""Code host clients (I/O): one per host, all behind ``bot.hosts.base.HostClient``."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import httpx

from bot.hosts.base import HostClient
from bot.hosts.gitea.client import GiteaClient
from bot.hosts.gitea.spec import GiteaSettings
from bot.hosts.github.client import AppCredentials, GitHubClient, InstallationLookup
from bot.hosts.github.spec import GitHubSettings
from bot.hosts.gitlab.client import GitLabClient, KnownId
from bot.hosts.gitlab.spec import GitLabSettings
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
    github = cast(GitHubSettings, settings.code_hosts["github"])
    gitlab = cast(GitLabSettings, settings.code_hosts["gitlab"])
    gitea = cast(GiteaSettings, settings.code_hosts["gitea"])
    token = github.token.reveal() if github.token else None
    app = None
    if github.app_id and github.app_private_key:
        # A PEM in an environment variable often arrives with literal "\n" escapes.
        key = github.app_private_key.reveal().replace("\\n", "\n")
        app = AppCredentials(github.app_id, key, installation_for)
    if token or app:
        clients["github"] = GitHubClient(http, github.api_url, clock, token=token, app=app)
    if gitlab.token:
        clients["gitlab"] = GitLabClient(
            http, gitlab.url, gitlab.token.reveal(), clock, gitlab_known_id
        )
    if gitea.url and gitea.token:
        clients["gitea"] = GiteaClient(http, gitea.url, gitea.token.reveal(), clock)
    return clients
