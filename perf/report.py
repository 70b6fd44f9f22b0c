"""Results: ratios to the ceiling, the JSON file, a console table and a PNG chart."""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from perf.servers import ROOT

_REPORTED_ENV = {"WORKERS", "DB_POOL_SIZE", "REDIS_TIMEOUT", "PERF_DURATION"}


def machine(args: argparse.Namespace) -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "commit": commit,
        "settings": {k: str(v) for k, v in vars(args).items()},
        "environment": {k: v for k, v in os.environ.items() if k in _REPORTED_ENV},
    }


def _ceiling(results: dict[str, Any]) -> dict[str, float]:
    runs = [results["ceiling"][k]["classes"]["ceiling"] for k in ("before", "after")]
    rps = [r["rps"] for r in runs]
    return {
        "rps": round(sum(rps) / len(rps), 1),
        "p50_ms": round(sum(r["p50_ms"] for r in runs) / 2, 2),
        "p99_ms": round(sum(r["p99_ms"] for r in runs) / 2, 2),
        "drift": round(abs(rps[0] - rps[1]) / max(rps), 3) if max(rps) else 0.0,
    }


def add_ratios(results: dict[str, Any]) -> None:
    """Every class figure as a ratio to the ceiling: RPS share, latency multiple."""
    ceiling = results["ceiling"]["mean"] = _ceiling(results)
    for phase in results["phases"].values():
        for name, figures in [*phase["classes"].items(), *phase["endpoints"].items()]:
            figures["ratio"] = {
                "rps": round(figures["rps"] / ceiling["rps"], 3) if ceiling["rps"] else None,
                "p50": round(figures["p50_ms"] / ceiling["p50_ms"], 1)
                if ceiling["p50_ms"]
                else None,
                "p99": round(figures["p99_ms"] / ceiling["p99_ms"], 1)
                if ceiling["p99_ms"]
                else None,
            }
            del name


