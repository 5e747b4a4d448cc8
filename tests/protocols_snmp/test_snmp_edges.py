"""Edge cases of the SNMP codec, each named after its edge."""

from __future__ import annotations

import pytest

from otm.protocols.ber import encode_tlv
from otm.protocols.common import OTHER, READ, WRITE, Anomaly
from otm.protocols.snmp import (
    AGENT_PDUS,
    ENTERPRISE_VENDORS,
    MANAGER_PDUS,
    BulkPdu,
    CommunityMessage,
    Pdu,
    PduType,
    ScopedPdu,
    SnmpAnomaly,
    TrapPdu,
    UsmSecurityParameters,
    V3Message,
    ValueType,
    VarBind,
    decode_message,
    encode_message,
    encode_usm,
    encode_value,
    enterprise_number,
    enterprise_vendor,
    error_status_name,
    generic_trap_name,
    pdu_category,
    pdu_name,
    peek,
    smi,
)

K = SnmpAnomaly

GET_SYS_DESCR = bytes.fromhex(
    "302802010104067075626c6963a01b02030458aa020100020100300e300c06082b060102010101000500"
)
"""SNMP_NTP_SysLog_00000_20060404163209.pcap frame 154: v2c get sysDescr.0."""


def _message(*varbinds: VarBind, tag: int = PduType.RESPONSE) -> bytes:
    return encode_message(CommunityMessage(1, b"public", Pdu(tag, 7, 0, 0, tuple(varbinds))))


def _kind(data: bytes) -> object:
    result = decode_message(data)
    assert isinstance(result, Anomaly), result
    return result.kind


def _raw_varbind(value: bytes) -> bytes:
    """A v2c response whose only varbind holds ``value`` (raw BER), names 1.3.6.1.2.1.1.1.0."""
    vb = encode_tlv(0x30, smi.encode_oid("1.3.6.1.2.1.1.1.0") + value)
    pdu = encode_tlv(0xA2, bytes.fromhex("020107020100020100") + encode_tlv(0x30, vb))
    return encode_tlv(0x30, bytes.fromhex("020101") + encode_tlv(0x04, b"public") + pdu)


# --- truncation and lengths ----------------------------------------------------------------


def test_truncation_at_every_byte_is_truncated() -> None:
    messages = [
        GET_SYS_DESCR,
        _message(VarBind("1.3.6.1.2.1.1.5.0", ValueType.OCTET_STRING, b"plc-7")),
        encode_message(V3Message(1, 1500, b"\x07", 3, encode_usm(_usm()), _usm(), b"\x01" * 40)),
    ]
    for data in messages:
        for cut in range(len(data)):
            assert _kind(data[:cut]) == K.TRUNCATED, (data.hex(), cut)


def test_a_byte_after_the_message_is_trailing() -> None:
    assert _kind(GET_SYS_DESCR + b"\x00") == K.TRAILING_BYTES


def test_indefinite_length_is_refused() -> None:
    assert _kind(b"\x30\x80" + GET_SYS_DESCR[2:] + b"\x00\x00") == K.INVALID_LENGTH


def test_five_length_bytes_are_refused() -> None:
    assert _kind(b"\x30\x85\x00\x00\x00\x00\x26" + GET_SYS_DESCR[2:]) == K.INVALID_LENGTH


def test_long_form_lengths_for_short_contents_are_accepted() -> None:
    # Some agents always write two length bytes; the message is the same.
    padded = b"\x30\x82\x00" + GET_SYS_DESCR[1:]
    assert decode_message(padded) == decode_message(GET_SYS_DESCR)


def test_integers_with_leading_zero_bytes_are_accepted() -> None:
    # request-id 0x0458aa written in five bytes instead of three
    padded = GET_SYS_DESCR.replace(b"\x02\x03\x04\x58\xaa", b"\x02\x05\x00\x00\x04\x58\xaa")
    padded = bytes((0x30, len(padded) - 2)) + padded[2:]
    padded = padded.replace(b"\xa0\x1b", b"\xa0\x1d")
    result = decode_message(padded)
    assert isinstance(result, CommunityMessage)
    assert result == decode_message(GET_SYS_DESCR)
    assert encode_message(result) == GET_SYS_DESCR


