"""Each host card builds its PRs' web pages from its own settings."""

from __future__ import annotations

from dataclasses import replace

from bot.hosts.links import host_names, pr_web_url
from bot.hosts.registry import HOSTS
from config.settings import Settings


def test_every_card_links_its_prs() -> None:
    assert all(spec.web_url is not None for spec in HOSTS.values())
    assert host_names() == list(HOSTS)


def test_pr_pages_on_each_host() -> None:
    hosts = dict(Settings().code_hosts)
    assert pr_web_url(hosts, "github:acme/api#42") == "https://github.com/acme/api/pull/42"
    assert (
        pr_web_url(hosts, "gitlab:group/sub/project!7")
        == "https://gitlab.com/group/sub/project/-/merge_requests/7"
    )
    assert pr_web_url(hosts, "gitea:acme/api#3") is None  # no GITEA_URL: nowhere to link
    hosts["gitea"] = replace(hosts["gitea"], url="https://code.example.org")
    assert pr_web_url(hosts, "gitea:acme/api#3") == "https://code.example.org/acme/api/pulls/3"


def test_enterprise_and_self_managed_roots() -> None:
    hosts = dict(Settings().code_hosts)
    hosts["github"] = replace(hosts["github"], api_url="https://ghe.example.com/api/v3")
    hosts["gitlab"] = replace(hosts["gitlab"], url="https://git.example.com/")
    assert pr_web_url(hosts, "github:o/r#1") == "https://ghe.example.com/o/r/pull/1"
    assert pr_web_url(hosts, "gitlab:g/p!2") == "https://git.example.com/g/p/-/merge_requests/2"


def test_ids_that_are_not_host_prs_get_no_link() -> None:
    hosts = dict(Settings().code_hosts)
    for pr_id in ("PR-1", "github:no-number", "github:../x#1", "svn:a/b#1", "github:a/b#x"):
        assert pr_web_url(hosts, pr_id) is None, pr_id
