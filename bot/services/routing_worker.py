"""The routing worker: reads a PR's changed files and CODEOWNERS from its host, then chooses.

A delivery that needs the changed files (path rules or CODEOWNERS are on) leaves a
``routing_jobs`` row in its own transaction; this worker claims due rows (a lease, like the
outbox), asks the host with the same retry policy as post-backs (``bot.core.postback``:
backoff with jitter on 5xx and timeouts, the host's wait when rate limited, giving up after
``give_up_after``) and behind the same per-host circuit, then chooses in ONE transaction
under the PR's lock with ``bot.services.routing.Router``, which publishes the reviewer
change: the post-backs go out through the outbox as always.

Degrading, never blocking: files that cannot be read for good leave the team top-up alone;
a CODEOWNERS that cannot be read for good leaves the rules; either is said in the notes of
``GET /pullRequest/explain``. CODEOWNERS is cached per repository (with the revision read)
for ``codeowners_max_age`` seconds and dropped on a push to the default branch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core import circuit
from bot.core.circuit import Admission, Circuit, CircuitPolicy
from bot.core.errors import Unavailable
from bot.core.models import PrStatus
from bot.core.paths.codeowners import CodeOwners, parse
from bot.core.postback import Answer, RetryAt, RetryPolicy, Verdict, health, settle
from bot.hosts.base import HostReader
from bot.hosts.decipher import Ok, Outcome, Retry
from bot.hosts.events import PrRef
from bot.hosts.reading import FoundFile
from bot.hosts.registry import HOSTS, parse_pr_id
from bot.services.changes import Origin
from bot.services.outbox import answer_of
from bot.services.routing import Facts, Router
from store import outbox as outbox_store
from store import pull_requests as prs
from store import routing as store
from store import users
from store.db import UNREACHABLE, Db

log = logging.getLogger(__name__)

_OUTAGE: tuple[type[BaseException], ...] = (Unavailable, *UNREACHABLE)
DEFAULT_CODEOWNERS_MAX_AGE = 600.0


@dataclass(frozen=True, slots=True)
class _Later:
    at: datetime
    error: str


class RoutingWorker:
    def __init__(
        self,
        db: Db,
        router: Router,
        readers: Mapping[str, HostReader],
        *,
        clock: Callable[[], datetime],
        on_chosen: Callable[[], None] = lambda: None,
        rng: random.Random | None = None,
        policy: RetryPolicy | None = None,
        poll_interval: float = 1.0,
        batch: int = 10,
        codeowners_max_age: float = DEFAULT_CODEOWNERS_MAX_AGE,
        circuit_policy: CircuitPolicy | None = None,
        owner: outbox_store.Owner | None = None,
    ) -> None:
        self.db = db
        self.router = router
        self.readers = readers
        self.clock = clock
        self.on_chosen = on_chosen  # wakes the outbox worker
        self.rng = rng or random.Random()
        self.policy = policy or RetryPolicy()
        self.poll_interval = poll_interval
        self.batch = batch
        self.codeowners_max_age = codeowners_max_age
        self.circuit_policy = circuit_policy or CircuitPolicy()
        self.circuits: dict[str, Circuit] = {}
        # Claims name this session's key (the outbox worker's, when it shares its own), so
        # another instance takes this one's jobs as soon as its process is gone.
        self.owner = owner or outbox_store.Owner(db.url)
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run_forever(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                done = await self.run_once()
            except _OUTAGE as exc:
                log.warning("routing paused, PostgreSQL unavailable: %s", exc)
                done = 0
            except Exception:  # a bug must not kill the worker
                log.exception("routing round failed; trying again shortly")
                done = 0
            if done == 0 and not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_interval)

    async def run_once(self) -> int:
        """Claim due jobs (of a failing host: one probe at a time) and run each."""
        now = self.clock()
        admitted = {h: circuit.admit(c, now) for h, c in self.circuits.items()}
        held = [h for h, a in admitted.items() if a is not Admission.ALL]
        lease = now + timedelta(seconds=self.policy.lease)
        owner = await self.owner.ensure()
        async with self.db.transaction() as conn:
            await outbox_store.relax(conn)
            jobs = await store.claim_jobs(conn, now, lease, self.batch, owner, held)
            for host in (h for h, a in admitted.items() if a is Admission.PROBE):
                others = [h for h in HOSTS if h != host]
                probe = await store.claim_jobs(conn, now, lease, 1, owner, others)
                step = circuit.probing if probe else circuit.nothing_to_probe
                self.circuits[host] = step(self.circuits[host], now, self.circuit_policy)
                jobs.extend(probe)
        await asyncio.gather(*(self._run(job) for job in jobs))
        return len(jobs)

    async def _run(self, job: store.Job) -> None:
        ref = parse_pr_id(job.pull_request_id)
        reader = self.readers.get(job.host)
        notes: list[str] = []
        files: list[str] | None = None
        codeowners: CodeOwners | None = None
        if ref is None or reader is None:
            notes.append(f"changed files not read: no {job.host} credentials")
        else:
            got = await self._files(job, reader, ref, notes)
            if isinstance(got, _Later):
                await self._later(job, got)
                return
            files = got
            if files is not None:
                found = await self._codeowners(job, reader, ref, notes)
                if isinstance(found, _Later):
                    await self._later(job, found)
                    return
                codeowners = found
        await self._choose(job, files, codeowners, notes)

    async def _ask(self, job: store.Job, outcome: Outcome) -> Answer:
        answer = answer_of(outcome, refused=Verdict.FAILED)  # a read's refusal is permanent
        before = self.circuits.get(job.host, Circuit())
        seen = circuit.observe(
            before, health(answer.verdict), self.clock(), self.circuit_policy, answer.wait
        )
        self.circuits[job.host] = seen.circuit
        return answer

    async def _settled(self, job: store.Job, outcome: Outcome) -> _Later | str:
        """A failed read: retry later (``_Later``), or give up with the reason."""
        answer = await self._ask(job, outcome)
        decision = settle(answer, [job], self.clock(), self.policy, self.rng.random)
        if isinstance(decision, RetryAt):
            return _Later(decision.at, decision.error)
        return getattr(decision, "reason", None) or answer.message

    async def _files(
        self, job: store.Job, reader: HostReader, ref: PrRef, notes: list[str]
    ) -> list[str] | _Later | None:
        try:
            got = await reader.changed_files(ref)
        except Exception as exc:  # a client bug: retried, then given up on
            log.exception("reading the changed files of %s crashed", job.pull_request_id)
            got = Retry(f"{type(exc).__name__}: {exc}")
        if isinstance(got, list):
            await self._ask(job, Ok())
            return got
        settled = await self._settled(job, got)
        if isinstance(settled, _Later):
            return settled
        notes.append(f"changed files not read ({settled}): the rules were not applied")
        return None

    async def _codeowners(
        self, job: store.Job, reader: HostReader, ref: PrRef, notes: list[str]
    ) -> CodeOwners | _Later | None:
        async with self.db.connection() as conn:
            routing = await store.load_routing(conn)
            if not routing.codeowners.enabled:
                return None
            cached = await store.cached_codeowners(
                conn,
                job.host,
                ref.repo,
                self.clock(),
                self.codeowners_max_age,
            )
        fmt = HOSTS[job.host].codeowners
        if cached is None:
            try:
                got = await reader.codeowners(ref, job.default_branch, fmt.locations)
            except Exception as exc:
                log.exception("reading CODEOWNERS for %s crashed", job.pull_request_id)
                got = Retry(f"{type(exc).__name__}: {exc}")
            if got is not None and not isinstance(got, FoundFile):
                settled = await self._settled(job, got)
                if isinstance(settled, _Later):
                    return settled
                notes.append(f"CODEOWNERS not read ({settled}): assigned without it")
                return None
            cached = store.CachedCodeOwners(
                (got.revision if got else "") or (job.default_branch or ""),
                got.path if got else None,
                got.body if got else None,
                self.clock(),
            )
            async with self.db.connection() as conn:
                await store.cache_codeowners(conn, job.host, ref.repo, cached)
        if cached.path is None or cached.body is None:
            notes.append("no CODEOWNERS file in the repository")
            return None
        parsed = parse(cached.body, cached.path, fmt)
        notes.extend(f"{cached.path}:{n}: skipped: {why}" for n, why in parsed.problems)
        return parsed

    async def _later(self, job: store.Job, later: _Later) -> None:
        async with self.db.transaction() as conn:
            await outbox_store.relax(conn)
            await store.reschedule_job(conn, job.id, later.at, later.error)
        log.info("routing %s retried at %s: %s", job.pull_request_id, later.at, later.error)

    async def _choose(
        self,
        job: store.Job,
        files: list[str] | None,
        codeowners: CodeOwners | None,
        notes: list[str],
    ) -> None:
        ref = parse_pr_id(job.pull_request_id)
        chosen: list[str] = []
        async with self.db.transaction() as conn:
            pr = await prs.fetch_pr(conn, job.pull_request_id, lock=True)
            author = await users.fetch_user(conn, pr.author_id) if pr is not None else None
            if pr is not None and author is not None and pr.status is PrStatus.OPEN:
                refused = await outbox_store.rejected_users(conn, pr.pull_request_id)
                facts = Facts(
                    host=job.host,
                    repo=ref.repo if ref else None,
                    files=files,
                    codeowners=codeowners,
                    notes=tuple(notes),
                    non_members=job.non_members,
                    refused=refused,
                )
                routed = await self.router.assign(
                    conn, pr, author, facts, Origin.WEBHOOK, "webhook"
                )
                chosen = routed.added
            await store.finish_job(conn, job.id, "done", self.clock())
        if chosen:
            self.on_chosen()
