"""README's configuration table is the one place that lists every environment variable."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from bot.hosts.registry import HOSTS
from config.settings import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def _configuration_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("\n## Configuration\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def test_every_variable_settings_reads_is_in_the_configuration_table() -> None:
    readers = [Settings.from_env, *(spec.read_settings for spec in HOSTS.values())]
    read = {v for r in readers for v in re.findall(r'"([A-Z][A-Z0-9_]+)"', inspect.getsource(r))}
    read |= {spec.webhook_secret_variable for spec in HOSTS.values()}
    assert {"DATABASE_URL", "GITHUB_TOKEN"} <= read  # the pattern does find them
    table_rows = [line for line in _configuration_section().splitlines() if line.startswith("|")]
    listed = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", "\n".join(table_rows)))
    assert sorted(read - listed) == []


def _read_by_settings() -> set[str]:
    readers = [Settings.from_env, *(spec.read_settings for spec in HOSTS.values())]
    read = {v for r in readers for v in re.findall(r'"([A-Z][A-Z0-9_]+)"', inspect.getsource(r))}
    return read | {spec.webhook_secret_variable for spec in HOSTS.values()}


def test_serve_help_names_every_variable_settings_reads() -> None:
    from bot.cli import SERVE_VARIABLES

    assert sorted(_read_by_settings() - set(SERVE_VARIABLES.split(", "))) == []


def test_no_other_section_has_its_own_variable_table() -> None:
    text = README.read_text(encoding="utf-8")
    assert text.count("| variable | meaning | default |") == 1
