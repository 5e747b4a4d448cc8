"""The codec against tshark, the oracle, on every shared capture with BACnet.

tshark lists every BACnet frame with the fields it dissected (by their
Wireshark filter names).  The test takes each frame's BACnet bytes (the UDP
payload, or the LLC payload of a BACnet/Ethernet frame cut to its 802.3
length), decodes them with our codec through every layer and the service
parameters (reassembling segmented Complex-ACKs first, as tshark does), and
derives from our messages alone the values tshark shows.  Per frame both
lists must be equal: BVLC type and function, NPDU version, control, DNET,
DLEN, SNET, SLEN, SADR, hop count; APDU type, flags, invoke id, sequence
number, window size, max segments and APDU size, services, reject and abort
reasons, error class and code; every object type and instance, property
identifier, vendor identifier, character set and code page; the application
and context tag numbers of every tagged value in wire order; and the text of
every UTF-8 character string (read from tshark's JSON tree labels, the only
place tshark shows them).

Named exceptions: ``bvlc.length`` is the BVLC header length in tshark 4.0
(4, or 10 for a Forwarded-NPDU), not the message length the field holds on
the wire, so the header length is what is compared; strings in the IBM/
Microsoft DBCS set are not compared as text, because tshark does not decode
code pages (it shows the raw octets), their set and code page are compared.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conftest import GROUNDTRUTH, PCAPS
from otm.capture.readers import open_capture
from otm.protocols.bacnet import codec, services
from otm.protocols.bacnet import messages as m
from otm.protocols.bacnet import tags as t
from otm.protocols.bacnet.constants import ApplicationTag, CharacterSet
from otm.protocols.bacnet.segmentation import Reassembler
from otm.protocols.bacnet.vendors import VENDORS
from otm.protocols.common import Anomaly
from tshark_support import AGGREGATOR, tshark_rows

pytestmark = pytest.mark.tshark


def _captures() -> list[str]:
    names = []
    for gt in sorted(GROUNDTRUTH.glob("*.json")):
        data = json.loads(gt.read_text())
        if "bacnet" in data["protocol_frames"]:
            names.append(data["capture"])
    return names


CAPTURES = _captures()

FRAME_FIELDS = ["frame.number", "udp.payload", "eth.len", "ip.src", "ip.dst", "eth.src", "eth.dst"]

COMPARED = [
    "bvlc.type",
    "bvlc.function",
    "bvlc.length",
    "bvlc.fwd_ip",
    "bvlc.fwd_port",
    "bvlc.result",
    "bvlc.reg_ttl",
    "bacnet.version",
    "bacnet.control",
    "bacnet.dnet",
    "bacnet.dlen",
    "bacnet.snet",
    "bacnet.slen",
    "bacnet.sadr_eth",
    "bacnet.sadr_mstp",
    "bacnet.sadr_tmp",
    "bacnet.dadr_eth",
    "bacnet.dadr_mstp",
    "bacnet.dadr_tmp",
    "bacnet.hopc",
    "bacnet.mesgtyp",
    "bacapp.type",
    "bacapp.pduflags",
    "bacapp.invoke_id",
    "bacapp.sequence_number",
    "bacapp.window_size",
    "bacapp.max_adpu_size",
    "bacapp.response_segments",
    "bacapp.NAK",
    "bacapp.SRV",
    "bacapp.confirmed_service",
    "bacapp.unconfirmed_service",
    "bacapp.reject_reason",
    "bacapp.abort_reason",
    "bacapp.error_class",
    "bacapp.error_code",
    "bacapp.objectType",
    "bacapp.instance_number",
    "bacapp.property_identifier",
    "bacapp.vendor_identifier",
    "bacapp.who_is.low_limit",
    "bacapp.who_is.high_limit",
    "bacapp.string_character_set",
    "bacapp.code_page",
    "bacapp.application_tag_number",
    "bacapp.context_tag_number",
]


STRING_LABEL = re.compile(r": UTF-8 '(.*)'$", re.DOTALL)
"""How tshark labels a UTF-8 character string in its tree."""


@dataclass
class Expected:
    """The values tshark should show per field."""

    values: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    texts: list[str] = field(default_factory=list)

    def add(self, name: str, *values: object) -> None:
        self.values[name].extend(str(v) for v in values)


def _walk(elements: tuple[t.Element, ...], out: Expected) -> None:
    """Tag numbers, object identifiers and strings of tagged values, in wire order."""
    for e in elements:
        if isinstance(e, t.Constructed):
            out.add("bacapp.context_tag_number", e.tag_number)
            _walk(e.elements, out)
            out.add("bacapp.context_tag_number", e.tag_number)
        elif isinstance(e, t.ContextPrimitive):
            out.add("bacapp.context_tag_number", e.tag_number)
        else:
            number = e.tag_number if isinstance(e, t.ReservedApplication) else _app_tag(e)
            out.add("bacapp.application_tag_number", number)
            if isinstance(e, t.ObjectIdentifier):
                out.add("bacapp.objectType", e.object_type)
                out.add("bacapp.instance_number", e.instance)
            elif isinstance(e, t.CharacterString):
                _string(e, out)


def _app_tag(value: t.Value) -> int:
    return {
        t.Null: ApplicationTag.NULL,
        t.Boolean: ApplicationTag.BOOLEAN,
        t.Unsigned: ApplicationTag.UNSIGNED,
        t.Signed: ApplicationTag.SIGNED,
        t.Real: ApplicationTag.REAL,
        t.Double: ApplicationTag.DOUBLE,
        t.OctetString: ApplicationTag.OCTET_STRING,
        t.CharacterString: ApplicationTag.CHARACTER_STRING,
        t.BitString: ApplicationTag.BIT_STRING,
        t.Enumerated: ApplicationTag.ENUMERATED,
        t.Date: ApplicationTag.DATE,
        t.Time: ApplicationTag.TIME,
        t.ObjectIdentifier: ApplicationTag.OBJECT_IDENTIFIER,
    }[type(value)]


def _string(s: t.CharacterString, out: Expected) -> None:
    out.add("bacapp.string_character_set", s.charset)
    if s.code_page is not None:
        out.add("bacapp.code_page", s.code_page)
    if s.charset == CharacterSet.UTF_8:
        out.texts.append(s.text)


def _object(oid: t.ObjectIdentifier, out: Expected) -> None:
    out.add("bacapp.objectType", oid.object_type)
    out.add("bacapp.instance_number", oid.instance)


def _service(apdu: m.Apdu, data: bytes, out: Expected) -> None:
    """Expectations from a whole message's service parameters."""
    if isinstance(apdu, m.UnconfirmedRequest):
        decoded = services.decode_unconfirmed(apdu.service, data)
    elif isinstance(apdu, m.ConfirmedRequest):
        decoded = services.decode_confirmed_request(apdu.service, data)
    elif isinstance(apdu, m.ComplexAck):
        decoded = services.decode_complex_ack(apdu.service, data)
    else:
        decoded = services.decode_error(data)
    assert not isinstance(decoded, Anomaly), (apdu, decoded)
    elements = t.decode_elements(data)
    assert not isinstance(elements, Anomaly)
    # Context object identifiers and property identifiers come first in the
    # services seen here; the values inside are walked afterwards.
    match decoded:
        case services.IAm():
            out.add("bacapp.vendor_identifier", decoded.vendor_id)
        case services.WhoIs(low, high) if low is not None:
            out.add("bacapp.who_is.low_limit", low)
            out.add("bacapp.who_is.high_limit", high)
        case services.WhoHas(_, _, object_id, name):
            if object_id is not None:
                _object(object_id, out)
            if name is not None:
                _string(name, out)
        case services.ReadPropertyRequest() | services.ReadPropertyAck():
            _object(decoded.object_id, out)
            out.add("bacapp.property_identifier", decoded.property_id)
        case services.ReinitializeDeviceRequest(_, password) if password is not None:
            _string(password, out)
        case services.ErrorInfo(error_class, error_code):
            out.add("bacapp.error_class", error_class)
            out.add("bacapp.error_code", error_code)
    _walk(elements, out)