def test_high_tag_number_form_is_unexpected() -> None:
    assert _kind(b"\x1f\x01\x00") == K.UNEXPECTED_TAG


def test_dns_on_port_161_is_not_snmp() -> None:
    query = bytes.fromhex("12340100000100000000000003777777076578616d706c6503636f6d0000010001")
    assert _kind(query) == K.UNEXPECTED_TAG
    assert peek(query) is None


# --- versions, PDUs, tags ----------------------------------------------------------------------


@pytest.mark.parametrize("version", [2, 4, -1, 255])
def test_unknown_versions(version: int) -> None:
    data = GET_SYS_DESCR.replace(b"\x02\x01\x01", smi.encode_integer(version)[:3], 1)
    if len(smi.encode_integer(version)) != 3:
        data = encode_tlv(0x30, smi.encode_integer(version) + GET_SYS_DESCR[5:])
    assert _kind(data) == K.UNKNOWN_VERSION


@pytest.mark.parametrize("tag", [0xA9, 0xAF, 0x30, 0x04])
def test_unknown_pdu_tags(tag: int) -> None:
    data = GET_SYS_DESCR.replace(b"\xa0\x1b", bytes((tag, 0x1B)))
    assert _kind(data) == K.UNKNOWN_PDU_TYPE
    assert peek(data) is None


def test_community_that_is_no_octet_string() -> None:
    assert _kind(GET_SYS_DESCR.replace(b"\x04\x06public", b"\x06\x06public")) == K.UNEXPECTED_TAG


@pytest.mark.parametrize("tag", [0x48, 0x01, 0x03, 0x0C, 0x83])
def test_values_that_are_no_smi_type(tag: int) -> None:
    assert _kind(_raw_varbind(bytes((tag, 1, 0)))) == K.INVALID_VALUE


def test_a_constructed_value_is_no_smi_type() -> None:
    assert _kind(_raw_varbind(b"\x30\x03\x02\x01\x00")) == K.INVALID_VALUE


@pytest.mark.parametrize("tag", [0x05, 0x80, 0x81, 0x82])
def test_empty_types_with_content(tag: int) -> None:
    assert _kind(_raw_varbind(bytes((tag, 1, 0)))) == K.INVALID_VALUE


def test_a_third_element_in_a_varbind_is_trailing() -> None:
    vb = encode_tlv(0x30, smi.encode_oid("1.3.6.1") + b"\x05\x00\x05\x00")
    pdu = encode_tlv(0xA2, bytes.fromhex("020107020100020100") + encode_tlv(0x30, vb))
    data = encode_tlv(0x30, bytes.fromhex("020101") + encode_tlv(0x04, b"public") + pdu)
    assert _kind(data) == K.TRAILING_BYTES


def test_bytes_after_the_varbind_list_are_trailing() -> None:
    pdu = encode_tlv(0xA0, bytes.fromhex("020107020100020100") + b"\x30\x00" + b"\x05\x00")
    data = encode_tlv(0x30, bytes.fromhex("020101") + encode_tlv(0x04, b"public") + pdu)
    assert _kind(data) == K.TRAILING_BYTES


# --- integers ---------------------------------------------------------------------------------


def test_empty_integer_is_invalid() -> None:
    assert _kind(_raw_varbind(b"\x02\x00")) == K.INVALID_INTEGER


def test_ten_byte_integer_is_invalid() -> None:
    assert _kind(_raw_varbind(b"\x02\x0a" + b"\x01" * 10)) == K.INVALID_INTEGER


def test_nine_byte_counter64_above_2_63_is_valid() -> None:
    result = decode_message(_raw_varbind(b"\x46\x09\x00" + b"\xff" * 8))
    assert isinstance(result, CommunityMessage)
    assert result.pdu.varbinds[0].value == 2**64 - 1


