"""``GET /stats``: assignment statistics per user, per team and per PR."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.core.errors import BadRequest, NotFound
from bot.services.reviews import ReviewService
from handlers import params
from handlers.codec import json_response
from store import stats
from store.stats import TeamStats, UserStats

PR_LIMIT_DEFAULT = 100
PR_LIMIT_MAX = 1000


def _window(request: Request) -> stats.Window:
    window = stats.Window(
        team_name=params.optional_id(request, "team_name"),
        since=params.optional_time(request, "since"),
        until=params.optional_time(request, "until"),
    )
    if window.since and window.until and window.since > window.until:
        raise BadRequest("query parameter 'since' is after 'until'")
    return window


def _team_row(team: TeamStats, members: list[UserStats]) -> dict[str, Any]:
    return {
        **asdict(team),
        "assignments": sum(u.assignments for u in members),
        "open_reviews": sum(u.open_reviews for u in members),
        "merged_reviews": sum(u.merged_reviews for u in members),
        "reassigned_away": sum(u.reassigned_away for u in members),
    }


async def get_stats(request: Request) -> Response:
    window = _window(request)
    limit = params.bounded_int(request, "pr_limit", PR_LIMIT_DEFAULT, 1, PR_LIMIT_MAX)
    service: ReviewService = request.app.state.service
    async with service.db.connection() as conn:
        if window.team_name is not None and not await stats.team_exists(conn, window.team_name):
            raise NotFound(f"team '{window.team_name}' not found")
        users = await stats.per_user(conn, window)
        teams = await stats.per_team(conn, window)
        prs = await stats.per_pr(conn, window, limit)
    by_team: dict[str, list[UserStats]] = {}
    for u in users:
        by_team.setdefault(u.team_name, []).append(u)
    return json_response(
        {
            "team_name": window.team_name,
            "since": window.since,
            "until": window.until,
            "users": [asdict(u) for u in users],
            "teams": [_team_row(t, by_team.get(t.team_name, [])) for t in teams],
            "pull_requests": [asdict(p) for p in prs],
        }
    )


routes = [Route("/stats", get_stats, methods=["GET"])]
