"""docker-compose.yml and the Dockerfile: every configuration variable reaches the app, the
image is built once, and both health checks ask for readiness."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.test_readme import _configuration_section

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
APP_SERVICES = ("migrate", "app")
TEAMS_MOUNT = "/etc/reviewbot/teams"
# Fixed inside the container rather than passed through: the volume the image prepares.
FIXED = {"DATA_DIR": "/data"}


def _table_variables() -> set[str]:
    """The variables named in the first column of the README's configuration table."""
    rows = [line for line in _configuration_section().splitlines() if line.startswith("| `")]
    first_cells = [row.split("|")[1] for row in rows]
    return set(re.findall(r"`([A-Z][A-Z0-9_]+)`", "\n".join(first_cells)))


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


def _docker_compose_config() -> dict[str, Any] | None:
    """The file as `docker compose config` resolves it, when that command exists here."""
    docker = shutil.which("docker")
    if docker is None:
        return None
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30)
    if probe.returncode != 0:
        return None  # docker without the compose plugin
    resolved = subprocess.run(
        [docker, "compose", "-f", str(COMPOSE), "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert resolved.returncode == 0, resolved.stderr
    found: dict[str, Any] = json.loads(resolved.stdout)
    return found


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return _docker_compose_config() or _compose()


def test_the_table_is_read_at_all() -> None:
    assert {"DATABASE_URL", "WORKERS", "LOG_LEVEL", "GITHUB_APP_ID", "GITLAB_URL"} <= (
        _table_variables()
    )


def test_every_configuration_variable_is_passed_to_migrate_and_app() -> None:
    raw = _compose()  # unresolved: the ${VAR} pass-through is visible here
    for name in APP_SERVICES:
        env = raw["services"][name]["environment"]
        assert isinstance(env, dict), f"{name}: environment as a mapping"
        assert sorted(_table_variables() - set(env)) == [], name
        for variable, value in env.items():
            if variable in FIXED:
                assert value == FIXED[variable]
            else:  # taken from the shell or .env, so an operator sets it without editing
                assert f"${{{variable}:-" in str(value), (name, variable, value)


def test_compose_listens_on_all_interfaces_and_says_to_set_tokens() -> None:
    env = _compose()["services"]["app"]["environment"]
    assert env["HOST"] == "${HOST:-0.0.0.0}"
    text = COMPOSE.read_text(encoding="utf-8")
    assert "HOST=0.0.0.0" in text and "ADMIN_TOKEN" in text.split("services:")[0]


def test_the_image_is_built_once_and_reused(compose: dict[str, Any]) -> None:
    services = compose["services"]
    builders = [name for name, service in services.items() if "build" in service]
    assert builders == ["migrate"]
    assert services["migrate"]["image"] == services["app"]["image"]
    assert services["app"]["pull_policy"] == "never"  # never looked up in a registry


def test_the_teams_folder_is_mounted_for_teams_file(compose: dict[str, Any]) -> None:
    volumes = compose["services"]["app"]["volumes"]
    targets = [v["target"] if isinstance(v, dict) else v.split(":")[1] for v in volumes]
    assert TEAMS_MOUNT in targets
    assert (ROOT / "teams").is_dir()


def test_the_app_is_healthy_only_when_ready(compose: dict[str, Any]) -> None:
    app = compose["services"]["app"]
    check = app["healthcheck"]["test"]
    assert check[0] == "CMD" and "/ready" in " ".join(check) and "PORT" in " ".join(check)
    ordered = app["depends_on"]
    assert ordered["migrate"]["condition"] == "service_completed_successfully"
    assert ordered["postgres"]["condition"] == "service_healthy"


def test_the_dockerfile_healthcheck_is_exec_form_on_ready_and_honours_port() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    match = re.search(r"^HEALTHCHECK [^\n]*\\\n\s*CMD (\[[^\n]*\])$", text, re.M)
    assert match is not None, "HEALTHCHECK … CMD [exec form]"
    argv = json.loads(match.group(1))
    assert argv[0] == "python" and "/ready" in argv[-1] and "os.environ.get('PORT')" in argv[-1]
