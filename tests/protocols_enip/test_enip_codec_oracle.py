"""EtherNet/IP + CIP codec against tshark 4.0 on real captures, message by message.

For every frame whose TCP or UDP payload is a whole number of encapsulation
messages (tshark reports the same count), the codec must agree with tshark
on: the header (command, length, session, status); ListIdentity and
ListServices replies; RegisterSession; every CIP service code (outer, routed
through Unconnected Send, packed in Multiple Service Packets) and reply
general status; in requests the classes, instances, attributes (path
segments and Get_Attribute_List ids), members, tag symbols, ports and link
addresses; Unconnected Send, Forward Open and Forward Close fields; the
Identity object's fields in replies (Get_Attributes_All,
Get_Attribute_Single, Get_Attribute_List, also packed or routed); and, on
UDP 2222, the I/O datagram's connection id and sequence number.  Every
message must also re-encode to its exact bytes, and the identities the codec
finds (ListIdentity items, Get_Attributes_All replies of the Identity
object) must be those of ``groundtruth/<capture>.json`` (e.g. the ProSoft
MVI56, vendor 309, serials 44382 and 44407, in EIP-IPAddressChangeAttempt).

Where tshark shows more than the message holds, the test adds the same on
purpose and says so: for a connected request tshark prefixes the class,
instance, port and link of the Forward Open connection path (known from the
Forward Open it saw earlier), and for a Forward Close it repeats that path.
The test derives both from the codec's own Forward Open decode.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from otm.protocols.common import Anomaly
from otm.protocols.enip import codec
from otm.protocols.enip.constants import (
    CLASS_CONNECTION_MANAGER,
    CLASS_IDENTITY,
    IO_UDP_PORT,
    LIST_IDENTITY,
    LIST_SERVICES,
    REGISTER_SESSION,
    SEND_RR_DATA,
    SEND_UNIT_DATA,
)
from otm.protocols.enip.framing import frame_length
from otm.protocols.enip.messages import (
    CipPath,
    CipRequest,
    CipResponse,
    EmbeddedRequest,
    ForwardOpen,
    LogicalSegment,
    PortSegment,
    SymbolSegment,
)

CAPTURES = (
    "enip_cip_example.pcap",
    "EIP-IPAddressChangeAttempt.pcap",
    "EIP-RebootorRestart.pcap",
    "specialCIP.pcap",
    "mb2.pcap",
)
FIELDS = (
    "frame.number",
    "tcp.stream",
    "udp.srcport",
    "udp.dstport",
    "tcp.payload",
    "udp.payload",
    "enip.command",
    "enip.length",
    "enip.session",
    "enip.status",
    "enip.lir.vendor",
    "enip.lir.devtype",
    "enip.lir.prodcode",
    "enip.lir.revision",
    "enip.lir.status",
    "enip.lir.serial",
    "enip.lir.name",
    "enip.lir.state",
    "enip.sinaddr",
    "enip.sinport",
    "enip.lsr.capaflags",
    "enip.lsr.servicename",
    "enip.rs.version",
    "enip.rs.flags",
    "enip.cpf.cai.connid",
    "enip.cpf.sai.connid",
    "enip.cpf.sai.seq",
    "cip.sc",
    "cip.rr",
    "cip.genstat",
    "cip.class",
    "cip.instance",
    "cip.attribute",
    "cip.member",
    "cip.symbol",
    "cip.port",
    "cip.linkaddress.byte",
    "cip.cm.priority",
    "cip.cm.tick_time",
    "cip.cm.timeout_tick",
    "cip.cm.msg_req_size",
    "cip.cm.route_path_size",
    "cip.cm.ot_connid",
    "cip.cm.to_connid",
    "cip.cm.conn_serial_num",
    "cip.cm.vendor",
    "cip.cm.orig_serial_num",
    "cip.cm.timeout_multiplier",
    "cip.cm.otrpi",
    "cip.cm.torpi",
    "cip.cm.ot_net_params",
    "cip.cm.to_net_params",
    "cip.cm.transport_type_trigger",
    "cip.cm.otapi",
    "cip.cm.toapi",
    "cip.cm.app_reply_size",
    "cip.id.vendor_id",
    "cip.id.device_type",
    "cip.id.product_code",
    "cip.id.major_rev",
    "cip.id.minor_rev",
    "cip.id.status",
    "cip.id.serial_number",
    "cip.id.product_name",
)
PATH_FIELDS = {
    "cip.class": "class",
    "cip.instance": "instance",
    "cip.attribute": "attribute",
    "cip.member": "member",
}
IDENTITY_FIELDS = {
    1: ("cip.id.vendor_id",),
    2: ("cip.id.device_type",),
    3: ("cip.id.product_code",),
    4: ("cip.id.major_rev", "cip.id.minor_rev"),
    5: ("cip.id.status",),
    6: ("cip.id.serial_number",),
    7: ("cip.id.product_name",),
}
CM_REQUEST_FIELDS = (
    "cip.cm.priority",
    "cip.cm.tick_time",
    "cip.cm.timeout_tick",
    "cip.cm.msg_req_size",
    "cip.cm.route_path_size",
    "cip.cm.timeout_multiplier",
    "cip.cm.otrpi",
    "cip.cm.torpi",
    "cip.cm.ot_net_params",
    "cip.cm.to_net_params",
    "cip.cm.transport_type_trigger",
)
CM_BOTH_FIELDS = (
    "cip.cm.ot_connid",
    "cip.cm.to_connid",
    "cip.cm.conn_serial_num",
    "cip.cm.vendor",
    "cip.cm.orig_serial_num",
)
CM_REPLY_FIELDS = ("cip.cm.otapi", "cip.cm.toapi", "cip.cm.app_reply_size")


def tshark_frames(tshark: str, capture: Path) -> list[dict[str, list[str]]]:
    """tshark's fields per ENIP frame, every occurrence, as JSON (names may hold commas)."""
    cmd = [tshark, "-n", "-r", str(capture), "-Y", "enip || cip", "-T", "json"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [p["_source"]["layers"] for p in json.loads(out)]


def groundtruth_identities(pcaps: Path, capture: str) -> set[tuple[int | str, ...]]:
    """The identities tshark found (groundtruth/<capture>.json), as codec tuples."""
    truth = json.loads((pcaps / "groundtruth" / f"{capture}.json").read_text(encoding="utf-8"))
    found: set[tuple[int | str, ...]] = set()
    for ident in truth["identities"]:
        if ident["protocol"] != "enip":
            continue
        f = ident["fields"]
        if "revision" in f:  # ListIdentity: one big-endian number, major first
            major, minor = f["revision"] >> 8, f["revision"] & 0xFF
        else:
            major, minor = f["major_rev"], f["minor_rev"]
        found.add(
            (
                f["vendor_id"],
                f["device_type"],
                f["product_code"],
                major,
                minor,
                f["serial_number"],
                f["product_name"],
            )
        )
    return found


def num(text: str) -> int:
    return int(text, 0)


@dataclass
class Expected:
    """What tshark should show for one frame, built from the codec's output."""

    values: dict[str, list[int | str]] = field(default_factory=dict)
    skip: set[str] = field(default_factory=set)
    request: bool = False

    def add(self, name: str, *values: int | str) -> None:
        self.values.setdefault(name, []).extend(values)


@dataclass
class Session:
    """What one capture's earlier messages taught (the Forward Opens, pending requests)."""

    opens: dict[tuple[int, int, int], ForwardOpen] = field(default_factory=dict)
    by_connection: dict[int, CipPath] = field(default_factory=dict)
    pending: dict[tuple[object, ...], CipRequest] = field(default_factory=dict)
    identities: set[tuple[int | str, ...]] = field(default_factory=set)


def add_path(exp: Expected, path: CipPath) -> None:
    for seg in path.segments:
        if isinstance(seg, LogicalSegment):
            for name, kind in PATH_FIELDS.items():
                if seg.kind == kind:
                    exp.add(name, seg.value)
        elif isinstance(seg, SymbolSegment):
            exp.add("cip.symbol", seg.name)
        elif isinstance(seg, PortSegment):
            exp.add("cip.port", seg.port)
            if seg.link_number is not None:
                exp.add("cip.linkaddress.byte", seg.link_number)


def add_request(exp: Expected, item: EmbeddedRequest, session: Session) -> None:
    """The path facts and Connection Manager fields tshark shows for one request."""
    req = item.request
    add_path(exp, req.path)
    on_cm = req.path.class_id == CLASS_CONNECTION_MANAGER
    ptt = None
    if on_cm and req.service == 0x52:
        routed = codec.decode_unconnected_send(req.data)
        assert not isinstance(routed, Anomaly), routed
        ptt, ticks = routed.priority_time_tick, routed.timeout_ticks
        exp.add("cip.cm.msg_req_size", len(codec.encode_cip_request(routed.request)))
        exp.add("cip.cm.route_path_size", len(codec.encode_path(routed.route)) // 2)
        add_path(exp, routed.route)
    elif on_cm and req.service in (0x54, 0x5B):
        fo = codec.decode_forward_open(req.data, large=req.service == 0x5B)
        assert not isinstance(fo, Anomaly), fo
        assert codec.encode_forward_open(fo) == req.data
        session.opens[fo.triad] = fo
        ptt, ticks = fo.priority_time_tick, fo.timeout_ticks
        exp.add("cip.cm.ot_connid", fo.ot_connection_id)
        exp.add("cip.cm.to_connid", fo.to_connection_id)
        exp.add("cip.cm.conn_serial_num", fo.connection_serial)
        exp.add("cip.cm.vendor", fo.originator_vendor_id)
        exp.add("cip.cm.orig_serial_num", fo.originator_serial)
        exp.add("cip.cm.timeout_multiplier", fo.timeout_multiplier)
        exp.add("cip.cm.otrpi", fo.ot_rpi)
        exp.add("cip.cm.torpi", fo.to_rpi)
        exp.add("cip.cm.ot_net_params", fo.ot_parameters)
        exp.add("cip.cm.to_net_params", fo.to_parameters)
        exp.add("cip.cm.transport_type_trigger", fo.transport_trigger)
        add_path(exp, fo.connection_path)
    elif on_cm and req.service == 0x4E:
        fc = codec.decode_forward_close(req.data)
        assert not isinstance(fc, Anomaly), fc
        assert codec.encode_forward_close(fc) == req.data
        ptt, ticks = fc.priority_time_tick, fc.timeout_ticks
        exp.add("cip.cm.conn_serial_num", fc.connection_serial)
        exp.add("cip.cm.vendor", fc.originator_vendor_id)
        exp.add("cip.cm.orig_serial_num", fc.originator_serial)
        add_path(exp, fc.connection_path)
        opened = session.opens.get(fc.triad)
        if opened is not None:  # tshark repeats the Forward Open's path (generated)
            add_path(exp, opened.connection_path)
    if ptt is not None:
        exp.add("cip.cm.priority", (ptt >> 4) & 1)
        exp.add("cip.cm.tick_time", ptt & 0x0F)
        exp.add("cip.cm.timeout_tick", ticks)
    if req.service == 0x03:
        ids = codec.decode_attribute_list_request(req.data)
        assert not isinstance(ids, Anomaly), ids
        exp.add("cip.attribute", *ids)
    if req.service == 0x04 and len(req.data) >= 4:
        # Set_Attribute_List: ``count 2 | (id 2 | value) x count``.  tshark
        # knows the value types of the class and lists every id; the codec
        # cannot size values of arbitrary classes, so it names the first id
        # only, which is all when the list has one attribute.
        if int.from_bytes(req.data[:2], "little") == 1:
            exp.add("cip.attribute", int.from_bytes(req.data[2:4], "little"))
        else:
            exp.skip.add("cip.attribute")


def effective(request: CipRequest) -> CipRequest:
    """The request a reply answers: routed requests are answered directly."""
    for _ in range(4):  # MAX_DEPTH levels of routing
        if request.service != 0x52 or request.path.class_id != CLASS_CONNECTION_MANAGER:
            break
        routed = codec.decode_unconnected_send(request.data)
        if isinstance(routed, Anomaly):
            break
        request = routed.request
    return request


def add_identity(exp: Expected, request: CipRequest, response: CipResponse, s: Session) -> None:
    """Identity fields tshark decodes from a reply to a read of class 1."""
    if response.general_status != 0 or request.path.class_id != CLASS_IDENTITY:
        return
    values: dict[int, int | str | tuple[int, ...] | None] = {}
    if response.service == 0x01:
        obj = codec.decode_identity_attributes(response.data)
        assert not isinstance(obj, Anomaly), obj
        assert codec.encode_identity_attributes(obj) == response.data
        s.identities.add(
            (
                obj.vendor_id,
                obj.device_type,
                obj.product_code,
                obj.revision_major,
                obj.revision_minor,
                obj.serial_number,
                obj.product_name,
            )
        )
        values = {
            1: obj.vendor_id,
            2: obj.device_type,
            3: obj.product_code,
            4: (obj.revision_major, obj.revision_minor),
            5: obj.status,
            6: obj.serial_number,
            7: obj.product_name,
        }
    elif response.service == 0x0E and request.path.attribute_id in IDENTITY_FIELDS:
        single = codec.decode_identity_attribute(request.path.attribute_id, response.data)
        assert not isinstance(single, Anomaly), single
        values = {request.path.attribute_id: single}
    elif response.service == 0x03:
        reply = codec.decode_identity_attribute_list(response.data)
        assert not isinstance(reply, Anomaly), reply
        assert codec.encode_identity_attribute_list(reply) == response.data
        values = {
            e.attribute_id: e.value
            for e in reply.values
            if e.status == 0 and e.attribute_id in IDENTITY_FIELDS
        }
    for attribute, found in values.items():
        names = IDENTITY_FIELDS[attribute]
        assert found is not None
        parts = found if isinstance(found, tuple) else (found,)
        for name, part in zip(names, parts, strict=True):
            exp.add(name, part)


def expect_cip(
    exp: Expected, data_cip: bytes, key: tuple[object, ...], connection: int | None, s: Session
) -> None:
    if data_cip[0] & 0x80 == 0:
        sent = codec.decode_cip_request(data_cip)
        assert isinstance(sent, CipRequest), sent
        assert codec.encode_cip_request(sent) == data_cip
        flat, anomaly = codec.flatten_request(sent)
        assert anomaly is None, anomaly
        exp.add("cip.sc", *(e.request.service for e in flat))
        exp.request = True
        if connection is not None and connection in s.by_connection:
            add_path(exp, s.by_connection[connection])  # tshark's connection-path prefix
        for item in flat:
            add_request(exp, item, s)
        s.pending[key] = sent
        return
    response = codec.decode_cip_response(data_cip)
    assert isinstance(response, CipResponse), response
    assert codec.encode_cip_response(response) == data_cip
    parts, anomaly = codec.flatten_response(response)
    assert anomaly is None, anomaly
    exp.add("cip.sc", *(p.response.service for p in parts))
    exp.add("cip.genstat", *(p.response.general_status for p in parts))
    request = s.pending.pop(key, None)
    if request is None:
        return
    request = effective(request)
    on_cm = request.path.class_id == CLASS_CONNECTION_MANAGER
    if on_cm and response.service in (0x54, 0x5B) and response.general_status == 0:
        reply = codec.decode_forward_open_reply(response.data)
        assert not isinstance(reply, Anomaly), reply
        assert codec.encode_forward_open_reply(reply) == response.data
        for name, value in zip(
            CM_BOTH_FIELDS + CM_REPLY_FIELDS,
            (
                reply.ot_connection_id,
                reply.to_connection_id,
                reply.connection_serial,
                reply.originator_vendor_id,
                reply.originator_serial,
                reply.ot_api,
                reply.to_api,
                len(reply.application_reply) // 2,
            ),
            strict=True,
        ):
            exp.add(name, value)
        opened = s.opens.get(reply.triad)
        if opened is not None:
            s.by_connection[reply.ot_connection_id] = opened.connection_path
    elif on_cm and response.service == 0x4E and response.general_status == 0:
        closed = codec.decode_forward_close_reply(response.data)
        assert not isinstance(closed, Anomaly), closed
        assert codec.encode_forward_close_reply(closed) == response.data
        exp.add("cip.cm.conn_serial_num", closed.connection_serial)
        exp.add("cip.cm.vendor", closed.originator_vendor_id)
        exp.add("cip.cm.orig_serial_num", closed.originator_serial)
        exp.add("cip.cm.app_reply_size", len(closed.application_reply) // 2)
    elif on_cm and response.service in (0x54, 0x5B, 0x4E):
        failure = codec.decode_connection_failure(response.data)
        assert not isinstance(failure, Anomaly), failure
    add_identity(exp, request, response, s)
    if response.service == 0x0A and request.service == 0x0A:
        packed = codec.decode_multiple_service_requests(request.data)
        assert not isinstance(packed, Anomaly), packed
        for inner, part in zip(packed, parts[1:], strict=True):
            add_identity(exp, effective(inner), part.response, s)


def expect_message(exp: Expected, pdu: bytes, stream: str, s: Session) -> None:
    msg = codec.decode_encapsulation(pdu)
    assert not isinstance(msg, Anomaly), msg
    assert codec.encode_encapsulation(msg) == pdu
    exp.add("enip.command", msg.command)
    exp.add("enip.length", len(msg.data))
    exp.add("enip.session", msg.session_handle)
    exp.add("enip.status", msg.status)
    if msg.command == LIST_IDENTITY and msg.data:
        reply = codec.decode_list_identity_response(msg.data)
        assert not isinstance(reply, Anomaly), reply
        assert codec.encode_list_identity_response(reply) == msg.data
        for item in reply.identities:
            s.identities.add(
                (
                    item.vendor_id,
                    item.device_type,
                    item.product_code,
                    item.revision_major,
                    item.revision_minor,
                    item.serial_number,
                    item.product_name,
                )
            )
            exp.add("enip.lir.vendor", item.vendor_id)
            exp.add("enip.lir.devtype", item.device_type)
            exp.add("enip.lir.prodcode", item.product_code)
            # tshark reads the two revision bytes as one big-endian number
            exp.add("enip.lir.revision", item.revision_major << 8 | item.revision_minor)
            exp.add("enip.lir.status", item.status)
            exp.add("enip.lir.serial", item.serial_number)
            exp.add("enip.lir.name", item.product_name)
            exp.add("enip.lir.state", item.state)
            exp.add("enip.sinaddr", item.sin_address)
            exp.add("enip.sinport", item.sin_port)
    elif msg.command == LIST_SERVICES and msg.data:
        services = codec.decode_list_services_response(msg.data)
        assert not isinstance(services, Anomaly), services
        assert codec.encode_list_services_response(services) == msg.data
        for service in services.services:
            exp.add("enip.lsr.capaflags", service.capability_flags)
            exp.add("enip.lsr.servicename", service.name)
    elif msg.command == REGISTER_SESSION:
        session = codec.decode_register_session(msg.data)
        assert not isinstance(session, Anomaly), session
        exp.add("enip.rs.version", session.protocol_version)
        exp.add("enip.rs.flags", session.options)
    elif msg.command in (SEND_RR_DATA, SEND_UNIT_DATA) and msg.status == 0:
        data = codec.decode_send_data(msg.data)
        assert not isinstance(data, Anomaly), data
        assert codec.encode_send_data(data) == msg.data
        if data.connection_id is not None:
            exp.add("enip.cpf.cai.connid", data.connection_id)
        fast = codec.peek_cip(pdu)
        if fast is not None:
            assert (pdu[fast[0] :], fast[1]) == (data.cip, data.sequence_count)
        if not data.cip:
            return
        if msg.command == SEND_RR_DATA:
            key: tuple[object, ...] = (stream, "rr", msg.sender_context)
        else:
            key = (stream, "unit", data.sequence_count)
        expect_cip(exp, data.cip, key, data.connection_id, s)


STRICT = (
    "enip.command",
    "enip.length",
    "enip.session",
    "enip.status",
    "enip.lir.vendor",
    "enip.lir.name",
    "enip.lsr.servicename",
    "cip.sc",
    "cip.genstat",
    *(name for names in IDENTITY_FIELDS.values() for name in names),
)
"""Fields tshark must not show more of than the codec found, in any frame."""
REQUEST_STRICT = (*PATH_FIELDS, "cip.symbol", "cip.port", "cip.linkaddress.byte")
"""Fields tshark must not show more of in request frames (replies repeat the
request's path as generated fields, which the codec does not track)."""


def compare(frame: dict[str, list[str]], exp: Expected) -> None:
    number = frame["frame.number"][0]
    strict = STRICT + (REQUEST_STRICT if exp.request else ())
    for name in set(exp.values) | set(strict):
        if name in exp.skip:
            continue
        want = exp.values.get(name, [])
        got = frame.get(name, [])
        seen: list[int | str] = [
            g if isinstance(w, str) else num(g) for g, w in zip(got, want, strict=False)
        ]
        assert seen == want and len(got) == len(want), (number, name, got, want)


@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES)
def test_codec_agrees_with_tshark(capture: str, pcaps: Path, tshark: str) -> None:
    session = Session()
    frames = tshark_frames(tshark, pcaps / capture)
    checked = skipped = io = 0
    for frame in frames:
        ports = {num(p) for p in frame.get("udp.srcport", []) + frame.get("udp.dstport", [])}
        if IO_UDP_PORT in ports:
            payload = bytes.fromhex(frame["udp.payload"][0])
            datagram = codec.decode_io_datagram(payload)
            assert not isinstance(datagram, Anomaly), (frame["frame.number"], datagram)
            assert codec.encode_io_datagram(datagram) == payload
            assert datagram.connection_id == num(frame["enip.cpf.sai.connid"][0])
            assert datagram.sequence_number == num(frame["enip.cpf.sai.seq"][0])
            io += 1
            continue
        payload = bytes.fromhex((frame.get("tcp.payload") or frame.get("udp.payload") or [""])[0])
        pdus = []
        pos = 0
        while 0 < (size := frame_length(payload, pos)) <= len(payload) - pos:
            pdus.append(payload[pos : pos + size])
            pos += size
        if not pdus or pos != len(payload) or len(pdus) != len(frame.get("enip.command", [])):
            skipped += 1  # a message split over segments: tshark shows it reassembled
            continue
        exp = Expected()
        stream = (frame.get("tcp.stream") or ["udp"])[0]
        for pdu in pdus:
            expect_message(exp, pdu, stream, session)
        compare(frame, exp)
        checked += len(pdus)
    assert checked > 0, f"no whole ENIP message compared in {capture}"
    assert session.identities == groundtruth_identities(pcaps, capture)
    assert skipped <= checked // 10 + 5, f"{skipped} frames skipped, {checked} compared"
    print(f"{capture}: {checked} messages and {io} I/O datagrams compared, {skipped} skipped")
