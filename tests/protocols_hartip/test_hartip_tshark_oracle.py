"""The HART-IP encoder and decoder against tshark, the oracle, frame by frame.

No shared capture has HART-IP, so the capture is built here with otm's own
encoders and written with ``otm.capture.writer`` (``hartip_support``): two
TCP connections and one UDP conversation on port 5094.  tshark decodes it
by its default port rule; for every frame it dissects as HART-IP, the header
fields, session initiate and error bodies, the token-passing PDU's
delimiter, address, command, byte count, response code, device status and
check byte, and the command 0/1/13/20 reply fields must equal what otm's
decoder reads from the same octets.  This checks the encoder (tshark parses
what it built) and the decoder (both read the same values).

Named exceptions: tshark 4.0 knows message ids 0-3 only, so the direct PDU
(4) and read audit log (128) messages of the capture are not dissected by it
(``NOT_DISSECTED``), and its raw payload field appears only for replies its
command table does not parse (compared when present).
"""

from __future__ import annotations

import struct
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest
from hartip_support import Sent, write_capture

from otm.protocols.common import Anomaly
from otm.protocols.hartip import (
    ErrorBody,
    HartIpMessage,
    HartPdu,
    SessionInitiate,
    decode_long_tag,
    decode_message,
    decode_tag_descriptor_date,
    decode_unique_identifier,
)

pytestmark = pytest.mark.tshark

FIELDS = [
    "hart_ip.version",
    "hart_ip.message_type",
    "hart_ip.message_id",
    "hart_ip.status",
    "hart_ip.transaction_id",
    "hart_ip.msg_length",
    "hart_ip.data",
    "hart_ip.session_init.master_type",
    "hart_ip.session_init.inactivity_close_timer",
    "hart_ip.error.error_code",
    "hart_ip.pt.delimiter",
    "hart_ip.pt.short_addr",
    "hart_ip.pt.long_address",
    "hart_ip.pt.command",
    "hart_ip.pt.length",
    "hart_ip.pt.response_code",
    "hart_ip.pt.device_status",
    "hart_ip.pt.checksum",
    "hart_ip.pt.rsp.expansion_code",
    "hart_ip.pt.rsp.expanded_device_type",
    "hart_ip.pt.rsp.req_min_preambles",
    "hart_ip.pt.rsp.hart_univ_rev",
    "hart_ip.pt.rsp.device_rev",
    "hart_ip.pt.rsp.software_rev",
    "hart_ip.pt.rsp.hardrev_and_physical_signal",
    "hart_ip.pt.rsp.flags",
    "hart_ip.pt.rsp.device_id",
    "hart_ip.pt.rsp.rsp_min_preambles",
    "hart_ip.pt.rsp.device_variables",
    "hart_ip.pt.rsp.configure_change",
    "hart_ip.pt.rsp.ext_device_status",
    "hart_ip.pt.rsp.manufacturer_Id",
    "hart_ip.pt.rsp.private_label",
    "hart_ip.pt.rsp.device_profile",
    "hart_ip.pt.rsp.pv_units",
    "hart_ip.pt.rsp.pv",
    "hart_ip.pt.rsp.tag",
    "hart_ip.pt.rsp.descriptor",
    "hart_ip.pt.rsp.day",
    "hart_ip.pt.rsp.month",
    "hart_ip.pt.rsp.year",
]

OPTIONAL = {"hart_ip.pt.payload"}
"""Compared only where tshark shows it (replies its command table does not parse)."""

NOT_DISSECTED = frozenset((4, 128))
"""Message ids tshark 4.0's HART-IP dissector does not know."""


def _expect(message: HartIpMessage, raw: bytes, out: dict[str, list[str]]) -> None:
    """What tshark 4.0 shows for one message, derived from our decoded message."""
    h = "hart_ip."
    for name, value in (
        ("version", message.version),
        ("message_type", message.message_type),
        ("message_id", message.message_id),
        ("status", message.status),
        ("transaction_id", message.sequence),
        ("msg_length", len(raw)),
    ):
        out[h + name].append(str(value))
    body = message.body
    match body:
        case None:
            out[h + "data"].append("<MISSING>")  # tshark's display of an empty body
        case SessionInitiate(host, timer):
            out[h + "session_init.master_type"].append(str(host))
            out[h + "session_init.inactivity_close_timer"].append(str(timer))
        case ErrorBody(code):
            out[h + "error.error_code"].append(str(code))
        case HartPdu():
            _pdu(body, out)


def _pdu(pdu: HartPdu, out: dict[str, list[str]]) -> None:
    p = "hart_ip.pt."
    out[p + "delimiter"].append(f"0x{pdu.delimiter:02x}")
    if pdu.long_address:
        out[p + "long_address"].append(pdu.address.hex())
    else:
        out[p + "short_addr"].append(str(pdu.address[0] & 0x3F))
    out[p + "command"].append(str(pdu.command))
    status = 2 if pdu.is_reply else 0
    out[p + "length"].append(str(len(pdu.data) + status))
    if pdu.is_reply:
        out[p + "response_code"].append(str(pdu.response_code))
        out[p + "device_status"].append(f"0x{pdu.device_status:02x}")
        _reply(pdu, out)
    frame = bytes((pdu.delimiter,)) + pdu.address + pdu.expansion
    frame += bytes((pdu.command, len(pdu.data) + status)) + (
        bytes((pdu.response_code or 0, pdu.device_status or 0)) if pdu.is_reply else b""
    )
    check = 0
    for octet in frame + pdu.data:
        check ^= octet
    out[p + "checksum"].append(f"0x{check:02x}")


