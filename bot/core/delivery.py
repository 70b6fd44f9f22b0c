"""What a webhook delivery does to the store: pure decisions, run by ``WebhookSync``.

``bot.services.deliveries`` applies a delivery inside one transaction, in stages; each
stage reads what only the store knows, asks a function here, and writes what it says:

    the stored PR (locked)     none: ``unknown_pr`` / ``unknown_author`` (202 with the reason),
                               or ``Progress.created`` once the PR is inserted
    the event's kinds + status ``plan``: the steps, in order (``Rename``, ``Merge``,
                               ``SetStatus``, ``Mirror``, ``Unmirror``, ``TopUp``, ``Note``)
    members behind handles,    ``mirror``: whom to store, who counts as a non-member, notes
    the active ones locked
    the team, refusals         ``wanted`` and ``exclusions``: how many to choose, and never whom
    the end                    ``Progress.answer``: the response body

A ``Progress`` is what the delivery has done so far (the PR as it now stands, who was
assigned, notes); every step returns a new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from bot.core.events import Kind
from bot.core.models import DEFAULT_REVIEWERS, MAX_REVIEWERS, PrStatus, PullRequest, Team, User

OPENING = frozenset({Kind.OPENED, Kind.DRAFT_OPENED})
DRAFT_NOTE = "draft: reviewers are chosen when it is ready for review"
TO_DRAFT_NOTE = "back to draft: reviewers stay; the review clock stops until it is ready"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The webhook's answer, as the JSON body; its ``status`` is applied, ignored,
    duplicate, queued or pong (the edge picks the HTTP status from it)."""

    body: dict[str, Any]

    @property
    def ignored(self) -> bool:
        """Ignored deliveries are not remembered: a redelivery after a fix is applied."""
        return bool(self.body["status"] == "ignored")

    @property
    def accepted_later(self) -> bool:
        """Kept to be applied later (202 like ignored, but remembered)."""
        return bool(self.body["status"] == "queued")

    @property
    def enqueued(self) -> bool:
        """Reviewers were chosen (or a suggestion changed): post-backs wait in the outbox."""
        return bool(self.body.get("assigned")) or bool(self.body.get("suggestion_posted"))


def pong(note: str) -> Outcome:
    return Outcome({"status": "pong", "note": note})


def duplicate(delivery: str) -> Outcome:
    return Outcome({"status": "duplicate", "delivery": delivery})


def queued(delivery: str) -> Outcome:
    """Kept in the spool while the store is unreachable; applied, in order, once it is back."""
    return Outcome({"status": "queued", "delivery": delivery})


def ignored(reason: str) -> Outcome:
    return Outcome({"status": "ignored", "reason": reason})


def unknown_pr(pr_id: str, kinds: Iterable[Kind]) -> Outcome | None:
    """None when the delivery may create the PR (it opens it), else why it is ignored."""
    if any(k in OPENING for k in kinds):
        return None
    return ignored(f"pull request '{pr_id}' is not known to reviewbot")


def unknown_author(host: str, handle: str | int | None) -> Outcome:
    return ignored(f"unknown author: no member has the {host} handle '{handle}'")


class Happened(Protocol):
    """What ``plan`` reads of an event (``bot.hosts.events.PrEvent`` has it)."""

    @property
    def kinds(self) -> tuple[Kind, ...]: ...
    @property
    def title(self) -> str: ...
    @property
    def requested(self) -> tuple[str, ...]: ...
    @property
    def added(self) -> tuple[str, ...]: ...
    @property
    def removed(self) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class Rename:
    title: str


@dataclass(frozen=True, slots=True)
class Merge:
    """Mark merged (idempotent: the first ``mergedAt`` stays)."""


@dataclass(frozen=True, slots=True)
class SetStatus:
    status: PrStatus  # OPEN or CLOSED; a merged PR never gets this step


@dataclass(frozen=True, slots=True)
class Mirror:
    """Store reviewers a human requested on the host (``Origin.HOST``: not posted back)."""

    handles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unmirror:
    """Take off reviewers whose request a human withdrew on the host."""

    handles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TopUp:
    """Bring the PR to its team's number of reviewers (with path rules: in the routing
    worker, once the changed files are read; ``new_commits``: only rules left unsatisfied)."""

    new_commits: bool = False


@dataclass(frozen=True, slots=True)
class Note:
    text: str


Step = Rename | Merge | SetStatus | Mirror | Unmirror | TopUp | Note


def plan(event: Happened, status: PrStatus) -> tuple[Step, ...]:
    """The steps of a delivery, in order, for a PR whose status is ``status`` now."""
    steps: list[Step] = []
    for kind in event.kinds:
        more, status = _steps(event, kind, status)
        steps.extend(more)
    return tuple(steps)


