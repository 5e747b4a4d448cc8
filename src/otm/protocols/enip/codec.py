"""EtherNet/IP encapsulation and CIP: bytes <-> messages, sans I/O.

Decoders return a message or an ``Anomaly`` and never raise; every count
read from the wire is bounded (``MAX_ITEMS``, ``MAX_SERVICES``,
``MAX_DEPTH``).  Encoders write exactly what the decoders read, so
``decode(encode(m)) == m``; they raise ``ValueError`` for a message no
decoder would return (a value out of its field's range).

Hot path: ``peek_encapsulation`` reads the header in place without building
a message.
"""

from __future__ import annotations

import struct
from typing import cast

from otm.protocols.common import Anomaly
from otm.protocols.enip.anomalies import EnipAnomaly
from otm.protocols.enip.constants import (
    HEADER_LENGTH,
    ITEM_CONNECTED_DATA,
    ITEM_LIST_IDENTITY,
    ITEM_SEQUENCED_ADDRESS,
    MAX_DEPTH,
    MAX_ITEMS,
    MAX_SERVICES,
    REPLY_FLAG,
)
from otm.protocols.enip.messages import (
    CipPath,
    CipRequest,
    CipResponse,
    CpfItem,
    DataSegment,
    Encapsulation,
    IdentityItem,
    IdentityObject,
    IoDatagram,
    ListIdentityResponse,
    LogicalSegment,
    MultipleServicePacket,
    PortSegment,
    RegisterSession,
    Segment,
    SendData,
    SymbolSegment,
    UnconnectedSend,
)

_HEADER = struct.Struct("<HHII8sI")
_PEEK = struct.Struct("<HHII")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_IDENTITY_HEAD = struct.Struct("<HHHBBHI")  # vendor .. serial: 14 bytes
_SOCKADDR = struct.Struct(">HH4s8s")

_LOGICAL_KINDS = (
    "class",
    "instance",
    "member",
    "connection_point",
    "attribute",
    "special",
    "service_id",
    "extended",
)
_LOGICAL_CODES = {kind: i for i, kind in enumerate(_LOGICAL_KINDS)}
_SIZES = {0: 1, 1: 2, 2: 4}
_FORMATS = {1: 0, 2: 1, 4: 2}

MAX_SEGMENTS = 64
"""Path segments decoded; a 255-word path holds at most 255 one-word segments,
but real paths have 2 to 8, so 64 only bounds garbage."""


def _bad(kind: EnipAnomaly, detail: str, offset: int = 0) -> Anomaly:
    return Anomaly(kind, detail, offset)


# -- encapsulation ---------------------------------------------------------------------


def peek_encapsulation(buf: bytes, start: int = 0) -> tuple[int, int, int, int] | None:
    """``(command, length, session handle, status)`` read in place, or None if short."""
    if len(buf) - start < HEADER_LENGTH:
        return None
    return cast("tuple[int, int, int, int]", _PEEK.unpack_from(buf, start))


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
    for _ in range(count):
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


# -- CIP paths ---------------------------------------------------------------------------


