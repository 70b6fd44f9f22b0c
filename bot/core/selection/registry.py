"""Every strategy by name: YAML validation, the JSON Schema, the database and the docs use it.

Adding a strategy: one module implementing ``Strategy`` and one entry here (then the
JSON Schema enum and the database CHECK constraint, which tests compare with this list).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bot.core.selection.least_loaded import LEAST_LOADED
from bot.core.selection.random import RANDOM
from bot.core.selection.round_robin import ROUND_ROBIN
from bot.core.selection.strategy import Strategy

# In the order error messages and docs list them.
STRATEGIES: Mapping[str, Strategy] = MappingProxyType(
    {s.name: s for s in (RANDOM, ROUND_ROBIN, LEAST_LOADED)}
)
DEFAULT_STRATEGY: Strategy = RANDOM


def strategy_named(name: str) -> Strategy:
    """The strategy stored or cached under ``name``; ValueError for an unknown one."""
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ValueError(f"unknown strategy {name!r}") from None
