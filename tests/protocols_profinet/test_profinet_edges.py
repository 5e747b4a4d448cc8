"""Edge cases of the PROFINET codec: truncation at every byte, bad lengths, unknown
codes, and the names and categories the sensor builds on."""

from __future__ import annotations

import pytest
from profinet_strategies import DCP_CAPTURES, CapturedFrame, profinet_frames

from otm.protocols.common import CONTROL, IDENTIFY, OTHER, READ, WRITE, Anomaly
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
    ProfinetAnomaly,
    RtFrame,
    block_value,
    decode_dcp,
    decode_rt,
    device_id_value,
    device_role_names,
    encode_dcp,
    frame_class,
    get_request,
    identify_request,
    ip_value,
    is_cyclic,
    set_operation,
    suboption_name,
)
from otm.protocols.profinet.constants import SERVICE_OPERATIONS

K = ProfinetAnomaly
CAPTURED = [f for c in DCP_CAPTURES for f in profinet_frames(c)]


def test_the_shared_captures_hold_dcp_frames() -> None:
    assert len(CAPTURED) == 4 + 14 + 4 + 4


@pytest.mark.parametrize("frame", CAPTURED, ids=lambda f: f"{f.capture}#{f.frame}")
def test_captured_pdu_re_encodes_to_its_bytes(frame: CapturedFrame) -> None:
    pdu = decode_dcp(frame.payload)
    assert isinstance(pdu, DcpPdu)
    data = encode_dcp(pdu)
    assert frame.payload.startswith(data)


@pytest.mark.parametrize("frame", CAPTURED[:4] + CAPTURED[18:20], ids=lambda f: f"#{f.frame}")
def test_dcp_truncated_at_every_byte_is_an_anomaly(frame: CapturedFrame) -> None:
    whole = decode_dcp(frame.payload)
    assert isinstance(whole, DcpPdu)
    end = 12 + int.from_bytes(frame.payload[10:12], "big")
    for cut in range(end):
        got = decode_dcp(frame.payload[:cut])
        assert isinstance(got, Anomaly), cut
        assert got.kind in (K.TRUNCATED, K.BAD_BLOCK_LENGTH)


def test_rt_truncation() -> None:
    for cut in range(6):
        got = decode_rt(bytes.fromhex("8001aabbccdd")[:cut])
        assert isinstance(got, Anomaly) and got.kind is K.TRUNCATED
    assert decode_rt(bytes.fromhex("8001") + b"\x12\x34\x35\x00") == RtFrame(
        0x8001, b"", 0x1234, 0x35, 0
    )
    # acyclic frames need only their FrameID
    assert decode_rt(bytes.fromhex("fc01")) == RtFrame(0xFC01, b"")


def test_cyclic_trailer_is_read_from_the_end() -> None:
    frame = decode_rt(bytes.fromhex("c001") + b"\x80" * 40 + bytes.fromhex("01023500"))
    assert isinstance(frame, RtFrame)
    assert (frame.cycle_counter, frame.data_status, frame.transfer_status) == (0x0102, 0x35, 0)
    assert frame.provider_running and frame.data_valid and frame.kind == "rt_class_1_legacy"
    stopped = decode_rt(bytes.fromhex("8000") + b"\0" * 40 + bytes.fromhex("00002500"))
    assert isinstance(stopped, RtFrame) and stopped.provider_running is False


def _header(service: int, kind: int, length: int, frame_id: int = 0xFEFD) -> bytes:
    return (
        frame_id.to_bytes(2, "big")
        + bytes((service, kind))
        + (1).to_bytes(4, "big")
        + b"\0\0"
        + length.to_bytes(2, "big")
    )


def test_unknown_service_and_type() -> None:
    got = decode_dcp(_header(7, 0, 0))
    assert isinstance(got, Anomaly) and got.kind is K.UNKNOWN_SERVICE
    got = decode_dcp(_header(4, 2, 0))
    assert isinstance(got, Anomaly) and got.kind is K.UNKNOWN_SERVICE_TYPE


def test_not_dcp_frame_id() -> None:
    got = decode_dcp(_header(5, 0, 0, frame_id=0x8000))
    assert isinstance(got, Anomaly) and got.kind is K.NOT_DCP


def test_data_length_past_the_frame() -> None:
    got = decode_dcp(_header(4, 1, 8) + bytes.fromhex("05040003"))
    assert isinstance(got, Anomaly) and got.kind is K.TRUNCATED


