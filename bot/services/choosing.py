"""Choosing reviewers inside a transaction: the pure choice plus the locks that make it hold.

``bot.services.chooser.Chooser`` delegates here. The choice itself is ``bot.core.selection``
(``select`` / ``choose_batch``); this module feeds it candidates and locks the result.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence, Set
from dataclasses import replace
from datetime import UTC, date, datetime

from bot.core.models import Team
from bot.core.selection import Candidate, Pick, Selection, Skip, Vacancy, choose_batch, select
from bot.core.sla import prefer_at_work
from bot.core.working_time import Schedule
from store import batch_selection as batch_store
from store import review_timeline as review_store
from store import selection as store
from store.db import Connection

# A chosen reviewer can turn out ineligible under lock (deactivated, moved or away since
# the cached team was read); we then choose again among the rest. Each round removes at
# least one candidate, so this only bounds pathological churn.
MAX_SELECTION_ROUNDS = 8


def _has_caps(team: Team) -> bool:
    return any(m.max_open_reviews is not None for m in team.members)


def cached_candidates(team: Team, today: date) -> list[Candidate]:
    """The team's members as the cached data describes them today, in team order."""
    return [Candidate(m.user_id, m.is_active, m.is_away(today)) for m in team.members]


def needs_team_lock(team: Team) -> bool:
    """Strategies that read load or turns, and caps, must see a team no one else is changing."""
    strategy = team.strategy
    return strategy.reads_loads or strategy.takes_turns or _has_caps(team)


async def choose(
    conn: Connection,
    team: Team,
    exclusions: Mapping[str, Skip],
    count: int,
    rng: random.Random,
    today: date,
    now: datetime | None = None,
) -> list[str]:
    if count <= 0:
        return []
    # The flag travels with the cached team: teams without it pay no query for it.
    schedules = (
        await review_store.work_preferences(conn, team.team_name)
        if team.prefer_working_hours
        else None
    )
    if schedules is None:
        return await _choose(conn, team, exclusions, count, rng, today)
    return await _choose_by_working_hours(
        conn, team, exclusions, count, rng, today, (schedules, now or datetime.now(UTC))
    )


async def _choose_by_working_hours(
    conn: Connection,
    team: Team,
    exclusions: Mapping[str, Skip],
    count: int,
    rng: random.Random,
    today: date,
    when: tuple[Mapping[str, Schedule], datetime],
) -> list[str]:
    """prefer_working_hours: those at work now first, then those whose next shift starts
    soonest, and so on — the team's strategy choosing within each group. Away and
    capacity still rule in every round; a round per distinct start, so it is bounded."""
    schedules, now = when
    remaining = [
        m.user_id
        for m in team.members
        if m.user_id not in exclusions and m.is_active and not m.is_away(today)
    ]
    chosen: list[str] = []
    rounds: list[list[str]] = []
    while len(chosen) < count and remaining:
        group = set(prefer_at_work(remaining, schedules, now))
        later = {u: Skip.OFF_HOURS for u in remaining if u not in group}
        skip = {**exclusions, **later, **dict.fromkeys(chosen, Skip.ALREADY_REVIEWING)}
        got = await _choose(conn, team, skip, count - len(chosen), rng, today)
        chosen.extend(got)
        rounds.append(got)
        remaining = [u for u in remaining if u not in group]
    await _explain_rounds(conn, chosen, rounds, count)
    return chosen


async def _explain_rounds(
    conn: Connection, chosen: list[str], rounds: list[list[str]], count: int
) -> None:
    """The last round's explanation, naming every round's choices, so each chosen
    reviewer's assignment event carries it, and saying working hours came first."""
    raw = await conn.fetchval("SELECT current_setting('reviewbot.explain', true)")
    if not raw:
        return
    explain = json.loads(raw)
    explain["chosen"] = list(chosen)
    explain["count"] = count
    explain["prefer_working_hours"] = {"rounds": rounds}
    await conn.execute("SELECT set_config('reviewbot.explain', $1, true)", json.dumps(explain))