def _expect_npdu(npdu: m.Npdu, out: Expected) -> None:
    out.add("bacnet.version", 1)
    out.add("bacnet.control", f"0x{npdu.control:02x}")
    for prefix, address in (("d", npdu.destination), ("s", npdu.source)):
        if address is None:
            continue
        out.add(f"bacnet.{prefix}net", address.network)
        out.add(f"bacnet.{prefix}len", len(address.mac))
        if len(address.mac) == 6:
            out.add(f"bacnet.{prefix}adr_eth", address.mac.hex(":"))
        elif len(address.mac) == 1:
            out.add(f"bacnet.{prefix}adr_mstp", address.mac[0])
        elif address.mac:
            out.add(f"bacnet.{prefix}adr_tmp", address.mac.hex())
    if npdu.hop_count is not None:
        out.add("bacnet.hopc", npdu.hop_count)
    if npdu.network_message is not None:
        out.add("bacnet.mesgtyp", npdu.network_message.message_type)


def _expect_apdu(apdu: m.Apdu, whole: bytes | None, out: Expected) -> None:
    out.add("bacapp.type", apdu.pdu_type)
    match apdu:
        case m.ConfirmedRequest():
            flags = (apdu.segmented << 3) | (apdu.more_follows << 2)
            out.add("bacapp.pduflags", f"0x{flags | (apdu.segmented_response_accepted << 1):02x}")
            out.add("bacapp.response_segments", apdu.max_segments)
            out.add("bacapp.max_adpu_size", apdu.max_apdu)
            out.add("bacapp.invoke_id", apdu.invoke_id)
            if apdu.segmented:
                out.add("bacapp.sequence_number", apdu.sequence_number)
                out.add("bacapp.window_size", apdu.window_size)
            out.add("bacapp.confirmed_service", apdu.service)
        case m.ComplexAck():
            out.add("bacapp.pduflags", f"0x{(apdu.segmented << 3) | (apdu.more_follows << 2):02x}")
            out.add("bacapp.invoke_id", apdu.invoke_id)
            if apdu.segmented:
                out.add("bacapp.sequence_number", apdu.sequence_number)
                out.add("bacapp.window_size", apdu.window_size)
            out.add("bacapp.confirmed_service", apdu.service)
        case m.UnconfirmedRequest():
            out.add("bacapp.unconfirmed_service", apdu.service)
        case m.SimpleAck() | m.Error():
            out.add("bacapp.invoke_id", apdu.invoke_id)
            out.add("bacapp.confirmed_service", apdu.service)
        case m.SegmentAck():
            out.add("bacapp.NAK", int(apdu.negative))
            out.add("bacapp.SRV", int(apdu.server))
            out.add("bacapp.invoke_id", apdu.invoke_id)
            out.add("bacapp.sequence_number", apdu.sequence_number)
            out.add("bacapp.window_size", apdu.window_size)
        case m.Reject():
            out.add("bacapp.invoke_id", apdu.invoke_id)
            out.add("bacapp.reject_reason", apdu.reason)
        case m.Abort():
            out.add("bacapp.SRV", int(apdu.server))
            out.add("bacapp.invoke_id", apdu.invoke_id)
            out.add("bacapp.abort_reason", apdu.reason)
    if whole is not None:
        _service(apdu, whole, out)


