"""The registered hosts' I/O halves, built once per app by its lifespan."""

from __future__ import annotations

from collections.abc import Mapping

from bot.hosts.base import HostClient, HostDeps, HostMemory
from bot.hosts.registry import HOSTS
from bot.hosts.spec import HostSettings


def build_clients(code_hosts: Mapping[str, HostSettings], deps: HostDeps) -> dict[str, HostClient]:
    """A client for every registered host whose credentials are configured."""
    clients = {}
    for name, spec in HOSTS.items():
        client = spec.io().connect(code_hosts[name], deps)
        if client is not None:
            clients[name] = client
    return clients


def build_memories() -> dict[str, HostMemory]:
    """A fresh memory for every registered host (they may cache per process)."""
    return {name: spec.io().memory() for name, spec in HOSTS.items()}
