"""GitHub (and GitHub Enterprise) as the registry lists it, with its settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.paths.codeowners import CodeOwnersFormat
from bot.hosts.events import PrRef
from bot.hosts.github import sansio
from bot.hosts.paths import encoded
from bot.hosts.spec import HostSpec

if TYPE_CHECKING:
    from bot.hosts.base import HostIO
    from config.settings import Env, Secret

DEFAULT_API_URL = "https://api.github.com"
WEBHOOK_SECRET = "GITHUB_WEBHOOK_SECRET"


@dataclass(frozen=True)
class GitHubSettings:
    api_url: str = DEFAULT_API_URL  # GITHUB_API_URL; Enterprise: https://HOST/api/v3
    token: Secret | None = None  # GITHUB_TOKEN
    app_id: str | None = None  # GITHUB_APP_ID: a GitHub App, with its private key
    app_private_key: Secret | None = None  # GITHUB_APP_PRIVATE_KEY, a PEM
    webhook_secret: Secret | None = None


def read_settings(env: Env) -> GitHubSettings:
    return GitHubSettings(
        api_url=(env.text("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
        token=env.secret("GITHUB_TOKEN"),
        app_id=env.optional("GITHUB_APP_ID"),
        app_private_key=env.secret("GITHUB_APP_PRIVATE_KEY"),
        webhook_secret=env.secret(WEBHOOK_SECRET),
    )


def web_url(settings: GitHubSettings, ref: PrRef) -> str:
    """The PR's page: github.com for the public API, the Enterprise server's root otherwise
    (its API lives under ``/api/v3``)."""
    api = settings.api_url.rstrip("/")
    root = "https://github.com" if api == DEFAULT_API_URL else api.removesuffix("/api/v3")
    return f"{root}{encoded(*ref.repo.split('/'))}/pull/{ref.number}"


def io() -> HostIO[GitHubSettings]:
    from bot.hosts.github.client import IO  # httpx and SQL: loaded when the app starts

    return IO


SPEC = HostSpec(
    name=sansio.NAME,
    pr_separator=sansio.PR_SEPARATOR,
    event_headers=("x-github-event",),
    delivery_headers=("x-github-delivery",),
    precheck=sansio.precheck,
    verify=sansio.verify,
    parse=sansio.parse,
    valid_repo=sansio.valid_repo,
    read_settings=read_settings,
    webhook_secret_variable=WEBHOOK_SECRET,
    credentials="GITHUB_TOKEN or GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY",
    io=io,
    variables=(
        "GITHUB_API_URL",
        "GITHUB_TOKEN",
        "GITHUB_APP_ID",
        "GITHUB_APP_PRIVATE_KEY",
        WEBHOOK_SECRET,
    ),
    codeowners=CodeOwnersFormat((".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")),
    web_url=web_url,
)
