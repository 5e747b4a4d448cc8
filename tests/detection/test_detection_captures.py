"""Detection on the shared captures against the labelled list; each rule fires and stays quiet.

Every capture of ``../shared/pcaps`` has a label in ``data/labels.yaml``
(``detection_labels`` reads it): otm learns on the frames before the
label's ``detect_from`` and must then raise every labelled alert and
nothing else of the rules the labels cover; a ``quiet`` capture (normal
operation) raises nothing at all.  Labels otm misses for a reason in otm
carry ``known_gap`` and make the capture xfail with that reason, after
everything else was checked; alerts otm raises that the capture does not
support are listed as ``false_positives`` with the analysis, and must
still fire (a fix then updates the list).  The labels' evidence is tshark's
(``test_label_evidence_is_what_tshark_shows`` re-runs every filter).

The rule table at the end gives every rule of ``rules.yaml`` a synthetic
case where it fires and one where it must stay quiet, on the baseline of
``detection_support.NORMAL`` (a SCADA host .9 polling and writing PLC .5).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from detection_labels import (
    BASELINE_KINDS,
    CaptureLabel,
    fired,
    load_labels,
    replay,
    rules_covered,
    tshark_counts,
)
from detection_support import NORMAL, anomaly, comm, ident, op, seen, written

from otm.detection import KINDS, Baseline, DetectionEngine, PlantContext, default_rules
from otm.detection.detectors import SERVICE_KINDS
from otm.model.plant import ConduitSpec
from otm.observations.records import Observation

LABELS = load_labels()
BY_CAPTURE = {label.capture: label for label in LABELS}
RULES = default_rules(KINDS)
ENGINE_RULES = {r.id for r in RULES if r.kind not in SERVICE_KINDS}
"""The rules the engine raises from observations: the services raise the others
(a known vulnerability), which no replay can, and test them there (tests/vulns)."""


def _id(label: CaptureLabel) -> str:
    return label.capture


# -- the labelled captures ------------------------------------------------------------


def test_every_shared_capture_has_one_label(pcaps: Path) -> None:
    shared = {p.name for p in pcaps.iterdir() if p.suffix in (".pcap", ".pcapng")}
    assert len(BY_CAPTURE) == len(LABELS), "a capture is labelled twice"
    assert set(BY_CAPTURE) == shared


def test_every_rule_is_labelled() -> None:
    """Adding a rule means judging every capture for it: list it in ``rules`` then."""
    unlabelled = ENGINE_RULES - rules_covered()
    assert not unlabelled, f"rules.yaml has rules the capture labels do not cover: {unlabelled}"
    for label in LABELS:
        for item in (*label.expect, *label.false_positives):
            assert item.rule in rules_covered(), f"{label.capture}: unknown rule {item.rule}"


@pytest.mark.parametrize("label", LABELS, ids=_id)
def test_capture_raises_its_labels_and_nothing_else(pcaps: Path, label: CaptureLabel) -> None:
    raised = fired(replay(pcaps / label.capture, label.detect_from))
    covered = rules_covered()
    got = {key for key in raised if key[0] in covered}
    if label.quiet:
        assert not got, f"normal traffic raised {[raised[k] for k in sorted(got)]}"
        return
    gaps = label.gaps
    missing = label.expected - got - set(gaps)
    assert not missing, f"labelled alerts otm did not raise: {sorted(missing)}"
    known_fps = {fp.key for fp in label.false_positives}
    unexpected = got - label.expected - known_fps
    assert not unexpected, f"alerts without a label: {[(k, raised[k]) for k in sorted(unexpected)]}"
    gone = known_fps - got
    assert not gone, f"false positives no longer raised (remove them from the labels): {gone}"
    closed = set(gaps) & got
    assert not closed, f"known gaps now detected (drop known_gap): {sorted(closed)}"
    if gaps:
        pytest.xfail(
            "; ".join(sorted({f"{k[0]} {' '.join(k[1])}: {why}" for k, why in gaps.items()}))
        )


@pytest.mark.tshark
@pytest.mark.parametrize("label", LABELS, ids=_id)
def test_label_evidence_is_what_tshark_shows(tshark: str, pcaps: Path, label: CaptureLabel) -> None:
    claims = list(label.evidence())
    shown = tshark_counts(tshark, pcaps / label.capture, [c.tshark for c in claims])
    wrong = [
        f"{c.tshark!r}: labels say {c.frames} frames from {c.first}, tshark {n} from {first}"
        for c, (n, first) in zip(claims, shown, strict=True)
        if (c.frames, c.first) != (n, first)
    ]
    assert not wrong, "\n".join(wrong)
    for item in label.expect:
        if item.rule.startswith(BASELINE_KINDS):
            first = item.evidence.first or 0
            assert first >= label.detect_from, (
                f"{item.rule} {item.subjects}: tshark shows it at {first}, "
                f"before the split ({label.detect_from}): the baseline learnt it"
            )


def test_replay_with_live_checkpoints_raises_the_same_alerts(pcaps: Path) -> None:
    """A sensor checkpoints every few frames; the alerts must not depend on where (the
    last three: polls learnt over checkpoints, silences and an exception storm)."""
    for name in (
        "dnp3.pcap",
        "snap7_s300_everything.pcapng",
        "EIP-RebootorRestart.pcap",
        "DNP3Value.pcap",
        "EIP-IPAddressChangeAttempt.pcap",
        "bacnet_example.pcap",
    ):
        label = BY_CAPTURE[name]
        once = set(fired(replay(pcaps / name, label.detect_from)))
        live = set(fired(replay(pcaps / name, label.detect_from, checkpoint_every=7)))
        assert live == once, name


# -- every rule fires on its case and stays quiet on a near miss ---------------------

SCADA, PLC, NEW = "10.0.0.9", "10.0.0.5", "10.0.0.66"
PLC_ROLE = PlantContext(roles={PLC: "plc"})
ZONED = PlantContext(
    zones={SCADA: "supervisory", PLC: "control"},
    declared_zones=frozenset({"supervisory", "control"}),
    conduits=(ConduitSpec("supervisory", "control", ("modbus",)),),
)
"""SCADA and PLC in two declared zones, a conduit allowing Modbus from SCADA's."""
Case = tuple[Sequence[Observation], PlantContext | None]

