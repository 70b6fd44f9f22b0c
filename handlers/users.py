"""Users: ``/users/setIsActive`` and ``/users/getReview`` (reference)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from handlers import shapes
from handlers.codec import json_response, read_body
from handlers.deps import services
from handlers.params import query_param


async def users_set_is_active(request: Request) -> Response:
    body = await read_body(request, shapes.SetIsActiveIn)
    user = await services(request).users.set_is_active(body.user_id, body.is_active)
    return json_response({"user": shapes.user(user)})


async def users_get_review(request: Request) -> Response:
    user_id = query_param(request, "user_id")
    body = await services(request).review_reads.answer(user_id)
    return Response(body, media_type="application/json")


routes = [
    Route("/users/setIsActive", users_set_is_active, methods=["POST"]),
    Route("/users/getReview", users_get_review, methods=["GET"]),
]
