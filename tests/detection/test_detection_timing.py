"""Polling learnt and judged across checkpoints: rates, silences, and what is not a silence."""

from __future__ import annotations

import json
from collections.abc import Sequence

from detection_support import EV, NORMAL, comm, op

from otm.detection import KINDS, AlertBook, Baseline, DetectionEngine, Finding, default_rules
from otm.detection.baseline import Polling
from otm.observations.records import Evidence, Observation

SCADA, PLC = "10.0.0.9", "10.0.0.5"
READ = "read_holding_registers"
KEY = (SCADA, PLC, "modbus", READ)


def _reads(t: float, count: int, span: float, ev: Evidence = EV, name: str = READ) -> Observation:
    return op(SCADA, PLC, name, "read", count=count, t=t, span=span, ev=ev, unit_id=1)


def _engine() -> DetectionEngine:
    base = Baseline()
    base.learn(NORMAL)
    base.frozen = True
    return DetectionEngine(base, default_rules(KINDS))


def _ids(found: Sequence[Finding], rule: str) -> list[Finding]:
    return [f for f in found if f.rule.id == rule]


# -- learning ---------------------------------------------------------------------------


def test_checkpoints_of_a_poll_join_into_one_sample() -> None:
    """A live sensor hands over every 5 s: five reads a piece are no sample alone."""
    base = Baseline()
    base.learn([_reads(100.0 + 5 * i, 5, 4.0) for i in range(2)])  # 10 reads over 9 s
    assert base.polling == {}
    base.learn([_reads(110.0, 5, 4.0)])  # 15 reads over 14 s: a sample, one per second
    assert base.polling[KEY] == Polling(1.0, 1.0, 1)


def test_learning_goes_on_across_checkpoints_that_store_the_baseline() -> None:
    """The sensor stores the baseline at each checkpoint and reads it back."""
    base = Baseline()
    for i in range(3):
        base.learn([_reads(100.0 + 5 * i, 5, 4.0)])
        base = Baseline.from_dict(json.loads(json.dumps(base.to_dict())))
    assert base.polling[KEY] == Polling(1.0, 1.0, 1)
    assert base.to_dict()["polling_open"] == []


def test_a_burst_an_unasked_report_and_a_pause_are_no_poll() -> None:
    base = Baseline()
    base.learn([_reads(100.0, 50, 0.2)])  # a tool reading a block list
    base.learn([op(SCADA, PLC, "unsolicited_response", "read", "dnp3", count=50, span=60.0)])
    # Two halves of a poll 10 minutes apart (a night's pause) are two runs, not one.
    base.learn([_reads(1000.0, 6, 5.0), _reads(1605.0, 6, 5.0)])
    assert base.polling == {}


def test_the_range_spans_samples_of_one_operation_only() -> None:
    base = Baseline()
    base.learn([_reads(100.0, 11, 10.0), _reads(200.0, 11, 20.0)])
    base.learn([_reads(100.0, 11, 30.0, name="read_coils")])
    assert base.polling[KEY] == Polling(1.0, 2.0, 2)
    assert base.polling[(SCADA, PLC, "modbus", "read_coils")] == Polling(3.0, 3.0, 1)


def test_a_baseline_written_before_polling_and_units_reads_with_none() -> None:
    base = Baseline()
    base.learn(NORMAL)
    data = base.to_dict()
    assert data["polling"] == [[SCADA, PLC, "modbus", READ, 1.0, 1.0, 1]]
    assert data["units"] == [[PLC, "modbus", "1", [SCADA]]]
    old = {k: v for k, v in data.items() if k not in ("polling", "units", "polling_open")}
    again = Baseline.from_dict(old)
    assert again.polling == {} and again.units == {}
    assert again.links == base.links
    assert Baseline.from_dict(data) == base


# -- rate -------------------------------------------------------------------------------


def test_a_poll_four_times_faster_or_slower_than_learnt_fires() -> None:
    faster = _ids(_engine().detect([_reads(1000.0, 51, 10.0)]), "OTM-POLLING-CHANGE")
    assert [f.details["direction"] for f in faster] == ["faster"]
    assert faster[0].subjects == (SCADA, PLC) and faster[0].count == 51
    slower = _ids(_engine().detect([_reads(1000.0, 11, 41.0)]), "OTM-POLLING-CHANGE")
    assert [f.details["direction"] for f in slower] == ["slower"]
    steady = _engine().detect([_reads(1000.0, 11, 39.0), _reads(2000.0, 39, 10.0)])
    assert not _ids(steady, "OTM-POLLING-CHANGE")


