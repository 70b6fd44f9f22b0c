"""A PyYAML node walker that reports problems with file, line, column and key.

We walk the node tree (``yaml.compose``) instead of loading Python objects, because nodes
keep their position. Every problem is collected, not raised, so all are reported together.
Unknown keys, repeated keys and values YAML reads as another type than expected
(``id: 0123`` is a number, ``name: no`` a boolean) are errors, not silent surprises.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import yaml

from config.team_spec import ConfigIssue

# A team file of ~1,000 fully described members is ~100 KB; a larger organisation lists its
# teams in several files (TEAMS_FILE takes a comma-separated list, the cap is per file).
# Past the cap we refuse before parsing: the parse is what costs (about 0.5 s per 128 KiB
# with libyaml on this machine's loaded cores; perf/team_file.py measures it).
MAX_FILE_BYTES = 128 * 1024
# teams → team → members → member → away → period is 6 levels; nothing needs 20.
MAX_DEPTH = 20
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def size_problem(size: int) -> str | None:
    if size <= MAX_FILE_BYTES:
        return None
    return f"the file is {size} bytes; team files may be at most {MAX_FILE_BYTES} bytes"


def compose(text: str, file: str) -> tuple[yaml.Node | None, list[ConfigIssue]]:
    """The file's node tree, or the problems that stop us from reading it at all.

    Refused before composing: files over ``MAX_FILE_BYTES``, anchors and aliases (team files
    need none, and an alias re-walked at every use turns a few KB into minutes and GBs),
    and nesting deeper than ``MAX_DEPTH`` (a recursive composer would overflow the stack).
    """
    too_large = size_problem(len(text.encode("utf-8")))
    if too_large is not None:
        return None, [ConfigIssue(file, 1, 1, "", too_large)]
    try:
        problem = _refused_construct(text, file)
        if problem is not None:
            return None, [problem]
        return yaml.compose(text, Loader=_LOADER), []
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem_text = "; ".join(p for p in (exc.context, exc.problem) if p)
        return None, [ConfigIssue(file, line, column, "", f"not valid YAML: {problem_text}")]
    except yaml.YAMLError as exc:
        return None, [ConfigIssue(file, 1, 1, "", f"not valid YAML: {exc}")]


def _refused_construct(text: str, file: str) -> ConfigIssue | None:
    """The first anchor, alias or too-deep collection, read from the event stream."""
    depth = 0
    for event in yaml.parse(text, Loader=_LOADER):
        mark = event.start_mark
        where = (file, mark.line + 1, mark.column + 1, "") if mark else (file, 1, 1, "")
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            return ConfigIssue(*where, "YAML anchors and aliases are not allowed in team files")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return ConfigIssue(*where, f"nested deeper than {MAX_DEPTH} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def _construct(node: yaml.ScalarNode) -> Any:
    """The value YAML gives the scalar; its text when that fails (``2026-13-01``, ``!tag``)."""
    try:
        return yaml.constructor.SafeConstructor().construct_object(node)
    except (ValueError, OverflowError, yaml.YAMLError):
        return str(node.value)


@dataclass(frozen=True, slots=True)
class Located:
    """Where something was read, for problems found later (across files)."""

    file: str
    line: int
    column: int
    key: str


class Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.issues: list[ConfigIssue] = []

    def issue(self, node: yaml.Node, key: str, message: str) -> None:
        mark = node.start_mark
        self.issues.append(ConfigIssue(self.file, mark.line + 1, mark.column + 1, key, message))

    def where(self, node: yaml.Node, key: str) -> Located:
        return Located(self.file, node.start_mark.line + 1, node.start_mark.column + 1, key)

    def mapping(
        self, node: yaml.Node, key: str, allowed: Sequence[str]
    ) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        """The mapping's entries by key; unknown and repeated keys are reported."""
        if not isinstance(node, yaml.MappingNode):
            self.issue(node, key, f"expected a mapping with keys {', '.join(allowed)}")
            return None
        found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            name = str(key_node.value)
            path = f"{key}.{name}" if key else name
            if name not in allowed:
                self.issue(key_node, path, f"unknown key; expected one of {', '.join(allowed)}")
            elif name in found:
                self.issue(key_node, path, "repeated key; each key may appear once")
            else:
                found[name] = (key_node, value_node)
        return found

    def sequence(self, node: yaml.Node, key: str, what: str) -> list[yaml.Node]:
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null"):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.issue(node, key, f"expected a list of {what}")
            return []
        return list(node.value)

    def scalar(self, node: yaml.Node, key: str, kind: str, expected: str) -> Any:
        """The value when YAML reads the node as ``kind`` (str, int, bool, date); else None."""
        if isinstance(node, yaml.ScalarNode):
            value = _construct(node)
            if _is_kind(value, kind):
                return value
            if kind == "date" and isinstance(value, str):
                parsed = _iso_date(value)
                if parsed is not None:
                    return parsed
            # What the user wrote, not what YAML made of it (``0123`` is octal 83 to YAML 1.1).
            got = node.value if not isinstance(value, str) else f"'{value}'"
            hint = " (quote it to make it a string)" if kind == "str" else ""
            self.issue(node, key, f"expected {expected}, got {got}{hint}")
        else:
            self.issue(node, key, f"expected {expected}, got a {_node_kind(node)}")
        return None

    def text(
        self, node: yaml.Node, key: str, max_length: int, what: str, min_length: int = 1
    ) -> str | None:
        value = self.scalar(node, key, "str", what)
        if value is None:
            return None
        if not min_length <= len(value) <= max_length:
            self.issue(node, key, f"expected {what} of {min_length} to {max_length} characters")
            return None
        assert isinstance(value, str)
        return value


def _is_kind(value: object, kind: str) -> bool:
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "date":
        return isinstance(value, date) and not isinstance(value, datetime)
    return isinstance(value, {"str": str, "bool": bool}[kind])


def _iso_date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _node_kind(node: yaml.Node) -> str:
    return "list" if isinstance(node, yaml.SequenceNode) else "mapping"
