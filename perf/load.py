"""Closed-loop load: N virtual users, each with its own keep-alive connection.

A virtual user sends a request, waits for the answer, and sends the next one at once, for
the phase's duration. While a phase runs, a monitor prints a live progress line and samples
the generator's own CPU use and the server's processes (CPU by role, resident memory of
each worker) once a second.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import psutil

from perf.client import Connection, TransportError, Watchdog
from perf.scenario import Request
from perf.servers import Server
from perf.stats import Recorder

REQUEST_TIMEOUT = 10.0
# Above this share of one core the single-process generator may be what limits throughput.
GENERATOR_BUSY = 0.85


@dataclass
class Phase:
    name: str
    users: list[tuple[Callable[[], Request], int]]  # (next request, how many virtual users)
    classes: dict[str, str]
    seconds: float


@dataclass
class Sampler:
    """What the server and the generator used during a phase."""

    server: Server
    rss_mb: dict[int, float] = field(default_factory=dict)  # max per worker pid
    busy_seconds: int = 0

    def sample(self) -> None:
        for proc in self.server.workers():
            try:
                rss = proc.memory_info().rss / 2**20
            except psutil.Error:
                continue
            self.rss_mb[proc.pid] = max(rss, self.rss_mb.get(proc.pid, 0.0))


async def _virtual_user(
    conn: Connection, next_request: Callable[[], Request], rec: Recorder, t0: float, stop_at: float
) -> None:
    clock = time.perf_counter
    while True:
        request = next_request()
        start = clock()
        if start >= stop_at:
            return
        endpoint = rec.endpoints[request.endpoint]
        try:
            status, body = await conn.request(request.method, request.target, request.body)
        except TransportError as exc:
            endpoint.error(str(exc).split(":")[0])
            await asyncio.sleep(0.05)  # a dead server must not turn this into a busy loop
            continue
        endpoint.record(status, clock() - start, int(start - t0), request.expected)
        if status in request.expected and request.on_success is not None:
            request.on_success(body)


def _cpu_delta(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> Any:
    return {
        role: round(sum(t - before.get(role, {}).get(pid, 0.0) for pid, t in times.items()), 2)
        for role, times in after.items()
    }


async def _monitor(
    phase: Phase, rec: Recorder, sampler: Sampler, t0: float, stop_at: float
) -> None:
    tty = sys.stderr.isatty()
    last_done, last_cpu, last_t = 0, time.process_time(), time.perf_counter()
    while (now := time.perf_counter()) < stop_at:
        await asyncio.sleep(1.0)
        sampler.sample()
        now, cpu, done = time.perf_counter(), time.process_time(), rec.total_done()
        gen = (cpu - last_cpu) / (now - last_t)
        sampler.busy_seconds += gen > GENERATOR_BUSY
        line = (
            f"[{phase.name:>8}] {min(now - t0, phase.seconds):5.1f}/{phase.seconds:g}s "
            f"{(done - last_done) / (now - last_t):8.0f} req/s  total {done:7d}  "
            f"errors {rec.total_errors():4d}  generator cpu {gen:4.0%}"
        )
        print(("\r" + line) if tty else line, end="" if tty else "\n", file=sys.stderr, flush=True)
        last_done, last_cpu, last_t = done, cpu, now
    if tty:
        print(file=sys.stderr)


async def run_phase(phase: Phase, server: Server) -> dict[str, Any]:
    rec = Recorder(phase.classes)
    sampler = Sampler(server)
    conns = [
        Connection("127.0.0.1", server.port)
        for _, count in phase.users
        for _ in range(count)
    ]  # fmt: skip
    cpu_before, gen_before = server.cpu_seconds(), time.process_time()
    t0 = time.perf_counter()
    stop_at = t0 + phase.seconds
    with Watchdog(conns, REQUEST_TIMEOUT) as watchdog:
        users = iter(conns)
        tasks = [
            _virtual_user(next(users), make, rec, t0, stop_at)
            for make, count in phase.users
            for _ in range(count)
        ]
        await asyncio.gather(_monitor(phase, rec, sampler, t0, stop_at), *tasks)
    elapsed = time.perf_counter() - t0
    gen_cpu = (time.process_time() - gen_before) / elapsed
    for conn in conns:
        conn.close()
    cpu = _cpu_delta(cpu_before, server.cpu_seconds())
    return _result(phase, rec, sampler, elapsed, gen_cpu, cpu, len(conns), watchdog.timeouts)


def _result(
    phase: Phase, rec: Recorder, sampler: Sampler, elapsed: float, gen_cpu: float,
    cpu: dict[str, float], connections: int, timeouts: int,
) -> dict[str, Any]:  # fmt: skip
    result = rec.summary(phase.seconds)
    result.update(
        seconds=round(elapsed, 2),
        connections=connections,
        timeouts=timeouts,
        generator_cpu=round(gen_cpu, 3),
        generator_may_limit=gen_cpu > GENERATOR_BUSY or sampler.busy_seconds > phase.seconds / 3,
        server_cpu_seconds=cpu,
        worker_rss_mb=[round(v, 1) for v in sampler.rss_mb.values()],
    )
    result["server_cpu_cores"] = {
        role: round(v / elapsed, 2) for role, v in result["server_cpu_seconds"].items()
    }
    # CPU per request does not depend on how much CPU other users of the machine left us,
    # so it is the steadiest figure for before/after comparisons on a shared machine.
    done = max(1, rec.total_done())
    result["server_cpu_ms_per_request"] = {
        role: round(v * 1000 / done, 3) for role, v in result["server_cpu_seconds"].items()
    }
    return result


async def run_requests(server: Server, requests: list[Request], concurrency: int) -> Recorder:
    """Send a fixed list of requests with ``concurrency`` connections (seeding, setup)."""
    classes = {r.endpoint: "setup" for r in requests}
    rec = Recorder(classes)
    pending = iter(requests)

    async def worker() -> None:
        conn = Connection("127.0.0.1", server.port)
        try:
            for request in pending:
                start = time.perf_counter()
                endpoint = rec.endpoints[request.endpoint]
                try:
                    status, body = await conn.request(request.method, request.target, request.body)
                except TransportError as exc:
                    endpoint.error(str(exc))
                    continue
                endpoint.record(status, time.perf_counter() - start, 0, request.expected)
                if status in request.expected and request.on_success is not None:
                    request.on_success(body)
                elif status not in request.expected:
                    endpoint.error_samples[f"HTTP {status}: {body[:200]!r}"] = 1
        finally:
            conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return rec
