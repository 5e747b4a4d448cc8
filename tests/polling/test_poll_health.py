"""Device health: cycle verdicts, the up/degraded/down machine, reports; report-by-exception."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from otm.observations.records import Evidence
from otm.polling.drivers.base import Reading
from otm.polling.health import (
    CycleCounts,
    HealthTracker,
    State,
    Verdict,
    judge,
    next_state,
)
from otm.polling.reporting import Reporter, moved
from otm.polling.tags import DeviceSpec, HealthRules, Quality, TagSpec

RULES = HealthRules()
GOOD = CycleCounts(requests=2, answered=2, errors=0, timeouts=0, rtts=(0.01, 0.02), ok=2)
FAILED = CycleCounts(requests=1, answered=0, errors=1, timeouts=0)
TIMED_OUT = CycleCounts(requests=2, answered=0, errors=0, timeouts=1)
ERRORS = CycleCounts(requests=2, answered=2, errors=1, timeouts=0, rtts=(0.01, 0.01), ok=1)
SLOW = CycleCounts(requests=1, answered=1, errors=0, timeouts=0, rtts=(1.5,), ok=1)
IDLE = CycleCounts(requests=0, answered=0, errors=0, timeouts=0)
EVIDENCE = Evidence("poll", "plc", None, "modbus poll")


def test_poll_verdicts() -> None:
    assert judge(GOOD, RULES, 1.0) is Verdict.GOOD
    assert judge(FAILED, RULES, 1.0) is Verdict.FAILED
    assert judge(TIMED_OUT, RULES, 1.0) is Verdict.FAILED  # a connect that worked is no answer
    assert judge(ERRORS, RULES, 1.0) is Verdict.TROUBLED
    assert judge(ERRORS, HealthRules(max_error_rate=0.5), 1.0) is Verdict.GOOD
    assert judge(SLOW, RULES, 1.0) is Verdict.TROUBLED
    assert judge(IDLE, RULES, 1.0) is Verdict.IDLE


def _states(*cycles: CycleCounts, rules: HealthRules = RULES) -> list[str | None]:
    tracker = HealthTracker(rules, 1.0)
    out: list[str | None] = []
    for t, counts in enumerate(cycles):
        tracker.observe(counts, float(t))
        out.append(tracker.state and str(tracker.state))
    return out


def test_poll_a_dying_device_goes_degraded_then_down_and_back_through_degraded() -> None:
    assert _states(GOOD, FAILED, FAILED, FAILED, FAILED, GOOD, GOOD, GOOD) == [
        "up", "degraded", "degraded", "down", "down", "degraded", "up", "up"
    ]  # fmt: skip
    assert _states(FAILED, GOOD) == ["degraded", "degraded"]
    assert _states(IDLE, GOOD, IDLE) == [None, "up", "up"]
    assert _states(GOOD, FAILED, FAILED, FAILED, ERRORS, FAILED) == [
        "up", "degraded", "degraded", "down", "degraded", "degraded"
    ]  # fmt: skip
    once = HealthRules(down_after=1, up_after=1)
    assert _states(GOOD, FAILED, GOOD, rules=once) == ["up", "down", "up"]


@given(st.lists(st.sampled_from([GOOD, FAILED, TIMED_OUT, ERRORS, SLOW, IDLE]), max_size=60),
       st.integers(1, 5), st.integers(1, 5))  # fmt: skip
def test_poll_health_machine_never_jumps(
    cycles: list[CycleCounts], down_after: int, up_after: int
) -> None:
    rules = HealthRules(down_after=down_after, up_after=up_after)
    tracker = HealthTracker(rules, 1.0)
    failed_run = good_run = 0
    for t, counts in enumerate(cycles):
        before = tracker.state
        verdict = judge(counts, rules, 1.0)
        tracker.observe(counts, float(t))
        after = tracker.state
        if verdict is Verdict.IDLE:
            assert after is before
            continue
        failed_run = failed_run + 1 if verdict is Verdict.FAILED else 0
        good_run = good_run + 1 if verdict is Verdict.GOOD else 0
        assert after is not None
        if after is State.DOWN and before is not State.DOWN:
            assert failed_run >= down_after  # down only after enough failures in a row
        if after is State.UP and before in (State.DEGRADED, State.DOWN):
            assert good_run >= up_after  # back up only after enough good cycles
        if verdict is not Verdict.GOOD:
            assert after is not State.UP
        if verdict is Verdict.GOOD:
            assert after is not State.DOWN
        assert after is next_state(before, verdict, failed_run, good_run, rules)


def test_poll_health_reports_count_the_window() -> None:
    tracker = HealthTracker(RULES, 1.0)
    tracker.observe(GOOD, 10.0)
    tracker.observe(ERRORS, 11.0)
    assert tracker.due(12.0, 2.0) and not tracker.due(11.5, 2.0)
    report = tracker.report(12.0, "10.0.0.5", EVIDENCE, "modbus")
    assert (report.state, report.requests, report.errors, report.timeouts) == ("degraded", 4, 1, 0)
    assert report.rtt_ms == 10.0 and report.last_good == 11.0
    assert report.protocol == "modbus" and report.asset_ip == "10.0.0.5"
    assert not tracker.pending
    tracker.observe(FAILED, 13.0)
    again = tracker.report(13.0, "10.0.0.5", EVIDENCE, "modbus")
    assert (again.requests, again.rtt_ms, again.last_good) == (1, None, 11.0)


def _device(**kw: object) -> DeviceSpec:
    tags = [TagSpec(name="T", address="hr:0", type="float32"),
            TagSpec(name="B", address="co:0")]  # fmt: skip
    return DeviceSpec.model_validate(
        {"name": "plc", "protocol": "modbus", "host": "10.0.0.5", "tags": tags, **kw}
    )


def _readings(
    device: DeviceSpec, value: float | None, flag: bool, q: Quality = Quality.GOOD
) -> list[Reading]:
    t, b = device.tags
    return [Reading(t, value, q, "modbus read_holding_registers"),
            Reading(b, flag, Quality.GOOD, "modbus read_coils")]  # fmt: skip


def test_poll_without_exception_reporting_every_poll_reports() -> None:
    device = _device()
    reporter = Reporter(device)
    for t in range(3):
        samples = reporter.samples(_readings(device, 1.0, True), float(t))
        assert [s.tag for s in samples] == ["T", "B"]


def test_poll_report_by_exception_with_deadband_and_heartbeat() -> None:
    device = _device(report_by_exception=True, heartbeat=10.0)
    device = device.model_copy(update={"tags": [device.tags[0].model_copy(update={"deadband": 0.5}),
                                                device.tags[1]]})  # fmt: skip
    reporter = Reporter(device)

    def tags_at(t: float, value: float | None, flag: bool, q: Quality = Quality.GOOD) -> list[str]:
        return [f"{s.tag}={s.value}/{s.quality}" for s in
                reporter.samples(_readings(device, value, flag, q), t)]  # fmt: skip

    assert tags_at(0, 1.0, True) == ["T=1.0/good", "B=True/good"]
    assert tags_at(1, 1.4, True) == []
    assert tags_at(2, 1.6, True) == ["T=1.6/good"]  # drift adds up against the last report
    assert tags_at(3, 1.6, False) == ["B=False/good"]
    assert tags_at(4, None, False, Quality.BAD) == ["T=1.6/bad"]  # carries the last good value
    assert tags_at(5, None, False, Quality.BAD) == []
    assert tags_at(6, 1.6, False) == ["T=1.6/good"]
    assert tags_at(13.5, 1.6, False) == ["B=False/good"]  # heartbeat (B last reported at 3)
    assert tags_at(16.5, 1.7, False) == ["T=1.7/good"]  # heartbeat for T: last report at 6


def test_poll_bad_without_history_is_nan() -> None:
    device = _device()
    sample = Reporter(device).samples(_readings(device, None, True, Quality.BAD), 0.0)[0]
    assert sample.quality == "bad" and isinstance(sample.value, float) and math.isnan(sample.value)
    assert sample.evidence == Evidence("poll", "plc", None, "modbus read_holding_registers")


def test_poll_moved() -> None:
    assert moved(None, 1, 5.0)
    assert not moved(1, 1, 0.0) and moved(1, 2, 0.0)
    assert not moved(1.0, 1.5, 0.5) and moved(1.0, 1.51, 0.5)
    assert moved(True, False, 10.0) and moved("a", "b", 10.0) and moved(1, True, 10.0)
    assert not moved(math.nan, math.nan, 0.0) and moved(1.0, math.nan, 0.5)
