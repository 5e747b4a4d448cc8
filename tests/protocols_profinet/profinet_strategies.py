"""Hypothesis strategies for PROFINET RT frames and DCP PDUs, and the captures' DCP frames.

A generated DCP PDU obeys what the decoder reads: blocks carry a BlockInfo
exactly where the service does (Identify/Get responses, Hello) and a
BlockQualifier exactly in Set requests; Get requests hold bare selectors.
Sizes stay within one Ethernet frame (1500 bytes of payload).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from hypothesis import strategies as st

from conftest import PCAPS
from otm.capture.link import LinkInfo, decode_link
from otm.capture.readers import open_capture
from otm.protocols.profinet import (
    DCP_FRAME_IDS,
    DcpBlock,
    DcpPdu,
    FrameId,
    RtFrame,
    ServiceId,
    ServiceType,
    carries_info,
    carries_qualifier,
    is_cyclic,
)

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)

DCP_CAPTURES = (
    "ChangeIPUsingDCP.pcap",
    "PROFINET-RT.pcap",
    "profinet-wireshark-bug.pcap",
    "mb2.pcap",
)
"""Every shared capture whose ground truth counts PROFINET DCP frames."""

OPTIONS = st.sampled_from((0x01, 0x02, 0x03, 0x05, 0x06, 0x80, 0xFE, 0xFF, 0x04, 0x07))

_FRAME_FOR: dict[tuple[int, bool], int] = {
    (ServiceId.HELLO, True): FrameId.DCP_HELLO,
    (ServiceId.IDENTIFY, True): FrameId.DCP_IDENTIFY_REQUEST,
    (ServiceId.IDENTIFY, False): FrameId.DCP_IDENTIFY_RESPONSE,
}


def rt_frames() -> st.SearchStrategy[RtFrame]:
    """Any non-DCP frame; cyclic ones with their APDU status."""
    frame_id = u16.filter(lambda f: f not in DCP_FRAME_IDS)

    def build(fid: int) -> st.SearchStrategy[RtFrame]:
        data = st.binary(max_size=80)
        if is_cyclic(fid):
            return st.builds(RtFrame, st.just(fid), data, u16, u8, u8)
        return st.builds(RtFrame, st.just(fid), data)

    return frame_id.flatmap(build)


def _block(service_id: int, request: bool) -> st.SearchStrategy[DcpBlock]:
    def build(option: int, suboption: int, value: bytes, extra: int) -> DcpBlock:
        info = extra if carries_info(service_id, request, option) else None
        qualifier = extra if carries_qualifier(service_id, request, option) else None
        return DcpBlock(option, suboption, value, info, qualifier)

    return st.builds(build, OPTIONS, u8, st.binary(max_size=40), u16)


def dcp_pdus() -> st.SearchStrategy[DcpPdu]:
    """Every service and type, with blocks laid out as the service defines."""
    service = st.sampled_from(tuple(ServiceId))
    kind = st.sampled_from(tuple(ServiceType))

    def build(service_id: int, service_type: int) -> st.SearchStrategy[DcpPdu]:
        request = service_type == ServiceType.REQUEST
        frame_id = _FRAME_FOR.get((service_id, request), FrameId.DCP_GET_SET)
        if request and service_id == ServiceId.GET:
            blocks = st.lists(st.builds(DcpBlock, OPTIONS, u8), max_size=20)
        else:
            blocks = st.lists(_block(service_id, request), max_size=12)
        return st.builds(
            DcpPdu,
            st.just(frame_id),
            st.just(service_id),
            st.just(service_type),
            u32,
            u16,
            blocks.map(tuple),
        )

    return st.tuples(service, kind).flatmap(lambda sk: build(*sk))


@dataclass(frozen=True, slots=True)
class CapturedFrame:
    """One 0x8892 frame of a shared capture."""

    capture: str
    frame: int
    src: str
    dst: str
    payload: bytes


def _mac(raw: bytes | None) -> str:
    return ":".join(f"{b:02x}" for b in raw) if raw else ""


@cache
def profinet_frames(capture: str) -> tuple[CapturedFrame, ...]:
    """Every EtherType 0x8892 frame of a capture, payload after any VLAN tags."""
    out = []
    with open_capture(PCAPS / capture) as reader:
        for number, _ts, linktype, data in reader:
            link = decode_link(linktype, data)
            if isinstance(link, LinkInfo) and link.ethertype == 0x8892:
                payload = bytes(data[link.offset :])
                out.append(CapturedFrame(capture, number, _mac(link.src), _mac(link.dst), payload))
    return tuple(out)


def seed_payloads() -> list[bytes]:
    """The shared captures' PROFINET payloads: a corpus to mutate."""
    return [f.payload for c in DCP_CAPTURES for f in profinet_frames(c)]
