"""What happened to a pull request on a code host, in host-neutral terms.

The host parsers (``bot.hosts.<host>.sansio``) turn a delivery into a ``PrEvent`` whose
``kinds`` are these, in the order they are applied; ``bot.core.delivery`` decides what
each one does.
"""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    OPENED = "opened"  # open and ready: store, mirror requested reviewers, top up
    DRAFT_OPENED = "draft_opened"  # store only; assigned once it is ready
    RENAMED = "renamed"
    REVIEWERS_ADDED = "reviewers_added"  # a human requested someone on the host
    REVIEWERS_REMOVED = "reviewers_removed"  # a human took a request back on the host
    MERGED = "merged"
    CLOSED = "closed"  # closed without merge
    NEW_COMMITS = "new_commits"  # pushed to: path rules not yet satisfied top up
    TO_DRAFT = "to_draft"  # back to draft: reviewers stay, the review clock stops (issue 15)
