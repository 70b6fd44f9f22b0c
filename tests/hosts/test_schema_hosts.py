"""The database's CHECKs on host names list exactly the registered hosts (a new host needs
a migration that widens them: docs/hosts.md)."""

from __future__ import annotations

import re

import asyncpg

from bot.hosts.registry import HOSTS


async def test_host_checks_in_the_schema_list_the_registry(pg: asyncpg.Pool) -> None:
    rows = await pg.fetch(
        """SELECT conrelid::regclass::text AS table_name, pg_get_constraintdef(oid) AS check
             FROM pg_constraint
            WHERE contype = 'c' AND pg_get_constraintdef(oid) ~ '\\mhost\\M'"""
    )
    found = {r["table_name"]: set(re.findall(r"'(\w+)'::text", r["check"])) for r in rows}
    assert set(found) == {"user_handles", "outbox"}
    assert all(names == set(HOSTS) for names in found.values()), found
