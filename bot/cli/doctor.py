"""``reviewbot doctor``: check what an operator configured, and say what to fix.

Checks PostgreSQL, Redis, each code host's credentials against the host (each host folder's
``doctor.py``), that every configured host has its webhook secret, the bearer tokens and
``TEAMS_FILE``. Exit status: 0 nothing is wrong, 1 something is (each problem names a fix).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import httpx

from bot.cli.where import masked_url
from bot.hosts.doctor import Finding
from bot.hosts.registry import HOSTS
from config.settings import Settings
from config.team_plan import plural
from config.team_spec import ConfigInvalid

CONNECT_TIMEOUT = 5.0


async def _postgres(settings: Settings) -> Finding:
    import asyncpg

    url = settings.database_url
    if url is None:
        where = (settings.data_dir / "postgres").resolve()
        return Finding(True, "PostgreSQL", f"embedded under {where}; `reviewbot serve` starts it")
    try:
        conn = await asyncpg.connect(url, timeout=CONNECT_TIMEOUT)
    except (TimeoutError, OSError, asyncpg.PostgresError, ValueError) as exc:
        fix = "check DATABASE_URL (host, port, user, password, database) and that it runs"
        return Finding(False, "PostgreSQL", f"{masked_url(url)}: {exc}", fix)
    try:
        version = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    return Finding(True, "PostgreSQL", f"{masked_url(url)}: PostgreSQL {version}")


async def _redis(settings: Settings) -> Finding:
    import redis.asyncio as redis
    from redis.exceptions import RedisError

    url = settings.redis_url
    if url == "off":
        return Finding(True, "Redis", "caching is off (REDIS_URL=off)")
    if url is None:
        where = (settings.data_dir / "redis").resolve()
        return Finding(True, "Redis", f"embedded under {where}; `reviewbot serve` starts it")
    client = redis.from_url(url, socket_timeout=CONNECT_TIMEOUT, socket_connect_timeout=2)
    try:
        await client.ping()
    except (RedisError, OSError, ValueError) as exc:
        fix = "check REDIS_URL and that Redis runs (or REDIS_URL=off: no cache)"
        return Finding(False, "Redis", f"{masked_url(url)}: {exc}", fix)
    finally:
        await client.aclose()
    return Finding(True, "Redis", f"{masked_url(url)}: answers PING")


async def _hosts(settings: Settings, http: httpx.AsyncClient) -> list[Finding]:
    findings: list[Finding] = []
    for name, spec in HOSTS.items():
        host_settings = settings.code_hosts[name]
        check = spec.io().check
        checked = await check(host_settings, http) if check is not None else []
        secret = host_settings.webhook_secret
        subject = f"{name} webhooks"
        if not checked and secret is None:
            findings.append(Finding(True, name, "not configured"))
            continue
        findings.extend(checked)
        if not checked:
            lack = "a webhook secret is set but no credentials: reviewers cannot be posted back"
            findings.append(Finding(False, f"{name} credentials", lack, f"set {spec.credentials}"))
        if secret is None:
            lack = "no webhook secret: every delivery is refused"
            fix = f"set {spec.webhook_secret_variable} to the secret configured on the host"
            findings.append(Finding(False, subject, lack, fix))
        else:
            findings.append(Finding(True, subject, f"{spec.webhook_secret_variable} is set"))
    return findings


def _tokens(settings: Settings) -> Finding:
    if settings.admin_token is None:
        fix = "set ADMIN_TOKEN (and USER_TOKEN for read-only clients) before exposing the API"
        return Finding(True, "API tokens", "unset: the management API is open", fix)
    return Finding(True, "API tokens", "ADMIN_TOKEN is set")


def _teams_file(settings: Settings) -> list[Finding]:
    from bot.services.team_config import split_files
    from config.team_parse import parse_files

    files = split_files(settings.teams_file)
    if not files:
        return [Finding(True, "TEAMS_FILE", "not set: teams come from the API or `teams apply`")]
    try:
        teams = parse_files(files)
    except ConfigInvalid as invalid:
        fix = "fix the file(s); `reviewbot teams validate FILE` lists the same problems"
        found = [Finding(False, "TEAMS_FILE", str(issue)) for issue in invalid.issues]
        return [*found[:-1], Finding(False, "TEAMS_FILE", str(invalid.issues[-1]), fix)]
    return [Finding(True, "TEAMS_FILE", f"{', '.join(files)}: {plural(len(teams), 'valid team')}")]


async def diagnose(settings: Settings) -> list[Finding]:
    findings = [await _postgres(settings), await _redis(settings)]
    async with httpx.AsyncClient(timeout=settings.host_timeout) as http:
        findings += await _hosts(settings, http)
    return [*findings, _tokens(settings), *_teams_file(settings)]


def report(findings: Iterable[Finding]) -> tuple[str, int]:
    """The text to print and the exit status."""
    lines, problems = [], 0
    for f in findings:
        mark = "ok  " if f.ok else "FAIL"
        problems += not f.ok
        note = "note" if f.ok and f.fix else mark
        lines.append(f"{note}  {f.subject}: {f.detail}")
        if f.fix:
            lines.append(f"      fix: {f.fix}" if not f.ok else f"      {f.fix}")
    if problems:
        lines.append(f"{plural(problems, 'problem')} found")
    else:
        lines.append("everything looks right")
    return "\n".join(lines) + "\n", 1 if problems else 0


def run_doctor(settings: Settings) -> int:
    text, status = report(asyncio.run(diagnose(settings)))
    print(text, end="")
    return status
