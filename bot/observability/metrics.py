"""Prometheus metrics of the process, served at ``/metrics``.

Counters live in the default registry, defined once per process. Values owned by one
app's resources (cache hit counts, the database pool) are read at scrape time by
``ResourceCollector`` instead of being pushed on the hot path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

REQUESTS = Counter(
    "reviewbot_http_requests_total",
    "HTTP requests answered, by route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "reviewbot_http_request_duration_seconds",
    "Time from request start to the end of the response, by route template and status.",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)

STORE_UNAVAILABLE = Counter(
    "reviewbot_store_unavailable_total",
    "Requests answered 503 because PostgreSQL could not be reached.",
)

# Webhooks in (by outcome) and post-backs out (by result). Outbox depth is read from the
# database when /metrics is scraped, so every instance reports the same, true number.
WEBHOOK_DELIVERIES = Counter(
    "reviewbot_webhook_deliveries_total",
    "Webhook deliveries received, by host and outcome (applied, duplicate, ignored, pong, "
    "or the error code of a refused delivery).",
    ["host", "outcome"],
)
POSTBACKS = Counter(
    "reviewbot_postbacks_total",
    "Post-back calls to code hosts, by host and result "
    "(sent, retry, rate_limited, invalid_reviewer, failed).",
    ["host", "result"],
)
OUTBOX_FAILURES = Counter(
    "reviewbot_outbox_failures_total",
    "Post-backs given up on (now listed at GET /outbox/failed), by host.",
    ["host"],
)
# Review follow-through (issue 15): what the schedulers of this process did.
REVIEW_FOLLOW_UPS = Counter(
    "reviewbot_review_follow_ups_total",
    "Review requests followed up by this process's scheduler, by action (late: the "
    "first-response target passed; nudged: a reminder comment queued; escalated: the "
    "silent reviewer replaced; unescalated: nobody else was available).",
    ["action"],
)
HOST_CIRCUIT = Gauge(
    "reviewbot_host_circuit_open",
    "1 while this worker holds a host's post-backs back because the host is failing",
    ["host"],
)
OUTBOX_DEPTH = Gauge(
    "reviewbot_outbox_depth",
    "Post-backs in the outbox by state: pending (waiting to be sent) and failed.",
    ["state"],
)

UNMATCHED_ROUTE = "<unmatched>"

_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one request; label children are cached, so this is two dict lookups and adds."""
    key = (method, route, status)
    found = _children.get(key)
    if found is None:
        labels = (method, route, str(status))
        found = _children[key] = (REQUESTS.labels(*labels), LATENCY.labels(*labels))
    found[0].inc()
    found[1].observe(seconds)


@dataclass(frozen=True, slots=True)
class PoolUse:
    size: int
    idle: int
    max_size: int


class ResourceCollector(Collector):
    """Cache hits/misses and database pool use of one running app, read when scraped."""

    def __init__(self, cache_counts: Callable[[], tuple[int, int]], pool: Callable[[], PoolUse]):
        self._cache_counts = cache_counts
        self._pool = pool

    def collect(self) -> Iterator[Metric]:
        hits, misses = self._cache_counts()
        yield CounterMetricFamily("reviewbot_cache_hits", "Team cache hits.", value=hits)
        yield CounterMetricFamily("reviewbot_cache_misses", "Team cache misses.", value=misses)
        pool = self._pool()
        yield GaugeMetricFamily(
            "reviewbot_db_pool_connections", "Open database connections.", value=pool.size
        )
        yield GaugeMetricFamily(
            "reviewbot_db_pool_in_use",
            "Database connections checked out.",
            value=pool.size - pool.idle,
        )
        yield GaugeMetricFamily(
            "reviewbot_db_pool_max", "Most database connections allowed.", value=pool.max_size
        )
