"""Frames for the LLDP/CDP tests: build Ethernet frames, write and read pcaps, ask tshark.

The tests write the frames they build into a classic pcap (little-endian,
microseconds, LINKTYPE_ETHERNET) so that tshark can be the oracle for
shapes the shared captures do not hold, and read captures back with otm's
own reader and link decoder, as the walker does.
"""

from __future__ import annotations

import struct
import subprocess
from collections.abc import Iterable
from pathlib import Path

from otm.capture.link import LinkInfo, decode_link
from otm.capture.readers import open_capture

LLDP_MULTICAST = bytes.fromhex("0180c200000e")
CDP_MULTICAST = bytes.fromhex("01000ccccccc")
SOURCE = bytes.fromhex("00163e112233")

AGGREGATOR = "|"
"""Joins a field's values within one frame; the values compared never contain it."""


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
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for index, frame in enumerate(frames):
        out.append(struct.pack("<IIII", 1_000_000 + index, 0, len(frame), len(frame)) + frame)
    path.write_bytes(b"".join(out))
    return path


def payloads(capture: Path, ethertype: int) -> dict[int, bytes]:
    """Frame number -> payload after the EtherType (or SNAP header), as the walker hands it."""
    out: dict[int, bytes] = {}
    with open_capture(capture) as reader:
        for number, _ts, linktype, data in reader:
            link = decode_link(linktype, data)
            if isinstance(link, LinkInfo) and link.ethertype == ethertype:
                out[number] = data[link.offset :]
    return out


def tshark_fields(
    tshark: str, capture: Path, display_filter: str, fields: list[str]
) -> dict[int, dict[str, list[str]]]:
    """Frame number -> field -> every value tshark shows for it, in order."""
    command = [tshark, "-n", "-r", str(capture), "-Y", display_filter, "-T", "fields"]
    command += ["-E", "occurrence=a", "-E", f"aggregator={AGGREGATOR}", "-e", "frame.number"]
    for name in fields:
        command += ["-e", name]
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)
    rows: dict[int, dict[str, list[str]]] = {}
    for line in result.stdout.splitlines():
        cells = line.split("\t")
        rows[int(cells[0])] = {
            name: cell.split(AGGREGATOR) if cell else []
            for name, cell in zip(fields, cells[1:], strict=True)
        }
    return rows


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
            if not _matches(expected, values):
                out.append(f"{name}: ours {[v for v, _ in expected]} tshark {values}")
        return out


def _matches(expected: list[tuple[str, bool]], shown: list[str]) -> bool:
    """Whether ``shown`` is ``expected`` in order, optional values present or not."""
    at = 0
    for value, optional in expected:
        if at < len(shown) and shown[at] == value:
            at += 1
        elif not optional:
            return False
    return at == len(shown)
