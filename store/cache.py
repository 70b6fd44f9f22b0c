"""Redis read-through cache of team data, never trusted for correctness.

Why versioned keys rather than delete-on-write: a reader that missed the cache, read the
old rows from PostgreSQL and is slow to store them could otherwise write stale data back
*after* a writer's delete. Here every team has a version counter; a write bumps it after
its transaction commits, and readers store what they read under the version they saw
before reading. A stale value can only land under an old version, which nobody reads
again. One Lua script reads version and value in one round trip.

Two kinds of entry share a team's version: the team itself (for every use case) and the
``/team/get`` answer as encoded JSON bytes, served as they are (profiling showed decoding
the entry and encoding the answer as a large share of a read's CPU).

If Redis is down or slow (bounded timeout), callers get a miss and read PostgreSQL; the
outage is logged once and Redis is tried again after a short pause. An invalidation that
could not be delivered bumps a global epoch as soon as Redis answers again, which orphans
every entry written before the outage.

Assignments never rely on this data alone: the store re-checks chosen reviewers under a
row lock, so a stale entry can at worst change who is *considered*, never who is assigned.

In front of Redis sits an in-process copy (``LocalTeams``, see ``store/local_cache.py``):
profiling showed the Redis round trip as the largest cost of ``/team/get`` and a
noticeable one inside every create/reassign transaction. Invalidations reach the other
instances through Redis pub/sub; the copy is used only while subscribed, so a lost
connection (and thus possibly lost messages) empties it.
"""

from __future__ import annotations

import logging
import time
from datetime import date
from typing import Any

import msgspec
import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError

from bot.core.models import DEFAULT_MODE, DEFAULT_REVIEWERS, AwayPeriod, Member, Mode, Team
from bot.core.selection import DEFAULT_STRATEGY, strategy_named
from store.local_cache import LocalTeams
from store.redis_lane import ReadLane

log = logging.getLogger(__name__)

PREFIX = "rb:"
EPOCH_KEY = PREFIX + "epoch"
ENTRY_TTL_SECONDS = 300  # bounds staleness if an invalidation is ever lost despite the epoch
RETRY_AFTER_SECONDS = 1.0

_READ = """
local epoch = redis.call('GET', KEYS[1]) or '0'
local version = redis.call('GET', KEYS[2]) or '0'
local key = ARGV[1] .. epoch .. ':' .. version
local value = redis.call('GET', key)
if value then return {key, value} end
return {key}
"""


class _CachedMember(msgspec.Struct, array_like=True):
    user_id: str
    username: str
    is_active: bool
    max_open_reviews: int | None = None
    away: list[tuple[date | None, date]] = []


class _CachedTeam(msgspec.Struct, array_like=True):
    team_name: str
    members: list[_CachedMember]
    strategy: str = DEFAULT_STRATEGY.name
    reviewers: int = DEFAULT_REVIEWERS
    prefer_working_hours: bool = False
    mode: str = DEFAULT_MODE.value


# get_team's key carries the local generation seen before the read: "<redis key>#<n>"
_GENERATION_MARK = "#"

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(_CachedTeam)


def _version_key(team_name: str) -> str:
    return f"{PREFIX}teamver:{team_name}"


def _entry_prefix(team_name: str) -> str:
    return f"{PREFIX}team:{team_name}:"


def _answer_prefix(team_name: str) -> str:
    return f"{PREFIX}teamanswer:{team_name}:"


