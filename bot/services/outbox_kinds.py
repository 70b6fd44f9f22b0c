"""Every kind of outbox row, in one table: how it is written, sent and settled.

A new kind is one entry in ``KINDS`` (and its name in the ``outbox_kind_check`` of a
migration):

- ``lane``: rows of one PR go out in order within their lane, one call at a time;
  reviewer changes share one lane (a host may read, change and write back the whole list),
  comments (reactions, replies) another, so neither ever waits for the other;
- ``batched``: consecutive rows of the kind for one PR go out in one call;
- ``on_refused``: what a 400/422 for one row means (``bot.core.postback.OnRefused``);
- ``send``: the host call for a batch of rows;
- ``prepare`` / ``sent`` (optional): read what the send needs from the store just before
  it (the suggestion comment's id), and keep what the host answered just after it.

Retries, rate limits, the host's circuit and giving up are the same for every kind.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.core.command_rules import Reaction
from bot.core.postback import OnRefused
from bot.hosts.base import HostClient
from bot.hosts.decipher import Failed, Ok, Outcome
from bot.hosts.events import PrRef
from store import outbox as store
from store import suggestions
from store.db import Connection

Send = Callable[[HostClient, PrRef, Sequence[store.Entry]], Awaitable[Outcome]]
Prepare = Callable[[Connection, store.Entry], Awaitable[store.Entry]]
Sent = Callable[[Connection, store.Entry, Ok], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class OutboxKind:
    lane: str
    batched: bool
    on_refused: OnRefused
    send: Send
    prepare: Prepare | None = None
    sent: Sent | None = None


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


async def _suggest(client: HostClient, ref: PrRef, rows: Sequence[store.Entry]) -> Outcome:
    """Create the PR's suggestion comment, or edit it once its id is known. A comment
    someone deleted on the host (404 on the edit) is posted afresh."""
    payload = rows[0].payload or {}
    text, comment = payload.get("text"), payload.get("comment_id")
    if not isinstance(text, str) or not text:
        return Failed("suggestion row without a text")
    if isinstance(comment, int):
        outcome = await client.edit_comment(ref, comment, text)
        if not (isinstance(outcome, Failed) and outcome.message.startswith("HTTP 404")):
            return outcome
    return await client.reply(ref, text)


async def _suggestion_comment(conn: Connection, entry: store.Entry) -> store.Entry:
    comment = await suggestions.comment_id(conn, entry.pull_request_id)
    return replace(entry, payload={**(entry.payload or {}), "comment_id": comment})


async def _remember_comment(conn: Connection, entry: store.Entry, answer: Ok) -> None:
    created = comment_id_in(answer.body)
    if created is not None and created != (entry.payload or {}).get("comment_id"):
        await suggestions.remember_comment(conn, entry.pull_request_id, created)


def comment_id_in(body: bytes) -> int | None:
    """The ``id`` of the comment (note) a host answers a create or an edit with."""
    try:
        found = json.loads(body)
    except ValueError:
        return None
    value = found.get("id") if isinstance(found, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


KINDS: dict[str, OutboxKind] = {
    "request": OutboxKind("reviewers", True, OnRefused.REPLACE, _request),
    "remove": OutboxKind("reviewers", True, OnRefused.DONE, _remove),
    # A reaction the host refuses (already there, comment gone) needs nothing more.
    "react": OutboxKind("comments", False, OnRefused.DONE, _react),
    "reply": OutboxKind("comments", False, OnRefused.FAILED, _reply),
    # Suggest mode: one comment per PR, edited when the suggestion changes.
    "suggest": OutboxKind(
        "comments", False, OnRefused.FAILED, _suggest, _suggestion_comment, _remember_comment
    ),
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
