"""The team file's ``mode:`` key (assign | suggest | off), read on its own so that other
per-team settings can be added beside it without touching this function."""

from __future__ import annotations

import yaml

from bot.core.models import Mode
from config.yaml_reader import Reader

MODES = tuple(m.value for m in Mode)


def read_mode(reader: Reader, node: yaml.Node, key: str) -> Mode | None:
    expected = "one of " + ", ".join(MODES)
    if isinstance(node, yaml.ScalarNode) and node.value in MODES:
        # YAML 1.1 reads a bare `off` as false: take the word as written, so that
        # `mode: off` means what it says without quotes.
        return Mode(node.value)
    value = reader.scalar(node, key, "str", expected)
    if value is None:
        return None
    if value not in MODES:
        reader.issue(node, key, f"unknown mode '{value}'; expected {expected}")
        return None
    return Mode(value)
