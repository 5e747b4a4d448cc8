"""Frames for the LLDP/CDP tests: build Ethernet frames, write them as a pcap, expect tshark.

The tests write the frames they build into a classic pcap
(``tshark_support``) so that tshark can be the oracle for shapes the shared
captures do not hold; ``Expected`` holds what tshark should show.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path

import tshark_support
from sensor_support import numbered

LLDP_MULTICAST = bytes.fromhex("0180c200000e")
CDP_MULTICAST = bytes.fromhex("01000ccccccc")
SOURCE = bytes.fromhex("00163e112233")


def ethernet(
    payload: bytes, ethertype: int, src: bytes = SOURCE, dst: bytes = LLDP_MULTICAST
) -> bytes:
    """An Ethernet II frame, padded to the 60-byte minimum."""
    frame = dst + src + struct.pack(">H", ethertype) + payload
    return frame + bytes(max(0, 60 - len(frame)))


def snap_cdp(payload: bytes, src: bytes = SOURCE) -> bytes:
    """An 802.3 frame carrying CDP: length, LLC AA-AA-03, SNAP OUI 00-00-0C, PID 0x2000."""
    llc = b"\xaa\xaa\x03\x00\x00\x0c\x20\x00" + payload
    frame = CDP_MULTICAST + src + struct.pack(">H", len(llc)) + llc
    return frame + bytes(max(0, 60 - len(frame)))


def write_pcap(path: Path, frames: Iterable[bytes]) -> Path:
    """A classic pcap of Ethernet frames, one second apart."""
    return tshark_support.write_pcap(path, numbered(frames, 1_000_000.0, 1.0))


class Expected:
    """Per field, the values tshark should show; ``optional`` ones it may leave out."""

    def __init__(self) -> None:
        self.values: dict[str, list[tuple[str, bool]]] = {}

    def add(self, name: str, *values: object, optional: bool = False) -> None:
        self.values.setdefault(name, []).extend((str(v), optional) for v in values)

    def mismatches(self, shown: dict[str, list[str]]) -> list[str]:
        """``field: ours [...] tshark [...]`` for every field that differs."""
        out = []
        for name, values in shown.items():
            expected = self.values.get(name, [])
            if not tshark_support.matches(expected, values):
                out.append(f"{name}: ours {[v for v, _ in expected]} tshark {values}")
        return out
