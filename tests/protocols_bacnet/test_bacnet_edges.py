"""Edge cases of the BACnet codec, named after their edge: truncation at every byte,
bad lengths, unknown codes, names and categories, character sets, segmentation."""

from __future__ import annotations

import re

import pytest

from otm.protocols.bacnet import codec, services
from otm.protocols.bacnet import messages as m
from otm.protocols.bacnet import services as s
from otm.protocols.bacnet import tags as t
from otm.protocols.bacnet.anomalies import BacnetAnomaly as K
from otm.protocols.bacnet.constants import (
    BVLC_CATEGORIES,
    CONFIRMED_CATEGORIES,
    UNCONFIRMED_CATEGORIES,
    BvlcFunction,
    CharacterSet,
    ConfirmedService,
    NetworkMessageType,
    UnconfirmedService,
    bvlc_name,
    confirmed_service_name,
    error_code_name,
    network_message_category,
    network_message_name,
    object_type_name,
    operation_category,
    operation_name,
    property_name,
    unconfirmed_service_name,
)
from otm.protocols.bacnet.segmentation import MAX_SEGMENTS, Reassembler
from otm.protocols.bacnet.vendors import VENDORS, vendor_name
from otm.protocols.common import CATEGORIES, Anomaly

I_AM = bytes.fromhex("810b00170120ffff00ff1000c40200006f21329103212a")
"""bacnet-ip.pcap frame 1: I-Am device 111, max APDU 50, no segmentation, vendor 42."""
RP_REQUEST = bytes.fromhex("810a0017010c000d013d0203c90c0c0200006f194c2900")
"""bacnet-ip.pcap frame 3: ReadProperty object-list[0] of device 111 from network 13, MAC 0x3d."""
RP_ACK = bytes.fromhex("810a001e0120000d013dff30cf0c0c0200006f194d3e750500534f4d453f")
"""A ReadProperty-ACK of device 111's object-name 'SOME' to the routed client of RP_REQUEST."""
TIME_SYNC = bytes.fromhex("810b001201001006a476030602b41012301b")
"""bacnet_segmented_data.pcap frame 9: TimeSynchronization 2018-03-06 (Tuesday) 16:18:48.27."""
REINITIALIZE = bytes.fromhex("810a001101040005011409061d0b0044656c63617474793730")
"""bacnet_example.pcap frame 572: ReinitializeDevice abort-restore with a password;
its BVLC length says 17 for a 25-byte datagram."""

CAPTURED = [I_AM, RP_REQUEST, RP_ACK, TIME_SYNC, REINITIALIZE]


def _kind(result: object) -> K:
    assert isinstance(result, Anomaly), result
    assert isinstance(result.kind, K)
    return result.kind


def _service_of(datagram: bytes) -> object:
    """Every layer and the service parameters, or the first anomaly."""
    decoded = codec.decode_bacnet_ip(datagram)
    if isinstance(decoded, Anomaly) or decoded.apdu is None:
        return decoded
    apdu = decoded.apdu
    if isinstance(apdu, m.UnconfirmedRequest):
        return services.decode_unconfirmed(apdu.service, apdu.data)
    if isinstance(apdu, m.ConfirmedRequest):
        return services.decode_confirmed_request(apdu.service, apdu.data)
    if isinstance(apdu, m.ComplexAck):
        return services.decode_complex_ack(apdu.service, apdu.data)
    return apdu


# --- truncation ---------------------------------------------------------------------------


@pytest.mark.parametrize("datagram", CAPTURED, ids=lambda d: d[:6].hex())
def test_truncation_at_every_byte_never_raises(datagram: bytes) -> None:
    for size in range(len(datagram)):
        _service_of(datagram[:size])
        codec.decode_npdu(datagram[4:size])
        codec.decode_apdu(datagram[6:size])
        t.decode_elements(datagram[:size], 8)


def test_truncated_i_am_is_an_anomaly_at_every_byte() -> None:
    for size in range(len(I_AM)):
        assert isinstance(_service_of(I_AM[:size]), Anomaly), size
    assert _service_of(I_AM) == s.IAm(t.ObjectIdentifier(8, 111), 50, 3, 42)


