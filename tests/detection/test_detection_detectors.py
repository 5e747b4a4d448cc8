"""Each rule kind fires on what it is about and stays quiet on normal traffic."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from detection_support import NORMAL, anomaly, comm, ident, op, seen

from otm.detection import (
    KINDS,
    AlertBook,
    Baseline,
    DetectionEngine,
    Finding,
    PlantContext,
    default_rules,
)
from otm.detection.detectors import DETECTORS
from otm.observations.records import Observation, Transport


def _engine(frozen: bool = True, context: PlantContext | None = None) -> DetectionEngine:
    base = Baseline()
    base.learn(NORMAL)
    base.frozen = frozen
    return DetectionEngine(base, default_rules(KINDS), context)


def _rules(found: Sequence[Finding]) -> set[str]:
    return {f.rule.id for f in found}


def test_normal_traffic_raises_nothing() -> None:
    assert _engine().detect(NORMAL) == []


@pytest.mark.parametrize(
    ("obs", "rule"),
    [
        (seen("10.0.0.66", "00:11:22:33:44:55"), "OTM-NEW-ASSET"),
        (seen(None, "00:11:22:33:44:56"), "OTM-NEW-ASSET"),
        (seen("10.0.0.5", "de:ad:be:ef:00:01"), "OTM-NEW-MAC"),
        (comm("10.0.0.9", "10.0.0.5", "s7comm", 102), "OTM-NEW-LINK"),
        (op("10.0.0.9", "10.0.0.5", "read_coils", "read"), "OTM-NEW-OPERATION"),
        (op("10.0.0.5", "10.0.0.9", "write_single_coil", "write"), "OTM-NEW-WRITER"),
        (ident("10.0.0.5", "modbus", firmware="v3.60"), "OTM-FIRMWARE-CHANGE"),
        (ident("10.0.0.5", "modbus", model="M580"), "OTM-IDENTITY-CHANGE"),
        (op("10.0.0.9", "10.0.0.5", "umas_stop_plc", "control"), "OTM-PLC-STOP"),
        (op("10.0.0.9", "10.0.0.5", "umas_upload_block", "program"), "OTM-PROGRAM-DOWNLOAD"),
        (op("10.0.0.9", "10.0.0.5", "force_listen_only_mode", "control"), "OTM-COMMS-DISABLED"),
        (op("10.0.0.9", "10.0.0.5", "cold_restart", "control", "dnp3"), "OTM-DEVICE-RESTART"),
        (ident("10.0.0.7", "snmp", snmp_community="public"), "OTM-SNMP-DEFAULT-COMMUNITY"),
        (ident("10.0.0.7", "opcua", opcua_security_mode_none="offered"), "OTM-OPCUA-NO-SECURITY"),
        (comm("10.0.0.9", "10.0.0.7", "telnet", 23), "OTM-TELNET"),
        (anomaly("10.0.0.9"), "OTM-MALFORMED"),
    ],
)
def test_each_rule_fires_on_its_case(obs: Observation, rule: str) -> None:
    found = _engine().detect([obs])
    assert rule in _rules(found), [f.message for f in found]
    finding = next(f for f in found if f.rule.id == rule)
    assert finding.evidence.ref == "test.pcap" and finding.message


def test_a_known_writer_and_known_operations_stay_quiet() -> None:
    again: list[Observation] = [
        op("10.0.0.9", "10.0.0.5", "write_single_register", "write", count=50, t=900),
        op("10.0.0.9", "10.0.0.5", "read_holding_registers", "read", count=500, t=900),
        ident("10.0.0.5", "modbus", firmware="v3.40", t=900),
        seen("10.0.0.5", "00:80:f4:00:00:05", t=900),
    ]
    assert _engine().detect(again) == []


def test_baseline_rules_are_silent_while_learning_but_policy_is_not() -> None:
    engine = _engine(frozen=False)
    assert engine.detect([seen("10.0.0.66", "00:11:22:33:44:55")]) == []
    found = engine.detect([op("10.0.0.66", "10.0.0.5", "plc_stop", "control", "s7comm")])
    assert _rules(found) == {"OTM-PLC-STOP"}


def test_a_named_operation_rule_replaces_new_operation() -> None:
    found = _engine().detect([op("10.0.0.9", "10.0.0.5", "umas_stop_plc", "control")])
    assert "OTM-PLC-STOP" in _rules(found) and "OTM-NEW-OPERATION" not in _rules(found)


def test_remote_access_needs_a_control_host() -> None:
    rdp = comm("10.0.1.50", "10.0.0.5", "rdp", 3389, transport=Transport.TCP)
    assert "OTM-REMOTE-ACCESS" not in _rules(_engine().detect([rdp]))
    by_role = _engine(context=PlantContext(roles={"10.0.0.5": "plc"}))
    assert "OTM-REMOTE-ACCESS" in _rules(by_role.detect([rdp]))
    by_level = _engine(context=PlantContext(levels={"10.0.0.5": 3.0}))
    assert "OTM-REMOTE-ACCESS" not in _rules(by_level.detect([rdp]))


def test_level_skips_count_the_dmz_as_a_level() -> None:
    ctx = PlantContext(levels={"10.0.0.9": 4.0, "10.0.0.5": 1.0, "10.0.0.6": 3.5,
                               "10.0.0.7": 3.0})  # fmt: skip
    engine = _engine(context=ctx)
    assert "OTM-LEVEL-SKIP" in _rules(engine.detect([comm("10.0.0.9", "10.0.0.5")]))
    assert "OTM-LEVEL-SKIP" not in _rules(engine.detect([comm("10.0.0.9", "10.0.0.6")]))
    assert "OTM-LEVEL-SKIP" in _rules(engine.detect([comm("10.0.0.9", "10.0.0.7")]))


def test_a_sweep_is_one_alert_with_a_count_across_batches() -> None:
    engine = _engine()
    book = AlertBook()
    probes = [comm("10.0.0.66", f"10.0.0.{100 + i}", t=100.0 + i) for i in range(30)]
    for start in range(0, 30, 7):  # live checkpoints
        book.add(engine.detect(probes[start : start + 7]))
    sweeps = [a for a in book.alerts.values() if a.rule_id == "OTM-SWEEP"]
    assert len(sweeps) == 1 and sweeps[0].count == 30
    assert sweeps[0].subjects == ("10.0.0.66",)


def test_a_slow_sweep_beyond_the_window_is_not_one() -> None:
    engine = _engine()
    probes = [comm("10.0.0.66", f"10.0.0.{100 + i}", t=100.0 + 60 * i) for i in range(12)]
    assert not [f for f in engine.detect(probes) if f.rule.id == "OTM-SWEEP"]


def test_a_port_scan_of_one_host() -> None:
    probes = [comm("10.0.0.66", "10.0.0.5", "modbus", 500 + i, t=100.0 + i) for i in range(12)]
    found = [f for f in _engine().detect(probes) if f.rule.id == "OTM-SWEEP"]
    assert found and found[0].details["ports"][:3] == [500, 501, 502]


def test_alerts_aggregate_and_keep_bounded_evidence() -> None:
    book = AlertBook()
    engine = _engine()
    for i in range(50):
        book.add(
            engine.detect([op("10.0.0.9", "10.0.0.5", "umas_stop_plc", "control", t=200.0 + i)])
        )
    (alert,) = [a for a in book.alerts.values() if a.rule_id == "OTM-PLC-STOP"]
    assert alert.count == 50 and alert.first_seen == 200.0 and alert.last_seen == 250.0
    assert len(alert.evidence) == 1  # the same evidence once
    assert alert.id.startswith("OTM-PLC-STOP:")


def test_a_program_upload_is_no_write() -> None:
    """Uploads are category ``program`` but only read the PLC (UMAS "download" copies
    the program out): OTM-PROGRAM-UPLOAD, and no OTM-NEW-WRITER."""
    for upload in (
        op("10.0.0.66", "10.0.0.5", "umas_download_block", "program"),
        op("10.0.0.66", "10.0.0.5", "start_upload", "program", "s7comm"),
    ):
        found = _rules(_engine().detect([upload]))
        assert "OTM-PROGRAM-UPLOAD" in found and "OTM-NEW-WRITER" not in found
    download = op("10.0.0.66", "10.0.0.5", "umas_upload_block", "program")
    assert {"OTM-PROGRAM-DOWNLOAD", "OTM-NEW-WRITER"} <= _rules(_engine().detect([download]))


def test_dispatch_by_observation_type_finds_what_every_detector_finds() -> None:
    """The engine hands each detector only the types it reads (``ACCEPTS``): the same
    findings as running every detector on every observation."""
    observations: list[Observation] = [
        *NORMAL,
        seen("10.0.0.66", "00:11:22:33:44:55"),
        seen("10.0.0.5", "de:ad:be:ef:00:01"),
        comm("10.0.0.9", "10.0.0.5", "s7comm", 102),
        comm("10.0.1.50", "10.0.0.5", "rdp", 3389),
        op("10.0.0.9", "10.0.0.5", "read_coils", "read"),
        op("10.0.0.66", "10.0.0.5", "plc_stop", "control", "s7comm"),
        ident("10.0.0.5", "modbus", firmware="v3.60", model="M580"),
        ident("10.0.0.7", "snmp", snmp_community="public"),
        anomaly("10.0.0.9"),
    ]
    ctx = PlantContext(roles={"10.0.0.5": "plc"}, levels={"10.0.0.9": 4.0, "10.0.0.5": 1.0})
    engine = _engine(context=ctx)
    everything = []
    for obs in observations:
        found = [
            f
            for rule in engine.rules.enabled()
            if rule.kind in DETECTORS
            for f in DETECTORS[rule.kind](rule, obs, engine.baseline, ctx)
        ]
        if any(f.rule.kind == "operation" for f in found):
            found = [f for f in found if f.rule.kind != "new_operation"]
        everything += found
    dispatched = [f for f in engine.detect(observations) if f.rule.kind != "sweep"]
    key = [(f.rule.id, f.key) for f in everything]
    assert sorted(key) == sorted((f.rule.id, f.key) for f in dispatched)
    assert len(set(key)) > 10
