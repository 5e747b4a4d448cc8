"""Values written, against tshark: every S7comm write var item otm records, tshark shows alike.

tshark dissects each write var job (ROSCTR 1, function 0x05; ``-T json
--no-duplicate-keys``, so a job's items are lists in order) and the test
derives, from tshark's fields alone, the address and value of each item:
the parameter item's syntax id, area, DB number, byte and bit address (or
timer/counter number), and the data item's transport size and bytes
(``s7comm.resp.data``).  Its own table of Siemens notation: ``DB<n>.DBX<b>.<x>``
for a one-bit item, ``DB<n>.DB{B,W,D}<b>`` for 1, 2, 4 bytes, ``M``, ``I``,
``Q``, ``P``, ``L``, ``V`` likewise, ``T<n>``/``C<n>``; values unsigned
big-endian, signed for data transport sizes 0x05/0x06, IEEE float for 0x07.

Aggregated per (client, server, address) as otm's tally does (count,
smallest, largest and last value, first frame), that must equal the
``ValueWritten`` observations of the capture walked by otm's S7 sensor
alone; the items tshark shows that no value can stand for (longer data,
other syntax ids) must equal otm's ``values_skipped``.
"""

from __future__ import annotations

import json
import math
import struct
import subprocess
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from s7_captures import S7_CAPTURES

from otm.capture.readers import open_capture
from otm.observations.records import ValueWritten
from otm.sensing import engine
from otm.sensing.engine import PassiveEngine
from otm.sensing.s7comm import S7Sensor

pytestmark = pytest.mark.tshark

WITH_WRITES = (
    "snap7_s300_everything.pcapng",
    "wincc_s400_production.pcapng",
    "s7comm_plus.pcap",
    "mb2.pcap",
)
"""The shared S7 captures holding write var jobs (the others must hold none)."""

LETTERS = {0x81: "I", 0x82: "Q", 0x83: "M", 0x80: "P", 0x86: "L", 0x87: "V"}
BLOCKS = {0x84: "DB", 0x85: "DI"}
TIMERS_COUNTERS = {0x1D: "T", 0x1C: "C", 0x1F: "T", 0x1E: "C"}
WIDTHS = {1: "B", 2: "W", 4: "D"}

Key = tuple[str, str, str]
Summary = tuple[int, float, float, float, int]
"""(count, minimum, maximum, last value, first frame)."""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _item(param: dict[str, Any], data: dict[str, Any]) -> tuple[str, float] | str:
    """(address, value) of one written item from tshark's fields, or why there is none."""
    if param.get("s7comm.param.item.syntaxid") != "0x10":
        return "not_s7any"
    raw = bytes.fromhex(data.get("s7comm.resp.data", "").replace(":", ""))
    if not raw:
        return "no_data"
    area = int(param["s7comm.param.item.area"], 16)
    where = param["s7comm.param.item.address_tree"]
    size = int(data["s7comm.data.transportsize"], 16)
    if area in TIMERS_COUNTERS:
        if len(raw) != 2:
            return "long_data"
        number = where["s7comm.param.item.address.number"]
        return f"{TIMERS_COUNTERS[area]}{number}", int.from_bytes(raw, "big")
    byte, bit = where["s7comm.param.item.address.byte"], where["s7comm.param.item.address.bit"]
    db = param["s7comm.param.item.db"]
    block = BLOCKS.get(area)
    prefix = f"{block}{db}.{block}" if block else LETTERS[area]
    if size == 0x03:
        if int(data["s7comm.data.length"]) != 1:
            return "long_data"
        if raw[0] > 1:
            return "bad_bit_value"
        return (f"{prefix}X{byte}.{bit}" if block else f"{prefix}{byte}.{bit}"), raw[0]
    if len(raw) not in WIDTHS:
        return "long_data"
    address = f"{prefix}{WIDTHS[len(raw)]}{byte}"
    if size == 0x07 and len(raw) == 4:
        real: float = struct.unpack(">f", raw)[0]
        return (address, real) if math.isfinite(real) else "not_finite"
    return address, int.from_bytes(raw, "big", signed=size in (0x05, 0x06))