def test_truncated_headers() -> None:
    assert _kind(codec.decode_bvll(b"\x81\x0a\x00")) is K.TRUNCATED
    assert _kind(codec.decode_bvll(b"\x81\x04\x00\x08\xc0\xa8")) is K.TRUNCATED
    assert _kind(codec.decode_npdu(b"\x01")) is K.TRUNCATED
    assert _kind(codec.decode_npdu(b"\x01\x20\x00\x01\x06\x01\x02")) is K.TRUNCATED  # DADR cut
    assert _kind(codec.decode_npdu(b"\x01\x20\x00\x01\x00")) is K.TRUNCATED  # hop count
    assert _kind(codec.decode_npdu(b"\x01\x00")) is K.TRUNCATED  # no APDU
    assert _kind(codec.decode_npdu(b"\x01\x80")) is K.TRUNCATED  # no message type
    assert _kind(codec.decode_npdu(b"\x01\x80\x80\x01")) is K.TRUNCATED  # vendor id cut
    assert _kind(codec.decode_apdu(b"")) is K.TRUNCATED
    assert _kind(codec.decode_apdu(b"\x08\x05\x01\x00\x0c")) is K.TRUNCATED  # segmented header
    assert _kind(codec.decode_apdu(b"\x38\x01\x00")) is K.TRUNCATED
    assert _kind(codec.decode_apdu(b"\x50\x01")) is K.TRUNCATED
    assert _kind(codec.decode_apdu(b"\x10")) is K.TRUNCATED


# --- bad lengths and codes ------------------------------------------------------------------


def test_bvlc_type_other_than_bacnet_ip() -> None:
    bad = codec.decode_bvll(b"\x82\x01\x00\x04")
    assert _kind(bad) is K.BAD_BVLC_TYPE
    assert isinstance(bad, Anomaly) and "IPv6" in bad.detail
    assert _kind(codec.decode_bvll(b"\x00\x0a\x00\x04")) is K.BAD_BVLC_TYPE
    assert codec.peek(b"\x82\x0a\x00\x06\x01\x00") is None


def test_unknown_bvlc_function() -> None:
    assert _kind(codec.decode_bvll(b"\x81\x0d\x00\x04")) is K.UNKNOWN_BVLC_FUNCTION
    assert codec.peek(b"\x81\x0d\x00\x04") is None
    assert bvlc_name(0x0D) == "bvlc_function_0x0d"


def test_bvlc_length_disagreeing_with_the_datagram_is_flagged_but_decoded() -> None:
    assert _kind(codec.check_bvlc_length(REINITIALIZE)) is K.BAD_BVLC_LENGTH
    assert codec.check_bvlc_length(I_AM) is None
    assert _service_of(REINITIALIZE) == s.ReinitializeDeviceRequest(
        6, t.CharacterString(CharacterSet.UTF_8, b"Delcatty70")
    )


def test_fixed_bvll_layouts_check_their_size() -> None:
    assert codec.decode_bvll(b"\x81\x00\x00\x06\x00\x30") == m.BvlcResult(0x30)
    assert _kind(codec.decode_bvll(b"\x81\x00\x00\x07\x00\x30\x00")) is K.TRAILING_BYTES
    assert _kind(codec.decode_bvll(b"\x81\x05\x00\x05\x3c")) is K.TRUNCATED
    assert codec.decode_bvll(b"\x81\x05\x00\x06\x00\x3c") == m.RegisterForeignDevice(60)
    assert _kind(codec.decode_bvll(b"\x81\x03\x00\x0f" + bytes(11))) is K.TRUNCATED
    assert _kind(codec.decode_bvll(b"\x81\x02\x00\x05\x00")) is K.TRAILING_BYTES
    forwarded = codec.decode_bvll(bytes.fromhex("81040012c0a80005bac0") + I_AM[4:])
    assert isinstance(forwarded, m.ForwardedNpdu)
    assert str(forwarded.original_source) == "192.168.0.5:47808"