def test_counter32_above_its_range_is_invalid() -> None:
    assert _kind(_raw_varbind(b"\x41\x05\x01\x00\x00\x00\x00")) == K.INVALID_INTEGER


def test_counter32_without_its_leading_zero_is_read_unsigned() -> None:
    result = decode_message(_raw_varbind(b"\x41\x04\xff\xff\xff\xff"))
    assert isinstance(result, CommunityMessage)
    assert result.pdu.varbinds[0].value == 4294967295
    assert encode_value(ValueType.COUNTER32, 4294967295) == b"\x41\x05\x00\xff\xff\xff\xff"


def test_negative_integer_value() -> None:
    result = decode_message(_raw_varbind(b"\x02\x02\xff\x7f"))
    assert isinstance(result, CommunityMessage)
    assert result.pdu.varbinds[0].value == -129


# --- object identifiers ------------------------------------------------------------------------


def _oid_message(content: bytes) -> bytes:
    return _raw_varbind(encode_tlv(0x06, content))


def test_empty_oid_is_invalid() -> None:
    assert _kind(_oid_message(b"")) == K.INVALID_OID


def test_oid_ending_inside_a_sub_identifier_is_invalid() -> None:
    assert _kind(_oid_message(b"\x2b\x06\x81")) == K.INVALID_OID


def test_sub_identifier_above_2_32_is_invalid() -> None:
    assert _kind(_oid_message(b"\x2b\x90\x80\x80\x80\x00")) == K.INVALID_OID
    assert _kind(_oid_message(b"\x2b\x81\x80\x80\x80\x80\x00")) == K.INVALID_OID


def test_sub_identifier_of_2_32_minus_1_is_valid() -> None:
    oid = "1.3.4294967295"
    assert smi.encode_oid(oid) == b"\x06\x06\x2b\x8f\xff\xff\xff\x7f"
    result = decode_message(_raw_varbind(smi.encode_oid(oid)))
    assert isinstance(result, CommunityMessage)
    assert result.pdu.varbinds[0].value == oid


def test_128_arcs_are_valid_and_129_are_not() -> None:
    assert isinstance(decode_message(_oid_message(b"\x2b" + b"\x01" * 126)), CommunityMessage)
    assert _kind(_oid_message(b"\x2b" + b"\x01" * 127)) == K.INVALID_OID


def test_first_arc_2_takes_the_rest_of_the_first_sub_identifier() -> None:
    assert smi.oid(b"\x88\x37\x03", 0, 3) == "2.999.3"
    assert smi.encode_oid("2.999.3") == b"\x06\x03\x88\x37\x03"
    assert smi.oid(b"\x00", 0, 1) == "0.0"
    assert smi.oid(b"\x4f", 0, 1) == "1.39"
    assert smi.oid(b"\x50", 0, 1) == "2.0"


@pytest.mark.parametrize("oid", ["1", "3.1", "1.40", "0.40.1", "1.3.-1", "1.3.4294967296", "a.b"])
def test_oids_ber_cannot_carry_are_refused_by_the_encoder(oid: str) -> None:
    with pytest.raises(ValueError):
        smi.encode_oid(oid)


# --- traps, bulk, v3 -----------------------------------------------------------------------------


def test_v1_trap_fields() -> None:
    trap = TrapPdu("1.3.6.1.4.1.4329.6", bytes((192, 168, 0, 10)), 6, 17, 123456, ())
    wire = encode_message(CommunityMessage(0, b"public", trap))
    result = decode_message(wire)
    assert isinstance(result, CommunityMessage)
    assert result.pdu == trap
    assert trap.generic_trap_name == "enterprise_specific"
    assert trap.agent_address_text == "192.168.0.10"
    assert peek(wire)[:2] == (0, PduType.TRAP)  # type: ignore[index]


