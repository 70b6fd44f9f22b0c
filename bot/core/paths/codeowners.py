"""A repository's CODEOWNERS file, parsed with its host's semantics, and who owns what.

Three syntaxes, chosen by the host's card (``CodeOwnersFormat``):
- ``glob``: ``pattern @user @org/team e-mail…`` per line, ``#`` comments; the
  patterns of ``bot.core.paths.patterns``; for each file the LAST matching line wins, and
  a matching line with no owners leaves the file unowned.
- ``glob`` with ``sections``: the same, plus ``[Section]``, ``^[Optional]`` and
  ``[Section][2]`` headers, with default owners after the header for lines that name none;
  the last matching line wins within each section, and every section counts (that
  host's rule). Approval counts (``[2]``) and optional markers are read and ignored: reviewbot
  requests reviewers, it does not enforce approvals.
- ``regex``: each pattern is a regular expression over the whole path,
  ``!`` negates it (the line applies to files it does NOT match), ``\\ ``, ``\\#`` and
  ``\\\\`` escape; every matching line counts, as in that host's own code.

Which host reads which syntax is on its card (``bot/hosts/<name>/spec.py``).

A line that cannot be read is kept as a ``problem`` (line number and why) and skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.core.paths.patterns import FileIndex, Pattern, PatternError, PatternIndex, compile_pattern

MAX_LINES = 10_000


@dataclass(frozen=True, slots=True)
class CodeOwnersFormat:
    """How one host reads CODEOWNERS: where (in order; the first file found is used)."""

    locations: tuple[str, ...]
    syntax: str = "glob"  # glob | regex
    sections: bool = False


@dataclass(frozen=True, slots=True)
class Line:
    number: int  # 1-based line in the file
    text: str  # the line as written (for explanations)
    owners: tuple[str, ...]
    section: str = ""
    negated: bool = False


@dataclass(frozen=True, slots=True)
class CodeOwners:
    path: str  # where it was found, e.g. "docs/CODEOWNERS"
    lines: tuple[Line, ...]
    patterns: tuple[Pattern, ...]  # one per line
    syntax: str = "glob"
    problems: tuple[tuple[int, str], ...] = ()
    _index: list[PatternIndex] = field(default_factory=list, compare=False, repr=False)

    def index(self) -> PatternIndex:
        if not self._index:
            self._index.append(PatternIndex.of(self.patterns))
        return self._index[0]


def parse(text: str, path: str, fmt: CodeOwnersFormat) -> CodeOwners:
    lines: list[Line] = []
    patterns: list[Pattern] = []
    problems: list[tuple[int, str]] = []
    section = ""
    defaults: tuple[str, ...] = ()
    for number, raw in enumerate(text.splitlines()[:MAX_LINES], start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if fmt.sections and _SECTION.match(stripped):
            section, defaults = _section(stripped)
            continue
        read = _read_line(stripped, fmt.syntax)
        if isinstance(read, str):
            problems.append((number, read))
            continue
        pattern, owners, negated = read
        owners = owners or (defaults if fmt.sections else ())
        lines.append(Line(number, stripped, owners, section, negated))
        patterns.append(pattern)
    return CodeOwners(path, tuple(lines), tuple(patterns), fmt.syntax, tuple(problems))


_SECTION = re.compile(r"^\^?\[(?P<name>[^\]]+)\](?:\[\d+\])?(?P<owners>(?:\s+\S+)*)\s*$")


def _section(line: str) -> tuple[str, tuple[str, ...]]:
    found = _SECTION.match(line)
    assert found is not None
    return found["name"].strip().lower(), tuple(found["owners"].split())


def _read_line(line: str, syntax: str) -> tuple[Pattern, tuple[str, ...], bool] | str:
    tokens = _tokens(line) if syntax == "regex" else line.split("#", 1)[0].split()
    if not tokens:
        return "no pattern"
    first, owners = tokens[0], tuple(tokens[1:])
    if syntax == "regex":
        negated = first.startswith("!")
        expr = first[1:] if negated else first
        try:
            return Pattern(first, re.compile(f"^(?:{expr})$", re.DOTALL)), owners, negated
        except re.error as exc:
            return f"not a valid regular expression: {exc}"
    try:
        return compile_pattern(first), owners, False
    except PatternError as exc:
        return str(exc)


def _tokens(line: str) -> list[str]:
    """The regex syntax's escapes: '\\ ' a space, '\\#' a hash, '\\\\' a backslash.

    An unescaped '#' starts a comment."""
    tokens, current, i = [], [], 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line) and line[i + 1] in " #\\":
            current.append(line[i + 1] if line[i + 1] != "\\" else "\\\\")
            i += 2
            continue
        if ch == "#":
            break
        if ch.isspace():
            if current:
                tokens.append("".join(current))
                current = []
        else:
            current.append(ch)
        i += 1
    if current:
        tokens.append("".join(current))
    return tokens


@dataclass(frozen=True, slots=True)
class Owned:
    """A CODEOWNERS line that owns some of the changed files."""

    line: Line
    files: tuple[str, ...]

    def reason(self, path: str) -> str:
        return f"{path}:{self.line.number}: {self.line.text}"


def owned(codeowners: CodeOwners, files: Iterable[str]) -> list[Owned]:
    """The lines that own at least one file, in line order, each with its files."""
    index = FileIndex.of(files).files
    hits: dict[int, list[str]] = {}
    for path in index:
        for i in _owning(codeowners, path):
            hits.setdefault(i, []).append(path)
    return [Owned(codeowners.lines[i], tuple(hits[i])) for i in sorted(hits)]


def _owning(codeowners: CodeOwners, path: str) -> Sequence[int]:
    if codeowners.syntax == "regex":
        return [i for i, line in enumerate(codeowners.lines) if _regex_applies(codeowners, i, path)]
    last: dict[str, int] = {}  # per section: the last matching line
    for i in codeowners.index().matching(path):
        last[codeowners.lines[i].section] = i
    return [i for i in last.values() if codeowners.lines[i].owners]


def _regex_applies(codeowners: CodeOwners, i: int, path: str) -> bool:
    matched = codeowners.patterns[i].regex.match(path) is not None
    return matched != codeowners.lines[i].negated