def test_npdu_addresses_the_standard_forbids() -> None:
    assert _kind(codec.decode_npdu(b"\x02\x00\x10\x08")) is K.BAD_NPDU_VERSION
    assert _kind(codec.decode_npdu(b"\x01\x08\x00\x05\x00\x10\x08")) is K.INVALID_ADDRESS
    assert _kind(codec.decode_npdu(b"\x01\x08\xff\xff\x01\x05\x10\x08")) is K.INVALID_ADDRESS


def test_network_layer_messages_are_named_and_checked() -> None:
    who_is_router = codec.decode_npdu(b"\x01\x80\x00\x00\x05")
    assert isinstance(who_is_router, m.Npdu) and who_is_router.network_message is not None
    assert who_is_router.network_message.networks == (5,)
    i_am_router = codec.decode_npdu(b"\x01\x80\x01\x00\x01\x00\x02")
    assert isinstance(i_am_router, m.Npdu) and i_am_router.network_message is not None
    assert i_am_router.network_message.networks == (1, 2)
    table = codec.decode_npdu(b"\x01\x80\x06\x01\x00\x07\x02\x01\xaa")
    assert isinstance(table, m.Npdu) and table.network_message is not None
    assert table.network_message.routing_ports == (m.RoutingPort(7, 2, b"\xaa"),)
    assert _kind(codec.decode_npdu(b"\x01\x80\x02\x00\x01")) is K.TRUNCATED
    assert _kind(codec.decode_npdu(b"\x01\x80\x06\x02\x00\x07\x02\x00")) is K.TRUNCATED
    assert _kind(codec.decode_npdu(b"\x01\x80\x12\x00")) is K.TRAILING_BYTES
    assert network_message_name(NetworkMessageType.I_COULD_BE_ROUTER_TO_NETWORK) == (
        "i_could_be_router_to_network"
    )
    assert network_message_name(0x85) == "proprietary_network_message_0x85"
    assert network_message_name(0x30) == "network_message_0x30"
    assert network_message_category(NetworkMessageType.INITIALIZE_ROUTING_TABLE) == "write"
    assert network_message_category(0x85) == "other"


def test_unknown_pdu_types_and_extra_bytes() -> None:
    for kind in range(8, 16):
        assert _kind(codec.decode_apdu(bytes((kind << 4, 1, 2, 3)))) is K.UNKNOWN_PDU_TYPE
    assert _kind(codec.decode_apdu(b"\x20\x01\x0f\x00")) is K.TRAILING_BYTES
    assert _kind(codec.decode_apdu(b"\x40\x01\x02\x03\x04")) is K.TRAILING_BYTES
    assert codec.decode_apdu(b"\x71\x05\x04") == m.Abort(True, 5, 4)
    assert codec.decode_apdu(b"\x60\x05\x09") == m.Reject(5, 9)


def test_bad_tags() -> None:
    assert _kind(t.decode_elements(b"\xf9\xff")) is K.BAD_TAG  # extended tag number 255
    assert _kind(t.decode_elements(b"\x26")) is K.BAD_TAG  # application tag, opening LVT
    assert _kind(t.decode_elements(b"\x43\x00\x00\x00")) is K.BAD_VALUE  # REAL of 3
    assert _kind(t.decode_elements(b"\x12")) is K.BAD_VALUE  # BOOLEAN LVT 2
    assert _kind(t.decode_elements(b"\x01\x00")) is K.BAD_VALUE  # NULL with content
    assert _kind(t.decode_elements(b"\x20")) is K.BAD_VALUE  # Unsigned of 0 octets
    assert _kind(t.decode_elements(b"\x81\x03")) is K.BAD_VALUE  # bit string 3 unused of 0
    assert _kind(t.decode_elements(b"\x1f")) is K.TAG_MISMATCH
    assert _kind(t.decode_elements(b"\x1e\x2f")) is K.TAG_MISMATCH
    assert _kind(t.decode_elements(b"\x3e\x21\x01")) is K.TAG_MISMATCH  # never closed
    assert _kind(t.decode_elements(b"\x65\xfe\x00")) is K.TRUNCATED  # 16-bit length cut
    assert _kind(t.decode_elements(b"\x65\x09abc")) is K.TRUNCATED
    deep = b"\x0e" * (t.MAX_DEPTH + 1) + b"\x0f" * (t.MAX_DEPTH + 1)
    assert _kind(t.decode_elements(deep)) is K.TOO_DEEP
    fine = b"\x0e" * t.MAX_DEPTH + b"\x0f" * t.MAX_DEPTH
    assert not isinstance(t.decode_elements(fine), Anomaly)


