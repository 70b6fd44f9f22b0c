"""Decoding what the routing worker reads: file pages (renames), paging, CODEOWNERS lookup."""

from __future__ import annotations

import base64
import json

from bot.hosts.decipher import Failed, Ok, Outcome, Retry
from bot.hosts.reading import FoundFile, Page, files_of, first_found, more_pages, paginate


def test_files_of_keeps_both_paths_of_a_rename_once() -> None:
    body = json.dumps(
        [
            {"filename": "new/a.sql", "previous_filename": "migrations/a.sql", "status": "renamed"},
            {"filename": "b.py", "status": "modified"},
            {"filename": "b.py"},
            "not an object",
        ]
    ).encode()
    assert files_of(body, ("filename", "previous_filename")) == [
        "new/a.sql",
        "migrations/a.sql",
        "b.py",
    ]
    assert isinstance(files_of(b"{}", ("filename",)), Failed)
    assert isinstance(files_of(b"<html>", ("filename",)), Failed)


def test_more_pages_follows_the_header_else_a_full_page() -> None:
    assert more_pages("2", 100, 100) and not more_pages("", 100, 100)
    assert more_pages("true", 3, 50) and not more_pages("false", 50, 50)
    assert more_pages(None, 50, 50) and not more_pages(None, 49, 50)


async def test_paginate_stops_at_the_limit_and_passes_failures_on() -> None:
    async def endless(number: int) -> Page | Outcome:
        return Page([f"p{number}/f{i}" for i in range(100)], more=True)

    assert len(await paginate(endless, limit=250)) == 250

    async def failing(number: int) -> Page | Outcome:
        return Retry("HTTP 502") if number == 2 else Page(["a"], more=True)

    assert await paginate(failing) == Retry("HTTP 502")


async def test_first_found_skips_404s_and_decodes_base64() -> None:
    text = "* @acme/all\n"
    content = base64.b64encode(text.encode()).decode()
    answers: dict[str, Outcome] = {
        ".github/CODEOWNERS": Failed('HTTP 404: {"message": "Not Found"}'),
        "CODEOWNERS": Ok(json.dumps({"content": content, "sha": "abc"}).encode()),
    }

    async def read(location: str) -> Outcome:
        return answers[location]

    found = await first_found([".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"], read)
    assert found == FoundFile("CODEOWNERS", text, "abc")

    async def none(location: str) -> Outcome:
        return Failed("HTTP 404: nope")

    assert await first_found(["CODEOWNERS"], none) is None

    async def denied(location: str) -> Outcome:
        return Failed("HTTP 401: bad credentials")

    assert await first_found(["CODEOWNERS"], denied) == Failed("HTTP 401: bad credentials")
