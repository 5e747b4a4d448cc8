"""EtherNet/IP encapsulation and CIP: bytes <-> messages, sans I/O.

Decoders return a message or an ``Anomaly`` and never raise; every count
read from the wire is bounded (``MAX_ITEMS``, ``MAX_SERVICES``,
``MAX_DEPTH``, ``paths.MAX_SEGMENTS``).  Encoders write exactly what the
decoders read, so ``decode(encode(m)) == m``; they raise ``ValueError`` for a
message no decoder would return (a value out of its field's range).

This module is the one entry point: it re-exports the EPATH codec
(``paths``) and the Connection Manager messages (``connections``).

Hot path: ``peek_encapsulation`` reads the header in place and ``peek_cip``
finds the CIP message of the two usual SendRRData/SendUnitData layouts
without building any message object.

Which decoder for which bytes:

- encapsulation data by command: ListIdentity reply
  ``decode_list_identity_response``, ListServices reply
  ``decode_list_services_response``, ListInterfaces reply
  ``decode_list_interfaces_response``, RegisterSession
  ``decode_register_session``, SendRRData/SendUnitData ``decode_send_data``
  (its ``cip`` property is the CIP message);
- CIP: ``decode_cip_request`` / ``decode_cip_response``, then by service and
  class: Unconnected Send ``decode_unconnected_send``, Multiple Service
  Packet ``decode_multiple_service_requests`` / ``_responses``, Forward Open
  ``decode_forward_open`` ..., Identity object ``decode_identity_attributes``,
  ``decode_identity_attribute``, ``decode_identity_attribute_list``;
  ``flatten_request`` / ``flatten_response`` walk all of it at once;
- UDP 2222: ``decode_io_datagram``.
"""

from __future__ import annotations

import struct
from typing import cast

from otm.protocols.common import Anomaly
from otm.protocols.enip.anomalies import EnipAnomaly
from otm.protocols.enip.connections import (
    decode_connection_failure,
    decode_forward_close,
    decode_forward_close_reply,
    decode_forward_open,
    decode_forward_open_reply,
    encode_connection_failure,
    encode_forward_close,
    encode_forward_close_reply,
    encode_forward_open,
    encode_forward_open_reply,
)
from otm.protocols.enip.constants import (
    CLASS_CONNECTION_MANAGER,
    HEADER_LENGTH,
    ITEM_CONNECTED_ADDRESS,
    ITEM_CONNECTED_DATA,
    ITEM_LIST_IDENTITY,
    ITEM_NULL_ADDRESS,
    ITEM_SEQUENCED_ADDRESS,
    ITEM_UNCONNECTED_DATA,
    MAX_DEPTH,
    MAX_ITEMS,
    MAX_SERVICES,
    REPLY_FLAG,
    SEND_RR_DATA,
    SEND_UNIT_DATA,
    SERVICE_MULTIPLE,
    SERVICE_UNCONNECTED_SEND,
)
from otm.protocols.enip.messages import (
    AttributeListReply,
    AttributeValue,
    CipRequest,
    CipResponse,
    CpfItem,
    EmbeddedRequest,
    EmbeddedResponse,
    Encapsulation,
    IdentityItem,
    IdentityObject,
    IdentityValue,
    IoDatagram,
    ListIdentityResponse,
    ListInterfacesResponse,
    ListServicesResponse,
    MultipleServicePacket,
    RegisterSession,
    SendData,
    ServiceItem,
    UnconnectedSend,
)
from otm.protocols.enip.paths import MAX_SEGMENTS, decode_path, encode_path

__all__ = [
    "MAX_SEGMENTS",
    "decode_attribute_list_request",
    "decode_cip_request",
    "decode_cip_response",
    "decode_connection_failure",
    "decode_cpf",
    "decode_encapsulation",
    "decode_forward_close",
    "decode_forward_close_reply",
    "decode_forward_open",
    "decode_forward_open_reply",
    "decode_identity_attribute",
    "decode_identity_attribute_list",
    "decode_identity_attributes",
    "decode_identity_item",
    "decode_io_datagram",
    "decode_list_identity_response",
    "decode_list_interfaces_response",
    "decode_list_services_response",
    "decode_multiple_service",
    "decode_multiple_service_requests",
    "decode_multiple_service_responses",
    "decode_path",
    "decode_register_session",
    "decode_send_data",
    "decode_service_item",
    "decode_unconnected_send",
    "encode_attribute_list_request",
    "encode_cip_request",
    "encode_cip_response",
    "encode_connection_failure",
    "encode_cpf",
    "encode_encapsulation",
    "encode_forward_close",
    "encode_forward_close_reply",
    "encode_forward_open",
    "encode_forward_open_reply",
    "encode_identity_attribute",
    "encode_identity_attribute_list",
    "encode_identity_attributes",
    "encode_identity_item",
    "encode_io_datagram",
    "encode_list_identity_response",
    "encode_list_interfaces_response",
    "encode_list_services_response",
    "encode_multiple_service",
    "encode_path",
    "encode_register_session",
    "encode_send_data",
    "encode_service_item",
    "encode_unconnected_send",
    "flatten_request",
    "flatten_response",
    "peek_cip",
    "peek_encapsulation",
]

