"""The FINS codec against tshark, the oracle, frame by frame.

Two sources: every shared capture whose ground truth counts OMRON FINS
frames, and a capture generated here (a FINS/TCP session with its node
address exchange, frame sends both ways and an error notification, and
FINS/UDP frames with every typed parameter, response data layout and end
code flag).  tshark lists each frame's UDP or TCP payload with the fields it
dissected, by their Wireshark filter names; the test decodes the payload
with our codec (FINS/TCP cut with ``frame_length``) and derives, from our
messages alone, what tshark shows: the FINS header, command code and end
code; the FINS/TCP header and node addresses; memory area and RUN
parameters; Controller Data Read (model, version, area data, PC status) and
Controller Status Read responses.  A field is compared wherever our decoder
reads it; per frame the lists must be equal, except the named exceptions.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import GROUNDTRUTH, PCAPS
from otm.capture.frames import TcpSession, ethernet, ipv4, udp
from otm.capture.writer import PcapWriter
from otm.protocols.common import Anomaly
from otm.protocols.fins import (
    ControllerData,
    ControllerStatus,
    FinsCommand,
    FinsHeader,
    FinsResponse,
    FinsTcpMessage,
    MemoryAddress,
    MemoryAreaFill,
    MemoryAreaRead,
    MemoryAreaTransfer,
    MemoryAreaWrite,
    MultipleMemoryAreaRead,
    NodeAddressRequest,
    NodeAddressResponse,
    RunCommand,
    UnitConfiguration,
    decode_controller_data,
    decode_controller_status,
    decode_frame,
    decode_parameters,
    decode_tcp,
    encode_controller_data,
    encode_controller_status,
    encode_frame,
    encode_parameters,
    encode_tcp,
    frame_length,
)
from otm.protocols.fins.messages import AreaData
from tshark_support import AGGREGATOR, tshark_rows

pytestmark = pytest.mark.tshark

HEADER = ["icf", "rsv", "gct", "dna", "da1", "da2", "sna", "sa1", "sa2", "sid"]
FIELDS = [
    *(f"omron.{name}" for name in HEADER),
    "omron.command",
    "omron.response.code",
    "omron.tcp.magic",
    "omron.tcp.length",
    "omron.tcp.command",
    "omron.tcp.error_code",
    "omron.tcp.client_node_address",
    "omron.tcp.server_node_address",
    "omron.memory.area.read",
    "omron.memory.address",
    "omron.memory.address.bits",
    "omron.memory.numitems",
    "omron.program_number",
    "omron.mode_code",
    "omron.controller.model",
    "omron.controller.version",
    "omron.area_data.program_area_size",
    "omron.area_data.iom_size",
    "omron.area_data.dm_words",
    "omron.area_data.timer_size",
    "omron.area_data.dm_size",
    "omron.area_data.num_steps",
    "omron.area_data.memory_card",
    "omron.area_data.memory_card.size",
    "omron.pc_status",
    "omron.status",
    "omron.fatal_error_data",
    "omron.message",
    "omron.fals",
    "omron.error_message",
]


PADDED_TEXT = frozenset(
    {"omron.controller.model", "omron.controller.version", "omron.error_message"}
)
"""Fixed-width text fields: tshark keeps their space padding, otm drops it (the
text up to the first NUL is compared, trailing spaces aside)."""

EXCEPTIONS: dict[tuple[str, int, str], str] = {
    ("omron.pcap", 234, "omron.response.code"): (
        "tshark 4.0 finds the Parameter Area File Transfer response data of an "
        "unexpected length and drops the end code with it"
    ),
    ("omron.pcap", 245, "omron.response.code"): (
        "tshark 4.0 finds the Name Delete response data of an unexpected length "
        "and drops the end code with it"
    ),
}
"""(capture, frame, field) -> why tshark shows nothing where our decoder reads a value."""


class Expected:
    """Per field, the values tshark should show; the fields in scope are its keys."""

    def __init__(self) -> None:
        self.values: dict[str, list[str]] = defaultdict(list)

    def add(self, name: str, *values: object) -> None:
        self.values[name].extend(str(v) for v in values)


def _hex(value: int, width: int) -> str:
    return f"0x{value:0{width}x}"


def _address(out: Expected, a: MemoryAddress) -> None:
    out.add("omron.memory.area.read", _hex(a.area, 2))
    out.add("omron.memory.address", _hex(a.address, 4))
    out.add("omron.memory.address.bits", _hex(a.bit, 2))


def expect_frame(frame: FinsCommand | FinsResponse, out: Expected) -> None:
    """What tshark 4.0 shows for one FINS frame, from our decoded message."""
    for name in HEADER:
        out.add(f"omron.{name}", _hex(getattr(frame.header, name), 2))
    out.add("omron.command", _hex(frame.command_code, 4))
    if isinstance(frame, FinsResponse):
        out.add("omron.response.code", _hex(frame.end_code, 4))
        if frame.command_code == 0x0501 and frame.normal:
            _controller_data(decode_controller_data(frame.data), out)
        elif frame.command_code == 0x0601 and frame.normal:
            status = decode_controller_status(frame.data)
            if isinstance(status, ControllerStatus) and status.error_message_field is not None:
                out.add("omron.status", _hex(status.status, 2))
                out.add("omron.mode_code", _hex(status.mode, 2))
                fatal = (status.fatal_error_data, status.non_fatal_error_data)
                out.add("omron.fatal_error_data", *(_hex(v, 4) for v in fatal))
                out.add("omron.message", _hex(status.messages, 4))
                out.add("omron.fals", _hex(status.fal_fals_number & 0x3FFF, 4))
                out.add("omron.error_message", status.error_message)
        return
    params = decode_parameters(frame)
    match params:
        case MemoryAreaRead(start, count) | MemoryAreaWrite(start, count, _):
            _address(out, start)
            out.add("omron.memory.numitems", count)
        case MemoryAreaFill(start, count, _):
            _address(out, start)
            out.add("omron.memory.numitems", count)
        case MultipleMemoryAreaRead(items):
            for item in items:
                _address(out, item)
            out.values.setdefault("omron.memory.numitems", [])  # in scope, and absent
        case MemoryAreaTransfer(source, destination, count):
            _address(out, source)
            _address(out, destination)
            out.add("omron.memory.numitems", count)
        case RunCommand(program, mode):
            if program is not None:
                out.add("omron.program_number", _hex(program, 4))
            if mode is not None:
                out.add("omron.mode_code", _hex(mode, 2))


def _controller_data(data: ControllerData, out: Expected) -> None:
    if data.model is not None and data.version is not None:
        out.add("omron.controller.model", data.model)
        out.add("omron.controller.version", data.version)
    area = data.area
    if area is not None:
        out.add("omron.area_data.program_area_size", area.program_area_size)
        out.add("omron.area_data.iom_size", area.iom_size)
        out.add("omron.area_data.dm_words", area.dm_words)
        out.add("omron.area_data.timer_size", area.timer_counter_size)
        out.add("omron.area_data.dm_size", area.expansion_dm_size)
        out.add("omron.area_data.num_steps", area.steps_transitions)
        out.add("omron.area_data.memory_card", area.memory_card_kind)
        out.add("omron.area_data.memory_card.size", area.memory_card_size)
    if data.units is not None:
        out.add("omron.pc_status", _hex(data.units.pc_status, 2))


def expect_tcp(message: FinsTcpMessage, wire: bytes, out: Expected) -> None:
    out.add("omron.tcp.magic", "0x46494e53")
    out.add("omron.tcp.length", len(wire) - 8)
    out.add("omron.tcp.command", _hex(message.command, 8))
    out.add("omron.tcp.error_code", _hex(message.error_code, 8))
    match message.body:
        case NodeAddressRequest(client):
            out.add("omron.tcp.client_node_address", client)
        case NodeAddressResponse(client, server):
            out.add("omron.tcp.client_node_address", client)
            out.add("omron.tcp.server_node_address", server)
        case FinsCommand() | FinsResponse():
            expect_frame(message.body, out)


def _rows(tshark: str, capture: Path) -> list[dict[str, str]]:
    return tshark_rows(
        tshark, capture, "omron", ["frame.number", "udp.payload", "tcp.payload", *FIELDS]
    )


def compare(tshark: str, capture: Path, name: str) -> tuple[int, int, set[tuple[str, int, str]]]:
    """(frames, values compared, exceptions used); fails on the frames that differ."""
    mismatches: list[str] = []
    used: set[tuple[str, int, str]] = set()
    rows = _rows(tshark, capture)
    values = 0
    for row in rows:
        frame_no = int(row["frame.number"])
        out = Expected()
        if row["udp.payload"]:
            frame = decode_frame(bytes.fromhex(row["udp.payload"]))
            assert not isinstance(frame, Anomaly), (frame_no, frame)
            expect_frame(frame, out)
        else:
            data = bytes.fromhex(row["tcp.payload"])
            start = 0
            # Each pass takes one message of at least 16 bytes.
            while start < len(data):
                size = frame_length(data, start)
                assert size > 0 and start + size <= len(data), (frame_no, "whole messages")
                message = decode_tcp(data[start : start + size])
                assert not isinstance(message, Anomaly), (frame_no, message)
                expect_tcp(message, data[start : start + size], out)
                start += size
        for field, want in out.values.items():
            shown = [v for v in row[field].split(AGGREGATOR) if v]
            if field in PADDED_TEXT:
                shown = [v.rstrip(" ") for v in shown]
            values += len(shown)
            if want != shown:
                if (name, frame_no, field) in EXCEPTIONS and not shown:
                    used.add((name, frame_no, field))
                    continue
                mismatches.append(f"frame {frame_no} {field}: ours {want} tshark {shown}")
    assert not mismatches, "\n".join(mismatches[:20])
    return len(rows), values, used


def _shared() -> list[str]:
    names = []
    for path in sorted(GROUNDTRUTH.glob("*.json")):
        data = json.loads(path.read_text())
        if data["protocol_frames"].get("omron_fins"):
            names.append(data["capture"])
    return names


SHARED = _shared()


def test_the_shared_captures_with_fins_are_found() -> None:
    assert SHARED == ["omron.pcap", "omron_test.pcap"]


@pytest.mark.parametrize("capture", SHARED)
def test_decoder_agrees_with_tshark_on_shared_captures(capture: str, tshark: str) -> None:
    truth = json.loads((GROUNDTRUTH / f"{capture}.json").read_text())
    frames, values, used = compare(tshark, PCAPS / capture, capture)
    assert frames == truth["protocol_frames"]["omron_fins"]
    assert values > 10 * frames
    assert used == {k for k in EXCEPTIONS if k[0] == capture}  # every exception still needed


# --- a generated capture ---------------------------------------------------------------------

HMI = ("10.0.0.1", "02:00:00:00:00:01")
PLC = ("10.0.0.2", "02:00:00:00:00:02")


def _header(response: bool, sid: int, icf: int = 0x80) -> FinsHeader:
    if response:
        return FinsHeader(icf | 0x40, 0, 2, 0, 10, 0, 0, 1, 0, sid)
    return FinsHeader(icf, 0, 2, 0, 1, 0, 0, 10, 0, sid)


def generated_frames() -> list[FinsCommand | FinsResponse]:
    """Commands with every typed parameter, responses with every data layout and end code flag."""
    params = [
        MemoryAreaRead(MemoryAddress(0x82, 100, 0), 10),
        MemoryAreaRead(MemoryAddress(0x30, 0x0010, 7), 1),
        MemoryAreaWrite(MemoryAddress(0xB1, 5, 0), 2, b"\x00\x01\x00\x02"),
        MemoryAreaFill(MemoryAddress(0x82, 200, 0), 50, 0xBEEF),
        MultipleMemoryAreaRead((MemoryAddress(0x82, 1, 0), MemoryAddress(0x09, 3, 0))),
        MemoryAreaTransfer(MemoryAddress(0x82, 0, 0), MemoryAddress(0xB2, 10, 0), 20),
        RunCommand(0xFFFF, 0x04),
        RunCommand(0xFFFF, 0x02),
        RunCommand(0xFFFF, None),
    ]
    out: list[FinsCommand | FinsResponse] = []
    for sid, p in enumerate(params):
        code = {MemoryAreaRead: 0x0101, MemoryAreaWrite: 0x0102, MemoryAreaFill: 0x0103}.get(
            type(p),
            {MultipleMemoryAreaRead: 0x0104, MemoryAreaTransfer: 0x0105}.get(type(p), 0x0401),
        )
        out.append(FinsCommand(_header(False, sid), code, encode_parameters(p)))
    model, version = b"CJ2M-CPU33".ljust(20, b"\x00"), b"02.01".ljust(20, b" ")
    area = AreaData(60, 23, 32768, 8, 4, 0, 4, 512)
    units = UnitConfiguration(tuple(range(16)), b" " * 32, 0, 1, 0x41)
    layouts = [
        ControllerData(model, version, b"\x00" * 40, area, None),
        ControllerData(model, version, b"\x00" * 40, area, units),
        ControllerData(None, None, None, None, units),
    ]
    for sid, data in enumerate(layouts, start=20):
        out.append(FinsResponse(_header(True, sid), 0x0501, 0x0000, encode_controller_data(data)))
    status = ControllerStatus(1, 4, 0, 0x0800, 0, 0x4123, b"BATTERY LOW".ljust(16, b" "))
    out.append(FinsResponse(_header(True, 30), 0x0601, 0x0040, encode_controller_status(status)))
    for sid, end_code in enumerate((0x1103, 0x2206, 0x8205, 0x0080, 0x3001), start=40):
        out.append(FinsResponse(_header(True, sid, icf=0x81), 0x0102, end_code, b""))
    return out


def write_capture(path: Path) -> int:
    """A FINS/TCP session and FINS/UDP datagrams; returns the number of FINS frames."""
    session = TcpSession(HMI[0], 50123, PLC[0], 9600, HMI[1], PLC[1])
    frames = session.handshake()
    fins = 0
    tcp_messages = [
        (True, FinsTcpMessage(0, 0, NodeAddressRequest(0))),
        (False, FinsTcpMessage(1, 0, NodeAddressResponse(10, 1))),
        (True, FinsTcpMessage(2, 0, generated_frames()[0])),
        (False, FinsTcpMessage(2, 0, generated_frames()[9])),
        (False, FinsTcpMessage(3, 0x03, b"")),
    ]
    for from_client, message in tcp_messages:
        frames += session.send(encode_tcp(message), from_client=from_client)
        fins += 1
    frames += session.close()
    for index, frame in enumerate(generated_frames()):
        src, dst = (PLC, HMI) if isinstance(frame, FinsResponse) else (HMI, PLC)
        datagram = udp(9600, 9600, encode_frame(frame), src[0], dst[0])
        frames.append(ethernet(dst[1], src[1], 0x0800, ipv4(src[0], dst[0], 17, datagram, index)))
        fins += 1
    with path.open("wb") as fh:
        writer = PcapWriter(fh)
        for index, data in enumerate(frames):
            writer.write(1_700_000_000 + index / 100, data)
    return fins


def test_decoder_agrees_with_tshark_on_generated_traffic(tmp_path: Path, tshark: str) -> None:
    path = tmp_path / "fins_generated.pcap"
    fins = write_capture(path)
    frames, values, used = compare(tshark, path, "generated")
    assert frames == fins
    assert not used
    assert values > 10 * frames
