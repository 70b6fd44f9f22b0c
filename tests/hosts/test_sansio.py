"""The pure part: signatures, the event → action table for every fixture, response decoding."""

from __future__ import annotations

import hashlib
import hmac
import json
import random

import pytest

from bot.core.errors import Unauthorized, UnsupportedMediaType, WebhookNotConfigured
from bot.core.events import Kind
from bot.hosts import dispatch
from bot.hosts.decipher import Failed, InvalidReviewer, Ok, RateLimited, Retry, decipher
from bot.hosts.events import Activity, ActivityEvent, Ignored, Parsed, Ping, PrEvent, PrRef
from bot.hosts.registry import HOSTS, parse_pr_id
from bot.hosts.verify import delivery_id, verify
from bot.services.outbox import RetryPolicy
from tests.webhooks.conftest import FIXTURES, signed_headers

BODY = b'{"action": "opened"}'
GITHUB, GITLAB, GITEA = HOSTS["github"], HOSTS["gitlab"], HOSTS["gitea"]


def parse(host: str, headers: dict[str, str], body: bytes) -> Parsed:
    return dispatch.parse(HOSTS[host], headers, body)


@pytest.mark.parametrize("host", list(HOSTS))
def test_a_correct_signature_passes(host: str) -> None:
    verify(HOSTS[host], signed_headers(host, "e", BODY, "d", "s3cret"), BODY, "s3cret")


@pytest.mark.parametrize("host", list(HOSTS))
def test_a_wrong_signature_is_refused(host: str) -> None:
    headers = signed_headers(host, "e", BODY, "d", "other")
    with pytest.raises(Unauthorized):
        verify(HOSTS[host], headers, BODY, "s3cret")


@pytest.mark.parametrize("host", ["github", "gitea"])
def test_a_signature_of_another_body_is_refused(host: str) -> None:
    headers = signed_headers(host, "e", BODY, "d", "s3cret")
    with pytest.raises(Unauthorized):
        verify(HOSTS[host], headers, BODY + b" ", "s3cret")


@pytest.mark.parametrize("host", list(HOSTS))
def test_a_missing_signature_is_refused(host: str) -> None:
    with pytest.raises(Unauthorized, match="missing"):
        verify(HOSTS[host], {"content-type": "application/json"}, BODY, "s3cret")


@pytest.mark.parametrize("host", list(HOSTS))
def test_no_secret_refuses_and_names_the_variable(host: str) -> None:
    with pytest.raises(WebhookNotConfigured, match=f"{host.upper()}_WEBHOOK_SECRET"):
        verify(HOSTS[host], signed_headers(host, "e", BODY, "d", "x"), BODY, None)


def test_forgejo_signature_header_is_accepted() -> None:
    digest = hmac.new(b"k", BODY, hashlib.sha256).hexdigest()
    verify(GITEA, {"x-forgejo-signature": digest}, BODY, "k")


def test_delivery_ids_come_from_each_hosts_header() -> None:
    assert delivery_id(GITHUB, {"x-github-delivery": "a"}, BODY) == "a"
    assert delivery_id(GITLAB, {"x-gitlab-event-uuid": "b"}, BODY) == "b"
    assert delivery_id(GITEA, {"x-forgejo-delivery": "c"}, BODY) == "c"
    assert delivery_id(GITEA, {}, BODY).startswith("body-sha256:")


