"""The GOOSE/SV sensor against the ground truth of the shared captures, and its behaviour.

Every shared capture whose ``groundtruth/<capture>.json`` lists GOOSE (or
SV) frames is walked by the passive engine with only this sensor
registered (``sensor_support``); the inventory built
from the observations must hold every GOOSE/SV endpoint of the oracle
(role ``publisher`` is otm's ``server``; the multicast group is no asset)
and every identity field, and no GOOSE/SV endpoint the oracle does not
know.  Built frames then check the state-change operations, simulation
flags, Sampled Values identity and anomaly counting.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from goose_frames import GOOSE_GROUP, PUBLISHER, SV_GROUP, ethernet, write_pcap

from otm.observations.records import (
    Communication,
    Identity,
    Observation,
    Operation,
    ParseAnomaly,
    Transport,
)
from otm.protocols.goose import (
    ETHERTYPE_GOOSE,
    ETHERTYPE_SV,
    Asdu,
    BitString,
    Data,
    DataKind,
    GooseFrame,
    GoosePdu,
    SavPdu,
    SvFrame,
    UtcTime,
    encode_goose,
    encode_sv,
)
from otm.sensing.goose import GooseSensor
from sensor_support import (
    analysed,
    captures_with,
    fields_of,
    identity_recall,
    missing_endpoints,
    sense_capture,
    truth_endpoints,
    truth_identities,
    unknown_endpoints,
)

PROTOCOLS = {"goose": "goose", "sv": "iec61850-sv"}
"""Oracle protocol -> otm protocol."""

FIELDS = fields_of(
    "goose_publisher",
    {
        "appid": "goose_appid",
        "gocbRef": "goose_gocb_ref",
        "datSet": "goose_dataset",
        "goID": "goose_id",
    },
)
"""(identity source, oracle field) -> otm field."""

CAPTURES = captures_with(*PROTOCOLS)


def observe(capture: str | Path) -> list[Observation]:
    """Walk a capture with only the GOOSE/SV sensor, as the passive engine would."""
    return sense_capture([GooseSensor()], capture)


@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES)
def test_every_oracle_endpoint_is_found(capture: str) -> None:
    endpoints = truth_endpoints(capture, *PROTOCOLS)
    assert all(ep["ip"] is None for ep in endpoints), "GOOSE/SV endpoints are layer 2"
    missing = missing_endpoints(analysed(capture, GooseSensor)[1], endpoints, PROTOCOLS)
    assert not missing, f"endpoints the oracle found and otm did not: {missing}"


@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES)
def test_no_endpoint_the_oracle_does_not_know(capture: str) -> None:
    inv = analysed(capture, GooseSensor)[1]
    extra = unknown_endpoints(inv, truth_endpoints(capture, *PROTOCOLS), PROTOCOLS)
    assert not extra, f"endpoints otm reports that the oracle does not: {extra}"


@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES)
def test_every_oracle_identity_field_is_found(capture: str) -> None:
    inv = analysed(capture, GooseSensor)[1]
    recall = identity_recall(inv, truth_identities(capture, *PROTOCOLS), FIELDS)
    assert recall.compared > 0
    assert not recall.missing, "identity facts the oracle found and otm did not:\n" + "\n".join(
        recall.missing
    )


def test_iedscout_state_changes() -> None:
    """iedscout.pcap: stNum goes 3, 4, 5, 6, 7 (frames 79, 168, 197, 284): four events."""
    ops = [o for o in observe("iedscout.pcap") if isinstance(o, Operation)]
    assert [(o.name, o.category, o.count, o.detail) for o in ops] == [
        ("goose_state_change", "other", 4, {"appid": 0x150, "change": "st_num"})
    ]
    op = ops[0]
    assert (op.client_mac, op.server_mac, op.transport) == (
        "01:0c:cd:01:10:20",
        "50:7b:9d:76:77:d5",
        Transport.ETHERNET,
    )
    assert op.evidence.packet == 79


# --- behaviour on built frames ---

T = UtcTime(1_600_000_000, 0, 0x0A)


def _goose(
    st: int, sq: int, simulation: bool = False, s_bit: bool = False, value: Data | None = None
) -> bytes:
    data = value if value is not None else Data(DataKind.BOOLEAN, st % 2 == 0)
    pdu = GoosePdu(
        "IED1LD0/LLN0$GO$trip",
        2000,
        "IED1LD0/LLN0$Trip",
        "trip",
        T,
        st,
        sq,
        simulation,
        3,
        False,
        1,
        (data,),
    )
    frame = GooseFrame(0x0101, 0x8000 if s_bit else 0, 0, pdu)
    return ethernet(encode_goose(frame), ETHERTYPE_GOOSE, vlan=0)


def _ops(obs: list[Observation]) -> dict[str, int]:
    return {
        str(o.detail["change"]): o.count
        for o in obs
        if isinstance(o, Operation) and o.name == "goose_state_change"
    }


def _identities(obs: list[Observation], protocol: str) -> list[dict[str, str | int]]:
    return [o.fields for o in obs if isinstance(o, Identity) and o.protocol == protocol]


def test_state_changes_and_sequence_resets(tmp_path: Path) -> None:
    frames = [_goose(1, sq) for sq in range(4)]
    frames += [_goose(2, sq) for sq in range(3)]
    frames += [_goose(2, 0)]  # sqNum restarts without an event: a replay, or a reboot
    frames += [_goose(9, 0), _goose(2, 3)]  # an injected event, and the real publisher again
    obs = observe(write_pcap(tmp_path / "g.pcap", frames, step=0.01))
    assert _ops(obs) == {"st_num": 3, "sq_num_reset": 1}
    traffic = [o for o in obs if isinstance(o, Communication)]
    assert [(t.client_mac, t.server_mac, t.packets) for t in traffic] == [
        (":".join(f"{b:02x}" for b in GOOSE_GROUP), ":".join(f"{b:02x}" for b in PUBLISHER), 10)
    ]
    fields = _identities(obs, "goose")
    assert fields[0] == {
        "goose_gocb_ref": "IED1LD0/LLN0$GO$trip",
        "goose_dataset": "IED1LD0/LLN0$Trip",
        "goose_id": "trip",
        "goose_appid": 0x0101,
        "goose_conf_rev": 3,
    }
    assert not any(isinstance(o, ParseAnomaly) for o in obs)


@pytest.mark.parametrize(("simulation", "s_bit"), [(True, False), (False, True)])
def test_simulation_is_an_identity_fact(tmp_path: Path, simulation: bool, s_bit: bool) -> None:
    obs = observe(write_pcap(tmp_path / "g.pcap", [_goose(1, 0, simulation, s_bit)]))
    assert _identities(obs, "goose")[0]["goose_simulation"] == "true"


def test_broken_goose_frames_are_counted(tmp_path: Path) -> None:
    good = _goose(1, 0)
    cut = good[:40]
    # A bit string claiming 8 unused bits: the header and counters read fine,
    # the dataset does not.
    bad_value = _goose(1, 1, value=Data(DataKind.BIT_STRING, BitString(8, b"\x00")))
    obs = observe(write_pcap(tmp_path / "g.pcap", [good, cut, cut, bad_value, bad_value]))
    anomalies = {(a.kind, a.count) for a in obs if isinstance(a, ParseAnomaly)}
    assert anomalies == {("truncated", 2), ("bad_value", 2)}
    assert all("00:50:c2:00:00:01" in a.detail for a in obs if isinstance(a, ParseAnomaly))


def test_sampled_values_identity_per_stream(tmp_path: Path) -> None:
    le = bytes(64)
    frames = [
        ethernet(
            encode_sv(
                SvFrame(
                    0x4000,
                    0x8000 if i == 5 else 0,
                    0,
                    SavPdu(
                        2,
                        (
                            Asdu("MU01", "MU01LD0/LLN0$PhsMeas1", i, 1, None, 2, 4000, le),
                            Asdu("MU01", "MU01LD0/LLN0$PhsMeas1", i + 1, 1, None, 2, 4000, le),
                        ),
                    ),
                )
            ),
            ETHERTYPE_SV,
            dst=SV_GROUP,
        )
        for i in range(6)
    ]
    obs = observe(write_pcap(tmp_path / "s.pcap", frames, step=0.00025))
    fields = _identities(obs, "iec61850-sv")
    assert {
        "sv_id": "MU01",
        "sv_appid": 0x4000,
        "sv_conf_rev": 1,
        "sv_dataset": "MU01LD0/LLN0$PhsMeas1",
    } in fields
    assert any(f.get("sv_simulation") == "true" for f in fields)
    traffic = [o for o in obs if isinstance(o, Communication)]
    assert [(t.protocol, t.packets) for t in traffic] == [("iec61850-sv", 6)]


def test_broken_sampled_values_are_counted_per_frame(tmp_path: Path) -> None:
    frame = ethernet(b"\x40\x00\x00\x20\x00\x00\x00\x00\x60\x03\x80\x01\x01", ETHERTYPE_SV)
    obs = observe(write_pcap(tmp_path / "s.pcap", [frame] * 3))
    anomalies = [a for a in obs if isinstance(a, ParseAnomaly)]
    assert [(a.protocol, a.count) for a in anomalies] == [("iec61850-sv", 3)]
