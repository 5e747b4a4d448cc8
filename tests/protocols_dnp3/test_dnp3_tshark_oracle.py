"""The DNP3 codec against tshark, the oracle, frame by frame.

tshark lists every TCP segment to or from port 20000 with the DNP3 fields it
dissected (by their Wireshark filter names).  The test rebuilds each TCP
direction's byte stream from ``tcp.payload``, cuts it with our
``frame_length``, decodes each link frame (CRCs checked), rebuilds
application fragments with our ``TransportReassembler`` per direction and
address pair, decodes them, and derives from our messages alone the values
tshark shows.  Per frame both lists must be equal: link header and control
bits, addresses, header and block CRCs, transport header, application
control, function code, IIN, and every object header (group/variation,
prefix and range codes, start/stop or quantity).  Frames whose object
headers otm rejects are named in ``FRAME_EXCEPTIONS`` with the reason; their
link, transport and application header fields are still compared.

Besides the shared captures, a capture written by the test (a group 0 read
and a device attribute response cut into three transport segments) checks
reassembly and the attribute values against tshark.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from dnp3_support import (
    master_frames,
    outstation_frames,
    request,
    response,
    tcp_conversation,
)

from conftest import GROUNDTRUTH
from otm.protocols.common import Anomaly
from otm.protocols.dnp3 import (
    LinkFrame,
    ObjectHeader,
    Request,
    Response,
    TransportReassembler,
    decode_application,
    decode_link_frame,
    decode_transport,
    device_attributes,
    frame_length,
)
from otm.protocols.dnp3.messages import Fragment
from tshark_support import AGGREGATOR, tshark_rows, write_pcap

pytestmark = pytest.mark.tshark


def _captures() -> list[str]:
    names = []
    for path in sorted(GROUNDTRUTH.glob("*.json")):
        data = json.loads(path.read_text())
        if "dnp3" in data["protocol_frames"]:
            names.append(data["capture"])
    return names


CAPTURES = _captures()

SEGMENT_FIELDS = [
    "frame.number",
    "tcp.stream",
    "tcp.dstport",
    "tcp.seq",
    "tcp.len",
    "tcp.analysis.retransmission",
    "tcp.analysis.keep_alive",
    "tcp.payload",
]

COMPARED = [
    "dnp3.start",
    "dnp3.len",
    "dnp3.ctl",
    "dnp3.ctl.dir",
    "dnp3.ctl.prm",
    "dnp3.ctl.fcb",
    "dnp3.ctl.fcv",
    "dnp3.ctl.dfc",
    "dnp3.ctl.prifunc",
    "dnp3.ctl.secfunc",
    "dnp3.dst",
    "dnp3.src",
    "dnp3.hdr.CRC",
    "dnp.hdr.CRC.status",
    "dnp3.tr.ctl",
    "dnp3.tr.fin",
    "dnp3.tr.fir",
    "dnp3.tr.seq",
    "dnp.data_chunk.CRC",
    "dnp.data_chunk.CRC.status",
    "dnp3.al.ctl",
    "dnp3.al.fir",
    "dnp3.al.fin",
    "dnp3.al.con",
    "dnp3.al.uns",
    "dnp3.al.seq",
    "dnp3.al.func",
    "dnp3.al.iin",
    "dnp3.al.obj",
    "dnp3.al.objq.prefix",
    "dnp3.al.objq.range",
    "dnp3.al.range.start",
    "dnp3.al.range.stop",
    "dnp3.al.range.quantity",
]

OBJECT_FIELDS = COMPARED[COMPARED.index("dnp3.al.obj") :]


_RESERVED_QUALIFIER = (
    "the last object header has qualifier 0xED (reserved bit 7, range code 0xD): otm "
    "reports invalid_qualifier"
)

FRAME_EXCEPTIONS: dict[tuple[str, int], str] = {
    ("dnp3.pcap", 154): _RESERVED_QUALIFIER + ", tshark lists the header with an unknown range",
    ("dnp3.pcap", 156): "the same disable unsolicited request again",
    ("dnp3.pcap", 163): _RESERVED_QUALIFIER + "; tshark lists no object of stop application",
    ("dnp3.pcap", 166): "the same stop application request again",
    ("dnp3.pcap", 174): "the same stop application request, to the broadcast address",
    ("dnp3.pcap", 176): "the same again",
}
"""(capture, frame) whose object headers are not compared, and why."""

TSHARK_VARIATION_ZERO = frozenset((110, 111))
"""Octet string groups: tshark shows them as variation 0 (the variation is the length)."""


@dataclass
class Expected:
    """The values tshark should show per field in one frame."""

    values: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def add(self, name: str, *values: object) -> None:
        self.values[name].extend(str(v) for v in values)


def _expect_link(wire: bytes, frame: LinkFrame, out: Expected) -> None:
    out.add("dnp3.start", "0x0564")
    out.add("dnp3.len", 5 + len(frame.user_data))
    out.add("dnp3.ctl", f"0x{frame.control:02x}")
    out.add("dnp3.ctl.dir", int(frame.dir))
    out.add("dnp3.ctl.prm", int(frame.prm))
    if frame.prm:
        out.add("dnp3.ctl.fcb", int(frame.fcb))
        out.add("dnp3.ctl.fcv", int(frame.fcv))
        out.add("dnp3.ctl.prifunc", frame.function)
    else:
        out.add("dnp3.ctl.dfc", int(frame.dfc))
        out.add("dnp3.ctl.secfunc", frame.function)
    out.add("dnp3.dst", frame.destination)
    out.add("dnp3.src", frame.source)
    out.add("dnp3.hdr.CRC", f"0x{wire[8] | (wire[9] << 8):04x}")
    out.add("dnp.hdr.CRC.status", 1)
    if not frame.user_data:
        return
    segment = decode_transport(frame.user_data)
    assert not isinstance(segment, Anomaly)
    out.add("dnp3.tr.ctl", f"0x{segment.header:02x}")
    out.add("dnp3.tr.fin", int(segment.fin))
    out.add("dnp3.tr.fir", int(segment.fir))
    out.add("dnp3.tr.seq", segment.sequence)
    pos = 10
    while pos < len(wire):
        block = min(16, len(wire) - pos - 2)
        out.add("dnp.data_chunk.CRC", f"0x{wire[pos + block] | (wire[pos + block + 1] << 8):04x}")
        out.add("dnp.data_chunk.CRC.status", 1)
        pos += block + 2


def _expect_header(header: ObjectHeader, out: Expected) -> None:
    variation = 0 if header.group in TSHARK_VARIATION_ZERO else header.variation
    out.add("dnp3.al.obj", f"0x{(header.group << 8) | variation:04x}")
    out.add("dnp3.al.objq.prefix", header.prefix_code)
    out.add("dnp3.al.objq.range", header.range_code)
    if header.start is not None:
        out.add("dnp3.al.range.start", header.start)
        out.add("dnp3.al.range.stop", header.stop)
    elif header.count is not None:
        out.add("dnp3.al.range.quantity", header.count)


def _expect_application(message: Fragment, out: Expected, objects: bool) -> None:
    out.add("dnp3.al.ctl", f"0x{message.control:02x}")
    out.add("dnp3.al.fir", int(message.fir))
    out.add("dnp3.al.fin", int(message.fin))
    out.add("dnp3.al.con", int(message.con))
    out.add("dnp3.al.uns", int(message.uns))
    out.add("dnp3.al.seq", message.sequence)
    out.add("dnp3.al.func", message.function_code)
    if isinstance(message, Response):
        out.add("dnp3.al.iin", f"0x{message.iin:04x}")
    if objects:
        for header in message.objects:
            _expect_header(header, out)


def _tshark_rows(tshark: str, capture: Path, extra: tuple[str, ...] = ()) -> list[dict[str, str]]:
    fields = SEGMENT_FIELDS + COMPARED + list(extra)
    return tshark_rows(tshark, capture, "tcp.port == 20000 && tcp.len > 0", fields)


@dataclass
class Comparison:
    """What one run over a capture found."""

    frames: int = 0
    fragments: int = 0
    fields: int = 0
    mismatches: list[str] = field(default_factory=list)
    excepted: set[int] = field(default_factory=set)
    failed: set[int] = field(default_factory=set)
    messages: list[Fragment] = field(default_factory=list)


def compare(tshark: str, path: Path, extra: tuple[str, ...] = ()) -> Comparison:
    """Decode every DNP3 frame of the capture and compare each frame's fields with tshark's."""
    name = path.name
    pending: dict[tuple[str, bool], bytes] = defaultdict(bytes)
    next_seq: dict[tuple[str, bool], int] = {}
    reassemblers: dict[tuple[str, bool, int, int], TransportReassembler] = {}
    result = Comparison()
    for row in _tshark_rows(tshark, path, extra):
        key = (row["tcp.stream"], row["tcp.dstport"] == "20000")
        number = int(row["frame.number"])
        if row["tcp.analysis.retransmission"] or row["tcp.analysis.keep_alive"]:
            continue  # tshark does not dissect them again; neither does the walker
        seq, size = int(row["tcp.seq"]), int(row["tcp.len"])
        payload = bytes.fromhex(row["tcp.payload"])
        if key in next_seq and seq != next_seq[key]:
            pending.pop(key, None)  # bytes missing from the capture
        next_seq[key] = seq + size
        stream = pending[key] + payload
        expected = Expected()
        start = 0
        objects = (name, number) not in FRAME_EXCEPTIONS
        if not objects:
            result.excepted.add(number)
        # Each pass takes one frame of at least 10 octets from a segment of at most 64 KiB.
        while (length := frame_length(stream, start)) > 0 and start + length <= len(stream):
            wire = stream[start : start + length]
            start += length
            frame = decode_link_frame(wire)
            assert isinstance(frame, LinkFrame), (number, wire.hex(), frame)
            result.frames += 1
            _expect_link(wire, frame, expected)
            if not frame.user_data:
                continue
            segment = decode_transport(frame.user_data)
            assert not isinstance(segment, Anomaly)
            pair = (key[0], key[1], frame.source, frame.destination)
            reassembler = reassemblers.setdefault(pair, TransportReassembler())
            fragment, anomaly = reassembler.push(segment.header, segment.data)
            assert anomaly is None, (number, anomaly)
            if fragment is None:
                continue
            message = decode_application(fragment)
            if isinstance(message, Anomaly):
                # Only excepted frames may fail; their application header is still compared.
                assert not objects, (number, message)
                result.failed.add(number)
                _expect_application(Request(fragment[0], fragment[1], ()), expected, False)
                continue
            result.fragments += 1
            result.messages.append(message)
            _expect_application(message, expected, objects)
        pending[key] = stream[start:]
        for column in COMPARED + list(extra):
            if (column in OBJECT_FIELDS and not objects) or column in extra:
                continue
            shown = row[column].split(AGGREGATOR) if row[column] else []
            ours = expected.values.get(column, [])
            result.fields += len(shown)
            if ours != shown:
                result.mismatches.append(f"frame {number} {column}: ours {ours} tshark {shown}")
    return result


@pytest.mark.parametrize("capture", CAPTURES)
def test_codec_agrees_with_tshark(capture: str, pcaps: Path, tshark: str) -> None:
    result = compare(tshark, pcaps / capture)
    assert result.frames > 0 and result.fragments > 0
    assert not result.mismatches, "\n".join(result.mismatches[:20])


def test_every_exception_is_still_needed(pcaps: Path, tshark: str) -> None:
    """Each excepted frame is still one otm rejects (else the exception should go)."""
    for capture in {c for c, _ in FRAME_EXCEPTIONS}:
        result = compare(tshark, pcaps / capture)
        named = {n for c, n in FRAME_EXCEPTIONS if c == capture}
        assert result.excepted == named
        assert result.failed == named


ATTRIBUTES = (
    (252, b"Acme Grid Automation"),
    (250, b"RTU-9000 Feeder Controller"),
    (242, b"3.2.1 build 2024-05-17"),
    (243, b"rev B"),
    (248, b"SN-00421337"),
    (247, b"Feeder 7 substation east"),
    (245, b"Substation East, bay 3, cabinet 12, top shelf, left of the fibre patch panel"),
    (246, b"ID-7"),
    (249, b"Level 3 with extensions for event logs and time sync, 2012 edition"),
    (244, b"Eastern Distribution Operations, protection and control engineering team"),
    (208, b"SCADA east: feeders 1-12, capacitor banks, reclosers and the bay controllers"),
    (207, b"Control room operator on duty, desk 2 (call the shift lead before any switching)"),
)
"""Long enough that the response takes three transport segments."""


def test_reassembled_device_attributes_agree_with_tshark(tmp_path: Path, tshark: str) -> None:
    read = request(1, ObjectHeader(0, 254, 0x06, None, None, None, b""))
    headers = [
        ObjectHeader(0, variation, 0x00, 0, 0, None, bytes((1, len(text))) + text)
        for variation, text in ATTRIBUTES
    ]
    answer = response(*headers)
    assert len(answer) > 2 * 249
    capture = tmp_path / "dnp3_attributes.pcap"
    write_pcap(
        capture, tcp_conversation([(True, master_frames(read)), (False, outstation_frames(answer))])
    )
    result = compare(tshark, capture, extra=("dnp3.al.da.value", "dnp3.al.fragment.count"))
    assert not result.mismatches, "\n".join(result.mismatches)
    assert result.frames == 4 and result.fragments == 2
    rows = [r for r in _tshark_rows(tshark, capture, ("dnp3.al.da.value",)) if r["dnp3.al.obj"]]
    shown = rows[-1]["dnp3.al.da.value"].split(AGGREGATOR)
    message = result.messages[-1]
    assert isinstance(message, Response)
    assert [a.text for a in device_attributes(message)] == shown
    assert shown[0] == "Acme Grid Automation"
