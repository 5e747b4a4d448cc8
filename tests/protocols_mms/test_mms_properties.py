"""Property and fuzz tests of the ISO-on-TCP/MMS codec.

- arbitrary bytes into every decoder (and mutations of the real TSDUs of the
  shared captures) give a message or an ``Anomaly``, never an exception, and
  a decoded message re-encodes to bytes that decode to the same message;
- every message the strategies build round-trips through encode and decode;
- the hot-path ``peek`` agrees with the full decode.
"""

from __future__ import annotations

from typing import Any

import mms_strategies as s
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from mms_captures import MMS_CAPTURES, capture_tsdus

from otm.protocols.common import Anomaly
from otm.protocols.mms import (
    AbortPresentation,
    AcceptPresentation,
    ConfirmedRequest,
    ConfirmedResponse,
    ConnectPresentation,
    GetNameListRequest,
    GetNameListResponse,
    IdentifyResponse,
    MmsPdu,
    ObjectName,
    RefusePresentation,
    SessionPdu,
    TsduReassembler,
    Unconfirmed,
    UserData,
    data_tsdu,
    decode_abort,
    decode_accept,
    decode_acse,
    decode_connect,
    decode_cotp,
    decode_mms,
    decode_refuse,
    decode_session,
    decode_tpkt,
    decode_tsdu,
    decode_user_data,
    encode_abort,
    encode_accept,
    encode_acse,
    encode_connect,
    encode_cotp,
    encode_mms,
    encode_refuse,
    encode_session,
    encode_tpkt,
    encode_user_data,
    frame_length,
    get_name_list,
    get_name_list_request,
    get_name_list_response,
    get_name_list_response_message,
    identify_response,
    identify_response_message,
    information_report,
    object_names,
    pdu_type,
    peek,
    read_request,
)
from otm.protocols.mms.ber import BerError, elements

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _tsdu_corpus() -> list[bytes]:
    return [u.data for name in MMS_CAPTURES for u in capture_tsdus(name)]


CORPUS = sorted(set(_tsdu_corpus()), key=len)[::7]
"""A sample of the captures' TSDUs (every seventh, shortest first) to mutate."""


def _stable(decoded: Any, encode: Any, decode: Any) -> None:
    """A decoded message re-encodes to bytes that decode to the same message."""
    if isinstance(decoded, Anomaly):
        return
    assert decode(encode(decoded)) == decoded


# --- fuzz: arbitrary bytes ---------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=300))
@example(b"\x03\x00\x00\x07\x02\xf0\x80")
@example(b"\x01\x00\x01\x00\x61\x80")
def test_fuzz_every_decoder_never_raises(raw: bytes) -> None:
    _stable(decode_tpkt(raw), encode_tpkt, decode_tpkt)
    _stable(decode_cotp(raw), encode_cotp, decode_cotp)
    _stable(decode_session(raw), encode_session, decode_session)
    _stable(decode_connect(raw), encode_connect, decode_connect)
    _stable(decode_accept(raw), encode_accept, decode_accept)
    _stable(decode_refuse(raw), encode_refuse, decode_refuse)
    _stable(decode_abort(raw), encode_abort, decode_abort)
    _stable(decode_user_data(raw), encode_user_data, decode_user_data)
    _stable(decode_acse(raw), encode_acse, decode_acse)
    _stable(decode_mms(raw), encode_mms, decode_mms)
    decode_tsdu(raw)
    peek(raw)
    assert frame_length(raw, 0) >= -1
    for service in (1, 2, 4, 5, 6, 11, 12, 13, 50):
        object_names(service, raw)
    object_names(0, raw, unconfirmed=True)
    identify_response(raw)
    get_name_list_request(raw)
    get_name_list_response(raw)


@FUZZ
@given(st.sampled_from(CORPUS), st.data())
def test_fuzz_mutated_capture_tsdus(tsdu: bytes, data: st.DataObject) -> None:
    raw = bytearray(tsdu)
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.integers(0, 2))
        at = data.draw(st.integers(0, len(raw)))
        if op == 0 and at < len(raw):
            raw[at] = data.draw(st.integers(0, 255))
        elif op == 1:
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=4))
        else:
            del raw[at : at + data.draw(st.integers(1, 8))]
    mutated = bytes(raw)
    decoded = decode_tsdu(mutated)
    peeked = peek(mutated)
    if not isinstance(decoded, Anomaly) and decoded.session.is_data and len(decoded.mms) == 1:
        pdu = decoded.mms[0]
        assert peeked is not None and peeked[1] == pdu_type(pdu)


