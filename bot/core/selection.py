"""Reviewer selection: a pure function over plain data.

The store fetches candidates and applies the result inside one transaction; the choice
itself needs no database, so it is tested on its own and is reproducible with a seeded
random source.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from enum import StrEnum


class Strategy(StrEnum):
    RANDOM = "random"


def select_reviewers(
    candidates: Sequence[str],
    exclude: Iterable[str],
    count: int,
    rng: random.Random,
    strategy: Strategy = Strategy.RANDOM,
) -> list[str]:
    """Choose up to ``count`` distinct ids from ``candidates`` that are not in ``exclude``.

    Fewer eligible candidates than ``count`` is not an error: all of them are returned.
    Candidate order is kept stable (deduplicated, first occurrence wins) so that a given
    seed always gives the same answer for the same input.
    """
    if count <= 0:
        return []
    excluded = set(exclude)
    eligible = [c for c in dict.fromkeys(candidates) if c not in excluded]
    if len(eligible) <= count:
        rng.shuffle(eligible)
        return eligible
    return rng.sample(eligible, count)
