"""Optional sampling profiles of the service during each phase (``PERF_PROFILE=1``).

py-spy attaches to the running workers from outside (no code change, no restart) and
writes collapsed stacks; ``summary`` turns them into the functions that own the most
samples, so an optimisation starts from a measurement rather than a guess.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg

from perf.servers import Server


def _py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


@contextlib.contextmanager
def profiling(server: Server, out: Path | None, name: str, seconds: float) -> Iterator[None]:
    """Record every worker of ``server`` for the duration of the block."""
    spy = _py_spy()
    if out is None or spy is None:
        yield
        return
    out.mkdir(parents=True, exist_ok=True)
    procs = [
        subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(w.pid),
                "--rate",
                "200",
                "--nonblocking",
                "--duration",
                str(int(seconds)),
                "--format",
                "raw",
                "--output",
                str(out / f"{name}-{w.pid}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for w in server.workers()
    ]
    try:
        yield
    finally:
        for proc in procs:
            try:
                proc.wait(timeout=seconds + 15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def summary(path: Path, top: int = 25) -> str:
    """Inclusive and self sample shares per function, from py-spy's collapsed stacks."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        total += count
        frames = [f.rsplit(" (", 1)[0] + " " + _file(f) for f in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    if not total:
        return f"{path.name}: no samples"
    lines = [f"{path.name}: {total} samples", "  inclusive:"]
    lines += [f"    {n / total:6.1%}  {f}" for f, n in inclusive.most_common(top)]
    lines.append("  self:")
    lines += [f"    {n / total:6.1%}  {f}" for f, n in own.most_common(top)]
    return "\n".join(lines)


def _file(frame: str) -> str:
    inside = frame.rsplit(" (", 1)[-1].rstrip(")")
    return "(" + inside.rsplit(":", 1)[0] + ")"


def _postgres_url(data_dir: Path) -> str | None:
    """The embedded server's URL, from postmaster.pid (line 4: port, line 5: socket dir)."""
    try:
        lines = (data_dir / "postgres" / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    return f"postgresql://postgres:@/postgres?host={lines[4]}&port={lines[3]}"


@contextlib.asynccontextmanager
async def wait_events(server: Server, enabled: bool) -> AsyncIterator[Counter[str]]:
    """What PostgreSQL backends are doing during the block, sampled every 50 ms."""
    seen: Counter[str] = Counter()
    url = _postgres_url(server.data_dir) if enabled and server.data_dir else None
    if url is None:
        yield seen
        return
    conn = await asyncpg.connect(url)

    async def sample() -> None:
        while True:
            rows = await conn.fetch(
                """SELECT state, wait_event_type, wait_event FROM pg_stat_activity
                    WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"""
            )
            for r in rows:
                seen[f"{r['state']}/{r['wait_event_type']}/{r['wait_event']}"] += 1
            await asyncio.sleep(0.05)

    task = asyncio.get_running_loop().create_task(sample())
    try:
        yield seen
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await conn.close()
