"""RSS of reviewbot under a flood of stalled webhook uploads (issue 10, point 2).

``python -m perf.stalled_uploads [--uploads 200] [--sent 4194304] [--hold 25]`` starts
``reviewbot serve`` (embedded PostgreSQL and Redis in a temporary DATA_DIR) on a free
127.0.0.1 port, opens ``--uploads`` connections that each announce a 5 MiB GitHub
delivery with a signature header of the right shape, send ``--sent`` bytes of it and then
stall; it samples the app's RSS for ``--hold`` seconds and prints the baseline, the peak,
and how many stalled connections the server had closed by then. A second round sends the
same flood without a signature header. Bounded: a fixed number of connections, a fixed
hold, everything on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import tempfile
import time
from pathlib import Path

import psutil

from perf.servers import Server, free_port, running, server_env, service_argv

MAX_BYTES = 5 << 20
SECRET = "perf-secret"


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m perf.stalled_uploads", description=__doc__)
    p.add_argument("--uploads", type=int, default=200)
    p.add_argument("--sent", type=int, default=4 << 20, help="bytes each upload sends")
    p.add_argument("--hold", type=float, default=25.0, help="seconds to keep them stalled")
    return p.parse_args()


def _rss_mib(server: Server) -> float:
    total = 0
    for proc in server.processes()["app"]:
        with contextlib.suppress(psutil.Error):
            total += proc.memory_info().rss
    return total / (1 << 20)


def _head(signed: bool) -> bytes:
    lines = [
        "POST /webhooks/github HTTP/1.1",
        "host: 127.0.0.1",
        "content-type: application/json",
        "x-github-event: pull_request",
        f"content-length: {MAX_BYTES}",
    ]
    if signed:
        lines.append("x-hub-signature-256: sha256=" + "0" * 64)
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _upload(port: int, signed: bool, sent: int, stop: asyncio.Event) -> bool:
    """One stalled upload; True when the server closed it before ``stop``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(_head(signed))
        chunk = b" " * 65536
        for _ in range(sent // len(chunk)):
            writer.write(chunk)
            try:
                await asyncio.wait_for(writer.drain(), 2.0)
            except TimeoutError:
                break  # the server reads no more: the rest would only sit in our buffer
        read = asyncio.ensure_future(reader.read())
        waiting = asyncio.ensure_future(stop.wait())
        await asyncio.wait({read, waiting}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        closed = read.done()
        read.cancel()
        return closed
    except (ConnectionError, OSError):
        return True
    finally:
        writer.transport.abort()


async def _round(server: Server, args: argparse.Namespace, signed: bool) -> dict[str, float]:
    baseline = _rss_mib(server)
    stop = asyncio.Event()
    started = time.monotonic()
    tasks = [
        asyncio.ensure_future(_upload(server.port, signed, args.sent, stop))
        for _ in range(args.uploads)
    ]
    peak = baseline
    while time.monotonic() - started < args.hold:
        peak = max(peak, _rss_mib(server))
        await asyncio.sleep(0.1)
    stop.set()
    closed = sum(await asyncio.gather(*tasks))
    await asyncio.sleep(1)
    return {
        "baseline_rss_mib": round(baseline, 1),
        "peak_rss_mib": round(peak, 1),
        "growth_mib": round(peak - baseline, 1),
        "closed_by_server": closed,
        "after_rss_mib": round(_rss_mib(server), 1),
    }


async def main() -> None:
    args = _args()
    with tempfile.TemporaryDirectory(prefix="rb-stalled-") as tmp:
        port = free_port()
        env = server_env(
            port, 1, {"DATA_DIR": str(Path(tmp) / "data"), "GITHUB_WEBHOOK_SECRET": SECRET}
        )
        async with running("reviewbot", service_argv(), env, port, Path(tmp), Path(tmp)) as srv:
            result = {
                "uploads": args.uploads,
                "sent_each": args.sent,
                "hold_s": args.hold,
                "signed": await _round(srv, args, signed=True),
                "unsigned": await _round(srv, args, signed=False),
            }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
