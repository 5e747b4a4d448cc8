"""Property tests: arbitrary bytes never break a decoder; encode then decode is the identity."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from modbus_strategies import REQUESTS, RESPONSES, adus, framed_pdu_bytes

from fuzz_support import mutate
from otm.protocols.common import INVALID, NEED_DATA, Anomaly
from otm.protocols.modbus import (
    ModbusAnomaly,
    check_values,
    decode_request,
    decode_request_pdu,
    decode_response,
    decode_response_pdu,
    encode_adu,
    encode_pdu,
    frame_length,
    peek,
    peek_sub_code,
    request_operation,
)
from otm.protocols.modbus.constants import MAX_ADU_LENGTH
from otm.protocols.modbus.messages import Adu

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND_TRIP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ADUs from the shared captures (modbus_example.pcap, modicon_test.pcap,
# IllegalFunction.pcap), seeding the fuzzers with real traffic.
CAPTURED = [
    bytes.fromhex(h)
    for h in (
        "000100000006040100010001",
        "00060000001305031000aa00aa00bb00ccef84e3eb9f8be4c1",
        "000d00000008070f000100040109",
        "000f000000350211325a65656b204d6f6462757320546573742d50726f746f636f6c205061"
        "7273696e672069732066756e212d312e322e332e36ff",
        "0012000000080416000adead0000",
        "00150000000b06170800aa00aa00bb00cc",
        "0016000000060a1800020000",
        "00170000003d012b0e018300000300105a65656b204d6f646275732054657374011850726f"
        "746f636f6c2050617273696e672069732066756e210207312e322e332e36",
        "000100000003008302",
        "0e3100000003018301",
        "001600000018005a0010434c00000f555345522d37313445373446323142",
        "001600000005005a00fe01",
    )
]


def _seeded(*extra: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Adds each captured ADU (followed by ``extra`` arguments) as an explicit example."""

    def decorate(test: Callable[..., None]) -> Callable[..., None]:
        for adu in CAPTURED:
            test = example(adu, *extra)(test)
        return test

    return decorate


def _check_decoded(adu: bytes, result: Adu | Anomaly) -> None:
    if isinstance(result, Anomaly):
        assert isinstance(result.kind, ModbusAnomaly)
        assert 0 <= result.offset <= max(len(adu), 8)
        return
    assert isinstance(result, Adu)
    # Whatever decodes re-encodes to the very same bytes.
    assert encode_adu(result) == adu
    head = peek(adu)
    assert head is not None
    assert head[:2] == (result.transaction_id, result.unit_id)
    assert check_values(result.pdu) is None or isinstance(check_values(result.pdu), Anomaly)


@FUZZ
@given(st.binary(max_size=300))
@_seeded()
def test_decode_request_arbitrary_bytes(adu: bytes) -> None:
    _check_decoded(adu, decode_request(adu))


@FUZZ
@given(st.binary(max_size=300))
@_seeded()
def test_decode_response_arbitrary_bytes(adu: bytes) -> None:
    _check_decoded(adu, decode_response(adu))


@FUZZ
@given(framed_pdu_bytes())
def test_decode_framed_random_pdus(adu: bytes) -> None:
    _check_decoded(adu, decode_request(adu))
    _check_decoded(adu, decode_response(adu))
    assert frame_length(adu) == len(adu)


@FUZZ
@given(
    st.one_of(adus(st.one_of(*REQUESTS.values())), adus(st.one_of(*RESPONSES.values()))),
    st.integers(0, 300),
    st.integers(0, 3),
    st.integers(0, 255),
)
def test_decode_mutated_messages(adu: Adu, where: int, how: int, value: int) -> None:
    broken = mutate(encode_adu(adu), where, how, value)
    _check_decoded(broken, decode_request(broken))
    _check_decoded(broken, decode_response(broken))


@FUZZ
@given(st.binary(max_size=300))
def test_decode_pdu_arbitrary_bytes(pdu: bytes) -> None:
    for result in (decode_request_pdu(pdu), decode_response_pdu(pdu)):
        if isinstance(result, Anomaly):
            assert isinstance(result.kind, ModbusAnomaly)
        else:
            assert encode_pdu(result) == pdu


@FUZZ
@given(st.binary(max_size=300), st.integers(0, 310))
@_seeded(0)
def test_frame_length_arbitrary_bytes(buf: bytes, start: int) -> None:
    verdict = frame_length(buf, start)
    assert verdict in (NEED_DATA, INVALID) or 8 <= verdict <= MAX_ADU_LENGTH
    if verdict > 0:
        assert verdict == 6 + int.from_bytes(buf[start + 4 : start + 6], "big")
    if verdict == NEED_DATA:
        assert len(buf) - start < 6


@FUZZ
@given(st.binary(max_size=300), st.integers(0, 10))
@_seeded(0)
def test_peek_arbitrary_bytes(buf: bytes, start: int) -> None:
    head = peek(buf, start)
    sub = peek_sub_code(buf, start)
    operation = request_operation(buf, start)
    if head is None:
        assert sub is None
        assert operation is None
        return
    tid, unit, code = head
    assert tid == int.from_bytes(buf[start : start + 2], "big")
    assert unit == buf[start + 6]
    assert code == buf[start + 7]
    if operation is not None:
        name, category = operation
        assert name and category


@pytest.mark.parametrize("name", sorted(REQUESTS))
@ROUND_TRIP
@given(data=st.data())
def test_request_round_trip(name: str, data: st.DataObject) -> None:
    adu = data.draw(adus(REQUESTS[name]))
    assert type(adu.pdu).__name__ == name
    wire = encode_adu(adu)
    assert decode_request(wire) == adu
    assert decode_request_pdu(wire[7:]) == adu.pdu
    assert frame_length(wire + b"\x00\x01", 0) == len(wire)


@pytest.mark.parametrize("name", sorted(RESPONSES))
@ROUND_TRIP
@given(data=st.data())
def test_response_round_trip(name: str, data: st.DataObject) -> None:
    adu = data.draw(adus(RESPONSES[name]))
    assert type(adu.pdu).__name__ == name
    wire = encode_adu(adu)
    assert decode_response(wire) == adu
    assert decode_response_pdu(wire[7:]) == adu.pdu
    assert frame_length(wire, 0) == len(wire)
