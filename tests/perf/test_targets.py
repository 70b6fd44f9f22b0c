"""The issue-18 table of ``make perf``: every figure from the run itself, judged against its
target, "not measured" (neither met nor missed) when the run has no such figure."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from perf import targets


def _class(rps: float, p99: float, errors: int = 0) -> dict[str, Any]:
    return {"rps": rps, "p50_ms": p99 / 3, "p99_ms": p99, "errors": errors}


def _phase(classes: dict[str, Any], cpu: dict[str, float], rss: list[float]) -> dict[str, Any]:
    return {
        "classes": classes,
        "endpoints": {},
        "server_cpu_ms_per_request": cpu,
        "worker_rss_mb": rss,
    }


def _ceiling(rps: float, cpu: float) -> dict[str, Any]:
    return _phase({"ceiling": _class(rps, 8.0)}, {"app": cpu}, [60.0])


@pytest.fixture
def canned() -> dict[str, Any]:
    """A run: ceiling 10,000 RPS at 0.05 ms of app CPU per request."""
    results: dict[str, Any] = {
        "ceiling": {"before": _ceiling(9_000, 0.04), "after": _ceiling(11_000, 0.06)},
        "phases": {
            "read": _phase({"read": _class(2_000, 40)}, {"app": 0.09, "postgres": 0.02}, [90]),
            "write": _phase({"write": _class(900, 80)}, {"app": 0.35, "postgres": 0.25}, [95]),
            "mixed": _phase(
                {"read": _class(1_600, 90), "write": _class(700, 120, errors=2)},
                {"app": 0.2, "postgres": 0.2},
                [97.5, 151.0],
            ),
        },
        "webhook_single": {
            "available": True,
            "senders": 1,
            "acknowledgement": {"p99_ms": 9.0, "errors": 0},
            "delivery_to_postback": {"p50_ms": 8.0, "errors": 0},
        },
        "webhook": {
            "available": True,
            "senders": 20,
            "acknowledgement": {"p99_ms": 45.0, "errors": 0},
            "delivery_to_postback": {"p50_ms": 250.0, "errors": 0},
        },
        "deactivation": {
            "available": True,
            "deactivated": 100,
            "team_size": 200,
            "median_ms": 24.0,
            "rounds": [{"status": 200}, {"status": 200}, {"status": 500}],
        },
        "round_trips_per_write": {},
    }
    results["ceiling"]["mean"] = {"rps": 10_000.0}
    return results


def _by_name(results: dict[str, Any]) -> dict[str, targets.Figure]:
    return {f.name.split(" (")[0].split(",")[0]: f for f in targets.figures(results)}


def test_each_figure_is_judged_against_its_target(canned: dict[str, Any]) -> None:
    found = _by_name(canned)
    read = found["app CPU per read / ceiling's per request"]
    assert read.measured == 1.8 and read.met is True  # 0.09 / mean(0.04, 0.06)
    assert found["app CPU per write"].met is False  # 0.35 > 0.3
    assert found["PostgreSQL CPU per write"].met is True  # 0.25 <= 0.3
    shares = found["mixed phase: reads"]
    assert shares.measured == {"read": 0.16, "write": 0.07} and shares.met is False
    assert found["mixed phase p99"].measured == {"read": 90, "write": 120}
    assert found["mixed phase p99"].met is False
    flood = next(f for f in targets.figures(canned) if f.name.startswith("webhook flood"))
    assert "20 senders" in flood.name and flood.met is False  # post-back p50 250 > 100
    bulk = next(f for f in targets.figures(canned) if f.name.startswith("bulk deactivation"))
    assert bulk.value == "24.0 ms" and bulk.met is True
    errors = found["errors"]
    assert errors.measured == {
        "read": 0,
        "write": 0,
        "mixed": 2,
        "webhook_single": 0,
        "webhook": 0,
        "deactivation": 1,
    }
    assert errors.met is False
    assert found["RSS per worker"].measured == 151.0 and found["RSS per worker"].met is False


def test_a_clean_run_meets_what_it_measures(canned: dict[str, Any]) -> None:
    clean = copy.deepcopy(canned)
    clean["phases"]["mixed"]["classes"]["write"] = _class(900, 95)
    clean["phases"]["mixed"]["worker_rss_mb"] = [99.0]
    clean["deactivation"]["rounds"] = [{"status": 200}]
    found = _by_name(clean)
    assert found["errors"].met is True and found["errors"].value.endswith("deactivation 0")
    assert found["mixed phase: reads"].met is True
    assert found["mixed phase p99"].met is True
    assert found["RSS per worker"].met is True


def test_round_trips_are_not_measured_until_the_hook_answers(canned: dict[str, Any]) -> None:
    row = _by_name(canned)["PostgreSQL round trips per create / reassign / merge / setIsActive"]
    assert row.value == targets.NOT_MEASURED and row.met is None and row.verdict == "—"
    canned["round_trips_per_write"] = {"create": 1, "reassign": 1, "merge": 1, "setIsActive": 2}
    row = _by_name(canned)["PostgreSQL round trips per create / reassign / merge / setIsActive"]
    assert row.value == "1 / 1 / 1 / 2" and row.met is False
    canned["round_trips_per_write"] = {"create": 1, "reassign": 1, "merge": 1}
    row = _by_name(canned)["PostgreSQL round trips per create / reassign / merge / setIsActive"]
    assert row.value == "1 / 1 / 1 / ?" and row.met is False  # a kind left out is not met


def test_phases_that_did_not_run_are_not_measured(canned: dict[str, Any]) -> None:
    del canned["phases"]["write"], canned["phases"]["mixed"]
    canned["webhook"] = {"available": False}
    canned["deactivation"] = {"available": False}
    found = _by_name(canned)
    for name in ("app CPU per write", "PostgreSQL CPU per write", "mixed phase: reads",
                 "mixed phase p99", "webhook flood: ack p99; delivery → post-back p50",
                 "bulk deactivation"):  # fmt: skip
        assert found[name].value == targets.NOT_MEASURED and found[name].met is None, name
    assert found["app CPU per read / ceiling's per request"].met is True


def test_the_table_and_the_json_carry_target_and_verdict(canned: dict[str, Any]) -> None:
    found = targets.figures(canned)
    lines = targets.table(found).splitlines()
    assert lines[0] == "| figure | this run | target | met? |"
    assert len(lines) == 2 + len(targets.FIGURES)
    read_row = next(line for line in lines if line.startswith("| app CPU per read"))
    assert read_row == (
        "| app CPU per read / ceiling's per request | 1.8x (0.090 / 0.050 ms) | ≤ 2x | met |"
    )
    assert any(line.endswith("| ≤ 0.3 ms | missed |") for line in lines)
    assert any(f"| {targets.NOT_MEASURED} | 1 each | — |" in line for line in lines)
    rows = json.loads(json.dumps(targets.as_json(found)))  # what the results file holds
    assert [r["verdict"] for r in rows].count("met") == sum(f.met is True for f in found)
    assert {"name", "value", "target", "met", "measured", "verdict"} <= rows[0].keys()


def test_the_ceiling_cpu_is_the_mean_of_its_two_runs(canned: dict[str, Any]) -> None:
    assert targets.ceiling_cpu_ms(canned) == pytest.approx(0.05)
    del canned["ceiling"]["after"]["server_cpu_ms_per_request"]
    assert targets.ceiling_cpu_ms(canned) == pytest.approx(0.04)