# The event → action table (README), one row per fixture.
TABLE = [
    ("github", "pull_request__opened", (Kind.OPENED,)),
    ("github", "pull_request__opened__draft", (Kind.DRAFT_OPENED,)),
    ("github", "pull_request__reopened", (Kind.OPENED,)),
    ("github", "pull_request__ready_for_review", (Kind.OPENED,)),
    ("github", "pull_request__closed", (Kind.MERGED,)),
    ("github", "pull_request__closed__unmerged", (Kind.CLOSED,)),
    ("github", "pull_request__edited", (Kind.RENAMED,)),
    ("github", "pull_request__review_requested", (Kind.REVIEWERS_ADDED,)),
    ("github", "pull_request__review_request_removed", (Kind.REVIEWERS_REMOVED,)),
    ("github", "pull_request__synchronize", (Kind.NEW_COMMITS,)),
    ("gitlab", "merge_request__open", (Kind.OPENED,)),
    ("gitlab", "merge_request__open__draft", (Kind.DRAFT_OPENED,)),
    ("gitlab", "merge_request__reopen", (Kind.OPENED,)),
    ("gitlab", "merge_request__update", (Kind.RENAMED,)),
    ("gitlab", "merge_request__update__ready", (Kind.RENAMED, Kind.OPENED)),
    ("gitlab", "merge_request__update__reviewers", (Kind.REVIEWERS_ADDED,)),
    ("gitlab", "merge_request__update__reviewer_removed", (Kind.REVIEWERS_REMOVED,)),
    ("gitlab", "merge_request__merge", (Kind.MERGED,)),
    ("gitlab", "merge_request__close", (Kind.CLOSED,)),
    ("gitlab", "merge_request__approved", Activity.APPROVED),
    ("gitlab", "merge_request__update__commits", (Kind.NEW_COMMITS,)),
    ("gitea", "pull_request__opened", (Kind.OPENED,)),
    ("gitea", "pull_request__opened__wip", (Kind.DRAFT_OPENED,)),
    ("gitea", "pull_request__reopened", (Kind.OPENED,)),
    ("gitea", "pull_request__closed", (Kind.MERGED,)),
    ("gitea", "pull_request__closed__unmerged", (Kind.CLOSED,)),
    ("gitea", "pull_request__edited", (Kind.RENAMED,)),
    ("gitea", "pull_request__edited__wip_removed", (Kind.RENAMED, Kind.OPENED)),
    ("gitea", "pull_request__review_requested", (Kind.REVIEWERS_ADDED,)),
    ("gitea", "pull_request__review_request_removed", (Kind.REVIEWERS_REMOVED,)),
    ("gitea", "pull_request__synchronized", (Kind.NEW_COMMITS,)),
]
EVENTS = {"github": "pull_request", "gitlab": "Merge Request Hook", "gitea": "pull_request"}
PR_IDS = {
    "github": "github:acme/widgets#7",
    "gitlab": "gitlab:acme/platform/widgets!12",
    "gitea": "gitea:acme/widgets#3",
}


@pytest.mark.parametrize(("host", "name", "kinds"), TABLE)
def test_event_table(host: str, name: str, kinds: tuple[Kind, ...] | Activity | None) -> None:
    body = (FIXTURES / host / f"{name}.json").read_bytes()
    headers = signed_headers(host, EVENTS[host], body, "d", "s")
    parsed = parse(host, headers, body)
    if kinds is None:
        assert isinstance(parsed, Ignored)
        return
    if isinstance(kinds, Activity):  # moves the review clock only (issue 15)
        assert isinstance(parsed, ActivityEvent)
        assert parsed.activity is kinds and parsed.ref.pr_id == PR_IDS[host]
        return
    assert isinstance(parsed, PrEvent)
    assert parsed.kinds == kinds
    assert parsed.ref.pr_id == PR_IDS[host]
    assert parsed.title.endswith("Add a sprocket to every widget")


def test_github_event_details() -> None:
    body = (FIXTURES / "github" / "pull_request__review_requested.json").read_bytes()
    parsed = parse("github", signed_headers("github", "pull_request", body, "d", "s"), body)
    assert isinstance(parsed, PrEvent)
    assert (parsed.author, parsed.added, parsed.requested) == (
        "alice-gh",
        ("carol-gh",),
        ("carol-gh",),
    )
    assert parsed.installation_id == 4242