class TeamCache:
    """Team lookups through Redis. ``client`` None means caching is off."""

    def __init__(
        self,
        client: redis.Redis | None,
        local: LocalTeams | None = None,
        lane: ReadLane | None = None,
    ) -> None:
        self._client = client
        self._lane = lane
        self._read = client.register_script(_READ) if client is not None else None
        self._local = local
        self._down_until = 0.0
        self._is_down = False
        self._epoch_stale = False
        self.hits = 0
        self.misses = 0

    @classmethod
    def from_url(cls, url: str | None, timeout: float) -> TeamCache:
        if url is None or url == "off":
            return cls(None)
        client = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
        )
        return cls(client, LocalTeams(url, timeout), ReadLane.for_url(url, timeout))

    @property
    def enabled(self) -> bool:
        return self._client is not None

    async def reachable(self) -> bool:
        """One PING now, whatever the back-off state (readiness probes ask this)."""
        if self._client is None:
            return False
        try:
            return bool(await self._client.ping())
        except (redis.RedisError, OSError):
            return False

    async def close(self) -> None:
        if self._lane is not None:
            await self._lane.close()
        if self._local is not None:
            await self._local.close()
        if self._client is not None:
            await self._client.aclose()

    async def get_team(
        self, team_name: str, *, local_ok: bool = False
    ) -> tuple[Team | None, str | None]:
        """(team, key): the cached team or None, and the key to store a fresh read under.

        ``local_ok`` allows this process's copy, which another instance's write reaches only
        when its pub/sub message does. Reviewer selection may use it (the store re-checks
        chosen reviewers under lock); answers to clients may not, so that a read after a
        write acknowledged by any instance is never stale.
        """
        if self._read is None:
            return None, None
        generation = -1
        if self._local is not None:
            local, generation = self._local.get(team_name)
            if local is not None and local_ok:
                self.hits += 1
                return local, None
        if not await self._usable():
            return None, None
        try:
            found = await self._run_read(
                (EPOCH_KEY, _version_key(team_name), _entry_prefix(team_name))
            )
        except (redis.RedisError, OSError) as exc:
            self._went_down(exc)
            return None, None
        key = f"{found[0].decode()}{_GENERATION_MARK}{generation}"
        if len(found) < 2:
            self.misses += 1
            return None, key
        self.hits += 1
        team = _team_from(_decoder.decode(found[1]))
        if self._local is not None:
            self._local.put(team, generation)
        return team, key

    async def get_answer(self, team_name: str) -> tuple[bytes | None, str | None]:
        """(body, key): the client answer for the team as stored JSON bytes, or None, and
        the key to store a freshly rendered answer under.

        Same versioning as ``get_team`` (epoch and team version read in the same round
        trip as the entry, bumped by every write before it is acknowledged), but the value
        is the encoded answer itself: a hit costs one round trip and no decoding. No local
        copy: answers to clients are never served from pub/sub-invalidated memory.
        """
        if self._read is None or not await self._usable():
            return None, None
        keys_and_args = (EPOCH_KEY, _version_key(team_name), _answer_prefix(team_name))
        try:
            found = await self._run_read(keys_and_args)
        except (redis.RedisError, OSError) as exc:
            self._went_down(exc)
            return None, None
        if len(found) < 2:
            self.misses += 1
            return None, found[0].decode()
        self.hits += 1
        body: bytes = found[1]
        return body, None

    async def put_answer(self, key: str | None, body: bytes) -> None:
        """Store an answer rendered from data read after ``get_answer`` returned ``key``."""
        if self._client is None or key is None:
            return
        if self._lane is None:
            await self._call(self._client.set, key, body, ex=ENTRY_TTL_SECONDS)
            return
        # On the lane too: after a flush, every reader misses at once, and redis-py would
        # open a connection per concurrent SET.
        await self._call(self._lane.call, "SET", key, body, "EX", ENTRY_TTL_SECONDS)

    async def _run_read(self, keys_and_args: tuple[str, str, str]) -> Any:
        """The read script by its SHA, on the pipelined lane when there is one, else on the
        client itself (redis-py's ``Script.__call__`` runs an ``isinstance`` against a
        typing Protocol on every call: ≈ 2.5 % of a read's samples in py-spy). Falls back
        to ``Script.__call__``, which loads the script, when Redis lost it."""
        assert self._client is not None and self._read is not None
        try:
            if self._lane is not None:
                return await self._lane.call("EVALSHA", self._read.sha, 2, *keys_and_args)
            return await self._client.evalsha(self._read.sha, 2, *keys_and_args)
        except NoScriptError:
            *keys, prefix = keys_and_args
            return await self._read(keys=keys, args=[prefix])

    async def put_team(self, key: str | None, team: Team) -> None:
        if self._client is None or key is None:
            return
        key, _, generation = key.rpartition(_GENERATION_MARK)
        if self._local is not None:
            self._local.put(team, int(generation))
        await self._call(self._client.set, key, _encode_team(team), ex=ENTRY_TTL_SECONDS)

    async def invalidate(self, team_names: set[str] | list[str]) -> None:
        """Bump the version of each team; call after the writing transaction committed."""
        if self._client is None or not team_names:
            return
        if self._local is not None:
            self._local.drop(team_names)  # this instance: at once, before any await
        if not await self._usable():
            self._epoch_stale = True
            return
        try:
            async with self._client.pipeline(transaction=False) as pipe:
                for name in team_names:
                    pipe.incr(_version_key(name))
                if self._local is not None:
                    pipe.publish(self._local.channel, self._local.message(team_names))
                await pipe.execute()
        except (redis.RedisError, OSError) as exc:
            self._epoch_stale = True
            self._went_down(exc)

    async def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not await self._usable():
            return None
        try:
            return await fn(*args, **kwargs)
        except (redis.RedisError, OSError) as exc:
            self._went_down(exc)
            return None

    async def _usable(self) -> bool:
        if not self._is_down:
            return True
        if time.monotonic() < self._down_until:
            return False
        assert self._client is not None
        try:
            if self._epoch_stale:
                await self._client.incr(EPOCH_KEY)
                if self._local is not None:  # other instances drop their copies too
                    await self._client.publish(self._local.channel, self._local.FLUSH)
            else:
                await self._client.ping()
        except (redis.RedisError, OSError):
            self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
            return False
        self._is_down = False
        self._epoch_stale = False
        log.warning("redis cache is reachable again; caching resumed")
        return True

    def _went_down(self, exc: BaseException) -> None:
        self._down_until = time.monotonic() + RETRY_AFTER_SECONDS
        if not self._is_down:
            self._is_down = True
            log.warning("redis cache unavailable (%s); answering from PostgreSQL", exc)


def _encode_team(team: Team) -> bytes:
    members = [
        _CachedMember(
            m.user_id,
            m.username,
            m.is_active,
            m.max_open_reviews,
            [(p.first_day, p.last_day) for p in m.away],
        )
        for m in team.members
    ]
    cached = _CachedTeam(
        team.team_name,
        members,
        team.strategy.name,
        team.reviewers,
        team.prefer_working_hours,
        team.mode.value,
    )
    return _encoder.encode(cached)


def _team_from(cached: _CachedTeam) -> Team:
    members = tuple(
        Member(
            m.user_id,
            m.username,
            m.is_active,
            m.max_open_reviews,
            tuple(AwayPeriod(first, last) for first, last in m.away),
        )
        for m in cached.members
    )
    return Team(
        cached.team_name,
        members,
        strategy_named(cached.strategy),
        cached.reviewers,
        prefer_working_hours=cached.prefer_working_hours,
        mode=Mode(cached.mode),
    )
