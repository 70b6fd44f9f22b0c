"""Bulk deactivation decisions: which reviews must move, and how to read the choices.

Pure data in, pure data out; the store locks and fetches, ``bot.services.deactivation`` applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OpenReview:
    """An open PR that has at least one reviewer being deactivated."""

    pull_request_id: str
    author_id: str
    reviewers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Move:
    """One reviewer taken off a PR; ``new_reviewer`` None means nobody could take over."""

    pull_request_id: str
    old_reviewer: str
    new_reviewer: str | None


def leaving(review: OpenReview, deactivated: set[str]) -> list[str]:
    """The reviewers of this PR who are being deactivated, in slot order."""
    return [r for r in review.reviewers if r in deactivated]


def pair_moves(pr_id: str, removed: Sequence[str], chosen: Sequence[str]) -> list[Move]:
    """Give each removed reviewer one of the chosen replacements, in order; None when short."""
    return [
        Move(pr_id, old, chosen[i] if i < len(chosen) else None) for i, old in enumerate(removed)
    ]
