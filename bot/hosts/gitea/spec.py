"""Gitea and Forgejo (one host: Forgejo sends Gitea's headers and its own) as the registry
lists them."""

from __future__ import annotations

from bot.hosts.gitea import sansio
from bot.hosts.spec import HostSpec

SPEC = HostSpec(
    name=sansio.NAME,
    pr_separator=sansio.PR_SEPARATOR,
    event_headers=("x-forgejo-event", "x-gitea-event"),
    delivery_headers=("x-forgejo-delivery", "x-gitea-delivery"),
    verify=sansio.verify,
    parse=sansio.parse,
    webhook_secret_variable="GITEA_WEBHOOK_SECRET",
    credentials="GITEA_URL and GITEA_TOKEN",
)
