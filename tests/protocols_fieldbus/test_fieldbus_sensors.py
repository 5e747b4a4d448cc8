"""The EtherCAT and CC-Link IE sensors on frames built for the purpose: who is client
and server, what counts as an operation, and that hostile bytes are counted, never
raised."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otm.capture.frames import ethernet
from otm.inventory.builder import build_inventory
from otm.observations.records import Communication, Observation, Operation, ParseAnomaly
from otm.protocols import cclink
from otm.protocols.ethercat import Datagram, EthercatFrame, encode_frame
from otm.sensing.fieldbus import CCLINK_IE, ETHERCAT, CcLinkSensor, EthercatSensor
from otm.sensing.registry import Sensor
from sensor_support import numbered, sense

MASTER = "00:01:05:11:22:33"
RETURNED = "02:01:05:11:22:33"  # the master's MAC with the locally administered bit
BROADCAST = "ff:ff:ff:ff:ff:ff"
STATION_1 = "00:26:92:00:00:01"
STATION_2 = "00:26:92:00:00:02"

CYCLE = EthercatFrame(
    1,
    (
        Datagram(12, 1, 0x00010000, 0, bytes(8), 0),  # LRW process data
        Datagram(7, 2, 0x01300000, 0, bytes(2), 0),  # BRD AL status
        Datagram(12, 3, 0x00020000, 0, bytes(8), 0),
    ),
)
TO_OP = EthercatFrame(1, (Datagram(5, 4, 0x01201001, 0, b"\x08\x00", 0),))  # FPWR AL control
TO_BOOT = EthercatFrame(1, (Datagram(8, 5, 0x01200000, 0, b"\x03\x00", 0),))  # BWR AL control


def walk(sensors: list[Sensor], frames: list[bytes]) -> list[Observation]:
    """Observations of the sensors over Ethernet frames numbered from 1, 1 ms apart."""
    return sense(sensors, numbered(frames, step=0.001))


def ecat(src: str, frame: EthercatFrame, dst: str = BROADCAST) -> bytes:
    return ethernet(dst, src, 0x88A4, encode_frame(frame), pad=True)


def of(kind: type, observations: list[Observation]) -> list[Any]:
    return [o for o in observations if isinstance(o, kind)]


def _ops(observations: list[Observation]) -> dict[str, tuple[int, str, str, str]]:
    return {
        o.name: (o.count, o.category, o.client_mac, o.server_mac)
        for o in of(Operation, observations)
    }


def test_master_frames_count_datagrams_once_when_both_directions_are_captured() -> None:
    frames = [ecat(MASTER, CYCLE), ecat(RETURNED, CYCLE)] * 3 + [ecat(MASTER, TO_OP)]
    obs = walk([EthercatSensor()], frames)
    assert _ops(obs) == {
        "lrw": (6, "write", MASTER, BROADCAST),
        "brd": (3, "read", MASTER, BROADCAST),
        "fpwr": (1, "write", MASTER, BROADCAST),
        "al_control_op": (1, "control", MASTER, BROADCAST),
    }
    comms = {(c.client_mac, c.server_mac): c.packets for c in of(Communication, obs)}
    assert comms == {(MASTER, BROADCAST): 4, (MASTER, RETURNED): 3}
    assert all(c.protocol == ETHERCAT for c in of(Communication, obs))
    inv = build_inventory(obs)
    roles = {(m, s.role) for a in inv.assets.values() for m in a.macs for s in a.services}
    assert roles == {(MASTER, "client"), (RETURNED, "server")}


def test_a_capture_of_the_return_path_only_still_counts() -> None:
    obs = walk([EthercatSensor()], [ecat(RETURNED, CYCLE), ecat(RETURNED, TO_BOOT)])
    assert _ops(obs) == {
        "lrw": (2, "write", BROADCAST, RETURNED),
        "brd": (1, "read", BROADCAST, RETURNED),
        "bwr": (1, "write", BROADCAST, RETURNED),
        "al_control_bootstrap": (1, "control", BROADCAST, RETURNED),
    }


def test_mailbox_frames_are_traffic_only() -> None:
    obs = walk([EthercatSensor()], [ecat(MASTER, EthercatFrame(5, (), bytes(20)))])
    assert not of(Operation, obs)
    assert [c.packets for c in of(Communication, obs)] == [1]


def test_broken_ethercat_frames_are_anomalies() -> None:
    bad_length = bytearray(encode_frame(CYCLE))
    bad_length[0] += 1
    frames = [
        ethernet(BROADCAST, MASTER, 0x88A4, b"\x00"),
        ethernet(BROADCAST, MASTER, 0x88A4, (0x2000).to_bytes(2, "little")),
        ethernet(BROADCAST, MASTER, 0x88A4, bytes(bad_length) + b"\0"),
    ]
    obs = walk([EthercatSensor()], frames)
    kinds = sorted(a.kind for a in of(ParseAnomaly, obs))
    assert kinds == ["length_mismatch", "truncated", "unknown_type"]
    assert all(a.protocol == ETHERCAT and MASTER in a.detail for a in of(ParseAnomaly, obs))
    assert not of(Communication, obs) and not of(Operation, obs)


def cc(src: str, dst: str, frame_type: int, body: bytes = b"data") -> bytes:
    payload = bytes((frame_type,)) + cclink.field_header(source_node=1) + body
    return ethernet(dst, src, 0x890F, payload, pad=True)


def test_cclink_senders_are_servers_and_transients_are_operations() -> None:
    frames = [
        cc(STATION_1, BROADCAST, 0x83),  # master: cyclic RY to all
        cc(STATION_2, BROADCAST, 0x85),  # station 2: cyclic RX
        cc(STATION_1, STATION_2, 0x22),  # transient1 request
        cc(STATION_2, STATION_1, 0x23),  # transient ack
        cc(STATION_1, BROADCAST, 0x15),  # token
        cc(STATION_1, BROADCAST, 0x99),  # an unknown (TSN) frame type: still CC-Link IE
    ]
    obs = walk([CcLinkSensor()], frames)
    comms = {(c.client_mac, c.server_mac): c.packets for c in of(Communication, obs)}
    assert comms == {
        (BROADCAST, STATION_1): 3,
        (BROADCAST, STATION_2): 1,
        (STATION_2, STATION_1): 1,
        (STATION_1, STATION_2): 1,
    }
    assert all(c.protocol == CCLINK_IE for c in of(Communication, obs))
    assert _ops(obs) == {
        "transient1": (1, "other", STATION_1, STATION_2),
        "transient_ack": (1, "other", STATION_2, STATION_1),
    }
    assert not of(ParseAnomaly, obs)


def test_truncated_cclink_frames_are_anomalies() -> None:
    frames = [
        ethernet(BROADCAST, STATION_1, 0x890F, b""),
        ethernet(BROADCAST, STATION_1, 0x890F, b"\x83" + bytes(5)),
    ]
    obs = walk([CcLinkSensor()], frames)
    assert [(a.kind, a.count) for a in of(ParseAnomaly, obs)] == [("truncated", 2)]
    assert not of(Communication, obs)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from((0x88A4, 0x890F)), st.binary(max_size=150), st.booleans()),
        max_size=8,
    )
)
def test_arbitrary_payloads_never_raise(frames: list[tuple[int, bytes, bool]]) -> None:
    built = [ethernet(BROADCAST, RETURNED if r else MASTER, t, p) for t, p, r in frames]
    obs = walk([EthercatSensor(), CcLinkSensor()], built)
    counted = sum(c.packets for c in of(Communication, obs))
    counted += sum(a.count for a in of(ParseAnomaly, obs))
    assert counted == len(built)