def test_v1_trap_with_a_wrong_agent_address_tag() -> None:
    pdu = encode_tlv(
        0xA4,
        smi.encode_oid("1.3.6.1.4.1.9")
        + b"\x04\x04\x0a\x00\x00\x01"  # an OCTET STRING where IpAddress (0x40) belongs
        + b"\x02\x01\x00\x02\x01\x00\x43\x01\x00\x30\x00",
    )
    data = encode_tlv(0x30, b"\x02\x01\x00" + encode_tlv(0x04, b"public") + pdu)
    assert _kind(data) == K.UNEXPECTED_TAG


def test_get_bulk_fields() -> None:
    bulk = BulkPdu(99, 1, 25, (VarBind("1.3.6.1.2.1.2.2.1", ValueType.NULL, None),))
    result = decode_message(encode_message(CommunityMessage(1, b"private", bulk)))
    assert isinstance(result, CommunityMessage)
    assert result.pdu == bulk
    assert bulk.name == "get_bulk"
    assert bulk.category == READ


def _usm(user: bytes = b"operator") -> UsmSecurityParameters:
    return UsmSecurityParameters(bytes.fromhex("800007e580c6e2b25e"), 3, 1234, user, b"", b"")


def test_v3_encrypted_message_keeps_its_user_and_ciphertext() -> None:
    message = V3Message(5, 65507, b"\x07", 3, encode_usm(_usm()), _usm(), b"\xde\xad" * 20)
    result = decode_message(encode_message(message))
    assert isinstance(result, V3Message)
    assert result.encrypted
    assert result.pdu is None
    assert result.user_name == "operator"
    assert result.security_model_name == "usm"
    assert peek(encode_message(message)) == (3, -1, 0, 0)


def test_v3_plaintext_discovery_request() -> None:
    empty = UsmSecurityParameters(b"", 0, 0, b"", b"", b"")
    get = Pdu(PduType.GET_REQUEST, 1, 0, 0, ())
    message = V3Message(1, 65507, b"\x04", 3, encode_usm(empty), empty, ScopedPdu(b"", b"", get))
    result = decode_message(encode_message(message))
    assert result == message
    assert isinstance(result, V3Message)
    assert result.pdu == get
    assert result.user_name == ""


def test_v3_with_broken_usm_parameters_still_decodes() -> None:
    message = V3Message(1, 1500, b"\x00", 3, b"\x30\x05\x04\x01", None, b"")
    result = decode_message(encode_message(message))
    assert isinstance(result, V3Message)
    assert result.usm is None
    assert result.user_name is None


def test_v3_with_another_security_model_keeps_its_parameters_raw() -> None:
    message = V3Message(1, 1500, b"\x00", 4, encode_usm(_usm()), None, b"\x01")
    result = decode_message(encode_message(message))
    assert result == message


def test_v3_msg_data_of_a_wrong_tag_is_unexpected() -> None:
    good = encode_message(V3Message(1, 1500, b"\x00", 2, b"", None, b"\x01\x02"))
    assert good.endswith(b"\x04\x02\x01\x02")
    assert _kind(good[:-4] + b"\x02\x02\x01\x02") == K.UNEXPECTED_TAG


# --- encoder refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value_type", "value"),
    [
        (ValueType.INTEGER, b"1"),
        (ValueType.INTEGER, 2**80),
        (ValueType.COUNTER32, -1),
        (ValueType.COUNTER32, 2**32),
        (ValueType.COUNTER64, 2**64),
        (ValueType.NULL, 0),
        (ValueType.OCTET_STRING, "text"),
        (0x48, 1),
    ],
)
def test_values_outside_their_type_are_refused(value_type: int, value: object) -> None:
    with pytest.raises(ValueError):
        encode_value(value_type, value)  # type: ignore[arg-type]


def test_pdu_class_with_the_tag_of_another_class_is_refused() -> None:
    for tag in (PduType.TRAP, PduType.GET_BULK_REQUEST, 0xA9):
        with pytest.raises(ValueError):
            encode_message(CommunityMessage(1, b"", Pdu(tag, 1, 0, 0, ())))


def test_community_message_of_version_3_is_refused() -> None:
    with pytest.raises(ValueError):
        encode_message(CommunityMessage(3, b"", Pdu(PduType.GET_REQUEST, 1, 0, 0, ())))


