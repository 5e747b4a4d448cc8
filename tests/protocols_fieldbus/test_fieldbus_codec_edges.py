"""Edge cases of the EtherCAT and CC-Link IE codecs: truncation at every byte, bad
lengths, unknown codes, names and categories."""

from __future__ import annotations

import pytest

from otm.protocols import cclink, ethercat
from otm.protocols.common import OTHER, READ, WRITE, Anomaly
from otm.protocols.ethercat import Datagram, EthercatAnomaly, EthercatFrame
from otm.protocols.ethercat.constants import al_control_operation

E = EthercatAnomaly
FRAME = EthercatFrame(
    1,
    (
        Datagram(7, 0x10, 0x01300000, 0, b"\x00\x00", 3),
        Datagram(12, 0x11, 0x00010000, 1, b"\x01\x02\x03\x04", 2, True),
        Datagram(4, 5, 0x01200003, 0, b"\x08\x00", 1),
    ),
)


def test_known_bytes() -> None:
    data = ethercat.encode_frame(FRAME)
    assert data[:2] == bytes.fromhex("2c10")  # length 44, type 1
    assert data[2:12] == bytes.fromhex("07100000300102800000")
    assert ethercat.scan_commands(data) == [7, 12, 4]
    d = FRAME.datagrams[2]
    assert (d.adp, d.ado, d.name, d.category) == (3, 0x120, "fprd", READ)


def test_truncated_at_every_byte() -> None:
    data = ethercat.encode_frame(FRAME)
    for cut in range(len(data)):
        got = ethercat.decode_frame(data[:cut])
        assert isinstance(got, Anomaly) and got.kind is E.TRUNCATED, cut
        assert ethercat.scan_commands(data[:cut]) == got


def test_unknown_type() -> None:
    got = ethercat.decode_frame((0x2000).to_bytes(2, "little"))
    assert isinstance(got, Anomaly) and got.kind is E.UNKNOWN_TYPE


def test_datagram_past_the_frame_length() -> None:
    data = bytearray(ethercat.encode_frame(FRAME))
    data[0] -= 1  # the header now claims one byte less than the datagrams use
    got = ethercat.decode_frame(bytes(data))
    assert isinstance(got, Anomaly) and got.kind is E.LENGTH_MISMATCH


def test_bytes_after_the_last_datagram() -> None:
    body = ethercat.encode_frame(EthercatFrame(1, (Datagram(1, 0, 0, 0, b"", 0),)))[2:]
    data = (len(body) + 3 | 0x1000).to_bytes(2, "little") + body + b"\0\0\0"
    got = ethercat.decode_frame(data)
    assert isinstance(got, Anomaly) and got.kind is E.LENGTH_MISMATCH


def test_more_bit_past_the_end() -> None:
    body = bytearray(ethercat.encode_frame(EthercatFrame(1, (Datagram(1, 0, 0, 0, b"", 0),)))[2:])
    body[7] |= 0x80  # "more datagrams follow", but none do
    data = (len(body) | 0x1000).to_bytes(2, "little") + bytes(body)
    got = ethercat.decode_frame(data)
    assert isinstance(got, Anomaly) and got.kind is E.LENGTH_MISMATCH


def test_empty_command_frame() -> None:
    got = ethercat.decode_frame((0x1000).to_bytes(2, "little"))
    assert isinstance(got, Anomaly) and got.kind is E.LENGTH_MISMATCH


def test_mailbox_frames_keep_their_body() -> None:
    frame = EthercatFrame(5, (), b"\x0a\x00mailbox")
    assert ethercat.decode_frame(ethercat.encode_frame(frame) + b"pad") == frame
    assert ethercat.scan_commands(ethercat.encode_frame(frame)) == []
    assert frame.type_name == "mailbox"


@pytest.mark.parametrize(
    ("command", "name", "category"),
    [
        (0, "nop", OTHER),
        (1, "aprd", READ),
        (2, "apwr", WRITE),
        (3, "aprw", WRITE),
        (4, "fprd", READ),
        (5, "fpwr", WRITE),
        (6, "fprw", WRITE),
        (7, "brd", READ),
        (8, "bwr", WRITE),
        (9, "brw", WRITE),
        (10, "lrd", READ),
        (11, "lwr", WRITE),
        (12, "lrw", WRITE),
        (13, "armw", WRITE),
        (14, "frmw", WRITE),
        (15, "command_0x0f", OTHER),
    ],
)
def test_command_names(command: int, name: str, category: str) -> None:
    assert (ethercat.command_name(command), ethercat.command_category(command)) == (name, category)


def test_al_control_names() -> None:
    assert al_control_operation(0x08) == "al_control_op"
    assert al_control_operation(0x13) == "al_control_bootstrap"  # with error acknowledge
    assert al_control_operation(0x07) == "al_control_0x7"


# --- CC-Link IE ---------------------------------------------------------------------


def test_cclink_field_frame() -> None:
    header = cclink.field_header(data_type=7, node_id=2, source_node=0x0102, protocol_version=1)
    frame = cclink.decode_frame(bytes((0x83,)) + header + b"cyclic")
    assert isinstance(frame, cclink.CcLinkFrame)
    assert (frame.name, frame.family, frame.kind) == ("cyclic_data_ry", "field", "cyclic")
    assert (frame.node_id, frame.source_node, frame.network) == (2, 0x0102, "cclink_ie_field")
    assert frame.payload == b"cyclic"


def test_cclink_control_frame() -> None:
    frame = cclink.decode_frame(bytes((0x06,)) + cclink.control_header(1, 5, 0x0001))
    assert isinstance(frame, cclink.CcLinkFrame)
    assert (frame.name, frame.network, frame.node_id, frame.source_node) == (
        "token",
        "cclink_ie_control",
        None,
        1,
    )


@pytest.mark.parametrize(("version", "network"), [(0, "cclink_ie_control"), (2, "cclink_ie_tsn"),
                                                  (9, "unknown")])  # fmt: skip
def test_cclink_protocol_versions(version: int, network: str) -> None:
    frame = cclink.decode_frame(b"\x15" + cclink.field_header(protocol_version=version))
    assert isinstance(frame, cclink.CcLinkFrame) and frame.network == network


def test_cclink_truncated_at_every_byte() -> None:
    data = b"\x22" + cclink.field_header() + b"transient"
    for cut in range(14):
        got = cclink.decode_frame(data[:cut])
        assert isinstance(got, Anomaly) and got.kind is cclink.CcLinkAnomaly.TRUNCATED


def test_cclink_unknown_type_is_kept_raw() -> None:
    frame = cclink.decode_frame(b"\x99tsn")
    assert isinstance(frame, cclink.CcLinkFrame)
    assert (frame.name, frame.family, frame.network, frame.header) == (
        "frame_type_0x99",
        None,
        "unknown",
        b"",
    )
    assert frame.source_node is None


def test_every_cclink_frame_type_has_a_unique_name() -> None:
    names = [row[0] for row in cclink.FRAME_TYPES.values()]
    assert len(names) == len(set(names)) == 37