def test_a_flood_over_live_checkpoints_is_judged_as_in_one_piece() -> None:
    engine = _engine()
    pieces = [_reads(1000.0 + 2 * i, 9, 1.9) for i in range(6)]  # 54 reads in 11.9 s
    found = [f for piece in pieces for f in engine.detect([piece])]
    assert [f.details["direction"] for f in _ids(found, "OTM-POLLING-CHANGE")] == ["faster"]


def test_reads_learnt_irregular_are_no_poll_to_judge() -> None:
    base = Baseline()
    base.learn(NORMAL)
    base.learn([_reads(300.0, 11, 30.0)])  # samples every 1 s and every 3 s: spread 3
    base.frozen = True
    engine = DetectionEngine(base, default_rules(KINDS))
    assert not _ids(engine.detect([_reads(1000.0, 101, 10.0)]), "OTM-POLLING-CHANGE")


# -- silence ----------------------------------------------------------------------------


def test_silence_fires_once_and_again_after_the_poll_came_back() -> None:
    engine = _engine()
    book = AlertBook()
    book.add(engine.detect([_reads(1000.0, 10, 9.0), comm(SCADA, PLC, t=1000.0, span=100.0)]))
    assert not book.alerts
    found = engine.detect([comm(SCADA, PLC, t=1100.0, span=30.0)])  # 121 s since 1009
    assert [f.subjects for f in _ids(found, "OTM-POLLING-SILENT")] == [(SCADA, PLC)]
    book.add(found)
    assert not _ids(engine.detect([comm(SCADA, PLC, t=1130.0, span=300.0)]), "OTM-POLLING-SILENT")
    engine.detect([_reads(1500.0, 10, 9.0)])
    again = engine.detect([comm(SCADA, PLC, t=1500.0, span=200.0)])
    book.add(again)
    assert [a.count for a in book.alerts.values()] == [2]


def test_the_end_of_a_capture_is_no_silence() -> None:
    """The clock is the capture's traffic: after its last frame nothing moves it."""
    engine = _engine()
    found = engine.detect([_reads(1000.0, 100, 99.0), comm(SCADA, PLC, t=1000.0, span=100.0)])
    assert not _ids(found, "OTM-POLLING-SILENT")
    assert not _ids(engine.detect([]), "OTM-POLLING-SILENT")


def test_another_source_or_a_join_of_captures_is_no_silence() -> None:
    engine = _engine()
    first = Evidence("capture", "monday.pcap", 1, "test")
    second = Evidence("capture", "friday.pcap", 1, "test")
    engine.detect([_reads(1000.0, 10, 9.0, ev=first), comm(SCADA, PLC, t=1000.0, ev=first)])
    later = [comm("10.0.0.7", PLC, t=400_000.0, span=600.0, ev=second)]
    assert not _ids(engine.detect(later), "OTM-POLLING-SILENT")
    # The same file, its second trace a day later: the day without any flow is no silence.
    joined = [comm("10.0.0.7", PLC, t=90_000.0, span=100.0, ev=first)]
    assert not _ids(engine.detect(joined), "OTM-POLLING-SILENT")
    more = [comm("10.0.0.7", PLC, t=90_100.0, span=30.0, ev=first)]
    assert _ids(engine.detect(more), "OTM-POLLING-SILENT")


def test_a_silence_begun_while_learning_is_learnt() -> None:
    base = Baseline()
    engine = DetectionEngine(base, default_rules(KINDS))
    learning = [_reads(100.0, 11, 10.0), comm(SCADA, PLC, t=100.0, span=240.0)]
    assert not engine.detect(learning)
    base.learn(learning)
    base.frozen = True
    # 230 s without a read already at the freeze: silent then, so not news now.
    assert not _ids(engine.detect([comm(SCADA, PLC, t=340.0, span=60.0)]), "OTM-POLLING-SILENT")


def test_a_silence_crossing_its_limit_after_the_freeze_fires() -> None:
    base = Baseline()
    engine = DetectionEngine(base, default_rules(KINDS))
    learning = [_reads(100.0, 11, 10.0), comm(SCADA, PLC, t=100.0, span=100.0)]
    engine.detect(learning)
    base.learn(learning)
    base.frozen = True
    found = engine.detect([comm(SCADA, PLC, t=200.0, span=40.0)])  # 130 s since 110
    assert _ids(found, "OTM-POLLING-SILENT")
