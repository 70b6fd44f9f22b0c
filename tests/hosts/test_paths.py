"""Repository paths as the hosts define them (issue 10, point 1): only plain segments of
each host's alphabet and lengths parse, and clients percent-encode every segment."""

from __future__ import annotations

import time

import httpx
import pytest

from bot.hosts.events import PrRef
from bot.hosts.gitea.client import GiteaClient
from bot.hosts.github.client import GitHubClient
from bot.hosts.gitlab.client import GitLabClient
from bot.hosts.paths import encoded
from bot.hosts.registry import HOSTS, host_prefix, parse_pr_id

INJECTIONS = [
    "github:victim/secret#frag#2",
    "github:o/r/../../../orgs/evil/hooks?x=#1",
    "gitea:o/r/../../../../admin/users#1",
    "gitlab:g/../../admin!1",
    "github:o/r?x=#1",
    "github:o/r%2F..#1",
    "github:o/./#1",
    "github:o/..#1",
    "github:/r#1",
    "github:o/r/#1",
    "github:" + "o" * 40 + "/r#1",
    "github:o/" + "r" * 101 + "#1",
    "gitea:" + "o" * 41 + "/r#1",
    "gitlab:" + "/".join(["g"] * 22) + "!1",
    "gitlab:g/" + "p" * 256 + "!1",
    "gitlab:g/p.git!1",
    "gitlab:-g/p!1",
    "gitlab:" + "/".join(["g" * 200] * 6) + "!1",  # over reviewbot's 1,000-character bound
    "github:o/r#99999999999999999999",
    "github:o/r#0",
    "github:o/r é#1",
    "gitlab:project!1",  # a project path has a namespace
]


@pytest.mark.parametrize("pr_id", INJECTIONS)
def test_ids_whose_repository_the_host_would_not_allow_do_not_parse(pr_id: str) -> None:
    assert parse_pr_id(pr_id) is None


@pytest.mark.parametrize(
    "pr_id",
    [
        "github:octo-org/.github#7",
        "github:a_b/r.e-p_o#1",
        "gitea:my.org/repo_1#3",
        "gitlab:group/sub.group/deeper/my-project!12",
        "github:" + "o" * 39 + "/" + "r" * 100 + "#9223372036854775807",
    ],
)
def test_real_repository_paths_parse(pr_id: str) -> None:
    ref = parse_pr_id(pr_id)
    assert ref is not None and ref.pr_id == pr_id


def test_host_prefix_names_ids_kept_for_webhooks() -> None:
    assert host_prefix("github:anything") == "github"
    assert host_prefix("gitlab:") == "gitlab"
    assert host_prefix("GitHub:x") is None and host_prefix("pr-1") is None
    assert set(HOSTS) == {host_prefix(f"{h}:x") for h in HOSTS}


def test_every_segment_is_percent_encoded() -> None:
    assert encoded("repos", "a/b", "x?y#z", "..a") == "/repos/a%2Fb/x%3Fy%23z/..a"
    for bad in ("..", ".", ""):
        with pytest.raises(ValueError):
            encoded("repos", bad, "r")


def _paths(ref: PrRef) -> dict[str, str]:
    http = httpx.AsyncClient()
    return {
        "github": GitHubClient(http, "https://api", time.time, token="t")._path(ref),
        "gitea": GiteaClient(http, "https://g", "t", time.time)._path(ref),
        "gitlab": GitLabClient(http, "https://l", "t", time.time, None)._path(ref),  # type: ignore[arg-type]
    }


def test_clients_never_let_a_segment_become_a_path() -> None:
    # Even a reference that bypassed parsing stays inside /repos/{owner}/{name}/pulls/….
    paths = _paths(PrRef("x", "o/r?x=#", 1, "#"))
    assert paths["github"] == "/repos/o/r%3Fx%3D%23/pulls/1/requested_reviewers"
    with pytest.raises(ValueError):
        _paths(PrRef("x", "o/r/../../hooks", 1, "#"))
    gitlab = GitLabClient(httpx.AsyncClient(), "https://l", "t", time.time, None)  # type: ignore[arg-type]
    assert gitlab._path(PrRef("x", "o/../../hooks", 1, "!")) == (
        "/projects/o%2F..%2F..%2Fhooks/merge_requests/1"
    )
    ok = _paths(PrRef("x", "octo/hello.js", 5, "#"))
    assert ok["github"] == ok["gitea"] == "/repos/octo/hello.js/pulls/5/requested_reviewers"
