"""Edge cases of the ISO-on-TCP/MMS codec, each named after its edge."""

from __future__ import annotations

import pytest
from mms_captures import MMS_CAPTURES, capture_tpkts, capture_tsdus

from otm.protocols.common import (
    CONTROL,
    IDENTIFY,
    INVALID,
    NEED_DATA,
    PROGRAM,
    READ,
    WRITE,
    Anomaly,
)
from otm.protocols.mms import (
    AcceptPresentation,
    AssociationRequest,
    AssociationResponse,
    ConfirmedError,
    ConfirmedRequest,
    ConnectPresentation,
    CotpConnect,
    GetNameListRequest,
    InitiateRequest,
    InitiateResponse,
    MmsAnomaly,
    ObjectClass,
    ObjectName,
    Reject,
    ServiceError,
    TsduReassembler,
    Unconfirmed,
    UserData,
    accept_tsdu,
    connect_tsdu,
    data_tsdu,
    decode_acse,
    decode_mms,
    decode_session,
    decode_tpkt,
    decode_tsdu,
    encode_acse,
    encode_mms,
    encode_session,
    encode_user_data,
    error_class_name,
    frame_length,
    get_capability_list_request,
    get_name_list,
    get_named_variable_list_attributes_request,
    get_variable_access_attributes_request,
    identify_request,
    peek,
    read_request,
    reject_reason_name,
    service_category,
    service_name,
    services_supported_names,
    status_request,
    unconfirmed_name,
)
from otm.protocols.mms.presentation import acse_values, mms_values

K = MmsAnomaly


def _kind(result: object) -> MmsAnomaly | None:
    return result.kind if isinstance(result, Anomaly) else None  # type: ignore[return-value]


def _first(capture: str, predicate: object) -> bytes:
    for unit in capture_tsdus(capture):
        msg = decode_tsdu(unit.data)
        if not isinstance(msg, Anomaly) and predicate(msg):  # type: ignore[operator]
            return unit.data
    raise AssertionError("no such TSDU")


IDENTIFY_RESPONSE = bytes.fromhex(
    # 8d7c7db0-9804-012b-b2a6-0016cb8cea27.pcap frame 26 (COTP payload): AREVA e-terracomm 2.3.1
    "0100010061393037020103a032a130020101a22b801541524556412054264420436f72706f"
    "726174696f6e810b652d7465727261636f6d6d8205322e332e31"
)


# --- capture-level facts ----------------------------------------------------------------------


def test_identify_response_of_the_iccp_capture() -> None:
    msg = decode_tsdu(IDENTIFY_RESPONSE)
    assert not isinstance(msg, Anomaly)
    assert msg.session.name == "data_transfer"
    (pdu,) = msg.mms
    assert pdu.invoke_id == 1 and pdu.name == "identify"  # type: ignore[union-attr]
    assert peek(IDENTIFY_RESPONSE) == (1, 1, 2, 1)


@pytest.mark.parametrize("capture", MMS_CAPTURES)
def test_every_capture_tsdu_decodes_and_reencodes(capture: str) -> None:
    """Every layer of every TSDU re-encodes byte for byte, except three PDUs of the
    ICCP capture whose sender writes lengths in the long form (0x82 0x00 0x96 for
    150): those re-encode in the shortest form and decode to the same message."""
    long_form = 0
    for unit in capture_tsdus(capture):
        msg = decode_tsdu(unit.data)
        assert not isinstance(msg, Anomaly), (unit.frame, msg)
        assert encode_session(msg.session) == unit.data
        user_data = msg.user_data
        if isinstance(msg.presentation, UserData):
            assert user_data is not None
            if encode_user_data(user_data) != msg.session.user_data:
                long_form += 1
        for value, pdu in zip(mms_values(user_data), msg.mms, strict=False):
            if encode_mms(pdu) != value.data:
                assert decode_mms(encode_mms(pdu)) == pdu
        for value in acse_values(user_data):
            assert msg.acse is not None and encode_acse(msg.acse) == value.data
    assert long_form == (3 if capture.startswith("8d7c") else 0)


def test_association_setup_of_the_iec61850_capture() -> None:
    cn = _first("simens.pcap", lambda m: m.session.name == "connect")
    msg = decode_tsdu(cn)
    assert not isinstance(msg, Anomaly)
    assert isinstance(msg.presentation, ConnectPresentation)
    assert msg.presentation.mms_context == 3
    assert isinstance(msg.acse, AssociationRequest)
    assert (msg.acse.calling_ap_title, msg.acse.calling_ae_qualifier) == ("1.1.1.999", 12)
    (initiate,) = msg.mms
    assert isinstance(initiate, InitiateRequest) and initiate.local_detail == 65000
    assert initiate.services_supported is not None
    names = services_supported_names(initiate.services_supported.bits())
    assert {"get_name_list", "read", "write", "information_report", "conclude"} <= set(names)
    ac = _first("simens.pcap", lambda m: m.session.name == "accept")
    accepted = decode_tsdu(ac)
    assert not isinstance(accepted, Anomaly)
    assert isinstance(accepted.presentation, AcceptPresentation)
    assert isinstance(accepted.acse, AssociationResponse) and accepted.acse.result == 0
    assert isinstance(accepted.mms[0], InitiateResponse)