def tshark_values(capture: Path) -> tuple[dict[Key, Summary], int, dict[str, int]]:
    """Per (client, server, address): what tshark's fields say was written; the number
    of values; the items without one, by reason."""
    command = ["tshark", "-n", "-r", str(capture), "-Y",
               "s7comm.header.rosctr == 1 && s7comm.param.func == 0x05",
               "-T", "json", "--no-duplicate-keys", "-J", "frame ip tcp s7comm"]  # fmt: skip
    packets = json.loads(subprocess.run(command, capture_output=True, check=True).stdout)
    found: dict[Key, list[Any]] = {}
    values = 0
    skipped: dict[str, int] = {}
    for packet in packets:
        layers = packet["_source"]["layers"]
        if "tcp.analysis.retransmission" in json.dumps(layers["tcp"]):
            continue
        frame = int(layers["frame"]["frame.number"])
        client, server = layers["ip"]["ip.src"], layers["ip"]["ip.dst"]
        for s7 in _list(layers["s7comm"]):
            param_part = s7.get("s7comm.param", {})
            if (
                s7["s7comm.header"]["s7comm.header.rosctr"] != "1"
                or param_part.get("s7comm.param.func") != "0x05"
            ):
                continue  # another PDU of the same segment
            params = _list(s7["s7comm.param"]["s7comm.param.item"])
            datas = _list(s7["s7comm.data"]["s7comm.data.item"])
            assert len(params) == len(datas), frame
            for param, data in zip(params, datas, strict=True):
                got = _item(param, data)
                if isinstance(got, str):
                    skipped[f"s7comm/{got}"] = skipped.get(f"s7comm/{got}", 0) + 1
                    continue
                address, value = got
                values += 1
                entry = found.get((client, server, address))
                if entry is None:
                    found[(client, server, address)] = [1, value, value, value, frame]
                else:
                    entry[0] += 1
                    entry[1], entry[2] = min(entry[1], value), max(entry[2], value)
                    entry[3] = value
    return {k: (e[0], e[1], e[2], e[3], e[4]) for k, e in found.items()}, values, skipped


def otm_values(capture: Path) -> tuple[dict[Key, Summary], dict[str, int]]:
    """Per (client, server, address): otm's ``ValueWritten``; and what it skipped."""
    with patch.object(engine, "SENSORS", (S7Sensor(),)):
        passive = PassiveEngine(ref=capture.name)
    with open_capture(capture) as reader:
        result = passive.run(reader)
    out: dict[Key, Summary] = {}
    for obs in result.observations:
        if isinstance(obs, ValueWritten):
            key = (obs.client_ip or "", obs.server_ip or "", obs.address)
            assert key not in out, f"two observations for {key}"
            out[key] = (obs.count, obs.minimum, obs.maximum, obs.last_value,
                        obs.evidence.packet or 0)  # fmt: skip
    return out, result.stats.values_skipped


@pytest.mark.parametrize("capture", S7_CAPTURES)
def test_values_written_agree_with_tshark(capture: str, pcaps: Path, tshark: str) -> None:
    theirs, values, skipped = tshark_values(pcaps / capture)
    ours, ours_skipped = otm_values(pcaps / capture)
    assert (values > 0 or bool(skipped)) == (capture in WITH_WRITES)
    missing = sorted(set(theirs) - set(ours))
    extra = sorted(set(ours) - set(theirs))
    both = sorted(set(theirs) & set(ours))
    differ = [(k, theirs[k], ours[k]) for k in both if theirs[k] != ours[k]]
    assert not missing and not extra and not differ, (missing[:5], extra[:5], differ[:5])
    assert ours_skipped == skipped