def test_extended_tag_numbers_and_lengths_round_trip() -> None:
    long = t.OctetString(bytes(300))
    nested = t.Constructed(200, (t.ContextPrimitive(17, b"\x01"), long))
    encoded = t.encode_elements((nested,))
    assert encoded[:2] == b"\xfe\xc8"  # tag 15 = extended, opening, number 200
    assert t.decode_elements(encoded) == (nested,)
    huge = t.OctetString(bytes(70000))
    assert t.decode_elements(t.encode_elements((huge,))) == (huge,)


def test_service_parameters_missing_or_extra() -> None:
    assert _kind(services.decode_i_am(b"\xc4\x02\x00\x00\x6f\x21\x32\x91\x03")) is (
        K.MISSING_PARAMETER
    )
    assert _kind(services.decode_i_am(b"\x21\x32\xc4\x02\x00\x00\x6f\x91\x03\x21\x2a")) is (
        K.MISSING_PARAMETER
    )
    assert _kind(services.decode_i_am(I_AM[12:] + b"\x00")) is K.TRAILING_BYTES
    assert _kind(services.decode_who_is(b"\x09\x01")) is K.MISSING_PARAMETER
    assert _kind(services.decode_who_is(b"\x19\x01")) is K.MISSING_PARAMETER
    assert services.decode_who_is(b"\x09\x01\x19\x05") == s.WhoIs(1, 5)
    assert services.decode_who_is(b"") == s.WhoIs()
    assert _kind(services.decode_who_has(b"")) is K.MISSING_PARAMETER
    assert _kind(services.decode_read_property_ack(b"\x0c\x02\x00\x00\x6f\x19\x4d")) is (
        K.MISSING_PARAMETER
    )
    assert _kind(services.decode_error(b"\x91\x05")) is K.MISSING_PARAMETER
    # CreateObject-Error: the error inside [0], then the first failed element.
    assert services.decode_error(b"\x0e\x91\x01\x91\x1f\x0f\x19\x02") == s.ErrorInfo(1, 31)


def test_read_property_ack_to_a_routed_client() -> None:
    decoded = codec.decode_bacnet_ip(RP_ACK)
    assert isinstance(decoded, m.BacnetIp) and decoded.npdu is not None
    assert decoded.npdu.destination == m.NetworkAddress(13, b"\x3d")
    assert _service_of(RP_ACK) == s.ReadPropertyAck(
        t.ObjectIdentifier(8, 111), 77, None, (t.CharacterString(0, b"SOME"),)
    )


def test_time_synchronization() -> None:
    assert _service_of(TIME_SYNC) == s.TimeSynchronization(
        t.Date(118, 3, 6, 2), t.Time(16, 18, 48, 27)
    )


# --- names and categories -------------------------------------------------------------------

CTRL = "control"
SNAKE = re.compile(r"[a-z][a-z0-9_]*")


def test_every_service_has_a_snake_case_name_and_a_category() -> None:
    for service in ConfirmedService:
        assert SNAKE.fullmatch(operation_name(0, service))
        assert operation_category(0, service) in CATEGORIES
    for service in UnconfirmedService:
        assert SNAKE.fullmatch(operation_name(1, service))
        assert operation_category(1, service) in CATEGORIES
    assert set(CONFIRMED_CATEGORIES) == set(ConfirmedService)
    assert set(UNCONFIRMED_CATEGORIES) == set(UnconfirmedService)
    assert set(BVLC_CATEGORIES.values()) <= set(CATEGORIES)


