"""Endpoints of the reference contract (CONTRACT §1): parse, call the service, shape."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.core.errors import BadRequest
from bot.core.models import Member
from bot.services.reviews import ReviewService
from handlers import shapes
from handlers.codec import json_response, read_body
from handlers.params import query_param


def _service(request: Request) -> ReviewService:
    service: ReviewService = request.app.state.service
    return service


async def team_add(request: Request) -> Response:
    body = await read_body(request, shapes.TeamAddIn)
    ids = [m.user_id for m in body.members]
    if len(ids) != len(set(ids)):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise BadRequest(f"invalid field: members lists user_id '{dup}' more than once")
    members = [Member(m.user_id, m.username, m.is_active) for m in body.members]
    team = await _service(request).add_team(body.team_name, members)
    return json_response({"team": shapes.team(team)}, 201)


async def team_get(request: Request) -> Response:
    team = await _service(request).get_team(query_param(request, "team_name"))
    return json_response(shapes.team(team))


async def users_set_is_active(request: Request) -> Response:
    body = await read_body(request, shapes.SetIsActiveIn)
    user = await _service(request).set_is_active(body.user_id, body.is_active)
    return json_response({"user": shapes.user(user)})


async def users_get_review(request: Request) -> Response:
    user_id = query_param(request, "user_id")
    body = await _service(request).get_reviews_json(user_id)
    return Response(body, media_type="application/json")


async def pr_create(request: Request) -> Response:
    body = await read_body(request, shapes.CreatePrIn)
    pr = await _service(request).create_pr(
        body.pull_request_id, body.pull_request_name, body.author_id
    )
    return json_response({"pr": shapes.pull_request(pr)}, 201)


async def pr_merge(request: Request) -> Response:
    body = await read_body(request, shapes.MergePrIn)
    pr = await _service(request).merge_pr(body.pull_request_id)
    return json_response({"pr": shapes.pull_request(pr)})


async def pr_reassign(request: Request) -> Response:
    body = await read_body(request, shapes.ReassignIn)
    old = body.old_user_id or body.old_reviewer_id
    if old is None:
        raise BadRequest("invalid field: Object missing required field `old_user_id`")
    pr, replaced_by = await _service(request).reassign(body.pull_request_id, old)
    return json_response({"pr": shapes.pull_request(pr), "replaced_by": replaced_by})


async def health(request: Request) -> Response:
    return json_response({"status": "ok"})


routes = [
    Route("/team/add", team_add, methods=["POST"]),
    Route("/team/get", team_get, methods=["GET"]),
    Route("/users/setIsActive", users_set_is_active, methods=["POST"]),
    Route("/users/getReview", users_get_review, methods=["GET"]),
    Route("/pullRequest/create", pr_create, methods=["POST"]),
    Route("/pullRequest/merge", pr_merge, methods=["POST"]),
    Route("/pullRequest/reassign", pr_reassign, methods=["POST"]),
    Route("/health", health, methods=["GET"]),
]