def test_block_length_past_the_data() -> None:
    got = decode_dcp(_header(4, 1, 8) + bytes.fromhex("050400090102000000"))
    assert isinstance(got, Anomaly) and got.kind is K.BAD_BLOCK_LENGTH


def test_half_a_block_header() -> None:
    got = decode_dcp(_header(5, 1, 6) + bytes.fromhex("020200000202"))
    assert isinstance(got, Anomaly) and got.kind is K.TRUNCATED


def test_odd_get_request() -> None:
    got = decode_dcp(_header(3, 0, 3) + bytes.fromhex("020201"))
    assert isinstance(got, Anomaly) and got.kind is K.TRUNCATED


def test_ethernet_padding_after_the_data_is_ignored() -> None:
    pdu = decode_dcp(_header(4, 1, 8) + bytes.fromhex("0504000301020000") + b"\0" * 30)
    assert isinstance(pdu, DcpPdu)
    assert pdu.blocks == (DcpBlock(5, 4, b"\x01\x02\x00"),)


def test_a_last_odd_block_without_padding_decodes() -> None:
    pdu = decode_dcp(_header(4, 1, 7) + bytes.fromhex("05040003010200"))
    assert isinstance(pdu, DcpPdu) and len(pdu.blocks) == 1


def test_short_block_in_an_info_context_has_no_info() -> None:
    pdu = decode_dcp(_header(5, 1, 6, 0xFEFF) + bytes.fromhex("020200014100"))
    assert isinstance(pdu, DcpPdu)
    assert pdu.blocks[0] == DcpBlock(2, 2, b"A", None, None)


B = DcpBlock
VALUES = [
    (B(1, 1, bytes.fromhex("001b1b000001")), "00:1b:1b:00:00:01"),
    (B(1, 2, ip_value("10.0.0.5", "255.0.0.0", "10.0.0.1")),
     IpParameter("10.0.0.5", "255.0.0.0", "10.0.0.1")),
    (B(1, 3, ip_value("1.2.3.4", "255.255.255.0", "1.2.3.1", ["8.8.8.8", "0.0.0.0", "0.0.0.0",
                                                                "9.9.9.9"])),
     FullIpSuite("1.2.3.4", "255.255.255.0", "1.2.3.1", ("8.8.8.8", "0.0.0.0", "0.0.0.0",
                                                          "9.9.9.9"))),
    (B(2, 1, b"S7-1500\0"), "S7-1500"),
    (B(2, 2, b"plc\xe9"), "plc\xe9"),  # not UTF-8: read as Latin-1
    (B(2, 3, device_id_value(42, 0x10E)), DeviceId(42, 0x10E)),
    (B(2, 4, b"\x0a\x00"), DeviceRole(0x0A, 0)),
    (B(2, 5, bytes.fromhex("02020103")), ((2, 2), (1, 3))),
    (B(2, 6, b"port-001.plc"), "port-001.plc"),
    (B(2, 7, b"\x01\x02"), DeviceInstance(1, 2)),
    (B(2, 8, device_id_value(0x2A, 0x204)), OemDeviceId(0x2A, 0x204)),
    (B(2, 10, b"\x00\x3f"), 0x3F),
    (B(3, 61, b"\x3d\x01\x01"), b"\x3d\x01\x01"),
    (B(5, 1, b"", qualifier=0), None),
    (B(5, 3, b"\x01\x00", qualifier=0), 0x0100),
    (B(5, 4, b"\x01\x02\x06"), ControlResponse(1, 2, 6)),
    (B(5, 6, b"", qualifier=8), None),
    (B(6, 1, b"\x00\x01"), 1),
    (B(0xFF, 0xFF), None),
    (B(0x80, 0x01, b"vendor"), b"vendor"),
]  # fmt: skip


@pytest.mark.parametrize(("block", "value"), VALUES, ids=lambda v: getattr(v, "name", ""))
def test_block_values(block: DcpBlock, value: object) -> None:
    assert block_value(block) == value


@pytest.mark.parametrize(
    "block",
    [B(1, 2, b"\0" * 11), B(1, 2, b"\0" * 13), B(2, 3, b"\0" * 3), B(2, 4, b"\0"),
     B(5, 4, b"\0" * 4), B(5, 1, b"\0"), B(2, 5, b"\0" * 3), B(0xFF, 0xFF, b"\0")],
)  # fmt: skip
def test_wrong_value_sizes_are_bad_block_length(block: DcpBlock) -> None:
    got = block_value(block)
    assert isinstance(got, Anomaly) and got.kind is K.BAD_BLOCK_LENGTH


