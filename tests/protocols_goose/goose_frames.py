"""Frames for the GOOSE/SV tests: build Ethernet frames and write them as a pcap.

Built frames go into a classic pcap (``tshark_support``) so that tshark can
be the oracle for shapes no shared capture holds (every dataset value kind,
Sampled Values).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path

import tshark_support
from sensor_support import numbered

GOOSE_GROUP = bytes.fromhex("010ccd010001")
SV_GROUP = bytes.fromhex("010ccd040001")
PUBLISHER = bytes.fromhex("0050c2000001")


def ethernet(
    payload: bytes,
    ethertype: int,
    src: bytes = PUBLISHER,
    dst: bytes = GOOSE_GROUP,
    vlan: int | None = None,
    priority: int = 4,
) -> bytes:
    """An Ethernet II frame, 802.1Q tagged when ``vlan`` is given (0: priority tag only)."""
    tag = b"" if vlan is None else struct.pack(">HH", 0x8100, (priority << 13) | vlan)
    frame = dst + src + tag + struct.pack(">H", ethertype) + payload
    return frame + bytes(max(0, 60 - len(frame)))


def write_pcap(path: Path, frames: Iterable[bytes], step: float = 1.0) -> Path:
    """A classic pcap of Ethernet frames, ``step`` seconds apart."""
    return tshark_support.write_pcap(path, numbered(frames, 1_500_000_000.0, step))


def mismatches(expected: dict[str, list[str]], shown: dict[str, list[str]]) -> list[str]:
    """``field: ours [...] tshark [...]`` for every compared field that differs."""
    return [
        f"{name}: ours {expected.get(name, [])} tshark {values}"
        for name, values in shown.items()
        if expected.get(name, []) != values
    ]
