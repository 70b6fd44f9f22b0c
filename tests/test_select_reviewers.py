"""select_reviewers, the plain-ids entry point of the selection core: no database."""

from __future__ import annotations

import random
from collections import Counter

from bot.core.selection import select_reviewers


def test_never_returns_excluded_or_duplicates() -> None:
    rng = random.Random(1)
    for _ in range(500):
        chosen = select_reviewers(["a", "b", "c", "d", "b"], {"a", "d"}, 2, rng)
        assert len(chosen) == len(set(chosen))
        assert set(chosen) <= {"b", "c"}


def test_fewer_candidates_than_count_returns_all_of_them() -> None:
    rng = random.Random(2)
    assert select_reviewers(["a", "b"], {"a"}, 2, rng) == ["b"]
    assert select_reviewers(["a"], {"a"}, 2, rng) == []
    assert select_reviewers([], set(), 2, rng) == []


def test_zero_count_chooses_nobody() -> None:
    assert select_reviewers(["a", "b"], set(), 0, random.Random(3)) == []


def test_same_seed_same_choice() -> None:
    people = [f"u{i}" for i in range(20)]
    first = [select_reviewers(people, {"u0"}, 2, r) for r in [random.Random(7)] for _ in range(20)]
    again = [select_reviewers(people, {"u0"}, 2, r) for r in [random.Random(7)] for _ in range(20)]
    assert first == again


def test_random_choice_reaches_every_candidate_roughly_evenly() -> None:
    rng = random.Random(11)
    counts: Counter[str] = Counter()
    for _ in range(3000):
        counts.update(select_reviewers(["a", "b", "c", "d"], {"a"}, 2, rng))
    assert set(counts) == {"b", "c", "d"}
    # 3000 PRs x 2 seats over 3 people: 2000 each in expectation.
    assert all(1800 < n < 2200 for n in counts.values()), counts