# --- names, categories, tables -------------------------------------------------------------------


def test_operation_names_and_categories() -> None:
    assert [pdu_name(t) for t in PduType] == [
        "get",
        "get_next",
        "response",
        "set",
        "trap",
        "get_bulk",
        "inform",
        "trap",
        "report",
    ]
    assert {pdu_category(t) for t in MANAGER_PDUS - {PduType.SET_REQUEST}} == {READ}
    assert pdu_category(PduType.SET_REQUEST) == WRITE
    assert {pdu_category(t) for t in AGENT_PDUS} == {OTHER}
    assert pdu_name(0xB0) == "pdu_0xb0"
    assert MANAGER_PDUS.isdisjoint(AGENT_PDUS)
    assert set(PduType) == MANAGER_PDUS | AGENT_PDUS


def test_error_status_and_generic_trap_names() -> None:
    assert error_status_name(2) == "no_such_name"
    assert error_status_name(17) == "not_writable"
    assert error_status_name(99) == "error_status_99"
    assert generic_trap_name(4) == "authentication_failure"
    assert generic_trap_name(9) == "generic_trap_9"


def test_enterprise_table() -> None:
    assert enterprise_vendor("1.3.6.1.4.1.4329.6.1.2") == "Siemens"
    assert enterprise_vendor("1.3.6.1.4.1.95") == "Rockwell Automation"
    assert enterprise_vendor("1.3.6.1.4.1.8691.2.8") == "Moxa"
    assert enterprise_vendor("1.3.6.1.4.1.2001.1.1.1.297") is None  # Oki Data: not OT
    assert enterprise_number("1.3.6.1.4.1.2001.1.1") == 2001
    assert enterprise_number("1.3.6.1.2.1.1.2.0") is None
    assert enterprise_number("1.3.6.1.4.1.") is None
    assert enterprise_number("1.3.6.1.4.1.99999999999") is None
    expected = {
        "Siemens",
        "Rockwell Automation",
        "Schneider Electric",
        "ABB",
        "Cisco",
        "Hirschmann",
        "Moxa",
        "Phoenix Contact",
        "General Electric",
        "Honeywell",
        "Emerson",
        "Yokogawa",
        "Westermo",
        "RuggedCom",
        "Hewlett-Packard",
        "Juniper Networks",
    }
    assert expected <= set(ENTERPRISE_VENDORS.values())


def test_varbind_text() -> None:
    assert VarBind("1.3", ValueType.IP_ADDRESS, b"\x0a\x00\x00\x01").text == "10.0.0.1"
    assert VarBind("1.3", ValueType.OCTET_STRING, b"S7-1500 \x00").text == "S7-1500"
    assert VarBind("1.3", ValueType.OCTET_STRING, b"\xe9t\xe9").text == "\xe9t\xe9"
    assert VarBind("1.3", ValueType.OBJECT_IDENTIFIER, "1.3.6").text == "1.3.6"
    assert VarBind("1.3", ValueType.COUNTER32, 5).text is None
    assert VarBind("1.3", ValueType.COUNTER32, 5).type_name == "counter32"


def test_a_version_written_in_two_bytes_is_still_peeked() -> None:
    padded = encode_tlv(0x30, b"\x02\x02\x00\x01" + GET_SYS_DESCR[5:])
    assert isinstance(decode_message(padded), CommunityMessage)
    assert peek(padded) == (1, PduType.GET_REQUEST, 8, 14)


@pytest.mark.parametrize(
    ("value", "content"),
    [
        (0, "00"),
        (127, "7f"),
        (128, "0080"),
        (-1, "ff"),
        (-128, "80"),
        (-129, "ff7f"),
        (2**71 - 1, "7f" + "ff" * 8),
        (-(2**71), "80" + "00" * 8),
    ],
)
def test_integers_are_written_in_their_shortest_twos_complement(value: int, content: str) -> None:
    encoded = smi.encode_integer(value)
    assert encoded[2:].hex() == content
    assert smi.integer(encoded, 2, len(encoded), "x") == value
