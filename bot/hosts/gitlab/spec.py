"""GitLab (gitlab.com or self-managed) as the registry lists it, with its settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.paths.codeowners import CodeOwnersFormat
from bot.hosts.events import PrRef
from bot.hosts.gitlab import sansio
from bot.hosts.paths import encoded
from bot.hosts.spec import HostSpec

if TYPE_CHECKING:
    from bot.hosts.base import HostIO
    from config.settings import Env, Secret

DEFAULT_URL = "https://gitlab.com"
WEBHOOK_SECRET = "GITLAB_WEBHOOK_SECRET"


@dataclass(frozen=True)
class GitLabSettings:
    url: str = DEFAULT_URL  # GITLAB_URL: the instance root; the API is under /api/v4
    token: Secret | None = None  # GITLAB_TOKEN
    webhook_secret: Secret | None = None


def read_settings(env: Env) -> GitLabSettings:
    return GitLabSettings(
        url=(env.text("GITLAB_URL") or DEFAULT_URL).rstrip("/"),
        token=env.secret("GITLAB_TOKEN"),
        webhook_secret=env.secret(WEBHOOK_SECRET),
    )


def web_url(settings: GitLabSettings, ref: PrRef) -> str:
    """The merge request's page: ``<instance>/<project path>/-/merge_requests/<iid>``."""
    return (
        f"{settings.url.rstrip('/')}{encoded(*ref.repo.split('/'))}/-/merge_requests/{ref.number}"
    )


def io() -> HostIO[GitLabSettings]:
    from bot.hosts.gitlab.client import IO  # httpx and SQL: loaded when the app starts

    return IO


SPEC = HostSpec(
    name=sansio.NAME,
    pr_separator=sansio.PR_SEPARATOR,
    event_headers=("x-gitlab-event",),
    delivery_headers=("x-gitlab-event-uuid", "x-gitlab-webhook-uuid"),
    precheck=sansio.precheck,
    verify=sansio.verify,
    parse=sansio.parse,
    valid_repo=sansio.valid_repo,
    read_settings=read_settings,
    webhook_secret_variable=WEBHOOK_SECRET,
    credentials="GITLAB_TOKEN",
    io=io,
    variables=("GITLAB_URL", "GITLAB_TOKEN", WEBHOOK_SECRET),
    codeowners=CodeOwnersFormat(
        ("CODEOWNERS", "docs/CODEOWNERS", ".gitlab/CODEOWNERS"), sections=True
    ),
    web_url=web_url,
)
