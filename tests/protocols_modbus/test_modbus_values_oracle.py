"""Values written, against tshark: every Modbus write request otm records, tshark shows alike.

tshark dissects each request to port 502 (``-T json --no-duplicate-keys``, so
the ADUs of one segment are a list, in order) and the test derives, from
tshark's fields alone, the value each write puts at each address:

- 5/6: ``modbus.reference_num`` and ``modbus.data`` (``ff:00`` is a coil on);
- 15: ``modbus.reference_num``, ``modbus.bit_cnt`` and the bits of
  ``modbus.data``, least significant first;
- 16: each register's ``modbus.regnum16`` and ``modbus.regval_uint16``;
- 22: ``modbus.reference_num`` and ``modbus.or_mask`` when ``modbus.and_mask``
  is 0, otherwise a write otm counts as ``mask_write_partial``;
- 23: ``modbus.write_reference_num`` and the registers of ``modbus.data``.

Aggregated per (client, server, unit, table, address) as otm's tally does
(count, smallest, largest and last value, first frame), that must equal the
``ValueWritten`` observations of the capture walked by otm's Modbus sensor
alone, and the partial mask writes its ``values_skipped``.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest

from otm.capture.readers import open_capture
from otm.observations.records import ValueWritten
from otm.sensing import engine
from otm.sensing.engine import PassiveEngine
from otm.sensing.modbus import ModbusSensor

pytestmark = pytest.mark.tshark

CAPTURES = [
    "modbus_example.pcap",
    "modbusAnalog.pcap",
    "modbusSmall.pcap",
    "IllegalFunction.pcap",
    "mb2.pcap",
]
"""The shared captures with Modbus write requests (5, 6, 15, 16, 22, 23 among them)."""

Key = tuple[str, str, str]
"""(client, server, address) as otm writes the address: ``u<unit>:<co|hr>:<n>``."""

Summary = tuple[int, int, int, int, int]
"""(count, minimum, maximum, last value, first frame)."""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _bytes(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))


def _writes(mbtcp: dict[str, Any], pdu: dict[str, Any]) -> Iterator[tuple[str, int, int]]:
    """(table, address, value) of every value a request writes, or ("skip", reason, 0)."""
    fc = int(pdu["modbus.func_code"])
    if fc in (5, 6):
        value = int.from_bytes(_bytes(pdu["modbus.data"]), "big")
        address = int(pdu["modbus.reference_num"])
        if fc == 6:
            yield "hr", address, value
        elif value in (0, 0xFF00):
            yield "co", address, int(value == 0xFF00)
        else:
            yield "skip", 0, 0
    elif fc == 15:
        start, bits = int(pdu["modbus.reference_num"]), int(pdu["modbus.bit_cnt"])
        data = _bytes(pdu["modbus.data"])
        for i in range(bits):
            yield "co", start + i, (data[i // 8] >> (i % 8)) & 1
    elif fc == 16:
        for name, register in pdu.items():
            if name.startswith("Register "):
                yield "hr", int(register["modbus.regnum16"]), int(register["modbus.regval_uint16"])
    elif fc == 22:
        if int(pdu["modbus.and_mask"], 16) == 0:
            yield "hr", int(pdu["modbus.reference_num"]), int(pdu["modbus.or_mask"], 16)
        else:
            yield "skip", 0, 0
    elif fc == 23:
        start, data = int(pdu["modbus.write_reference_num"]), _bytes(pdu["modbus.data"])
        assert len(data) == 2 * int(pdu["modbus.write_word_cnt"])
        for i in range(0, len(data), 2):
            yield "hr", start + i // 2, int.from_bytes(data[i : i + 2], "big")


def tshark_values(tshark: str, capture: Path) -> tuple[dict[Key, Summary], int, int]:
    """Per (client, server, address): what tshark's fields say was written; the number
    of values, and of partial mask writes (or coil values neither on nor off)."""
    command = [tshark, "-n", "-r", str(capture), "-Y", "tcp.dstport == 502 && modbus",
               "-T", "json", "--no-duplicate-keys", "-J", "frame ip tcp mbtcp modbus"]  # fmt: skip
    packets = json.loads(subprocess.run(command, capture_output=True, check=True).stdout)
    found: dict[Key, list[int]] = {}
    values = skipped = 0
    for packet in packets:
        layers = packet["_source"]["layers"]
        if "tcp.analysis.retransmission" in json.dumps(layers["tcp"]):
            continue  # otm's reassembly takes the bytes once
        frame = int(layers["frame"]["frame.number"])
        client, server = layers["ip"]["ip.src"], layers["ip"]["ip.dst"]
        for mbtcp, pdu in zip(_list(layers["mbtcp"]), _list(layers["modbus"]), strict=True):
            unit = int(mbtcp["mbtcp.unit_id"])
            for table, address, value in _writes(mbtcp, pdu):
                if table == "skip":
                    skipped += 1
                    continue
                values += 1
                key = (client, server, f"u{unit}:{table}:{address}")
                entry = found.get(key)
                if entry is None:
                    found[key] = [1, value, value, value, frame]
                else:
                    entry[0] += 1
                    entry[1], entry[2] = min(entry[1], value), max(entry[2], value)
                    entry[3] = value
    summary = {k: (e[0], e[1], e[2], e[3], e[4]) for k, e in found.items()}
    return summary, values, skipped


def otm_values(capture: Path) -> tuple[dict[Key, Summary], dict[str, int]]:
    """Per (client, server, address): otm's ``ValueWritten`` of the capture; and what it
    skipped."""
    with patch.object(engine, "SENSORS", (ModbusSensor(),)):
        passive = PassiveEngine(ref=capture.name)
    with open_capture(capture) as reader:
        result = passive.run(reader)
    out: dict[Key, Summary] = {}
    for obs in result.observations:
        if isinstance(obs, ValueWritten):
            key = (obs.client_ip or "", obs.server_ip or "", obs.address)
            assert key not in out, f"two observations for {key}"
            assert isinstance(obs.minimum, int) and isinstance(obs.maximum, int)
            assert isinstance(obs.last_value, int)
            out[key] = (obs.count, obs.minimum, obs.maximum, obs.last_value,
                        obs.evidence.packet or 0)  # fmt: skip
    return out, result.stats.values_skipped


@pytest.mark.parametrize("capture", CAPTURES)
def test_values_written_agree_with_tshark(capture: str, pcaps: Path, tshark: str) -> None:
    theirs, values, skipped = tshark_values(tshark, pcaps / capture)
    ours, ours_skipped = otm_values(pcaps / capture)
    assert values > 0, "a capture without writes compares nothing"
    missing = sorted(set(theirs) - set(ours))
    extra = sorted(set(ours) - set(theirs))
    differ = [
        (k, theirs[k], ours[k]) for k in sorted(set(theirs) & set(ours)) if theirs[k] != ours[k]
    ]
    assert not missing and not extra and not differ, (missing[:5], extra[:5], differ[:5])
    assert sum(ours_skipped.values()) == skipped


def test_the_comparison_covers_every_write_function(pcaps: Path, tshark: str) -> None:
    """Each write function code occurs in the compared captures, so each can fail."""
    seen: set[str] = set()
    for capture in CAPTURES:
        command = [tshark, "-n", "-r", str(pcaps / capture), "-Y", "tcp.dstport == 502",
                   "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
                   "-e", "modbus.func_code"]  # fmt: skip
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        seen |= {code for line in out.split() for code in line.split(",")}
    assert {"5", "6", "15", "16", "22", "23"} <= seen
