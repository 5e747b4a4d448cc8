"""Property tests of the EtherCAT and CC-Link IE codecs: arbitrary bytes never make a
decoder raise, and encoding then decoding gives the message back."""

from __future__ import annotations

from fieldbus_strategies import cclink_frames, ethercat_frames
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otm.protocols import cclink, ethercat
from otm.protocols.common import Anomaly

FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _ecat_header() -> st.SearchStrategy[bytes]:
    """A plausible command-frame header in front of arbitrary bytes."""
    return st.tuples(st.integers(0, 0x7FF), st.binary(max_size=400)).map(
        lambda t: (t[0] | 0x1000).to_bytes(2, "little") + t[1]
    )


@FAST
@given(st.one_of(st.binary(max_size=400), _ecat_header()))
def test_ethercat_arbitrary_bytes_never_raise(data: bytes) -> None:
    frame = ethercat.decode_frame(data)
    commands = ethercat.scan_commands(data)
    assert isinstance(frame, ethercat.EthercatFrame | Anomaly)
    # the hot path and the full decoder agree on every input
    if isinstance(frame, Anomaly):
        assert isinstance(commands, Anomaly) and commands.kind == frame.kind
    else:
        assert commands == [d.command for d in frame.datagrams]


@FAST
@given(ethercat_frames())
def test_ethercat_round_trip(frame: ethercat.EthercatFrame) -> None:
    data = ethercat.encode_frame(frame)
    assert ethercat.decode_frame(data) == frame
    assert ethercat.decode_frame(data + b"\0" * 30) == frame  # Ethernet padding


@FAST
@given(st.binary(max_size=200))
def test_cclink_arbitrary_bytes_never_raise(data: bytes) -> None:
    frame = cclink.decode_frame(data)
    assert isinstance(frame, cclink.CcLinkFrame | Anomaly)
    if isinstance(frame, cclink.CcLinkFrame):
        assert cclink.encode_frame(frame) == data
        assert frame.name and frame.network
        _ = frame.source_node, frame.node_id, frame.kind


@FAST
@given(cclink_frames())
def test_cclink_round_trip(frame: cclink.CcLinkFrame) -> None:
    assert cclink.decode_frame(cclink.encode_frame(frame)) == frame
