"""Import rules per folder, checked on every module: a new file is covered as it lands.

bot/core/            pure: imports nothing of the project but bot.core, and no I/O library
bot/hosts/ (pure)    every module but base, client, store, doctor and registry: bot.core and the
                     other pure host modules only, no I/O library
store/               bot.core, config (the team-file plan it writes) and store only
config/              bot.core and config only
bot/services/        never handlers/, bot.app or bot.cli
handlers/            never store/ (use cases do that), bot.app or bot.cli
everything           only bot.app (and tests) imports handlers/
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "store", "config")
IO_LIBRARIES = {
    "httpx",
    "databases",
    "asyncpg",
    "redis",
    "starlette",
    "uvicorn",
    "socket",
    "prometheus_client",
}
HOST_IO_MODULES = {"base", "wiring", "client", "store", "doctor"}


def _modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield ".".join(parts), path


def _imports(name: str, path: Path, *, at_import_time: bool = False) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in _import_time_nodes(tree) if at_import_time else ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.update(f"{base}.{alias.name}" for alias in node.names)
            found.add(base)
    return found


def _import_time_nodes(tree: ast.Module) -> Iterator[ast.AST]:
    """Every node run when the module is imported: not function bodies, not TYPE_CHECKING."""
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            pending.extend(node.orelse)
            continue
        pending.extend(ast.iter_child_nodes(node))


def _under(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _is_pure_host_module(name: str) -> bool:
    return _under(name, "bot.hosts") and name.rsplit(".", 1)[-1] not in HOST_IO_MODULES


def _project(imported: set[str]) -> set[str]:
    return {m for m in imported if _under(m, *PACKAGES)}


def _io(imported: set[str]) -> set[str]:
    return {m for m in imported if m.split(".")[0] in IO_LIBRARIES}


def _broken_rules(name: str, imported: set[str], at_import: set[str] | None = None) -> list[str]:
    project, broken = _project(imported), []
    loaded = imported if at_import is None else at_import
    if _under(name, "bot.core"):
        broken += [f"core imports {m}" for m in project if not _under(m, "bot.core")]
        broken += [f"core imports I/O {m}" for m in _io(imported)]
    if _is_pure_host_module(name):
        loaded_project = _project(loaded)
        allowed = [m for m in loaded_project if _under(m, "bot.core") or _is_pure_host_module(m)]
        broken += [f"pure host module imports {m}" for m in loaded_project - set(allowed)]
        broken += [f"pure host module imports I/O {m}" for m in _io(loaded)]
    if _under(name, "store"):
        allowed = ("bot.core", "config", "store")
        broken += [f"store imports {m}" for m in project if not _under(m, *allowed)]
    if _under(name, "config"):
        allowed_config = [m for m in project if _under(m, "bot.core", "config")]
        allowed_config += [m for m in project if _is_pure_host_module(m)]
        broken += [f"config imports {m}" for m in set(project) - set(allowed_config)]
    if _under(name, "bot.services", "handlers"):
        broken += [f"imports {m}" for m in project if _under(m, "bot.app", "bot.cli")]
    if _under(name, "handlers"):
        broken += [f"handlers import {m}" for m in project if _under(m, "store")]
    if not _under(name, "bot.app", "handlers"):
        broken += [f"imports {m}" for m in project if _under(m, "handlers")]
    return broken


MODULES = list(_modules())


@pytest.mark.parametrize(("name", "path"), MODULES, ids=[n for n, _ in MODULES])
def test_module_keeps_its_folders_import_rules(name: str, path: Path) -> None:
    imported = _imports(name, path)
    assert _broken_rules(name, imported, _imports(name, path, at_import_time=True)) == []


def test_the_rules_catch_what_they_forbid() -> None:
    assert set(_broken_rules("bot.core.x", {"httpx", "store.db"})) == {
        "core imports store.db",
        "core imports I/O httpx",
    }
    assert _broken_rules("bot.hosts.github.sansio", {"httpx"}) != []
    lazily = {"bot.hosts.github.client"}
    assert _broken_rules("bot.hosts.github.spec", lazily, at_import=set()) == []
    assert _broken_rules("bot.hosts.github.spec", lazily, at_import=lazily) != []
    assert _broken_rules("config.settings", {"bot.hosts.registry"}) == []
    assert _broken_rules("config.settings", {"bot.hosts.wiring"}) != []
    assert _broken_rules("bot.hosts.github.client", {"httpx"}) == []
    assert _broken_rules("handlers.teams", {"store.teams"}) != []
    assert _broken_rules("bot.services.teams", {"handlers.deps"}) != []
    assert _broken_rules("bot.app", {"handlers.deps"}) == []
