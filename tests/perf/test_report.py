"""The perf charts: throughput as a share of the ceiling, targets as lines, one legend entry
per thing (issue 12, point 7)."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from perf import report

RESULTS = sorted((Path(report.ROOT) / "perf" / "results").glob("*.json"))[-1]


@pytest.fixture
def results() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(RESULTS.read_text())
    report.add_ratios(data)
    return data


def test_throughput_is_a_share_of_the_ceiling_and_each_class_is_labelled_once(
    results: dict[str, Any],
) -> None:
    series, starts = report.throughput_series(results)
    ceiling = results["ceiling"]["mean"]["rps"]
    for line in series:
        classes = (
            results["ceiling"]["before" if line.phase == "ceiling" else "after"]["classes"]
            if line.phase.startswith("ceiling")
            else results["phases"][line.phase]["classes"]
        )
        expected = [n / ceiling for n in classes[line.cls]["per_second"]]
        assert line.shares == pytest.approx(expected)
    labels = [line.label for line in series if line.label]
    assert sorted(labels) == sorted({line.cls for line in series})
    first_ceiling = next(line for line in series if line.phase == "ceiling")
    assert 0.5 < sum(first_ceiling.shares) / len(first_ceiling.shares) < 1.5
    assert starts[0][1] == "ceiling"
    assert len(starts) == len(results["phases"]) + 2


def test_the_chart_draws_targets_once_each_on_one_linear_scale(
    results: dict[str, Any], tmp_path: Path
) -> None:
    written = report.write_chart(results, tmp_path / "chart.png")
    if importlib.util.find_spec("matplotlib") is None:
        assert written is None  # without the perf extra: JSON and table only
        return
    assert written is not None and written.stat().st_size > 0
    import matplotlib.pyplot as plt

    captured: dict[str, Any] = {}
    real_close = plt.close
    plt.close = lambda fig: captured.setdefault("fig", fig)  # type: ignore[assignment]
    try:
        report.write_chart(results, tmp_path / "again.png")
    finally:
        plt.close = real_close
    lat, thr = captured["fig"].axes
    for ax in (lat, thr):
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert Counter(labels).most_common(1)[0][1] == 1, labels
    assert thr.get_yscale() == "linear" and thr.get_ylim()[0] == 0 and thr.get_ylim()[1] >= 110
    thr_labels = [t.get_text() for t in thr.get_legend().get_texts()]
    assert "target: reads >= 15% of ceiling" in thr_labels
    assert "target: writes >= 8% of ceiling" in thr_labels
    lat_labels = [t.get_text() for t in lat.get_legend().get_texts()]
    assert "target: read p99 <= 100 ms" in lat_labels
    assert "target: webhook ack p99 <= 50 ms" in lat_labels
    real_close(captured["fig"])