RULE_CASES: dict[str, tuple[Case, Case]] = {
    # rule: ((observations that fire it, context), (a near miss that must not, context))
    "OTM-NEW-ASSET": (([seen(NEW, "00:11:22:33:44:55")], None),
                      ([seen(PLC, "00:80:f4:00:00:05")], None)),
    "OTM-NEW-MAC": (([seen(PLC, "de:ad:be:ef:00:01")], None),
                    ([seen(PLC, "00:80:f4:00:00:05")], None)),
    "OTM-NEW-LINK": (([comm(SCADA, PLC, "s7comm", 102)], None),
                     ([comm(SCADA, PLC)], None)),
    "OTM-NEW-PROTOCOL": (([comm(SCADA, PLC, "s7comm", 102)], None),
                         ([comm(NEW, "10.0.0.67", "s7comm", 102)], None)),
    "OTM-NEW-OPERATION": (([op(SCADA, PLC, "read_coils", "read")], None),
                          ([op(SCADA, PLC, "read_holding_registers", "read")], None)),
    "OTM-NEW-WRITER": (([op(NEW, PLC, "write_single_coil", "write")], None),
                       ([op(SCADA, PLC, "write_single_register", "write"),
                         op(NEW, PLC, "start_upload", "program", "s7comm"),
                         op(NEW, PLC, "umas_download_block", "program")], None)),
    "OTM-FIRMWARE-CHANGE": (([ident(PLC, "modbus", firmware="v3.60")], None),
                            ([ident(PLC, "modbus", firmware="v3.40", model="M340")], None)),
    "OTM-IDENTITY-CHANGE": (([ident(PLC, "modbus", model="M580")], None),
                            ([ident(PLC, "modbus", firmware="v3.60")], None)),
    "OTM-SWEEP": (([comm(NEW, f"10.0.1.{i}", t=100.0 + i) for i in range(12)], None),
                  ([comm(NEW, f"10.0.1.{i}", t=100.0 + i) for i in range(9)], None)),
    "OTM-PLC-STOP": (([op(SCADA, PLC, "umas_stop_plc", "control")], None),
                     ([op(SCADA, PLC, "umas_start_plc", "control")], None)),
    "OTM-PLC-START": (([op(SCADA, PLC, "run", "control", "omron-fins")], None),
                      ([op(SCADA, PLC, "stop", "control", "omron-fins")], None)),
    "OTM-DEVICE-RESTART": (([op(SCADA, PLC, "warm_restart", "control", "dnp3")], None),
                           ([op(SCADA, PLC, "delay_measure", "diagnostic", "dnp3")], None)),
    "OTM-COMMS-DISABLED": (
        ([op(SCADA, PLC, "device_communication_control", "control", "bacnet")], None),
        ([op(SCADA, PLC, "reinitialize_device", "control", "bacnet")], None)),
    "OTM-PROGRAM-DOWNLOAD": (([op(SCADA, PLC, "download_block", "program", "s7comm")], None),
                             ([op(SCADA, PLC, "upload", "program", "s7comm")], None)),
    # UMAS "download" copies the program out of the PLC (see rules.yaml).
    "OTM-PROGRAM-UPLOAD": (([op(SCADA, PLC, "umas_download_block", "program")], None),
                           ([op(SCADA, PLC, "umas_upload_block", "program")], None)),
    "OTM-PROGRAM-DELETE": (([op(SCADA, PLC, "delete_block", "program", "s7comm")], None),
                           ([op(SCADA, PLC, "insert_block", "program", "s7comm")], None)),
    "OTM-REMOTE-ACCESS": (([comm("10.0.1.50", PLC, "rdp", 3389)], PLC_ROLE),
                          ([comm("10.0.1.50", PLC, "rdp", 3389)],
                           PlantContext(levels={PLC: 3.0}))),
    "OTM-TELNET": (([comm(SCADA, "10.0.0.7", "telnet", 23)], None),
                   ([comm(SCADA, "10.0.0.7", "rdp", 3389)], None)),
    "OTM-SNMP-DEFAULT-COMMUNITY": (([ident("10.0.0.7", "snmp", snmp_community="public")], None),
                                   ([ident("10.0.0.7", "snmp", snmp_community="k3y")], None)),
    "OTM-SNMP-COMMUNITY": (([ident("10.0.0.7", "snmp", snmp_community="k3y")], None),
                           ([ident("10.0.0.7", "snmp", snmp_engine_id="80001f88")], None)),
    "OTM-OPCUA-NO-SECURITY": (
        ([ident("10.0.0.7", "opcua", opcua_security_mode_none="offered")], None),
        ([ident("10.0.0.7", "opcua", opcua_security_modes="SignAndEncrypt")], None)),
    "OTM-LEVEL-SKIP": (([comm(SCADA, PLC)], PlantContext(levels={SCADA: 4.0, PLC: 1.0})),
                       ([comm(SCADA, PLC)], PlantContext(levels={SCADA: 2.0, PLC: 1.0}))),
    "OTM-CROSS-ZONE": (([comm(SCADA, PLC, "s7comm", 102)], ZONED),
                       ([comm(SCADA, PLC)], ZONED)),
    "OTM-SETPOINT-RANGE": (([written(SCADA, PLC, "u1:hr:10", 90)], None),
                           ([written(SCADA, PLC, "u1:hr:10", 39, 61)], None)),
    "OTM-NEW-WRITE-ADDRESS": (([written(SCADA, PLC, "u1:hr:11", 5)], None),
                              ([written(SCADA, PLC, "u1:co:11", 1, bits=1)], None)),
    "OTM-MALFORMED": (([anomaly(SCADA)], None),
                      (NORMAL, None)),
    # NORMAL polls unit 1 once a second: 8 more units are a sweep, 7 are not.
    "OTM-UNIT-SWEEP": (([op(SCADA, PLC, "read_coils", "read", unit_id=u) for u in range(1, 10)],
                        None),
                       ([op(SCADA, PLC, "read_coils", "read", unit_id=u) for u in range(1, 9)],
                        None)),
    "OTM-POLLING-CHANGE": (([op(SCADA, PLC, "read_holding_registers", "read", count=100,
                                t=1000.0, span=24.0, unit_id=1)], None),
                           ([op(SCADA, PLC, "read_holding_registers", "read", count=100,
                                t=1000.0, span=26.0, unit_id=1)], None)),
    # The last read at 1009, then the link's flow goes on for 120 s more (or 110 s).
    "OTM-POLLING-SILENT": (([op(SCADA, PLC, "read_holding_registers", "read", count=10,
                                t=1000.0, span=9.0, unit_id=1),
                             comm(SCADA, PLC, t=1000.0, span=129.0)], None),
                           ([op(SCADA, PLC, "read_holding_registers", "read", count=10,
                                t=1000.0, span=9.0, unit_id=1),
                             comm(SCADA, PLC, t=1000.0, span=119.0)], None)),
    "OTM-EXCEPTION-STORM": (
        ([op(SCADA, PLC, "exception_illegal_data_address", "exception", count=20, span=59.0,
             unit_id=1)], None),
        ([op(SCADA, PLC, "exception_illegal_data_address", "exception", count=19, span=59.0,
             unit_id=1)], None)),
    "OTM-DISCOVERY-FLOOD": (
        ([op(NEW, "255.255.255.255", "list_identity", "identify", "enip", count=100,
             span=59.0)], None),
        ([op(NEW, "10.0.0.7", "list_identity", "identify", "enip", count=100,
             span=59.0)], None)),
}  # fmt: skip


def _raised(observations: Sequence[Observation], context: PlantContext | None) -> set[str]:
    base = Baseline()
    base.learn(NORMAL)
    base.frozen = True
    return {f.rule.id for f in DetectionEngine(base, RULES, context).detect(observations)}


def test_every_rule_has_a_firing_and_a_quiet_case() -> None:
    assert not ENGINE_RULES - set(RULE_CASES), "add the new rule's cases to RULE_CASES"


@pytest.mark.parametrize("rule", sorted(RULE_CASES))
def test_rule_fires_on_its_case(rule: str) -> None:
    (observations, context), _quiet = RULE_CASES[rule]
    assert rule in _raised(observations, context)


@pytest.mark.parametrize("rule", sorted(RULE_CASES))
def test_rule_stays_quiet_on_a_near_miss(rule: str) -> None:
    _fire, (observations, context) = RULE_CASES[rule]
    assert rule not in _raised(observations, context)
