"""What ``reviewbot doctor`` learns about one code host, and the one call most checks make.

Each host folder has a ``doctor.py`` whose ``check`` its card's I/O half (``HostIO.check``)
names: a new host brings its own check. A check asks the host who the configured
credentials are; it never changes anything there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True, slots=True)
class Finding:
    ok: bool
    subject: str  # what was checked: a host's credentials, say
    detail: str  # what was found
    fix: str = ""  # what to do about it, when not ok


async def whoami(
    http: httpx.AsyncClient, url: str, headers: dict[str, str], field: str
) -> tuple[int, str]:
    """GET ``url``: (status, the ``field`` of the JSON answer, or the reason it is missing)."""
    try:
        response = await http.get(url, headers=headers)
    except httpx.HTTPError as exc:
        return 0, f"cannot reach {url}: {exc.__class__.__name__} {exc}".strip()
    if response.status_code != 200:
        return response.status_code, f"{url} answered {response.status_code}"
    try:
        body: Any = response.json()
    except ValueError:
        return 0, f"{url} answered 200 with a body that is not JSON"
    value = body.get(field) if isinstance(body, dict) else None
    if not isinstance(value, str):
        return 0, f"{url} answered without a '{field}'"
    return 200, value


def credentials_finding(subject: str, status: int, found: str, who: str, variables: str) -> Finding:
    """The usual verdict: 200 names the identity; 401/403 mean the credentials are wrong."""
    if status == 200:
        return Finding(True, subject, f"authenticated as {who} '{found}'")
    if status in (401, 403):
        return Finding(False, subject, f"rejected: {found}", f"check {variables}")
    return Finding(False, subject, found, f"check {variables} and that the host is reachable")
