"""SQL of path rules and CODEOWNERS: the stored rules, team handles, the CODEOWNERS cache,
the jobs that read changed files from hosts, and what each PR's routing noted.

Jobs are leased like outbox rows (``lease_until``, ``claimed_by``): the claim's row lock
lasts only for the claim, and the lease keeps other workers away while the host is being
asked, unless the owner's session is gone (its instance died): then at once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.core.routing import CodeOwnersSetting, Routing, Rule
from bot.core.selection import Candidate
from store.db import Connection
from store.outbox import LIVE_OWNERS, claimable
from store.selection import AWAY_ON, OPEN_LOAD, candidate


def routing_of(rules: Any, codeowners: Any) -> Routing:
    rule_list = json.loads(rules) if isinstance(rules, str) else rules
    co = json.loads(codeowners) if isinstance(codeowners, str) else codeowners
    return Routing(
        tuple(
            Rule(
                r["name"],
                tuple(r["paths"]),
                tuple(r.get("repos", ())),
                r.get("team"),
                tuple(r.get("members", ())),
                int(r.get("reviewers", 1)),
            )
            for r in rule_list
        ),
        CodeOwnersSetting(bool(co.get("enabled")), int(co.get("reviewers", 1))),
    )


async def load_routing(conn: Connection) -> Routing:
    row = await conn.fetchrow("SELECT rules, codeowners FROM routing_config WHERE id = 1")
    if row is None:
        return Routing()
    return routing_of(row["rules"], row["codeowners"])


async def write_routing(
    conn: Connection, rules: Sequence[Rule] | None, codeowners: CodeOwnersSetting | None
) -> None:
    """Replace what is given; None leaves that part as it is."""
    if rules is None and codeowners is None:
        return
    await conn.execute(
        """INSERT INTO routing_config (id, rules, codeowners)
           VALUES (1, COALESCE($1::jsonb, '[]'),
                   COALESCE($2::jsonb, '{"enabled": false, "reviewers": 1}'))
           ON CONFLICT (id) DO UPDATE
              SET rules = COALESCE($1::jsonb, routing_config.rules),
                  codeowners = COALESCE($2::jsonb, routing_config.codeowners),
                  updated_at = now()""",
        None if rules is None else json.dumps([r.as_json() for r in rules]),
        None if codeowners is None else json.dumps(codeowners.as_json()),
    )


async def team_handles(conn: Connection) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for r in await conn.fetch("SELECT team_name, host, handle FROM team_handles ORDER BY host"):
        out.setdefault(r["team_name"], []).append((r["host"], r["handle"]))
    return out


async def write_team_handles(
    conn: Connection, teams: Sequence[tuple[str, Sequence[tuple[str, str]]]]
) -> None:
    names = [name for name, _ in teams]
    if not names:
        return
    await conn.execute("DELETE FROM team_handles WHERE team_name = ANY($1::text[])", names)
    rows = [(name, host, handle) for name, handles in teams for host, handle in handles]
    await conn.executemany(
        "INSERT INTO team_handles (team_name, host, handle) VALUES ($1, $2, $3)", rows
    )


async def team_by_handle(conn: Connection, host: str, handle: str) -> str | None:
    value = await conn.fetchval(
        "SELECT team_name FROM team_handles WHERE host = $1 AND lower(handle) = lower($2)",
        host,
        handle,
    )
    return None if value is None else str(value)


async def members_of(conn: Connection, team_names: Sequence[str]) -> dict[str, list[str]]:
    rows = await conn.fetch(
        "SELECT team_name, user_id FROM users WHERE team_name = ANY($1::text[]) ORDER BY user_id",
        list(team_names),
    )
    out: dict[str, list[str]] = {name: [] for name in team_names}
    for r in rows:
        out[r["team_name"]].append(r["user_id"])
    return out


# -- the CODEOWNERS cache ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CachedCodeOwners:
    revision: str
    path: str | None  # None: the repository has no CODEOWNERS
    body: str | None
    fetched_at: datetime


async def cached_codeowners(
    conn: Connection, host: str, repo: str, now: datetime, max_age: float
) -> CachedCodeOwners | None:
    row = await conn.fetchrow(
        """SELECT revision, path, body, fetched_at FROM codeowners_cache
            WHERE host = $1 AND repo = $2 AND fetched_at > $3""",
        host,
        repo,
        now - timedelta(seconds=max_age),
    )
    return None if row is None else CachedCodeOwners(**dict(row))


async def cache_codeowners(conn: Connection, host: str, repo: str, found: CachedCodeOwners) -> None:
    await conn.execute(
        """INSERT INTO codeowners_cache (host, repo, revision, path, body, fetched_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (host, repo) DO UPDATE
              SET revision = EXCLUDED.revision, path = EXCLUDED.path, body = EXCLUDED.body,
                  fetched_at = EXCLUDED.fetched_at""",
        host,
        repo,
        found.revision,
        found.path,
        found.body,
        found.fetched_at,
    )


async def forget_codeowners(conn: Connection, host: str, repo: str) -> None:
    await conn.execute("DELETE FROM codeowners_cache WHERE host = $1 AND repo = $2", host, repo)


# -- jobs ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    host: str
    pull_request_id: str
    reason: str  # opened | new_commits
    default_branch: str | None
    non_members: int
    attempts: int
    first_attempt_at: datetime | None
    kind: str = "request"  # what settling a retry reads (bot.core.postback.Row)


_JOB = """id, host, pull_request_id, reason, default_branch, non_members, attempts,
    first_attempt_at"""


async def enqueue_job(
    conn: Connection,
    host: str,
    pr_id: str,
    reason: str,
    default_branch: str | None,
    non_members: int,
) -> None:
    await conn.execute(
        """INSERT INTO routing_jobs (host, pull_request_id, reason, default_branch, non_members)
           VALUES ($1, $2, $3, $4, $5)""",
        host,
        pr_id,
        reason,
        default_branch,
        non_members,
    )


async def claim_jobs(
    conn: Connection,
    now: datetime,
    lease_until: datetime,
    limit: int,
    owner: int,
    skip_hosts: Sequence[str],
) -> list[Job]:
    """Lease due jobs for ``owner`` (an outbox ``Owner`` key): a job whose owner's session
    is gone (its instance was killed) is claimable at once, not after its lease."""
    rows = await conn.fetch(
        f"""WITH {LIVE_OWNERS},
            due AS (
                SELECT j.id FROM routing_jobs j
                 WHERE j.state = 'pending' AND j.next_attempt_at <= $1 AND {claimable("j")}
                   AND j.host <> ALL($4::text[])
                 ORDER BY j.next_attempt_at, j.id LIMIT $3
                 FOR UPDATE OF j SKIP LOCKED)
            UPDATE routing_jobs j
               SET lease_until = $2, claimed_by = $5, attempts = attempts + 1,
                   first_attempt_at = COALESCE(first_attempt_at, $1)
              FROM due WHERE j.id = due.id
         RETURNING {", ".join("j." + c.strip() for c in _JOB.split(","))}""",
        now,
        lease_until,
        limit,
        list(skip_hosts),
        owner,
    )
    return sorted((Job(**dict(r)) for r in rows), key=lambda j: j.id)


async def finish_job(
    conn: Connection, job_id: int, state: str, now: datetime, error: str | None = None
) -> None:
    await conn.execute(
        """UPDATE routing_jobs SET state = $2, finished_at = $3, lease_until = NULL,
                  last_error = COALESCE($4, last_error)
            WHERE id = $1""",
        job_id,
        state,
        now,
        error,
    )


async def reschedule_job(conn: Connection, job_id: int, at: datetime, error: str) -> None:
    await conn.execute(
        """UPDATE routing_jobs SET next_attempt_at = $2, last_error = $3, lease_until = NULL
            WHERE id = $1""",
        job_id,
        at,
        error,
    )


# -- what a PR's routing noted ------------------------------------------------------


async def save_notes(conn: Connection, pr_id: str, files: int | None, notes: Sequence[str]) -> None:
    await conn.execute(
        """INSERT INTO pr_routing (pull_request_id, files, notes) VALUES ($1, $2, $3::jsonb)
           ON CONFLICT (pull_request_id) DO UPDATE
              SET files = EXCLUDED.files, notes = EXCLUDED.notes, updated_at = now()""",
        pr_id,
        files,
        json.dumps(list(notes)),
    )


async def notes_of(conn: Connection, pr_id: str) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT files, notes, updated_at FROM pr_routing WHERE pull_request_id = $1", pr_id
    )
    if row is None:
        return None
    return {"files": row["files"], "notes": json.loads(row["notes"]), "at": row["updated_at"]}


async def annotate_explain(conn: Connection, because: dict[str, Any]) -> None:
    """Add why (the rule, the CODEOWNERS line) to the explanation the choice just left."""
    await conn.execute(
        """SELECT set_config('reviewbot.explain',
                  (COALESCE(NULLIF(current_setting('reviewbot.explain', true), ''), '{}')::jsonb
                   || jsonb_build_object('because', $1::jsonb))::text, true)""",
        json.dumps(because),
    )


async def pool_candidates(
    conn: Connection, user_ids: Sequence[str], today: date
) -> list[Candidate]:
    """A ``members:`` pool as the choice sees it, the active ones share-locked in id order
    (like every writer of user rows) with their load, cap and availability; inactive or
    unknown ids come back inactive so the explanation names them."""
    rows = await conn.fetch(
        f"""SELECT u.user_id, u.max_open_reviews, u.rr_turn,
                   {AWAY_ON.format(day="$2::date")} AS away, {OPEN_LOAD} AS open_reviews
              FROM users u
             WHERE u.user_id = ANY($1::text[]) AND u.is_active
             ORDER BY u.user_id FOR SHARE OF u""",
        sorted(set(user_ids)),
        today,
    )
    found = {r["user_id"]: candidate(r) for r in rows}
    return [found.get(u) or Candidate(u, is_active=False) for u in dict.fromkeys(user_ids)]


# Whether rules or CODEOWNERS are on, as one SQL value (the rules are not decoded); a
# delivery's claim reads it in its own statement (``store.host_sync.claim_pr_delivery``).
ROUTING_ON = """COALESCE((SELECT jsonb_array_length(rules) > 0
                                 OR COALESCE((codeowners->>'enabled')::boolean, false)
                            FROM routing_config WHERE id = 1), false)"""
