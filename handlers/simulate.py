"""``POST /simulate``: replay stored PRs against a team file sent as the body (admin).

The body is a team file (YAML, as ``reviewbot teams validate`` reads it); the window and
seed come from the query (``since``, default 30d; ``until``, default now; ``seed``). The
answer is the report of ``reviewbot simulate --json``. Bounded: a window of at most
``API_LIMITS.max_days``, at most ``max_prs`` PRs and ``max_seconds`` of replay, else 422
``SIMULATION_TOO_LARGE``. Nothing is written.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.core.errors import BadRequest, TeamsFileInvalid
from bot.services.simulate import Limits, window_of
from config.team_parse import parse_config_texts
from config.team_spec import ConfigInvalid
from handlers.codec import json_response, read_raw
from handlers.deps import services
from handlers.params import bounded_int

API_LIMITS = Limits(max_days=366, max_prs=200_000, max_seconds=20.0)
BODY_NAME = "body"  # the "file" named in file:line errors
MAX_WHEN_LENGTH = 40


def _when(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    if value is not None and len(value) > MAX_WHEN_LENGTH:
        raise BadRequest(f"query parameter '{name}' is longer than {MAX_WHEN_LENGTH} characters")
    return value or None


async def simulate(request: Request) -> Response:
    raw = await read_raw(request)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the body must be a UTF-8 team file") from None
    window = window_of(
        _when(request, "since"), _when(request, "until"), datetime.now(UTC), API_LIMITS
    )
    seed = (
        bounded_int(request, "seed", -1, 0, 2**31 - 1) if "seed" in request.query_params else None
    )
    try:
        config = parse_config_texts([(text, BODY_NAME)])
    except ConfigInvalid as invalid:
        listed = "\n".join(str(i) for i in invalid.issues)
        raise TeamsFileInvalid(
            f"the team file is invalid; nothing was simulated:\n{listed}"
        ) from None
    report = await services(request).simulator.run(config, [BODY_NAME], window, seed, API_LIMITS)
    return json_response(report)


routes = [Route("/simulate", simulate, methods=["POST"])]
