"""Property tests: no input makes the PROFINET decoders raise or hang, and encoding
then decoding any message gives it back."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from profinet_strategies import dcp_pdus, rt_frames, seed_payloads

from otm.protocols.common import Anomaly
from otm.protocols.profinet import (
    DcpBlock,
    DcpPdu,
    RtFrame,
    block_value,
    decode_dcp,
    decode_rt,
    encode_dcp,
    encode_rt,
)

SEEDS = seed_payloads()
FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _dcp_prefix() -> st.SearchStrategy[bytes]:
    """A DCP FrameID in front of arbitrary bytes: reaches the block walk often."""
    return st.tuples(st.integers(0xFEFC, 0xFEFF), st.binary(max_size=300)).map(
        lambda t: t[0].to_bytes(2, "big") + t[1]
    )


@FAST
@given(st.one_of(st.binary(max_size=300), _dcp_prefix()))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    rt = decode_rt(data)
    assert isinstance(rt, RtFrame | Anomaly)
    pdu = decode_dcp(data)
    assert isinstance(pdu, DcpPdu | Anomaly)
    if isinstance(pdu, DcpPdu):
        for block in pdu.blocks:
            assert not isinstance(block_value(block), BaseException)


@FAST
@given(st.sampled_from(SEEDS), st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255))))
def test_mutated_capture_frames_never_raise(seed: bytes, edits: list[tuple[int, int]]) -> None:
    data = bytearray(seed)
    for at, value in edits:
        if at < len(data):
            data[at] = value
    pdu = decode_dcp(bytes(data))
    if isinstance(pdu, DcpPdu):
        for block in pdu.blocks:
            block_value(block)
        # whatever decodes, re-encodes to the bytes it came from
        again = encode_dcp(pdu)
        assert decode_dcp(again) == pdu


@FAST
@given(rt_frames())
def test_rt_round_trip(frame: RtFrame) -> None:
    assert decode_rt(encode_rt(frame)) == frame


@FAST
@given(dcp_pdus())
def test_dcp_round_trip(pdu: DcpPdu) -> None:
    data = encode_dcp(pdu)
    assert decode_dcp(data) == pdu
    assert decode_dcp(data + b"\0" * 20) == pdu  # Ethernet padding is ignored


@FAST
@given(dcp_pdus())
@example(DcpPdu(0xFEFD, 4, 0, 1, 0, (DcpBlock(5, 4, b"\1\2\3", None, 0),)))
def test_encoding_a_decoded_pdu_gives_its_bytes(pdu: DcpPdu) -> None:
    data = encode_dcp(pdu)
    decoded = decode_dcp(data)
    assert isinstance(decoded, DcpPdu)
    assert encode_dcp(decoded) == data
