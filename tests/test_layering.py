"""The pure core must stay pure: no I/O libraries, no store, no handlers."""

from __future__ import annotations

import ast
from pathlib import Path

import bot.core

FORBIDDEN = {"httpx", "databases", "asyncpg", "redis", "store", "handlers", "starlette", "socket"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_pure_core_imports_no_io() -> None:
    core = Path(bot.core.__file__).parent
    files = sorted(core.rglob("*.py"))
    assert files, "bot/core has no modules"
    offenders = {str(f.relative_to(core)): _imports(f) & FORBIDDEN for f in files}
    assert {f: bad for f, bad in offenders.items() if bad} == {}


def test_webhook_parsing_and_host_response_decoding_import_no_io() -> None:
    # DESIGN 1 and 4: signature checks, payload parsing and host response decoding are pure,
    # and so are the host cards and their registry (config/ imports them).
    root = Path(bot.core.__file__).parent.parent
    hosts = root / "hosts"
    pure = ["decipher.py", "events.py", "dispatch.py", "verify.py", "spec.py", "registry.py"]
    cards = [*sorted(hosts.glob("*/sansio.py")), *sorted(hosts.glob("*/spec.py"))]
    files = [*cards, *(hosts / name for name in pure)]
    offenders = {str(f.relative_to(root)): _imports(f) & FORBIDDEN for f in files}
    assert {f: bad for f, bad in offenders.items() if bad} == {}