def test_cotp_connect_with_tsaps() -> None:
    cr = next(u for u in capture_tpkts("mmsy.pcap") if u.data[5] & 0xF0 == 0xE0)
    cotp = decode_tpkt(cr.data)
    assert isinstance(cotp, CotpConnect)
    assert (cotp.calling_tsap, cotp.called_tsap, cotp.tpdu_size) == (b"\x00\x00", b"\x00\x01", 1024)


def test_tsdu_split_over_dts_is_joined() -> None:
    # simens.pcap: a get name list response spread over DTs of frames 10 and 11 (EOT
    # clear until the last), which tshark reassembles in frame 11
    split = [u for u in capture_tpkts("simens.pcap") if u.data[6] == 0x00]
    assert split
    joined = {u.frame for u in capture_tsdus("simens.pcap")}
    assert 11 in joined and 10 not in joined


# --- truncation, bad lengths, unknown codes ---------------------------------------------------


@pytest.mark.parametrize("capture", MMS_CAPTURES)
def test_truncation_at_every_byte(capture: str) -> None:
    samples = {}
    for unit in capture_tsdus(capture):
        msg = decode_tsdu(unit.data)
        assert not isinstance(msg, Anomaly)
        shape = (msg.session.name, tuple(type(p).__name__ for p in msg.mms))
        samples.setdefault(shape, unit.data)
    for tsdu in samples.values():
        for cut in range(5, len(tsdu)):
            assert _kind(decode_tsdu(tsdu[:cut])) == K.TRUNCATED, (tsdu.hex(), cut)
    for unit in capture_tpkts(capture)[:40]:
        for cut in range(len(unit.data)):
            result = decode_tpkt(unit.data[:cut])
            assert isinstance(result, Anomaly)


def test_tpkt_framing_verdicts() -> None:
    assert frame_length(b"", 0) == NEED_DATA
    assert frame_length(b"\x03\x00", 0) == NEED_DATA
    assert frame_length(b"\x04", 0) == INVALID
    assert frame_length(b"\x03\x00\x00\x06", 0) == INVALID
    assert frame_length(b"\x03\x00\x01\x00", 0) == 256
    assert _kind(decode_tpkt(b"\x03\x00\x00\x06\x02\xf0")) == K.BAD_TPKT
    assert _kind(decode_tpkt(b"\x03\x00\x00\x07\x02\xf0\x80\x00")) == K.TRAILING_BYTES


def test_cotp_length_indicator_zero_or_too_short_for_a_cr() -> None:
    assert _kind(decode_tpkt(b"\x03\x00\x00\x07\x00\xf0\x80")) == K.BAD_COTP
    assert _kind(decode_tpkt(b"\x03\x00\x00\x08\x03\xe0\x00\x00")) == K.BAD_COTP
    # a CR parameter that runs past the header
    assert _kind(decode_tpkt(bytes.fromhex("0300000d08e00000000100c105"))) == K.BAD_COTP


def test_ber_indefinite_and_five_octet_lengths() -> None:
    assert _kind(decode_mms(b"\xa0\x80\x02\x01\x01\x82\x00\x00\x00")) == K.BAD_LENGTH
    assert _kind(decode_mms(b"\xa0\x85\x00\x00\x00\x00\x05" + b"\x02\x01\x01\x82\x00")) == (
        K.BAD_LENGTH
    )


def test_ber_tag_number_longer_than_four_octets() -> None:
    assert _kind(decode_mms(b"\xbf\x81\x81\x81\x81\x01\x00")) == K.BAD_TAG


def test_mms_pdu_tag_above_13_and_in_the_wrong_form() -> None:
    assert _kind(decode_mms(b"\xae\x00")) == K.UNEXPECTED_TAG
    assert _kind(decode_mms(b"\xab\x00")) == K.UNEXPECTED_TAG  # conclude request constructed
    assert _kind(decode_mms(b"\x80\x00")) == K.UNEXPECTED_TAG  # confirmed request primitive
    assert _kind(decode_mms(b"\x8b\x01\x00")) == K.BAD_VALUE  # conclude request not empty
    assert _kind(decode_mms(b"\xa0\x03\x04\x01\x01")) == K.UNEXPECTED_TAG  # invoke id no INTEGER


def test_unknown_service_tags_decode_and_get_stable_names() -> None:
    pdu = decode_mms(encode_mms(ConfirmedRequest(5, 90, b"\x00", False)))
    assert isinstance(pdu, ConfirmedRequest) and pdu.name == "service_90"
    assert pdu.category == "other"
    assert service_name(78) == "service_78" and service_category(78) == "other"
    assert unconfirmed_name(7) == "unconfirmed_7"
    assert error_class_name(20) == "class_20"
    assert reject_reason_name(12) == "reason_12"
    assert _kind(decode_mms(b"\xa4\x03\x8c\x01\x01")) == K.UNEXPECTED_TAG  # reject reason [12]


