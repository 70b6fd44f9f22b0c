"""The registry is the one list of hosts: every card is complete, and what is derived from
the list (routes, settings, team-file keys) or written by hand beside it (JSON Schema,
OpenAPI fragment, test kit) agrees with it. Pure and fast: no database, no network."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

import bot
from bot.hosts.base import HostDeps, HostIO, HostMemory
from bot.hosts.registry import HOSTS, parse_pr_id
from bot.hosts.spec import HostSpec
from config.settings import Settings
from config.team_member import MEMBER_KEYS
from handlers import webhooks
from tests.hosts import test_sansio
from tests.webhooks.conftest import FIXTURE_EVENTS, FIXTURES, HOOK_HOSTS, SECRETS, SIGNERS

ROOT = Path(bot.__file__).resolve().parent.parent
SPECS = list(HOSTS.values())
IO_LIBRARIES = {"httpx", "asyncpg", "databases", "redis", "starlette", "socket", "store"}


@pytest.mark.parametrize("spec", SPECS, ids=list(HOSTS))
def test_every_card_is_complete(spec: HostSpec[Any]) -> None:
    assert re.fullmatch(r"[a-z][a-z0-9_]*", spec.name)  # a path segment, a YAML key, a folder
    assert (ROOT / "bot" / "hosts" / spec.name / "sansio.py").is_file()
    assert len(spec.pr_separator) == 1 and spec.pr_separator not in ":/"
    for headers in (spec.event_headers, spec.delivery_headers):
        assert headers and all(h == h.lower() for h in headers)
    assert callable(spec.verify) and callable(spec.parse)
    assert re.fullmatch(r"[A-Z][A-Z0-9_]+", spec.webhook_secret_variable)
    assert spec.credentials


@pytest.mark.parametrize("spec", SPECS, ids=list(HOSTS))
def test_every_card_reads_its_settings_and_has_an_io_half(spec: HostSpec[Any]) -> None:
    settings = Settings.from_env({spec.webhook_secret_variable: "s"}).code_hosts[spec.name]
    assert settings.webhook_secret is not None and settings.webhook_secret.reveal() == "s"
    io = spec.io()
    assert isinstance(io, HostIO) and isinstance(io.memory(), HostMemory)
    # With an empty environment no host has credentials, so none gets a client.
    deps = HostDeps(http=None, clock=time.time, db=None)  # type: ignore[arg-type]
    assert io.connect(Settings().code_hosts[spec.name], deps) is None


@pytest.mark.parametrize("spec", SPECS, ids=list(HOSTS))
def test_pr_ids_use_the_hosts_separator(spec: HostSpec[Any]) -> None:
    repo = "group/sub/repo" if spec.name == "gitlab" else "owner/repo.js"
    ref = parse_pr_id(f"{spec.name}:{repo}{spec.pr_separator}42")
    assert ref is not None and (ref.host, ref.repo, ref.number) == (spec.name, repo, 42)
    assert ref.pr_id == f"{spec.name}:{repo}{spec.pr_separator}42"


def test_cards_and_the_app_config_import_no_io() -> None:
    # config/ imports the registry; that must not bring httpx or the store along.
    modules = ["bot.hosts.registry", "config.settings", "config.team_parse", "config.team_plan"]
    code = (
        f"import sys; import {', '.join(modules)}; "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert IO_LIBRARIES.isdisjoint(loaded)


def test_webhook_routes_come_from_the_registry() -> None:
    served = {r.path for r in webhooks.routes if r.path.startswith("/webhooks/")}  # type: ignore[attr-defined]
    assert served == {f"/webhooks/{name}" for name in HOSTS}


def test_team_file_handle_keys_and_their_schema_follow_the_registry() -> None:
    assert [k for k in MEMBER_KEYS if k in HOSTS] == list(HOSTS)
    schema = json.loads((ROOT / "config" / "teams.schema.json").read_text())
    member = schema["$defs"]["member"]["properties"]
    assert set(member) == set(MEMBER_KEYS)
    for name in HOSTS:
        assert member[name]["$ref"] == "#/$defs/id"


def test_the_openapi_fragment_documents_every_host() -> None:
    spec = yaml.safe_load((ROOT / "handlers" / "openapi" / "webhooks.yaml").read_text())
    paths = {p for p in spec["paths"] if p.startswith("/webhooks/")}
    assert paths == {f"/webhooks/{name}" for name in HOSTS}
    for name, card in HOSTS.items():
        operation = spec["paths"][f"/webhooks/{name}"]["post"]
        documented = {p["name"].lower() for p in operation["parameters"] if p["in"] == "header"}
        assert set(card.event_headers) <= documented
        assert documented & set(card.delivery_headers)
        assert card.webhook_secret_variable in operation["description"]


def test_the_webhook_test_kit_covers_every_host() -> None:
    for kit in (SECRETS, HOOK_HOSTS, SIGNERS, FIXTURE_EVENTS, test_sansio.EVENTS):
        assert set(kit) == set(HOSTS)
    assert {host for host, _, _ in test_sansio.TABLE} == set(HOSTS)
    for name in HOSTS:
        assert sorted((FIXTURES / name).glob("*__*.json")), f"no fixtures for {name}"


def test_no_module_outside_the_host_folders_names_a_host() -> None:
    allowed = {ROOT / "bot" / "hosts" / name for name in HOSTS}
    pattern = re.compile("|".join(HOSTS), re.IGNORECASE)
    offenders = []
    for top in ("bot", "handlers", "store", "config"):
        for path in sorted((ROOT / top).rglob("*.py")):
            if path.parent in allowed or path == ROOT / "bot" / "hosts" / "registry.py":
                continue
            lines = path.read_text(encoding="utf-8").splitlines()
            offenders += [
                f"{path.relative_to(ROOT)}:{i}" for i, t in enumerate(lines, 1) if pattern.search(t)
            ]
    assert offenders == []