@pytest.mark.parametrize(
    ("pdu_type", "service", "name", "category"),
    [
        (0, ConfirmedService.READ_PROPERTY, "read_property", "read"),
        (0, ConfirmedService.READ_PROPERTY_MULTIPLE, "read_property_multiple", "read"),
        (0, ConfirmedService.WRITE_PROPERTY, "write_property", "write"),
        (0, ConfirmedService.WRITE_PROPERTY_MULTIPLE, "write_property_multiple", "write"),
        (0, ConfirmedService.DEVICE_COMMUNICATION_CONTROL, "device_communication_control", CTRL),
        (0, ConfirmedService.REINITIALIZE_DEVICE, "reinitialize_device", "control"),
        (0, ConfirmedService.ATOMIC_READ_FILE, "atomic_read_file", "program"),
        (0, ConfirmedService.ATOMIC_WRITE_FILE, "atomic_write_file", "program"),
        (0, ConfirmedService.SUBSCRIBE_COV, "subscribe_cov", "read"),
        (1, UnconfirmedService.WHO_IS, "who_is", "identify"),
        (1, UnconfirmedService.WHO_HAS, "who_has", "identify"),
        (1, UnconfirmedService.I_AM, "i_am", "identify"),
        (1, UnconfirmedService.I_HAVE, "i_have", "identify"),
        (1, UnconfirmedService.WRITE_GROUP, "write_group", "write"),
    ],
)
def test_the_categories_the_brief_names(
    pdu_type: int, service: int, name: str, category: str
) -> None:
    assert (operation_name(pdu_type, service), operation_category(pdu_type, service)) == (
        name,
        category,
    )


def test_unknown_codes_have_stable_names() -> None:
    assert confirmed_service_name(0x40) == "confirmed_service_0x40"
    assert unconfirmed_service_name(0x20) == "unconfirmed_service_0x20"
    assert operation_category(0, 0x40) == "other"
    assert object_type_name(8) == "device"
    assert object_type_name(0) == "analog_input"
    assert object_type_name(600) == "proprietary_0x258"
    assert property_name(85) == "present_value"
    assert property_name(121) == "vendor_name"
    assert property_name(1000) == "property_1000"
    assert error_code_name(26) == "password_failure"
    assert bvlc_name(BvlcFunction.REGISTER_FOREIGN_DEVICE) == "register_foreign_device"


def test_vendor_table_is_offline_and_complete_enough() -> None:
    assert vendor_name(42) == "Acuity Brands Lighting, Inc."
    assert vendor_name(154) == "Unitec Corporation"
    assert vendor_name(0) == "ASHRAE"
    assert vendor_name(99999) is None
    assert len(VENDORS) > 1400


# --- values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("charset", "data", "code_page", "text"),
    [
        (CharacterSet.UTF_8, "Gebäude".encode(), None, "Gebäude"),
        (CharacterSet.UTF_8, b"ANSI X3.4", None, "ANSI X3.4"),
        (CharacterSet.ISO_8859_1, "Gebäude".encode("latin-1"), None, "Gebäude"),
        (CharacterSet.UCS_2, "Gebäude".encode("utf-16-be"), None, "Gebäude"),
        (CharacterSet.UCS_4, "Gebäude".encode("utf-32-be"), None, "Gebäude"),
        (CharacterSet.DBCS, "空調".encode("cp932"), 932, "空調"),
        (CharacterSet.DBCS, b"ab", 65000, "ab"),  # a code page without a codec
        (CharacterSet.JIS_X_0208, bytes(b & 0x7F for b in "空調".encode("euc_jp")), None, "空調"),
        (CharacterSet.UTF_8, b"\xff\xfe", None, "\ufffd\ufffd"),
        (9, b"odd", None, "odd"),
    ],
)
def test_character_sets(charset: int, data: bytes, code_page: int | None, text: str) -> None:
    string = t.CharacterString(charset, data, code_page)
    assert string.text == text
    assert t.decode_elements(t.encode_elements((string,))) == (string,)


