"""Each strategy module's single choice (``select``) and batch choice (``choose_batch``) agree.

Pure: no database. Every test runs for every registered strategy, so a new strategy
module is checked without new tests.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest

from bot.core.selection import STRATEGIES, Candidate, Skip, Strategy, Vacancy, choose_batch, select
from bot.core.selection.least_loaded import LeastLoadedQueue
from bot.core.selection.random import RandomQueue
from bot.core.selection.round_robin import RoundRobinQueue

World = tuple[list[Candidate], dict[str, Skip], Vacancy]


def _each(strategies: list[Strategy]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("strategy", strategies, ids=[s.name for s in strategies])


ALL = _each(list(STRATEGIES.values()))
READS_STATE = _each([s for s in STRATEGIES.values() if s.reads_loads or s.takes_turns])
IGNORES_LOADS = _each([s for s in STRATEGIES.values() if not s.reads_loads])
TAKES_NO_TURNS = _each([s for s in STRATEGIES.values() if not s.takes_turns])


def _world(seed: int, *, caps: bool = True) -> World:
    """A team of 2..12 with loads, turns, some caps and skips, and one PR losing reviewers."""
    rng = random.Random(seed)
    ids = [f"m{i:02d}" for i in range(rng.randrange(2, 13))]
    pool = [
        Candidate(
            u,
            away=rng.random() < 0.1,
            open_reviews=rng.randrange(4),
            max_open_reviews=rng.choice([None, None, 2, 3]) if caps else None,
            turn=rng.randrange(10),
        )
        for u in ids
    ]
    skipped = {u: Skip.UNAVAILABLE for u in ids if rng.random() < 0.1}
    skipped.update({"x": Skip.INACTIVE, "y": Skip.INACTIVE})
    author = rng.choice([*ids, "outsider"])
    leaving = tuple(rng.sample(["x", "y"], rng.choice([1, 2])))
    others = [u for u in ids if u != author]
    kept = tuple(rng.sample(others, min(len(others), 2 - len(leaving))))
    return pool, skipped, Vacancy("pr", author, leaving + kept, leaving)


def _with(world: World, **changes: Any) -> World:
    """The same world with ``changes`` made to every member."""
    pool, skipped, vacancy = world
    return [replace(c, **changes) for c in pool], skipped, vacancy


def _single(strategy: Strategy, world: World, seed: int) -> tuple[str, ...]:
    """What ``select`` chooses for the world's PR (as ``choose_and_lock`` would ask)."""
    pool, skipped, vacancy = world
    exclusions = {
        **skipped,
        **dict.fromkeys([vacancy.author_id, *vacancy.reviewers], Skip.ALREADY_REVIEWING),
    }
    return select(strategy, pool, exclusions, len(vacancy.leaving), random.Random(seed)).chosen


def _batch(strategy: Strategy, world: World, seed: int) -> tuple[str, ...]:
    pool, skipped, vacancy = world
    (pick,) = choose_batch(strategy, pool, skipped, [vacancy], random.Random(seed)).picks
    return pick.chosen


@ALL
def test_the_batch_pick_for_one_pr_is_a_pick_the_single_choice_makes(strategy: Strategy) -> None:
    for seed in range(100):
        world = _world(seed)
        singles = {_single(strategy, world, s) for s in range(50)}
        picked = _batch(strategy, world, seed)
        if len(singles) == 1:  # deterministic here (round robin; distinct loads): the same
            assert picked == next(iter(singles)), seed
        else:
            assert set(picked) in [set(s) for s in singles], (seed, picked, singles)


@READS_STATE
def test_a_batch_of_one_pr_after_another_is_the_single_choice_after_another(
    strategy: Strategy,
) -> None:
    """Loads and turns all distinct: a strategy that reads them has one choice per PR (until
    least loaded reaches a tie). PR by PR, the batch sees what the single choices see."""
    ids = [f"m{i}" for i in range(7)]
    loads = {u: 5 * i for i, u in enumerate(ids)}  # no tie before m0 had 5 picks
    turns = {u: 7 - i for i, u in enumerate(ids)}
    rng = random.Random(3)
    vacancies = []
    for i in range(30):
        author = rng.choice(ids)
        other = rng.choice([u for u in ids if u != author])
        vacancies.append(Vacancy(f"p{i}", author, ("x", other), ("x",)))
    pool = [Candidate(u, open_reviews=loads[u], turn=turns[u]) for u in ids]
    choice = choose_batch(strategy, pool, {"x": Skip.INACTIVE}, vacancies, random.Random(0), 100)
    cursor, checked = 100, 0
    for vacancy, pick in zip(vacancies, choice.picks, strict=True):
        now = [Candidate(u, open_reviews=loads[u], turn=turns[u]) for u in ids]
        taken = dict.fromkeys([vacancy.author_id, *vacancy.reviewers], Skip.ALREADY_REVIEWING)
        singles = {select(strategy, now, taken, 1, random.Random(s)).chosen for s in range(20)}
        if len(singles) > 1:
            break  # least loaded reached a tie: the rest is at random
        assert pick.chosen == singles.pop()
        checked += 1
        (user_id,) = pick.chosen
        loads[user_id] += 1
        if strategy.takes_turns:
            cursor += 1
            turns[user_id] = cursor
    assert checked >= 5
    if checked == len(vacancies):
        assert choice.cursor == cursor


