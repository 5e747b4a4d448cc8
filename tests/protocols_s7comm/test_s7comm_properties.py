"""Property tests: every decoder survives any bytes; encode then decode is the identity.

Three families:

- fuzz: arbitrary bytes (and mutations of real PDUs from the shared captures)
  give a message or an anomaly, never an exception, and decoding is stable:
  what a decoder accepts re-encodes to bytes that decode to the same message;
- round trip: for every message type, ``decode(encode(m)) == m``;
- real traffic: every TPKT of the shared captures re-encodes byte for byte.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
import s7_strategies as s
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from s7_captures import S7_CAPTURES, capture_pdus

from otm.protocols.common import INVALID, NEED_DATA, Anomaly
from otm.protocols.s7comm import (
    CotpData,
    S7Pdu,
    S7PlusPdu,
    UserdataReassembler,
    decode_cotp,
    decode_cyclic_data,
    decode_cyclic_request,
    decode_payload,
    decode_s7,
    decode_s7plus,
    decode_szl_001c,
    decode_szl_0011,
    decode_szl_request,
    decode_szl_response,
    decode_tpkt,
    encode_cotp,
    encode_cyclic_data,
    encode_cyclic_request,
    encode_s7,
    encode_s7plus,
    encode_szl_001c,
    encode_szl_0011,
    encode_szl_request,
    encode_szl_response,
    encode_tpkt,
    frame_length,
    parse_block_file_name,
    parse_tsap,
    peek,
    peek_szl_id,
    s7plus_identity_strings,
)

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def _seeds() -> tuple[bytes, ...]:
    """A few real TPKTs of each capture, to start mutations from real shapes."""
    out: list[bytes] = []
    for name in S7_CAPTURES:
        pdus = capture_pdus(name)
        out.extend(p.tpkt for p in pdus[:: max(1, len(pdus) // 12)])
    return tuple(out)


@st.composite
def mutated_tpkts(draw: st.DrawFn) -> bytes:
    """A real TPKT with some bytes changed, cut short or extended."""
    raw = bytearray(draw(st.sampled_from(_seeds())))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(raw) - 1))
        raw[at] = draw(st.integers(0, 255))
    cut = draw(st.integers(0, len(raw)))
    tail = draw(st.binary(max_size=8))
    return bytes(raw[:cut] if draw(st.booleans()) else raw + tail)


def _stable(decoded: Any, encode: Any, decode: Any) -> None:
    """Accepted input re-encodes to bytes that decode to the same message."""
    if isinstance(decoded, Anomaly):
        assert isinstance(decoded.kind, str) and decoded.kind
        return
    assert decode(encode(decoded)) == decoded


# --- fuzz -------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=80) | mutated_tpkts())
@example(b"\x03\x00\x00\x07\x02\xf0\x00")
def test_fuzz_decode_tpkt(raw: bytes) -> None:
    tpkt = decode_tpkt(raw)
    _stable(tpkt, encode_tpkt, decode_tpkt)
    if not isinstance(tpkt, Anomaly) and isinstance(tpkt.cotp, CotpData):
        payload = tpkt.cotp.payload
        if payload:
            inner = decode_payload(payload)
            if isinstance(inner, S7Pdu):
                _stable(inner, encode_s7, decode_s7)
            elif isinstance(inner, S7PlusPdu):
                _stable(inner, encode_s7plus, decode_s7plus)


@FUZZ
@given(st.binary(max_size=60))
def test_fuzz_decode_cotp(raw: bytes) -> None:
    _stable(decode_cotp(raw), encode_cotp, decode_cotp)


FUNCTIONS = (0x00, 0x04, 0x05, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x28, 0x29, 0xF0, 0x77)


@st.composite
def s7_like(draw: st.DrawFn) -> bytes:
    """Bytes that pass the S7 header checks often: known functions, userdata heads,
    lengths that usually add up, random contents."""
    rosctr = draw(st.sampled_from((1, 2, 3, 7, 7, 4)))
    if rosctr == 7:
        rest = draw(st.binary(min_size=3, max_size=14))
        param = b"\x00\x01\x12" + bytes((len(rest) + draw(st.sampled_from((0, 0, 0, 1))),)) + rest
    else:
        param = bytes((draw(st.sampled_from(FUNCTIONS)),)) + draw(st.binary(max_size=30))
    data = draw(st.binary(max_size=30))
    head = bytes((0x32, rosctr, 0, 0, 0, 1))
    head += len(param).to_bytes(2, "big") + len(data).to_bytes(2, "big")
    if rosctr in (2, 3):
        head += draw(st.binary(min_size=2, max_size=2))
    raw = head + param + data
    if draw(st.integers(0, 4)) == 0:
        raw = raw[: draw(st.integers(0, len(raw)))]
    return raw


@FUZZ
@given(st.binary(max_size=80) | s7_like())
def test_fuzz_decode_s7(raw: bytes) -> None:
    _stable(decode_s7(raw), encode_s7, decode_s7)


@FUZZ
@given(st.binary(max_size=80))
def test_fuzz_decode_s7plus_and_identity_strings(raw: bytes) -> None:
    _stable(decode_s7plus(b"\x72" + raw), encode_s7plus, decode_s7plus)
    assert all(isinstance(x, str) for x in s7plus_identity_strings(raw))


@FUZZ
@given(st.binary(max_size=120))
def test_fuzz_szl_decoders(raw: bytes) -> None:
    _stable(decode_szl_request(raw), encode_szl_request, decode_szl_request)
    response = decode_szl_response(raw)
    _stable(response, encode_szl_response, decode_szl_response)
    partial = decode_szl_response(raw, partial=True)
    if not isinstance(partial, Anomaly):
        _stable(decode_szl_0011(partial), encode_szl_0011, decode_szl_0011)
        _stable(decode_szl_001c(partial), encode_szl_001c, decode_szl_001c)


@FUZZ
@given(st.binary(max_size=60))
def test_fuzz_cyclic_decoders(raw: bytes) -> None:
    _stable(decode_cyclic_request(raw), encode_cyclic_request, decode_cyclic_request)
    _stable(decode_cyclic_data(raw), encode_cyclic_data, decode_cyclic_data)


@FUZZ
@given(st.binary(max_size=40) | mutated_tpkts(), st.integers(0, 8))
def test_fuzz_framer_and_peeks(raw: bytes, start: int) -> None:
    size = frame_length(raw, start)
    assert size in (NEED_DATA, INVALID) or size >= 7
    result = peek(raw, start)
    assert result is None or (len(result) == 5 and all(isinstance(v, int) for v in result))
    szl = peek_szl_id(raw, start)
    assert szl is None or 0 <= szl <= 0xFFFF


@FUZZ
@given(st.text(max_size=12), st.binary(max_size=4))
def test_fuzz_small_parsers(text: str, tsap: bytes) -> None:
    name = parse_block_file_name(text)
    if name is not None:
        assert parse_block_file_name(str(name)) == name
    parsed = parse_tsap(tsap)
    assert (parsed is None) == (len(tsap) != 2)


@FUZZ
@given(st.lists(s.userdata_bodies, max_size=20), st.integers(1, 200))
def test_fuzz_reassembler_stays_bounded(bodies: list[Any], max_bytes: int) -> None:
    reassembler = UserdataReassembler(max_bytes=max_bytes, max_chains=2)
    for body in bodies:
        result = reassembler.push(S7Pdu(7, 0, 0, None, None, body))
        assert result is None or isinstance(result, Anomaly) or result.fragments >= 1
        assert reassembler.pending <= 2


# --- round trips --------------------------------------------------------------------


@ROUND
@given(s.tpkts)
def test_round_trip_tpkt_and_every_cotp_type(tpkt: Any) -> None:
    assert decode_tpkt(encode_tpkt(tpkt)) == tpkt
    assert decode_cotp(encode_cotp(tpkt.cotp)) == tpkt.cotp


@ROUND
@given(s.s7_pdus())
def test_round_trip_every_s7_body(pdu: S7Pdu) -> None:
    assert decode_s7(encode_s7(pdu)) == pdu
    assert decode_payload(encode_s7(pdu)) == pdu


@ROUND
@given(s.s7plus_pdus())
def test_round_trip_s7plus(pdu: S7PlusPdu) -> None:
    assert decode_s7plus(encode_s7plus(pdu)) == pdu


@ROUND
@given(s.szl_requests, s.szl_responses())
def test_round_trip_szl_request_and_response(request: Any, response: Any) -> None:
    assert decode_szl_request(encode_szl_request(request)) == request
    assert decode_szl_response(encode_szl_response(response)) == response


@ROUND
@given(s.module_identifications, s.component_identifications)
def test_round_trip_szl_identities(module: Any, component: Any) -> None:
    assert decode_szl_0011(encode_szl_0011(module)) == module
    assert decode_szl_001c(encode_szl_001c(component)) == component


@ROUND
@given(s.cyclic_requests, s.cyclic_data)
def test_round_trip_cyclic(request: Any, data: Any) -> None:
    assert decode_cyclic_request(encode_cyclic_request(request)) == request
    assert decode_cyclic_data(encode_cyclic_data(data)) == data


# --- real traffic -----------------------------------------------------------------------


@pytest.mark.parametrize("capture", S7_CAPTURES)
def test_every_capture_tpkt_decodes_and_reencodes_byte_for_byte(capture: str) -> None:
    pdus = capture_pdus(capture)
    assert pdus, "no TPKT found"
    for pdu in pdus:
        tpkt = decode_tpkt(pdu.tpkt)
        assert not isinstance(tpkt, Anomaly), (pdu.frame, tpkt)
        assert encode_tpkt(tpkt) == pdu.tpkt, pdu.frame
        if isinstance(tpkt.cotp, CotpData) and tpkt.cotp.payload:
            inner = decode_payload(tpkt.cotp.payload)
            assert not isinstance(inner, Anomaly), (pdu.frame, inner)
            encoded = encode_s7(inner) if isinstance(inner, S7Pdu) else encode_s7plus(inner)
            assert encoded == tpkt.cotp.payload, pdu.frame
