"""HTML of the dashboard: Jinja2 templates (autoescaped) and the headers every page gets.

Pages load only their own stylesheet and script (``/dashboard/static/``): the content
security policy forbids anything else, inline scripts and other origins included, so the
page works offline and a stray reviewer name can never run as code.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.responses import HTMLResponse, RedirectResponse

from bot.core.dashboard import age_text

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
STATIC_PATH = "/dashboard/static"

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",  # pages show live data and a CSRF token
}


@cache
def environment() -> jinja2.Environment:
    """Built once per process; templates compile on first use and are then kept."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["age"] = age_text
    env.filters["when"] = _when
    env.filters["ratio"] = _ratio
    env.globals["static"] = STATIC_PATH
    env.globals["query"] = _query
    env.globals["width"] = bar_width
    return env


def page(template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    html = environment().get_template(template).render(context)
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def redirect(url: str) -> RedirectResponse:
    """303 See Other: after a form, the browser GETs the page (POST-redirect-GET)."""
    return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


def bar_width(value: int, largest: int) -> int:
    """A bar's width class, 0..20 (5 % steps): CSS classes, since the policy forbids
    inline styles. Any non-zero value shows at least one step."""
    if largest <= 0 or value <= 0:
        return 0
    return max(1, round(20 * min(value, largest) / largest))


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _query(path: str, **params: str | None) -> str:
    """``path?a=b`` with the given parameters, empty ones left out."""
    kept = {k: v for k, v in params.items() if v}
    return f"{path}?{urlencode(kept)}" if kept else path