@FUZZ
@given(st.lists(st.tuples(st.binary(max_size=50), st.booleans()), max_size=20))
def test_reassembler_is_bounded_and_joins_in_order(parts: list[tuple[bytes, bool]]) -> None:
    r = TsduReassembler(max_bytes=120)
    pending: list[bytes] = []
    dropping = False
    for payload, eot in parts:
        out = r.push(payload, eot)
        if dropping:
            assert out is None
            dropping = not eot
            continue
        pending.append(payload)
        size = sum(map(len, pending))
        if size > 120:
            assert isinstance(out, Anomaly)
            pending, dropping = [], not eot
        elif eot:
            assert out == b"".join(pending)
            pending = []
        else:
            assert out is None
        assert r.pending <= 120


# --- round trips ----------------------------------------------------------------------------


@given(s.cotp_pdus())
def test_round_trip_cotp(pdu: Any) -> None:
    assert decode_cotp(encode_cotp(pdu)) == pdu
    assert decode_tpkt(encode_tpkt(pdu)) == pdu


@given(s.session_pdus())
def test_round_trip_session(pdu: SessionPdu) -> None:
    assert decode_session(encode_session(pdu)) == pdu


@given(s.ppdus())
def test_round_trip_presentation(p: Any) -> None:
    if isinstance(p, ConnectPresentation):
        assert decode_connect(encode_connect(p)) == p
    elif isinstance(p, AcceptPresentation):
        assert decode_accept(encode_accept(p)) == p
    elif isinstance(p, RefusePresentation):
        assert decode_refuse(encode_refuse(p)) == p
    elif isinstance(p, AbortPresentation):
        assert decode_abort(encode_abort(p)) == p
    else:
        assert isinstance(p, UserData)
        assert decode_user_data(encode_user_data(p)) == p


@given(s.apdus())
def test_round_trip_acse(apdu: Any) -> None:
    assert decode_acse(encode_acse(apdu)) == apdu


@given(s.mms_pdus())
def test_round_trip_mms(pdu: MmsPdu) -> None:
    assert decode_mms(encode_mms(pdu)) == pdu


@given(s.mms_pdus(), st.integers(1, 99))
def test_peek_agrees_with_the_decoder(pdu: MmsPdu, context: int) -> None:
    tsdu = data_tsdu(pdu, context)
    decoded = decode_tsdu(tsdu)
    assert not isinstance(decoded, Anomaly)
    assert decoded.mms == (pdu,)
    peeked = peek(tsdu)
    assert peeked is not None
    assert peeked[:2] == (1, pdu_type(pdu))
    if isinstance(pdu, ConfirmedRequest | ConfirmedResponse):
        assert peeked[2:] == (pdu.service, pdu.invoke_id)
    elif isinstance(pdu, Unconfirmed):
        assert peeked[2] == pdu.service


@given(st.lists(s.object_names(), min_size=1, max_size=5).map(tuple), s.u32)
def test_read_request_names_round_trip(names: tuple[ObjectName, ...], invoke: int) -> None:
    request = read_request(invoke, names)
    assert decode_mms(encode_mms(request)) == request
    assert object_names(request.service, request.body) == names


@given(st.lists(s.object_names(), min_size=1, max_size=4).map(tuple))
def test_information_report_names_round_trip(names: tuple[ObjectName, ...]) -> None:
    report = information_report(names)
    assert object_names(report.service, report.body, unconfirmed=True) == names
    single = information_report(names[0])
    assert object_names(single.service, single.body, unconfirmed=True) == names[:1]


@given(s.get_name_list_requests, s.u32)
def test_get_name_list_request_round_trip(request: GetNameListRequest, invoke: int) -> None:
    message = get_name_list(invoke, request)
    assert get_name_list_request(message.body) == request


@given(s.get_name_list_responses, s.u32)
def test_get_name_list_response_round_trip(response: GetNameListResponse, invoke: int) -> None:
    message = get_name_list_response_message(invoke, response)
    assert get_name_list_response(message.body) == response


@given(s.identify_responses, s.u32)
def test_identify_response_round_trip(identity: IdentifyResponse, invoke: int) -> None:
    message = identify_response_message(invoke, identity)
    assert decode_mms(encode_mms(message)) == message
    assert identify_response(message.body) == identity


@given(s.tlvs())
def test_ber_elements_of_one_tlv(raw: bytes) -> None:
    try:
        items = elements(raw, 0, len(raw))
    except BerError:
        assume(False)
    assert len(items) == 1 and items[0][3] == len(raw)
