"""The post-back outbox: rows written with the reviewer change, leased and sent by workers.

Claiming leases rows (``lease_until``) instead of holding a transaction open across the
HTTP call: the lock of ``FOR UPDATE SKIP LOCKED`` lasts only for the claim, and the lease
keeps other workers away while the request is in flight. A lease also names its owner
(``claimed_by``): the key of a session-level advisory lock the worker holds on a connection
of its own (``Owner``). A crashed worker's session ends, its lock leaves ``pg_locks`` and
its rows are claimable at once; the lease running out is only the backstop (a frozen
process whose session lives on). Only the oldest pending row of each PR and lane is claimable,
so one PR's post-backs go out in order and never overlap (a host whose reviewer list is
read, changed and written back needs that). Lanes (reviewers; comments: reactions and
replies) keep a comment the host refuses from holding up reviewer requests.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from asyncpg import Record

from store.db import QUERY_TIMEOUT, Connection

# The advisory-lock class of outbox owners: (OWNER_LOCK_CLASS, n) is held by the worker
# whose claims say ``claimed_by = n``. Any constant works; every instance must use it.
OWNER_LOCK_CLASS = 0x72766F62  # "rvob"

# TCP keepalives of the owner's session, so PostgreSQL notices a vanished machine (no FIN
# ever comes) in about idle + interval * count seconds; a killed process is seen at once.
_KEEPALIVE = {
    "tcp_keepalives_idle": "5",
    "tcp_keepalives_interval": "2",
    "tcp_keepalives_count": "3",
}


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    host: str
    pull_request_id: str
    kind: str  # request | remove | react | reply | suggest (bot/services/outbox_kinds.py)
    user_id: str | None  # the reviewer; None for a reaction or a reply
    attempts: int
    first_attempt_at: datetime | None
    state: str = "pending"
    last_error: str | None = None
    created_at: datetime | None = None
    handle: str | None = None  # the person's handle on the host (claim fills it in)
    payload: dict[str, Any] | None = None  # what a reaction or a reply sends
    lane: str = "reviewers"  # rows of one PR go out in order within a lane


_COLUMNS = """id, host, pull_request_id, kind, user_id, attempts, first_attempt_at, state,
    last_error, created_at, payload, lane"""


def _entry(row: Record) -> Entry:
    fields = dict(row)
    if isinstance(fields.get("payload"), str):
        fields["payload"] = json.loads(fields["payload"])
    return Entry(**fields)


async def relax(conn: Connection) -> None:
    """Commit this transaction without waiting for the disk.

    Only for the worker's bookkeeping (leases, done, retry times): a crash may forget such
    a change, and the row is then simply sent again, which hosts treat as a no-op. Outbox
    rows themselves are written by the webhook's or the API's own, durable, transaction.
    """
    await conn.execute("SET LOCAL synchronous_commit TO off")


# ``relax`` inside a statement of its own implicit transaction: a WITH query of
# ``set_config(..., true)`` lasts until that statement's commit, which then does not wait
# for the disk either. One round trip instead of BEGIN, SET LOCAL, the statement, COMMIT.
_RELAXED = "relaxed AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true))"


async def enqueue(
    conn: Connection,
    host: str,
    pr_id: str,
    kind: str,
    user_ids: Sequence[str],
    *,
    lane: str = "reviewers",
    solo: bool = False,
) -> None:
    if not user_ids:
        return
    await conn.execute(
        """INSERT INTO outbox (host, pull_request_id, kind, user_id, lane, solo)
           SELECT $1, $2, $3, u, $5, $6 FROM unnest($4::text[]) AS u""",
        host,
        pr_id,
        kind,
        list(user_ids),
        lane,
        solo,
    )


async def enqueue_message(
    conn: Connection,
    host: str,
    pr_id: str,
    kind: str,
    payload: dict[str, Any],
    *,
    lane: str,
    solo: bool,
) -> None:
    """A row that names no reviewer (a reaction, a reply): what to send is ``payload``."""
    await conn.execute(
        """INSERT INTO outbox (host, pull_request_id, kind, payload, lane, solo)
           VALUES ($1, $2, $3, $4::jsonb, $5, $6)""",
        host,
        pr_id,
        kind,
        json.dumps(payload),
        lane,
        solo,
    )


async def enqueue_messages(
    conn: Connection,
    rows: Sequence[tuple[str, str, dict[str, Any]]],
    kind: str,
    *,
    lane: str,
    solo: bool,
) -> None:
    """Many ``enqueue_message`` rows of one kind in one statement: (host, PR, payload)."""
    if not rows:
        return
    await conn.execute(
        """INSERT INTO outbox (host, pull_request_id, kind, payload, lane, solo)
           SELECT h, p, $4, d, $5, $6
             FROM unnest($1::text[], $2::text[], $3::jsonb[]) AS r (h, p, d)""",
        [r[0] for r in rows],
        [r[1] for r in rows],
        [json.dumps(r[2]) for r in rows],
        kind,
        lane,
        solo,
    )


# SQL: the owner keys whose sessions are alive (a CTE named ``live`` for ``claimable``).
LIVE_OWNERS = f"""live AS MATERIALIZED (
                SELECT l.objid::int8 AS owner FROM pg_locks l
                 WHERE l.locktype = 'advisory' AND l.classid = {OWNER_LOCK_CLASS}
                   AND l.objsubid = 2 AND l.granted)"""


def claimable(alias: str) -> str:
    """SQL: row ``alias`` is not leased, or its lease ran out (``$1`` is now), or its owner
    is gone (needs ``LIVE_OWNERS``). Routing jobs are leased the same way."""
    return f"""({alias}.lease_until IS NULL OR {alias}.lease_until <= $1
             OR ({alias}.claimed_by IS NOT NULL
                 AND {alias}.claimed_by NOT IN (SELECT owner FROM live)))"""


async def claim(
    conn: Connection,
    now: datetime,
    lease_until: datetime,
    limit: int,
    owner: int,
    *,
    skip_hosts: Sequence[str] = (),
    only_host: str | None = None,
) -> list[Entry]:
    """Lease the oldest due row of up to ``limit`` PRs, each with the rows right behind it
    of the same kind (they go out in one call), for ``owner``. Rows of ``skip_hosts`` stay.
    With ``only_host`` (a circuit's probe) only that host's rows are claimed, and the head
    row even if it is backing off: whether the host is back must not wait for a row's turn."""
    rows = await conn.fetch(
        f"""WITH {_RELAXED},
            {LIVE_OWNERS},
            heads AS (
                SELECT c.id, c.pull_request_id, c.kind, c.solo, c.lane FROM outbox c
                 WHERE c.state = 'pending' AND {claimable("c")}
                   AND (c.next_attempt_at <= $1 OR $6::text IS NOT NULL)
                   AND c.host <> ALL($5::text[]) AND ($6::text IS NULL OR c.host = $6)
                   AND NOT EXISTS (SELECT 1 FROM outbox e
                                    WHERE e.pull_request_id = c.pull_request_id
                                      AND e.lane = c.lane
                                      AND e.state = 'pending' AND e.id < c.id)
                 ORDER BY c.id
                 LIMIT $3
                 FOR UPDATE OF c SKIP LOCKED),
            followers AS (
                SELECT f.id FROM heads h
                  JOIN outbox f ON f.pull_request_id = h.pull_request_id AND f.id > h.id
                                AND f.lane = h.lane
                 WHERE NOT h.solo AND NOT f.solo AND f.state = 'pending' AND f.kind = h.kind
                   AND f.next_attempt_at <= $1 AND {claimable("f")}
                   AND NOT EXISTS (
                       SELECT 1 FROM outbox b
                        WHERE b.pull_request_id = h.pull_request_id AND b.state = 'pending'
                          AND b.lane = h.lane AND b.id > h.id AND b.id < f.id
                          AND (b.kind <> h.kind OR b.solo OR b.next_attempt_at > $1)))
            UPDATE outbox o
               SET lease_until = $2, claimed_by = $4, attempts = attempts + 1,
                   first_attempt_at = COALESCE(first_attempt_at, $1)
             WHERE o.id IN (SELECT id FROM heads UNION ALL SELECT id FROM followers)
               AND EXISTS (SELECT FROM relaxed)
         RETURNING {_COLUMNS},
                   COALESCE((SELECT h.handle FROM user_handles h
                              WHERE h.user_id = o.user_id AND h.host = o.host), o.user_id)
                   AS handle""",
        now,
        lease_until,
        limit,
        owner,
        list(skip_hosts),
        only_host,
    )
    return sorted((_entry(r) for r in rows), key=lambda e: e.id)


async def release(conn: Connection, host: str, now: datetime) -> int:
    """The host is back: its pending rows that were backing off are due at once."""
    done = await conn.execute(
        """UPDATE outbox SET next_attempt_at = $2
            WHERE host = $1 AND state = 'pending' AND next_attempt_at > $2""",
        host,
        now,
    )
    return int(str(done).split()[-1])


async def split(conn: Connection, entry_ids: Sequence[int], error: str) -> None:
    """A batch was refused as a whole: send its rows one by one, at once."""
    await conn.execute(
        """UPDATE outbox SET solo = true, lease_until = NULL, claimed_by = NULL,
                  last_error = $2
            WHERE id = ANY($1::bigint[])""",
        list(entry_ids),
        error,
    )


async def finish(
    conn: Connection, entry_ids: Sequence[int], state: str, now: datetime, error: str | None
) -> None:
    """Leave the pending state: done, failed (an admin may retry) or replaced."""
    await conn.execute(
        """UPDATE outbox SET state = $2, finished_at = $3, last_error = COALESCE($4, last_error),
                  lease_until = NULL, claimed_by = NULL
            WHERE id = ANY($1::bigint[])""",
        list(entry_ids),
        state,
        now,
        error,
    )


async def finish_many(
    conn: Connection, finished: Sequence[tuple[int, str, str | None]], now: datetime
) -> None:
    """``finish`` for many rows at once, (id, state, error) each: a worker's whole round in
    one relaxed statement (no transaction of its own needed)."""
    if not finished:
        return
    await conn.execute(
        f"""WITH {_RELAXED}
            UPDATE outbox o SET state = f.state, finished_at = $4,
                   last_error = COALESCE(f.error, o.last_error),
                   lease_until = NULL, claimed_by = NULL
              FROM unnest($1::bigint[], $2::text[], $3::text[]) AS f (id, state, error)
             WHERE o.id = f.id AND EXISTS (SELECT FROM relaxed)""",
        [f[0] for f in finished],
        [f[1] for f in finished],
        [f[2] for f in finished],
        now,
    )


async def reschedule(conn: Connection, entry_ids: Sequence[int], at: datetime, error: str) -> None:
    await conn.execute(
        """UPDATE outbox SET next_attempt_at = $2, last_error = $3,
                  lease_until = NULL, claimed_by = NULL
            WHERE id = ANY($1::bigint[])""",
        list(entry_ids),
        at,
        error,
    )


async def list_failed(conn: Connection, limit: int = 500) -> list[Entry]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM outbox WHERE state = 'failed' ORDER BY id LIMIT $1", limit
    )
    return [_entry(r) for r in rows]