def test_control_response_names() -> None:
    r = ControlResponse(2, 2, 3)
    assert (r.block_name, r.error_name) == ("name_of_station", "suboption_not_set")
    assert ControlResponse(2, 2, 0x42).error_name == "error_0x42"


def test_device_roles_are_comma_joined() -> None:
    assert device_role_names(0x01) == "io-device"
    assert device_role_names(0x0F) == "io-device,io-controller,io-multidevice,io-supervisor"
    assert device_role_names(0) == ""
    assert DeviceRole(2).names == "io-controller"


@pytest.mark.parametrize(
    ("frame_id", "name", "cyclic"),
    [
        (0x0000, "reserved", False),
        (0x0020, "ptcp_sync_with_follow_up", False),
        (0x0080, "ptcp_sync", False),
        (0x0100, "rt_class_3", True),
        (0x0FFF, "rt_class_3", True),
        (0x1000, "reserved", False),
        (0x8000, "rt_class_1", True),
        (0xBFFF, "rt_class_1", True),
        (0xC000, "rt_class_1_legacy", True),
        (0xFBFF, "rt_class_1_legacy", True),
        (0xFC00, "reserved", False),
        (0xFC01, "alarm_high", False),
        (0xFE01, "alarm_low", False),
        (0xFE02, "rsi", False),
        (0xFEFC, "dcp_hello", False),
        (0xFEFD, "dcp_get_set", False),
        (0xFEFE, "dcp_identify_request", False),
        (0xFEFF, "dcp_identify_response", False),
        (0xFF00, "ptcp_announce", False),
        (0xFF20, "ptcp_follow_up", False),
        (0xFF43, "ptcp_delay", False),
        (0xFF80, "fragmentation", False),
        (0xFFFF, "reserved", False),
    ],
)
def test_frame_classes(frame_id: int, name: str, cyclic: bool) -> None:
    assert frame_class(frame_id) == (name, cyclic)
    assert is_cyclic(frame_id) is cyclic


def test_every_frame_id_has_a_class() -> None:
    for frame_id in range(0x10000):
        name, cyclic = frame_class(frame_id)
        assert name and cyclic is is_cyclic(frame_id)


@pytest.mark.parametrize(
    ("option", "suboption", "name", "category"),
    [
        (1, 2, "set_ip", WRITE),
        (1, 3, "set_full_ip_suite", WRITE),
        (2, 2, "set_name_of_station", WRITE),
        (2, 6, "set_alias_name", WRITE),
        (3, 61, "set_dhcp_client_identifier", WRITE),
        (6, 1, "set_device_initiative", WRITE),
        (5, 1, "start_transaction", CONTROL),
        (5, 2, "end_transaction", CONTROL),
        (5, 3, "signal", CONTROL),
        (5, 5, "factory_reset", CONTROL),
        (5, 6, "reset_to_factory", CONTROL),
        (5, 4, "set_response", OTHER),
        (5, 9, "set_option_0x05_0x09", OTHER),
        (0x80, 1, "set_option_0x80_0x01", WRITE),
    ],
)
def test_set_operations(option: int, suboption: int, name: str, category: str) -> None:
    assert set_operation(option, suboption) == (name, category)


def test_identify_and_get_operations() -> None:
    assert SERVICE_OPERATIONS[5] == ("identify", IDENTIFY)
    assert SERVICE_OPERATIONS[3] == ("get", READ)


def test_unknown_suboption_names() -> None:
    assert suboption_name(2, 0x09) == "option_0x02_0x09"
    assert suboption_name(0xFF, 0xFF) == "all"


def test_read_only_requests_encode_as_devices_expect() -> None:
    # The Identify-all request of ChangeIPUsingDCP.pcap frame 1.
    assert encode_dcp(identify_request(0x01000001)) == bytes.fromhex(
        "fefe05000100000100010004ffff0000"
    )
    get = encode_dcp(get_request(7, [(2, 2), (1, 2)]))
    assert get == bytes.fromhex("fefd0300000000070000000402020102")
    assert decode_dcp(get) == get_request(7, [(2, 2), (1, 2)])
