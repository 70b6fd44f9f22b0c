"""JSON in and out: request bodies decoded into typed structs, responses encoded fast.

msgspec does both jobs: it validates while decoding, and its error messages already name
the offending field with a JSON path (``$.members[0].user_id``), which is exactly what a
400 BAD_REQUEST must say.
"""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from bot.core.errors import BadRequest, Busy, PayloadTooLarge, RequestTimeout
from config.settings import Settings
from handlers.deps import services_if_started

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
    """The body, refused with 413 as soon as it is known to exceed ``limit`` bytes.

    At most ``MAX_BODIES_IN_FLIGHT`` bodies of each kind (``what``: webhook deliveries, API
    requests) are received at once in a process (memory stays bounded under a flood of slow
    uploads: a waiting upload sits in the socket, not here); waiting for a turn and receiving
    each take at most ``BODY_READ_TIMEOUT`` seconds. Separate turns per kind: deliveries with
    a forged but well-formed signature must not hold up the (authenticated) API.
    """
    too_large = PayloadTooLarge(f"{what} body is larger than {limit} bytes")
    declared = request.headers.get("content-length", "")
    # isascii: isdigit() also accepts '²' (headers are latin-1), which int() refuses; and
    # int() refuses over 4,300 digits, so a long number is simply too large.
    if declared.isascii() and declared.isdigit() and (len(declared) > 18 or int(declared) > limit):
        raise too_large
    found = services_if_started(request)
    settings = found.settings if found else Settings()
    slots = _slots(request, what, settings.bodies_in_flight)
    deadline = settings.body_read_timeout
    try:
        async with asyncio.timeout(deadline):
            await slots.acquire()
    except TimeoutError:
        raise Busy(f"too many {what} bodies are being received at once; try again") from None
    try:
        async with asyncio.timeout(deadline):
            return await _collect(request, limit, too_large)
    except TimeoutError:
        raise RequestTimeout(f"{what} body was not received within {deadline:g} s") from None
    finally:
        slots.release()


# Semaphores per app and kind of body (an app lives in one event loop; tests build many).
_SLOTS: WeakKeyDictionary[Any, dict[str, asyncio.Semaphore]] = WeakKeyDictionary()


def _slots(request: Request, what: str, size: int) -> asyncio.Semaphore:
    kinds = _SLOTS.setdefault(request.app, {})
    slots = kinds.get(what)
    if slots is None:
        slots = kinds[what] = asyncio.Semaphore(size)
    return slots


async def _collect(request: Request, limit: int, too_large: PayloadTooLarge) -> bytes:
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
