"""Edge cases of the HART-IP codec, each named after its edge."""

from __future__ import annotations

import re

import pytest
from hartip_support import HART5, HART7, LONG7, RECORD7, TAG7

from otm.protocols.common import (
    CATEGORIES,
    CONTROL,
    DIAGNOSTIC,
    IDENTIFY,
    INVALID,
    NEED_DATA,
    READ,
    SESSION,
    WRITE,
    Anomaly,
)
from otm.protocols.hartip import (
    COMMAND_NAMES,
    DirectCommand,
    DirectPdu,
    ErrorBody,
    HartIpAnomaly,
    HartIpMessage,
    HartPdu,
    RawBody,
    SessionInitiate,
    command_category,
    command_name,
    decode_direct_pdu,
    decode_hart_pdu,
    decode_long_tag,
    decode_message,
    decode_tag_descriptor_date,
    decode_unique_identifier,
    encode_hart_pdu,
    encode_message,
    encode_tag_descriptor_date,
    encode_unique_identifier,
    frame_length,
    message_name,
    pack_ascii,
    peek_command,
    read_request,
    session_initiate_request,
    split_datagram,
    unpack_ascii,
)
from otm.protocols.hartip.constants import MESSAGE_CATEGORIES, MessageId

K = HartIpAnomaly

COMMAND0 = read_request(3)
REPLY0 = encode_message(
    HartIpMessage(1, 1, 3, 0, 3, HartPdu(0x06, b"\x80", 0, encode_unique_identifier(HART7), 0, 0))
)


def test_command_0_request_and_reply_decode_field_by_field() -> None:
    request = decode_message(COMMAND0)
    assert request == HartIpMessage(1, 0, 3, 0, 3, HartPdu(0x02, b"\x80", 0, b""))
    reply = decode_message(REPLY0)
    assert isinstance(reply, HartIpMessage) and isinstance(reply.body, HartPdu)
    pdu = reply.body
    assert pdu.is_reply and not pdu.long_address and pdu.name == "read_unique_identifier"
    ident = decode_unique_identifier(pdu.data)
    assert ident == HART7
    assert (ident.manufacturer_id, ident.device_type, ident.hardware_revision) == (0x26, 0x2601, 4)
    assert ident.physical_signaling == 1 and ident.long_address == "2601123456"


def test_a_hart5_command_0_reply_takes_the_manufacturer_from_octet_1() -> None:
    ident = decode_unique_identifier(encode_unique_identifier(HART5))
    assert ident == HART5
    assert isinstance(ident, type(HART5))
    assert ident.manufacturer_id == 0x1A and ident.response_preambles is None


@pytest.mark.parametrize("cut", range(len(REPLY0)))
def test_truncation_at_every_octet_is_truncated(cut: int) -> None:
    part = REPLY0[:cut]
    result = decode_message(part)
    assert isinstance(result, Anomaly) and result.kind == K.TRUNCATED
    assert frame_length(part) in (NEED_DATA, len(REPLY0))


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x03\x00\x00\x00\x00\x01\x00\x08", K.UNSUPPORTED_VERSION),
        (b"\x01\x07\x00\x00\x00\x01\x00\x08", K.UNKNOWN_MESSAGE_TYPE),
        (b"\x01\x00\x02\x00\x00\x01\x00\x07", K.INVALID_LENGTH),
        (b"\x01\x00\x00\x00\x00\x01\x00\x0a\x00\x00", K.INVALID_LENGTH),  # session initiate
        (b"\x01\x00\x02\x00\x00\x01\x00\x09\x00", K.TRAILING_BYTES),  # keep alive with a body
        (COMMAND0 + b"\x00", K.TRAILING_BYTES),
        (COMMAND0[:-1] + b"\x00", K.BAD_CHECKSUM),
        (b"\x01\x00\x03\x00\x00\x01\x00\x0d\x07\x80\x00\x00\x87", K.BAD_DELIMITER),
        (b"\x01\x01\x03\x00\x00\x01\x00\x0e\x06\x80\x00\x01\x00\x87", K.BYTE_COUNT_MISMATCH),
        (b"\x01\x01\x04\x00\x00\x01\x00\x09\x00", K.TRUNCATED),  # direct PDU of 1 octet
    ],
    ids=[
        "version_3",
        "message_type_7",
        "byte_count_below_header",
        "short_session_initiate",
        "keep_alive_with_body",
        "octet_after_byte_count",
        "bad_check_byte",
        "frame_type_7",
        "reply_without_status",
        "direct_pdu_without_status",
    ],
)
def test_broken_messages_are_named(data: bytes, kind: HartIpAnomaly) -> None:
    result = decode_message(data)
    assert isinstance(result, Anomaly) and result.kind == kind


