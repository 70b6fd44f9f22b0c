"""One code host's health, tracked once for all its post-backs: a circuit breaker. Pure.

    CLOSED    the host answers: every due row goes out
    OPEN      the host failed ``threshold`` times in a row (5xx, timeouts, refused
              connections) or asked us to wait (rate limit): nothing goes out until
              ``probe_at``, then one probe
    PROBING   one probe is in flight; nothing else goes out until it is answered (or,
              should its answer never come, until ``probe_at`` again)

Any answer from the host (sent, a refused reviewer, a permanent 4xx) closes the circuit
and says ``release``: the rows that backed off while the host was down are due again at
once. A failed probe reopens it with the next, longer probe interval (``probe_base``
doubling up to ``probe_max``), so the host is back in use at most ``probe_max`` seconds
after it recovers, and is asked once per interval while it is down instead of by every row.

``bot.services.outbox.OutboxWorker`` keeps one ``Circuit`` per host and asks ``admit``
before claiming; it reports each answer with ``observe``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum


class State(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    PROBING = "probing"


class Health(StrEnum):
    """What one answer says about the host (not about the row)."""

    UP = "up"  # it answered: sent, refused a reviewer, refused the request for good
    DOWN = "down"  # 5xx, timeout, connection refused, a crashed call
    LIMITED = "limited"  # rate limited: wait as long as it says


class Admission(StrEnum):
    ALL = "all"  # claim every due row of the host
    PROBE = "probe"  # claim one PR's rows, to learn whether the host is back
    NONE = "none"  # claim nothing of the host


@dataclass(frozen=True)
class CircuitPolicy:
    threshold: int = 3  # consecutive failures that open the circuit (a lone 502 does not)
    probe_base: float = 0.5  # seconds before the first probe
    probe_max: float = 1.0  # the longest wait between probes (bounds the drain delay)
    probe_timeout: float = 60.0  # a probe never answered frees the slot after this


@dataclass(frozen=True, slots=True)
class Circuit:
    state: State = State.CLOSED
    failures: int = 0  # consecutive DOWN answers
    probe_at: datetime | None = None  # OPEN: when to probe; PROBING: when to give up on it
    probes: int = 0  # failed probes in a row (the next interval doubles with each)


@dataclass(frozen=True, slots=True)
class Observed:
    circuit: Circuit
    release: bool = False  # the host is back: rows waiting on it are due now


def admit(circuit: Circuit, now: datetime) -> Admission:
    if circuit.state is State.CLOSED:
        return Admission.ALL
    if circuit.probe_at is not None and now >= circuit.probe_at:
        return Admission.PROBE
    return Admission.NONE


def probing(circuit: Circuit, now: datetime, policy: CircuitPolicy) -> Circuit:
    """A probe was sent at ``now``."""
    return replace(
        circuit, state=State.PROBING, probe_at=now + timedelta(seconds=policy.probe_timeout)
    )


def nothing_to_probe(circuit: Circuit, now: datetime, policy: CircuitPolicy) -> Circuit:
    """A probe was due but the host has no row waiting: look again in ``probe_max``."""
    return replace(circuit, probe_at=now + timedelta(seconds=policy.probe_max))


def observe(
    circuit: Circuit, health: Health, now: datetime, policy: CircuitPolicy, wait: float = 0.0
) -> Observed:
    """The circuit after one answer of the host (``wait``: seconds a rate limit asks for)."""
    if health is Health.UP:
        return Observed(Circuit(), release=circuit.state is not State.CLOSED)
    if health is Health.LIMITED:
        until = now + timedelta(seconds=max(wait, 0.0))
        if circuit.state is State.OPEN and circuit.probe_at and circuit.probe_at >= until:
            return Observed(circuit)
        return Observed(Circuit(State.OPEN, circuit.failures, until, circuit.probes))
    failures = circuit.failures + 1
    if circuit.state is State.CLOSED and failures < policy.threshold:
        return Observed(replace(circuit, failures=failures))
    if circuit.state is State.OPEN:  # answers of rows sent before it opened
        return Observed(replace(circuit, failures=failures))
    probes = circuit.probes + 1 if circuit.state is State.PROBING else 0
    delay = min(policy.probe_max, policy.probe_base * 2.0**probes)
    return Observed(Circuit(State.OPEN, failures, now + timedelta(seconds=delay), probes))
