"""The framework ceiling: a bare Starlette app served exactly as reviewbot is served.

It answers every GET with a small fixed JSON body and does no I/O, so what the load
generator measures against it is the cost of uvicorn + Starlette + the generator itself on
this machine at this moment. Every figure of a run is also reported as a ratio to it.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = b'{"team_name":"ceiling","members":[{"user_id":"u1","username":"n1","is_active":true}]}'


async def fixed(request: Request) -> Response:
    return Response(BODY, media_type="application/json")


def app() -> Starlette:
    return Starlette(routes=[Route("/health", fixed), Route("/fixed", fixed)])


def main() -> None:
    import uvicorn

    from bot.cli import uvicorn_options
    from config.settings import Settings

    uvicorn.run("perf.ceiling:app", factory=True, **uvicorn_options(Settings.from_env(os.environ)))


if __name__ == "__main__":
    main()