def write_json(results: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def _row(label: str, f: dict[str, Any], ceiling_rps: float) -> str:
    share = f"{f['rps'] / ceiling_rps:6.1%}" if ceiling_rps else "   n/a"
    return (
        f"{label:<26}{f['total']:>8}{f['errors']:>7}{f['conflicts_409']:>6}{f['rps']:>9.1f}"
        f"{share:>8}{f['p50_ms']:>8.1f}{f['p95_ms']:>8.1f}{f['p99_ms']:>8.1f}{f['max_ms']:>8.1f}"
    )


def table(results: dict[str, Any]) -> str:
    ceiling = results["ceiling"]["mean"]
    head = (
        f"{'phase / class':<26}{'total':>8}{'errors':>7}{'409':>6}{'RPS':>9}{'/ceil':>8}"
        f"{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}   (ms)"
    )
    lines = [head, "-" * len(head)]
    for key in ("before", "after"):
        lines.append(_row(f"ceiling ({key})", results["ceiling"][key]["classes"]["ceiling"], 0))
    for name, phase in results["phases"].items():
        for cls, figures in phase["classes"].items():
            lines.append(_row(f"{name} / {cls}", figures, ceiling["rps"]))
        for endpoint, figures in phase["endpoints"].items():
            lines.append(_row(f"  {endpoint}", figures, ceiling["rps"]))
    lines.append("")
    lines.append(f"ceiling drift between before and after: {ceiling['drift']:.1%}")
    for name, phase in [*results["phases"].items(), ("ceiling", results["ceiling"]["before"])]:
        note = "  <- generator may be the bottleneck" if phase["generator_may_limit"] else ""
        lines.append(
            f"{name:>8}: generator cpu {phase['generator_cpu']:.0%} of a core, server cores "
            f"{phase['server_cpu_cores']}, worker RSS MB {phase['worker_rss_mb']}{note}"
        )
        lines.append(f"{'':>8}  server cpu ms per request {phase['server_cpu_ms_per_request']}")
    lines.extend(_extras(results))
    for log in results.get("server_logs", []):
        lines.append(f" server log with errors kept: {log}")
    return "\n".join(lines)


def _extras(results: dict[str, Any]) -> list[str]:
    lines = []
    for key in ("webhook_single", "webhook"):
        hook = results.get(key, {})
        if not hook.get("available"):
            lines.append(" webhook: not available (POST /webhooks/github is not served)")
            break
        ack, post = hook["acknowledgement"], hook["delivery_to_postback"]
        lines.append(
            f" webhook ({hook['senders']} senders): ack p50 {ack['p50_ms']} ms "
            f"p99 {ack['p99_ms']} ms ({ack['total']} sent, {ack['errors']} errors); "
            f"delivery->post-back p50 {post['p50_ms']} ms p99 {post['p99_ms']} ms "
            f"({post['errors']} missing)"
        )
    bulk = results.get("deactivation", {})
    if bulk.get("available"):
        lines.append(
            f"   deactivation: median {bulk['median_ms']} ms, max {bulk['max_ms']} ms over "
            f"{len(bulk['rounds'])} rounds ({bulk['deactivated']} of {bulk['team_size']})"
        )
    else:
        lines.append("   deactivation: not available (POST /team/deactivate is not served)")
    return lines


# The targets of issue 18 (perf/targets.py judges them), drawn on the charts: the shares
# and p99s are those of the mixed phase, the ack p99 that of the webhook flood.
SHARE_TARGETS = {"read": 0.15, "write": 0.08}  # RPS as a share of the ceiling, at least
P99_TARGETS_MS = {"read": 100.0, "write": 100.0, "webhook ack": 50.0}  # at most
COLORS = {"read": "#4c72b0", "write": "#dd8452", "ceiling": "#7f7f7f"}


@dataclass(frozen=True)
class Series:
    """One line of the throughput chart: a class during one phase."""

    cls: str
    phase: str
    xs: list[int]
    shares: list[float]  # requests per second / the mean ceiling RPS
    label: str | None  # None: the class already has its legend entry


def throughput_series(results: dict[str, Any]) -> tuple[list[Series], list[tuple[int, str]]]:
    """Every phase's per-second throughput as a share of the ceiling, phases one after
    another; each class is labelled once. Also where each phase starts, for its caption."""
    ceiling_rps = results["ceiling"]["mean"]["rps"] or 1.0
    phases = [("ceiling", results["ceiling"]["before"]["classes"])]
    phases += [(name, phase["classes"]) for name, phase in results["phases"].items()]
    phases.append(("ceiling again", results["ceiling"]["after"]["classes"]))
    series, starts, labelled, offset = [], [], set(), 0
    for phase, classes in phases:
        starts.append((offset, phase))
        length = 0
        for cls, figures in classes.items():
            per_second = figures["per_second"]
            length = max(length, len(per_second))
            label = None if cls in labelled else cls
            labelled.add(cls)
            xs = list(range(offset, offset + len(per_second)))
            shares = [n / ceiling_rps for n in per_second]
            series.append(Series(cls, phase, xs, shares, label))
        offset += length + 2
    return series, starts


def write_chart(results: dict[str, Any], path: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # the perf extra is not installed: JSON and table only
        return None
    fig, (lat, thr) = plt.subplots(2, 1, figsize=(11, 9))
    _latency_bars(lat, results)
    _throughput(thr, results)
    fig.suptitle(f"reviewbot perf, {results['meta']['date']}, {results['meta']['cpu']}")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _latency_bars(ax: Any, results: dict[str, Any]) -> None:
    rows = [("ceiling", results["ceiling"]["before"]["classes"]["ceiling"])]
    for name, phase in results["phases"].items():
        rows.extend((f"{name}: {ep}", f) for ep, f in phase["endpoints"].items())
    for key in ("webhook_single", "webhook"):
        hook = results.get(key, {})
        if hook.get("available"):
            rows.append((f"webhook x{hook['senders']}: ack", hook["acknowledgement"]))
    width = 0.27
    for i, (pct, color) in enumerate((("p50", "#4c72b0"), ("p95", "#dd8452"), ("p99", "#c44e52"))):
        xs = [x + (i - 1) * width for x in range(len(rows))]
        ax.bar(xs, [max(f[f"{pct}_ms"], 0.01) for _, f in rows], width, label=pct, color=color)
    for (name, limit), style in zip(P99_TARGETS_MS.items(), ("--", ":", "-."), strict=True):
        ax.axhline(limit, color="#333333", linestyle=style, linewidth=1,
                   label=f"target: {name} p99 <= {limit:g} ms")  # fmt: skip
    ax.set_xticks(
        range(len(rows)), [label for label, _ in rows], fontsize=8, rotation=30, ha="right"
    )
    ax.set_yscale("log")
    ax.set_ylabel("latency, ms (log)")
    ax.set_title("latency percentiles per endpoint, with the p99 targets")
    ax.legend(fontsize=7)


def _throughput(ax: Any, results: dict[str, Any]) -> None:
    series, starts = throughput_series(results)
    for line in series:
        percent = [100 * share for share in line.shares]
        ax.plot(line.xs, percent, color=COLORS.get(line.cls), label=line.label or "_nolegend_")
    for cls, share in SHARE_TARGETS.items():
        ax.axhline(100 * share, color=COLORS[cls], linestyle="--", linewidth=1,
                   label=f"target: {cls}s >= {share:.0%} of ceiling")  # fmt: skip
    for x, phase in starts:
        ax.axvline(x, color="#cccccc", linewidth=0.8)
        ax.annotate(phase, (x, 1.0), xycoords=("data", "axes fraction"), fontsize=7,
                    xytext=(2, -10), textcoords="offset points")  # fmt: skip
    peak = max((100 * x for line in series for x in line.shares), default=100.0)
    ax.set_ylim(0, max(110.0, peak * 1.05))  # one linear scale from 0: 100 % is the ceiling
    ax.set_xlabel("seconds (phases one after another)")
    ax.set_ylabel("requests / s, % of the ceiling")
    ax.set_title("throughput of each phase as a share of the ceiling, with the targets")
    ax.legend(fontsize=7, ncol=3, loc="center right")


# The published reference implementation: 20 teams x 200 users x 50 PRs/team, 60 readers +
# 60 writers for 120 s, with Redis caching (figures quoted in the performance issue).
REFERENCE = {
    "read": {"rps": 92.6, "p50_ms": 571, "p99_ms": 1403},
    "write": {"rps": 201.7, "p50_ms": 904, "p99_ms": 1673},
}


def _cell(figures: dict[str, Any] | None, ceiling_rps: float) -> tuple[str, str]:
    if not figures:
        return "—", "—"
    share = f" ({figures['rps'] / ceiling_rps:.1%} of ceiling)" if ceiling_rps else ""
    return f"{figures['rps']:,.0f}{share}", f"{figures['p50_ms']:,.1f} / {figures['p99_ms']:,.1f}"


def readme_table(results: dict[str, Any]) -> str:
    """The README performance table, from this run, beside the reference figures."""
    meta, ceiling = results["meta"], results["ceiling"]["mean"]
    phases = results["phases"]
    columns = [("mixed", "60 readers + 60 writers"), ("read", "readers alone"),
               ("write", "writers alone")]  # fmt: skip
    shown = [(key, title) for key, title in columns if key in phases]
    head = "| | reference (published) | " + " | ".join(t for _, t in shown) + " |"
    lines = [head, "|---" * (2 + len(shown)) + "|"]
    for cls, label in (("read", "reads"), ("write", "writes")):
        ref = REFERENCE[cls]
        cells = [_cell(phases[key]["classes"].get(cls), ceiling["rps"]) for key, _ in shown]
        lines.append(f"| {label}: RPS | {ref['rps']} | " + " | ".join(c[0] for c in cells) + " |")
        lines.append(
            f"| {label}: p50 / p99 ms | {ref['p50_ms']:,} / {ref['p99_ms']:,} | "
            + " | ".join(c[1] for c in cells)
            + " |"
        )
    errors = [str(sum(c["errors"] for c in phases[key]["classes"].values())) for key, _ in shown]
    lines.append("| errors | — | " + " | ".join(errors) + " |")
    lines.append("")
    lines.append(
        f"Measured {meta['date']} on {meta['cores']} cores ({meta['cpu']}, shared with other "
        f"work; load average at start {meta['load_average_at_start']}), commit {meta['commit']}, "
        f"{meta['settings']['duration']} s per phase, WORKERS={meta['settings']['workers']}. "
        f"Ceiling (bare Starlette, same server settings, same generator): "
        f"{ceiling['rps']:,.0f} RPS, p50 {ceiling['p50_ms']} ms, p99 {ceiling['p99_ms']} ms "
        f"(drift {ceiling['drift']:.0%} between start and end)."
    )
    return "\n".join(lines)
