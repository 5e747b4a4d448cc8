"""Floods (exception storms, broadcast discovery) and unit sweeps: one alert that grows."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from detection_support import NORMAL, op

from otm.detection import (
    KINDS,
    AlertBook,
    Baseline,
    DetectionEngine,
    Finding,
    RuleError,
    default_rules,
)
from otm.detection.engine import is_group_address
from otm.observations.records import Observation

SCADA, PLC, NEW = "10.0.0.9", "10.0.0.5", "10.0.0.66"
STORM, FLOOD, UNITS = "OTM-EXCEPTION-STORM", "OTM-DISCOVERY-FLOOD", "OTM-UNIT-SWEEP"


def _engine(frozen: bool = True) -> DetectionEngine:
    base = Baseline()
    base.learn(NORMAL)
    base.frozen = frozen
    return DetectionEngine(base, default_rules(KINDS))


def _errors(client: str, server: str, count: int, t: float, span: float = 0.0) -> Observation:
    return op(client, server, "exception_illegal_data_address", "exception", count=count, t=t,
              span=span, unit_id=1)  # fmt: skip


def _who_is(count: int, t: float, span: float, to: str = "10.0.0.255") -> Observation:
    return op(NEW, to, "who_is", "identify", "bacnet", count=count, t=t, span=span)


def _of(found: Sequence[Finding], rule: str) -> list[Finding]:
    return [f for f in found if f.rule.id == rule]


# -- exception storms -------------------------------------------------------------------


def test_a_storm_over_checkpoints_is_one_alert_that_grows() -> None:
    engine, book = _engine(), AlertBook()
    for i in range(6):  # 6 checkpoints of 5 errors, 5 s apart
        book.add(engine.detect([_errors(SCADA, PLC, 5, 1000.0 + 5 * i, 4.0)]))
    storms = [a for a in book.alerts.values() if a.rule_id == STORM]
    assert len(storms) == 1
    assert storms[0].subjects == (SCADA, PLC)
    assert storms[0].count == 30  # 20 when it started (4th checkpoint), then 5 and 5
    assert storms[0].first_seen == 1000.0 and storms[0].last_seen == 1029.0


def test_a_storm_is_counted_within_its_window_and_forgotten_after() -> None:
    engine = _engine()
    # 40 errors spread over 200 s: 12 within any minute, no storm; 7 more: 19.
    assert not _of(engine.detect([_errors(SCADA, PLC, 40, 1000.0, 200.0)]), STORM)
    assert not _of(engine.detect([_errors(SCADA, PLC, 7, 1200.0)]), STORM)
    # Ten seconds on, the window (1150-1210) holds 10 of the 40, the 7 and 9 more: 26.
    assert [f.count for f in _of(engine.detect([_errors(SCADA, PLC, 9, 1210.0)]), STORM)] == [26]
    # An hour later the window holds only what came since.
    assert not _of(engine.detect([_errors(SCADA, PLC, 19, 5000.0)]), STORM)


def test_the_order_within_a_batch_does_not_matter() -> None:
    pieces = [_errors(SCADA, PLC, 12, 1000.0), _errors(SCADA, PLC, 12, 1100.0),
              _errors(SCADA, PLC, 12, 1130.0)]  # fmt: skip
    forward = [(f.key, f.count) for f in _of(_engine().detect(pieces), STORM)]
    backward = [(f.key, f.count) for f in _of(_engine().detect(pieces[::-1]), STORM)]
    assert forward == backward == [("link|10.0.0.9>10.0.0.5", 24)]


def test_errors_from_many_servers_are_the_clients_storm_not_theirs() -> None:
    """A password-guessing run: a few errors from each of many devices."""
    found = _engine().detect([_errors(NEW, f"10.0.1.{i}", 3, 1000.0 + i, 1.0) for i in range(10)])
    assert [(f.subjects, f.count) for f in _of(found, STORM)] == [((NEW,), 30)]


def test_errors_to_many_clients_are_the_servers_storm() -> None:
    found = _engine().detect([_errors(f"10.0.1.{i}", PLC, 4, 1000.0) for i in range(5)])
    assert [f.subjects for f in _of(found, STORM)] == [(PLC,)]


def test_errors_learnt_on_a_link_are_no_storm_and_learning_is_no_storm() -> None:
    base = Baseline()
    base.learn([*NORMAL, _errors(SCADA, PLC, 5, 100.0, 5.0)])
    base.frozen = True
    engine = DetectionEngine(base, default_rules(KINDS))
    assert not _of(engine.detect([_errors(SCADA, PLC, 500, 1000.0, 10.0)]), STORM)
    assert not _of(_engine(frozen=False).detect([_errors(NEW, PLC, 500, 1000.0)]), STORM)


# -- discovery floods ---------------------------------------------------------------------


def test_a_discovery_flood_fires_while_learning_too() -> None:
    found = _engine(frozen=False).detect([_who_is(100, 1000.0, 59.0)])
    assert [(f.subjects, f.count) for f in _of(found, FLOOD)] == [((NEW,), 100)]


@pytest.mark.parametrize(
    ("to", "flood"),
    [("10.0.0.255", True), ("255.255.255.255", True), ("224.0.1.1", True), ("ff02::1", True),
     ("01:0e:cf:00:00:00", True), ("10.0.0.7", False), ("00:0e:cf:00:00:00", False)],
)  # fmt: skip
def test_only_requests_to_a_group_address_flood(to: str, flood: bool) -> None:
    found = _engine().detect([_who_is(500, 1000.0, 10.0, to)])
    assert bool(_of(found, FLOOD)) is flood
    assert is_group_address(to) is flood


def test_a_steady_discovery_rate_is_no_flood() -> None:
    """RSLinx browsing: one List Identity a second is 60 a minute, all day long."""
    found = _engine().detect([_who_is(3600, 1000.0, 3600.0)])
    assert not _of(found, FLOOD)


# -- unit sweeps ---------------------------------------------------------------------------


def _unit(client: str, unit: int, t: float = 1000.0, protocol: str = "modbus") -> Observation:
    return op(client, PLC, "read_holding_registers", "read", protocol, t=t, unit_id=unit)


def test_a_unit_sweep_grows_on_one_alert() -> None:
    engine, book = _engine(), AlertBook()
    for unit in range(2, 21):
        book.add(engine.detect([_unit(NEW, unit, 1000.0 + unit)]))
    sweeps = [a for a in book.alerts.values() if a.rule_id == UNITS]
    assert len(sweeps) == 1 and sweeps[0].subjects == (NEW, PLC)
    assert sweeps[0].count == 19  # units 2 to 20, reported from the 8th on
    assert sweeps[0].details["units"][:3] == ["modbus 2", "modbus 3", "modbus 4"]


def test_units_someone_polled_while_learning_are_no_sweep() -> None:
    base = Baseline()
    base.learn([*NORMAL, *(_unit("10.0.0.8", u, 100.0) for u in range(2, 12))])
    base.frozen = True
    engine = DetectionEngine(base, default_rules(KINDS))
    assert not _of(engine.detect([_unit(NEW, u) for u in range(1, 12)]), UNITS)
    site = default_rules(KINDS).apply(
        "schema: otm.rules/1\nrules: [{id: OTM-UNIT-SWEEP, params: {units_by: client}}]",
        "site.yaml",
        KINDS,
    )
    strict = DetectionEngine(base, site)
    assert _of(strict.detect([_unit(NEW, u) for u in range(1, 12)]), UNITS)


def test_new_units_spread_beyond_the_window_are_no_sweep() -> None:
    engine = _engine()
    found = [f for u in range(2, 12) for f in engine.detect([_unit(NEW, u, 1000.0 + 60 * u)])]
    assert not _of(found, UNITS)


def test_a_flood_counted_by_anything_else_is_a_rule_error() -> None:
    site = default_rules(KINDS).apply(
        "schema: otm.rules/1\nrules: [{id: OTM-DISCOVERY-FLOOD, params: {by: [zone]}}]",
        "site.yaml",
        KINDS,
    )
    with pytest.raises(RuleError, match="per link, client or server"):
        DetectionEngine(Baseline(), site)
