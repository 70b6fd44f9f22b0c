"""Teams: ``/team/add`` and ``/team/get`` (reference), ``/team/list``, ``/team/deactivate``
and ``/teams/reload`` (extensions)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.core.errors import BadRequest, NoTeamsFile, TeamsFileInvalid
from bot.core.models import Member, Team
from handlers import shapes
from handlers.codec import encode, json_response, read_body
from handlers.deps import services
from handlers.params import query_param


class DeactivateIn(msgspec.Struct):
    team_name: shapes.Id
    # Absent: every member of the team. Present: a non-empty list; null is refused, so a
    # client bug cannot deactivate a whole team by accident.
    user_ids: (
        Annotated[list[shapes.Id], msgspec.Meta(min_length=1, max_length=10_000)]
        | msgspec.UnsetType
    ) = msgspec.UNSET


async def team_add(request: Request) -> Response:
    body = await read_body(request, shapes.TeamAddIn)
    ids = [m.user_id for m in body.members]
    if len(ids) != len(set(ids)):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise BadRequest(f"invalid field: members lists user_id '{dup}' more than once")
    members = [Member(m.user_id, m.username, m.is_active) for m in body.members]
    team = await services(request).teams.add(body.team_name, members)
    return json_response({"team": shapes.team(team)}, 201)


async def team_get(request: Request) -> Response:
    teams = services(request).teams
    body = await teams.answer(query_param(request, "team_name"), _team_json)
    return Response(body, media_type="application/json")


def _team_json(team: Team) -> bytes:
    return encode(shapes.team(team))


async def team_list(request: Request) -> Response:
    teams = await services(request).teams.all()
    return json_response({"teams": [shapes.team(t) for t in teams]})


async def team_deactivate(request: Request) -> Response:
    body = await read_body(request, DeactivateIn)
    user_ids = None if body.user_ids is msgspec.UNSET else body.user_ids
    done = await services(request).deactivations.deactivate(body.team_name, user_ids)
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


async def teams_reload(request: Request) -> Response:
    reloader = services(request).teams_reloader
    if reloader is None:
        raise NoTeamsFile("TEAMS_FILE is not set; there is nothing to reload")
    result = await reloader.reload()
    if result.status == "rejected":
        listed = "\n".join(result.errors)
        raise TeamsFileInvalid(f"TEAMS_FILE not applied; the running config stays:\n{listed}")
    return json_response(result.as_json())


routes = [
    Route("/team/add", team_add, methods=["POST"]),
    Route("/team/get", team_get, methods=["GET"]),
    Route("/team/list", team_list, methods=["GET"]),
    Route("/team/deactivate", team_deactivate, methods=["POST"]),
    Route("/teams/reload", teams_reload, methods=["POST"]),
]
