"""One entry point over the hosts' parsers: (host card, headers, raw body) → typed result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from bot.core.errors import BadRequest, UnsupportedMediaType
from bot.hosts.events import Parsed
from bot.hosts.spec import HostSpec


def event_name(spec: HostSpec[Any], headers: Mapping[str, str]) -> str:
    for name in spec.event_headers:
        value = headers.get(name)
        if value:
            return value
    raise BadRequest(f"missing {spec.event_headers[-1]} header")


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
    except RecursionError:  # msgspec's depth guard, even inside a field no parser reads
        raise BadRequest("malformed JSON: nested too deeply") from None


def parse(spec: HostSpec[Any], headers: Mapping[str, str], body: bytes) -> Parsed:
    event = event_name(spec, headers)
    payload = decode_json(headers, body)
    if not isinstance(payload, dict):
        raise BadRequest("the payload must be a JSON object")
    return spec.parse(event, payload)