_HEADER = struct.Struct("<HHII8sI")
_PEEK = struct.Struct("<HHII")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_IDENTITY_HEAD = struct.Struct("<HHHBBHI")  # vendor .. serial: 14 bytes
_SOCKADDR = struct.Struct(">HH4s8s")
_SERVICE_ITEM = struct.Struct("<HH16s")
_RR_LAYOUT = struct.Struct("<IHHHHHH")  # handle, timeout, count, null type/len, B2 type/len
_UNIT_LAYOUT = struct.Struct("<IHHHHIHHH")  # handle, timeout, count, A1 t/l/id, B1 t/l, seq


def _bad(kind: EnipAnomaly, detail: str, offset: int = 0) -> Anomaly:
    return Anomaly(kind, detail, offset)


# -- encapsulation ---------------------------------------------------------------------


def peek_encapsulation(buf: bytes, start: int = 0) -> tuple[int, int, int, int] | None:
    """``(command, length, session handle, status)`` read in place, or None if short."""
    if len(buf) - start < HEADER_LENGTH:
        return None
    return cast("tuple[int, int, int, int]", _PEEK.unpack_from(buf, start))


def peek_cip(pdu: bytes) -> tuple[int, int | None] | None:
    """Where the CIP message of a whole SendRRData/SendUnitData message starts.

    Returns ``(offset in pdu, sequence count or None)`` for the two layouts
    nearly every device uses, read in place: SendRRData with a null address
    item and an unconnected data item (CIP at byte 40), SendUnitData with a
    connected address item and a connected data item (sequence count at 44,
    CIP at 46).  None for any other command or layout: then run
    ``decode_send_data``.  Saves a CPF decode (several objects) per message.
    """
    size = len(pdu)
    if size >= 40 and pdu[0] == SEND_RR_DATA and pdu[1] == 0:
        _, _, count, t0, l0, t1, l1 = _RR_LAYOUT.unpack_from(pdu, 24)
        if (
            count == 2
            and t0 == ITEM_NULL_ADDRESS
            and l0 == 0
            and t1 == ITEM_UNCONNECTED_DATA
            and 40 + l1 == size
        ):
            return 40, None
    elif size >= 46 and pdu[0] == SEND_UNIT_DATA and pdu[1] == 0:
        _, _, count, t0, l0, _, t1, l1, seq = _UNIT_LAYOUT.unpack_from(pdu, 24)
        if (
            count == 2
            and t0 == ITEM_CONNECTED_ADDRESS
            and l0 == 4
            and t1 == ITEM_CONNECTED_DATA
            and 44 + l1 == size
        ):
            return 46, seq
    return None


def decode_encapsulation(buf: bytes) -> Encapsulation | Anomaly:
    """One whole encapsulation message (as the framer delimits it)."""
    if len(buf) < HEADER_LENGTH:
        return _bad(EnipAnomaly.TRUNCATED, f"{len(buf)}-byte header")
    command, length, session, status, context, options = _HEADER.unpack_from(buf)
    if HEADER_LENGTH + length > len(buf):
        return _bad(EnipAnomaly.TRUNCATED, f"length {length}, {len(buf) - 24} bytes follow", 2)
    if HEADER_LENGTH + length < len(buf):
        return _bad(EnipAnomaly.TRAILING_BYTES, f"{len(buf) - 24 - length} bytes after data")
    return Encapsulation(command, session, status, context, options, buf[HEADER_LENGTH:])


def encode_encapsulation(msg: Encapsulation) -> bytes:
    """The bytes of an encapsulation message."""
    if len(msg.sender_context) != 8:
        raise ValueError("sender context is 8 bytes")
    if len(msg.data) > 0xFFFF - HEADER_LENGTH:
        raise ValueError("encapsulation data too long")
    head = _HEADER.pack(
        msg.command, len(msg.data), msg.session_handle, msg.status, msg.sender_context, msg.options
    )
    return head + msg.data


# -- common packet format -----------------------------------------------------------