def test_bit_strings_and_integers() -> None:
    (bits,) = t.decode_elements(b"\x82\x04\xa0")  # 4 meaningful bits: 1010
    assert isinstance(bits, t.BitString) and bits.bits == (True, False, True, False)
    assert t.decode_elements(b"\x31\xff") == (t.Signed(-1),)
    assert t.encode_elements((t.Signed(-129),)) == b"\x32\xff\x7f"
    assert t.encode_elements((t.Unsigned(256),)) == b"\x22\x01\x00"
    assert t.decode_elements(b"\x22\x00\x05") == (t.Unsigned(5),)  # non-minimal accepted
    with pytest.raises(ValueError, match="out of range"):
        t.encode_elements((t.Unsigned(-1),))


# --- hot path -------------------------------------------------------------------------------


def test_peek_finds_the_layers() -> None:
    assert codec.peek(I_AM) == (0x0B, 4, 10, 1)
    assert codec.peek(RP_REQUEST) == (0x0A, 4, 10, 0)
    assert codec.apdu_service(RP_REQUEST, 10) == ConfirmedService.READ_PROPERTY
    assert codec.peek(b"\x81\x05\x00\x06\x00\x3c") == (0x05, -1, -1, codec.NO_NPDU)
    assert codec.peek(b"\x81\x0a\x00\x08\x01\x80\x12") == (0x0A, 4, -1, codec.NETWORK_MESSAGE)
    assert codec.apdu_service(b"\x40\x01\x02\x03", 0) is None


def test_scanner_queries_decode_back() -> None:
    who_is = codec.decode_bacnet_ip(codec.who_is_datagram(10, 20))
    assert isinstance(who_is, m.BacnetIp) and who_is.apdu is not None
    assert who_is.bvll.function == BvlcFunction.ORIGINAL_BROADCAST_NPDU
    assert isinstance(who_is.apdu, m.UnconfirmedRequest)
    assert services.decode_who_is(who_is.apdu.data) == s.WhoIs(10, 20)
    query = codec.read_property_datagram(7, t.ObjectIdentifier(8, 4194303), 121)
    decoded = codec.decode_bacnet_ip(query)
    assert isinstance(decoded, m.BacnetIp) and isinstance(decoded.apdu, m.ConfirmedRequest)
    assert decoded.apdu.invoke_id == 7
    assert services.decode_read_property_request(decoded.apdu.data) == s.ReadPropertyRequest(
        t.ObjectIdentifier(8, 4194303), 121
    )


# --- segmentation ---------------------------------------------------------------------------


def _segment(sequence: int, more: bool, data: bytes, service: int = 12) -> m.ComplexAck:
    return m.ComplexAck(True, more, 9, sequence, 4, service, data)


def test_segments_join_and_retransmissions_are_ignored() -> None:
    r = Reassembler()
    assert r.add("k", _segment(0, True, b"ab")) is None
    assert r.add("k", _segment(0, True, b"ab")) is None  # retransmitted
    assert r.add("k", _segment(1, False, b"cd")) == b"abcd"
    assert len(r) == 0


def test_a_lost_segment_drops_the_message() -> None:
    r = Reassembler()
    assert r.add("k", _segment(0, True, b"ab")) is None
    assert _kind(r.add("k", _segment(2, False, b"ef"))) is K.SEGMENT_OUT_OF_ORDER
    assert len(r) == 0
    assert _kind(r.add("k", _segment(1, False, b"cd"))) is K.SEGMENT_OUT_OF_ORDER


def test_a_segment_of_another_service_drops_the_message() -> None:
    r = Reassembler()
    r.add("k", _segment(0, True, b"ab"))
    assert _kind(r.add("k", _segment(1, False, b"cd", service=14))) is K.SEGMENT_OUT_OF_ORDER


def test_too_many_segments_are_refused() -> None:
    r = Reassembler()
    result: object = None
    for sequence in range(MAX_SEGMENTS + 1):
        result = r.add("k", _segment(sequence & 0xFF, True, b"x"))
        if result is not None:
            break
    assert _kind(result) is K.SEGMENTS_EXCEEDED
    assert len(r) == 0


def test_pending_messages_are_bounded() -> None:
    r = Reassembler()
    for key in range(20):
        r.add(key, _segment(0, True, b"x"))
    assert len(r) == 4
