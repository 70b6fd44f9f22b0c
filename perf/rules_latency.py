"""Delivery -> post-back latency with path rules, for a 300-file pull request.

``python -m perf.rules_latency [--prs 40] [--files 300] [--host-ms 0]``: a private
PostgreSQL (pgserver, under a temporary directory), reviewbot behind a real uvicorn on
127.0.0.1 with its outbox and routing workers running, and a fake GitHub on 127.0.0.1 that
lists the PR's files (100 a page, ``Link: rel="next"``), serves a CODEOWNERS and notes when
each ``requested_reviewers`` post-back arrives; ``--host-ms`` delays each of its answers.
Signed ``pull_request`` ``opened`` deliveries are sent one after another, each for a new PR,
with the rules off (today: the choice is made in the delivery) and on (two rules and
CODEOWNERS: the routing worker reads 3 pages of files and the CODEOWNERS, then chooses).
Prints the acknowledgement and delivery -> post-back times (p50 / p95 / max, ms); the
numbers reported are in perf/results/rules_latency.md. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path

import asyncpg
import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.app import create_app
from bot.cli.embedded import stop_postgres
from config.settings import Secret, Settings
from perf.in_process import Serving
from store.db import migrate

SECRET = "rules-latency-secret"
RESULTS = Path(__file__).resolve().parent / "results" / "rules_latency.md"
OPENED = RESULTS.parents[2] / "tests/webhooks/fixtures/github/pull_request__opened.json"
WAIT = 20.0  # seconds to wait for one post-back
CODEOWNERS = "* @acme/backend\n/migrations/ @acme/dba\n*.md docs@example.com\n"
RULES = [
    {"name": "database", "paths": ["migrations/**", "**/*.sql"], "team": "dba", "reviewers": 1},
    {"name": "docs", "paths": ["docs/"], "members": ["erin"], "reviewers": 1},
]


@dataclass
class FakeGitHub:
    files: list[str]
    delay: float
    arrived: dict[int, float] = field(default_factory=dict)
    events: dict[int, threading.Event] = field(default_factory=dict)

    def expect(self, number: int) -> threading.Event:
        return self.events.setdefault(number, threading.Event())

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/repos/acme/widgets/pulls/{n:int}/files", self.list_files),
                Route("/repos/acme/widgets/contents/{path:path}", self.contents),
                Route(
                    "/repos/acme/widgets/pulls/{n:int}/requested_reviewers",
                    self.requested,
                    methods=["POST"],
                ),
            ]
        )

    async def list_files(self, request: Request) -> Response:
        await asyncio.sleep(self.delay)
        size, page = int(request.query_params["per_page"]), int(request.query_params["page"])
        chunk = self.files[(page - 1) * size : page * size]
        body = [
            {"filename": f, "status": "modified", "additions": 1, "deletions": 0} for f in chunk
        ]
        headers = {}
        if page * size < len(self.files):
            headers["link"] = f'<{request.url.include_query_params(page=page + 1)}>; rel="next"'
        return JSONResponse(body, headers=headers)

    async def contents(self, request: Request) -> Response:
        await asyncio.sleep(self.delay)
        if request.path_params["path"] != ".github/CODEOWNERS":
            return JSONResponse({"message": "Not Found"}, status_code=404)
        content = base64.b64encode(CODEOWNERS.encode()).decode()
        return JSONResponse({"type": "file", "encoding": "base64", "content": content, "sha": "a1"})

    async def requested(self, request: Request) -> Response:
        number = int(request.path_params["n"])
        self.arrived.setdefault(number, time.perf_counter())
        self.expect(number).set()
        await asyncio.sleep(self.delay)
        return JSONResponse({}, status_code=201)


def _delivery(number: int) -> tuple[bytes, dict[str, str]]:
    payload = json.loads(OPENED.read_text())
    payload["number"] = payload["pull_request"]["number"] = number
    body = json.dumps(payload).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "content-type": "application/json",
        "x-github-event": "pull_request",
        "x-github-delivery": str(uuid.uuid4()),
        "x-hub-signature-256": "sha256=" + digest,
    }
    return body, headers


async def _arrange(url: str, client: httpx.AsyncClient) -> None:
    teams = {"backend": ["alice", "bob", "carol", "dave"], "dba": ["dora", "dan"], "docs": ["erin"]}
    for team, users in teams.items():
        members = [{"user_id": u, "username": u, "is_active": True} for u in users]
        answer = await client.post("/team/add", json={"team_name": team, "members": members})
        answer.raise_for_status()
    conn = await asyncpg.connect(url)
    try:
        for table, owner, handle in (("user", "alice", "alice-gh"), ("team", "dba", "acme/dba")):
            await conn.execute(
                f"INSERT INTO {table}_handles VALUES ($1, 'github', $2)", owner, handle
            )
    finally:
        await conn.close()


async def _rules(url: str, on: bool) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            """INSERT INTO routing_config (id, rules, codeowners) VALUES (1, $1::jsonb, $2::jsonb)
               ON CONFLICT (id) DO UPDATE SET rules = EXCLUDED.rules,
                                              codeowners = EXCLUDED.codeowners""",
            json.dumps(RULES if on else []),
            json.dumps({"enabled": on, "reviewers": 1}),
        )
    finally:
        await conn.close()


@dataclass
class Run:
    label: str
    ack_ms: list[float] = field(default_factory=list)
    postback_ms: list[float] = field(default_factory=list)
    missing: int = 0


async def _measure(
    client: httpx.AsyncClient, host: FakeGitHub, run: Run, first: int, prs: int
) -> None:
    for number in range(first, first + prs):
        body, headers = _delivery(number)
        started = time.perf_counter()
        answer = await client.post("/webhooks/github", content=body, headers=headers)
        run.ack_ms.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
        await asyncio.to_thread(host.expect(number).wait, WAIT)  # the fake runs in its thread
        if number in host.arrived:
            run.postback_ms.append((host.arrived[number] - started) * 1000)
        else:
            run.missing += 1


def _stats(values: list[float]) -> str:
    if not values:
        return "—"
    ordered = sorted(values)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return f"{pick(0.5):.1f} / {pick(0.95):.1f} / {ordered[-1]:.1f}"


async def main(args: argparse.Namespace) -> None:
    from pgserver import get_server  # type: ignore[attr-defined]

    files = [f"src/module_{i}/file_{i}.py" for i in range(args.files - 2)]
    files += ["migrations/0042_add_index.sql", "docs/setup.md"]
    host = FakeGitHub(files, args.host_ms / 1000)
    runs = [Run("rules off (choice in the delivery)"), Run("2 rules + CODEOWNERS (routing worker)")]
    with tempfile.TemporaryDirectory(prefix="rules-latency-") as tmp:
        pgdata = (Path(tmp) / "postgres").resolve()
        server = get_server(pgdata, cleanup_mode=None)
        url = server.get_uri()
        await migrate(url)
        try:
            with Serving(host.app()) as fake_url:
                settings = Settings(database_url=url, redis_url="off", outbox_poll_interval=1.0)
                hosts = dict(settings.code_hosts)
                hosts["github"] = replace(  # type: ignore[type-var]
                    hosts["github"], api_url=fake_url, token=Secret("perf-token"),
                    webhook_secret=Secret(SECRET),
                )  # fmt: skip
                with Serving(create_app(replace(settings, code_hosts=hosts))) as base:
                    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                        await _arrange(url, client)
                        for i, run in enumerate(runs):
                            await _rules(url, on=i == 1)
                            await _measure(client, host, run, 1 + i * args.prs, args.prs)
        finally:
            stop_postgres(server, pgdata)
    text = report(runs, args)
    print(text)


def report(runs: list[Run], args: argparse.Namespace) -> str:
    lines = [
        f"{args.prs} PRs each, one after another, {args.files} changed files, fake GitHub on "
        f"127.0.0.1 answering after {args.host_ms:g} ms (`python -m perf.rules_latency`).",
        "",
        "| run | ack p50 / p95 / max ms | delivery -> post-back p50 / p95 / max ms | missing |",
        "|---|---|---|---|",
    ]
    for r in runs:
        lines.append(f"| {r.label} | {_stats(r.ack_ms)} | {_stats(r.postback_ms)} | {r.missing} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prs", type=int, default=40, help="PRs per run")
    parser.add_argument("--files", type=int, default=300, help="changed files per PR")
    parser.add_argument("--host-ms", type=float, default=0.0, help="fake host's answer delay")
    asyncio.run(main(parser.parse_args()))
