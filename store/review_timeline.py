"""What review follow-through shows and reads beside the scheduler's rows: the timeline
of a PR for explain, and a team's working hours for prefer_working_hours."""

from __future__ import annotations

from bot.core.working_time import DEFAULT_DAYS, DEFAULT_HOURS, Schedule, schedule
from store.db import Connection


async def timeline(conn: Connection, pr_id: str) -> list[dict[str, object]]:
    """Requests, responses, nudges and escalations on the PR, in time order (explain)."""
    rows = await conn.fetch(
        """SELECT user_id, requested_at, first_responded_at, breached_at, nudged_at,
                  escalated_at, escalated_to, ended_at
             FROM review_requests WHERE pull_request_id = $1""",
        pr_id,
    )
    events: list[dict[str, object]] = []
    for r in rows:
        events.append({"at": r["requested_at"], "event": "requested", "user_id": r["user_id"]})
        for column, name in (
            ("first_responded_at", "responded"),
            ("breached_at", "late"),
            ("nudged_at", "nudged"),
        ):
            if r[column] is not None:
                events.append({"at": r[column], "event": name, "user_id": r["user_id"]})
        if r["escalated_at"] is not None:
            events.append(
                {
                    "at": r["escalated_at"],
                    "event": "escalated",
                    "user_id": r["user_id"],
                    "to": r["escalated_to"],
                }
            )
    pauses = await conn.fetch(
        "SELECT reason, started_at, ended_at FROM pr_pauses WHERE pull_request_id = $1", pr_id
    )
    for p in pauses:
        events.append({"at": p["started_at"], "event": "paused", "reason": p["reason"]})
        if p["ended_at"] is not None:
            events.append({"at": p["ended_at"], "event": "resumed", "reason": p["reason"]})
    events.sort(key=lambda e: (e["at"], e["event"] != "requested"))
    return [{**e, "at": e["at"].isoformat()} for e in events]  # type: ignore[attr-defined]


async def work_preferences(conn: Connection, team_name: str) -> dict[str, Schedule] | None:
    """Members' schedules when the team prefers working hours (None: it does not)."""
    rows = await conn.fetch(
        """SELECT u.user_id, u.timezone, u.work_hours, u.work_days
             FROM team_sla s JOIN users u ON u.team_name = s.team_name
            WHERE s.team_name = $1 AND s.prefer_working_hours""",
        team_name,
    )
    if not rows:
        return None
    return {
        r["user_id"]: schedule(
            r["timezone"] or "UTC", r["work_hours"] or DEFAULT_HOURS, r["work_days"] or DEFAULT_DAYS
        )
        for r in rows
    }
