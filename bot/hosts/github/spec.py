"""GitHub (and GitHub Enterprise) as the registry lists it."""

from __future__ import annotations

from bot.hosts.github import sansio
from bot.hosts.spec import HostSpec

SPEC = HostSpec(
    name=sansio.NAME,
    pr_separator=sansio.PR_SEPARATOR,
    event_headers=("x-github-event",),
    delivery_headers=("x-github-delivery",),
    verify=sansio.verify,
    parse=sansio.parse,
    webhook_secret_variable="GITHUB_WEBHOOK_SECRET",
    credentials="GITHUB_TOKEN or GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY",
)
