"""Property tests: arbitrary bytes never break the SNMP decoders; encode, decode: identity."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from snmp_strategies import community_messages, messages, oids, usm_parameters, v3_messages

from fuzz_support import mutate
from otm.protocols.ber import read_tlv
from otm.protocols.common import Anomaly
from otm.protocols.snmp import (
    CommunityMessage,
    SnmpAnomaly,
    UsmSecurityParameters,
    V3Message,
    decode_message,
    decode_usm,
    encode_message,
    encode_usm,
    peek,
    smi,
)
from otm.protocols.snmp.anomalies import BER_KINDS
from otm.protocols.snmp.messages import Message

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND_TRIP = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Messages from the shared captures (snmp.pcap, SNMP_NTP_SysLog_...pcap), seeding the fuzzers.
CAPTURED = [
    bytes.fromhex(h)
    for h in (
        "302602010004067075626c6963a019020126020100020100300e300c06082b060102010102000500",
        "303802010004067075626c6963a22b0201260201000201003020301e06082b06010201010200"
        "06122b060104018f5101010182295d011b020201",
        "304702010004067075626c6963a23a020127020100020100302f301106082b06010201010500"
        "04054236333030301a06082b06010201010600040e4368616e64726127732063756265",
        "30818502010004067075626c6963a37802013a020100020100306d3013060e2b06010401817d"
        "083308020102010201043021060e2b06010401817d08330802010301040f46756a695865726f"
        "7845786f647573301d060e2b06010401817d08330802010401060b2b06010401817d08330802"
        "3014060e2b06010401817d083308020105010202012c",
        "302802010104067075626c6963a01b02030458aa020100020100300e300c06082b060102010101000500",
        "303802010104067075626c6963a22b02030458aa020100020100301e301c06082b0601020101"
        "01000410554d545320536f667420537769746368",
    )
]


def _seeded(test: Callable[..., None]) -> Callable[..., None]:
    for datagram in CAPTURED:
        test = example(datagram)(test)
    return test


def _check(datagram: bytes, result: Message | Anomaly) -> None:
    if isinstance(result, Anomaly):
        assert isinstance(result.kind, SnmpAnomaly)
        assert 0 <= result.offset <= len(datagram)
        return
    # What decodes, peek reads (the sensor relies on it: no None for a good message).
    # Whatever decodes re-encodes minimally and decodes to the same message.
    assert decode_message(encode_message(result)) == result
    head = peek(datagram)
    assert head is not None
    assert head[0] == result.version
    if isinstance(result, CommunityMessage):
        assert datagram[head[2] : head[3]] == result.community
        assert head[1] == result.pdu.pdu_type
    else:
        assert head[1] == -1


def test_the_seeds_are_real_messages() -> None:
    for datagram in CAPTURED:
        result = decode_message(datagram)
        assert isinstance(result, CommunityMessage)
        assert encode_message(result) == datagram


@FUZZ
@given(st.binary(max_size=300))
@_seeded
def test_decode_message_arbitrary_bytes(datagram: bytes) -> None:
    _check(datagram, decode_message(datagram))


@FUZZ
@given(st.binary(max_size=200))
def test_decode_usm_arbitrary_bytes(parameters: bytes) -> None:
    result = decode_usm(parameters)
    if not isinstance(result, Anomaly):
        assert decode_usm(encode_usm(result)) == result


@FUZZ
@given(st.binary(max_size=300))
@_seeded
def test_peek_arbitrary_bytes(datagram: bytes) -> None:
    head = peek(datagram)
    if head is not None:
        version, tag, start, end = head
        assert version in (0, 1, 3)
        assert 0 <= start <= end <= len(datagram)
        assert tag == -1 or 0xA0 <= tag <= 0xA8


@FUZZ
@given(st.binary(max_size=64))
def test_ber_readers_arbitrary_bytes(data: bytes) -> None:
    tlv = read_tlv(data, 0, len(data), BER_KINDS)
    if not isinstance(tlv, Anomaly):
        _, start, end = tlv
        assert 2 <= start <= end <= len(data)
    oid = smi.oid(data, 0, len(data))
    if not isinstance(oid, Anomaly):
        assert smi.oid(smi.encode_oid(oid), 2, len(smi.encode_oid(oid))) == oid
    value = smi.integer(data, 0, len(data), "x")
    if not isinstance(value, Anomaly):
        encoded = smi.encode_integer(value)
        assert smi.integer(encoded, 2, len(encoded), "x") == value


@FUZZ
@given(messages(), st.integers(0, 400), st.integers(0, 3), st.integers(0, 255))
def test_decode_mutated_messages(message: Message, where: int, how: int, value: int) -> None:
    broken = mutate(encode_message(message), where, how, value)
    _check(broken, decode_message(broken))


@ROUND_TRIP
@given(community_messages())
def test_community_message_round_trip(message: CommunityMessage) -> None:
    wire = encode_message(message)
    assert decode_message(wire) == message
    assert encode_message(decode_message(wire)) == wire  # type: ignore[arg-type]


@ROUND_TRIP
@given(v3_messages())
def test_v3_message_round_trip(message: V3Message) -> None:
    wire = encode_message(message)
    decoded = decode_message(wire)
    assert decoded == message
    assert isinstance(decoded, V3Message)
    assert decoded.encrypted == isinstance(message.data, bytes)


@ROUND_TRIP
@given(usm_parameters())
def test_usm_round_trip(usm: UsmSecurityParameters) -> None:
    assert decode_usm(encode_usm(usm)) == usm


@ROUND_TRIP
@given(oids())
def test_oid_round_trip(oid: str) -> None:
    encoded = smi.encode_oid(oid)
    assert smi.oid(encoded, 2 if len(encoded) < 130 else 3, len(encoded)) == oid
