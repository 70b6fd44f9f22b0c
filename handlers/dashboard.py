"""``GET /dashboard``: the team leads' page, its PR page, login/logout and the retry button.

Server-rendered HTML over the same use cases as the API (docs/dashboard.md). The token
middleware lets ``/dashboard`` through; access is checked here from the session that the
login form starts (``handlers.dashboard_session``): reads need the user or the admin
token, retrying a post-back the admin token, and every form carries a CSRF token.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.core.dashboard import shortfall_reason
from bot.core.errors import BadRequest, Forbidden
from bot.hosts.links import host_names, pr_web_url
from bot.services.dashboard import Filters
from handlers import params
from handlers.dashboard_render import STATIC, STATIC_PATH, page, redirect
from handlers.dashboard_session import (
    HOME,
    LOGIN,
    Role,
    common_context,
    csrf_token,
    read_form,
    require_csrf,
    role_for_token,
    role_of,
    sign_in,
    tokens_set,
)
from handlers.dashboard_simulate import simulate_routes
from handlers.deps import services

API_HOST = "api"  # the host filter's value for PRs created through the REST API


def _filters(request: Request) -> Filters:
    """``team`` and ``host`` from the query; empty means all (what an HTML form sends)."""
    team = request.query_params.get("team") or None
    if team is not None:
        team = params.optional_id(request, "team")
    host = request.query_params.get("host") or None
    if host is not None and host != API_HOST and host not in host_names():
        raise BadRequest(
            f"query parameter 'host' must be one of {API_HOST}, {', '.join(host_names())}"
        )
    return Filters(team=team, host="" if host == API_HOST else host)


async def overview(request: Request) -> Response:
    found = services(request)
    role = role_of(request, found.settings)
    if role is None:
        return redirect(LOGIN)
    filters = _filters(request)
    now = found.dashboard.now()
    view = await found.dashboard.overview(filters, now)
    hosts = found.settings.code_hosts
    links = {
        pr.pull_request_id: pr_web_url(hosts, pr.pull_request_id)
        for pr in (*view.oldest, *view.short)
    }
    context = {
        **common_context(request, found, role),
        "view": view,
        "now": now,
        "filters": filters,
        "team_filter": filters.team or "",
        "host_filter": API_HOST if filters.host == "" else (filters.host or ""),
        "team_names": view.team_names,
        "host_names": host_names(),
        "api_host": API_HOST,
        "links": links,
        "reasons": {pr.pull_request_id: shortfall_reason(pr) for pr in view.short},
        "largest_team_load": max((t.open_reviews for t in view.teams), default=0),
        "member_max": max((m.open_reviews for m in view.members), default=0),
    }
    return page("overview.html", context)


async def pr_page(request: Request) -> Response:
    found = services(request)
    role = role_of(request, found.settings)
    if role is None:
        return redirect(LOGIN)
    pr_id = params.query_param(request, "pull_request_id")
    pr = await found.pull_requests.get(pr_id)
    events, routing, _ = await found.pull_requests.explain(pr_id)
    context = {
        **common_context(request, found, role),
        "pr": pr,
        "events": events,
        "routing": routing,
        "host_url": pr_web_url(found.settings.code_hosts, pr_id),
        "now": found.dashboard.now(),
    }
    return page("pr.html", context)


async def login_form(request: Request) -> Response:
    found = services(request)
    if not tokens_set(found.settings) or role_of(request, found.settings) is not None:
        return redirect(HOME)
    context = {"csrf": csrf_token(request), "flash": request.session.pop("flash", None)}
    return page("login.html", context)


async def login(request: Request) -> Response:
    found = services(request)
    form = await read_form(request)
    if not tokens_set(found.settings):
        return redirect(HOME)
    try:
        require_csrf(request, form)
    except Forbidden:
        request.session["flash"] = "The form had expired. Please sign in again."
        return redirect(LOGIN)
    role = role_for_token(form.get("token", ""), found.settings)
    if role is None:
        request.session["flash"] = "That token is not valid."
        return redirect(LOGIN)
    sign_in(request, role)
    return redirect(HOME)


async def logout(request: Request) -> Response:
    form = await read_form(request)
    require_csrf(request, form)
    request.session.clear()
    request.session["flash"] = "Signed out."
    return redirect(LOGIN)


async def retry(request: Request) -> Response:
    """Failed post-backs back to the outbox: one (``id``) or all; admin only."""
    found = services(request)
    form = await read_form(request)
    role = role_of(request, found.settings)
    if role is None:
        raise Forbidden("sign in at /dashboard/login first")
    require_csrf(request, form)
    if role is not Role.ADMIN:
        raise Forbidden("retrying a post-back needs the admin token")
    raw = form.get("id", "all")
    if raw != "all" and not (raw.isascii() and raw.isdigit() and 0 < int(raw) < 2**63):
        raise BadRequest("field 'id' must be a post-back id or 'all'")
    retried = await found.outbox.retry(None if raw == "all" else [int(raw)])
    noun = "post-back" if len(retried) == 1 else "post-backs"
    request.session["flash"] = f"{len(retried)} failed {noun} sent back to the outbox."
    back = form.get("back", HOME)
    return redirect(back if back.startswith(HOME) and "//" not in back else HOME)


def routes() -> list[BaseRoute]:
    return [
        Route(HOME, overview, methods=["GET"]),
        Route("/dashboard/pr", pr_page, methods=["GET"]),
        Route(LOGIN, login_form, methods=["GET"]),
        Route(LOGIN, login, methods=["POST"]),
        Route("/dashboard/logout", logout, methods=["POST"]),
        Route("/dashboard/retry", retry, methods=["POST"]),
        *simulate_routes(),
        Mount(STATIC_PATH, app=StaticFiles(directory=STATIC), name="dashboard-static"),
    ]
