"""Every kind of outbox row, in one table: how it is written, sent and settled.

A new kind is one entry in ``KINDS`` (and its name in the ``outbox_kind_check`` of a
migration):

- ``lane``: rows of one PR go out in order within their lane, one call at a time;
  reviewer changes share one lane (a host may read, change and write back the whole list),
  comments (reactions, replies) another, so neither ever waits for the other;
- ``batched``: consecutive rows of the kind for one PR go out in one call;
- ``on_refused``: what a 400/422 for one row means (``bot.core.postback.OnRefused``);
- ``send``: the host call for a batch of rows.

Retries, rate limits, the host's circuit and giving up are the same for every kind.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.command_rules import Reaction
from bot.core.postback import OnRefused
from bot.hosts.base import HostClient
from bot.hosts.decipher import Failed, Outcome
from bot.hosts.events import PrRef
from store import outbox as store
from store.db import Connection

Send = Callable[[HostClient, PrRef, Sequence[store.Entry]], Awaitable[Outcome]]


@dataclass(frozen=True, slots=True)
class OutboxKind:
    lane: str
    batched: bool
    on_refused: OnRefused
    send: Send


def _handles(rows: Sequence[store.Entry]) -> list[str]:
    return [e.handle or e.user_id or "" for e in rows]


async def _request(client: HostClient, ref: PrRef, rows: Sequence[store.Entry]) -> Outcome:
    return await client.request_reviewers(ref, _handles(rows))


async def _remove(client: HostClient, ref: PrRef, rows: Sequence[store.Entry]) -> Outcome:
    return await client.remove_reviewers(ref, _handles(rows))


async def _react(client: HostClient, ref: PrRef, rows: Sequence[store.Entry]) -> Outcome:
    payload = rows[0].payload or {}
    try:
        comment_id, reaction = int(payload["comment_id"]), Reaction(payload["reaction"])
    except (KeyError, TypeError, ValueError):
        return Failed(f"reaction row without a comment id or a known reaction: {payload}")
    return await client.react(ref, comment_id, reaction)


async def _reply(client: HostClient, ref: PrRef, rows: Sequence[store.Entry]) -> Outcome:
    text = (rows[0].payload or {}).get("text")
    if not isinstance(text, str) or not text:
        return Failed("reply row without a text")
    return await client.reply(ref, text)


KINDS: dict[str, OutboxKind] = {
    "request": OutboxKind("reviewers", True, OnRefused.REPLACE, _request),
    "remove": OutboxKind("reviewers", True, OnRefused.DONE, _remove),
    # A reaction the host refuses (already there, comment gone) needs nothing more.
    "react": OutboxKind("comments", False, OnRefused.DONE, _react),
    "reply": OutboxKind("comments", False, OnRefused.FAILED, _reply),
}


async def enqueue_reviewers(
    conn: Connection, host: str, pr_id: str, kind: str, user_ids: Sequence[str]
) -> None:
    spec = KINDS[kind]
    await store.enqueue(conn, host, pr_id, kind, user_ids, lane=spec.lane, solo=not spec.batched)


async def enqueue_message(
    conn: Connection, host: str, pr_id: str, kind: str, payload: dict[str, Any]
) -> None:
    spec = KINDS[kind]
    await store.enqueue_message(
        conn, host, pr_id, kind, payload, lane=spec.lane, solo=not spec.batched
    )


async def enqueue_messages(
    conn: Connection, kind: str, rows: Sequence[tuple[str, str, dict[str, Any]]]
) -> None:
    """Many message rows of ``kind`` at once: (host, PR id, payload) each."""
    spec = KINDS[kind]
    await store.enqueue_messages(conn, rows, kind, lane=spec.lane, solo=not spec.batched)
