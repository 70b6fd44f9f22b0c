"""Our endpoints beyond the reference (CONTRACT §2): deactivation, listing, statistics."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.core.errors import NotFound
from bot.core.models import PrStatus
from bot.services.deactivation import deactivate
from bot.services.reviews import ReviewService
from handlers import params, shapes
from handlers.codec import json_response, read_body
from handlers.params import query_param
from store import listing
from store import pull_requests as prs

PAGE_DEFAULT = 50
PAGE_MAX = 200
_STATUSES = tuple(s.value for s in PrStatus)


class DeactivateIn(msgspec.Struct):
    team_name: shapes.Id
    # Absent: every member of the team. Present: a non-empty list; null is refused, so a
    # client bug cannot deactivate a whole team by accident.
    user_ids: (
        Annotated[list[shapes.Id], msgspec.Meta(min_length=1, max_length=10_000)]
        | msgspec.UnsetType
    ) = msgspec.UNSET


def _service(request: Request) -> ReviewService:
    service: ReviewService = request.app.state.service
    return service


async def team_deactivate(request: Request) -> Response:
    body = await read_body(request, DeactivateIn)
    user_ids = None if body.user_ids is msgspec.UNSET else body.user_ids
    done = await deactivate(_service(request), body.team_name, user_ids)
    return json_response(
        {
            "team_name": done.team_name,
            "deactivated": done.deactivated,
            "reassignments": [
                {
                    "pull_request_id": m.pull_request_id,
                    "old_reviewer": m.old_reviewer,
                    "new_reviewer": m.new_reviewer,
                }
                for m in done.moves
            ],
        }
    )


async def team_list(request: Request) -> Response:
    async with _service(request).db.connection() as conn:
        teams = await listing.all_teams(conn)
    return json_response({"teams": [shapes.team(t) for t in teams]})


async def pr_get(request: Request) -> Response:
    pr_id = query_param(request, "pull_request_id")
    async with _service(request).db.connection() as conn:
        pr = await prs.fetch_pr(conn, pr_id)
    if pr is None:
        raise NotFound(f"pull request '{pr_id}' not found")
    return json_response({"pr": shapes.pull_request(pr)})


async def pr_list(request: Request) -> Response:
    where = listing.PrFilter(
        status=params.one_of(request, "status", _STATUSES),
        team_name=params.optional_id(request, "team_name"),
        reviewer_id=params.optional_id(request, "reviewer_id"),
        author_id=params.optional_id(request, "author_id"),
    )
    limit = params.bounded_int(request, "limit", PAGE_DEFAULT, 1, PAGE_MAX)
    after = params.decode_cursor(request)
    async with _service(request).db.connection() as conn:
        found = await listing.page_of_prs(conn, where, after, limit + 1)
    page = found[:limit]
    next_cursor = None
    if len(found) > limit:
        last = page[-1]
        next_cursor = params.encode_cursor(last.created_at, last.pull_request_id)
    body: dict[str, Any] = {
        "pull_requests": [shapes.pull_request(p) for p in page],
        "next_cursor": next_cursor,
    }
    return json_response(body)


routes = [
    Route("/team/deactivate", team_deactivate, methods=["POST"]),
    Route("/team/list", team_list, methods=["GET"]),
    Route("/pullRequest/get", pr_get, methods=["GET"]),
    Route("/pullRequest/list", pr_list, methods=["GET"]),
]
