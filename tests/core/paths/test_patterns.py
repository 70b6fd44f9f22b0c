"""The pattern matcher, table-tested with GitHub's documented CODEOWNERS examples."""

from __future__ import annotations

import pytest

from bot.core.paths.patterns import (
    FileIndex,
    PatternError,
    PatternIndex,
    compile_pattern,
    problem,
)

# (pattern, path, matches): GitHub's "Example of a CODEOWNERS file" section first.
TABLE = [
    ("*.js", "app.js", True),
    ("*.js", "src/deep/app.js", True),
    ("*.js", "app.jsx", False),
    ("*.js", "app.js/readme", False),  # a wildcard last segment matches files only
    ("/build/logs/", "build/logs/today.log", True),
    ("/build/logs/", "build/logs/2026/12/01.log", True),
    ("/build/logs/", "src/build/logs/x.log", False),
    ("/build/logs/", "build/logs", False),  # a directory pattern: never the file itself
    ("docs/*", "docs/getting-started.md", True),
    ("docs/*", "docs/build-app/troubleshooting.md", False),
    ("docs/*", "src/docs/x.md", False),  # a '/' inside anchors at the root
    ("apps/", "apps/x.rb", True),
    ("apps/", "deep/apps/x/y.rb", True),
    ("apps/", "apps", False),
    ("/docs/", "docs/a/b.md", True),
    ("**/logs", "build/logs/x", True),
    ("**/logs", "scripts/logs/x", True),
    ("**/logs", "deeply/nested/logs/x", True),
    ("**/logs", "logs/x", True),
    ("**/logs", "logsx/y", False),
    ("/apps/github", "apps/github", True),
    ("/apps/github", "apps/github/x.rb", True),
    ("/apps/github", "apps/githubx", False),
    ("/scripts/", "scripts/deploy.sh", True),
    ("migrations/**", "migrations/0001.sql", True),
    ("migrations/**", "migrations/a/b.sql", True),
    ("migrations/**", "x/migrations/a.sql", False),
    ("**/*.sql", "a.sql", True),
    ("**/*.sql", "a/b/c.sql", True),
    ("a/**/b", "a/b", True),
    ("a/**/b", "a/x/y/b", True),
    ("a/**/b", "a/x/y/b/c", True),
    ("a/**/b", "a/xb", False),
    ("*", "anything/at/all.txt", True),
    ("README.md", "README.md", True),
    ("README.md", "sub/README.md", True),
    ("READ?E.md", "README.md", True),
    ("READ?E.md", "READ/E.md", False),
    ("file.txt", "file-txt", False),  # '.' is literal
]


@pytest.mark.parametrize(("pattern", "path", "expected"), TABLE)
def test_table(pattern: str, path: str, expected: bool) -> None:
    assert compile_pattern(pattern).matches(path) is expected


@pytest.mark.parametrize("pattern", ["!*.js", "", "   ", "/", "*.[ch]", "a b", "***"])
def test_invalid_patterns_are_refused_not_reinterpreted(pattern: str) -> None:
    assert problem(pattern) is not None
    with pytest.raises(PatternError):
        compile_pattern(pattern)


def test_indexes_agree_with_plain_matching() -> None:
    patterns = [compile_pattern(p) for p, _, _ in TABLE]
    files = sorted({path for _, path, _ in TABLE})
    by_pattern = PatternIndex.of(patterns)
    for path in files:
        plain = [i for i, p in enumerate(patterns) if p.matches(path)]
        assert by_pattern.matching(path) == plain, path
    index = FileIndex.of(files)
    for p in patterns:
        plain_first = next((f for f in index.files if p.matches(f)), None)
        assert (index.first_match([p]) is None) == (plain_first is None), p.text


def test_keys_narrow_the_candidates() -> None:
    index = FileIndex.of(["docs/a.md", "src/b.py", "src/c.sql", "src/logs/x.txt"])
    assert list(index.candidates(compile_pattern("/docs/"))) == ["docs/a.md"]
    assert list(index.candidates(compile_pattern("*.sql"))) == ["src/c.sql"]
    assert list(index.candidates(compile_pattern("**/logs"))) == ["src/logs/x.txt"]
    assert list(index.candidates(compile_pattern("src/logs/*.txt"))) == ["src/logs/x.txt"]
    assert len(index.candidates(compile_pattern("*"))) == 4  # nothing to narrow by
