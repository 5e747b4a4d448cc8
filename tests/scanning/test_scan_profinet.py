"""The PROFINET probe: DCP Identify All, only on a named interface, nothing that sets.

The devices' answers are real: Identify responses of a Siemens S7-300 CP and
an X208 switch recorded in the shared captures (``ChangeIPUsingDCP.pcap`` and
``profinet-wireshark-bug.pcap``, frame 2 each).  Unit tests hand them to the
probe through a scripted transport; the live test replays them from two
namespaced "devices" (``scan_dcp_responder.py``) over a real bridge (slow,
root).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from scan_fake_io import FakeIo
from scan_netns_support import dcp_device, devices, identity, run_probe

from conftest import PCAPS
from live.plant_netns import namespaces_available, plant
from otm.capture.readers import open_capture
from otm.observations.records import AssetSeen, Identity, Observation
from otm.protocols.common import Anomaly
from otm.protocols.profinet import codec
from otm.protocols.profinet.constants import FrameId, ServiceId, ServiceType
from otm.protocols.profinet.messages import DcpBlock, DcpPdu
from otm.scanning.limits import Limits, VirtualClock
from otm.scanning.probe import Target
from otm.scanning.profinet import ProfinetProbe, classify, identify_answer, identify_fields
from otm.scanning.safety import OutOfScope, Request, Scope, UnsafeRequest, build, verify
from otm.scanning.transport import GuardedTransport, Reply

X208 = (PCAPS / "ChangeIPUsingDCP.pcap", 2, "08:00:06:93:cf:32")
S7_300 = (PCAPS / "profinet-wireshark-bug.pcap", 2, "00:02:e3:17:c7:50")


def recorded(capture: Path, number: int) -> bytes:
    """The DCP payload (FrameID first) of a recorded frame."""
    with open_capture(capture) as reader:
        for frame_no, _ts, _lt, data in reader:
            if frame_no == number:
                return data[18:] if data[12:14] == b"\x81\x00" else data[14:]
    raise AssertionError(f"no frame {number}")


def _with_xid(payload: bytes, xid: bytes) -> bytes:
    return payload[:4] + xid + payload[8:]


def _network(*answers: tuple[Path, int, str], stray: bool = False) -> FakeIo:
    def answer(iface: str, destination: str, ethertype: int, request: Request) -> list[Reply]:
        assert (destination, ethertype) == ("01:0e:cf:00:00:00", 0x8892)
        xid = request.payload[4:8]
        replies = [Reply(mac, _with_xid(recorded(c, n), xid)) for c, n, mac in answers]
        if stray:  # an answer to someone else's Identify, and a Set response
            capture, number, _ = answers[0]
            replies.append(Reply("02:00:00:00:00:99", recorded(capture, number)))
            set_ok = DcpPdu(FrameId.DCP_GET_SET, ServiceId.SET, ServiceType.RESPONSE_SUCCESS,
                            int.from_bytes(xid, "big"), 0, ())  # fmt: skip
            replies.append(Reply("02:00:00:00:00:98", codec.encode_dcp(set_ok)))
        return replies

    return FakeIo(ethernet_fn=answer)


def _run(io: FakeIo, target: Target) -> list[Observation]:
    limits = Limits(clock=VirtualClock())
    return asyncio.run(ProfinetProbe().run(target, io, limits))


# --- the catalog -------------------------------------------------------------------------------


def test_identify_all_reads_back_as_identify() -> None:
    payload = build("profinet", "identify_all", xid=0x01020304, response_delay=1)
    assert verify("profinet", payload) == ("identify", "identify")
    pdu = codec.decode_dcp(payload)
    assert not isinstance(pdu, Anomaly)
    assert (pdu.frame_id, pdu.service_id, pdu.service_type, pdu.xid) == (0xFEFE, 5, 0, 0x01020304)
    assert [(b.option, b.suboption) for b in pdu.blocks] == [(0xFF, 0xFF)]


@pytest.mark.parametrize("params", [{"xid": 1 << 32}, {"xid": 1, "response_delay": 0},
                                    {"xid": 1, "response_delay": 6401}])  # fmt: skip
def test_identify_refuses_out_of_range(params: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        build("profinet", "identify_all", **params)


def _set(*blocks: DcpBlock) -> bytes:
    pdu = DcpPdu(FrameId.DCP_GET_SET, ServiceId.SET, ServiceType.REQUEST, 7, 0, blocks)
    return codec.encode_dcp(pdu)


@pytest.mark.parametrize(
    ("blocks", "category"),
    [
        (
            (DcpBlock(1, 2, codec.ip_value("10.0.0.9", "255.255.255.0", "0.0.0.0"), qualifier=1),),
            "write",
        ),
        ((DcpBlock(2, 2, b"evil-station", qualifier=1),), "write"),
        ((DcpBlock(5, 3, b"\x01\x00", qualifier=0),), "control"),
        ((DcpBlock(5, 6, b"", qualifier=2),), "control"),
        (
            (
                DcpBlock(5, 1, b"", qualifier=0),
                DcpBlock(2, 2, b"x", qualifier=1),
                DcpBlock(5, 2, b"", qualifier=0),
            ),
            "control",
        ),
    ],
    ids=["set_ip", "set_name", "signal", "reset_to_factory", "transaction"],
)
def test_dcp_set_is_refused(blocks: tuple[DcpBlock, ...], category: str) -> None:
    payload = _set(*blocks)
    found = classify(payload)
    assert found is not None and found[1] == category
    with pytest.raises(UnsafeRequest):
        verify("profinet", payload)


def test_responses_and_hello_are_not_requests() -> None:
    hello = DcpPdu(FrameId.DCP_HELLO, ServiceId.HELLO, ServiceType.REQUEST, 1, 0, ())
    for payload in (recorded(*X208[:2]), codec.encode_dcp(hello), b"\xfe\xfe\x05"):
        with pytest.raises(UnsafeRequest):
            verify("profinet", payload)


# --- reading real answers ------------------------------------------------------------------------


def test_identify_answers_of_real_devices() -> None:
    x208 = identify_answer(recorded(*X208[:2]), 0x01000001)
    assert x208 is not None
    assert identify_fields(x208) == {
        "profinet_type_of_station": "INC",
        "name": "X208-BORD",
        "vendor_id": 42,
        "device_id": 0x0A01,
        "profinet_device_role": "io-device",
        "profinet_ip": "192.168.0.6",
        "profinet_netmask": "255.255.255.0",
        "profinet_gateway": "192.168.0.1",
    }
    s7 = identify_answer(recorded(*S7_300[:2]), 0x01000001)
    assert s7 is not None
    fields = identify_fields(s7)
    assert fields["profinet_type_of_station"] == "S7-300EC"
    assert (fields["vendor_id"], fields["device_id"]) == (42, 0x0101)
    assert fields["profinet_device_role"] == "io-controller"
    assert fields["profinet_ip"] == "192.168.0.11"
    assert identify_answer(recorded(*S7_300[:2]), 0x01000002) is None  # another Xid


# --- the probe on a scripted segment ---------------------------------------------------------


def test_probe_reports_each_answering_device() -> None:
    io = _network(X208, S7_300, stray=True)
    out = _run(io, Target("eth1", "interface", "scan-4"))
    assert [s.operation for s in io.sent] == ["identify"] and io.sent[0].where.startswith("eth1>")
    seen = {(o.mac, o.ip) for o in out if isinstance(o, AssetSeen)}
    assert seen == {(X208[2], "192.168.0.6"), (S7_300[2], "192.168.0.11")}
    ids = [o for o in out if isinstance(o, Identity)]
    assert {(o.protocol, o.ip) for o in ids} == {("profinet-dcp", None)}
    assert identity(out, mac=X208[2])["name"] == "X208-BORD"
    assert identity(out, mac=S7_300[2])["profinet_type_of_station"] == "S7-300EC"
    assert {o.evidence.ref for o in out} == {"scan-4"}


def test_only_interface_targets_are_probed() -> None:
    io = _network(X208)
    assert _run(io, Target("10.0.0.5")) == [] and io.sent == []
    assert ProfinetProbe().plan(Target("10.0.0.5")) == []
    (planned,) = ProfinetProbe().plan(Target("eth1", "interface"))
    assert (planned.where, planned.request.name) == ("ethernet", "identify_all")


def test_an_interface_the_user_did_not_name_is_refused() -> None:
    inner = _network(X208)
    limits = Limits(clock=VirtualClock())
    scope = Scope.parse(["192.168.0.0/24"], interfaces=["eth2"])
    io = GuardedTransport(inner, scope, limits, "profinet", frozenset({0}))
    with pytest.raises(OutOfScope):
        asyncio.run(ProfinetProbe().run(Target("eth1", "interface"), io, limits))
    assert inner.sent == []
    found = asyncio.run(ProfinetProbe().run(Target("eth2", "interface"), io, limits))
    assert identity(found, mac=X208[2])["name"] == "X208-BORD"


# --- live: recorded devices answering over a real bridge ----------------------------------------

live = pytest.mark.skipif(namespaces_available() is not None, reason=str(namespaces_available()))


@pytest.mark.slow
@live
def test_live_identify_all_over_a_bridge() -> None:
    macs = {"x208": X208[2], "cpu": S7_300[2], "scanner": "02:00:00:00:00:20",
            "bystander": "02:00:00:00:00:21"}  # fmt: skip
    with plant(macs) as p, devices() as procs:
        dcp_device(procs, p, "x208", X208[0], X208[1])
        dcp_device(procs, p, "cpu", S7_300[0], S7_300[1])
        spec = {"protocol": "profinet", "allow": ["10.77.0.0/24"], "interfaces": ["eth0"],
                "targets": [["eth0", "interface"]], "timeout": 1.0}  # fmt: skip
        out, stats = run_probe(p, "scanner", spec)
    assert identity(out, mac=X208[2])["name"] == "X208-BORD"
    assert identity(out, mac=S7_300[2])["profinet_type_of_station"] == "S7-300EC"
    assert {o.mac for o in out if isinstance(o, AssetSeen)} == {X208[2], S7_300[2]}
    assert stats["requests"] == 1 and stats["answers"] == 2