def decode_cpf(data: bytes, start: int = 0) -> tuple[CpfItem, ...] | Anomaly:
    """``item count | items`` from ``start`` to the end of ``data``."""
    if len(data) - start < 2:
        return _bad(EnipAnomaly.BAD_CPF, "no item count", start)
    count = _U16.unpack_from(data, start)[0]
    if count > MAX_ITEMS:
        return _bad(EnipAnomaly.TOO_MANY_ITEMS, f"{count} items", start)
    pos = start + 2
    items = []
    for _ in range(count):  # count <= MAX_ITEMS, checked above
        if pos + 4 > len(data):
            return _bad(EnipAnomaly.BAD_CPF, "item header cut short", pos)
        type_id, length = struct.unpack_from("<HH", data, pos)
        pos += 4
        if pos + length > len(data):
            return _bad(EnipAnomaly.BAD_ITEM, f"item 0x{type_id:04x} of {length} bytes", pos)
        items.append(CpfItem(type_id, data[pos : pos + length]))
        pos += length
    if pos != len(data):
        return _bad(EnipAnomaly.TRAILING_BYTES, f"{len(data) - pos} bytes after items", pos)
    return tuple(items)


def encode_cpf(items: tuple[CpfItem, ...]) -> bytes:
    """``item count | items``."""
    out = [_U16.pack(len(items))]
    for it in items:
        if len(it.data) > 0xFFFF:
            raise ValueError("CPF item too long")
        out.append(struct.pack("<HH", it.type_id, len(it.data)) + it.data)
    return b"".join(out)


def decode_send_data(data: bytes) -> SendData | Anomaly:
    """SendRRData / SendUnitData data: interface handle, timeout, CPF items."""
    if len(data) < 8:
        return _bad(EnipAnomaly.TRUNCATED, f"{len(data)}-byte send data")
    handle = _U32.unpack_from(data)[0]
    timeout = _U16.unpack_from(data, 4)[0]
    items = decode_cpf(data, 6)
    if isinstance(items, Anomaly):
        return items
    return SendData(handle, timeout, items)


def encode_send_data(msg: SendData) -> bytes:
    """The data of a SendRRData / SendUnitData message."""
    return _U32.pack(msg.interface_handle) + _U16.pack(msg.timeout) + encode_cpf(msg.items)


def decode_register_session(data: bytes) -> RegisterSession | Anomaly:
    """RegisterSession request or reply data."""
    if len(data) != 4:
        return _bad(EnipAnomaly.INVALID_LENGTH, f"{len(data)} bytes (4 expected)")
    version, options = struct.unpack("<HH", data)
    return RegisterSession(version, options)


def encode_register_session(msg: RegisterSession) -> bytes:
    """RegisterSession data."""
    return struct.pack("<HH", msg.protocol_version, msg.options)


# -- ListIdentity -------------------------------------------------------------------


def decode_identity_item(data: bytes) -> IdentityItem | Anomaly:
    """The data of one ListIdentity item (type 0x000C)."""
    if len(data) < 2 + 16 + 14 + 1 + 1:
        return _bad(EnipAnomaly.BAD_IDENTITY, f"{len(data)}-byte identity item")
    version = _U16.unpack_from(data)[0]
    family, port, addr, zero = _SOCKADDR.unpack_from(data, 2)
    vendor, dtype, code, major, minor, status, serial = _IDENTITY_HEAD.unpack_from(data, 18)
    name_len = data[32]
    end = 33 + name_len
    if end + 1 != len(data):
        return _bad(EnipAnomaly.BAD_IDENTITY, f"name of {name_len} bytes in {len(data)}", 32)
    name = data[33:end].decode("latin-1")
    return IdentityItem(
        version,
        family,
        port,
        ".".join(str(b) for b in addr),
        vendor,
        dtype,
        code,
        major,
        minor,
        status,
        serial,
        name,
        data[end],
        zero,
    )


def encode_identity_item(item: IdentityItem) -> bytes:
    """The data of one ListIdentity item."""
    name = item.product_name.encode("latin-1")
    if len(name) > 255:
        raise ValueError("product name longer than 255 bytes")
    addr = bytes(int(p) for p in item.sin_address.split("."))
    if len(addr) != 4:
        raise ValueError("socket address must be IPv4")
    return (
        _U16.pack(item.encapsulation_version)
        + _SOCKADDR.pack(item.sin_family, item.sin_port, addr, item.sin_zero)
        + _IDENTITY_HEAD.pack(
            item.vendor_id,
            item.device_type,
            item.product_code,
            item.revision_major,
            item.revision_minor,
            item.status,
            item.serial_number,
        )
        + bytes([len(name)])
        + name
        + bytes([item.state])
    )


