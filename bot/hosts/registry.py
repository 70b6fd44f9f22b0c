"""The code hosts reviewbot serves: one line per host, in the order they are listed
everywhere (routes, team-file keys, settings). Pure, like the cards it lists.

Adding a host: a folder ``bot/hosts/<name>/`` and one line below (docs/hosts.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.hosts.events import PrRef
from bot.hosts.gitea.spec import SPEC as GITEA
from bot.hosts.github.spec import SPEC as GITHUB
from bot.hosts.gitlab.spec import SPEC as GITLAB
from bot.hosts.spec import HostSpec

HOSTS: Mapping[str, HostSpec[Any]] = {spec.name: spec for spec in (GITHUB, GITLAB, GITEA)}


def parse_pr_id(pr_id: str) -> PrRef | None:
    """The host coordinates inside a PR id, or None for ids that did not come from a host:
    the repository part must be a path the host allows (plain segments, its character
    set and lengths), so nothing else can ever reach a URL."""
    host, sep, rest = pr_id.partition(":")
    spec = HOSTS.get(host) if sep else None
    if spec is None:
        return None
    repo, sep, number = rest.rpartition(spec.pr_separator)
    if not sep or not spec.valid_repo(repo) or not (number.isascii() and number.isdigit()):
        return None
    if len(number) > 19 or not 0 < int(number) < 2**63:
        return None
    return PrRef(host, repo, int(number), spec.pr_separator)


def host_prefix(pr_id: str) -> str | None:
    """The host an id claims by its prefix (``github:…``), whether or not it parses: such
    ids are kept for PRs that arrive by webhook (docs/decisions.md)."""
    host, sep, _ = pr_id.partition(":")
    return host if sep and host in HOSTS else None