def _expect_bvll(bvll: m.Bvll, out: Expected) -> None:
    out.add("bvlc.type", "0x81")
    out.add("bvlc.function", f"0x{bvll.function:02x}")
    # tshark 4.0's bvlc.length is the BVLC header's length (named exception).
    out.add("bvlc.length", 10 if isinstance(bvll, m.ForwardedNpdu) else 4)
    match bvll:
        case m.ForwardedNpdu(source, _):
            out.add("bvlc.fwd_ip", ".".join(str(b) for b in source.ip))
            out.add("bvlc.fwd_port", source.port)
        case m.BvlcResult(result):
            out.add("bvlc.result", f"0x{result:04x}")
        case m.RegisterForeignDevice(ttl):
            out.add("bvlc.reg_ttl", ttl)


def _texts(node: Any, out: list[str]) -> None:
    """The UTF-8 strings of tshark's JSON tree, depth first, in document order:
    labels ``...: UTF-8 '...'`` and ``bacapp.object_name`` values in set 0."""
    if not isinstance(node, list):
        return
    siblings = dict(node)
    for key, value in node:
        match = STRING_LABEL.search(key)
        if match:
            out.append(match.group(1))
        elif key == "bacapp.object_name" and siblings.get("bacapp.string_character_set") == "0":
            out.append(value)
        _texts(value, out)


