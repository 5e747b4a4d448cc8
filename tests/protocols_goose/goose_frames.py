"""Frames for the GOOSE/SV tests: build Ethernet frames, write and read pcaps, ask tshark.

Built frames go into a classic pcap (little-endian, microseconds,
LINKTYPE_ETHERNET) so that tshark can be the oracle for shapes no shared
capture holds (every dataset value kind, Sampled Values); captures are
read back with otm's own reader and link decoder, as the walker does.
"""

from __future__ import annotations

import struct
import subprocess
from collections.abc import Iterable
from pathlib import Path

from otm.capture.link import LinkInfo, decode_link
from otm.capture.readers import open_capture

GOOSE_GROUP = bytes.fromhex("010ccd010001")
SV_GROUP = bytes.fromhex("010ccd040001")
PUBLISHER = bytes.fromhex("0050c2000001")

AGGREGATOR = "|"
"""Joins a field's values within one frame; the values compared never contain it."""


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
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for index, frame in enumerate(frames):
        micros = round(index * step * 1_000_000)
        out.append(
            struct.pack(
                "<IIII",
                1_500_000_000 + micros // 1_000_000,
                micros % 1_000_000,
                len(frame),
                len(frame),
            )
            + frame
        )
    path.write_bytes(b"".join(out))
    return path


def payloads(capture: Path, ethertype: int) -> dict[int, bytes]:
    """Frame number -> payload after the EtherType (and VLAN tags), as the walker hands it."""
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


def mismatches(expected: dict[str, list[str]], shown: dict[str, list[str]]) -> list[str]:
    """``field: ours [...] tshark [...]`` for every compared field that differs."""
    return [
        f"{name}: ours {expected.get(name, [])} tshark {values}"
        for name, values in shown.items()
        if expected.get(name, []) != values
    ]
