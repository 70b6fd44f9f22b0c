"""JSON in and out: request bodies decoded into typed structs, responses encoded fast.

msgspec does both jobs: it validates while decoding, and its error messages already name
the offending field with a JSON path (``$.members[0].user_id``), which is exactly what a
400 BAD_REQUEST must say.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from bot.core.errors import BadRequest, PayloadTooLarge

T = TypeVar("T")

MAX_BODY_BYTES = 1 << 20  # management requests are small; a megabyte is generous

encode = msgspec.json.Encoder().encode
_decoders: dict[type[Any], msgspec.json.Decoder[Any]] = {}


def decode(raw: bytes, into: type[T]) -> T:
    decoder = _decoders.get(into)
    if decoder is None:
        decoder = _decoders[into] = msgspec.json.Decoder(into)
    if not raw.strip():
        raise BadRequest("request body is empty; a JSON object is expected")
    try:
        result: T = decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise BadRequest(f"invalid field: {exc}") from None
    except msgspec.DecodeError as exc:
        raise BadRequest(f"malformed JSON: {exc}") from None
    except RecursionError:  # msgspec's own guard, even inside a field we would ignore
        raise BadRequest("malformed JSON: nested too deeply") from None
    return result


async def read_raw(request: Request, limit: int = MAX_BODY_BYTES, what: str = "request") -> bytes:
    """The body, refused with 413 as soon as it is known to exceed ``limit`` bytes."""
    too_large = PayloadTooLarge(f"{what} body is larger than {limit} bytes")
    declared = request.headers.get("content-length", "")
    # isascii: isdigit() also accepts '²' (headers are latin-1), which int() refuses; and
    # int() refuses over 4,300 digits, so a long number is simply too large.
    if declared.isascii() and declared.isdigit() and (len(declared) > 18 or int(declared) > limit):
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


async def read_body(request: Request, into: type[T]) -> T:
    return decode(await read_raw(request), into)


def json_response(content: Any, status: int = 200) -> Response:
    return Response(encode(content), status_code=status, media_type="application/json")