def _steps(event: Happened, kind: Kind, status: PrStatus) -> tuple[list[Step], PrStatus]:
    """One kind's steps and the PR's status after them."""
    if kind is Kind.RENAMED:
        return [Rename(event.title)], status
    if kind is Kind.TO_DRAFT:
        return [Note(TO_DRAFT_NOTE)], status
    if kind is Kind.MERGED:
        return [Merge()], PrStatus.MERGED
    if status is PrStatus.MERGED:
        return [Note(f"{kind}: the PR is merged; its reviewers never change")], status
    if kind is Kind.CLOSED:
        return [SetStatus(PrStatus.CLOSED)], PrStatus.CLOSED
    if kind is Kind.REVIEWERS_ADDED:
        return [Mirror(event.added)], status
    if kind is Kind.REVIEWERS_REMOVED:
        return [Unmirror(event.removed)], status
    if kind is Kind.NEW_COMMITS:
        if status is PrStatus.CLOSED:
            return [Note("new commits: the PR is closed")], status
        return [TopUp(new_commits=True)], status
    # OPENED or DRAFT_OPENED: (re)open, copy the host's requests, top up if ready
    steps: list[Step] = [SetStatus(PrStatus.OPEN)] if status is PrStatus.CLOSED else []
    steps.append(Mirror(event.requested))
    steps.append(TopUp() if kind is Kind.OPENED else Note(DRAFT_NOTE))
    return steps, PrStatus.OPEN


@dataclass(frozen=True, slots=True)
class Mirrored:
    """What to do with the handles of a ``Mirror`` step."""

    add: tuple[str, ...] = ()  # user ids to store, in the host's order
    non_members: int = 0  # unknown or inactive: left to the host, counted by the top-up
    notes: tuple[str, ...] = ()


def mirror(
    named: Sequence[tuple[str, str | None]],
    active: Set[str],
    author_id: str,
    reviewers: Sequence[str],
    cap: int = MAX_REVIEWERS,
) -> Mirrored:
    """``named``: each handle with the member's user id (None: no member has it);
    ``active``: those of them that are active (and now share-locked)."""
    current = list(reviewers)
    add: list[str] = []
    notes: list[str] = []
    non_members = 0
    for handle, user_id in named:
        if user_id is None or user_id not in active:
            non_members += 1
            notes.append(f"'{handle}' is not an active member; left to the host")
        elif user_id == author_id or user_id in current:
            continue
        elif len(current) >= cap:
            notes.append(f"'{handle}' not stored: the PR already has {len(current)}")
        else:
            current.append(user_id)
            add.append(user_id)
    return Mirrored(tuple(add), non_members, tuple(notes))


def wanted(team: Team | None, reviewers: Sequence[str], non_members: int) -> int:
    """How many to choose: the team's count (the default without a team) less everyone
    already requested, members or not. Zero or less: nobody."""
    target = team.reviewers if team is not None else DEFAULT_REVIEWERS
    return target - len(reviewers) - non_members


def exclusions(author_id: str, reviewers: Iterable[str], refused: Iterable[str]) -> set[str]:
    """Never chosen: the author, who is already reviewing, whom the host refused."""
    return {author_id, *reviewers, *refused}


def nobody_left(team_name: str) -> str:
    return f"no active member of team '{team_name}' is left to review"


@dataclass(frozen=True, slots=True)
class Progress:
    """What a delivery has done so far, for the next step and for the answer."""

    pr: PullRequest
    assigned: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    non_members: int = 0
    author: User | None = None  # known when this delivery created the PR
    new: bool = False  # created by this delivery: it has no refused post-backs yet
    suggestion: tuple[str, ...] | None = None  # suggest mode: whom reviewbot would request
    suggestion_posted: bool = False  # …and its comment is queued (it changed)

    @classmethod
    def created(cls, pr_id: str, title: str, author: User, created_at: datetime) -> Progress:
        pr = PullRequest(pr_id, title, author.user_id, PrStatus.OPEN, (), created_at, None)
        return cls(pr, author=author, new=True)

    def noted(self, *notes: str) -> Progress:
        return replace(self, notes=(*self.notes, *notes))

    def renamed(self, title: str) -> Progress:
        return replace(self, pr=replace(self.pr, pull_request_name=title))

    def with_pr(self, pr: PullRequest | None) -> Progress:
        """The PR as the store now returns it (None: as it was)."""
        return self if pr is None else replace(self, pr=pr)

    def with_status(self, status: PrStatus) -> Progress:
        return replace(self, pr=replace(self.pr, status=status))

    def mirrored(self, done: Mirrored) -> Progress:
        reviewers = (*self.pr.assigned_reviewers, *done.add)
        return replace(
            self,
            pr=replace(self.pr, assigned_reviewers=reviewers),
            notes=(*self.notes, *done.notes),
            non_members=self.non_members + done.non_members,
        )

    def unmirrored(self, user_id: str) -> Progress:
        kept = tuple(r for r in self.pr.assigned_reviewers if r != user_id)
        return replace(self, pr=replace(self.pr, assigned_reviewers=kept))

    def topped_up(self, chosen: Sequence[str]) -> Progress:
        reviewers = (*self.pr.assigned_reviewers, *chosen)
        return replace(
            self,
            pr=replace(self.pr, assigned_reviewers=reviewers),
            assigned=(*self.assigned, *chosen),
        )

    def suggested(self, chosen: Sequence[str], posted: bool) -> Progress:
        return replace(self, suggestion=tuple(chosen), suggestion_posted=posted)

    def answer(self, kinds: Iterable[Kind]) -> Outcome:
        suggested = {} if self.suggestion is None else {"suggested": list(self.suggestion)}
        posted = {"suggestion_posted": True} if self.suggestion_posted else {}
        return Outcome(
            {
                **suggested,
                **posted,
                "status": "applied",
                "pull_request_id": self.pr.pull_request_id,
                "actions": [str(k) for k in kinds],
                "assigned": list(self.assigned),
                "reviewers": list(self.pr.assigned_reviewers),
                "pr_status": str(self.pr.status),
                "notes": list(self.notes),
            },
        )
