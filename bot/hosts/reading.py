"""What the routing worker reads from a host: a PR's changed files and the CODEOWNERS
file of the default branch. Shared, pure decoding; each client supplies its requests.

A page of files is decoded with ``files_of`` (the file's path and, for a rename, its old
path: a file moved out of ``migrations/`` still touched it). A CODEOWNERS location is
decoded with ``contents_of`` (JSON with base64 ``content``, as the hosts' contents
endpoints answer); a 404 there means "not at this location", not a failure.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import msgspec

from bot.hosts.decipher import Failed, Ok, Outcome

# The most files a host lists for one pull request (3,000); the same bound for every host.
MAX_FILES = 3000
MAX_CODEOWNERS_BYTES = 3 * 1024 * 1024  # what the hosts themselves accept for the file


@dataclass(frozen=True, slots=True)
class FoundFile:
    path: str  # the location it was found at
    body: str
    revision: str  # the blob (or commit) it was read at


@dataclass(frozen=True, slots=True)
class Page:
    files: list[str]
    more: bool  # whether another page should be asked for


def files_of(body: bytes, keys: Sequence[str]) -> list[str] | Failed:
    """Paths under ``keys`` of each item of a JSON list (empty and repeated ones dropped)."""
    try:
        items = msgspec.json.decode(body or b"[]")
    except msgspec.DecodeError:
        return Failed("the host answered the file list with something that is not JSON")
    if not isinstance(items, list):
        return Failed("the host answered the file list with something that is not a list")
    found: list[str] = []
    for item in items:
        if isinstance(item, dict):
            found.extend(v for k in keys if isinstance(v := item.get(k), str) and v)
    return list(dict.fromkeys(found))


async def paginate(
    page: Callable[[int], Awaitable[Page | Outcome]], limit: int = MAX_FILES
) -> list[str] | Outcome:
    """Ask for pages 1, 2, … until the host says there are no more (or ``limit`` files)."""
    files: list[str] = []
    number = 1
    while len(files) < limit:
        got = await page(number)
        if not isinstance(got, Page):
            return got
        files.extend(got.files)
        if not got.more or not got.files:
            break
        number += 1
    return list(dict.fromkeys(files))[:limit]


def contents_of(outcome: Ok, location: str) -> FoundFile | Failed:
    try:
        doc = msgspec.json.decode(outcome.body or b"{}")
    except msgspec.DecodeError:
        return Failed(f"{location}: the host's answer is not JSON")
    if not isinstance(doc, dict) or not isinstance(doc.get("content"), str):
        return Failed(f"{location}: the host's answer has no content")
    try:
        raw = base64.b64decode(doc["content"], validate=False)
    except (binascii.Error, ValueError):
        return Failed(f"{location}: the content is not base64")
    if len(raw) > MAX_CODEOWNERS_BYTES:
        return Failed(f"{location}: larger than {MAX_CODEOWNERS_BYTES} bytes")
    revision = doc.get("sha") or doc.get("blob_id") or doc.get("last_commit_id") or ""
    return FoundFile(location, raw.decode("utf-8", errors="replace"), str(revision))


async def first_found(
    locations: Sequence[str], read: Callable[[str], Awaitable[Outcome]]
) -> FoundFile | Outcome | None:
    """The first location that has the file; None when none has it."""
    for location in locations:
        outcome = await read(location)
        if isinstance(outcome, Failed) and outcome.message.startswith("HTTP 404"):
            continue
        if not isinstance(outcome, Ok):
            return outcome
        return contents_of(outcome, location)
    return None


def more_pages(headers_next: str | None, got: int, per_page: int) -> bool:
    """A next-page header when the host sends one, else whether the page was full."""
    if headers_next is not None:
        return headers_next.strip() not in ("", "false", "0")
    return got >= per_page
