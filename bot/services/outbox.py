"""Durable post-back: the change listener that fills the outbox and the worker that drains it.

Every reviewer change of a PR whose id names a host of ``bot.hosts.registry``
(``<host>:…``) becomes outbox rows in the same transaction; the change's ``Origin`` says
what goes out (a copy of what a human did on the host goes nowhere).

The worker claims due rows, sends each batch through the host's client and applies what
the pure ``bot.core.postback.settle`` decides: done; rescheduled with exponential backoff
and jitter (5xx, timeouts, connection errors) or after the host's rate-limit wait; split
into one row per person; the reviewer replaced (the host refused them); failed (permanent
error, or the time budget ran out) — visible at ``GET /outbox/failed``. Time comes from an
injectable clock, so tests move it instead of sleeping.

Claims carry this worker's owner key (``store.outbox.Owner``, a session-level advisory
lock): if the process dies, any instance retakes its rows at the next claim. Each host has
one circuit (``bot.core.circuit``): while the host fails, its rows stay unclaimed but for
one probe at a time; when it answers again the rows that backed off are released at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import assert_never

from bot.core import circuit, postback
from bot.core.circuit import Admission, Circuit, CircuitPolicy
from bot.core.delivery import exclusions
from bot.core.errors import Unavailable
from bot.core.postback import Answer, Verdict, health, settle, still_reviewing
from bot.core.postback import RetryPolicy as RetryPolicy  # re-exported: the lifespan's import
from bot.hosts.base import HostClient
from bot.hosts.decipher import Failed, InvalidReviewer, Ok, Outcome, RateLimited, Retry
from bot.hosts.registry import HOSTS, parse_pr_id
from bot.observability.metrics import HOST_CIRCUIT, OUTBOX_FAILURES, POSTBACKS
from bot.services.changes import ChangeFeed, Origin, ReviewerChange
from bot.services.chooser import Chooser
from bot.services.outbox_kinds import KINDS, OutboxKind, enqueue_reviewers
from store import host_sync, review_requests, users
from store import outbox as store
from store import pull_requests as prs
from store.db import UNREACHABLE, Connection, Db

log = logging.getLogger(__name__)

# The owner session connects on its own, so its failures come as they are, not Unavailable.
_OUTAGE: tuple[type[BaseException], ...] = (Unavailable, *UNREACHABLE)

# A row that left the pending state in a round: (id, state, error), finished with the rest.
Ended = tuple[int, str, str | None]


def is_host_pr(pr_id: str) -> bool:
    """The PRs ``outbox_listener`` writes for: those that came from a code host."""
    return parse_pr_id(pr_id) is not None


async def outbox_listener(conn: Connection, change: ReviewerChange) -> None:
    """``ChangeFeed`` subscriber: host PRs get their post-backs queued."""
    ref = parse_pr_id(change.pull_request_id)
    if ref is None:
        return
    if change.origin.posts_removals:
        await enqueue_reviewers(conn, ref.host, change.pull_request_id, "remove", change.removed)
    if change.origin.posts_requests:
        await enqueue_reviewers(conn, ref.host, change.pull_request_id, "request", change.added)


def utcnow() -> datetime:
    return datetime.now(UTC)


def answer_of(outcome: Outcome, *, refused: Verdict = Verdict.INVALID_REVIEWER) -> Answer:
    """The host's answer in the terms of ``settle`` (``bot.core`` imports no ``bot.hosts``).
    ``refused``: what a 400/422 about the request means (a read: ``FAILED``, permanent)."""
    match outcome:
        case Ok():
            return Answer(Verdict.SENT)
        case RateLimited(wait=wait, message=message):
            return Answer(Verdict.RATE_LIMITED, message, wait)
        case InvalidReviewer(message=message):
            return Answer(refused, message)
        case Retry(message=message):
            return Answer(Verdict.RETRY, message)
        case Failed(message=message):
            return Answer(Verdict.FAILED, message)


class OutboxWorker:
    def __init__(
        self,
        db: Db,
        chooser: Chooser,
        changes: ChangeFeed,
        clients: Mapping[str, HostClient],
        *,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
        policy: RetryPolicy | None = None,
        batch: int = 20,
        poll_interval: float = 1.0,
        circuit_policy: CircuitPolicy | None = None,
    ) -> None:
        self.db = db
        self.chooser = chooser
        self.changes = changes
        self.clients = clients
        self.clock = clock
        self.rng = rng or random.Random()
        self.policy = policy or RetryPolicy()
        self.batch = batch
        self.poll_interval = poll_interval
        self.circuit_policy = circuit_policy or CircuitPolicy()
        self.circuits: dict[str, Circuit] = {}
        self.owner = store.Owner(db.url)
        self._wake = asyncio.Event()
        self._stopping = False
        self._store_down = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Finish the round in flight, then return from ``run_forever``.

        Stopping this way rather than cancelling mid-round means no post-back is cut off
        between the host call and its bookkeeping, and every pool connection is released.
        """
        self._stopping = True
        self._wake.set()

    async def close(self) -> None:
        """End the owner session (its claims are then anybody's)."""
        await self.owner.close()

    async def run_forever(self) -> None:
        try:
            while not self._stopping:
                self._wake.clear()
                try:
                    sent = await self.run_once()
                    self._store_down = False
                except _OUTAGE as exc:  # PostgreSQL away: say so once, not every round
                    if not self._store_down:
                        log.warning("outbox paused, PostgreSQL unavailable: %s", exc)
                    self._store_down, sent = True, 0
                except Exception:  # a bug must not kill the worker; keep it alive
                    log.exception("outbox round failed; trying again shortly")
                    sent = 0
                if sent == 0 and not self._stopping:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self._idle_wait())
        finally:
            await self.close()

    def _idle_wait(self) -> float:
        """The poll interval, or less if a host's probe is due sooner."""
        now = self.clock()
        probes = [c.probe_at for c in self.circuits.values() if c.probe_at is not None]
        soonest = min(((at - now).total_seconds() for at in probes), default=self.poll_interval)
        return max(0.01, min(self.poll_interval, soonest))

    async def run_once(self) -> int:
        """Claim the due rows (one batch per PR) and settle each; returns how many rows.

        Batches are sent concurrently; those that end (done, failed) are finished together
        in one statement after the round, so the round costs the claim and that statement
        however many rows it holds (a row's successor is claimable only after it anyway)."""
        entries = await self._claim(self.clock())
        batches: dict[tuple[str, str], list[store.Entry]] = {}
        for entry in entries:  # one batch per PR and lane (the claim keeps a lane to one kind)
            batches.setdefault((entry.pull_request_id, entry.lane), []).append(entry)
        results = await asyncio.gather(
            *(self._process(batch) for batch in batches.values()), return_exceptions=True
        )
        ended = [row for r in results if not isinstance(r, BaseException) for row in r]
        if ended:
            _, conn = await self.owner.session()
            await store.finish_many(conn, ended, self.clock())
        for r in results:
            if isinstance(r, BaseException):  # the others' rows are finished first
                raise r
        return len(entries)

    async def _claim(self, now: datetime) -> list[store.Entry]:
        """Every admitted host's due rows, and one probe of each host whose probe is due."""
        owner, conn = await self.owner.session()
        lease_until = now + timedelta(seconds=self.policy.lease)
        admitted = {h: circuit.admit(c, now) for h, c in self.circuits.items()}
        held = [h for h, a in admitted.items() if a is not Admission.ALL]
        probing = [h for h, a in admitted.items() if a is Admission.PROBE]
        if not probing:  # the common round: one statement, its own (relaxed) transaction
            return await store.claim(conn, now, lease_until, self.batch, owner, skip_hosts=held)
        async with conn.transaction():
            entries = await store.claim(conn, now, lease_until, self.batch, owner, skip_hosts=held)
            for host in probing:
                probe = await store.claim(conn, now, lease_until, 1, owner, only_host=host)
                step = circuit.probing if probe else circuit.nothing_to_probe
                self.circuits[host] = step(self.circuits[host], now, self.circuit_policy)
                entries.extend(probe)
        return entries

    async def _process(self, batch: list[store.Entry]) -> list[Ended]:
        """Send one batch and settle it; the rows that ended, for ``run_once`` to finish."""
        host = batch[0].host
        client = self.clients.get(host)
        if client is None:
            error = f"no {host} credentials: set {HOSTS[host].credentials}"
            return self._ended(batch, "failed", error)
        kind = KINDS.get(batch[0].kind)
        if kind is not None and kind.prepare is not None:
            batch = await self._prepared(kind, batch)
        outcome = await self._send(client, batch)
        if kind is not None and kind.sent is not None and isinstance(outcome, Ok):
            async with self.db.transaction() as conn:
                await kind.sent(conn, batch[0], outcome)
        answer = answer_of(outcome)
        now = self.clock()
        await self._observe(host, answer, now)
        on_refused = KINDS[batch[0].kind].on_refused
        decision = settle(answer, batch, now, self.policy, self.rng.random, on_refused)
        if not isinstance(decision, postback.Split):  # a split batch is asked again, alone
            POSTBACKS.labels(batch[0].host, answer.verdict.value).inc()
        return await self._apply(batch, decision)

    async def _prepared(self, kind: OutboxKind, batch: list[store.Entry]) -> list[store.Entry]:
        assert kind.prepare is not None
        async with self.db.connection() as conn:
            return [await kind.prepare(conn, entry) for entry in batch]

    async def _observe(self, host: str, answer: Answer, now: datetime) -> None:
        """Feed the host's circuit; when the host is back, its waiting rows are due now."""
        before = self.circuits.get(host, Circuit())
        verdict, policy = health(answer.verdict), self.circuit_policy
        seen = circuit.observe(before, verdict, now, policy, answer.wait)
        self.circuits[host] = seen.circuit
        is_open = seen.circuit.state is not circuit.State.CLOSED
        HOST_CIRCUIT.labels(host).set(1 if is_open else 0)
        if is_open and before.state is circuit.State.CLOSED:
            log.warning("%s is failing (%s); holding its post-backs, probing", host, answer.message)
        if seen.release:
            async with self.db.transaction() as conn:
                await store.relax(conn)
                released = await store.release(conn, host, now)
            log.info("%s answers again; %d waiting post-backs released", host, released)
            self.wake()

    async def _send(self, client: HostClient, batch: list[store.Entry]) -> Outcome:
        first = batch[0]
        ref = parse_pr_id(first.pull_request_id)
        if ref is None:
            return Failed(f"'{first.pull_request_id}' does not name a PR on a host")
        kind = KINDS.get(first.kind)
        if kind is None:
            return Failed(f"outbox kind '{first.kind}' is unknown to this version")
        try:
            return await kind.send(client, ref, batch)
        except Exception as exc:  # a client bug must not kill the worker; retry, then fail
            log.exception("post-back %s crashed", [e.id for e in batch])
            return Retry(f"{type(exc).__name__}: {exc}")

    async def _apply(self, batch: list[store.Entry], decision: postback.Decision) -> list[Ended]:
        match decision:
            case postback.Done(error=error):
                return self._ended(batch, "done", error)
            case postback.Split(error=error):
                async with self.db.transaction() as conn:
                    await store.relax(conn)
                    await store.split(conn, [e.id for e in batch], error)
                self.wake()
            case postback.Replace(error=error):
                await self._replace(batch[0], error)
            case postback.RetryAt(at=at, error=error):
                async with self.db.transaction() as conn:
                    await store.relax(conn)
                    await store.reschedule(conn, [e.id for e in batch], at, error)
            case postback.Failed(reason=reason):
                return self._ended(batch, "failed", reason)
            case _:
                assert_never(decision)
        return []

    def _ended(self, entries: list[store.Entry], state: str, error: str | None) -> list[Ended]:
        if state == "failed":
            OUTBOX_FAILURES.labels(entries[0].host).inc(len(entries))
            for entry in entries:
                log.warning(
                    "post-back %s (%s %s on %s) failed: %s",
                    entry.id,
                    entry.kind,
                    entry.user_id,
                    entry.pull_request_id,
                    error,
                )
        return [(e.id, state, error) for e in entries]

    async def _finish(self, entries: list[store.Entry], state: str, error: str | None) -> None:
        ended = self._ended(entries, state, error)
        async with self.db.connection() as conn:
            await store.finish_many(conn, ended, self.clock())

    async def _replace(self, entry: store.Entry, error: str) -> None:
        """The host refused this reviewer: take them off and choose someone else."""
        new_id, old = None, entry.user_id
        if old is None:  # only reviewer rows name someone to replace
            await self._finish([entry], "failed", error)
            return
        async with self.db.transaction() as conn:
            await store.finish(conn, [entry.id], "replaced", self.clock(), error)
            pr = await prs.fetch_pr(conn, entry.pull_request_id, lock=True)
            if pr is None or not still_reviewing(pr, old):
                return
            new_id = await self._choose_replacement(
                conn, pr.author_id, pr.assigned_reviewers, entry
            )
            await self._swap(conn, entry.pull_request_id, old, new_id)
        log.info(
            "host refused %s on %s (%s); replaced by %s",
            entry.user_id,
            entry.pull_request_id,
            error,
            new_id,
        )
        self.wake()

    async def _choose_replacement(
        self, conn: Connection, author_id: str, reviewers: tuple[str, ...], entry: store.Entry
    ) -> str | None:
        author = await users.fetch_user(conn, author_id)
        if author is None:
            return None
        refused = await store.rejected_users(conn, entry.pull_request_id)
        exclude = exclusions(author_id, reviewers, refused)
        chosen = await self.chooser.choose_and_lock(
            conn, author.team_name, exclude=exclude, count=1, author=author_id, refused=refused
        )
        return chosen[0] if chosen else None

    async def _swap(self, conn: Connection, pr_id: str, old: str, new_id: str | None) -> None:
        if new_id is None:
            await host_sync.remove_reviewer(conn, pr_id, old, source="webhook")
            change = ReviewerChange(pr_id, removed=(old,), origin=Origin.REFUSED)
        else:
            await prs.replace_reviewer(conn, pr_id, old, new_id, source="webhook")
            change = ReviewerChange(pr_id, (new_id,), (old,), origin=Origin.REFUSED)
        await review_requests.forget(conn, pr_id, old)
        await self.changes.publish(conn, change)
