"""An in-process copy of team data, kept coherent across instances by Redis pub/sub.

Why: every ``/team/get`` and every assignment reads a team; with Redis alone that is one
network round trip each, which profiling showed to be the largest cost of ``/team/get``.

Coherence rules:
- a writer drops its own copy synchronously (``drop``) and publishes the team names on
  ``CHANNEL`` together with the Redis version bump; every instance drops them on receipt;
- the copy is trusted only while the subscription is confirmed; when the connection is
  lost (messages may have been missed) the copy is emptied and not used until subscribed
  again, and a silent connection is detected by pings;
- a reader that missed remembers the ``version`` it saw before reading; ``put`` stores
  only if no invalidation of any team happened meanwhile, so a slow reader can never put
  back data older than an invalidation it did not see;
- entries also expire after ``TTL_SECONDS``, bounding staleness should all else fail.

Another instance's write becomes visible here when its message arrives (well under a
millisecond on one host); this instance's own writes are visible at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from typing import Any

import msgspec
import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from bot.core.models import Team

log = logging.getLogger(__name__)

CHANNEL = "rb:invalidate"
TTL_SECONDS = 30.0
PING_EVERY_SECONDS = 2.0
SILENCE_LIMIT_SECONDS = 6.0  # no pong for this long: treat the subscription as lost
RETRY_AFTER_SECONDS = 1.0


class LocalTeams:
    FLUSH = b"*"  # message: drop everything (e.g. after an invalidation was lost)
    channel = CHANNEL

    def __init__(self, url: str, connect_timeout: float) -> None:
        self._url = url
        self._connect_timeout = connect_timeout
        self._teams: dict[str, tuple[Team, float]] = {}
        self._ready = False  # subscribed: invalidations are reaching us
        self._version = 0  # bumped by every invalidation, flush and loss of subscription
        self._task: asyncio.Task[None] | None = None

    # -- reads and writes ---------------------------------------------------------------

    def get(self, team_name: str) -> tuple[Team | None, int]:
        """(the team or None, the version to hand back to ``put`` after a fresh read)."""
        self._ensure_listening()
        if not self._ready:
            return None, -1
        entry = self._teams.get(team_name)
        if entry is None:
            return None, self._version
        team, stored_at = entry
        if time.monotonic() - stored_at > TTL_SECONDS:
            del self._teams[team_name]
            return None, self._version
        return team, self._version

    def put(self, team: Team, version: int) -> None:
        if self._ready and version == self._version:
            self._teams[team.team_name] = (team, time.monotonic())

    def drop(self, team_names: Iterable[str]) -> None:
        self._version += 1
        for name in team_names:
            self._teams.pop(name, None)

    def message(self, team_names: Iterable[str]) -> bytes:
        return msgspec.json.encode(sorted(team_names))

    # -- the subscription ---------------------------------------------------------------

    def _ensure_listening(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._listen())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._lost()

    def _lost(self) -> None:
        self._ready = False
        self._version += 1
        self._teams.clear()

    async def _listen(self) -> None:
        while True:
            client = redis.Redis.from_url(
                self._url, socket_connect_timeout=self._connect_timeout, retry=Retry(NoBackoff(), 0)
            )
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    await self._receive(pubsub)
            except (redis.RedisError, OSError, TimeoutError) as exc:
                log.debug("team invalidation subscription lost: %s", exc)
            finally:
                self._lost()
                await client.aclose()
            await asyncio.sleep(RETRY_AFTER_SECONDS)

    async def _receive(self, pubsub: Any) -> None:
        heard = pinged = time.monotonic()
        while True:
            message = await pubsub.get_message(timeout=PING_EVERY_SECONDS / 2)
            now = time.monotonic()
            if message is not None:
                heard = now
                self._on_message(message)
            if now - heard > SILENCE_LIMIT_SECONDS:
                raise TimeoutError("redis did not answer pings")
            if now - pinged > PING_EVERY_SECONDS:
                await pubsub.ping()
                pinged = now

    def _on_message(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "subscribe":
            self._version += 1  # reads begun before we were listening must not be stored
            self._ready = True
        elif kind == "message":
            data = message.get("data", b"")
            if data == self.FLUSH:
                self._version += 1
                self._teams.clear()
            else:
                self.drop(msgspec.json.decode(data, type=list[str]))