def decode_list_identity_response(data: bytes) -> ListIdentityResponse | Anomaly:
    """ListIdentity reply data: CPF with identity items."""
    items = decode_cpf(data)
    if isinstance(items, Anomaly):
        return items
    identities = []
    others = []
    for it in items:
        if it.type_id == ITEM_LIST_IDENTITY:
            ident = decode_identity_item(it.data)
            if isinstance(ident, Anomaly):
                return ident
            identities.append(ident)
        else:
            others.append(it)
    return ListIdentityResponse(tuple(identities), tuple(others))


def encode_list_identity_response(msg: ListIdentityResponse) -> bytes:
    """ListIdentity reply data."""
    items = tuple(CpfItem(ITEM_LIST_IDENTITY, encode_identity_item(i)) for i in msg.identities)
    return encode_cpf(items + msg.others)


def decode_service_item(type_id: int, data: bytes) -> ServiceItem | Anomaly:
    """The data of one ListServices item: version, capability flags, 16-byte name."""
    if len(data) != _SERVICE_ITEM.size:
        return _bad(EnipAnomaly.BAD_ITEM, f"{len(data)}-byte service item (20 expected)")
    version, flags, name = _SERVICE_ITEM.unpack(data)
    return ServiceItem(version, flags, name.rstrip(b"\0").decode("latin-1"), type_id)


def encode_service_item(item: ServiceItem) -> bytes:
    """The data of one ListServices item (the name NUL-padded to 16 bytes)."""
    name = item.name.encode("latin-1")
    if len(name) > 16:
        raise ValueError("service name longer than 16 bytes")
    return _SERVICE_ITEM.pack(item.encapsulation_version, item.capability_flags, name)


def decode_list_services_response(data: bytes) -> ListServicesResponse | Anomaly:
    """ListServices reply data: CPF of service items."""
    items = decode_cpf(data)
    if isinstance(items, Anomaly):
        return items
    services = []
    for it in items:  # at most MAX_ITEMS, checked by decode_cpf
        service = decode_service_item(it.type_id, it.data)
        if isinstance(service, Anomaly):
            return service
        services.append(service)
    return ListServicesResponse(tuple(services))


def encode_list_services_response(msg: ListServicesResponse) -> bytes:
    """ListServices reply data."""
    return encode_cpf(tuple(CpfItem(s.type_id, encode_service_item(s)) for s in msg.services))


def decode_list_interfaces_response(data: bytes) -> ListInterfacesResponse | Anomaly:
    """ListInterfaces reply data: CPF items, kept raw (no public item layout)."""
    items = decode_cpf(data)
    if isinstance(items, Anomaly):
        return items
    return ListInterfacesResponse(items)


def encode_list_interfaces_response(msg: ListInterfacesResponse) -> bytes:
    """ListInterfaces reply data."""
    return encode_cpf(msg.items)


# -- CIP requests and responses ---------------------------------------------------------


def decode_cip_request(data: bytes) -> CipRequest | Anomaly:
    """``service | path size (words) | path | data``."""
    if len(data) < 2:
        return _bad(EnipAnomaly.TRUNCATED, f"{len(data)}-byte CIP request")
    service = data[0]
    if service & REPLY_FLAG:
        return _bad(EnipAnomaly.BAD_SERVICE, f"reply flag set in request 0x{service:02x}")
    end = 2 + data[1] * 2
    if end > len(data):
        return _bad(EnipAnomaly.BAD_PATH, f"path of {data[1]} words in {len(data)} bytes", 1)
    path = decode_path(data[2:end])
    if isinstance(path, Anomaly):
        return Anomaly(path.kind, path.detail, path.offset + 2)
    return CipRequest(service, path, data[end:])


