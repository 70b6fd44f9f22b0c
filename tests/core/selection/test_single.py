"""The pure single choice (``select``): strategies, skip reasons, reproducibility. No I/O."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable

from bot.core.selection import STRATEGIES, Candidate, Skip, exclusion_reasons, select
from bot.core.selection.least_loaded import LEAST_LOADED
from bot.core.selection.random import RANDOM
from bot.core.selection.round_robin import ROUND_ROBIN


def _pool(*ids: str, **loads: int) -> list[Candidate]:
    return [Candidate(i, open_reviews=loads.get(i, 0)) for i in ids]


def _random_ids(
    ids: list[str], exclude: Iterable[str], count: int, rng: random.Random
) -> list[str]:
    """The random choice over plain ids, none of them in ``exclude``."""
    pool = [Candidate(user_id) for user_id in ids]
    return list(
        select(RANDOM, pool, dict.fromkeys(exclude, Skip.ALREADY_REVIEWING), count, rng).chosen
    )


def test_same_seed_same_choice_for_every_strategy() -> None:
    pool = _pool("a", "b", "c", "d", "e")
    for strategy in STRATEGIES.values():
        first = select(strategy, pool, {}, 2, random.Random(7)).chosen
        again = select(strategy, pool, {}, 2, random.Random(7)).chosen
        assert first == again


def test_skip_reasons_cover_every_rule() -> None:
    pool = [
        Candidate("author"),
        Candidate("old"),
        Candidate("busy-reviewer"),
        Candidate("off", is_active=False),
        Candidate("holiday", away=True),
        Candidate("full", open_reviews=2, max_open_reviews=2),
        Candidate("ok", open_reviews=1, max_open_reviews=2),
    ]
    reasons = exclusion_reasons(
        {"author", "old", "busy-reviewer"}, author="author", replacing="old"
    )
    chosen = select(RANDOM, pool, reasons, 2, random.Random(1))
    assert chosen.chosen == ("ok",)
    assert chosen.skipped == {
        "author": Skip.AUTHOR,
        "old": Skip.REPLACED,
        "busy-reviewer": Skip.ALREADY_REVIEWING,
        "off": Skip.INACTIVE,
        "holiday": Skip.AWAY,
        "full": Skip.AT_CAPACITY,
    }
    explain = chosen.explain()
    assert explain["strategy"] == "random"
    assert explain["chosen"] == ["ok"]
    assert {"user_id": "full", "reason": "at_capacity"} in explain["skipped"]
    assert [c["user_id"] for c in explain["candidates"]] == ["ok"]


def test_every_exclusion_is_named_with_the_one_vocabulary() -> None:
    reasons = exclusion_reasons(
        {"x", "au", "old", "no"}, author="au", replacing="old", refused=["no"]
    )
    assert reasons == {
        "x": Skip.ALREADY_REVIEWING,
        "au": Skip.AUTHOR,
        "old": Skip.REPLACED,
        "no": Skip.REFUSED,
    }
    assert "excluded" not in {s.value for s in Skip}


def test_round_robin_takes_the_oldest_turns_and_keeps_the_place_of_the_excluded() -> None:
    pool = [Candidate("a", turn=5), Candidate("b", turn=1), Candidate("c", turn=3)]
    chosen = select(ROUND_ROBIN, pool, {"b": Skip.AUTHOR}, 1, random.Random(0))
    assert chosen.chosen == ("c",)


def test_round_robin_cycles_evenly_with_a_fixed_author() -> None:
    turns = dict.fromkeys("abcdefg", 0)
    counts: Counter[str] = Counter()
    cursor = 0
    for _ in range(1000):
        pool = [Candidate(uid, turn=t) for uid, t in turns.items()]
        chosen = select(ROUND_ROBIN, pool, {"a": Skip.AUTHOR}, 2, random.Random(0))
        for uid in chosen.chosen:
            cursor += 1
            turns[uid] = cursor
            counts[uid] += 1
    assert "a" not in counts
    assert max(counts.values()) - min(counts.values()) <= 1


def test_least_loaded_picks_the_lowest_loads_and_breaks_ties_at_random() -> None:
    pool = _pool("a", "b", "c", "d", a=3, b=0, c=0, d=1)
    seen = set()
    for seed in range(30):
        chosen = select(LEAST_LOADED, pool, {}, 1, random.Random(seed)).chosen
        assert chosen in {("b",), ("c",)}
        seen.add(chosen)
    assert seen == {("b",), ("c",)}
    two = select(LEAST_LOADED, pool, {}, 3, random.Random(0)).chosen
    assert set(two) == {"b", "c", "d"} and two[2] == "d"


def test_already_chosen_come_first_and_count_toward_the_total() -> None:
    pool = _pool("a", "b", "c")
    chosen = select(RANDOM, pool, {}, 2, random.Random(3), already_chosen=["b"])
    assert chosen.chosen[0] == "b" and len(chosen.chosen) == 2 and len(set(chosen.chosen)) == 2


def test_fewer_candidates_than_wanted_is_not_an_error() -> None:
    rng = random.Random(2)
    assert _random_ids(["a", "b"], {"a"}, 2, rng) == ["b"]
    assert _random_ids(["a"], {"a"}, 2, rng) == []
    assert _random_ids([], set(), 2, rng) == []


def test_zero_count_chooses_nobody() -> None:
    assert _random_ids(["a", "b"], set(), 0, random.Random(3)) == []


# The random choice over plain ids (formerly ``select_reviewers``, whose only users were tests).


def test_random_never_returns_excluded_or_duplicates() -> None:
    rng = random.Random(1)
    for _ in range(500):
        chosen = _random_ids(["a", "b", "c", "d", "b"], {"a", "d"}, 2, rng)
        assert len(chosen) == len(set(chosen))
        assert set(chosen) <= {"b", "c"}


def test_random_same_seed_same_sequence_of_choices() -> None:
    people = [f"u{i}" for i in range(20)]
    first = [_random_ids(people, {"u0"}, 2, r) for r in [random.Random(7)] for _ in range(20)]
    again = [_random_ids(people, {"u0"}, 2, r) for r in [random.Random(7)] for _ in range(20)]
    assert first == again


def test_random_choice_reaches_every_candidate_roughly_evenly() -> None:
    rng = random.Random(11)
    counts: Counter[str] = Counter()
    for _ in range(3000):
        counts.update(_random_ids(["a", "b", "c", "d"], {"a"}, 2, rng))
    assert set(counts) == {"b", "c", "d"}
    # 3000 PRs x 2 seats over 3 people: 2000 each in expectation.
    assert all(1800 < n < 2200 for n in counts.values()), counts
