"""The PROFINET sensor on frames built for the purpose: roles, operations, identity,
anomalies, and that hostile bytes are counted, never raised."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otm.capture.frames import ethernet
from otm.inventory.builder import build_inventory
from otm.observations.records import (
    Communication,
    Identity,
    Observation,
    Operation,
    ParseAnomaly,
    Transport,
)
from otm.protocols.profinet import (
    DcpBlock,
    DcpPdu,
    RtFrame,
    device_id_value,
    encode_dcp,
    encode_rt,
    identify_request,
    ip_value,
)
from otm.sensing.profinet import DCP, RT, ProfinetSensor
from sensor_support import numbered, sense

CONTROLLER = "00:1b:1b:00:00:01"
DEVICE = "00:1b:1b:00:00:02"
TOOL = "00:0c:29:00:00:03"
HELLO_GROUP = "01:0e:cf:00:00:01"
IDENTIFY_GROUP = "01:0e:cf:00:00:00"
B = DcpBlock


def pn(dst: str, src: str, payload: bytes, vlan: int | None = None) -> bytes:
    return ethernet(dst, src, 0x8892, payload, vlans=(vlan,) if vlan is not None else (), pad=True)


def run(*frames: bytes) -> list[Observation]:
    return sense([ProfinetSensor()], numbered(frames))


def of(kind: type, observations: list[Observation]) -> list[Any]:
    return [o for o in observations if isinstance(o, kind)]


def test_cyclic_rt_counts_per_producer_and_consumer() -> None:
    out = encode_rt(RtFrame(0x8001, bytes(40), 1, 0x35, 0))
    inp = encode_rt(RtFrame(0x8002, bytes(40), 1, 0x35, 0))
    obs = run(pn(DEVICE, CONTROLLER, out), pn(CONTROLLER, DEVICE, inp), pn(DEVICE, CONTROLLER, out))
    comms = {(c.client_mac, c.server_mac): c for c in of(Communication, obs)}
    assert comms[(DEVICE, CONTROLLER)].packets == 2  # the controller produces outputs
    assert comms[(CONTROLLER, DEVICE)].packets == 1  # the device produces inputs
    for c in comms.values():
        assert (c.protocol, c.transport, c.port) == (RT, Transport.ETHERNET, 0)
        assert c.bytes % 60 == 0  # Ethernet header + padded payload
    assert not of(Operation, obs) and not of(ParseAnomaly, obs)
    inv = build_inventory(obs)
    roles = {(sorted(a.macs)[0], s.role) for a in inv.assets.values() for s in a.services}
    assert roles == {(CONTROLLER, "server"), (CONTROLLER, "client"), (DEVICE, "server"),
                     (DEVICE, "client")}  # fmt: skip


def test_alarms_and_ptcp_are_rt_traffic_of_their_sender() -> None:
    alarm = encode_rt(RtFrame(0xFC01, bytes(30)))
    ptcp = encode_rt(RtFrame(0xFF00, bytes(30)))
    obs = run(pn(CONTROLLER, DEVICE, alarm), pn("01:0e:cf:00:04:00", DEVICE, ptcp))
    pairs = {(c.client_mac, c.server_mac, c.protocol) for c in of(Communication, obs)}
    assert pairs == {(CONTROLLER, DEVICE, RT), ("01:0e:cf:00:04:00", DEVICE, RT)}
    inv = build_inventory(obs)
    assert all(not m.startswith("01:0e:cf") for a in inv.assets.values() for m in a.macs)


def test_truncated_frames_are_anomalies() -> None:
    obs = run(
        pn(DEVICE, CONTROLLER, b"\x80"),  # padded to 46 bytes: not truncated, an RT frame
        ethernet(DEVICE, CONTROLLER, 0x8892, bytes.fromhex("8001aa")),  # unpadded: no status
        ethernet(DEVICE, CONTROLLER, 0x8892, b"\x80"),
        ethernet(DEVICE, CONTROLLER, 0x8892, bytes.fromhex("fefe0500")),
    )
    kinds = {(a.protocol, a.kind): a.count for a in of(ParseAnomaly, obs)}
    assert kinds == {(RT, "truncated"): 2, (DCP, "truncated"): 1}
    assert all(CONTROLLER in a.detail for a in of(ParseAnomaly, obs))
    assert sum(c.packets for c in of(Communication, obs)) == 1


def test_identify_request_and_response() -> None:
    request = encode_dcp(identify_request(0x11))
    response = encode_dcp(DcpPdu(0xFEFF, 5, 1, 0x11, 0, (
        B(2, 2, b"press-7 ", 0), B(2, 1, b"ET200SP", 0), B(2, 3, device_id_value(42, 0x313), 0),
        B(2, 4, b"\x01\x00", 0), B(1, 2, ip_value("10.1.1.7", "255.255.255.0", "10.1.1.1"), 1),
        B(2, 6, b"port-001.sw", 0), B(2, 7, b"\x00\x02", 0),
        B(2, 8, device_id_value(0x11E, 7), 0), B(2, 5, bytes.fromhex("0202"), 0),
    )))  # fmt: skip
    obs = run(pn(IDENTIFY_GROUP, TOOL, request), pn(TOOL, DEVICE, response, vlan=0))
    ops = of(Operation, obs)
    assert [(o.name, o.category, o.client_mac, o.server_mac) for o in ops] == [
        ("identify", "identify", TOOL, IDENTIFY_GROUP)
    ]
    (ident,) = of(Identity, obs)
    assert (ident.ip, ident.mac, ident.protocol) == (None, DEVICE, DCP)
    assert ident.fields == {
        "name": "press-7",
        "profinet_type_of_station": "ET200SP",
        "vendor_id": 42,
        "device_id": 0x313,
        "profinet_device_role": "io-device",
        "profinet_ip": "10.1.1.7",
        "profinet_netmask": "255.255.255.0",
        "profinet_gateway": "10.1.1.1",
        "profinet_alias_name": "port-001.sw",
        "profinet_device_instance": "0.2",
        "profinet_oem_vendor_id": 0x11E,
        "profinet_oem_device_id": 7,
    }
    assert ident.evidence.packet == 2 and ident.evidence.message == f"{DCP} identify response"
    inv = build_inventory(obs)
    (device,) = [a for a in inv.assets.values() if DEVICE in a.macs]
    assert device.fields["name"][0].value == "press-7"
    assert [(s.name, s.role) for s in device.services] == [(DCP, "server")]


def test_hello_and_get_response_teach_identity_and_unset_ip_is_skipped() -> None:
    hello = encode_dcp(DcpPdu(0xFEFC, 6, 0, 1, 0, (
        B(2, 2, b"new-dev", 0), B(1, 2, bytes(12), 0),
        B(1, 3, ip_value("10.0.0.9", "255.0.0.0", "0.0.0.0", ("10.0.0.53",) + ("0.0.0.0",) * 3),
          0),
    )))  # fmt: skip
    get_response = encode_dcp(DcpPdu(0xFEFD, 3, 1, 2, 0, (B(2, 3, device_id_value(1, 2), 0),)))
    obs = run(pn(HELLO_GROUP, DEVICE, hello), pn(CONTROLLER, DEVICE, get_response))
    fields = [i.fields for i in of(Identity, obs)]
    assert fields == [
        {"name": "new-dev", "profinet_ip": "10.0.0.9", "profinet_netmask": "255.0.0.0",
         "profinet_gateway": "0.0.0.0", "profinet_dns": "10.0.0.53"},
        {"vendor_id": 1, "device_id": 2},
    ]  # fmt: skip
    comms = {(c.client_mac, c.server_mac) for c in of(Communication, obs)}
    assert comms == {(HELLO_GROUP, DEVICE), (CONTROLLER, DEVICE)}
    assert not of(Operation, obs)


def test_set_blocks_are_operations_with_the_new_values() -> None:
    set_request = encode_dcp(DcpPdu(0xFEFD, 4, 0, 3, 0, (
        B(5, 1, b"", None, 0),
        B(1, 2, ip_value("192.168.0.99", "255.255.255.0", "192.168.0.1"), None, 1),
        B(2, 2, b"rogue", None, 1), B(5, 3, b"\x01\x00", None, 0), B(5, 6, b"", None, 2),
        B(5, 5, b"", None, 0), B(5, 2, b"", None, 0), B(2, 3, b"\0", None, 0),
    )))  # fmt: skip
    set_response = encode_dcp(DcpPdu(0xFEFD, 4, 1, 3, 0, (B(5, 4, b"\x01\x02\x00"),)))
    obs = run(pn(DEVICE, TOOL, set_request), pn(TOOL, DEVICE, set_response))
    ops = {o.name: o for o in of(Operation, obs)}
    assert {n: o.category for n, o in ops.items()} == {
        "start_transaction": "control",
        "set_ip": "write",
        "set_name_of_station": "write",
        "signal": "control",
        "reset_to_factory": "control",
        "factory_reset": "control",
        "end_transaction": "control",
        "set_device_id": "write",
    }
    assert ops["set_ip"].detail == {
        "ip": "192.168.0.99",
        "netmask": "255.255.255.0",
        "gateway": "192.168.0.1",
        "qualifier": 1,
    }
    assert ops["set_name_of_station"].detail == {"name_of_station": "rogue", "qualifier": 1}
    assert ops["reset_to_factory"].detail == {"qualifier": 2}
    assert all((o.client_mac, o.server_mac) == (TOOL, DEVICE) for o in ops.values())
    # the malformed device id block is counted, and still an operation
    (bad,) = of(ParseAnomaly, obs)
    assert (bad.protocol, bad.kind) == (DCP, "bad_block_length")
    assert not of(Identity, obs)
    (comm,) = of(Communication, obs)
    assert (comm.client_mac, comm.server_mac, comm.packets) == (TOOL, DEVICE, 2)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=120), max_size=6), st.booleans())
def test_arbitrary_payloads_never_raise(payloads: list[bytes], dcp: bool) -> None:
    frames = []
    for p in payloads:
        body = (b"\xfe\xfd" + p) if dcp else p
        frames.append(ethernet(DEVICE, CONTROLLER, 0x8892, body))
    obs = run(*frames)
    counted = sum(c.packets for c in of(Communication, obs))
    counted += sum(a.count for a in of(ParseAnomaly, obs) if a.kind != "bad_block_length")
    assert counted == len(frames)
