"""Links from reviewbot's pages to the code hosts: a PR id to the PR's page. Pure."""

from __future__ import annotations

from collections.abc import Mapping

from bot.hosts.registry import HOSTS, parse_pr_id
from bot.hosts.spec import HostSettings


def pr_web_url(code_hosts: Mapping[str, HostSettings], pr_id: str) -> str | None:
    """The PR's page on its host, or None: not a host PR, or the host's settings do not say
    where it is. Only ids that parse (plain path segments) ever become a link."""
    ref = parse_pr_id(pr_id)
    if ref is None:
        return None
    spec = HOSTS[ref.host]
    settings = code_hosts.get(ref.host)
    if spec.web_url is None or settings is None:
        return None
    return spec.web_url(settings, ref)


def host_names() -> list[str]:
    """Every host a PR id may name, in the registry's order (the dashboard's host filter)."""
    return list(HOSTS)
