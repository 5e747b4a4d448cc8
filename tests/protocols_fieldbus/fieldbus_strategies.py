"""Hypothesis strategies for EtherCAT frames and CC-Link IE frames.

EtherCAT command frames hold 1-12 datagrams whose data keeps the whole
within the header's 11-bit length (2047 bytes); CC-Link IE frames of a known
type carry a 13-byte header after the type byte, unknown types anything.
"""

from __future__ import annotations

from hypothesis import strategies as st

from otm.protocols.cclink import FRAME_TYPES, CcLinkFrame
from otm.protocols.ethercat import Datagram, EthercatFrame

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)


def datagrams() -> st.SearchStrategy[Datagram]:
    return st.builds(
        Datagram,
        st.integers(0, 16),
        u8,
        u32,
        u16,
        st.binary(max_size=120),
        u16,
        st.booleans(),
        st.integers(0, 7),
    )


def ethercat_frames() -> st.SearchStrategy[EthercatFrame]:
    commands = st.builds(
        EthercatFrame,
        st.just(1),
        st.lists(datagrams(), min_size=1, max_size=12).map(tuple),
        st.just(b""),
        st.integers(0, 1),
    )
    others = st.builds(
        EthercatFrame,
        st.sampled_from((4, 5)),
        st.just(()),
        st.binary(max_size=200),
        st.integers(0, 1),
    )
    return st.one_of(commands, others)


def cclink_frames() -> st.SearchStrategy[CcLinkFrame]:
    known = st.builds(
        CcLinkFrame,
        st.sampled_from(sorted(FRAME_TYPES)),
        st.binary(min_size=13, max_size=13),
        st.binary(max_size=100),
    )
    unknown = st.builds(
        CcLinkFrame,
        st.integers(0, 255).filter(lambda t: t not in FRAME_TYPES),
        st.just(b""),
        st.binary(max_size=100),
    )
    return st.one_of(known, unknown)
