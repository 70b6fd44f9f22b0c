"""Writes in one PostgreSQL round trip (issue 18, migration 0013).

- each of create / reassign / merge / setIsActive sends exactly one statement on its
  fast path (asyncpg's query logger; BEGIN and COMMIT would count);
- the one-trip path and the transactional path give the same reviewers, explanation
  records and errors for the same seeded generator, on random teams and PRs, including
  cached teams that PostgreSQL has since contradicted.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from bot.core.errors import ReviewbotError
from bot.core.models import Member
from bot.services.changes import ChangeFeed, ReviewerChange
from bot.services.pull_requests import PullRequests
from perf.round_trips import WriteServices, count, counting, write_services
from store import selection
from store.db import Connection


@pytest_asyncio.fixture
async def services(clean: None, migrated: str, redis_url: str) -> AsyncIterator[WriteServices]:
    async with write_services(migrated, redis_url, seed=7) as built:
        yield built


async def _noop(conn: Connection, change: ReviewerChange) -> None:
    return None


def transactional(services: WriteServices) -> PullRequests:
    """The same use cases with a listener on every change: they must keep the
    transactional path (publishing inside the transaction)."""
    changes = ChangeFeed()
    changes.subscribe(_noop)
    return PullRequests(services.db, services.directory, services.chooser, changes)


async def test_each_write_is_one_statement(services: WriteServices) -> None:
    members = [Member(f"m{i}", f"member {i}", True) for i in range(6)]
    await services.teams.add("core", members)
    await services.teams.add("other", [Member("o1", "other", True)])
    prs = services.pull_requests
    for i in range(4):
        pr_id = f"pr-{i}"
        trips = [await count(services.db, prs.create, pr_id, "change", "m0")]
        old = (await prs.get(pr_id)).assigned_reviewers[0]
        trips.append(await count(services.db, prs.reassign, pr_id, old))
        trips.append(await count(services.db, prs.merge, pr_id))
        trips.append(await count(services.db, services.users.set_is_active, "o1", i % 2 == 0))
        if i:  # the first round learns the team and prepares the statements
            assert trips == [1, 1, 1, 1], (i, trips)
    async with counting(services.db) as sent:
        await prs.create("pr-last", "change", "m1")
    assert sent.sent == ["SELECT * FROM reviewbot_create_pr($1, $2, $3, $4, $5, $6, $7)"]


async def test_errors_are_one_statement_too(services: WriteServices) -> None:
    await services.teams.add("core", [Member(f"m{i}", f"member {i}", True) for i in range(3)])
    prs = services.pull_requests
    await prs.create("pr-1", "change", "m0")
    await prs.merge("pr-1")
    failing = [
        (prs.create, ("pr-1", "again", "m0")),
        (prs.create, ("pr-2", "change", "nobody")),
        (prs.reassign, ("pr-1", "m1")),
        (prs.reassign, ("nope", "m1")),
        (prs.merge, ("nope",)),
    ]
    for warm in (True, False):  # the first pass prepares the statements on the connection
        for call, args in failing:
            async with counting(services.db) as sent:
                with pytest.raises(ReviewbotError):
                    await call(*args)
            assert warm or len(sent.sent) == 1, (call, args, sent.sent)


# -- equivalence ------------------------------------------------------------------------------


@dataclass
class Outcome:  # equality: what the caller and GET /pullRequest/explain see
    reviewers: tuple[str, ...] | None
    replaced_by: str | None
    error: tuple[str, str] | None
    events: list[dict[str, Any]]
    one_trip: bool = field(default=False, compare=False)  # which path answered


ONE_TRIP = ("reviewbot_create_pr", "reviewbot_reassign")


async def _outcome(services: WriteServices, seed: int, pr_id: str, op: str, *args: str) -> Outcome:
    services.chooser.rng = random.Random(seed)
    prs = services.pull_requests if pr_id.endswith("-f") else transactional(services)
    reviewers = replaced_by = error = None
    async with counting(services.db) as sent:
        try:
            if op == "create":
                pr = await prs.create(pr_id, "change", *args)
            else:
                pr, replaced_by = await prs.reassign(pr_id, *args)
            reviewers = pr.assigned_reviewers
        except ReviewbotError as exc:
            error = (type(exc).__name__, str(exc).replace(pr_id, "<pr>"))
    # (twice for the first write of a user: the first call names the user's team)
    one_trip = all(any(f in q for f in ONE_TRIP) for q in sent.sent)
    async with services.db.connection() as conn:
        events = await selection.explain_of(conn, pr_id) or []
    for e in events:
        del e["at"]
    return Outcome(reviewers, replaced_by, error, events, one_trip)


async def _random_team(
    services: WriteServices, pg: asyncpg.Pool, rng: random.Random, n: int
) -> list[str]:
    team = f"t{n}"
    size = rng.randint(3, 9)
    ids = [f"{team}-u{i}" for i in range(size)]
    await services.teams.add(team, [Member(u, u, rng.random() < 0.8) for u in ids])
    today = date.today()
    for u in ids:
        if rng.random() < 0.15:
            await pg.execute(
                "INSERT INTO user_away (user_id, first_day, last_day) VALUES ($1, $2, $3)",
                u,
                today - timedelta(days=1),
                today + timedelta(days=1),
            )
    reviewers = rng.choice([0, 1, 1, 1, 2, 2, 2, 2, 2, 2])
    await pg.execute("UPDATE teams SET reviewers = $2 WHERE team_name = $1", team, reviewers)
    await services.directory.invalidate({team})
    await services.directory.team(team, local_ok=True)  # cached, as a running service has it
    return ids


async def _contradict_cache(pg: asyncpg.Pool, rng: random.Random, ids: list[str]) -> None:
    """Change PostgreSQL behind the cache's back: the locked re-check must catch it."""
    for u in ids:
        if rng.random() < 0.3:
            await pg.execute("UPDATE users SET is_active = NOT is_active WHERE user_id = $1", u)