def encode_cip_request(msg: CipRequest) -> bytes:
    """The bytes of a CIP request."""
    path = encode_path(msg.path)
    if len(path) > 510:
        raise ValueError("path longer than 255 words")
    return bytes([msg.service, len(path) // 2]) + path + msg.data


def decode_cip_response(data: bytes) -> CipResponse | Anomaly:
    """``reply service | reserved | general status | additional size | additional | data``."""
    if len(data) < 4:
        return _bad(EnipAnomaly.TRUNCATED, f"{len(data)}-byte CIP response")
    if not data[0] & REPLY_FLAG:
        return _bad(EnipAnomaly.BAD_SERVICE, f"reply flag missing in 0x{data[0]:02x}")
    end = 4 + data[3] * 2
    if end > len(data):
        return _bad(EnipAnomaly.TRUNCATED, "additional status cut short", 3)
    # at most 255 additional status words: the size is one byte
    extra = tuple(_U16.unpack_from(data, 4 + 2 * i)[0] for i in range(data[3]))
    return CipResponse(data[0] & 0x7F, data[2], extra, data[end:], data[1])


def encode_cip_response(msg: CipResponse) -> bytes:
    """The bytes of a CIP response."""
    extra = b"".join(_U16.pack(v) for v in msg.additional_status)
    return (
        bytes(
            [msg.service | REPLY_FLAG, msg.reserved, msg.general_status, len(msg.additional_status)]
        )
        + extra
        + msg.data
    )


def decode_unconnected_send(data: bytes, depth: int = 0) -> UnconnectedSend | Anomaly:
    """The request data of Unconnected Send (0x52 to class 0x06).

    The embedded request is decoded (its own data left as bytes: run
    ``flatten_request`` to follow further nesting).  ``depth`` is how many
    Unconnected Sends the caller has already unwrapped; from ``MAX_DEPTH``
    on the answer is a ``too_deep`` anomaly.
    """
    if depth >= MAX_DEPTH:
        return _bad(EnipAnomaly.TOO_DEEP, f"unconnected send nested {depth} deep")
    if len(data) < 4:
        return _bad(EnipAnomaly.TRUNCATED, "unconnected send header")
    size = _U16.unpack_from(data, 2)[0]
    end = 4 + size
    if end > len(data):
        return _bad(EnipAnomaly.INVALID_LENGTH, f"embedded message of {size} bytes", 2)
    embedded = decode_cip_request(data[4:end])
    if isinstance(embedded, Anomaly):
        return Anomaly(embedded.kind, embedded.detail, embedded.offset + 4)
    pos = end + (size % 2)
    if pos + 2 > len(data):
        return _bad(EnipAnomaly.TRUNCATED, "route path size missing", pos)
    words, reserved = data[pos], data[pos + 1]
    rend = pos + 2 + words * 2
    if rend != len(data):
        return _bad(EnipAnomaly.INVALID_LENGTH, f"route of {words} words", pos)
    route = decode_path(data[pos + 2 : rend])
    if isinstance(route, Anomaly):
        return Anomaly(route.kind, route.detail, route.offset + pos + 2)
    return UnconnectedSend(data[0], data[1], embedded, route, reserved)


def encode_unconnected_send(msg: UnconnectedSend) -> bytes:
    """The request data of Unconnected Send."""
    embedded = encode_cip_request(msg.request)
    route = encode_path(msg.route)
    pad = b"\x00" if len(embedded) % 2 else b""
    return (
        bytes([msg.priority_time_tick, msg.timeout_ticks])
        + _U16.pack(len(embedded))
        + embedded
        + pad
        + bytes([len(route) // 2, msg.reserved])
        + route
    )


def decode_multiple_service(data: bytes) -> MultipleServicePacket | Anomaly:
    """Multiple Service Packet data (request or reply): the embedded messages' bytes."""
    if len(data) < 2:
        return _bad(EnipAnomaly.TRUNCATED, "service count missing")
    count = _U16.unpack_from(data)[0]
    if count > MAX_SERVICES:
        return _bad(EnipAnomaly.TOO_MANY_ITEMS, f"{count} services")
    table_end = 2 + 2 * count
    if table_end > len(data):
        return _bad(EnipAnomaly.TRUNCATED, "offset table cut short")
    offsets = [_U16.unpack_from(data, 2 + 2 * i)[0] for i in range(count)]
    services = []
    for i, start in enumerate(offsets):  # count <= MAX_SERVICES, checked above
        stop = offsets[i + 1] if i + 1 < count else len(data)
        if not table_end <= start <= stop <= len(data):
            return _bad(EnipAnomaly.INVALID_LENGTH, f"service {i} at offset {start}", 2 + 2 * i)
        services.append(data[start:stop])
    return MultipleServicePacket(tuple(services))


def encode_multiple_service(msg: MultipleServicePacket) -> bytes:
    """Multiple Service Packet data with the offset table computed."""
    count = len(msg.services)
    offset = 2 + 2 * count
    table = [_U16.pack(count)]
    for body in msg.services:
        table.append(_U16.pack(offset))
        offset += len(body)
    if offset > 0xFFFF:
        raise ValueError("multiple service packet too long")
    return b"".join(table) + b"".join(msg.services)


def decode_multiple_service_requests(data: bytes) -> tuple[CipRequest, ...] | Anomaly:
    """The requests packed in Multiple Service Packet request data."""
    packet = decode_multiple_service(data)
    if isinstance(packet, Anomaly):
        return packet
    requests = []
    for i, body in enumerate(packet.services):  # at most MAX_SERVICES
        request = decode_cip_request(body)
        if isinstance(request, Anomaly):
            return Anomaly(request.kind, f"service {i}: {request.detail}", request.offset)
        requests.append(request)
    return tuple(requests)


def decode_multiple_service_responses(data: bytes) -> tuple[CipResponse, ...] | Anomaly:
    """The replies packed in Multiple Service Packet reply data."""
    packet = decode_multiple_service(data)
    if isinstance(packet, Anomaly):
        return packet
    responses = []
    for i, body in enumerate(packet.services):  # at most MAX_SERVICES
        response = decode_cip_response(body)
        if isinstance(response, Anomaly):
            return Anomaly(response.kind, f"service {i}: {response.detail}", response.offset)
        responses.append(response)
    return tuple(responses)


def flatten_request(
    request: CipRequest, max_depth: int = MAX_DEPTH
) -> tuple[tuple[EmbeddedRequest, ...], Anomaly | None]:
    """Every request a CIP request carries, outer first, depth first.

    Unconnected Send (0x52 to class 0x06) contributes its embedded request,
    routed (the route's hops are added to ``EmbeddedRequest.route``); a
    Multiple Service Packet (0x0A, a common service) its packed requests.
    This is the order in which Wireshark lists ``cip.sc``.  Walking stops at
    ``max_depth`` levels or ``MAX_SERVICES`` requests in all (each request
    takes at least 2 distinct bytes of the message, so a message within the
    encapsulation limit could declare 32755: the cap keeps the work small);
    the anomaly that stopped it, if any, is returned with what was found.
    """
    found: list[EmbeddedRequest] = []
    stack: list[EmbeddedRequest] = [EmbeddedRequest(request)]
    while stack:  # each pass pops one; pushes are bounded by MAX_SERVICES in all
        item = stack.pop()
        if len(found) >= MAX_SERVICES:
            return tuple(found), _bad(EnipAnomaly.TOO_MANY_ITEMS, f"over {MAX_SERVICES} requests")
        found.append(item)
        req = item.request
        inner: list[EmbeddedRequest] = []
        if (
            req.service == SERVICE_UNCONNECTED_SEND
            and req.path.class_id == CLASS_CONNECTION_MANAGER
        ):
            if item.depth + 1 > max_depth:
                return tuple(found), _bad(EnipAnomaly.TOO_DEEP, f"nested {item.depth + 1} deep")
            routed = decode_unconnected_send(req.data)
            if isinstance(routed, Anomaly):
                return tuple(found), routed
            route = item.route + routed.route.hops
            inner.append(EmbeddedRequest(routed.request, item.depth + 1, route))
        elif req.service == SERVICE_MULTIPLE:
            if item.depth + 1 > max_depth:
                return tuple(found), _bad(EnipAnomaly.TOO_DEEP, f"nested {item.depth + 1} deep")
            packed = decode_multiple_service_requests(req.data)
            if isinstance(packed, Anomaly):
                return tuple(found), packed
            if len(found) + len(stack) + len(packed) > MAX_SERVICES:
                return tuple(found), _bad(EnipAnomaly.TOO_MANY_ITEMS, f"{len(packed)} services")
            inner.extend(
                EmbeddedRequest(r, item.depth + 1, item.route, i) for i, r in enumerate(packed)
            )
        stack.extend(reversed(inner))
    return tuple(found), None


def flatten_response(
    response: CipResponse, max_depth: int = MAX_DEPTH
) -> tuple[tuple[EmbeddedResponse, ...], Anomaly | None]:
    """The reply and, for a Multiple Service Packet reply, the packed replies.

    A successful Unconnected Send is answered by the embedded request's own
    reply, so only Multiple Service Packets nest.  Bounded like
    ``flatten_request``.
    """
    found: list[EmbeddedResponse] = []
    stack: list[EmbeddedResponse] = [EmbeddedResponse(response)]
    while stack:  # bounded as in flatten_request
        item = stack.pop()
        if len(found) >= MAX_SERVICES:
            return tuple(found), _bad(EnipAnomaly.TOO_MANY_ITEMS, f"over {MAX_SERVICES} replies")
        found.append(item)
        resp = item.response
        if resp.service != SERVICE_MULTIPLE or not resp.data:
            continue
        if item.depth + 1 > max_depth:
            return tuple(found), _bad(EnipAnomaly.TOO_DEEP, f"nested {item.depth + 1} deep")
        packed = decode_multiple_service_responses(resp.data)
        if isinstance(packed, Anomaly):
            return tuple(found), packed
        if len(found) + len(stack) + len(packed) > MAX_SERVICES:
            return tuple(found), _bad(EnipAnomaly.TOO_MANY_ITEMS, f"{len(packed)} replies")
        stack.extend(
            reversed([EmbeddedResponse(r, item.depth + 1, i) for i, r in enumerate(packed)])
        )
    return tuple(found), None


def decode_attribute_list_request(data: bytes) -> tuple[int, ...] | Anomaly:
    """Get_Attribute_List (0x03) request data: ``count 2 | attribute ids 2 x count``."""
    if len(data) < 2:
        return _bad(EnipAnomaly.TRUNCATED, "attribute count missing")
    count = _U16.unpack_from(data)[0]
    if 2 + 2 * count != len(data):
        return _bad(EnipAnomaly.INVALID_LENGTH, f"{count} attributes in {len(data)} bytes")
    return struct.unpack_from(f"<{count}H", data, 2)  # count <= 32767: the data bounds it


def encode_attribute_list_request(attributes: tuple[int, ...]) -> bytes:
    """Get_Attribute_List request data."""
    return _U16.pack(len(attributes)) + struct.pack(f"<{len(attributes)}H", *attributes)


# -- Identity object ---------------------------------------------------------------------


def decode_identity_attributes(data: bytes) -> IdentityObject | Anomaly:
    """Get_Attributes_All reply data of the Identity object (attributes 1-7, then extra)."""
    if len(data) < 15:
        return _bad(EnipAnomaly.BAD_IDENTITY, f"{len(data)} bytes of identity attributes")
    vendor, dtype, code, major, minor, status, serial = _IDENTITY_HEAD.unpack_from(data)
    size = data[14]
    end = 15 + size
    if end > len(data):
        return _bad(EnipAnomaly.BAD_IDENTITY, f"product name of {size} bytes cut short", 14)
    name = data[15:end].decode("latin-1")
    return IdentityObject(vendor, dtype, code, major, minor, status, serial, name, data[end:])


def encode_identity_attributes(obj: IdentityObject) -> bytes:
    """Get_Attributes_All reply data of the Identity object."""
    name = obj.product_name.encode("latin-1")
    if len(name) > 255:
        raise ValueError("product name longer than 255 bytes")
    head = _IDENTITY_HEAD.pack(
        obj.vendor_id,
        obj.device_type,
        obj.product_code,
        obj.revision_major,
        obj.revision_minor,
        obj.status,
        obj.serial_number,
    )
    return head + bytes([len(name)]) + name + obj.extra


_IDENTITY_FORMATS: dict[int, struct.Struct] = {
    1: struct.Struct("<H"),  # vendor id
    2: struct.Struct("<H"),  # device type
    3: struct.Struct("<H"),  # product code
    4: struct.Struct("<BB"),  # revision major, minor
    5: struct.Struct("<H"),  # status
    6: struct.Struct("<I"),  # serial number
    8: struct.Struct("<B"),  # state
    9: struct.Struct("<H"),  # configuration consistency value
    10: struct.Struct("<B"),  # heartbeat interval (s)
    11: struct.Struct("<BBB"),  # active language (3 ISO 639-2 letters)
    14: struct.Struct("<HIh"),  # semaphore: vendor, serial, timer (ITIME, ms)
}
"""Identity object instance attributes of fixed size (Vol. 1, 5-2.2); 7 is the
product name, a SHORT_STRING (``length 1 | chars``)."""

IDENTITY_ATTRIBUTES = frozenset((*_IDENTITY_FORMATS, 7))
"""Identity attributes ``decode_identity_attribute`` decodes."""


def _identity_value(attribute_id: int, data: bytes, pos: int) -> tuple[IdentityValue, int] | None:
    """The value of an Identity attribute at ``pos`` and the offset after it."""
    if attribute_id == 7:
        if pos >= len(data) or pos + 1 + data[pos] > len(data):
            return None
        stop = pos + 1 + data[pos]
        return data[pos + 1 : stop].decode("latin-1"), stop
    fmt = _IDENTITY_FORMATS.get(attribute_id)
    if fmt is None or pos + fmt.size > len(data):
        return None
    values = fmt.unpack_from(data, pos)
    return (values[0] if len(values) == 1 else tuple(values)), pos + fmt.size


def decode_identity_attribute(attribute_id: int, data: bytes) -> IdentityValue | Anomaly:
    """One Get_Attribute_Single reply of the Identity object.

    1 vendor id, 2 device type, 3 product code (u16); 4 revision as
    ``(major, minor)``; 5 status (u16); 6 serial (u32); 7 product name
    (short string); 8 state (u8); 9 configuration consistency value (u16);
    10 heartbeat interval (u8); 11 active language (3 bytes as a tuple);
    14 semaphore ``(vendor, serial, timer)``.
    """
    if attribute_id not in IDENTITY_ATTRIBUTES:
        return _bad(EnipAnomaly.BAD_IDENTITY, f"attribute {attribute_id} not decoded")
    decoded = _identity_value(attribute_id, data, 0)
    if decoded is None or decoded[1] != len(data):
        return _bad(EnipAnomaly.BAD_IDENTITY, f"attribute {attribute_id}: {len(data)} bytes")
    return decoded[0]


def encode_identity_attribute(attribute_id: int, value: IdentityValue) -> bytes:
    """The reply data of Get_Attribute_Single for an Identity attribute."""
    if attribute_id == 7:
        if not isinstance(value, str):
            raise ValueError("attribute 7 is a string")
        name = value.encode("latin-1")
        if len(name) > 255:
            raise ValueError("product name longer than 255 bytes")
        return bytes([len(name)]) + name
    fmt = _IDENTITY_FORMATS.get(attribute_id)
    if fmt is None or isinstance(value, str):
        raise ValueError(f"attribute {attribute_id} not encoded")
    try:
        return fmt.pack(*value) if isinstance(value, tuple) else fmt.pack(value)
    except struct.error as exc:
        raise ValueError(str(exc)) from exc


def decode_identity_attribute_list(data: bytes) -> AttributeListReply | Anomaly:
    """Get_Attribute_List (0x03) reply data of the Identity object.

    ``count 2 | (attribute id 2 | status 2 | value if status is 0) x count``.
    Entries are decoded while their length is known; from the first
    successful attribute of unknown size on, the bytes are kept in ``rest``.
    """
    if len(data) < 2:
        return _bad(EnipAnomaly.TRUNCATED, "attribute count missing")
    count = _U16.unpack_from(data)[0]
    values: list[AttributeValue] = []
    pos = 2
    for i in range(count):  # each entry consumes >= 4 bytes, so the data bounds it
        if pos + 4 > len(data):
            return _bad(EnipAnomaly.TRUNCATED, f"entry {i} of {count} cut short", pos)
        attribute, status = struct.unpack_from("<HH", data, pos)
        if status != 0:
            values.append(AttributeValue(attribute, status))
            pos += 4
            continue
        decoded = _identity_value(attribute, data, pos + 4)
        if decoded is None:
            if attribute in IDENTITY_ATTRIBUTES:
                return _bad(EnipAnomaly.BAD_IDENTITY, f"attribute {attribute} cut short", pos)
            return AttributeListReply(count, tuple(values), data[pos:])
        values.append(AttributeValue(attribute, status, decoded[0]))
        pos = decoded[1]
    if pos != len(data):
        return _bad(EnipAnomaly.TRAILING_BYTES, f"{len(data) - pos} bytes after entries", pos)
    return AttributeListReply(count, tuple(values))


def encode_identity_attribute_list(msg: AttributeListReply) -> bytes:
    """Get_Attribute_List reply data of the Identity object."""
    out = [_U16.pack(msg.count)]
    for entry in msg.values:
        out.append(struct.pack("<HH", entry.attribute_id, entry.status))
        if entry.status == 0:
            if entry.value is None:
                raise ValueError(f"attribute {entry.attribute_id} read without a value")
            out.append(encode_identity_attribute(entry.attribute_id, entry.value))
        elif entry.value is not None:
            raise ValueError(f"attribute {entry.attribute_id} failed but has a value")
    out.append(msg.rest)
    return b"".join(out)


# -- implicit I/O -------------------------------------------------------------------------


def decode_io_datagram(data: bytes) -> IoDatagram | Anomaly:
    """A class 0/1 I/O datagram (UDP 2222): sequenced address + connected data items."""
    items = decode_cpf(data)
    if isinstance(items, Anomaly):
        return items
    address = next((i for i in items if i.type_id == ITEM_SEQUENCED_ADDRESS), None)
    payload = next((i for i in items if i.type_id == ITEM_CONNECTED_DATA), None)
    if address is None or len(address.data) != 8:
        return _bad(EnipAnomaly.BAD_ITEM, "no sequenced address item")
    connection, sequence = struct.unpack("<II", address.data)
    return IoDatagram(connection, sequence, payload.data if payload else b"")


def encode_io_datagram(msg: IoDatagram) -> bytes:
    """A class 0/1 I/O datagram."""
    return encode_cpf(
        (
            CpfItem(
                ITEM_SEQUENCED_ADDRESS, struct.pack("<II", msg.connection_id, msg.sequence_number)
            ),
            CpfItem(ITEM_CONNECTED_DATA, msg.data),
        )
    )