def _reply(pdu: HartPdu, out: dict[str, list[str]]) -> None:
    r = "hart_ip.pt.rsp."
    if pdu.command == 0:
        ident = decode_unique_identifier(pdu.data)
        assert not isinstance(ident, Anomaly)
        values = [
            ("expansion_code", str(ident.expansion)),
            ("expanded_device_type", f"0x{ident.expanded_device_type:04x}"),
            ("req_min_preambles", str(ident.request_preambles)),
            ("hart_univ_rev", str(ident.universal_revision)),
            ("device_rev", str(ident.device_revision)),
            ("software_rev", str(ident.software_revision)),
            ("hardrev_and_physical_signal", f"0x{ident.hardware_signaling:02x}"),
            ("flags", f"0x{ident.flags:02x}"),
            ("device_id", f"{ident.device_id:06x}"),
        ]
        if ident.extended_status is not None:
            values += [
                ("rsp_min_preambles", str(ident.response_preambles)),
                ("device_variables", str(ident.max_device_variables)),
                ("configure_change", str(ident.configuration_change_counter)),
                ("ext_device_status", f"0x{ident.extended_status:02x}"),
            ]
        if ident.manufacturer_code is not None:
            values.append(("manufacturer_Id", str(ident.manufacturer_code)))
        if ident.device_profile is not None:
            values += [
                ("private_label", str(ident.private_label)),
                ("device_profile", str(ident.device_profile)),
            ]
        for name, value in values:
            out[r + name].append(value)
    elif pdu.command == 1 and len(pdu.data) >= 5:
        out[r + "pv_units"].append(str(pdu.data[0]))
        out[r + "pv"].append(f"{struct.unpack('>f', pdu.data[1:5])[0]:g}")
    elif pdu.command == 20:
        tag = decode_long_tag(pdu.data)
        assert isinstance(tag, str)
        out[r + "tag"].append(tag)
    elif pdu.command == 13:
        record = decode_tag_descriptor_date(pdu.data)
        assert not isinstance(record, Anomaly)
        out[r + "tag"].append(record.tag.ljust(8))  # tshark keeps the padding spaces
        out[r + "descriptor"].append(record.descriptor.ljust(16))
        out[r + "day"].append(str(record.day))
        out[r + "month"].append(str(record.month))
        out[r + "year"].append(str(record.year))
    elif pdu.data:
        out["hart_ip.pt.payload"].append(pdu.data.hex())


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Sent]]:
    path = tmp_path_factory.mktemp("hartip") / "hartip.pcap"
    return path, write_capture(path)


def _theirs(path: Path, tshark: str) -> dict[int, dict[str, list[str]]]:
    cmd = [
        tshark, "-n", "-r", str(path), "-Y", "hart_ip", "-T", "fields",
        "-E", "occurrence=a", "-E", "aggregator=|", "-e", "frame.number",
    ]  # fmt: skip
    for name in [*FIELDS, *OPTIONAL]:
        cmd += ["-e", name]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    frames: dict[int, dict[str, list[str]]] = {}
    for line in out.splitlines():
        row = line.split("\t")
        names = [*FIELDS, *OPTIONAL]
        frames[int(row[0])] = {n: c.split("|") for n, c in zip(names, row[1:], strict=True) if c}
    return frames


def test_every_hartip_frame_matches_tshark_field_by_field(
    built: tuple[Path, list[Sent]], tshark: str
) -> None:
    path, sent = built
    want = _theirs(path, tshark)
    got: dict[int, dict[str, list[str]]] = {}
    skipped = 0
    for one in sent:
        message = decode_message(one.message)
        assert isinstance(message, HartIpMessage), (one.frame, message)
        if message.message_id in NOT_DISSECTED:
            skipped += 1
            continue
        _expect(message, one.message, got.setdefault(one.frame, defaultdict(list)))
    assert skipped == 3
    assert sorted(got) == sorted(want)
    mismatches = []
    for frame in sorted(want):
        for name in FIELDS:
            if want[frame].get(name, []) != got[frame].get(name, []):
                mismatches.append((frame, name, want[frame].get(name), got[frame].get(name)))
        for name in OPTIONAL:
            if name in want[frame] and want[frame][name] != got[frame].get(name):
                mismatches.append((frame, name, want[frame][name], got[frame].get(name)))
    assert not mismatches, mismatches[:10]


def test_the_comparison_covers_every_field(built: tuple[Path, list[Sent]], tshark: str) -> None:
    path, _ = built
    seen = {name for values in _theirs(path, tshark).values() for name in values}
    assert set(FIELDS) <= seen, set(FIELDS) - seen
