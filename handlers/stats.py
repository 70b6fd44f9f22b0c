"""``GET /stats``: assignment statistics per user, per team and per PR."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.core.errors import BadRequest
from bot.core.stats import NO_REVIEWS, ResponseFigures, TeamStats, UserStats, Window
from handlers import params
from handlers.codec import json_response
from handlers.deps import services

PR_LIMIT_DEFAULT = 100
PR_LIMIT_MAX = 1000


def _window(request: Request) -> Window:
    window = Window(
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


def _reviews(figures: dict[str, ResponseFigures], key: str) -> dict[str, object]:
    return figures.get(key, NO_REVIEWS).as_json()


async def get_stats(request: Request) -> Response:
    window = _window(request)
    limit = params.bounded_int(request, "pr_limit", PR_LIMIT_DEFAULT, 1, PR_LIMIT_MAX)
    report = await services(request).stats.report(window, limit)
    by_team: dict[str, list[UserStats]] = {}
    for u in report.users:
        by_team.setdefault(u.team_name, []).append(u)
    return json_response(
        {
            "team_name": window.team_name,
            "since": window.since,
            "until": window.until,
            "users": [
                {
                    **asdict(u),
                    "reviews": report.reviews_by_user.get(u.user_id, NO_REVIEWS).as_json(),
                }
                for u in report.users
            ],
            "teams": [
                {
                    **_team_row(t, by_team.get(t.team_name, [])),
                    "reviews": _reviews(report.reviews_by_team, t.team_name),
                }
                for t in report.teams
            ],
            "pull_requests": [asdict(p) for p in report.pull_requests],
        }
    )


routes = [Route("/stats", get_stats, methods=["GET"])]
