"""The PROFINET codec against tshark, the oracle, field by field.

Every EtherType 0x8892 frame of the shared captures with PROFINET DCP (see
``DCP_CAPTURES``) and a set of frames built with our encoder (every DCP
service, every block kind, cyclic and acyclic RT classes) are decoded by
tshark (``-T fields``, one list per Wireshark field name) and by our codec;
from our message alone the test derives the list tshark must show for each
field, in tree order, and requires equality frame by frame.
"""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

import pytest
from profinet_strategies import DCP_CAPTURES, profinet_frames

from conftest import PCAPS
from otm.capture.frames import ethernet
from otm.capture.writer import PcapWriter
from otm.protocols.common import Anomaly
from otm.protocols.profinet import (
    ControlResponse,
    DcpBlock,
    DcpPdu,
    DeviceId,
    DeviceInstance,
    DeviceRole,
    FullIpSuite,
    IpParameter,
    OemDeviceId,
    RtFrame,
    block_value,
    decode_dcp,
    decode_rt,
    device_id_value,
    encode_dcp,
    encode_rt,
    ip_value,
)
from tshark_support import tshark_fields

pytestmark = pytest.mark.tshark

RT_FIELDS = ["pn_rt.frame_id", "pn_rt.cycle_counter", "pn_rt.ds", "pn_rt.transfer_status"]
DCP_FIELDS = [
    "pn_dcp.service_id",
    "pn_dcp.service_type",
    "pn_dcp.xid",
    "pn_dcp.response_delay",
    "pn_dcp.reserved16",
    "pn_dcp.data_length",
    "pn_dcp.option",
    "pn_dcp.suboption_ip",
    "pn_dcp.suboption_device",
    "pn_dcp.suboption_dhcp",
    "pn_dcp.suboption_control",
    "pn_dcp.suboption_deviceinitiative",
    "pn_dcp.suboption_all",
    "pn_dcp.block_length",
    "pn_dcp.block_info",
    "pn_dcp.suboption_ip_block_info",
    "pn_dcp.block_qualifier",
    "pn_dcp.block_qualifier_reset",
    "pn_dcp.suboption_ip_mac_address",
    "pn_dcp.suboption_ip_ip",
    "pn_dcp.suboption_ip_subnetmask",
    "pn_dcp.suboption_ip_standard_gateway",
    "pn_dcp.suboption_device_devicevendorvalue",
    "pn_dcp.suboption_device_nameofstation",
    "pn_dcp.suboption_device_aliasname",
    "pn_dcp.suboption_vendor_id",
    "pn_dcp.suboption_device_id",
    "pn_dcp.suboption_device_role",
    "pn_dcp.reserved8",
    "pn_dcp.suboption_device_instance",
    "pn_dcp.suboption_device_oem_ven_id",
    "pn_dcp.suboption_device_oem_dev_id",
    "pn_dcp.suboption_device_rsi_properties_value",
    "pn_dcp.suboption_control_option",
    "pn_dcp.block_error",
    "pn_dcp.suboption_control_signal_value",
    "pn_dcp.deviceinitiative_value",
]
FIELDS = ["frame.number", *RT_FIELDS, *DCP_FIELDS]

SUBOPTION_FIELD = {
    0x01: "pn_dcp.suboption_ip",
    0x02: "pn_dcp.suboption_device",
    0x03: "pn_dcp.suboption_dhcp",
    0x05: "pn_dcp.suboption_control",
    0x06: "pn_dcp.suboption_deviceinitiative",
    0xFF: "pn_dcp.suboption_all",
}
"""Option -> the field tshark files the suboption under (0x80-0xFE: suboption_manuf,
not compared; other options are dissected as reserved)."""


def _tshark(tshark: str, path: Path) -> dict[int, dict[str, list[str]]]:
    return tshark_fields(tshark, path, "pn_rt", FIELDS[1:])


def _expect_rt(frame: RtFrame, out: dict[str, list[str]]) -> None:
    out["pn_rt.frame_id"].append(str(frame.frame_id))
    if frame.cycle_counter is not None:
        out["pn_rt.cycle_counter"].append(str(frame.cycle_counter))
        out["pn_rt.ds"].append(f"0x{frame.data_status:02x}")
        out["pn_rt.transfer_status"].append(str(frame.transfer_status))


