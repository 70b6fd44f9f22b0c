"""One member of a team in the YAML file.

- id: alice               # the user_id (required)
  name: Alice Liddell     # display name (default: the id)
  active: true            # default true
  <host>: alice-gh        # a handle per code host, keyed by its name in bot.hosts.registry
                          # (default: the id)
  max_open_reviews: 3     # never assigned while this many reviews are open
  away_until: 2026-12-01  # away up to and including this day
  away:                   # other days away, both ends inclusive
    - {from: 2026-12-20, to: 2027-01-02}
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import yaml

from bot.core.models import AwayPeriod
from bot.hosts.registry import HOSTS
from config.team_sla_read import MEMBER_KEYS as WORK_KEYS
from config.team_sla_read import read_work_time
from config.team_spec import MAX_ID_LENGTH, MAX_NAME_LENGTH, MemberSpec, sort_away
from config.yaml_reader import Located, Reader

MEMBER_KEYS = ("id", "name", "active", *HOSTS, "max_open_reviews", "away_until", "away", *WORK_KEYS)
_PERIOD_KEYS = ("from", "to")
_DATE = "a date (YYYY-MM-DD)"


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a member entry claims to be, kept even when the entry has other problems."""

    user_id: str
    handles: tuple[tuple[str, str], ...]
    at: Located


def read_member(
    reader: Reader, node: yaml.Node, key: str
) -> tuple[MemberSpec | None, Identity | None]:
    entries = reader.mapping(node, key, MEMBER_KEYS)
    if entries is None:
        return None, None
    errors_before = len(reader.issues)
    values = {name: value for name, (_, value) in entries.items()}
    if "id" not in values:
        reader.issue(node, f"{key}.id", "missing key; every member needs an id")
        return None, None
    user_id = reader.text(values["id"], f"{key}.id", MAX_ID_LENGTH, "a user id")
    name = user_id
    if "name" in values:
        name = reader.text(values["name"], f"{key}.name", MAX_NAME_LENGTH, "a display name", 0)
    active = True
    if "active" in values:
        active = reader.scalar(values["active"], f"{key}.active", "bool", "true or false")
    handles = []
    for host in HOSTS:
        if host in values:
            handle = reader.text(values[host], f"{key}.{host}", MAX_ID_LENGTH, f"a {host} handle")
            if handle is not None:
                handles.append((host, handle))
    cap = _cap(reader, values.get("max_open_reviews"), f"{key}.max_open_reviews")
    away = _away(reader, values, key)
    work = read_work_time(reader, values, key)
    if user_id is None:
        return None, None
    identity = Identity(user_id, tuple(handles), reader.where(values["id"], f"{key}.id"))
    if len(reader.issues) > errors_before or name is None:
        return None, identity
    member = MemberSpec(user_id, name, bool(active), tuple(handles), cap, away, work)
    return member, identity


def _cap(reader: Reader, node: yaml.Node | None, key: str) -> int | None:
    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
        return None
    expected = "a whole number of at least 0 (or null for no cap)"
    value = reader.scalar(node, key, "int", expected)
    if value is not None and value < 0:
        reader.issue(node, key, f"expected {expected}, got {value}")
        return None
    return value  # type: ignore[no-any-return]


def _away(reader: Reader, values: dict[str, yaml.Node], key: str) -> tuple[AwayPeriod, ...]:
    periods = []
    if "away_until" in values:
        until = reader.scalar(values["away_until"], f"{key}.away_until", "date", _DATE)
        if until is not None:
            periods.append(AwayPeriod(None, until))
    if "away" in values:
        items = reader.sequence(values["away"], f"{key}.away", "periods {from: DATE, to: DATE}")
        for i, node in enumerate(items):
            period = _period(reader, node, f"{key}.away[{i}]")
            if period is not None:
                periods.append(period)
    return sort_away(periods)


def _period(reader: Reader, node: yaml.Node, key: str) -> AwayPeriod | None:
    entries = reader.mapping(node, key, _PERIOD_KEYS)
    if entries is None:
        return None
    days: dict[str, date | None] = {}
    for end in _PERIOD_KEYS:
        if end not in entries:
            reader.issue(node, f"{key}.{end}", f"missing key; expected {_DATE}")
            days[end] = None
        else:
            days[end] = reader.scalar(entries[end][1], f"{key}.{end}", "date", _DATE)
    first, last = days["from"], days["to"]
    if first is None or last is None:
        return None
    if first > last:
        reader.issue(entries["to"][1], f"{key}.to", f"expected a day on or after {first}")
        return None
    return AwayPeriod(first, last)
