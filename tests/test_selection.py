"""The pure selection core: strategies, skip reasons, reproducibility. No I/O."""

from __future__ import annotations

import random
from collections import Counter

from bot.core.selection import (
    STRATEGIES,
    Candidate,
    Skip,
    exclusion_reasons,
    select,
    select_reviewers,
)
from bot.core.selection.least_loaded import LEAST_LOADED
from bot.core.selection.random import RANDOM
from bot.core.selection.round_robin import ROUND_ROBIN


def _pool(*ids: str, **loads: int) -> list[Candidate]:
    return [Candidate(i, open_reviews=loads.get(i, 0)) for i in ids]


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


def test_unnamed_exclusions_are_reported_as_excluded() -> None:
    reasons = exclusion_reasons({"x"})
    assert reasons == {"x": Skip.EXCLUDED}


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
    assert sorted(select_reviewers(["a", "b"], {"a"}, 2, random.Random(1))) == ["b"]
    assert select_reviewers([], set(), 2, random.Random(1)) == []
    assert select_reviewers(["a"], set(), 0, random.Random(1)) == []