async def retry_failed(conn: Connection, ids: Sequence[int] | None, now: datetime) -> list[int]:
    """Put failed rows (all, or the given ids) back to pending with a fresh time budget."""
    rows = await conn.fetch(
        """UPDATE outbox SET state = 'pending', attempts = 0, first_attempt_at = NULL,
                  next_attempt_at = $2, finished_at = NULL, lease_until = NULL, claimed_by = NULL
            WHERE state = 'failed' AND ($1::bigint[] IS NULL OR id = ANY($1::bigint[]))
         RETURNING id""",
        None if ids is None else list(ids),
        now,
    )
    return sorted(r["id"] for r in rows)


async def rejected_users(conn: Connection, pr_id: str) -> list[str]:
    """Who the host already refused as a reviewer of this PR (never chosen again for it)."""
    rows = await conn.fetch(
        "SELECT DISTINCT user_id FROM outbox WHERE pull_request_id = $1 AND state = 'replaced'",
        pr_id,
    )
    return [r["user_id"] for r in rows]


async def depth(conn: Connection) -> dict[str, int]:
    """How many post-backs wait (pending) and how many were given up on (failed)."""
    rows = await conn.fetch(
        """SELECT state, count(*) AS n FROM outbox
            WHERE state IN ('pending', 'failed') GROUP BY state"""
    )
    found = {r["state"]: r["n"] for r in rows}
    return {state: found.get(state, 0) for state in ("pending", "failed")}


