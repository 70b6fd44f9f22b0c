"""Counting outcomes and latencies per endpoint, and summarising them."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

# Statuses a well-behaved client expects to see under this load: a reassign can race a
# merge or another reassign (409 PR_MERGED / NOT_ASSIGNED / NO_CANDIDATE).
EXPECTED_CONFLICT = 409


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass
class Endpoint:
    """Outcomes of one endpoint (or one class of endpoints) during one phase."""

    latencies: list[float] = field(default_factory=list)  # seconds, successful + 409s
    ok: int = 0
    conflicts: int = 0
    errors: int = 0
    error_samples: dict[str, int] = field(default_factory=dict)
    per_second: dict[int, int] = field(default_factory=dict)

    def record(self, status: int, latency: float, second: int, expected: tuple[int, ...]) -> None:
        if status in expected:
            self.ok += 1
        elif status == EXPECTED_CONFLICT:
            self.conflicts += 1
        else:
            self.error(f"HTTP {status}")
            return
        self.latencies.append(latency)
        self.per_second[second] = self.per_second.get(second, 0) + 1

    def error(self, reason: str) -> None:
        self.errors += 1
        self.error_samples[reason] = self.error_samples.get(reason, 0) + 1

    def merge(self, other: Endpoint) -> None:
        self.latencies.extend(other.latencies)
        self.ok += other.ok
        self.conflicts += other.conflicts
        self.errors += other.errors
        for reason, n in other.error_samples.items():
            self.error_samples[reason] = self.error_samples.get(reason, 0) + n
        for second, n in other.per_second.items():
            self.per_second[second] = self.per_second.get(second, 0) + n

    def summary(self, seconds: float) -> dict[str, Any]:
        values = sorted(self.latencies)
        total = self.ok + self.conflicts + self.errors
        return {
            "total": total,
            "ok": self.ok,
            "conflicts_409": self.conflicts,
            "errors": self.errors,
            "error_kinds": dict(sorted(self.error_samples.items(), key=lambda kv: -kv[1])[:5]),
            "rps": round((self.ok + self.conflicts) / seconds, 1) if seconds else 0.0,
            "p50_ms": round(percentile(values, 50) * 1000, 2),
            "p95_ms": round(percentile(values, 95) * 1000, 2),
            "p99_ms": round(percentile(values, 99) * 1000, 2),
            "max_ms": round(values[-1] * 1000, 2) if values else 0.0,
            "per_second": [self.per_second.get(s, 0) for s in range(math.ceil(seconds))],
        }


class Recorder:
    """Endpoints of one phase, grouped into classes (read, write, ...)."""

    def __init__(self, classes: dict[str, str]) -> None:
        self.classes = classes  # endpoint name -> class name
        self.endpoints: dict[str, Endpoint] = {name: Endpoint() for name in classes}

    def total_done(self) -> int:
        return sum(e.ok + e.conflicts + e.errors for e in self.endpoints.values())

    def total_errors(self) -> int:
        return sum(e.errors for e in self.endpoints.values())

    def summary(self, seconds: float) -> dict[str, Any]:
        by_class: dict[str, Endpoint] = {}
        for name, endpoint in self.endpoints.items():
            by_class.setdefault(self.classes[name], Endpoint()).merge(endpoint)
        return {
            "classes": {name: e.summary(seconds) for name, e in by_class.items()},
            "endpoints": {
                name: e.summary(seconds) for name, e in self.endpoints.items() if e.latencies
            },
        }