async def test_one_trip_and_transactional_paths_agree(
    services: WriteServices, pg: asyncpg.Pool
) -> None:
    checked = {"create": 0, "reassign": 0, "errors": 0, "one_trip": 0, "unavailable": 0}
    for n in range(100):
        rng = random.Random(n)
        ids = await _random_team(services, pg, rng, n)
        author = rng.choice([*ids, "nobody"] if rng.random() < 0.1 else ids)
        seed = rng.randrange(2**32)
        fast = await _outcome(services, seed, f"p{n}-f", "create", author)
        slow = await _outcome(services, seed, f"p{n}-s", "create", author)
        assert fast == slow, (n, "create")
        assert not slow.one_trip
        checked["create"] += 1
        checked["one_trip"] += fast.one_trip
        if fast.error:
            checked["errors"] += 1
            continue
        if rng.random() < 0.15:
            await services.pull_requests.merge(f"p{n}-f")
            await services.pull_requests.merge(f"p{n}-s")
        await _contradict_cache(pg, rng, ids)
        reviewers = list(fast.reviewers or ())
        old = rng.choice(reviewers) if reviewers and rng.random() < 0.85 else rng.choice(ids)
        pr = rng.choice(["", "", "", "", "", "", "", "", "", "missing-"])
        seed = rng.randrange(2**32)
        fast = await _outcome(services, seed, f"{pr}p{n}-f", "reassign", old)
        slow = await _outcome(services, seed, f"{pr}p{n}-s", "reassign", old)
        assert fast == slow, (n, "reassign")
        assert not slow.one_trip
        checked["reassign"] += 1
        checked["errors"] += fast.error is not None
        checked["one_trip"] += fast.one_trip
        checked["unavailable"] += "unavailable" in str(fast.events)
    # Enough of each case, most of them on the one-trip path (the first create of a team
    # learns the team; a stale cached team takes the transactional path).
    assert checked["errors"] >= 10 and checked["reassign"] >= 70, checked
    assert checked["one_trip"] >= 150 and checked["unavailable"] >= 3, checked


async def test_a_stale_cached_team_is_rejected_and_the_transactional_path_decides(
    services: WriteServices, pg: asyncpg.Pool
) -> None:
    await services.teams.add("core", [Member(f"m{i}", f"member {i}", True) for i in range(3)])
    await services.directory.team("core", local_ok=True)
    await pg.execute("UPDATE users SET is_active = false WHERE user_id = 'm1'")  # cache says active
    for i in range(10):
        pr = await services.pull_requests.create(f"pr-{i}", "change", "m0")
        assert pr.assigned_reviewers == ("m2",)
