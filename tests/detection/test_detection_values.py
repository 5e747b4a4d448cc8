"""Values written: the baseline learns their ranges, ``value_range`` judges new writes.

``OTM-SETPOINT-RANGE`` fires on a value outside the learnt range widened by
its margin and stays quiet inside it; ``OTM-NEW-WRITE-ADDRESS`` fires on an
address nobody wrote while learning, which the range rule leaves alone.
"""

from __future__ import annotations

import pytest
from detection_support import NORMAL
from detection_support import written as support_written

from otm.detection import KINDS, Baseline, DetectionEngine, Finding, default_rules
from otm.detection.baseline import WrittenRange
from otm.observations.records import Observation, ValueWritten

PLC, SCADA, LAPTOP = "10.0.0.5", "10.0.0.9", "10.0.0.66"


def written(
    address: str, low: float, high: float | None = None, client: str = SCADA, t: float = 100.0,
    protocol: str = "modbus", count: int = 1, bits: int = 16,
) -> ValueWritten:  # fmt: skip
    return support_written(client, PLC, address, low, high, protocol, count, t, bits)


LEARNT: list[Observation] = [
    *NORMAL,
    written("u1:hr:10", 40, 60, count=20),  # a setpoint moved between 40 and 60
    written("u1:hr:11", 7, count=5),  # a parameter always written 7
    written("u1:hr:12", 1000, 1000, client=LAPTOP),
    written("DB1.DBD4", 20.5, 22.0, protocol="s7comm", bits=32),  # a REAL setpoint
    written("u1:co:3", 0, count=4, bits=1),  # a coil only ever switched off
]


def _engine(frozen: bool = True) -> DetectionEngine:
    base = Baseline()
    base.learn(LEARNT)
    base.frozen = frozen
    return DetectionEngine(base, default_rules(KINDS))


def _ids(found: list[Finding]) -> list[str]:
    return [f.rule.id for f in found]


def test_the_baseline_learns_ranges_and_writers_per_server_protocol_and_address() -> None:
    base = Baseline()
    assert base.learn([*LEARNT, written("u1:hr:10", 35, client=LAPTOP)]) == len(LEARNT) + 1
    assert base.values[(PLC, "modbus", "u1:hr:10")] == WrittenRange(35, 60, {SCADA, LAPTOP})
    assert base.values[(PLC, "s7comm", "DB1.DBD4")] == WrittenRange(20.5, 22.0, {SCADA})


def test_the_values_survive_to_dict_and_from_dict() -> None:
    base = Baseline()
    base.learn(LEARNT)
    data = base.to_dict()
    assert [PLC, "modbus", "u1:hr:10", 40, 60, [SCADA]] in data["values"]
    assert Baseline.from_dict(data) == base


def test_a_baseline_written_before_values_existed_reads_with_none() -> None:
    base = Baseline()
    base.learn(NORMAL)
    data = base.to_dict()
    del data["values"]
    assert Baseline.from_dict(data).values == {}


@pytest.mark.parametrize(
    ("obs", "why"),
    [
        (written("u1:hr:10", 90), "above the range"),
        (written("u1:hr:10", 0), "below the range"),
        (written("u1:hr:10", 50, 90), "its maximum above"),
        (written("u1:hr:11", 9), "a constant moved by more than the floor of 1"),
        (written("DB1.DBD4", 25.0, protocol="s7comm", bits=32), "a REAL setpoint far above"),
    ],
)
def test_setpoint_range_fires_outside_the_widened_range(obs: ValueWritten, why: str) -> None:
    found = _engine().detect([obs])
    assert _ids(found) == ["OTM-SETPOINT-RANGE"], why
    (finding,) = found
    assert finding.rule.technique == "T0836" and finding.rule.severity.value == "high"
    assert finding.key == f"{PLC}|{obs.protocol}|{obs.address}"
    assert finding.subjects == (SCADA, PLC)
    assert finding.details["baseline_writers"]
    assert obs.address in finding.message and "learnt" in finding.message


