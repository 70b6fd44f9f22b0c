"""GitLab (gitlab.com or self-managed) as the registry lists it."""

from __future__ import annotations

from bot.hosts.gitlab import sansio
from bot.hosts.spec import HostSpec

SPEC = HostSpec(
    name=sansio.NAME,
    pr_separator=sansio.PR_SEPARATOR,
    event_headers=("x-gitlab-event",),
    delivery_headers=("x-gitlab-event-uuid", "x-gitlab-webhook-uuid"),
    verify=sansio.verify,
    parse=sansio.parse,
    webhook_secret_variable="GITLAB_WEBHOOK_SECRET",
    credentials="GITLAB_TOKEN",
)
