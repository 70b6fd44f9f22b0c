"""``/dashboard/simulate``: the replay simulator's report as a page (admin sessions).

An admin pastes a team file and picks a window; the page shows, per team and member, the
simulated figures beside what really happened, with bars and the differences marked. It
runs the same ``Simulator`` use case, limits and team-file reader as ``POST /simulate``:
a malformed file lists its file:line problems on the page, a replay beyond the limits
shows the limit's message. A user session sees the page without the form; its POST is 403.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from bot.core.errors import BadRequest, Busy, Forbidden, SimulationTooLarge
from bot.services.simulate import window_of
from config.team_parse import parse_config_texts
from config.team_spec import ConfigInvalid
from handlers.dashboard_render import page, redirect
from handlers.dashboard_session import LOGIN, Role, common_context, read_form, require_csrf, role_of
from handlers.dashboard_simulate_view import report_view
from handlers.deps import Services, services
from handlers.simulate import API_LIMITS, MAX_WHEN_LENGTH

PATH = "/dashboard/simulate"
FILE_NAME = "pasted"  # the "file" named in file:line problems
FORM_MAX_BYTES = 512 * 1024  # a team file of some thousand members, urlencoded
FIELDS = ("teams", "since", "until", "seed")


def _context(request: Request, found: Services, role: Role, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "fields": dict.fromkeys(FIELDS, ""),
        "problems": [],
        "error": None,
        "view": None,
        "limits_days": API_LIMITS.max_days,
        "limits_prs": f"{API_LIMITS.max_prs:,}",
        "limits_seconds": f"{API_LIMITS.max_seconds:g}",
    }
    return {**common_context(request, found, role), **base, **extra}


async def simulate_page(request: Request) -> Response:
    found = services(request)
    role = role_of(request, found.settings)
    if role is None:
        return redirect(LOGIN)
    return page("simulate.html", _context(request, found, role))


def _seed(text: str) -> int | None:
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and int(text) < 2**31):
        raise BadRequest("seed: must be a whole number from 0 to 2147483647")
    return int(text)


def _fields(form: dict[str, str]) -> dict[str, str]:
    fields = {name: form.get(name, "").strip() for name in FIELDS}
    fields["teams"] = form.get("teams", "")
    for name in ("since", "until"):
        if len(fields[name]) > MAX_WHEN_LENGTH:
            raise BadRequest(f"{name}: longer than {MAX_WHEN_LENGTH} characters")
    return fields


async def simulate_run(request: Request) -> Response:
    """Admin only, CSRF-checked. Problems with the file or the window come back on the
    page beside the form (200: the error envelope is for the API, not for a page)."""
    found = services(request)
    form = await read_form(request, FORM_MAX_BYTES)
    role = role_of(request, found.settings)
    if role is None:
        raise Forbidden("sign in at /dashboard/login first")
    require_csrf(request, form)
    if role is not Role.ADMIN:
        raise Forbidden("running the simulator needs the admin token")
    fields = _fields(form)
    try:
        report = await _replay(found, fields)
    except ConfigInvalid as invalid:
        problems = [str(issue) for issue in invalid.issues]
        context = _context(request, found, role, fields=fields, problems=problems)
        return page("simulate.html", context)
    except (BadRequest, SimulationTooLarge, Busy) as refused:
        context = _context(request, found, role, fields=fields, error=str(refused))
        return page("simulate.html", context)
    view = report_view(report)
    return page("simulate.html", _context(request, found, role, fields=fields, view=view))


async def _replay(found: Services, fields: dict[str, str]) -> dict[str, Any]:
    now = datetime.now(UTC)
    window = window_of(fields["since"] or None, fields["until"] or None, now, API_LIMITS)
    seed = _seed(fields["seed"])
    config = parse_config_texts([(fields["teams"], FILE_NAME)])
    return await found.simulator.run(config, [FILE_NAME], window, seed, API_LIMITS)


def simulate_routes() -> list[BaseRoute]:
    """Served by ``handlers.dashboard.routes`` (documented in ``openapi/dashboard.yaml``)."""
    return [
        Route(PATH, simulate_page, methods=["GET"]),
        Route(PATH, simulate_run, methods=["POST"]),
    ]
