"""Gitea and Forgejo (one host: Forgejo sends Gitea's headers and its own) as the registry
lists them, with their settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.paths.codeowners import CodeOwnersFormat
from bot.hosts.events import PrRef
from bot.hosts.gitea import sansio
from bot.hosts.paths import encoded
from bot.hosts.spec import HostSpec

if TYPE_CHECKING:
    from bot.hosts.base import HostIO
    from config.settings import Env, Secret

WEBHOOK_SECRET = "GITEA_WEBHOOK_SECRET"


@dataclass(frozen=True)
class GiteaSettings:
    url: str | None = None  # GITEA_URL: the instance root; the API is under /api/v1
    token: Secret | None = None  # GITEA_TOKEN
    webhook_secret: Secret | None = None


def read_settings(env: Env) -> GiteaSettings:
    return GiteaSettings(
        url=(env.optional("GITEA_URL") or "").rstrip("/") or None,
        token=env.secret("GITEA_TOKEN"),
        webhook_secret=env.secret(WEBHOOK_SECRET),
    )


def web_url(settings: GiteaSettings, ref: PrRef) -> str | None:
    """The PR's page: ``<instance>/<owner>/<repo>/pulls/<number>``; None without GITEA_URL."""
    if settings.url is None:
        return None
    return f"{settings.url.rstrip('/')}{encoded(*ref.repo.split('/'))}/pulls/{ref.number}"


def io() -> HostIO[GiteaSettings]:
    from bot.hosts.gitea.client import IO  # httpx and SQL: loaded when the app starts

    return IO


SPEC = HostSpec(
    name=sansio.NAME,
    pr_separator=sansio.PR_SEPARATOR,
    event_headers=("x-forgejo-event", "x-gitea-event"),
    delivery_headers=("x-forgejo-delivery", "x-gitea-delivery"),
    precheck=sansio.precheck,
    verify=sansio.verify,
    parse=sansio.parse,
    valid_repo=sansio.valid_repo,
    read_settings=read_settings,
    webhook_secret_variable=WEBHOOK_SECRET,
    credentials="GITEA_URL and GITEA_TOKEN",
    io=io,
    variables=("GITEA_URL", "GITEA_TOKEN", WEBHOOK_SECRET),
    codeowners=CodeOwnersFormat(
        ("CODEOWNERS", "docs/CODEOWNERS", ".gitea/CODEOWNERS"), syntax="regex"
    ),
    web_url=web_url,
)
