"""The review-SLA keys of team files (issue 15): read, checked with file:line, in the
JSON Schema, written back by export."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from config.team_parse import parse_files, parse_texts
from config.team_sla import TeamSla, WorkTime, format_duration
from config.team_spec import ConfigInvalid

CONFIG = Path(__file__).resolve().parents[2] / "config"

GOOD = """\
teams:
  - name: backend
    sla:
      first_response: 8h
      nudge: true
      escalate_after: 2d
    prefer_working_hours: true
    members:
      - id: alice
        timezone: Europe/Berlin
        hours: "09:00-17:30"
        days: mon-fri
      - {id: bob, hours: always}
      - {id: carol, hours: "22:00-06:00", days: "sun-thu"}
      - id: dave
"""


def test_the_keys_are_read() -> None:
    (team,) = parse_texts([(GOOD, "t.yaml")])
    assert team.sla == TeamSla(8 * 3600, True, 2 * 86400, True)
    alice, bob, carol, dave = team.members
    assert alice.work == WorkTime("Europe/Berlin", "09:00-17:30", "mon-fri")
    assert bob.work.schedule.always
    assert carol.work.schedule.end < carol.work.schedule.start  # spans midnight
    assert dave.work == WorkTime() and str(dave.work.schedule.zone) == "UTC"


def test_the_example_file_has_them() -> None:
    backend = {t.name: t for t in parse_files([CONFIG / "teams.example.yaml"])}["backend"]
    assert backend.sla.first_response == 8 * 3600 and backend.sla.prefer_working_hours
    assert backend.members[0].work.timezone == "Europe/Berlin"


@pytest.mark.parametrize(
    ("line", "text", "key", "fragment"),
    [
        (4, "      first_response: 8 hours", "teams[0].sla.first_response", "not a duration"),
        (4, "      first_response: 0h", "teams[0].sla.first_response", "not a duration"),
        (4, "      escalate_after: 3w", "teams[0].sla.escalate_after", "not a duration"),
        (4, "      nudge: yes please", "teams[0].sla.nudge", "true or false"),
        (4, "      later: 1h", "teams[0].sla.later", "unknown key"),
        (7, "        timezone: Mars/Olympus", "teams[0].members[0].timezone", "IANA"),
        (7, '        hours: "9-5"', "teams[0].members[0].hours", "HH:MM-HH:MM"),
        (7, '        hours: "09:00-09:00"', "teams[0].members[0].hours", "empty shift"),
        (7, '        hours: "25:00-26:00"', "teams[0].members[0].hours", "HH:MM-HH:MM"),
        (7, "        days: weekdays", "teams[0].members[0].days", "list of days"),
    ],
)
def test_problems_name_file_line_and_key(line: int, text: str, key: str, fragment: str) -> None:
    source = (
        "teams:\n  - name: t\n    sla:\n"
        + (text if line == 4 else "      first_response: 1h")
        + "\n    members:\n      - id: u\n"
        + (text if line == 7 else "        days: mon-fri")
        + "\n"
    )
    with pytest.raises(ConfigInvalid) as raised:
        parse_texts([(source, "s.yaml")])
    (issue,) = raised.value.issues
    assert (issue.file, issue.line, issue.key) == ("s.yaml", line, key)
    assert fragment in issue.message


def test_a_nudge_needs_a_first_response() -> None:
    source = "teams:\n  - name: t\n    sla: {nudge: true}\n    members: []\n"
    with pytest.raises(ConfigInvalid) as raised:
        parse_texts([(source, "n.yaml")])
    assert "needs first_response" in str(raised.value)


def test_the_schema_agrees() -> None:
    schema = json.loads((CONFIG / "teams.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid(yaml.safe_load(GOOD))
    for bad in (
        GOOD.replace("8h", "8 hours"),
        GOOD.replace('"09:00-17:30"', '"9-5"'),
        GOOD.replace("prefer_working_hours: true", "prefer_working_hours: 3"),
        GOOD.replace("nudge: true", "nudge: true\n      remind: 1h"),
    ):
        assert not validator.is_valid(yaml.safe_load(bad)), bad


def test_durations_print_back_in_the_largest_exact_unit() -> None:
    assert [format_duration(s) for s in (30, 900, 8 * 3600, 2 * 86400, 90 * 60, None)] == [
        "30s",
        "15m",
        "8h",
        "2d",
        "90m",
        None,
    ]
