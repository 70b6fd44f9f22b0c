"""The batch choice of bulk deactivation (pure: no database)."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace

from bot.core.selection import (
    STRATEGIES,
    BatchChoice,
    Candidate,
    Skip,
    Strategy,
    Vacancy,
    choose_batch,
    select,
)
from bot.core.selection.least_loaded import LEAST_LOADED
from bot.core.selection.random import RANDOM
from bot.core.selection.round_robin import ROUND_ROBIN

MEMBERS = [f"m{i}" for i in range(8)]


def _vacancies(rng: random.Random, n: int, pool: list[str], leaving: list[str]) -> list[Vacancy]:
    """PRs by pool members, each losing one or two of the leaving reviewers."""
    found = []
    for i in range(n):
        author = rng.choice(pool)
        gone = tuple(rng.sample(leaving, rng.choice([1, 2])))
        stays = tuple(rng.sample([m for m in pool if m != author], 2 - len(gone)))
        found.append(Vacancy(f"pr-{i}", author, gone + stays, gone))
    return found


def _run(strategy: Strategy, pool: list[Candidate], vacancies: list[Vacancy]) -> BatchChoice:
    leaving = {u for v in vacancies for u in v.leaving}
    return choose_batch(
        strategy, pool, dict.fromkeys(leaving, Skip.INACTIVE), vacancies, random.Random(3)
    )


def test_never_author_reviewer_or_leaving_and_never_more_than_asked() -> None:
    rng = random.Random(1)
    vacancies = _vacancies(rng, 200, MEMBERS, ["x", "y", "z"])
    for strategy in STRATEGIES.values():
        choice = _run(strategy, [Candidate(m) for m in MEMBERS], vacancies)
        for vacancy, pick in zip(vacancies, choice.picks, strict=True):
            assert pick.pull_request_id == vacancy.pull_request_id
            assert len(pick.chosen) == len(vacancy.leaving) == len(set(pick.chosen))
            assert not set(pick.chosen) & {vacancy.author_id, *vacancy.reviewers}


def test_fewer_or_none_when_nobody_is_free() -> None:
    pool = [Candidate("a"), Candidate("b"), Candidate("c")]
    vacancies = [
        Vacancy("p1", "a", ("x", "b"), ("x",)),  # only c is free
        Vacancy("p2", "a", ("x", "y"), ("x", "y")),  # b and c for two slots
        Vacancy("p3", "b", ("x", "a"), ("x",)),  # c again
        Vacancy("p4", "c", ("x", "y"), ("x", "y")),  # a and b
    ]
    nobody = [Vacancy("p5", "a", ("x", "b"), ("x",))]  # two members: author and reviewer
    for strategy in STRATEGIES.values():
        picks = _run(strategy, pool, vacancies).picks
        assert [sorted(p.chosen) for p in picks] == [["c"], ["b", "c"], ["c"], ["a", "b"]]
        (none,) = _run(strategy, pool[:2], nobody).picks
        assert none.chosen == () and none.explain["chosen"] == []
        assert none.explain["considered"] == 0


def test_away_inactive_unavailable_and_capped_members_are_never_chosen() -> None:
    pool = [
        Candidate("away", away=True),
        Candidate("off", is_active=False),
        Candidate("busy"),
        Candidate("full", open_reviews=3, max_open_reviews=3),
        Candidate("ok1"),
        Candidate("ok2"),
    ]
    skipped = {"x": Skip.INACTIVE, "busy": Skip.UNAVAILABLE}
    vacancies = [Vacancy(f"p{i}", "author", ("x",), ("x",)) for i in range(50)]
    for strategy in STRATEGIES.values():
        choice = choose_batch(strategy, pool, skipped, vacancies, random.Random(2))
        assert {u for p in choice.picks for u in p.chosen} == {"ok1", "ok2"}
        reasons = {(s["user_id"], s["reason"]) for s in choice.picks[0].explain["skipped"]}
        assert {("away", "away"), ("full", "at_capacity"), ("busy", "unavailable")} <= reasons


def test_caps_count_the_replacements_handed_out_in_the_same_batch() -> None:
    pool = [
        Candidate("a", open_reviews=1, max_open_reviews=2),  # room for one more
        Candidate("b", open_reviews=0, max_open_reviews=2),  # room for two
        Candidate("c", open_reviews=5),  # no cap
    ]
    vacancies = [Vacancy(f"p{i}", "author", ("x",), ("x",)) for i in range(10)]
    for strategy in STRATEGIES.values():
        choice = _run(strategy, pool, vacancies)
        counts = Counter(u for p in choice.picks for u in p.chosen)
        assert counts["a"] <= 1 and counts["b"] <= 2, (strategy, counts)
        assert sum(counts.values()) == 10, "c has no cap: every vacancy is filled"
        last = {(s["user_id"], s["reason"]) for s in choice.picks[-1].explain["skipped"]}
        if strategy is LEAST_LOADED:  # a and b are least loaded: both fill up
            assert {("a", "at_capacity"), ("b", "at_capacity")} <= last


def test_least_loaded_always_takes_the_lowest_load_it_may() -> None:
    loads = {"a": 6, "b": 0, "c": 2, "d": 3, "e": 1}
    pool = [Candidate(u, open_reviews=n) for u, n in loads.items()]
    rng = random.Random(4)
    vacancies = _vacancies(rng, 60, list(loads), ["x", "y"])
    choice = _run(LEAST_LOADED, pool, vacancies)
    now = dict(loads)
    for vacancy, pick in zip(vacancies, choice.picks, strict=True):
        free = [u for u in now if u not in {vacancy.author_id, *vacancy.reviewers}]
        for described in pick.explain["candidates"]:
            assert described["open_reviews"] == now[described["user_id"]]
        for user_id in pick.chosen:
            assert now[user_id] == min(now[u] for u in free), (vacancy, now)
            free.remove(user_id)
            now[user_id] += 1


def test_least_loaded_evens_out_the_open_load() -> None:
    """Authors and kept reviewers from outside the pool: nothing stops the evening out."""
    loads = {"a": 6, "b": 0, "c": 2, "d": 3, "e": 1}
    pool = [Candidate(u, open_reviews=n) for u, n in loads.items()]
    vacancies = [Vacancy(f"p{i}", "outsider", ("x", "y"), ("x", "y")) for i in range(20)]
    picks = _run(LEAST_LOADED, pool, vacancies).picks
    now = Counter(loads) + Counter(u for p in picks for u in p.chosen)
    assert max(now.values()) - min(now.values()) <= 1, now


def test_round_robin_matches_choosing_pr_by_pr_and_moves_the_cursor() -> None:
    turns = {"a": 4, "b": 0, "c": 9, "d": 2, "e": 7}
    pool = [Candidate(u, turn=t) for u, t in turns.items()]
    rng = random.Random(6)
    vacancies = _vacancies(rng, 40, list(turns), ["x", "y"])
    choice = choose_batch(ROUND_ROBIN, pool, {}, vacancies, random.Random(0), 10)
    # What choose_and_lock does per PR: select, then stamp the chosen with the next turns.
    cursor, current = 10, dict(turns)
    for vacancy, pick in zip(vacancies, choice.picks, strict=True):
        candidates = [Candidate(u, turn=t) for u, t in current.items()]
        taken = dict.fromkeys({vacancy.author_id, *vacancy.reviewers}, Skip.ALREADY_REVIEWING)
        wanted = len(vacancy.leaving)
        expected = select(ROUND_ROBIN, candidates, taken, wanted, random.Random(0))
        assert pick.chosen == expected.chosen
        for position, user_id in enumerate(pick.chosen, start=1):
            current[user_id] = cursor + position
        cursor += len(pick.chosen)
    assert choice.cursor == cursor
    assert choice.turns == {u: t for u, t in current.items() if t != turns[u]}


def test_round_robin_is_fair_over_a_deactivation() -> None:
    """Authors from outside the pool: every pick is free, so counts differ by at most one."""
    pool = [Candidate(u) for u in MEMBERS]
    vacancies = [Vacancy(f"p{i}", "outsider", ("x", "y"), ("x", "y")) for i in range(37)]
    choice = _run(ROUND_ROBIN, pool, vacancies)
    counts = Counter(u for p in choice.picks for u in p.chosen)
    assert set(counts) == set(MEMBERS)
    assert max(counts.values()) - min(counts.values()) <= 1
    assert choice.cursor == 74


def test_random_reaches_every_free_member_and_is_reproducible() -> None:
    pool = [Candidate(u) for u in MEMBERS]
    vacancies = [Vacancy(f"p{i}", "m0", ("m1", "x"), ("x",)) for i in range(300)]
    first = _run(RANDOM, pool, vacancies)
    assert first == _run(RANDOM, pool, vacancies)
    counts = Counter(u for p in first.picks for u in p.chosen)
    assert set(counts) == set(MEMBERS) - {"m0", "m1"}
    assert min(counts.values()) > 20  # 300 draws over 6 members: about 50 each
    # A small pool where most members are taken goes through the other branch.
    small = [Candidate(u) for u in "abcd"]
    picks = _run(RANDOM, small, [Vacancy("p", "a", ("b", "x"), ("x",))] * 50).picks
    assert {u for p in picks for u in p.chosen} == {"c", "d"}


def test_explain_names_the_choice_and_the_reasons_for_this_pr() -> None:
    pool = [Candidate("a", open_reviews=2, turn=3), Candidate("b", open_reviews=1, turn=8)]
    pool.append(Candidate("gone", away=True))
    vacancy = Vacancy("p", "author", ("x", "a"), ("x",))
    skipped = {"x": Skip.INACTIVE, "y": Skip.INACTIVE}
    pick = choose_batch(ROUND_ROBIN, pool, skipped, [vacancy], random.Random(1), 20)
    assert pick.picks[0].explain == {
        "strategy": "round_robin",
        "count": 1,
        "chosen": ["b"],
        "candidates": [{"user_id": "b", "open_reviews": 1, "last_turn": 8}],
        "considered": 1,
        "skipped": [
            {"user_id": "gone", "reason": "away"},
            {"user_id": "author", "reason": "author"},
            {"user_id": "x", "reason": "replaced"},
            {"user_id": "a", "reason": "already_reviewing"},
        ],
        "inactive": 2,
    }
    assert pick.turns == {"b": 21} and pick.cursor == 21


def test_the_input_pool_is_not_changed() -> None:
    pool = [Candidate("a", open_reviews=0, max_open_reviews=1), Candidate("b")]
    before = [replace(c) for c in pool]
    _run(LEAST_LOADED, pool, [Vacancy("p", "z", ("x",), ("x",))] * 3)
    assert pool == before
