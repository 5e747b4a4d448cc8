"""Property tests: arbitrary bytes never break the LLDP and CDP decoders; encode then
decode is the identity."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lldp_strategies import CDP_TLVS, OPTIONAL, cdp_packets, lldpdus

from fuzz_support import mutate
from otm.protocols.cdp import CdpAnomaly, CdpPacket, decode_cdp, encode_cdp, verify_checksum
from otm.protocols.cdp import neighbour as cdp_neighbour
from otm.protocols.common import Anomaly
from otm.protocols.lldp import LldpAnomaly, Lldpdu, decode_lldpdu, encode_lldpdu, neighbour
from otm.protocols.lldp import messages as m

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND_TRIP = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# LLDPDUs and a CDP packet from the shared captures (104deneme.pcap frame 47,
# DNP3Value.pcap frame 844, EIP-IPAddressChangeAttempt.pcap frames 256 and 272).
CAPTURED_LLDP = [
    bytes.fromhex(h)
    for h in (
        "0210076465736b746f702d6d3563376c3134040907706f72742d303031060200140a0f4445534b544f502d"
        "4d3543374c31340c314153555354654b20434f4d505554455220494e432e20473735304a48412c312e302c"
        "44394e3043593238303436333338390e040080008010140501000000000200000001082b0601040181c06e"
        "fe08000ecf0200000000fe0a000ecf05d850e605a31efe0900120f0103ec03001e0000",
        "020704d850e605a31e040703d850e605a31e06020e11fe0900120f010300010000fe070012bb010001010000",
        "02070400219106f166040301313906020078100c0501d049d98e02000000000000000000000000000000"
        "000000000000",
    )
]
CAPTURED_CDP = bytes.fromhex(
    "02b40ab0000100094e73356774000500bc436973636f20494f5320536f6674776172652c20434535303020"
    "536f667477617265202843453530302d4c414e424153452d4d292c2056657273696f6e2031322e32283235"
    "29534547342c2052454c4541534520534f4654574152452028666331290a436f7079726967687420286329"
    "20313938362d3230303720627920436973636f2053797374656d732c20496e632e0a436f6d70696c656420"
    "4d6f6e2031332d4175672d30372031373a33342062792079656e616e6800060017636973636f2057532d43"
    "453530302d3234545400020011000000010101cc0004c0a80afd000300144769676162697445746865726e"
    "657431000400080000002800090004000a00060003000b0005010012000500001300050000160011000000"
    "010101cc0004c0a80afd001a00100000000100000000ffffffff"
)


def _seeded(samples: list[bytes]) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def decorate(test: Callable[..., None]) -> Callable[..., None]:
        for sample in samples:
            test = example(sample)(test)
        return test

    return decorate


def _touch_lldp(lldpdu: Lldpdu) -> None:
    """Every derived view works on whatever was decoded."""
    n = neighbour(lldpdu)
    assert isinstance(n.chassis, str) and isinstance(n.port, str)
    for tlv in lldpdu.tlvs:
        for name in ("text", "ip", "oid_text", "supported_names", "enabled_names", "mac"):
            getattr(tlv, name, None)


def _check_lldp(data: bytes) -> None:
    result = decode_lldpdu(data)
    if isinstance(result, Anomaly):
        assert isinstance(result.kind, LldpAnomaly)
        assert 0 <= result.offset <= len(data)
        return
    wire = encode_lldpdu(result)
    # Everything before the End TLV comes back byte for byte.
    assert data.startswith(wire[:-2] if result.end else wire)
    assert decode_lldpdu(wire) == result
    _touch_lldp(result)


def _check_cdp(data: bytes) -> None:
    result = decode_cdp(data)
    if isinstance(result, Anomaly):
        assert isinstance(result.kind, CdpAnomaly)
        assert 0 <= result.offset <= len(data)
        return
    wire = encode_cdp(result)
    assert data.startswith(wire)
    assert not any(data[len(wire) :]), "only zero padding may follow the last TLV"
    assert decode_cdp(wire) == result
    assert isinstance(verify_checksum(result), bool)
    cdp_neighbour(result)


@FUZZ
@given(st.binary(max_size=600))
@_seeded(CAPTURED_LLDP)
def test_decode_lldpdu_arbitrary_bytes(data: bytes) -> None:
    _check_lldp(data)


@FUZZ
@given(st.binary(max_size=400))
@_seeded([CAPTURED_CDP])
def test_decode_cdp_arbitrary_bytes(data: bytes) -> None:
    _check_cdp(data)


@FUZZ
@given(
    st.lists(st.tuples(st.integers(0, 127), st.binary(max_size=40)), min_size=1, max_size=10).map(
        lambda tlvs: b"".join(bytes(((t << 1) | (len(v) >> 8), len(v) & 0xFF)) + v for t, v in tlvs)
    )
)
def test_decode_lldpdu_well_framed_tlvs(data: bytes) -> None:
    """TLV lists with consistent lengths reach the per-type decoders, not just the framing."""
    _check_lldp(data)


@FUZZ
@given(lldpdus(), st.integers(0, 2000), st.integers(0, 3), st.integers(0, 255))
def test_decode_mutated_lldpdus(lldpdu: Lldpdu, where: int, how: int, value: int) -> None:
    _check_lldp(mutate(encode_lldpdu(lldpdu), where, how, value))


@FUZZ
@given(cdp_packets(), st.integers(0, 2000), st.integers(0, 3), st.integers(0, 255))
def test_decode_mutated_cdp_packets(packet: CdpPacket, where: int, how: int, value: int) -> None:
    _check_cdp(mutate(encode_cdp(packet), where, how, value))


@pytest.mark.parametrize("name", sorted(OPTIONAL))
@ROUND_TRIP
@given(data=st.data())
def test_lldp_round_trip(name: str, data: st.DataObject) -> None:
    lldpdu = data.draw(lldpdus(OPTIONAL[name]))
    assert all(type(t).__name__ == name for t in lldpdu.tlvs[3:])
    wire = encode_lldpdu(lldpdu)
    assert decode_lldpdu(wire) == lldpdu
    assert decode_lldpdu(wire + bytes(20)) == lldpdu if lldpdu.end else True


@pytest.mark.parametrize("name", sorted(CDP_TLVS))
@ROUND_TRIP
@given(data=st.data())
def test_cdp_round_trip(name: str, data: st.DataObject) -> None:
    packet = data.draw(cdp_packets(CDP_TLVS[name]))
    wire = encode_cdp(packet)
    assert decode_cdp(wire) == packet
    assert decode_cdp(wire + bytes(7)) == packet, "zero padding is ignored"
    filled = encode_cdp(packet, fill_checksum=True)
    decoded = decode_cdp(filled)
    assert isinstance(decoded, CdpPacket)
    assert verify_checksum(decoded)


@ROUND_TRIP
@given(cdp_packets(), st.integers(4, 400), st.integers(1, 255))
def test_cdp_checksum_catches_a_flipped_byte(packet: CdpPacket, where: int, flip: int) -> None:
    wire = bytearray(encode_cdp(packet, fill_checksum=True))
    if where >= len(wire):
        return
    wire[where] ^= flip
    decoded = decode_cdp(bytes(wire))
    if isinstance(decoded, CdpPacket) and encode_cdp(decoded) == bytes(wire):
        assert not verify_checksum(decoded)


def test_hostile_inputs_decode_whole() -> None:
    """64 KiB of header-only TLVs, and of zero-length CDP TLVs, decode whole."""
    lldp = encode_lldpdu(Lldpdu((m.ChassisId(4, bytes(6)), m.PortId(7, b"p"), m.TimeToLive(1))))
    lldp = lldp[:-2] + b"\x12\x00" * 32_000  # 32,000 empty reserved TLVs (type 9)
    cdp = b"\x02\xb4\x00\x00" + b"\x00\x99\x00\x04" * 16_000
    decoded = decode_lldpdu(lldp)
    packet = decode_cdp(cdp)
    assert isinstance(decoded, Lldpdu) and len(decoded.tlvs) == 32_003
    assert isinstance(packet, CdpPacket) and len(packet.tlvs) == 16_000
