"""The pure per-host circuit: when a host's post-backs go out, wait, or probe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.circuit import (
    Admission,
    Circuit,
    CircuitPolicy,
    Health,
    State,
    admit,
    nothing_to_probe,
    observe,
    probing,
)
from bot.core.postback import Verdict, health

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
POLICY = CircuitPolicy(threshold=3, probe_base=0.5, probe_max=2.0, probe_timeout=60.0)


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def failed(times: int, circuit: Circuit | None = None) -> Circuit:
    circuit = circuit or Circuit()
    for _ in range(times):
        circuit = observe(circuit, Health.DOWN, NOW, POLICY).circuit
    return circuit


def test_a_lone_failure_keeps_the_host_in_use() -> None:
    circuit = failed(POLICY.threshold - 1)
    assert circuit.state is State.CLOSED and admit(circuit, NOW) is Admission.ALL
    assert observe(circuit, Health.UP, NOW, POLICY) == observe(Circuit(), Health.UP, NOW, POLICY)


def test_consecutive_failures_open_it_until_the_first_probe() -> None:
    circuit = failed(POLICY.threshold)
    assert (circuit.state, circuit.probe_at) == (State.OPEN, at(0.5))
    assert admit(circuit, at(0.49)) is Admission.NONE
    assert admit(circuit, at(0.5)) is Admission.PROBE
    # Answers of rows already in flight when it opened do not push the probe back.
    assert failed(5, circuit).probe_at == at(0.5)


def test_one_probe_at_a_time_and_longer_waits_while_the_host_stays_down() -> None:
    circuit = failed(POLICY.threshold)
    waits = []
    for _ in range(5):
        assert circuit.probe_at is not None
        now = circuit.probe_at
        circuit = probing(circuit, now, POLICY)
        assert admit(circuit, now) is Admission.NONE  # the probe is in flight
        circuit = observe(circuit, Health.DOWN, now, POLICY).circuit
        assert circuit.probe_at is not None
        waits.append((circuit.probe_at - now).total_seconds())
    assert waits == [1.0, 2.0, 2.0, 2.0, 2.0]  # bounded by probe_max


def test_an_unanswered_probe_frees_the_slot_after_its_timeout() -> None:
    circuit = probing(failed(POLICY.threshold), at(1), POLICY)
    assert admit(circuit, at(60.9)) is Admission.NONE
    assert admit(circuit, at(61)) is Admission.PROBE


def test_the_host_answering_closes_it_and_releases_the_waiting_rows() -> None:
    circuit = probing(failed(POLICY.threshold), at(1), POLICY)
    seen = observe(circuit, Health.UP, at(1.2), POLICY)
    assert seen.release and seen.circuit == Circuit()
    assert not observe(Circuit(), Health.UP, NOW, POLICY).release  # nothing was held


def test_a_rate_limit_holds_every_row_for_the_hosts_wait() -> None:
    seen = observe(Circuit(), Health.LIMITED, NOW, POLICY, wait=120.0)
    assert (seen.circuit.state, seen.circuit.probe_at) == (State.OPEN, at(120))
    assert admit(seen.circuit, at(119)) is Admission.NONE
    assert admit(seen.circuit, at(120)) is Admission.PROBE
    # A shorter wait asked by another answer does not cut the longer one short.
    again = observe(seen.circuit, Health.LIMITED, NOW, POLICY, wait=5.0).circuit
    assert again.probe_at == at(120)


def test_nothing_to_probe_looks_again_later() -> None:
    circuit = nothing_to_probe(failed(POLICY.threshold), at(3), POLICY)
    assert (circuit.state, circuit.probe_at) == (State.OPEN, at(5))


def test_which_answers_say_the_host_is_down() -> None:
    assert {v: health(v) for v in Verdict} == {
        Verdict.SENT: Health.UP,
        Verdict.INVALID_REVIEWER: Health.UP,
        Verdict.FAILED: Health.UP,
        Verdict.RETRY: Health.DOWN,
        Verdict.RATE_LIMITED: Health.LIMITED,
    }