def test_the_framer_checks_version_type_and_id_as_soon_as_buffered() -> None:
    assert frame_length(b"") == NEED_DATA
    assert frame_length(b"\x01") == NEED_DATA
    assert frame_length(b"\x00") == INVALID
    assert frame_length(b"\x01\x05") == INVALID
    assert frame_length(b"\x01\x00\x05") == INVALID
    assert frame_length(b"\x01\x00\x03\x00\x00\x01\x00") == NEED_DATA
    assert frame_length(b"\x01\x00\x03\x00\x00\x01\x00\x07") == INVALID
    assert frame_length(COMMAND0) == len(COMMAND0)
    assert frame_length(b"\xff" + COMMAND0, 1) == len(COMMAND0)


def test_preambles_before_the_delimiter_are_tolerated_and_counted() -> None:
    pdu = HartPdu(0x02, b"\x80", 0, b"", preambles=5)
    data = encode_hart_pdu(pdu)
    assert data.startswith(b"\xff" * 5)
    assert decode_hart_pdu(data) == pdu
    too_many = decode_hart_pdu(b"\xff" * 21 + data[5:])
    assert isinstance(too_many, Anomaly) and too_many.kind == K.BAD_DELIMITER


def test_expansion_octets_follow_the_address() -> None:
    pdu = HartPdu(0x82 | (2 << 5), LONG7, 3, b"", expansion=b"\x01\x02")
    data = encode_hart_pdu(pdu)
    assert data[6:8] == b"\x01\x02" and data[8] == 3
    assert decode_hart_pdu(data) == pdu
    assert peek_command(data) == 3


def test_command_31_carries_a_16_bit_command_number() -> None:
    request = HartPdu(0x82, LONG7, 31, b"\x02\x1a")
    reply = HartPdu(0x86, LONG7, 31, b"\x02\x1a\x13\xc6", 0, 0)
    assert request.command_number == 538 and request.command_data == b""
    assert reply.command_number == 538 and reply.command_data == b"\x13\xc6"
    assert peek_command(encode_hart_pdu(request)) == 538
    assert peek_command(encode_hart_pdu(reply)) == 538
    assert request.name == "command_538"


def test_a_direct_pdu_lists_commands_and_their_response_codes() -> None:
    request = DirectPdu(0, 0, (DirectCommand(1, b""), DirectCommand(48, b"")))
    data = encode_message(HartIpMessage(2, 0, 4, 0, 1, request))
    assert data[8:] == bytes.fromhex("0000000100003000")
    assert decode_message(data) == HartIpMessage(2, 0, 4, 0, 1, request)
    reply = decode_direct_pdu(bytes.fromhex("0000000101000030020000"), reply=True)
    assert reply == DirectPdu(0, 0, (DirectCommand(1, b"", 0), DirectCommand(48, b"\x00", 0)))
    cut = decode_direct_pdu(bytes.fromhex("0000000105"), reply=False)
    assert isinstance(cut, Anomaly) and cut.kind == K.TRUNCATED
    empty_reply = decode_direct_pdu(bytes.fromhex("0000000100"), reply=True)
    assert isinstance(empty_reply, Anomaly) and empty_reply.kind == K.BYTE_COUNT_MISMATCH


def test_error_nak_and_unknown_message_bodies() -> None:
    error = decode_message(b"\x01\x03\x00\x00\x00\x01\x00\x09\x02")
    assert isinstance(error, HartIpMessage) and error.body == ErrorBody(2)
    nak = decode_message(b"\x01\x0f\x03\x00\x00\x01\x00\x0a\x02\x03")
    assert isinstance(nak, HartIpMessage) and nak.body == RawBody(b"\x02\x03")
    audit = decode_message(b"\x02\x00\x80\x00\x00\x01\x00\x0a\x00\x05")
    assert isinstance(audit, HartIpMessage) and audit.body == RawBody(b"\x00\x05")
    bare = decode_message(b"\x01\x01\x03\x00\x00\x01\x00\x08")
    assert isinstance(bare, HartIpMessage) and bare.body is None


