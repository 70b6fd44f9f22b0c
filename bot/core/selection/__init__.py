"""Reviewer selection, pure: who may review, and which strategy picks among them.

- ``candidates``: ``Candidate`` (a member as the choice sees them) and ``Skip`` reasons;
- ``strategy``: the ``Strategy`` protocol, one object per strategy module (``random``,
  ``round_robin``, ``least_loaded``) serving both choices below;
- ``registry``: every strategy by name (``STRATEGIES``, ``strategy_named``);
- ``single``: ``select``, the choice for one PR, and its ``Selection.explain``;
- ``batch``: ``choose_batch``, the choices for many PRs of bulk deactivation.
"""

from bot.core.selection.batch import BatchChoice, Pick, Vacancy, choose_batch
from bot.core.selection.candidates import Candidate, Skip
from bot.core.selection.registry import DEFAULT_STRATEGY, STRATEGIES, strategy_named
from bot.core.selection.single import Selection, exclusion_reasons, select
from bot.core.selection.strategy import BatchQueue, Strategy

__all__ = [
    "DEFAULT_STRATEGY",
    "STRATEGIES",
    "BatchChoice",
    "BatchQueue",
    "Candidate",
    "Pick",
    "Selection",
    "Skip",
    "Strategy",
    "Vacancy",
    "choose_batch",
    "exclusion_reasons",
    "select",
    "strategy_named",
]