def decode_path(path: bytes) -> CipPath | Anomaly:
    """A padded EPATH (whole words) into segments."""
    segments: list[Segment] = []
    pos = 0
    end = len(path)
    while pos < end:
        if len(segments) >= MAX_SEGMENTS:
            return _bad(EnipAnomaly.BAD_PATH, f"more than {MAX_SEGMENTS} segments", pos)
        head = path[pos]
        kind = head >> 5
        if kind == 0:  # port segment
            port = head & 0x0F
            extended = bool(head & 0x10)
            p = pos + 1
            if port == 0x0F:
                if p + 2 > end:
                    return _bad(EnipAnomaly.BAD_PATH, "port number cut short", pos)
                port = _U16.unpack_from(path, p)[0]
                p += 2
            if extended:
                if p >= end:
                    return _bad(EnipAnomaly.BAD_PATH, "link size missing", pos)
                size = path[p]
                p += 1
            else:
                size = 1
            if p + size > end:
                return _bad(EnipAnomaly.BAD_PATH, "link address cut short", pos)
            segments.append(PortSegment(port, path[p : p + size]))
            p += size
            if (p - pos) % 2:
                p += 1  # pad to a word
            pos = p
        elif kind == 1:  # logical segment
            fmt = head & 0x03
            if fmt not in _SIZES:
                return _bad(EnipAnomaly.BAD_PATH, f"logical format {fmt}", pos)
            size = _SIZES[fmt]
            p = pos + (1 if size == 1 else 2)
            if p + size > end:
                return _bad(EnipAnomaly.BAD_PATH, "logical value cut short", pos)
            value = int.from_bytes(path[p : p + size], "little")
            segments.append(LogicalSegment(_LOGICAL_KINDS[(head >> 2) & 0x07], value, size))
            pos = p + size
        elif head == 0x91:  # ANSI extended symbol
            if pos + 2 > end:
                return _bad(EnipAnomaly.BAD_PATH, "symbol length missing", pos)
            size = path[pos + 1]
            p = pos + 2 + size
            if p > end:
                return _bad(EnipAnomaly.BAD_PATH, "symbol cut short", pos)
            segments.append(SymbolSegment(path[pos + 2 : p].decode("latin-1")))
            pos = p + (size % 2)
        elif head == 0x80:  # simple data segment
            if pos + 2 > end:
                return _bad(EnipAnomaly.BAD_PATH, "data length missing", pos)
            size = path[pos + 1] * 2
            if pos + 2 + size > end:
                return _bad(EnipAnomaly.BAD_PATH, "data segment cut short", pos)
            segments.append(DataSegment(path[pos + 2 : pos + 2 + size]))
            pos += 2 + size
        else:
            return _bad(EnipAnomaly.BAD_PATH, f"unsupported segment 0x{head:02x}", pos)
    if pos != end:
        return _bad(EnipAnomaly.BAD_PATH, "segment runs past the path", pos)
    return CipPath(tuple(segments))


def encode_path(path: CipPath) -> bytes:
    """Segments into a padded EPATH."""
    out = bytearray()
    for seg in path.segments:
        if isinstance(seg, PortSegment):
            start = len(out)
            extended = len(seg.link) != 1
            code = (0x10 if extended else 0) | (seg.port if seg.port < 0x0F else 0x0F)
            out.append(code)
            if seg.port >= 0x0F:
                out += _U16.pack(seg.port)
            if extended:
                out.append(len(seg.link))
            out += seg.link
            if (len(out) - start) % 2:
                out.append(0)
        elif isinstance(seg, LogicalSegment):
            fmt = _FORMATS[seg.size]
            out.append(0x20 | (_LOGICAL_CODES[seg.kind] << 2) | fmt)
            if seg.size > 1:
                out.append(0)
            out += seg.value.to_bytes(seg.size, "little")
        elif isinstance(seg, SymbolSegment):
            name = seg.name.encode("latin-1")
            out += bytes([0x91, len(name)]) + name
            if len(name) % 2:
                out.append(0)
        else:
            if len(seg.data) % 2:
                raise ValueError("data segment must be whole words")
            out += bytes([0x80, len(seg.data) // 2]) + seg.data
    return bytes(out)


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
    """The request data of Unconnected Send (0x52 to class 0x06)."""
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
        return route
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
    for i, start in enumerate(offsets):
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


def decode_identity_attribute(
    attribute_id: int, data: bytes
) -> int | str | tuple[int, int] | Anomaly:
    """One Get_Attribute_Single reply of the Identity object.

    1 vendor id, 2 device type, 3 product code (u16); 4 revision
    (major u8, minor u8) as a tuple; 5 status (u16); 6 serial (u32);
    7 product name (short string); 8 state (u8).
    """
    sizes = {1: 2, 2: 2, 3: 2, 5: 2, 6: 4, 8: 1}
    if attribute_id in sizes:
        if len(data) != sizes[attribute_id]:
            return _bad(EnipAnomaly.BAD_IDENTITY, f"attribute {attribute_id}: {len(data)} bytes")
        return int.from_bytes(data, "little")
    if attribute_id == 4:
        if len(data) != 2:
            return _bad(EnipAnomaly.BAD_IDENTITY, f"revision of {len(data)} bytes")
        return (data[0], data[1])
    if attribute_id == 7:
        if not data or 1 + data[0] != len(data):
            return _bad(EnipAnomaly.BAD_IDENTITY, "product name length mismatch")
        return data[1:].decode("latin-1")
    return _bad(EnipAnomaly.BAD_IDENTITY, f"attribute {attribute_id} not decoded")


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
