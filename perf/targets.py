"""The figures of the speed issue (18), each beside its target, from one run's results.

Every figure is taken from the run itself, ratios to the ceiling measured in the same run
(never to a number from another day): a figure whose phase did not run, or whose hook
measures nothing yet, is "not measured" and neither met nor missed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from perf.round_trips import KINDS

NOT_MEASURED = "not measured"


@dataclass(frozen=True)
class Figure:
    name: str
    value: str  # as shown; NOT_MEASURED when the run has no such figure
    target: str
    met: bool | None  # None: not measured
    measured: Any = None  # the number(s) behind ``value``, for the JSON file

    @property
    def verdict(self) -> str:
        return "—" if self.met is None else ("met" if self.met else "missed")


def _absent(name: str, target: str) -> Figure:
    return Figure(name, NOT_MEASURED, target, None)


def _cpu(results: dict[str, Any], phase: str, role: str) -> float | None:
    found = results.get("phases", {}).get(phase, {}).get("server_cpu_ms_per_request", {})
    value = found.get(role)
    return float(value) if value is not None else None


def ceiling_cpu_ms(results: dict[str, Any]) -> float | None:
    """The ceiling's app CPU per request, mean of its two runs."""
    runs = [results.get("ceiling", {}).get(k, {}) for k in ("before", "after")]
    values = [r["server_cpu_ms_per_request"]["app"] for r in runs
              if r.get("server_cpu_ms_per_request")]  # fmt: skip
    return sum(values) / len(values) if values else None


def _ceiling_rps(results: dict[str, Any]) -> float:
    mean = results.get("ceiling", {}).get("mean", {})
    return float(mean.get("rps") or 0.0)


def read_cpu_multiple(results: dict[str, Any]) -> Figure:
    name, target = "app CPU per read / ceiling's per request", "≤ 2x"
    read, ceiling = _cpu(results, "read", "app"), ceiling_cpu_ms(results)
    if read is None or not ceiling:
        return _absent(name, target)
    multiple = read / ceiling
    shown = f"{multiple:.1f}x ({read:.3f} / {ceiling:.3f} ms)"
    return Figure(name, shown, target, multiple <= 2.0, round(multiple, 2))


def _cpu_at_most(name: str, phase: str, role: str, limit_ms: float) -> Callable[..., Figure]:
    def figure(results: dict[str, Any]) -> Figure:
        target = f"≤ {limit_ms:g} ms"
        value = _cpu(results, phase, role)
        if value is None:
            return _absent(name, target)
        return Figure(name, f"{value:.3f} ms", target, value <= limit_ms, value)

    return figure


def round_trips(results: dict[str, Any]) -> Figure:
    name, target = "PostgreSQL round trips per create / reassign / merge / setIsActive", "1 each"
    found: dict[str, float] = results.get("round_trips_per_write") or {}
    if not found:
        return _absent(name, target)
    shown = " / ".join(f"{found[k]:g}" if k in found else "?" for k in KINDS)
    met = all(k in found and found[k] <= 1 for k in KINDS)
    return Figure(name, shown, target, met, found)


def _mixed(results: dict[str, Any]) -> dict[str, Any] | None:
    classes = results.get("phases", {}).get("mixed", {}).get("classes")
    return classes if classes and "read" in classes and "write" in classes else None


def mixed_shares(results: dict[str, Any]) -> Figure:
    name, target = "mixed phase: reads, writes, share of ceiling", "≥ 15 %, ≥ 8 %"
    classes, ceiling = _mixed(results), _ceiling_rps(results)
    if classes is None or not ceiling:
        return _absent(name, target)
    reads, writes = classes["read"]["rps"] / ceiling, classes["write"]["rps"] / ceiling
    shown = f"{reads:.1%}, {writes:.1%}"
    met = reads >= 0.15 and writes >= 0.08
    return Figure(name, shown, target, met, {"read": round(reads, 4), "write": round(writes, 4)})


