"""Property tests: arbitrary bytes never break an IEC 104 decoder; encode then decode is the
identity."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from iec104_strategies import APDUS, ASDUS, SIZED_TYPES, elements

from otm.protocols.common import INVALID, NEED_DATA, Anomaly
from otm.protocols.iec104 import (
    Iec104Anomaly,
    decode_apdu,
    decode_asdu,
    encode_apdu,
    encode_asdu,
    frame_length,
    peek,
)
from otm.protocols.iec104.elements import decode_element, encode_element
from otm.protocols.iec104.messages import Apdu, IFrame

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND_TRIP = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# APDUs from the shared captures (104deneme.pcap, vinci104.pcap, 090813_diverse.pcap),
# seeding the fuzzers with real traffic.
CAPTURED = [
    bytes.fromhex(h)
    for h in (
        "680407000000",
        "680443000000",
        "680e0200040064010700010000000014",
        "680f040006001501140001003200000000",
        "6810300006000b0103000100500000c70300",
        "68120c0006000d01140001005a00000000000000",
        "681400000200670107000100000000fa041311180a13",
        "6815020000003a0106000100010000814c4c0f0d3e0913",
        "68171c0000003d0106000100010000c9098034b7100d3e0913",
        "68180a0000004001060001000100009600000055ca0f0d3e0913",
        "6819080000003f01060001000100000000a041801da00f0d3e0913",
        "680e2c00a2002d010600030094110081",
        "68123400b0003201060003009c13000000404180",
        "68174a00f6003d0106000300d51200744080c8001a130d086d",
    )
]


def _seeded(*extra: object) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def decorate(test: Callable[..., None]) -> Callable[..., None]:
        for apdu in CAPTURED:
            test = example(apdu, *extra)(test)
        return test

    return decorate


def _check(data: bytes, result: Apdu | Anomaly) -> None:
    if isinstance(result, Anomaly):
        assert isinstance(result.kind, Iec104Anomaly)
        assert 0 <= result.offset <= len(data)
        return
    assert encode_apdu(result) == data
    head = peek(data)
    assert head is not None
    if isinstance(result, IFrame):
        assert head[1:] == (
            result.asdu.type_id,
            data[8],
            result.asdu.common_address,
        )


@FUZZ
@_seeded()
@given(st.binary(max_size=300))
def test_arbitrary_bytes_decode_to_an_apdu_or_an_anomaly(data: bytes) -> None:
    _check(data, decode_apdu(data))


@FUZZ
@given(st.binary(max_size=260))
def test_arbitrary_asdu_bytes_decode_or_give_an_anomaly(data: bytes) -> None:
    result = decode_asdu(data)
    if isinstance(result, Anomaly):
        assert isinstance(result.kind, Iec104Anomaly)
        assert 0 <= result.offset <= len(data)
    else:
        assert encode_asdu(result) == data


@FUZZ
@_seeded()
@given(st.binary(max_size=300))
def test_start_octet_and_length_make_any_bytes_a_valid_apdu_frame(data: bytes) -> None:
    """With a good APCI header, whatever follows decodes or is an anomaly."""
    body = data[:253]
    apdu = bytes((0x68, max(len(body), 4))) + body.ljust(4, b"\x00")
    _check(apdu, decode_apdu(apdu))


@FUZZ
@_seeded(0)
@given(st.binary(max_size=300), st.integers(0, 10))
def test_the_framer_never_raises_and_agrees_with_the_decoder(data: bytes, start: int) -> None:
    verdict = frame_length(data, start)
    assert verdict in (INVALID, NEED_DATA) or 6 <= verdict <= 255
    if verdict > 0 and start + verdict <= len(data):
        result = decode_apdu(data[start : start + verdict])
        assert not (isinstance(result, Anomaly) and result.kind == Iec104Anomaly.BAD_START)
    if verdict == INVALID:
        result = decode_apdu(data[start:])
        assert isinstance(result, Anomaly)
        assert result.kind in (Iec104Anomaly.BAD_START, Iec104Anomaly.INVALID_LENGTH)


@ROUND_TRIP
@given(APDUS)
def test_every_generated_apdu_round_trips(apdu: Apdu) -> None:
    data = encode_apdu(apdu)
    assert frame_length(data) == len(data)
    assert decode_apdu(data) == apdu


@ROUND_TRIP
@given(ASDUS)
def test_every_generated_asdu_round_trips(asdu: object) -> None:
    from otm.protocols.iec104.messages import Asdu

    assert isinstance(asdu, Asdu)
    assert decode_asdu(encode_asdu(asdu)) == asdu


@settings(max_examples=20, deadline=None)
@given(st.data())
def test_each_sized_type_round_trips_its_element(data: st.DataObject) -> None:
    for type_id in SIZED_TYPES:
        element = data.draw(elements(type_id))
        octets = encode_element(type_id, element)
        decoded = decode_element(type_id, octets, 0, len(octets))
        assert decoded == (element, len(octets))


@FUZZ
@given(st.sampled_from(SIZED_TYPES), st.binary(max_size=40))
def test_element_decoders_consume_at_most_what_they_are_given(type_id: int, data: bytes) -> None:
    result = decode_element(type_id, data, 0, len(data))
    if isinstance(result, Anomaly):
        assert result.kind == Iec104Anomaly.TRUNCATED
    else:
        element, end = result
        assert end <= len(data)
        assert encode_element(type_id, element) == data[:end]