def _expect_value(block: DcpBlock, out: dict[str, list[str]]) -> None:
    value = block_value(block)
    assert not isinstance(value, Anomaly), (block, value)
    key = (block.option, block.suboption)
    match value:
        case IpParameter() | FullIpSuite():
            out["pn_dcp.suboption_ip_ip"].append(value.ip)
            out["pn_dcp.suboption_ip_subnetmask"].append(value.netmask)
            out["pn_dcp.suboption_ip_standard_gateway"].append(value.gateway)
            if isinstance(value, FullIpSuite):  # tshark reuses the three fields
                out["pn_dcp.suboption_ip_ip"].append(value.dns[0])
                out["pn_dcp.suboption_ip_subnetmask"].append(value.dns[1])
                out["pn_dcp.suboption_ip_standard_gateway"] += value.dns[2:]
        case DeviceId():
            out["pn_dcp.suboption_vendor_id"].append(f"0x{value.vendor_id:04x}")
            out["pn_dcp.suboption_device_id"].append(f"0x{value.device_id:04x}")
        case OemDeviceId():
            out["pn_dcp.suboption_device_oem_ven_id"].append(f"0x{value.vendor_id:04x}")
            out["pn_dcp.suboption_device_oem_dev_id"].append(f"0x{value.device_id:04x}")
        case DeviceRole():
            out["pn_dcp.suboption_device_role"].append(f"0x{value.role:02x}")
            out["pn_dcp.reserved8"].append(str(value.reserved))
        case DeviceInstance():
            out["pn_dcp.suboption_device_instance"] += [f"0x{value.high:02x}", f"0x{value.low:02x}"]
        case ControlResponse():
            out["pn_dcp.suboption_control_option"].append(str(value.option))
            if value.option in SUBOPTION_FIELD:
                out[SUBOPTION_FIELD[value.option]].append(str(value.suboption))
            out["pn_dcp.block_error"].append(str(value.error))
        case tuple():  # device options: (option, suboption) pairs
            for option, suboption in value:
                out["pn_dcp.option"].append(str(option))
                if option in SUBOPTION_FIELD:
                    out[SUBOPTION_FIELD[option]].append(str(suboption))
        case str():
            field = {
                (1, 1): "pn_dcp.suboption_ip_mac_address",
                (2, 1): "pn_dcp.suboption_device_devicevendorvalue",
                (2, 2): "pn_dcp.suboption_device_nameofstation",
                (2, 6): "pn_dcp.suboption_device_aliasname",
            }[key]
            if value:  # -T fields prints an empty string as no value at all
                out[field].append(value)
        case int():
            field = {
                (2, 10): "pn_dcp.suboption_device_rsi_properties_value",
                (5, 3): "pn_dcp.suboption_control_signal_value",
                (6, 1): "pn_dcp.deviceinitiative_value",
            }[key]
            shown = f"0x{value:04x}" if key != (6, 1) else str(value)
            # tshark adds the RSI properties twice: as the value and as its bit mask
            out[field] += [shown, shown] if key == (2, 10) else [shown]
        case _:
            pass  # None (qualifier-only blocks, All selector) and raw DHCP bytes


def _expect_dcp(pdu: DcpPdu, out: dict[str, list[str]]) -> None:
    out["pn_rt.frame_id"].append(str(pdu.frame_id))
    out["pn_dcp.service_id"].append(str(pdu.service_id))
    out["pn_dcp.service_type"].append(str(pdu.service_type))
    out["pn_dcp.xid"].append(f"0x{pdu.xid:08x}")
    identify_request = pdu.service_id == 5 and pdu.is_request
    delay = "pn_dcp.response_delay" if identify_request else "pn_dcp.reserved16"
    out[delay].append(str(pdu.response_delay))
    selectors = pdu.service_id == 3 and pdu.is_request
    out["pn_dcp.data_length"].append(str(len(encode_dcp(pdu)) - 12))
    for block in pdu.blocks:
        out["pn_dcp.option"].append(str(block.option))
        if block.option in SUBOPTION_FIELD:
            out[SUBOPTION_FIELD[block.option]].append(str(block.suboption))
        if selectors:
            continue
        out["pn_dcp.block_length"].append(str(block.length))
        if block.info is not None:
            info = "suboption_ip_block_info" if (block.option, block.suboption) == (1, 2) else ""
            out[f"pn_dcp.{info or 'block_info'}"].append(str(block.info))
        if block.qualifier is not None:
            reset = block.option == 5 and block.suboption in (5, 6)
            field = "pn_dcp.block_qualifier_reset" if reset else "pn_dcp.block_qualifier"
            out[field].append(str(block.qualifier))
        _expect_value(block, out)


def _expected(payload: bytes) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    frame_id = int.from_bytes(payload[:2], "big")
    if 0xFEFC <= frame_id <= 0xFEFF:
        pdu = decode_dcp(payload)
        assert isinstance(pdu, DcpPdu), pdu
        _expect_dcp(pdu, out)
    else:
        frame = decode_rt(payload)
        assert isinstance(frame, RtFrame), frame
        _expect_rt(frame, out)
    return out


def _compare(shown: dict[str, list[str]], payload: bytes) -> list[str]:
    expected = _expected(payload)
    return [
        f"{name}: tshark {shown[name]} otm {expected.get(name, [])}"
        for name in FIELDS[1:]
        if shown[name] != expected.get(name, [])
    ]