def test_gitlab_author_and_known_users() -> None:
    body = (FIXTURES / "gitlab" / "merge_request__update__reviewers.json").read_bytes()
    parsed = parse("gitlab", signed_headers("gitlab", EVENTS["gitlab"], body, "d", "s"), body)
    assert isinstance(parsed, PrEvent)
    assert parsed.author == "alice-gl" and parsed.author_numeric_id == 51
    assert parsed.added == ("carol-gl",)
    assert (53, "carol-gl") in parsed.known_users


def test_ping_and_other_events() -> None:
    body = (FIXTURES / "github" / "ping__ping.json").read_bytes()
    assert isinstance(parse("github", {"x-github-event": "ping"}, body), Ping)
    assert isinstance(parse("github", {"x-github-event": "push"}, b"{}"), Ignored)
    assert isinstance(parse("gitlab", {"x-gitlab-event": "Push Hook"}, b"{}"), Ignored)
    assert isinstance(parse("gitea", {"x-forgejo-event": "push"}, b"{}"), Ignored)


def test_form_encoded_deliveries_are_refused() -> None:
    headers = {"x-github-event": "ping", "content-type": "application/x-www-form-urlencoded"}
    with pytest.raises(UnsupportedMediaType):
        parse("github", headers, b"payload=%7B%7D")


def test_odd_payloads_are_ignored_not_crashed() -> None:
    for payload in ({"action": "opened"}, {"action": "opened", "pull_request": []}):
        body = json.dumps(payload).encode()
        assert isinstance(parse("github", {"x-github-event": "pull_request"}, body), Ignored)


def test_pr_ids_round_trip() -> None:
    for ref in (
        PrRef("github", "a/b", 1, "#"),
        PrRef("gitlab", "g/s/p", 2, "!"),
        PrRef("gitea", "o/r", 3, "#"),
    ):
        assert parse_pr_id(ref.pr_id) == ref
    assert parse_pr_id("gitlab:g/s/p!2") == PrRef("gitlab", "g/s/p", 2, "!")
    assert parse_pr_id("pr-1001") is None
    assert parse_pr_id("github:nonumber#x") is None


NOW = 1_000_000.0


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (201, {}, Ok),
        (422, {}, InvalidReviewer),
        (500, {}, Retry),
        (502, {}, Retry),
        (401, {}, Failed),
        (404, {}, Failed),
        (403, {}, Failed),
        (429, {}, RateLimited),
    ],
)
def test_decipher(status: int, headers: dict[str, str], expected: type) -> None:
    assert isinstance(decipher(status, headers, b"{}", now=NOW), expected)


def test_rate_limit_waits() -> None:
    retry_after = decipher(429, {"retry-after": "30"}, b"", now=NOW)
    assert retry_after == RateLimited(30.0, retry_after.message)  # type: ignore[union-attr]
    github = decipher(
        403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 90)}, b"", now=NOW
    )
    assert isinstance(github, RateLimited) and github.wait == 90
    gitlab = decipher(
        429, {"ratelimit-remaining": "0", "ratelimit-reset": str(int(NOW) + 5)}, b"", now=NOW
    )
    assert isinstance(gitlab, RateLimited) and gitlab.wait == 5


def test_removing_someone_already_gone_is_fine() -> None:
    assert isinstance(decipher(404, {}, b"", now=NOW, removal=True), Ok)


def test_backoff_grows_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(base_delay=1, max_delay=60)
    rng = random.Random(1)
    delays = [policy.backoff(n, rng) for n in range(1, 10)]
    assert all(
        0.5 * min(60, 2 ** (n - 1)) <= d <= min(60, 2 ** (n - 1)) for n, d in enumerate(delays, 1)
    )
    assert delays[-1] <= 60


def test_values_the_database_cannot_hold_are_dropped() -> None:
    payload = json.loads((FIXTURES / "github" / "pull_request__opened.json").read_text())
    payload["pull_request"]["title"] = "nul\x00byte"
    payload["installation"]["id"] = 2**70
    body = json.dumps(payload).encode()
    parsed = parse("github", {"x-github-event": "pull_request"}, body)
    assert isinstance(parsed, PrEvent)
    assert parsed.title == "nulbyte" and parsed.installation_id is None
