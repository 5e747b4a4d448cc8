"""Test helpers: run chosen sensors over frames as the passive engine does, and list
the IEC 104 APDUs of a shared capture.

``observe`` runs ``otm.sensing.engine.PassiveEngine`` with only the sensors
given registered (the engine reads the registry when it is built), so a
protocol is tested alone whether or not the registry lists it yet.

``capture_apdus`` asks tshark for the TCP segments to and from port 2404,
joins each direction's bytes in sequence order (dropping retransmitted and
keep-alive octets, which re-send bytes already seen) and cuts them with
otm's framer; an APDU belongs to the frame in which its last octet arrived,
as tshark shows it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from unittest.mock import patch

from conftest import PCAPS
from otm.capture.readers import open_capture
from otm.observations.records import Observation
from otm.protocols.common import INVALID, NEED_DATA
from otm.protocols.iec104 import frame_length
from otm.sensing import engine
from otm.sensing.registry import Sensor

IEC104_CAPTURES = ("090813_diverse.pcap", "104deneme.pcap", "vinci104.pcap")


def observe(
    frames: Iterable[tuple[int, float, int, bytes]], sensors: Sequence[Sensor], ref: str = "test"
) -> list[Observation]:
    """The observations the given sensors make of ``frames``, through the passive
    engine itself with only these sensors registered."""
    with patch.object(engine, "SENSORS", tuple(sensors)):
        passive = engine.PassiveEngine(ref=ref)
    return passive.run(frames).observations


def observe_capture(path: Path, sensors: Sequence[Sensor]) -> list[Observation]:
    """``observe`` over a capture file."""
    with open_capture(path) as reader:
        return observe(reader, sensors, path.name)


@dataclass(frozen=True, slots=True)
class CapturedApdu:
    """One APDU of a capture: the frame its last octet came in, its sender's port."""

    frame: int
    stream: int
    from_port: int
    apdu: bytes

    @property
    def from_server(self) -> bool:
        return self.from_port == 2404


def tshark_lines(path: Path, display_filter: str, fields: Sequence[str]) -> list[list[str]]:
    """``tshark -T fields`` rows (all occurrences, joined by ``|``) for the filter."""
    if shutil.which("tshark") is None:
        raise RuntimeError("tshark is needed to read the shared captures' fields")
    cmd = [
        "tshark", "-n", "-r", str(path), "-Y", display_filter, "-T", "fields",
        "-E", "occurrence=a", "-E", "aggregator=|",
    ]  # fmt: skip
    for name in fields:
        cmd += ["-e", name]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


@cache
def capture_apdus(name: str) -> tuple[CapturedApdu, ...]:
    """Every IEC 104 APDU to or from port 2404 in the capture, in frame order."""
    rows = tshark_lines(
        PCAPS / name,
        "tcp.port == 2404 && tcp.len > 0",
        ["frame.number", "tcp.stream", "tcp.srcport", "tcp.seq_raw", "tcp.payload"],
    )
    state: dict[tuple[int, int], tuple[int, bytes]] = {}  # next seq, carried bytes
    out: list[CapturedApdu] = []
    for frame, stream, sport, seq, payload in rows:
        key = (int(stream), int(sport))
        data, seq_no = bytes.fromhex(payload), int(seq)
        expected, carried = state.get(key, (seq_no, b""))
        skip = (expected - seq_no) & 0xFFFFFFFF
        if skip >= 0x80000000:  # a hole: what was carried is lost
            carried, skip = b"", 0
        if skip >= len(data):
            continue  # retransmission or keep-alive: nothing new
        data = carried + data[skip:]
        next_seq = (seq_no + skip + len(data) - len(carried)) & 0xFFFFFFFF
        pos = 0
        while pos < len(data):
            size = frame_length(data, pos)
            if size == INVALID:
                pos = len(data)
                break
            if size == NEED_DATA or pos + size > len(data):
                break
            out.append(CapturedApdu(int(frame), int(stream), int(sport), data[pos : pos + size]))
            pos += size
        state[key] = (next_seq, data[pos:])
    return tuple(out)
