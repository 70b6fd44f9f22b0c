"""Gitignore-style path patterns with CODEOWNERS semantics (the documented examples).

    *.js            any .js file, at any depth
    /build/logs/    everything under build/logs at the root
    docs/*          files directly in docs/ (a '/' inside anchors the pattern at the root);
                    not docs/build-app/troubleshooting.md
    apps/           everything under any directory named apps
    **/logs         everything under any directory named logs
    /apps/web       the file apps/web, or everything under that directory
    a/**/b          a/b, a/x/b, a/x/y/b (and what is under them)

``*`` and ``?`` never cross a '/'. A pattern whose last segment is literal also matches
everything under that directory; one whose last segment has a wildcard matches files only
(the documented ``docs/*`` example). Not supported, and reported as invalid rather than read
another way: ``!`` negation and ``[...]`` character ranges (glob CODEOWNERS has neither).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

_WILD = re.compile(r"[*?]")


class PatternError(ValueError):
    """A pattern reviewbot cannot read; the message says why."""


@dataclass(frozen=True, slots=True)
class Pattern:
    text: str
    regex: re.Pattern[str]
    # Every segment but '**' matches exactly one path component, so a file can match only
    # if it has each literal segment as a component and, for '*.EXT', that extension.
    literals: tuple[str, ...] = ()
    ext: str | None = None  # last segment '*.EXT': only files ending in .EXT

    def matches(self, path: str) -> bool:
        return self.regex.match(path) is not None


def problem(text: str) -> str | None:
    """Why ``text`` is not a valid pattern (None: it is)."""
    if not text.strip().strip("/"):
        return "an empty pattern matches nothing"
    if text.startswith("!"):
        return "negation ('!') is not supported: list what should match instead"
    if "[" in text or "]" in text:
        return "character ranges ('[...]') are not supported"
    if any(c.isspace() for c in text):
        return "a pattern has no spaces"
    if "***" in text:
        return "'***' is not a wildcard; use '**' or '*'"
    return None


@lru_cache(maxsize=20_000)
def compile_pattern(text: str) -> Pattern:
    """Compiled once per process and pattern: every routing job reuses the regexes."""
    why = problem(text)
    if why is not None:
        raise PatternError(why)
    dir_only = text.endswith("/")
    body = text.rstrip("/") or "**"
    anchored = "/" in body
    segments = body.lstrip("/").split("/")
    regex = ("^" if anchored else "^(?:.*/)?") + _segments(segments)
    last = segments[-1]
    if dir_only:
        regex += "/.+$"
    elif _WILD.search(last):
        regex += "$"
    else:
        regex += "(?:/.+)?$"
    literals = tuple(seg for seg in segments if seg != "**" and not _WILD.search(seg))
    return Pattern(text, re.compile(regex, re.DOTALL), literals, _ext(last, dir_only))


def _segments(segments: Sequence[str]) -> str:
    out = []
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == "**":
            out.append(".+" if last else "(?:[^/]+/)*")
        else:
            out.append(_segment(segment) + ("" if last else "/"))
    return "".join(out)


def _segment(segment: str) -> str:
    parts = []
    for ch in segment:
        if ch == "*":
            parts.append("[^/]*")
        elif ch == "?":
            parts.append("[^/]")
        else:
            parts.append(re.escape(ch))
    return "".join(parts)


def _ext(last: str, dir_only: bool) -> str | None:
    if dir_only or not last.startswith("*") or _WILD.search(last[1:]) or "." not in last:
        return None
    return last.rsplit(".", 1)[1] or None


def extension(path: str) -> str | None:
    base = path.rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[1] if "." in base else None


@dataclass(slots=True)
class FileIndex:
    """Changed files grouped the way patterns are keyed: a pattern is tried only on the
    files that could match it."""

    files: tuple[str, ...]
    by_segment: dict[str, list[str]] = field(default_factory=dict)
    by_ext: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, files: Iterable[str]) -> FileIndex:
        index = cls(tuple(dict.fromkeys(f.lstrip("/") for f in files if f)))
        for path in index.files:
            for component in dict.fromkeys(path.split("/")):
                index.by_segment.setdefault(component, []).append(path)
            ext = extension(path)
            if ext is not None:
                index.by_ext.setdefault(ext, []).append(path)
        return index

    def candidates(self, pattern: Pattern) -> Sequence[str]:
        """The fewest files that could match: those under its rarest key."""
        keyed = [self.by_segment.get(seg, ()) for seg in pattern.literals]
        if pattern.ext is not None:
            keyed.append(self.by_ext.get(pattern.ext, ()))
        return min(keyed, key=len) if keyed else self.files

    def first_match(self, patterns: Iterable[Pattern]) -> str | None:
        """The first file (in PR order of its candidates) any of ``patterns`` matches."""
        for pattern in patterns:
            match = pattern.regex.match
            for path in self.candidates(pattern):
                if match(path) is not None:
                    return path
        return None


@dataclass(slots=True)
class PatternIndex:
    """Patterns keyed like ``FileIndex``: for one file, the patterns that could match it."""

    patterns: tuple[Pattern, ...]
    by_segment: dict[str, list[int]] = field(default_factory=dict)
    by_ext: dict[str, list[int]] = field(default_factory=dict)
    general: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, patterns: Sequence[Pattern]) -> PatternIndex:
        index = cls(tuple(patterns))
        for i, p in enumerate(patterns):
            if p.literals:  # the deepest literal: usually the most specific
                index.by_segment.setdefault(p.literals[-1], []).append(i)
            elif p.ext is not None:
                index.by_ext.setdefault(p.ext, []).append(i)
            else:
                index.general.append(i)
        return index

    def matching(self, path: str) -> list[int]:
        """Indices of the patterns matching ``path``, in pattern order."""
        ext = extension(path)
        found = [
            *(i for c in dict.fromkeys(path.split("/")) for i in self.by_segment.get(c, ())),
            *(self.by_ext.get(ext, ()) if ext is not None else ()),
            *self.general,
        ]
        return sorted(i for i in found if self.patterns[i].regex.match(path) is not None)
