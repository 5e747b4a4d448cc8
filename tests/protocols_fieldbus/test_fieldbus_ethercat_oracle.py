"""The EtherCAT codec against tshark, the oracle, field by field.

No shared capture carries EtherCAT, so the test builds frames with our
encoder (hand-picked ones and a seeded random set: every command, one to
twelve datagrams, logical and physical addresses, circulating and
reserved bits, mailbox and network-variable frames), writes them to a pcap
and has tshark's ECATF/ECAT dissectors decode them; per frame, every field
tshark shows must equal what our decoder derives from the same bytes.
(tshark 4.0 has no CC-Link IE dissector, so CC-Link IE has no oracle.)
"""

from __future__ import annotations

import random
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from otm.capture.frames import ethernet
from otm.capture.writer import PcapWriter
from otm.protocols.ethercat import (
    Datagram,
    EthercatFrame,
    decode_frame,
    encode_frame,
    scan_commands,
)
from otm.protocols.ethercat.constants import LOGICAL_COMMANDS

pytestmark = pytest.mark.tshark

FIELDS = [
    "frame.number",
    "ecatf.length",
    "ecatf.reserved",
    "ecatf.type",
    "ecat.cmd",
    "ecat.idx",
    "ecat.adp",
    "ecat.ado",
    "ecat.lad",
    "ecat.subframe.length",
    "ecat.subframe.reserved",
    "ecat.subframe.circulating",
    "ecat.subframe.more",
    "ecat.int",
    "ecat.cnt",
]
AGGREGATOR = "|"


def _frames() -> list[EthercatFrame]:
    rng = random.Random(0x88A4)
    out = [
        EthercatFrame(
            1,
            (
                Datagram(7, 0x10, 0x01300000, 0, b"\x00\x00", 3),
                Datagram(12, 0x11, 0x00010000, 1, b"\x01\x02\x03\x04", 2, True),
                Datagram(4, 5, 0x01200003, 0, b"\x08\x00", 1),
            ),
        ),
        EthercatFrame(1, (Datagram(2, 1, 0x0120FFFE, 0, b"\x02\x00", 0),)),
        EthercatFrame(5, (), b"\x0a\x00\x00\x00\x00\x00\x01\x00\x00\x00" + bytes(10)),
        EthercatFrame(4, (), bytes(16)),
    ]
    for _ in range(60):
        datagrams = []
        for _ in range(rng.randrange(1, 13)):
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
            datagrams.append(
                Datagram(
                    rng.randrange(15),
                    rng.randrange(256),
                    rng.randrange(1 << 32),
                    rng.randrange(1 << 16),
                    data,
                    rng.randrange(1 << 16),
                    rng.random() < 0.2,
                    rng.choice((0, 0, 0, 3)),
                )
            )
        out.append(EthercatFrame(1, tuple(datagrams), b"", rng.choice((0, 0, 1))))
    return out


def _expected(payload: bytes) -> dict[str, list[str]]:
    """What tshark must show, from our decoding of the frame as padded on the wire."""
    wire = payload + b"\0" * 60
    frame = decode_frame(wire)
    assert isinstance(frame, EthercatFrame), frame
    assert scan_commands(wire) == [d.command for d in frame.datagrams]
    assert encode_frame(frame) == payload
    out: dict[str, list[str]] = defaultdict(list)
    out["ecatf.length"].append(f"0x{len(payload) - 2:04x}")
    out["ecatf.reserved"].append(f"0x{frame.reserved:04x}")
    out["ecatf.type"].append(f"0x{frame.type:04x}")
    last = len(frame.datagrams) - 1
    for i, d in enumerate(frame.datagrams):
        out["ecat.cmd"].append(f"0x{d.command:02x}")
        out["ecat.idx"].append(f"0x{d.index:02x}")
        if d.command in LOGICAL_COMMANDS:
            out["ecat.lad"].append(f"0x{d.address:08x}")
        else:
            out["ecat.adp"].append(f"0x{d.adp:04x}")
            out["ecat.ado"].append(f"0x{d.ado:04x}")
        out["ecat.subframe.length"].append(str(len(d.data)))
        out["ecat.subframe.reserved"].append(str(d.reserved))
        out["ecat.subframe.circulating"].append(str(int(d.circulating)))
        out["ecat.subframe.more"].append(str(int(i < last)))
        out["ecat.int"].append(f"0x{d.irq:04x}")
        out["ecat.cnt"].append(str(d.working_counter))
    return out


def test_built_frames_match_tshark(tshark: str, tmp_path: Path) -> None:
    payloads = [encode_frame(f) for f in _frames()]
    path = tmp_path / "ethercat.pcap"
    with path.open("wb") as fh:
        writer = PcapWriter(fh)
        for i, payload in enumerate(payloads):
            frame = ethernet("ff:ff:ff:ff:ff:ff", "00:01:05:11:22:33", 0x88A4, payload, pad=True)
            writer.write(1000.0 + i, frame)
    cmd = [tshark, "-n", "-r", str(path), "-T", "fields", "-E", f"aggregator={AGGREGATOR}"]
    cmd += ["-E", "separator=\t", "-E", "occurrence=a"]
    for f in FIELDS:
        cmd += ["-e", f]
    lines = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()
    assert len(lines) == len(payloads)
    mismatches = {}
    for line, payload in zip(lines, payloads, strict=True):
        cells = line.split("\t")
        shown = {
            n: c.split(AGGREGATOR) if c else [] for n, c in zip(FIELDS[1:], cells[1:], strict=True)
        }
        expected = _expected(payload)
        bad = [
            f"{n}: {shown[n]} != {expected.get(n, [])}"
            for n in FIELDS[1:]
            if shown[n] != expected.get(n, [])
        ]
        if bad:
            mismatches[cells[0]] = bad
    assert not mismatches
