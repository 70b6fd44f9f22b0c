"""One entry point over the three parsers: (host, headers, raw body) → typed result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from bot.core.errors import BadRequest, UnsupportedMediaType
from bot.hosts.events import Host, Parsed
from bot.hosts.gitea import sansio as gitea
from bot.hosts.github import sansio as github
from bot.hosts.gitlab import sansio as gitlab

EVENT_HEADERS = {
    Host.GITHUB: ("x-github-event",),
    Host.GITLAB: ("x-gitlab-event",),
    Host.GITEA: ("x-forgejo-event", "x-gitea-event"),
}


def event_name(host: Host, headers: Mapping[str, str]) -> str:
    for name in EVENT_HEADERS[host]:
        value = headers.get(name)
        if value:
            return value
    raise BadRequest(f"missing {EVENT_HEADERS[host][-1]} header")


def decode_json(headers: Mapping[str, str], body: bytes) -> Any:
    media = (headers.get("content-type") or "application/json").split(";")[0].strip().lower()
    if media != "application/json":
        raise UnsupportedMediaType(
            f"content type '{media}' is not supported; set the hook to send application/json"
        )
    try:
        return msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise BadRequest(f"malformed JSON: {exc}") from None


def parse(host: Host, headers: Mapping[str, str], body: bytes) -> Parsed:
    event = event_name(host, headers)
    payload = decode_json(headers, body)
    if not isinstance(payload, dict):
        raise BadRequest("the payload must be a JSON object")
    if host is Host.GITHUB:
        return github.parse(event, payload)
    if host is Host.GITLAB:
        return gitlab.parse(event, payload)
    return gitea.parse(event, payload)
