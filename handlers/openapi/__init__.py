"""The project's OpenAPI document, assembled from the ``*.yaml`` fragments in this folder.

Each fragment owns some endpoints: a mapping with ``paths:`` and optionally
``components:`` (``schemas``, ``responses``, ``parameters``, ...) and ``tags:``.
Fragments are merged reference first, then in file-name order; two fragments describing
the same path and method, or the same component differently, are an error at start
rather than a silently lost description.

Each fragment tags its operations with the one tag of the thing it manages (its file
name); ``x-reference: true`` marks the endpoints of the published contract. The answers
the middleware and the store give whatever the endpoint are added here, so no fragment
can forget them: 401 where a token is needed (``x-access`` admin or user), 413 where a
body is read, 503 (``UNAVAILABLE``/``BUSY``) unless the operation says ``x-store: false``;
operations that need no token (``x-access: none``, the webhooks among them: they carry
signatures) declare no bearer security.
"""

from __future__ import annotations

import copy
from functools import cache
from importlib import resources
from typing import Any

import msgspec
import yaml

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

_BASE: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "reviewbot",
        "version": "1.0.0",
        "description": (
            "Picks code reviewers for pull requests. The endpoints marked `x-reference` "
            "follow the published PR reviewer assignment contract exactly; the others are "
            "reviewbot's extensions. With ADMIN_TOKEN / USER_TOKEN set, each operation's "
            "`x-access` says which token it needs, as `Authorization: Bearer <token>`: "
            "`admin` (writes, and reads of admin material), `user` (either token) or `none`."
        ),
    },
    "servers": [{"url": "/"}],
    "security": [{"bearer": []}, {}],
    "paths": {},
    "components": {
        "schemas": {},
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
    },
    "tags": [],
}


class SpecError(ValueError):
    """Two fragments disagree, or one is not a mapping of the expected shape."""


FIRST = "components.yaml"  # shared parts and the tags, in the order the docs page shows them


def fragments() -> list[tuple[str, dict[str, Any]]]:
    """(file name, parsed fragment) for every bundled fragment: the shared parts, then by name."""
    found = []
    entries = sorted(resources.files(__name__).iterdir(), key=lambda e: (e.name != FIRST, e.name))
    for entry in entries:
        if entry.name.endswith((".yaml", ".yml")):
            loaded = yaml.safe_load(entry.read_text(encoding="utf-8")) or {}
            if not isinstance(loaded, dict):
                raise SpecError(f"{entry.name}: top level must be a mapping")
            found.append((entry.name, loaded))
    return found


def assemble(parts: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    spec = copy.deepcopy(_BASE)
    for name, part in parts:
        _merge_paths(spec["paths"], part.get("paths") or {}, name)
        for section, entries in (part.get("components") or {}).items():
            _merge_components(spec["components"].setdefault(section, {}), entries or {}, name)
        known = {t["name"] for t in spec["tags"]}
        spec["tags"].extend(t for t in part.get("tags") or [] if t["name"] not in known)
    for item in spec["paths"].values():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                _standard_answers(operation)
    return spec


STANDARD = {
    "401": "#/components/responses/Unauthorized",
    "413": "#/components/responses/PayloadTooLarge",
    "503": "#/components/responses/Unavailable",
}


def _standard_answers(operation: dict[str, Any]) -> None:
    """Add the answers every endpoint of its kind can give (see the module docstring)."""
    responses = operation.setdefault("responses", {})
    needs_token = operation.get("x-access") in ("admin", "user")
    wanted = {
        "401": needs_token,
        "413": "requestBody" in operation,
        "503": operation.get("x-store", True) is not False,
    }
    for status, applies in wanted.items():
        if applies and status not in responses:
            responses[status] = {"$ref": STANDARD[status]}
    if not needs_token:
        operation["security"] = []


def _merge_paths(into: dict[str, Any], paths: dict[str, Any], source: str) -> None:
    for path, item in paths.items():
        existing = into.setdefault(path, {})
        for method, operation in item.items():
            if method in existing:
                raise SpecError(f"{source}: {method.upper()} {path} is already described")
            existing[method] = operation


def _merge_components(into: dict[str, Any], entries: dict[str, Any], source: str) -> None:
    for entry_name, entry in entries.items():
        if entry_name in into and into[entry_name] != entry:
            raise SpecError(f"{source}: component {entry_name} differs from an earlier fragment")
        into[entry_name] = entry


@cache
def spec() -> dict[str, Any]:
    return assemble(fragments())


@cache
def spec_json() -> bytes:
    """The assembled document, encoded once per process."""
    return msgspec.json.encode(spec())
