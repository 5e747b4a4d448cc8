"""DNP3 analog outputs set by operate requests become ``ValueWritten``; tshark agrees.

Built requests pin what is recorded (group 41 of operate, direct operate and
direct operate without acknowledgement; indexes from a prefix or a range)
and what is not (select, control relay output blocks, NaN); the shared
capture with an analog output (``DNP3Value.pcap``, a float32 direct operate)
is compared with tshark's ``dnp3.al.index`` and ``dnp3.al.anaout.*``.
"""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path
from unittest.mock import patch

import pytest
from dnp3_support import (
    MASTER_IP,
    OUTSTATION,
    OUTSTATION_IP,
    master_frames,
    request,
    run_dnp3,
    tcp_conversation,
)

from otm.observations.records import Observation, Transport, ValueWritten
from otm.protocols.dnp3 import ObjectHeader
from otm.sensing import engine
from otm.sensing.dnp3 import Dnp3Sensor
from sensor_support import Frame, sense_capture

SELECT, OPERATE, DIRECT_OPERATE, DIRECT_OPERATE_NR = 3, 4, 5, 6
RANGE_DATA = b"\x05\x00\x00\x06\x00\x00"
"""Two int16 analog output blocks (5 and 6), each with its status octet."""


def _g41(variation: int, points: list[tuple[int, bytes]], prefix: int = 1) -> ObjectHeader:
    """Analog output blocks with 1-octet index prefixes and a 1-octet count (0x17)."""
    data = b"".join(index.to_bytes(prefix, "little") + value + b"\x00" for index, value in points)
    qualifier = (prefix << 4) | (0x07 if prefix == 1 else 0x08)
    return ObjectHeader(41, variation, qualifier, None, None, len(points), data)


def _frames(*fragments: bytes) -> list[Frame]:
    return tcp_conversation([(True, master_frames(f)) for f in fragments])


def _values(frames: list[Frame]) -> dict[str, tuple[int, object, object, object]]:
    return {
        v.address: (v.count, v.minimum, v.maximum, v.last_value)
        for v in run_dnp3(frames)
        if isinstance(v, ValueWritten)
    }


def test_operate_requests_record_their_analog_outputs() -> None:
    frames = _frames(
        request(DIRECT_OPERATE, _g41(2, [(3, struct.pack("<h", -40))])),
        request(SELECT, _g41(1, [(7, struct.pack("<i", 999))])),
        request(OPERATE, _g41(1, [(7, struct.pack("<i", 100_000))])),
        request(DIRECT_OPERATE_NR, _g41(3, [(3, struct.pack("<f", 1.5))])),
        request(DIRECT_OPERATE, _g41(4, [(300, struct.pack("<d", 2.25))], prefix=2)),
        # a start-stop range (qualifier 0x00): points 10 and 11, no prefix
        request(
            DIRECT_OPERATE, ObjectHeader(41, 2, 0x00, 10, 11, None, b"\x05\x00\x00\x06\x00\x00")
        ),
    )
    assert _values(frames) == {
        f"o{OUTSTATION}:ao:3": (2, -40, 1.5, 1.5),
        f"o{OUTSTATION}:ao:7": (1, 100_000, 100_000, 100_000),
        f"o{OUTSTATION}:ao:300": (1, 2.25, 2.25, 2.25),
        f"o{OUTSTATION}:ao:10": (1, 5, 5, 5),
        f"o{OUTSTATION}:ao:11": (1, 6, 6, 6),
    }
    bits = {v.address: v.bits for v in run_dnp3(frames) if isinstance(v, ValueWritten)}
    assert bits == {f"o{OUTSTATION}:ao:{i}": b for i, b in ((3, 16), (7, 32), (300, 64),
                                                             (10, 16), (11, 16))}  # fmt: skip
    first = next(v for v in run_dnp3(frames) if isinstance(v, ValueWritten))
    assert (first.client_ip, first.server_ip, first.port, first.transport) == (
        MASTER_IP, OUTSTATION_IP, 20000, Transport.TCP,
    )  # fmt: skip
    assert first.evidence.message == "dnp3 direct_operate request"


def test_select_and_control_relay_outputs_are_not_values() -> None:
    crob = ObjectHeader(12, 1, 0x17, None, None, 1, b"\x00\x41\x01" + bytes(8) + b"\x00")
    frames = _frames(request(SELECT, _g41(2, [(1, b"\x01\x00")])), request(DIRECT_OPERATE, crob))
    assert _values(frames) == {}


def test_a_nan_output_is_counted_not_recorded() -> None:
    frames = _frames(request(DIRECT_OPERATE, _g41(3, [(1, struct.pack("<f", float("nan")))])))
    observations, skipped = _run(frames)
    assert not [o for o in observations if isinstance(o, ValueWritten)]
    assert skipped == {"dnp3/not_finite": 1}


def _run(frames: list[Frame]) -> tuple[list[Observation], dict[str, int]]:
    with patch.object(engine, "SENSORS", (Dnp3Sensor(),)):
        result = engine.PassiveEngine(ref="test").run(frames)
    return list(result.observations), result.stats.values_skipped


@pytest.mark.tshark
def test_analog_outputs_of_the_shared_capture_agree_with_tshark(pcaps: Path, tshark: str) -> None:
    fields = ["frame.number", "ip.src", "ip.dst", "dnp3.dst", "dnp3.al.func", "dnp3.al.obj",
              "dnp3.al.index", "dnp3.al.anaout.int", "dnp3.al.anaout.float",
              "dnp3.al.anaout.double"]  # fmt: skip
    command = [tshark, "-n", "-r", str(pcaps / "DNP3Value.pcap"), "-Y",
               "(dnp3.al.func == 4 || dnp3.al.func == 5 || dnp3.al.func == 6)"
               " && dnp3.al.obj >= 0x2901 && dnp3.al.obj <= 0x2904",
               "-T", "fields", "-E", "occurrence=f"]  # fmt: skip
    for name in fields:
        command += ["-e", name]
    lines = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split("\n")
    rows = [dict(zip(fields, line.split("\t"), strict=True)) for line in lines if line]
    assert len(rows) == 1, rows  # one float32 direct operate in the shared captures
    (row,) = rows
    (ours,) = [
        o for o in sense_capture([Dnp3Sensor()], "DNP3Value.pcap") if isinstance(o, ValueWritten)
    ]
    assert ours.evidence.packet == int(row["frame.number"])
    assert (ours.client_ip, ours.server_ip) == (row["ip.src"], row["ip.dst"])
    assert ours.address == f"o{row['dnp3.dst']}:ao:{row['dnp3.al.index']}"
    assert row["dnp3.al.obj"] == "0x2903"  # float32: tshark shows it rounded to its digits
    shown = float(row["dnp3.al.anaout.float"])
    assert struct.pack("<f", ours.last_value) == struct.pack("<f", shown)
    assert ours.minimum == ours.maximum == ours.last_value and ours.count == 1
