"""Test helper: the TPKTs of the shared captures, cut by otm's own framer.

tshark lists the TCP segments to and from port 102 (frame number, stream,
ports, raw sequence number, payload); the segments of each direction are
joined when they follow each other in sequence and cut into TPKTs with
``frame_length``.  A TPKT belongs to the frame in which its last byte
arrived, which is where tshark, reassembling TCP, shows the PDU too.  A
sequence gap drops the bytes carried over (the shared captures were filtered
and miss segments, but every kept segment starts on a TPKT boundary).
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from conftest import PCAPS
from otm.protocols.common import INVALID, NEED_DATA
from otm.protocols.s7comm import frame_length

S7_CAPTURES = (
    "tia_s300_goOnline.pcapng",
    "snap7_s300_everything.pcapng",
    "tia_s300_downloadOb1.pcapng",
    "wincc_s400_production.pcapng",
    "s7comm_plus.pcap",
    "S7-1200-Uploading-OB1-TIAV12.pcap",
    "mb2.pcap",
)


@dataclass(frozen=True, slots=True)
class Pdu:
    """One TPKT of a capture."""

    frame: int
    stream: int
    from_port: int
    to_port: int
    tpkt: bytes

    @property
    def from_server(self) -> bool:
        return self.from_port == 102


def _tshark_segments(path: Path) -> list[list[str]]:
    if shutil.which("tshark") is None:
        raise RuntimeError("tshark is needed to list the TCP segments of the shared captures")
    fields = [
        "frame.number",
        "tcp.stream",
        "tcp.srcport",
        "tcp.dstport",
        "tcp.seq_raw",
        "tcp.payload",
    ]
    cmd = ["tshark", "-n", "-r", str(path), "-Y", "tcp.port == 102 && tcp.len > 0", "-T", "fields"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


@cache
def capture_pdus(name: str) -> tuple[Pdu, ...]:
    """Every TPKT to or from port 102 in the capture, in frame order."""
    pending: dict[tuple[int, int], tuple[int, bytes]] = {}
    out: list[Pdu] = []
    for frame, stream, sport, dport, seq, payload in _tshark_segments(PCAPS / name):
        key = (int(stream), int(sport))
        data = bytes.fromhex(payload)
        seq_no = int(seq)
        carried = pending.pop(key, None)
        start_seq = seq_no
        if carried is not None and carried[0] == seq_no:
            data = carried[1] + data
            start_seq = seq_no - len(carried[1])
        pos = 0
        while pos < len(data):
            size = frame_length(data, pos)
            if size == INVALID:
                pos = len(data)  # not TPKT: drop the rest of the segment
                break
            if size == NEED_DATA or pos + size > len(data):
                break
            out.append(Pdu(int(frame), int(stream), int(sport), int(dport), data[pos : pos + size]))
            pos += size
        if pos < len(data):
            pending[key] = (start_seq + len(data), data[pos:])
    return tuple(out)