@pytest.mark.parametrize("capture", DCP_CAPTURES)
def test_capture_frames_match_tshark(capture: str, tshark: str) -> None:
    shown = _tshark(tshark, PCAPS / capture)
    frames = profinet_frames(capture)
    assert frames and set(shown) == {f.frame for f in frames}
    mismatches = {f.frame: _compare(shown[f.frame], f.payload) for f in frames}
    assert not {k: v for k, v in mismatches.items() if v}


B = DcpBlock
_IP = ip_value("10.0.0.5", "255.0.0.0", "10.0.0.1")
_SUITE = ip_value("10.0.0.5", "255.0.0.0", "10.0.0.1", ("1.1.1.1", "2.2.2.2", "0.0.0.0", "4.4.4.4"))
BUILT: list[bytes] = [
    # Hello with every device-property block
    encode_dcp(DcpPdu(0xFEFC, 6, 0, 0x1234, 0, (
        B(2, 2, b"plc-1", 0), B(2, 1, b"S7-1500", 0), B(2, 3, device_id_value(42, 0x10E), 0),
        B(2, 4, b"\x03\x00", 0), B(1, 2, _IP, 1), B(2, 6, b"port-001.plc-1", 0),
        B(2, 7, b"\x00\x01", 0), B(2, 8, device_id_value(0x2A, 0x204), 0),
        B(6, 1, b"\x00\x01", 0), B(1, 1, bytes.fromhex("001b1b000001"), 0),
        B(1, 3, _SUITE, 0x81), B(2, 10, b"\x00\x3f", 0), B(2, 5, bytes.fromhex("02020102"), 0),
    ))),
    # Get request, Get response with an error block, Set with every control block
    encode_dcp(DcpPdu(0xFEFD, 3, 0, 7, 0, (B(2, 2), B(1, 2), B(255, 255)))),
    encode_dcp(DcpPdu(0xFEFD, 3, 1, 7, 0, (B(2, 2, b"dev", 0), B(5, 4, b"\x01\x02\x03")))),
    encode_dcp(DcpPdu(0xFEFD, 4, 0, 8, 0, (
        B(5, 1, b"", None, 0), B(5, 3, b"\x01\x00", None, 0), B(5, 5, b"", None, 0),
        B(5, 6, b"", None, 2), B(2, 6, b"alias", None, 1), B(3, 61, b"\x3d\x01\x01", None, 1),
        B(6, 1, b"\x00\x01", None, 0), B(2, 2, b"new-name", None, 1), B(1, 2, _IP, None, 0),
        B(5, 2, b"", None, 0),
    ))),
    encode_dcp(DcpPdu(0xFEFD, 4, 5, 9, 0, (B(5, 4, b"\x02\x02\x06"),))),
    encode_dcp(DcpPdu(0xFEFE, 5, 0, 10, 3, (
        B(2, 3, device_id_value(42, 1)), B(2, 6, b"x.y"), B(1, 2, _IP), B(2, 2, b"abc"),
    ))),
    encode_dcp(DcpPdu(0xFEFF, 5, 1, 10, 0, (B(2, 2, b"\0" * 4, 0), B(1, 2, bytes(12), 0)))),
]  # fmt: skip


def _rt_frames() -> list[bytes]:
    rng = random.Random(8892)
    out = []
    for frame_id in (0x0100, 0x8000, 0x8001, 0xBC00, 0xC000, 0xC123, 0xF800, 0xFBFF):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(36, 60)))
        counter, status = rng.randrange(0x10000), rng.choice((0x35, 0x25, 0x15, 0x04, 0xB5))
        out.append(encode_rt(RtFrame(frame_id, data, counter, status, rng.choice((0, 1)))))
    for frame_id in (0x0020, 0x0080, 0x1000, 0xFC01, 0xFE01, 0xFF00, 0xFF20, 0xFF40, 0xFF80):
        out.append(encode_rt(RtFrame(frame_id, bytes(40))))
    return out


def test_built_frames_match_tshark(tshark: str, tmp_path: Path) -> None:
    payloads = BUILT + _rt_frames()
    path = tmp_path / "built.pcap"
    with path.open("wb") as fh:
        writer = PcapWriter(fh)
        for i, payload in enumerate(payloads):
            frame = ethernet("01:0e:cf:00:00:01", "00:1b:1b:00:00:01", 0x8892, payload)
            writer.write(1000.0 + i, frame)
    shown = _tshark(tshark, path)
    assert len(shown) == len(payloads)
    mismatches = {i + 1: _compare(shown[i + 1], p) for i, p in enumerate(payloads)}
    assert not {k: v for k, v in mismatches.items() if v}