@pytest.mark.parametrize(
    "obs",
    [
        written("u1:hr:10", 40, 60),
        written("u1:hr:10", 38, 62),  # within a tenth of the learnt span of 20
        written("u1:hr:11", 8),  # one step from a constant: the floor
        written("u1:hr:12", 1000, client=SCADA),  # another writer: new_writer's business
        written("DB1.DBD4", 22.1, protocol="s7comm", bits=32),
        written("u1:co:3", 1, bits=1),  # a coil switched on: a command, not a parameter
        written("u1:co:99", 1, bits=1),  # a coil never written: new_writer's business
        written("DB7.DBX0.1", 1, protocol="s7comm", bits=1),
    ],
)
def test_setpoint_range_stays_quiet_inside_the_widened_range(obs: ValueWritten) -> None:
    assert _engine().detect([obs]) == []


def test_the_message_shows_the_learnt_and_allowed_ranges() -> None:
    (finding,) = _engine().detect([written("u1:hr:10", 90)])
    assert finding.message == (
        f"{SCADA} writes 90 to modbus u1:hr:10 of {PLC}; learnt 40 to 60, allowed 38 to 62"
    )
    assert finding.details["minimum"] == 90 and finding.details["baseline_maximum"] == 60


def test_a_write_to_an_address_never_written_is_only_the_new_address_rule() -> None:
    found = _engine().detect([written("u1:hr:99", 5)])
    assert _ids(found) == ["OTM-NEW-WRITE-ADDRESS"]
    assert found[0].rule.severity.value == "low"
    assert "nobody wrote it while learning" in found[0].message
    # the same address on another server, or over another protocol, is new too
    assert _ids(_engine().detect([written("u1:hr:10", 50, protocol="modbus-rtu")])) == [
        "OTM-NEW-WRITE-ADDRESS"
    ]


def test_value_rules_are_silent_while_learning() -> None:
    engine = _engine(frozen=False)
    assert engine.detect([written("u1:hr:10", 90), written("u1:hr:99", 5)]) == []


def test_bits_are_judged_when_min_bits_is_one() -> None:
    site = """
schema: otm.rules/1
rules:
  - id: OTM-SETPOINT-RANGE
    params: {min_bits: 1, min_margin: 0.5}
  - id: OTM-NEW-WRITE-ADDRESS
    params: {min_bits: 1}
"""
    base = Baseline()
    base.learn(LEARNT)
    base.frozen = True
    engine = DetectionEngine(base, default_rules(KINDS).apply(site, "site.yaml", KINDS))
    assert _ids(engine.detect([written("u1:co:3", 1, bits=1)])) == ["OTM-SETPOINT-RANGE"]
    assert _ids(engine.detect([written("u1:co:99", 1, bits=1)])) == ["OTM-NEW-WRITE-ADDRESS"]


def test_margins_are_tuned_in_the_rules_file() -> None:
    site = """
schema: otm.rules/1
disable: [OTM-NEW-WRITE-ADDRESS]
rules:
  - id: OTM-SETPOINT-RANGE
    params: {margin: 1.0, min_margin: 0}
"""
    rules = default_rules(KINDS).apply(site, "site.yaml", KINDS)
    base = Baseline()
    base.learn(LEARNT)
    base.frozen = True
    engine = DetectionEngine(base, rules)
    assert engine.detect([written("u1:hr:10", 80), written("u1:hr:99", 5)]) == []
    assert _ids(engine.detect([written("u1:hr:10", 81)])) == ["OTM-SETPOINT-RANGE"]
    assert _ids(engine.detect([written("u1:hr:11", 8)])) == ["OTM-SETPOINT-RANGE"]


def test_accepting_a_finding_widens_the_range() -> None:
    engine = _engine()
    (finding,) = engine.detect([written("u1:hr:10", 90)])
    assert finding.observation is not None
    engine.baseline.learn([finding.observation])
    assert engine.detect([written("u1:hr:10", 90)]) == []
