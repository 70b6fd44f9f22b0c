"""Repository paths as the hosts define them, and URL paths built from them. Pure.

A PR reference names a repository (``owner/name``, or a project path of two or more
segments, as each host card says). Whatever parses one — a delivery's payload, a stored PR
id — checks it against the host's own rules, so that only plain segments of the host's
character set and lengths ever reach a URL; a client then percent-encodes each segment.
"""

from __future__ import annotations

import re
from urllib.parse import quote

# Letters, digits, '_', '.', '-': the shared alphabet of repository paths on the hosts.
SEGMENT = re.compile(r"[A-Za-z0-9_.-]+")


def plain(segment: str, max_length: int, pattern: re.Pattern[str] = SEGMENT) -> bool:
    """A segment of the host's alphabet, 1..max_length long, never '.' or '..'."""
    return (
        0 < len(segment) <= max_length
        and segment not in (".", "..")
        and pattern.fullmatch(segment) is not None
    )


def owner_and_name(
    path: str, owner_max: int, name_max: int, owner_pattern: re.Pattern[str] = SEGMENT
) -> bool:
    """``owner/name``, each a plain segment within its length."""
    owner, sep, name = path.partition("/")
    return bool(sep) and plain(owner, owner_max, owner_pattern) and plain(name, name_max)


def encoded(*segments: str) -> str:
    """``/a/b/c`` with every segment percent-encoded ('/' included: one segment stays one).
    An empty, '.' or '..' segment is refused: no URL built here ever climbs a level."""
    if any(s in ("", ".", "..") for s in segments):
        raise ValueError(f"not a plain path segment in {segments!r}")
    return "".join("/" + quote(s, safe="") for s in segments)