@IGNORES_LOADS
def test_a_strategy_that_does_not_read_loads_ignores_them(strategy: Strategy) -> None:
    """``reads_loads`` False lets the store skip counting loads (no caps): it must not matter."""
    for seed in range(50):
        world = _world(seed, caps=False)
        unread = _with(world, open_reviews=None)
        assert _single(strategy, world, seed) == _single(strategy, unread, seed)
        assert _batch(strategy, world, seed) == _batch(strategy, unread, seed)


@TAKES_NO_TURNS
def test_a_strategy_that_takes_no_turns_ignores_them_and_keeps_the_cursor(
    strategy: Strategy,
) -> None:
    """``takes_turns`` False: the store neither stamps turns nor moves the cursor."""
    for seed in range(50):
        world = _world(seed)
        fresh = _with(world, turn=0)
        assert _single(strategy, world, seed) == _single(strategy, fresh, seed)
        assert _batch(strategy, world, seed) == _batch(strategy, fresh, seed)
        pool, skipped, vacancy = world
        choice = choose_batch(strategy, pool, skipped, [vacancy] * 3, random.Random(seed), 42)
        assert (choice.turns, choice.cursor) == ({}, 42)


@ALL
def test_both_explanations_name_the_strategy_and_the_turn_only_if_it_takes_turns(
    strategy: Strategy,
) -> None:
    pool = [Candidate("a", open_reviews=1, turn=4), Candidate("b", open_reviews=0, turn=2)]
    single = select(strategy, pool, {}, 1, random.Random(0)).explain()
    (pick,) = choose_batch(
        strategy, pool, {}, [Vacancy("p", "z", ("x",), ("x",))], random.Random(0)
    ).picks
    for explain in (single, pick.explain):
        assert explain["strategy"] == strategy.name
        assert all(("last_turn" in c) is strategy.takes_turns for c in explain["candidates"])


def _queue_as_first_written(strategy: Strategy, pool: list[Candidate], rng: random.Random) -> Any:
    """Each strategy's batch queue as ``queue`` built it before ``queue_of`` existed (one
    draw per member, in order, for least_loaded's tie-breaks): a frozen reference."""
    if strategy.name == "least_loaded":
        entries = [(c.open_reviews or 0, rng.random(), c.user_id) for c in pool]
        return LeastLoadedQueue(entries, rng)
    if strategy.name == "round_robin":
        return RoundRobinQueue([(c.turn, c.user_id) for c in pool])
    if strategy.name == "random":
        return RandomQueue([c.user_id for c in pool], rng)
    return strategy.queue(pool, rng)


@ALL
@pytest.mark.parametrize("seed", range(30))
def test_the_queue_from_columns_is_the_queue_from_candidates(strategy: Strategy, seed: int) -> None:
    """``queue_of`` (the replay's) and ``queue`` (bulk deactivation's) take the same members
    in the same order, drawing the same random numbers, PR after PR, as they always did."""
    world = random.Random(seed)
    pool = [
        Candidate(f"m{i:02d}", open_reviews=world.randrange(4), turn=world.randrange(10))
        for i in range(world.randrange(1, 15))
    ]
    ids = [c.user_id for c in pool]
    loads = [c.open_reviews or 0 for c in pool]
    turns = [c.turn for c in pool]
    rngs = [random.Random(seed) for _ in range(3)]
    queues = [
        _queue_as_first_written(strategy, pool, rngs[0]),
        strategy.queue(pool, rngs[1]),
        strategy.queue_of(ids, loads, turns, rngs[2]),
    ]
    for step in range(8):
        taken = {ids[(seed + step) % len(ids)]}
        wanted = 1 + step % 2
        free = len(ids) - 1
        picks = [q.take(taken, wanted, free) for q in queues]
        assert picks[1] == picks[0] and picks[2] == picks[0]
        for queue, picked in zip(queues, picks, strict=True):
            for user_id in picked:
                queue.put_back(user_id, step + 1, 20 + step)
    assert len({r.random() for r in rngs}) == 1