def _pairs(pairs: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return pairs


def _tshark_texts(tshark: str, capture: Path) -> dict[str, list[str]]:
    """frame number -> the UTF-8 strings of its BACnet tree, in order."""
    command = [tshark, "-n", "-r", str(capture), "-Y", "bacapp", "-T", "json", "-J", "frame bacapp"]
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=300)
    packets = json.loads(result.stdout, object_pairs_hook=_pairs)
    texts: dict[str, list[str]] = {}
    for packet in packets:
        layers = dict(dict(packet)["_source"])["layers"]
        number = dict(dict(layers)["frame"])["frame.number"]
        found: list[str] = []
        _texts(dict(layers)["bacapp"], found)
        texts[number] = found
    return texts


def _tshark_rows(tshark: str, capture: Path) -> list[dict[str, str]]:
    return tshark_rows(tshark, capture, "bacnet || bvlc", FRAME_FIELDS + COMPARED, timeout=300)


def _frames(capture: Path) -> dict[int, bytes]:
    with open_capture(capture) as reader:
        return {number: bytes(data) for number, _, _, data in reader}


def _expected_for(
    row: dict[str, str], frames: dict[int, bytes], reassembler: Reassembler
) -> Expected:
    out = Expected()
    number = int(row["frame.number"])
    if row["udp.payload"]:
        payload = bytes.fromhex(row["udp.payload"])
        decoded = codec.decode_bacnet_ip(payload)
        assert isinstance(decoded, m.BacnetIp), (number, decoded)
        _expect_bvll(decoded.bvll, out)
        npdu, apdu = decoded.npdu, decoded.apdu
    else:
        frame = frames[number]
        length = int(row["eth.len"])
        ethernet = codec.decode_ethernet(frame[14 : 14 + length])
        assert isinstance(ethernet, m.BacnetEthernet), (number, ethernet)
        npdu, apdu = ethernet.npdu, ethernet.apdu
    if npdu is not None:
        _expect_npdu(npdu, out)
    if apdu is not None:
        whole: bytes | None = None
        if isinstance(apdu, m.ComplexAck | m.ConfirmedRequest):
            key = (row["ip.src"] or row["eth.src"], row["ip.dst"] or row["eth.dst"], apdu.invoke_id)
            result = reassembler.add(key, apdu)
            assert not isinstance(result, Anomaly), (number, result)
            whole = result
        elif isinstance(apdu, m.UnconfirmedRequest | m.Error):
            whole = apdu.data
        _expect_apdu(apdu, whole, out)
    return out


@pytest.mark.parametrize("capture", CAPTURES)
def test_decoder_agrees_with_tshark(capture: str, tshark: str) -> None:
    path = PCAPS / capture
    frames = _frames(path)
    texts = _tshark_texts(tshark, path)
    reassembler = Reassembler()
    mismatches: list[str] = []
    compared = 0
    for row in _tshark_rows(tshark, path):
        expected = _expected_for(row, frames, reassembler)
        for name in COMPARED:
            shown = row[name].split(AGGREGATOR) if row[name] else []
            ours = expected.values.get(name, [])
            compared += len(ours)
            if ours != shown:
                mismatches.append(f"frame {row['frame.number']} {name}: ours {ours} tshark {shown}")
        shown_texts = texts.get(row["frame.number"], [])
        compared += len(expected.texts)
        if expected.texts != shown_texts:
            mismatches.append(
                f"frame {row['frame.number']} strings: ours {expected.texts} tshark {shown_texts}"
            )
    assert compared > 0
    assert not mismatches, "\n".join(mismatches[:20])


def test_vendor_table_is_tsharks(tshark: str) -> None:
    """The committed vendor table is the one tshark prints (regenerate if tshark moved on)."""
    result = subprocess.run(
        [tshark, "-G", "values"], capture_output=True, text=True, check=True, timeout=120
    )
    shown: dict[int, str] = {}
    for line in result.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) == 4 and parts[:2] == ["V", "bacapp.vendor_identifier"]:
            shown.setdefault(int(parts[2]), parts[3].strip())
    assert dict(VENDORS) == shown
