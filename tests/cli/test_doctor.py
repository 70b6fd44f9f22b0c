"""``reviewbot doctor`` as an operator runs it, against fake code hosts on 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from config.settings import Settings
from tests.conftest import serving

GOOD_TEAM = "teams:\n  - name: core\n    members:\n      - {id: a}\n"


def _identity(header: str, expected: str, field: str, who: str) -> Route:
    async def answer(request: Request) -> JSONResponse:
        if request.headers.get(header) != expected:
            return JSONResponse({"message": "Bad credentials"}, status_code=401)
        return JSONResponse({field: who, "id": 1})

    return answer  # type: ignore[return-value]


def _app_identity(public_pem: bytes) -> Route:
    async def answer(request: Request) -> JSONResponse:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        try:
            claims = jwt.decode(token, public_pem, algorithms=["RS256"])
        except jwt.PyJWTError:
            return JSONResponse({"message": "A JSON web token could not be decoded"}, 401)
        return JSONResponse({"slug": f"reviewbot-app-{claims['iss']}", "id": 1})

    return answer  # type: ignore[return-value]


def _fake_hosts(public_pem: bytes = b"") -> Starlette:
    return Starlette(
        routes=[
            Route("/gh/app", _app_identity(public_pem)),
            Route("/gh/user", _identity("authorization", "Bearer gh-good", "login", "octo")),
            Route("/api/v4/user", _identity("private-token", "gl-good", "username", "tanuki")),
            Route("/api/v1/user", _identity("authorization", "token gt-good", "login", "tea")),
        ]
    )


@contextlib.contextmanager
def fake_hosts(public_pem: bytes = b"") -> Iterator[str]:
    with serving(_fake_hosts(public_pem)) as url:
        yield url


def _doctor(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "REDIS", "GIT"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "doctor"],
        env={**base, "ADMIN_TOKEN": "t", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _env(settings: Settings, hosts: str, teams_file: str) -> dict[str, str]:
    assert settings.database_url and settings.redis_url
    return {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "GITHUB_API_URL": f"{hosts}/gh",
        "GITHUB_TOKEN": "gh-good",
        "GITHUB_WEBHOOK_SECRET": "s1",
        "GITLAB_URL": hosts,
        "GITLAB_TOKEN": "gl-good",
        "GITLAB_WEBHOOK_SECRET": "s2",
        "GITEA_URL": hosts,
        "GITEA_TOKEN": "gt-good",
        "GITEA_WEBHOOK_SECRET": "s3",
        "TEAMS_FILE": teams_file,
    }


def test_a_good_configuration_passes_and_names_who_the_credentials_are(
    settings: Settings, tmp_path: Path
) -> None:
    teams = tmp_path / "teams.yaml"
    teams.write_text(GOOD_TEAM)
    with fake_hosts() as hosts:
        done = _doctor(_env(settings, hosts, str(teams)))
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "ok    PostgreSQL: " in out and "ok    Redis: " in out
    assert "authenticated as user 'octo'" in out
    assert "authenticated as user 'tanuki'" in out
    assert "authenticated as user 'tea'" in out
    assert "1 valid team" in out and out.rstrip().endswith("everything looks right")
    assert "gh-good" not in out + done.stderr


def test_each_problem_is_named_with_a_fix_and_the_exit_status_is_1(
    settings: Settings, tmp_path: Path
) -> None:
    teams = tmp_path / "teams.yaml"
    teams.write_text(GOOD_TEAM.replace("members", "memberz"))
    with fake_hosts() as hosts:
        env = _env(settings, hosts, str(teams))
        env.update(GITHUB_TOKEN="gh-wrong", GITLAB_WEBHOOK_SECRET="", GITEA_TOKEN="")
        env.update(REDIS_URL="redis://127.0.0.1:1/0")
        done = _doctor(env)
    assert done.returncode == 1, done.stdout
    out = done.stdout
    assert "FAIL  GitHub credentials: rejected" in out and "fix: check GITHUB_TOKEN" in out
    assert "FAIL  gitlab webhooks: no webhook secret" in out
    assert "fix: set GITLAB_WEBHOOK_SECRET" in out
    assert "FAIL  gitea credentials: a webhook secret is set but no credentials" in out
    assert "FAIL  Redis: " in out and "fix: check REDIS_URL" in out
    assert "FAIL  TEAMS_FILE: " in out
    assert out.count("FAIL") >= 6
    assert out.rstrip().endswith(f"{out.count('FAIL')} problems found")


def test_an_unreachable_database_fails(tmp_path: Path) -> None:
    done = _doctor({"DATABASE_URL": "postgresql://u:pw@127.0.0.1:1/x", "REDIS_URL": "off"})
    assert done.returncode == 1
    assert "FAIL  PostgreSQL: postgresql://u:***@127.0.0.1:1/x" in done.stdout
    assert ":pw@" not in done.stdout


def test_a_github_app_is_checked_with_its_jwt(settings: Settings, tmp_path: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    teams = tmp_path / "teams.yaml"
    teams.write_text(GOOD_TEAM)
    with fake_hosts(public) as hosts:
        env = _env(settings, hosts, str(teams))
        env.update(GITHUB_TOKEN="", GITHUB_APP_ID="42", GITHUB_APP_PRIVATE_KEY=private)
        good = _doctor(env)
        half = _doctor({**env, "GITHUB_APP_PRIVATE_KEY": ""})
        garbled = _doctor({**env, "GITHUB_APP_PRIVATE_KEY": "not a key"})
    assert good.returncode == 0, good.stdout
    assert "authenticated as GitHub App 'reviewbot-app-42'" in good.stdout
    assert "BEGIN PRIVATE KEY" not in good.stdout + good.stderr
    assert half.returncode == 1
    assert "only half of a GitHub App is set" in half.stdout
    assert garbled.returncode == 1 and "Traceback" not in garbled.stderr, garbled.stderr
    assert "cannot sign a JWT" in garbled.stdout