async def _choose(
    conn: Connection,
    team: Team,
    exclusions: Mapping[str, Skip],
    count: int,
    rng: random.Random,
    today: date,
) -> list[str]:
    if needs_team_lock(team):
        return await _choose_under_team_lock(conn, team, exclusions, count, rng, today)
    return await _choose_from_cache(conn, team, exclusions, count, rng, today)


async def _choose_under_team_lock(
    conn: Connection,
    team: Team,
    exclusions: Mapping[str, Skip],
    count: int,
    rng: random.Random,
    today: date,
) -> list[str]:
    if await store.lock_team(conn, team.team_name) is None:
        return []
    strategy = team.strategy
    with_load = strategy.reads_loads or _has_caps(team)
    active = await store.active_members(conn, team.team_name, today, with_load=with_load)
    active_ids = {c.user_id for c in active}
    # Members missing from the locked rows: inactive now, or being changed this instant.
    missing = [m for m in team.members if m.user_id not in active_ids]
    gone = [Candidate(m.user_id, is_active=False) for m in missing]
    busy = {m.user_id: Skip.UNAVAILABLE for m in missing if m.is_active}
    selection = select(strategy, [*active, *gone], {**busy, **exclusions}, count, rng)
    await store.record_choice(
        conn,
        team.team_name,
        selection.chosen,
        selection.explain(),
        advance_cursor=strategy.takes_turns,
    )
    return list(selection.chosen)


async def _choose_from_cache(
    conn: Connection,
    team: Team,
    exclusions: Mapping[str, Skip],
    count: int,
    rng: random.Random,
    today: date,
) -> list[str]:
    # Only for a strategy that reads neither loads nor turns (random), in a team without caps.
    strategy = team.strategy
    candidates = cached_candidates(team, today)
    skip = dict(exclusions)
    kept: list[str] = []
    selection: Selection | None = None
    for _ in range(MAX_SELECTION_ROUNDS):
        selection = select(strategy, candidates, skip, count, rng, already_chosen=kept)
        fresh = selection.chosen[len(kept) :]
        if not fresh:
            break
        explain = selection.explain()
        eligible = set(await store.lock_available(conn, fresh, team.team_name, today, explain))
        kept.extend(c for c in fresh if c in eligible)
        skip.update((c, Skip.UNAVAILABLE) for c in fresh if c not in eligible)
        if eligible == set(fresh):
            return kept
    if kept and selection is not None:
        # The last statement's explanation named someone we then rejected: set it right.
        final = replace(
            select(strategy, candidates, skip, len(kept), rng, already_chosen=kept),
            count=count,
        )
        await store.record_choice(
            conn, team.team_name, final.chosen, final.explain(), advance_cursor=False
        )
    return kept


async def choose_many(
    conn: Connection,
    team_name: str,
    vacancies: Sequence[Vacancy],
    leaving: Set[str],
    rng: random.Random,
    today: date,
) -> list[Pick]:
    """Fill many PRs' vacancies in the team against one locked snapshot of it.

    Under the team lock for every strategy: the batch reads turns, loads and caps once
    and must be the only chooser in the team until it commits. The snapshot comes from
    the database, not the team cache. ``leaving`` (being deactivated in this transaction)
    are skipped as inactive.
    """
    team = await store.lock_team(conn, team_name)
    if team is None:
        return [Pick(v.pull_request_id, (), {}) for v in vacancies]
    strategy = team.strategy
    found = await batch_store.members(conn, team_name, today, all_loads=strategy.reads_loads)
    skipped = {**found.skipped, **dict.fromkeys(leaving, Skip.INACTIVE)}
    choice = choose_batch(strategy, found.candidates, skipped, vacancies, rng, team.cursor)
    if choice.turns:
        await batch_store.record_turns(conn, team_name, choice.cursor, choice.turns)
    return choice.picks