def test_session_spdu_unknown_or_data_transfer_without_token() -> None:
    assert _kind(decode_session(b"\x63\x00")) == K.UNKNOWN_SPDU
    assert _kind(decode_session(b"\x01\x00\x61\x00")) == K.UNKNOWN_SPDU
    assert _kind(decode_session(b"\x01\x00\x02\x00")) == K.UNKNOWN_SPDU  # PT after GT
    assert _kind(decode_session(b"\x0d\x02\x14\x05")) == K.BAD_SPDU
    assert _kind(decode_session(b"\x0d\x00\x00")) == K.TRAILING_BYTES
    assert _kind(decode_session(b"")) == K.TRUNCATED


def test_session_two_octet_length_indicator() -> None:
    tsdu = bytes((13, 0xFF, 0x01, 0x04, 193, 0xFF, 0x01, 0x00)) + bytes(256)
    msg = decode_session(tsdu)
    assert not isinstance(msg, Anomaly)
    assert msg.user_data == bytes(256) and encode_session(msg) == tsdu


def test_acse_apdu_other_than_application_0_to_4() -> None:
    assert _kind(decode_acse(b"\x65\x00")) == K.UNEXPECTED_TAG
    assert _kind(decode_acse(b"\x60\x02\xa1\x00")) == K.TRUNCATED


def test_acse_authentication_value_is_never_kept() -> None:
    password = b"\xac\x0a\x80\x08secret!!"
    aarq = decode_acse(b"\x60" + bytes((len(password),)) + password)
    assert isinstance(aarq, AssociationRequest) and aarq.authenticated
    assert b"secret" not in encode_acse(aarq)


def test_tsdu_overflow_drops_the_chain_up_to_eot() -> None:
    r = TsduReassembler(max_bytes=10)
    assert r.push(b"12345", False) is None
    assert _kind(r.push(b"678901", False)) == K.TSDU_OVERFLOW
    assert r.push(b"abc", True) is None  # the rest of the dropped TSDU
    assert r.push(b"xyz", True) == b"xyz"
    assert r.dropped == 1


def test_confirmed_error_and_reject_decode() -> None:
    error = ConfirmedError(7, ServiceError(7, 2, 5, "denied"), None)
    assert decode_mms(encode_mms(error)) == error
    assert error.error.class_name == "access"
    reject = Reject(1, 3, 9)
    assert decode_mms(encode_mms(reject)) == reject and reject.reason_name == "confirmed_request"


def test_peek_of_setup_and_broken_tsdus() -> None:
    cn = _first("mmsy.pcap", lambda m: m.session.name == "connect")
    assert peek(cn) == (13, -1, -1, -1)
    assert peek(b"\x01\x00\x01\x00\x61\x05\x30") is None
    assert peek(b"\x01\x00") is None  # too short to be data


# --- names, categories, builders -----------------------------------------------------------------


def test_categories_follow_the_brief() -> None:
    for tag in (5, 7, 11, 13):
        assert service_category(tag) == WRITE, service_name(tag)
    for tag in (26, 27, 28, 46, 72, 73, 74, 75, 76, 77):
        assert service_category(tag) == PROGRAM, service_name(tag)
    for tag in (40, 41, 42, 43, 44):
        assert service_category(tag) == CONTROL, service_name(tag)
    for tag in (1, 2, 6, 12, 15, 37, 45, 71):
        assert service_category(tag) == IDENTIFY, service_name(tag)
    assert service_category(4) == READ
    assert [service_name(t) for t in (1, 6, 11, 26, 46, 72, 77)] == [
        "get_name_list",
        "get_variable_access_attributes",
        "define_named_variable_list",
        "initiate_download_sequence",
        "obtain_file",
        "file_open",
        "file_directory",
    ]


def test_scanner_builders_are_read_only() -> None:
    name = ObjectName("LLN0$ST$Mod$stVal", "IED1LD0", 1)
    built = [
        identify_request(1),
        status_request(2),
        get_capability_list_request(3),
        get_name_list(4, GetNameListRequest(ObjectClass.DOMAIN)),
        read_request(5, (name,)),
        get_variable_access_attributes_request(6, name),
        get_named_variable_list_attributes_request(7, name),
    ]
    for request in built:
        assert request.category in (IDENTIFY, READ, "diagnostic"), request.name
        assert decode_mms(encode_mms(request)) == request


def test_association_builders_decode_to_what_they_carry() -> None:
    initiate = InitiateRequest(10, 10, 65000, 5, 1)
    msg = decode_tsdu(connect_tsdu(initiate))
    assert not isinstance(msg, Anomaly) and msg.is_mms and msg.mms == (initiate,)
    response = InitiateResponse(10, 10, 65000, 5, 1)
    accepted = decode_tsdu(accept_tsdu(response))
    assert not isinstance(accepted, Anomaly) and accepted.mms == (response,)
    report = decode_tsdu(data_tsdu(Unconfirmed(0, b"")))
    assert not isinstance(report, Anomaly) and report.mms == (Unconfirmed(0, b""),)