def mixed_p99(results: dict[str, Any]) -> Figure:
    name, target = "mixed phase p99, reads and writes", "≤ 100 ms both"
    classes = _mixed(results)
    if classes is None:
        return _absent(name, target)
    reads, writes = classes["read"]["p99_ms"], classes["write"]["p99_ms"]
    shown = f"{reads:,.1f} / {writes:,.1f} ms"
    met = reads <= 100 and writes <= 100
    return Figure(name, shown, target, met, {"read": reads, "write": writes})


def webhook_flood(results: dict[str, Any]) -> Figure:
    name = "webhook flood: ack p99; delivery → post-back p50"
    target = "≤ 50 ms; ≤ 100 ms"
    hook = results.get("webhook", {})
    if not hook.get("available"):
        return _absent(name, target)
    name = f"webhook flood ({hook['senders']} senders): ack p99; delivery → post-back p50"
    ack, post = hook["acknowledgement"]["p99_ms"], hook["delivery_to_postback"]["p50_ms"]
    shown = f"{ack:,.1f} ms; {post:,.1f} ms"
    met = ack <= 50 and post <= 100
    return Figure(name, shown, target, met, {"ack_p99_ms": ack, "postback_p50_ms": post})


def bulk_deactivation(results: dict[str, Any]) -> Figure:
    bulk = results.get("deactivation", {})
    name, target = "bulk deactivation, median", "≤ 25 ms"
    if not bulk.get("available") or bulk.get("median_ms") is None:
        return _absent(name, target)
    name = f"bulk deactivation, {bulk['deactivated']} of {bulk['team_size']} members, median"
    median = bulk["median_ms"]
    return Figure(name, f"{median:,.1f} ms", target, median <= 25, median)


def errors_per_phase(results: dict[str, Any]) -> dict[str, int]:
    """Errors of every phase that ran: load phases, webhooks, deactivation rounds."""
    errors = {
        name: sum(c["errors"] for c in phase["classes"].values())
        for name, phase in results.get("phases", {}).items()
    }
    for key in ("webhook_single", "webhook"):
        hook = results.get(key, {})
        if hook.get("available"):
            errors[key] = hook["acknowledgement"]["errors"] + hook["delivery_to_postback"]["errors"]
    bulk = results.get("deactivation", {})
    if bulk.get("available"):
        errors["deactivation"] = sum(1 for r in bulk["rounds"] if r.get("status") != 200)
    return errors


def zero_errors(results: dict[str, Any]) -> Figure:
    name, target = "errors, every phase", "0"
    errors = errors_per_phase(results)
    if not errors:
        return _absent(name, target)
    shown = ", ".join(f"{phase} {n}" for phase, n in errors.items())
    return Figure(name, shown, target, not any(errors.values()), errors)


def worker_rss(results: dict[str, Any]) -> Figure:
    name, target = "RSS per worker (peak)", "≤ 150 MB"
    peaks = [mb for p in results.get("phases", {}).values() for mb in p.get("worker_rss_mb", [])]
    if not peaks:
        return _absent(name, target)
    peak = max(peaks)
    return Figure(name, f"{peak:.1f} MB", target, peak <= 150, peak)


FIGURES: tuple[Callable[[dict[str, Any]], Figure], ...] = (
    read_cpu_multiple,
    _cpu_at_most("app CPU per write", "write", "app", 0.3),
    round_trips,
    _cpu_at_most("PostgreSQL CPU per write", "write", "postgres", 0.3),
    mixed_shares,
    mixed_p99,
    webhook_flood,
    bulk_deactivation,
    zero_errors,
    worker_rss,
)


def figures(results: dict[str, Any]) -> list[Figure]:
    return [figure(results) for figure in FIGURES]


def as_json(found: list[Figure]) -> list[dict[str, Any]]:
    return [{**asdict(f), "verdict": f.verdict} for f in found]


def table(found: list[Figure]) -> str:
    """Markdown: the issue's table for this run, with a verdict per row."""
    lines = ["| figure | this run | target | met? |", "|---|---|---|---|"]
    lines += [f"| {f.name} | {f.value} | {f.target} | {f.verdict} |" for f in found]
    return "\n".join(lines)