def test_the_encoder_refuses_messages_no_decoder_returns() -> None:
    with pytest.raises(ValueError, match="version"):
        encode_message(HartIpMessage(3, 0, 2, 0, 0))
    with pytest.raises(ValueError, match="error body"):
        encode_message(HartIpMessage(1, 1, 0, 0, 0, ErrorBody(1)))
    with pytest.raises(ValueError, match="body"):
        encode_message(HartIpMessage(1, 0, 3, 0, 0, SessionInitiate(0, 1)))
    with pytest.raises(ValueError, match="own body class"):
        encode_message(HartIpMessage(1, 0, 3, 0, 0, RawBody(b"\x00")))
    with pytest.raises(ValueError, match="empty body is None"):
        encode_message(HartIpMessage(1, 0, 128, 0, 0, RawBody(b"")))
    with pytest.raises(ValueError, match="response code"):
        encode_message(HartIpMessage(1, 0, 4, 0, 0, DirectPdu(0, 0, (DirectCommand(1, b"", 0),))))
    with pytest.raises(ValueError, match="5-octet address"):
        encode_hart_pdu(HartPdu(0x82, b"\x80", 0, b""))
    with pytest.raises(ValueError, match="STX has no status"):
        encode_hart_pdu(HartPdu(0x02, b"\x80", 0, b"", 0, 0))
    with pytest.raises(ValueError, match="reply carries"):
        encode_hart_pdu(HartPdu(0x06, b"\x80", 0, b""))


def test_tag_replies_decode_and_round_trip() -> None:
    record = decode_tag_descriptor_date(encode_tag_descriptor_date(RECORD7))
    assert record == RECORD7
    assert decode_long_tag(TAG7.encode().ljust(32, b"\x00")) == TAG7
    assert unpack_ascii(bytes.fromhex("0a0093")) == "B BS"  # 6-bit codes 02 20 02 13
    with pytest.raises(ValueError, match="packed ASCII"):
        pack_ascii("tag~", 6)
    with pytest.raises(ValueError, match="does not fit"):
        pack_ascii("NINE CHAR", 6)
    short = decode_long_tag(b"abc")
    assert isinstance(short, Anomaly) and short.kind == K.TRUNCATED


def test_split_datagram_cuts_messages_by_byte_count() -> None:
    assert split_datagram(COMMAND0 + REPLY0) == [COMMAND0, REPLY0]
    assert split_datagram(COMMAND0 + b"\x01\x00") == [COMMAND0, b"\x01\x00"]
    assert split_datagram(b"\x01\x00\x02\x00\x00\x00\x00\x03") == [
        b"\x01\x00\x02\x00\x00\x00\x00\x03"
    ]


def test_the_read_only_request_builder_refuses_writes_and_control() -> None:
    for command in (6, 17, 18, 22, 38, 40, 41, 42, 43, 45):
        with pytest.raises(ValueError, match="not read-only"):
            read_request(1, command, LONG7)
    with pytest.raises(ValueError, match="unique address"):
        read_request(1, 20)
    assert decode_message(read_request(1, 48, LONG7)) is not None
    assert decode_message(session_initiate_request(9)) == HartIpMessage(
        1, 0, 0, 0, 9, SessionInitiate(0, 30000)
    )


def test_universal_commands_0_to_48_are_named_and_categorised() -> None:
    for command in (0, 1, 2, 3, 6, 7, 8, 9, *range(11, 23), 38, 48, *range(33, 48)):
        name = command_name(command)
        assert re.fullmatch(r"[a-z]+(_[a-z0-9]+)*", name), command
        assert command_category(command) in CATEGORIES
    assert set(COMMAND_NAMES) <= set(range(49))
    assert command_name(130) == "command_130" and command_category(130) == "other"
    expected = {
        0: IDENTIFY, 1: READ, 3: READ, 6: WRITE, 17: WRITE, 18: WRITE, 19: WRITE, 22: WRITE,
        20: IDENTIFY, 38: WRITE, 40: CONTROL, 41: DIAGNOSTIC, 42: CONTROL, 44: WRITE,
        48: DIAGNOSTIC,
    }  # fmt: skip
    assert {c: command_category(c) for c in expected} == expected


def test_message_ids_are_named_and_categorised() -> None:
    assert message_name(MessageId.SESSION_INITIATE) == "session_initiate"
    assert message_name(MessageId.READ_AUDIT_LOG) == "read_audit_log"
    assert message_name(77) == "message_77"
    assert MESSAGE_CATEGORIES[MessageId.KEEP_ALIVE] == SESSION
    assert MESSAGE_CATEGORIES[MessageId.READ_AUDIT_LOG] == DIAGNOSTIC
