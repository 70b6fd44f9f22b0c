"""Team-config endpoints: reload ``TEAMS_FILE`` (admin) and explain a PR's assignments."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.core.errors import NoTeamsFile, TeamsFileInvalid
from bot.services.reviews import ReviewService
from bot.services.team_config import TeamsReloader
from handlers.codec import json_response
from handlers.params import query_param


async def teams_reload(request: Request) -> Response:
    reloader: TeamsReloader | None = request.app.state.teams_reloader
    if reloader is None:
        raise NoTeamsFile("TEAMS_FILE is not set; there is nothing to reload")
    result = await reloader.reload()
    if result.status == "rejected":
        listed = "\n".join(result.errors)
        raise TeamsFileInvalid(f"TEAMS_FILE not applied; the running config stays:\n{listed}")
    return json_response(result.as_json())


async def pr_explain(request: Request) -> Response:
    pr_id = query_param(request, "pull_request_id")
    service: ReviewService = request.app.state.service
    events = await service.explain(pr_id)
    body: dict[str, Any] = {"pull_request_id": pr_id, "assignments": events}
    return json_response(body)


routes = [
    Route("/teams/reload", teams_reload, methods=["POST"]),
    Route("/pullRequest/explain", pr_explain, methods=["GET"]),
]
