"""Applying spooled webhook deliveries once PostgreSQL is back, in arrival order.

A background task of the app (``bot.app.webhook_runtime``). Each round, the process that
holds the spool's drain lock reads the oldest records and applies them one by one through
``WebhookSync.apply_spooled`` (the same transaction and dedupe as a live delivery). While
PostgreSQL is still unreachable the round stops at the first record and is tried again
``retry_delay`` later; nothing is skipped. A record that can never be applied (the store
refuses it for a reason of its own) is set aside in ``rejected.jsonl`` with a log line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.core.delivery import Outcome
from bot.core.errors import ReviewbotError, Unavailable
from store.spool import Entry, Spool

log = logging.getLogger(__name__)

BATCH = 100
ATTEMPTS = 5  # an unexpected error is retried this often before the record is set aside


class SpoolDrainer:
    def __init__(
        self,
        spool: Spool,
        apply: Callable[[Entry], Awaitable[Outcome]],
        *,
        retry_delay: float = 0.5,
        poll_interval: float = 1.0,
    ) -> None:
        self.spool = spool
        self.apply = apply
        self.retry_delay = retry_delay
        self.poll_interval = poll_interval  # other processes' spooled records are seen by it
        self._woken = asyncio.Event()
        self._stopping = False
        self._failures = 0

    def wake(self) -> None:
        self._woken.set()

    def stop(self) -> None:
        self._stopping = True
        self._woken.set()

    async def run_forever(self) -> None:
        while not self._stopping:
            try:
                blocked = await self.drain_once()
            except Exception:  # a bug must not end the task: the spool would never drain
                log.exception("webhook spool: drain round failed")
                blocked = True
            delay = self.retry_delay if blocked else self.poll_interval
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), delay)
            self._woken.clear()

    async def drain_once(self) -> bool:
        """Apply what is spooled; True when a record is still waiting (store unreachable)."""
        with self.spool.leading() as leader:
            if not leader:
                return False
            applied = 0
            while not self._stopping:
                entries = await asyncio.to_thread(self.spool.read, BATCH)
                if not entries:
                    if await asyncio.to_thread(self.spool.compact):
                        if applied:
                            log.info("webhook spool: applied %d spooled deliveries", applied)
                        return False
                    continue  # more arrived while we finished
                for entry in entries:
                    if not await self._apply(entry):
                        return True
                    applied += 1
            return False

    async def _apply(self, entry: Entry) -> bool:
        """Apply one record; False to stop the round (it stays first in line)."""
        r = entry.record
        try:
            await self.apply(entry)
        except Unavailable:
            return False
        except ReviewbotError as exc:
            self._set_aside(entry, exc.message)
        except Exception as exc:
            self._failures += 1
            if self._failures < ATTEMPTS:
                log.exception("webhook spool: %s delivery %s failed; retrying", r.host, r.delivery)
                return False
            self._set_aside(entry, f"{type(exc).__name__}: {exc}")
        self._failures = 0
        await asyncio.to_thread(self.spool.advance, entry.end)
        return True

    def _set_aside(self, entry: Entry, reason: str) -> None:
        r = entry.record
        log.error("webhook spool: %s delivery %s set aside: %s", r.host, r.delivery, reason)
        self.spool.reject(entry, reason)