class Owner:
    """The session whose advisory lock vouches for this worker's claims.

    A connection outside the pool, held for the worker's life: the lock lives exactly as
    long as the session, which ends when the process dies (or the server restarts).

    The worker also claims and finishes its rows on this session (``session``): the pool's
    connections are the requests' and, under a webhook flood, every one of the worker's
    statements queued behind them, so post-backs fell seconds behind the acknowledgements.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.key: int | None = None
        self._conn: asyncpg.Connection | None = None
        # The outbox and routing workers share one owner: one of them opens the session.
        self._opening = asyncio.Lock()

    @property
    def alive(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def ensure(self) -> int:
        """The owner key, taking a new session (and key) if the old one is gone."""
        if self.alive and self.key is not None:
            return self.key
        async with self._opening:
            if self.alive and self.key is not None:
                return self.key
            return await self._open()

    async def _open(self) -> int:
        await self.close()
        conn = await asyncpg.connect(
            self.url, timeout=10, command_timeout=QUERY_TIMEOUT, server_settings=_KEEPALIVE
        )
        try:
            while True:  # a wrapped-around key may still be held by a live worker
                key = int(await conn.fetchval("SELECT nextval('outbox_owner_seq')::int"))
                if await conn.fetchval(
                    "SELECT pg_try_advisory_lock($1, $2)", OWNER_LOCK_CLASS, key
                ):
                    break
        except BaseException:
            await conn.close()
            raise
        self._conn, self.key = conn, key
        return key

    async def session(self) -> tuple[int, asyncpg.Connection]:
        """The owner key and its session, for the worker's own statements (one at a time)."""
        key = await self.ensure()
        assert self._conn is not None
        return key, self._conn

    async def close(self) -> None:
        conn, self._conn, self.key = self._conn, None, None
        if conn is not None and not conn.is_closed():
            try:
                await conn.close(timeout=5)
            except (OSError, asyncpg.PostgresError, TimeoutError):
                conn.terminate()

    def backend_pid(self) -> int | None:
        return self._conn.get_server_pid() if self.alive and self._conn else None
