"""Pull requests: create, merge, reassign (reference); get, list, explain (extensions)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.core.errors import BadRequest
from bot.core.models import PrFilter, PrStatus
from handlers import params, shapes
from handlers.codec import json_response, read_body
from handlers.deps import services
from handlers.params import query_param

PAGE_DEFAULT = 50
PAGE_MAX = 200
_STATUSES = tuple(s.value for s in PrStatus)


async def pr_create(request: Request) -> Response:
    body = await read_body(request, shapes.CreatePrIn)
    pr = await services(request).pull_requests.create(
        body.pull_request_id, body.pull_request_name, body.author_id, body.changed_files
    )
    return json_response({"pr": shapes.pull_request(pr)}, 201)


async def pr_merge(request: Request) -> Response:
    body = await read_body(request, shapes.MergePrIn)
    pr = await services(request).pull_requests.merge(body.pull_request_id)
    return json_response({"pr": shapes.pull_request(pr)})


async def pr_reassign(request: Request) -> Response:
    body = await read_body(request, shapes.ReassignIn)
    old = body.old_user_id or body.old_reviewer_id
    if old is None:
        raise BadRequest("invalid field: Object missing required field `old_user_id`")
    pr, replaced_by = await services(request).pull_requests.reassign(body.pull_request_id, old)
    return json_response({"pr": shapes.pull_request(pr), "replaced_by": replaced_by})


async def pr_get(request: Request) -> Response:
    pr = await services(request).pull_requests.get(query_param(request, "pull_request_id"))
    return json_response({"pr": shapes.pull_request(pr)})


async def pr_list(request: Request) -> Response:
    where = PrFilter(
        status=params.one_of(request, "status", _STATUSES),
        team_name=params.optional_id(request, "team_name"),
        reviewer_id=params.optional_id(request, "reviewer_id"),
        author_id=params.optional_id(request, "author_id"),
    )
    limit = params.bounded_int(request, "limit", PAGE_DEFAULT, 1, PAGE_MAX)
    after = params.decode_cursor(request)
    found = await services(request).pull_requests.page(where, after, limit + 1)
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


async def pr_explain(request: Request) -> Response:
    pr_id = query_param(request, "pull_request_id")
    events, routing, follow_up = await services(request).pull_requests.explain(pr_id)
    body: dict[str, Any] = {"pull_request_id": pr_id, "assignments": events, "follow_up": follow_up}
    if routing is not None:
        body["routing"] = routing
    return json_response(body)


routes = [
    Route("/pullRequest/create", pr_create, methods=["POST"]),
    Route("/pullRequest/merge", pr_merge, methods=["POST"]),
    Route("/pullRequest/reassign", pr_reassign, methods=["POST"]),
    Route("/pullRequest/get", pr_get, methods=["GET"]),
    Route("/pullRequest/list", pr_list, methods=["GET"]),
    Route("/pullRequest/explain", pr_explain, methods=["GET"]),
]
