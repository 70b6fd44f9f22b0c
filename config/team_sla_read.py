"""Reading the review-SLA keys of a team file (the format: ``config.team_sla``)."""

from __future__ import annotations

import yaml

from bot.core.working_time import parse_days, parse_duration, parse_hours, parse_zone
from config.team_sla import TeamSla, WorkTime
from config.yaml_reader import Reader

TEAM_KEYS = ("sla", "prefer_working_hours")
MEMBER_KEYS = ("timezone", "hours", "days")
_SLA_KEYS = ("first_response", "nudge", "escalate_after")


def read_team_sla(
    reader: Reader, entries: dict[str, tuple[yaml.Node, yaml.Node]], key: str
) -> TeamSla:
    """The team's ``sla:`` and ``prefer_working_hours:`` (problems go to ``reader``)."""
    first = escalate = None
    nudge = prefer = False
    if "sla" in entries:
        sla_key = f"{key}.sla"
        found = reader.mapping(entries["sla"][1], sla_key, _SLA_KEYS) or {}
        if "first_response" in found:
            first = _duration(reader, found["first_response"][1], f"{sla_key}.first_response")
        if "escalate_after" in found:
            escalate = _duration(reader, found["escalate_after"][1], f"{sla_key}.escalate_after")
        if "nudge" in found:
            nudge = bool(
                reader.scalar(found["nudge"][1], f"{sla_key}.nudge", "bool", "true or false")
            )
            if nudge and "first_response" not in found:
                reader.issue(found["nudge"][1], f"{sla_key}.nudge", "a nudge needs first_response")
    if "prefer_working_hours" in entries:
        node = entries["prefer_working_hours"][1]
        value = reader.scalar(node, f"{key}.prefer_working_hours", "bool", "true or false")
        prefer = bool(value)
    return TeamSla(first, nudge, escalate, prefer)


def _duration(reader: Reader, node: yaml.Node, key: str) -> int | None:
    text = reader.scalar(node, key, "str", "a duration: a number and s, m, h or d, like 8h")
    if text is None:
        return None
    try:
        return parse_duration(text)
    except ValueError as exc:
        reader.issue(node, key, str(exc))
        return None


def read_work_time(reader: Reader, values: dict[str, yaml.Node], key: str) -> WorkTime:
    """A member's ``timezone:``, ``hours:``, ``days:``; each checked like the scheduler reads it."""
    checks = {"timezone": parse_zone, "hours": parse_hours, "days": parse_days}
    read: dict[str, str | None] = {}
    for name, check in checks.items():
        read[name] = None
        if name not in values:
            continue
        text = reader.scalar(values[name], f"{key}.{name}", "str", f"a {name} text (quote it)")
        if text is None:
            continue
        try:
            check(text)
        except ValueError as exc:
            reader.issue(values[name], f"{key}.{name}", str(exc))
            continue
        read[name] = text.strip()
    return WorkTime(read["timezone"], read["hours"], read["days"])
