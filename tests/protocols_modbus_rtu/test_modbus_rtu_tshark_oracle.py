"""Modbus RTU over TCP against tshark, the oracle, frame by frame.

No shared capture carries RTU over TCP, so the capture is built with otm's
encoder (``modbus_rtu_support``) and written with ``otm.capture.writer``.
tshark reads it with ``-d tcp.port==502,mbrtu`` and CRC verification on:
per frame, the RTU address, CRC octets, CRC status (good) and function
code, the exception code, and the read/write fields tshark shows (reference,
counts, byte counts, register values) must equal what otm's decoder reads.

Named exceptions: the segment carrying two RTU frames back to back
(``BACK_TO_BACK``): tshark's RTU dissector takes a segment as one frame and
shows garbage for it, while otm cuts both frames by their layouts (checked
in the sensor test).  tshark also shows no data fields for some functions
over RTU (write single register, diagnostics, device identification), so
those fields are compared where tshark shows them.
"""

from __future__ import annotations

import subprocess
from collections import defaultdict
from pathlib import Path

import pytest
from modbus_rtu_support import CONVERSATION, write_capture

from otm.protocols.common import Anomaly
from otm.protocols.modbus import messages as m
from otm.protocols.modbus.rtu import RtuFrame, decode_rtu_request, decode_rtu_response

pytestmark = pytest.mark.tshark

STRICT = [
    "mbrtu.unit_id",
    "mbrtu.crc16",
    "mbrtu.crc16.status",
    "modbus.func_code",
    "modbus.exception_code",
]
WHERE_SHOWN = [
    "modbus.reference_num",
    "modbus.word_cnt",
    "modbus.bit_cnt",
    "modbus.byte_cnt",
    "modbus.regval_uint16",
]
BACK_TO_BACK = 16
"""Index in ``CONVERSATION`` of the segment with two requests back to back."""


def _expect(frame: bytes, decoded: RtuFrame, out: dict[str, list[str]]) -> None:
    out["mbrtu.unit_id"].append(str(decoded.address))
    out["mbrtu.crc16"].append(f"0x{frame[-2]:02x}{frame[-1]:02x}")
    out["mbrtu.crc16.status"].append("1")  # good
    pdu = decoded.pdu
    out["modbus.func_code"].append(str(pdu.function_code))
    match pdu:
        case m.ExceptionResponse(_, code):
            out["modbus.exception_code"].append(str(code))
        case m.ReadRequest(code, address, quantity):
            out["modbus.reference_num"].append(str(address))
            out["modbus.bit_cnt" if code in (1, 2) else "modbus.word_cnt"].append(str(quantity))
        case m.ReadRegistersResponse(_, registers):
            out["modbus.byte_cnt"].append(str(2 * len(registers)))
            out["modbus.regval_uint16"].extend(str(r) for r in registers)
        case m.ReadBitsResponse(_, status):
            out["modbus.byte_cnt"].append(str(len(status)))
        case m.WriteMultipleRegistersRequest(address, registers):
            out["modbus.reference_num"].append(str(address))
            out["modbus.word_cnt"].append(str(len(registers)))
            out["modbus.byte_cnt"].append(str(2 * len(registers)))
            out["modbus.regval_uint16"].extend(str(r) for r in registers)
        case m.WriteMultipleResponse(_, address, quantity):
            out["modbus.reference_num"].append(str(address))
            out["modbus.word_cnt"].append(str(quantity))


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rtu") / "rtu_over_tcp.pcap"
    write_capture(path)
    return path


def _theirs(path: Path, tshark: str) -> list[dict[str, list[str]]]:
    fields = [*STRICT, *WHERE_SHOWN]
    cmd = [
        tshark, "-n", "-r", str(path), "-d", "tcp.port==502,mbrtu",
        "-o", "mbrtu.crc_verification:TRUE", "-Y", "mbrtu", "-T", "fields",
        "-E", "occurrence=a", "-E", "aggregator=|", "-e", "frame.number",
    ]  # fmt: skip
    for name in fields:
        cmd += ["-e", name]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        cells = line.split("\t")[1:]
        rows.append({n: c.split("|") for n, c in zip(fields, cells, strict=True) if c})
    return rows


def test_every_rtu_frame_matches_tshark(capture: Path, tshark: str) -> None:
    theirs = _theirs(capture, tshark)
    assert len(theirs) == len(CONVERSATION)  # one dissected frame per segment
    compared = 0
    for index, ((from_client, payload), want) in enumerate(zip(CONVERSATION, theirs, strict=True)):
        if index == BACK_TO_BACK:
            continue
        decoded = decode_rtu_request(payload) if from_client else decode_rtu_response(payload)
        assert not isinstance(decoded, Anomaly), (index, decoded)
        got: dict[str, list[str]] = defaultdict(list)
        _expect(payload, decoded, got)
        for name in STRICT:
            assert want.get(name, []) == got.get(name, []), (index, name)
            compared += len(got.get(name, []))
        for name in WHERE_SHOWN:
            if name in want:
                assert want[name] == got.get(name), (index, name)
                compared += len(want[name])
    assert compared >= 100
