"""S7comm-plus (protocol id 0x72): recognise the PDU, read its headers, name its function,
and read the identity of the session setup.

S7-1200/1500 CPUs talk S7comm-plus with TIA Portal and newer HMIs, over the
same TPKT/COTP as S7comm.  Siemens publishes nothing about it; the layout here
follows the public s7commwireshark plugin (Thomas Wiens), the attribute ids
of public S7comm-plus client work, and what the shared captures show::

    72 | version u8 | data length u16 |
    [version 3: 0x20 | 32-byte integrity digest] | data | [72 | version | 00 00]

The data length counts the digest; the 4-byte trailer closes the last
fragment of a PDU.  Versions: 1 (session setup of every CPU, S7-1200 2.x/3.x
data), 2, 3 (integrity-protected), 0xFE/0xFF keep-alive.  The data part
(``decode_data_header``)::

    request:  opcode 0x31 | u16 | function u16 | u16 | sequence u16 | session id u32 | flags u8
    response: opcode 0x32 | u16 | function u16 | u16 | sequence u16 | flags u8

The object model of CreateObject (``decode_create_object``) is read to the
extent the session setup needs: objects (0xA1 relation u32, class, class
flags and attribute id as variable-length integers, attributes 0xA3, nested
objects, 0xA2), typed values (flags: array 0x10, address array 0x20, sparse
0x40; every scalar type, blobs, wide strings, structs).  Tag descriptions,
relations (0xA4), variants and S7 strings are refused (``bad_object``); the
other functions' bodies (variable addresses, values, subscriptions) are not
decoded.  ``s7plus_session_identity`` turns a session CreateObject into
otm identity fields (CPU order number, firmware, model; the client's
engineering software and host).  ``program_request`` tells the requests
that move a PLC program (a block created, its code read out, a program
object deleted) from the head of their body; ``fragment_ends`` says whether
a fragment closes its PDU.

Why hand-written: no Python library reads S7comm-plus; the C plugin is a
Wireshark dissector (display code, no API).
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias

from otm.protocols.common import Anomaly
from otm.protocols.s7comm.anomalies import S7Anomaly
from otm.protocols.s7comm.constants import (
    S7PLUS_DIGEST_LENGTH,
    S7PLUS_PROTOCOL_ID,
    S7PlusOpcode,
    s7plus_function_category,
    s7plus_function_name,
)
from otm.protocols.s7comm.messages import S7PlusPdu

K = S7Anomaly

_HEADER = 4
_DIGEST_PART = 1 + S7PLUS_DIGEST_LENGTH


def is_s7comm_plus(payload: bytes) -> bool:
    """True when a COTP DT payload starts like S7comm-plus (0x72 and a 4-byte header).

    The ground-truth rule of the shared captures: tshark 4.0 has no
    S7comm-plus dissector, COTP user data starting 0x72 is S7comm-plus.
    """
    return len(payload) >= _HEADER and payload[0] == S7PLUS_PROTOCOL_ID


def decode_s7plus(payload: bytes) -> S7PlusPdu | Anomaly:
    """COTP DT user data starting 0x72 -> ``S7PlusPdu``.

    The digest is recognised in version 3 when the data starts with its
    length byte 0x20 and is long enough to hold it.  After the data only a
    trailer ``72 | version | 00 00`` may follow.
    """
    if len(payload) < _HEADER:
        return Anomaly(K.TRUNCATED, f"S7comm-plus header needs 4 bytes, {len(payload)}", 0)
    if payload[0] != S7PLUS_PROTOCOL_ID:
        return Anomaly(K.BAD_PROTOCOL_ID, f"protocol id 0x{payload[0]:02x}", 0)
    version = payload[1]
    length = (payload[2] << 8) | payload[3]
    end = _HEADER + length
    if end > len(payload):
        return Anomaly(K.TRUNCATED, f"data length {length}, {len(payload) - 4}", len(payload))
    rest = payload[end:]
    trailer = False
    if rest:
        if rest != bytes((S7PLUS_PROTOCOL_ID, version, 0, 0)):
            return Anomaly(K.TRAILING_BYTES, f"{len(rest)} bytes after the data", end)
        trailer = True
    data = payload[_HEADER:end]
    digest = None
    if version == 3 and length >= _DIGEST_PART and data[0] == S7PLUS_DIGEST_LENGTH:
        digest = data[1:_DIGEST_PART]
        data = data[_DIGEST_PART:]
    return S7PlusPdu(version, digest, data, trailer)


def encode_s7plus(pdu: S7PlusPdu) -> bytes:
    """An ``S7PlusPdu`` -> bytes (data length computed, digest length byte added)."""
    body = pdu.data
    if pdu.digest is not None:
        body = bytes((len(pdu.digest),)) + pdu.digest + body
    if len(body) > 0xFFFF or not 0 <= pdu.version <= 0xFF:
        raise ValueError("S7comm-plus data longer than 65535 bytes or version out of range")
    out = bytes((S7PLUS_PROTOCOL_ID, pdu.version)) + len(body).to_bytes(2, "big") + body
    if pdu.trailer:
        out += bytes((S7PLUS_PROTOCOL_ID, pdu.version, 0, 0))
    return out


def s7plus_operation(pdu: S7PlusPdu) -> tuple[str, str] | None:
    """``(operation, category)`` of a request (opcode 0x31), None for anything else."""
    if pdu.opcode != S7PlusOpcode.REQUEST:
        return None
    code = pdu.function_code
    if code is None:
        return None
    return s7plus_function_name(code), s7plus_function_category(code)


_PRINTABLE = re.compile(rb"[\x20-\x7e]{4,}")
_ORDER_NUMBER = re.compile(r"\b\d[A-Z]{2}\d ?\d{3}-[0-9A-Z]{4,5}-[0-9A-Z]{4}\b")
_VERSION = re.compile(r"\bV\d{1,2}\.\d{1,3}(?:\.\d{1,3})?\b")
_MAX_STRINGS = 32
"""Identity strings kept per payload: a CreateObject response names a few
(order number, firmware); more than 32 means the payload is not that."""


def s7plus_identity_strings(payload: bytes) -> list[str]:
    """Best effort: order numbers and versions in an S7comm-plus payload.

    The CreateObject response of a CPU carries its identity in an attribute
    string such as ``1;6ES7 214-1HE30-0XB0 ;V2.2``; this scans printable ASCII
    runs for Siemens order numbers (``6ES7 214-1HE30-0XB0``) and versions
    (``V2.2``), without decoding the object tree, so it can miss strings
    split across fragments and is no proof of which attribute held them.
    Printable runs are scanned in order, each giving its order numbers then
    its versions; duplicates are dropped.
    """
    found: list[str] = []
    for run in _PRINTABLE.findall(payload):
        text = run.decode("ascii")
        for match in _ORDER_NUMBER.finditer(text):
            value = match.group(0)
            if value not in found:
                found.append(value)
        for match in _VERSION.finditer(text):
            value = match.group(0)
            if value not in found:
                found.append(value)
        if len(found) >= _MAX_STRINGS:
            return found[:_MAX_STRINGS]
    return found


# --- data header -------------------------------------------------------------------------
#
# Requests:  opcode 0x31 | reserved u16 | function u16 | reserved u16 | sequence u16 |
#            session id u32 | transport flags u8 | body
# Responses: opcode 0x32 | reserved u16 | function u16 | reserved u16 | sequence u16 |
#            transport flags u8 | body
# Notifications (0x33) carry a subscription object id instead; their body is not read.

_REQUEST_HEADER = 14
_RESPONSE_HEADER = 10

CREATE_OBJECT = 0x04CA
"""Function code of CreateObject, the first exchange of every session."""

OPCODE_NAMES: dict[int, str] = {
    S7PlusOpcode.REQUEST: "request",
    S7PlusOpcode.RESPONSE: "response",
    S7PlusOpcode.NOTIFICATION: "notification",
    S7PlusOpcode.RESPONSE2: "response2",
}
"""Opcode -> name (the s7commwireshark plugin's "Request", "Response" ...)."""

VERSION_NAMES: dict[int, str] = {
    0x01: "V1",
    0x02: "V2",
    0x03: "V3",
    0xFE: "keep_alive_fe",
    0xFF: "keep_alive",
}
"""Header byte 1 -> protocol version: V1 (S7-1200 firmware 2/3, session setup of
every version), V2 (S7-1200 4.x, S7-1500 1.x), V3 (integrity-protected), keep-alives."""


class S7PlusAnomaly(StrEnum):
    """S7comm-plus object model input otm cannot read (beside ``S7Anomaly``)."""

    BAD_OBJECT = "bad_object"
    """An element id, data type or variable-length integer the object model of
    a CreateObject does not allow (or that otm does not read: tag descriptions,
    relations, variants)."""

    TOO_DEEP = "too_deep"
    """Objects or structs nested deeper than ``MAX_DEPTH``."""


@dataclass(frozen=True, slots=True)
class S7PlusDataHeader:
    """The fixed head of a request or response data part, and where its body starts."""

    opcode: int
    function_code: int
    sequence_number: int
    transport_flags: int
    session_id: int | None = None
    body_offset: int = _RESPONSE_HEADER

    @property
    def opcode_name(self) -> str:
        return OPCODE_NAMES.get(self.opcode, f"opcode_0x{self.opcode:02x}")

    @property
    def function_name(self) -> str:
        """snake_case name of the function (``create_object``, ``get_multi_variables`` ...)."""
        return s7plus_function_name(self.function_code)

    @property
    def category(self) -> str:
        return s7plus_function_category(self.function_code)


def decode_data_header(pdu: S7PlusPdu) -> S7PlusDataHeader | None:
    """The data header of a request or response PDU; None for notifications,
    keep-alives and continuation fragments, or a data part too short for it."""
    data = pdu.data
    opcode = pdu.opcode
    if opcode == S7PlusOpcode.REQUEST and len(data) >= _REQUEST_HEADER:
        return S7PlusDataHeader(
            opcode,
            (data[3] << 8) | data[4],
            (data[7] << 8) | data[8],
            data[13],
            int.from_bytes(data[9:13], "big"),
            _REQUEST_HEADER,
        )
    if opcode in (S7PlusOpcode.RESPONSE, S7PlusOpcode.RESPONSE2) and len(data) >= _RESPONSE_HEADER:
        return S7PlusDataHeader(opcode, (data[3] << 8) | data[4], (data[7] << 8) | data[8], data[9])
    return None


def encode_data_header(header: S7PlusDataHeader) -> bytes:
    """A data header -> bytes (the session id only for requests)."""
    out = bytes((header.opcode, 0, 0)) + header.function_code.to_bytes(2, "big") + b"\x00\x00"
    out += header.sequence_number.to_bytes(2, "big")
    if header.opcode == S7PlusOpcode.REQUEST:
        out += (header.session_id or 0).to_bytes(4, "big")
    return out + bytes((header.transport_flags,))


# --- object model: variable-length integers, values, objects ---------------------------------

MAX_DEPTH = 16
"""Objects and structs nested this deep at most.  A session setup nests two
objects and one struct; program objects in a download nest a few more."""

MAX_ITEMS = 4096
"""Attributes, array elements and struct members read per CreateObject.
Each takes two bytes at least, so a 64 KiB PDU cannot hold more than 32 Ki;
a session object has about twenty."""

DATATYPE_NAMES: dict[int, str] = {
    0x00: "null",
    0x01: "bool",
    0x02: "usint",
    0x03: "uint",
    0x04: "udint",
    0x05: "ulint",
    0x06: "sint",
    0x07: "int",
    0x08: "dint",
    0x09: "lint",
    0x0A: "byte",
    0x0B: "word",
    0x0C: "dword",
    0x0D: "lword",
    0x0E: "real",
    0x0F: "lreal",
    0x10: "timestamp",
    0x11: "timespan",
    0x12: "rid",
    0x13: "aid",
    0x14: "blob",
    0x15: "wstring",
    0x16: "variant",
    0x17: "struct",
    0x19: "s7string",
}
"""Data type byte of a value (s7commwireshark ``item_datatype_names``)."""

_FIXED_SIZES = {
    0x01: 1, 0x02: 1, 0x06: 1, 0x0A: 1,
    0x03: 2, 0x07: 2, 0x0B: 2,
    0x0C: 4, 0x0E: 4, 0x12: 4,
    0x0D: 8, 0x0F: 8, 0x10: 8,
}  # fmt: skip
"""Data types of fixed width, in bytes (big-endian on the wire)."""

_SIGNED_FIXED = frozenset((0x06, 0x07))
_VLQ32 = frozenset((0x04, 0x13))
_SIGNED_VLQ32 = frozenset((0x08,))
_VLQ64 = frozenset((0x05,))
_SIGNED_VLQ64 = frozenset((0x09, 0x11))

ARRAY_FLAG = 0x10
ADDRESS_ARRAY_FLAG = 0x20
SPARSE_ARRAY_FLAG = 0x40

START_OF_OBJECT = 0xA1
TERMINATING_OBJECT = 0xA2
ATTRIBUTE = 0xA3

ScalarValue: TypeAlias = int | float | str | bytes | None


@dataclass(frozen=True, slots=True)
class S7PlusValue:
    """A typed value: ``flags`` (0x10 array, 0x20 address array, 0x40 sparse
    array), ``datatype`` (see ``DATATYPE_NAMES``) and the value: a scalar, a
    tuple of scalars for arrays, ``(key, scalar)`` pairs for sparse arrays, or
    ``(member id, S7PlusValue)`` pairs for a struct (``struct_id`` set)."""

    datatype: int
    value: object = None
    flags: int = 0
    struct_id: int | None = None

    def member(self, member_id: int) -> S7PlusValue | None:
        """A struct member by id (None if this is no struct or lacks it)."""
        if self.struct_id is None or not isinstance(self.value, tuple):
            return None
        for key, value in self.value:
            if key == member_id:
                return value  # type: ignore[no-any-return]
        return None


@dataclass(frozen=True, slots=True)
class S7PlusObject:
    """``0xA1 | relation id u32 | class id VLQ | class flags VLQ | attribute id VLQ |
    (0xA3 attribute id VLQ value | nested object)* | 0xA2``."""

    relation_id: int
    class_id: int
    class_flags: int = 0
    attribute_id: int = 0
    attributes: tuple[tuple[int, S7PlusValue], ...] = ()
    objects: tuple[S7PlusObject, ...] = ()

    def attribute(self, attribute_id: int) -> S7PlusValue | None:
        """An attribute by id: this object's, a struct member of one of its
        attributes, or (depth first) a nested object's."""
        for key, value in self.attributes:
            if key == attribute_id:
                return value
        for _, value in self.attributes:
            member = value.member(attribute_id)
            if member is not None:
                return member
        for obj in self.objects:
            found = obj.attribute(attribute_id)
            if found is not None:
                return found
        return None


class _PlusError(Exception):
    def __init__(self, kind: StrEnum, detail: str, offset: int) -> None:
        super().__init__(detail)
        self.anomaly = Anomaly(kind, detail, offset)


class _Reader:
    """A cursor over a data part; every read checks the end."""

    __slots__ = ("data", "items", "pos")

    def __init__(self, data: bytes, pos: int) -> None:
        self.data = data
        self.pos = pos
        self.items = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise _PlusError(
                K.TRUNCATED, f"{n} bytes wanted, {len(self.data) - self.pos}", self.pos
            )
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def byte(self) -> int:
        return self.take(1)[0]

    def count(self) -> None:
        self.items += 1
        if self.items > MAX_ITEMS:
            raise _PlusError(S7PlusAnomaly.BAD_OBJECT, f"more than {MAX_ITEMS} items", self.pos)

    def vlq(self, octets: int = 5, signed: bool = False) -> int:
        """A variable-length integer: 7 bits an octet, high bit = more; for 64-bit
        values (``octets`` 9) the ninth octet carries 8 bits; signed ones take the
        sign from bit 7 of the first octet."""
        start = self.pos
        value = 0
        for i in range(octets):
            octet = self.byte()
            if i == 8:
                return (value << 8) | octet
            part = octet & 0x7F
            if i == 0 and signed and part & 0x40:
                part -= 0x80
            value = (value << 7) + part
            if not octet & 0x80:
                return value
        raise _PlusError(S7PlusAnomaly.BAD_OBJECT, f"integer longer than {octets} octets", start)


def decode_vlq(
    data: bytes, pos: int = 0, octets: int = 5, signed: bool = False
) -> tuple[int, int] | Anomaly:
    """``(value, position after it)`` of the variable-length integer at ``data[pos:]``."""
    r = _Reader(data, pos)
    try:
        return r.vlq(octets, signed), r.pos
    except _PlusError as error:
        return error.anomaly


def _scalar(r: _Reader, datatype: int, depth: int) -> object:
    size = _FIXED_SIZES.get(datatype)
    if size is not None:
        raw = r.take(size)
        if datatype == 0x0E:
            return struct.unpack(">f", raw)[0]
        if datatype == 0x0F:
            return struct.unpack(">d", raw)[0]
        return int.from_bytes(raw, "big", signed=datatype in _SIGNED_FIXED)
    if datatype == 0x00:
        return None
    if datatype in _VLQ32 or datatype in _SIGNED_VLQ32:
        return r.vlq(5, datatype in _SIGNED_VLQ32)
    if datatype in _VLQ64 or datatype in _SIGNED_VLQ64:
        return r.vlq(9, datatype in _SIGNED_VLQ64)
    if datatype == 0x14:
        if r.vlq():  # blob root id: 0 for plain blobs, else a layout otm does not read
            raise _PlusError(S7PlusAnomaly.BAD_OBJECT, "blob with a root id", r.pos)
        return r.take(r.vlq())
    if datatype == 0x15:
        return r.take(r.vlq()).decode("utf-8", errors="replace")
    if datatype == 0x17:
        return _struct(r, depth)
    raise _PlusError(S7PlusAnomaly.BAD_OBJECT, f"data type 0x{datatype:02x}", r.pos)


def _struct(r: _Reader, depth: int) -> tuple[int, tuple[tuple[int, S7PlusValue], ...]]:
    if depth >= MAX_DEPTH:
        raise _PlusError(S7PlusAnomaly.TOO_DEEP, f"struct nested over {MAX_DEPTH}", r.pos)
    struct_id = int.from_bytes(r.take(4), "big")
    members: list[tuple[int, S7PlusValue]] = []
    while True:
        key = r.vlq()
        if key == 0:
            return struct_id, tuple(members)
        r.count()
        members.append((key, _value(r, depth + 1)))


def _value(r: _Reader, depth: int) -> S7PlusValue:
    flags = r.byte()
    datatype = r.byte()
    if datatype == 0x17 and not flags & (ARRAY_FLAG | ADDRESS_ARRAY_FLAG | SPARSE_ARRAY_FLAG):
        struct_id, members = _struct(r, depth)
        return S7PlusValue(datatype, members, flags, struct_id)
    if flags & (ARRAY_FLAG | ADDRESS_ARRAY_FLAG):
        size = r.vlq()
        if size > len(r.data) - r.pos:
            raise _PlusError(K.TRUNCATED, f"array of {size} elements", r.pos)
        items = []
        for _ in range(size):
            r.count()
            items.append(_scalar(r, datatype, depth + 1))
        return S7PlusValue(datatype, tuple(items), flags)
    if flags & SPARSE_ARRAY_FLAG:
        pairs: list[tuple[int, object]] = []
        while True:
            key = r.vlq()
            if key == 0:
                return S7PlusValue(datatype, tuple(pairs), flags)
            r.count()
            pairs.append((key, _scalar(r, datatype, depth + 1)))
    return S7PlusValue(datatype, _scalar(r, datatype, depth), flags)


def _object(r: _Reader, depth: int) -> S7PlusObject:
    if depth >= MAX_DEPTH:
        raise _PlusError(S7PlusAnomaly.TOO_DEEP, f"objects nested over {MAX_DEPTH}", r.pos)
    if r.byte() != START_OF_OBJECT:
        raise _PlusError(S7PlusAnomaly.BAD_OBJECT, "object does not start with 0xa1", r.pos - 1)
    relation = int.from_bytes(r.take(4), "big")
    class_id = r.vlq()
    class_flags = r.vlq()
    attribute_id = r.vlq()
    attributes: list[tuple[int, S7PlusValue]] = []
    objects: list[S7PlusObject] = []
    while True:
        element = r.byte()
        if element == TERMINATING_OBJECT:
            return S7PlusObject(
                relation, class_id, class_flags, attribute_id, tuple(attributes), tuple(objects)
            )
        r.count()
        if element == ATTRIBUTE:
            key = r.vlq()
            attributes.append((key, _value(r, depth + 1)))
        elif element == START_OF_OBJECT:
            r.pos -= 1
            objects.append(_object(r, depth + 1))
        else:
            raise _PlusError(S7PlusAnomaly.BAD_OBJECT, f"element id 0x{element:02x}", r.pos - 1)


def _at_object(r: _Reader) -> bool:
    """True when an object starts here, after an integrity id (VLQ) if there is one:
    V2/V3 PDUs outside the session setup put one before the object."""
    if r.pos < len(r.data) and r.data[r.pos] == START_OF_OBJECT:
        return True
    start = r.pos
    try:
        r.vlq()
    except _PlusError:
        r.pos = start
        return False
    if r.pos < len(r.data) and r.data[r.pos] == START_OF_OBJECT:
        return True
    r.pos = start
    return False


@dataclass(frozen=True, slots=True)
class CreateObjectRequest:
    """``request id u32 | value | u32 (0) | [integrity id VLQ] | object | u32 (0)``.

    The session setup creates a ``ClassServerSession`` (287) object under
    ``ObjectServerSessionContainer`` (285) whose attributes describe the
    client (``ServerSessionClientID`` 289, user 296, application 297, host 298,
    comment 301)."""

    header: S7PlusDataHeader
    request_id: int
    request_value: S7PlusValue
    object: S7PlusObject


@dataclass(frozen=True, slots=True)
class CreateObjectResponse:
    """``return value VLQ64 | object id count u8 | object ids VLQ | [object]``.

    The session setup answer carries ``ServerSessionVersion`` (306), a struct
    whose member 319 (``LID_SessionVersionSystemPAOMString``) is the CPU's
    ``<n>;<order number>;<firmware>`` string."""

    header: S7PlusDataHeader
    return_value: int
    object_ids: tuple[int, ...]
    object: S7PlusObject | None = None


def decode_create_object(
    pdu: S7PlusPdu,
) -> CreateObjectRequest | CreateObjectResponse | Anomaly | None:
    """The CreateObject request or response in a PDU; None for other functions
    and fragments.  Bytes after the object (a zero u32) are not checked."""
    header = decode_data_header(pdu)
    if header is None or header.function_code != CREATE_OBJECT:
        return None
    r = _Reader(pdu.data, header.body_offset)
    try:
        if header.opcode == S7PlusOpcode.REQUEST:
            request_id = int.from_bytes(r.take(4), "big")
            value = _value(r, 0)
            r.take(4)
            if not _at_object(r):
                raise _PlusError(S7PlusAnomaly.BAD_OBJECT, "no object in the request", r.pos)
            return CreateObjectRequest(header, request_id, value, _object(r, 0))
        return_value = r.vlq(9, signed=True)
        ids = tuple(r.vlq() for _ in range(r.byte()))
        obj = _object(r, 0) if _at_object(r) else None
        return CreateObjectResponse(header, return_value, ids, obj)
    except _PlusError as error:
        return error.anomaly


# --- encoders (tests, simulators) -----------------------------------------------------------


def _fits(value: int, bits: int, signed: bool) -> bool:
    if signed:
        return -(1 << (bits - 1)) <= value < 1 << (bits - 1)
    return 0 <= value < 1 << bits


def encode_vlq(value: int, octets: int = 5, signed: bool = False) -> bytes:
    """``value`` as a variable-length integer in the fewest octets (the reader's inverse).

    ``octets`` 5 for 32-bit values, 9 for 64-bit ones, whose ninth octet
    carries 8 bits (so a value needing more than 56 bits takes all nine).
    """
    groups = 1
    while not _fits(value, 7 * groups, signed):
        groups += 1
        if groups > 8:
            break
    if groups > 8 or (octets < 9 and groups > octets):
        high = value >> 8
        if octets != 9 or not _fits(high, 56, signed):
            raise ValueError(f"{value} does not fit a {octets}-octet integer")
        head = bytes(0x80 | ((high >> (7 * i)) & 0x7F) for i in reversed(range(8)))
        return head + bytes((value & 0xFF,))
    parts = [(value >> (7 * i)) & 0x7F for i in reversed(range(groups))]
    return bytes(0x80 | g for g in parts[:-1]) + bytes((parts[-1],))


def _as_int(value: object, datatype: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"data type 0x{datatype:02x} needs an int, not {type(value).__name__}")
    return value


def _as_tuple(value: object) -> tuple[object, ...]:
    if not isinstance(value, tuple):
        raise ValueError(f"an array, sparse array or struct needs a tuple, not {value!r}")
    return value


def _encode_scalar(datatype: int, value: object) -> bytes:
    size = _FIXED_SIZES.get(datatype)
    if size is not None:
        if datatype in (0x0E, 0x0F):
            if not isinstance(value, int | float):
                raise ValueError(f"data type 0x{datatype:02x} needs a number")
            return struct.pack(">f" if datatype == 0x0E else ">d", value)
        return _as_int(value, datatype).to_bytes(size, "big", signed=datatype in _SIGNED_FIXED)
    if datatype == 0x00:
        return b""
    if datatype in _VLQ32 or datatype in _SIGNED_VLQ32:
        return encode_vlq(_as_int(value, datatype), 5, datatype in _SIGNED_VLQ32)
    if datatype in _VLQ64 or datatype in _SIGNED_VLQ64:
        return encode_vlq(_as_int(value, datatype), 9, datatype in _SIGNED_VLQ64)
    if datatype == 0x15 and isinstance(value, str):
        raw = value.encode("utf-8")
        return encode_vlq(len(raw)) + raw
    if datatype == 0x14 and isinstance(value, bytes):
        return b"\x00" + encode_vlq(len(value)) + value
    raise ValueError(f"cannot encode data type 0x{datatype:02x} from {type(value).__name__}")


def encode_value(value: S7PlusValue) -> bytes:
    """A typed value -> flags | data type | value (``ValueError`` if they disagree)."""
    out = bytes((value.flags, value.datatype))
    if value.struct_id is not None:
        out += value.struct_id.to_bytes(4, "big")
        for member in _as_tuple(value.value):
            key, inner = _as_tuple(member)
            if not isinstance(inner, S7PlusValue):
                raise ValueError(f"struct member {key!r} is no S7PlusValue")
            out += encode_vlq(_as_int(key, 0x04)) + encode_value(inner)
        return out + b"\x00"
    if value.flags & (ARRAY_FLAG | ADDRESS_ARRAY_FLAG):
        items = _as_tuple(value.value)
        body = b"".join(_encode_scalar(value.datatype, i) for i in items)
        return out + encode_vlq(len(items)) + body
    if value.flags & SPARSE_ARRAY_FLAG:
        body = b""
        for pair in _as_tuple(value.value):
            key, item = _as_tuple(pair)
            body += encode_vlq(_as_int(key, 0x04)) + _encode_scalar(value.datatype, item)
        return out + body + b"\x00"
    return out + _encode_scalar(value.datatype, value.value)


def encode_object(obj: S7PlusObject) -> bytes:
    """An object -> 0xA1 ... 0xA2 (attributes first, then nested objects)."""
    out = bytes((START_OF_OBJECT,)) + obj.relation_id.to_bytes(4, "big")
    out += encode_vlq(obj.class_id) + encode_vlq(obj.class_flags) + encode_vlq(obj.attribute_id)
    for key, value in obj.attributes:
        out += bytes((ATTRIBUTE,)) + encode_vlq(key) + encode_value(value)
    for child in obj.objects:
        out += encode_object(child)
    return out + bytes((TERMINATING_OBJECT,))


def encode_create_object(message: CreateObjectRequest | CreateObjectResponse) -> bytes:
    """A CreateObject request or response -> the data part (header, body, zero u32)."""
    out = encode_data_header(message.header)
    if isinstance(message, CreateObjectRequest):
        out += message.request_id.to_bytes(4, "big") + encode_value(message.request_value)
        out += b"\x00\x00\x00\x00" + encode_object(message.object)
    else:
        out += encode_vlq(message.return_value, 9, signed=True)
        out += bytes((len(message.object_ids),)) + b"".join(
            encode_vlq(i) for i in message.object_ids
        )
        if message.object is not None:
            out += encode_object(message.object)
    return out + b"\x00\x00\x00\x00"


# --- identity ----------------------------------------------------------------------------------

SERVER_SESSION_CLIENT_ID = 289
"""``ServerSessionClientID`` (0x121): ``1:::<application>::<network interface>``."""
SERVER_SESSION_USER = 296
"""``ServerSessionUser`` (0x128): the engineering product, ``TIA Portal``."""
SERVER_SESSION_APPLICATION = 297
"""``ServerSessionApplication`` (0x129): ``WinCC ES`` ..."""
SERVER_SESSION_HOST = 298
"""``ServerSessionHost`` (0x12a): the client's computer name."""
SERVER_SESSION_CLIENT_COMMENT = 301
"""``ServerSessionClientComment`` (0x12d): free text from the client; in a
response some CPUs put their OMS+ stack release there (``OMSP.REL.8089.14``)."""
SERVER_SESSION_VERSION = 306
"""``ServerSessionVersion`` (0x132): a struct the client echoes back in SetMultiVariables."""
SESSION_VERSION_SYSTEM_PAOM_STRING = 319
"""``LID_SessionVersionSystemPAOMString`` (0x13f): ``1;6ES7 214-1HE30-0XB0 ;V2.2``."""

MAX_FIELD = 128
"""Characters kept of a client-supplied string (host names, interface names)."""

_S7_1200 = re.compile(r"^6ES7 ?21([1-7])-1([A-Z])([A-Z])")
_S7_1500 = re.compile(r"^6ES7 ?51([0-9])-([0-9])([A-Z])")
_POWER = {"A": "DC/DC/DC", "B": "AC/DC/Rly", "H": "DC/DC/Rly"}


def s7_model(order_number: str) -> str | None:
    """The CPU family and type a Siemens order number (MLFB) names, for the
    S7-1200 and S7-1500 CPUs that speak S7comm-plus; None for any other.

    S7-1200 ``6ES7 21N-1XY..``: CPU 121N C (``Y`` = F: fail-safe FC), power
    variant ``X`` (A DC/DC/DC, B AC/DC/Rly, H DC/DC/Rly); S7-1500
    ``6ES7 51N-M...``: CPU 151N, ``F`` in the variant letter for fail-safe.
    Only the digits that the order number scheme fixes are read; the rest
    (interfaces, memory) is left to the order number itself.
    """
    m = _S7_1200.match(order_number)
    if m:
        number, power, variant = m.groups()
        kind = "FC" if variant == "F" else "C"
        suffix = f" {_POWER[power]}" if power in _POWER else ""
        return f"S7-1200 CPU 121{number}{kind}{suffix}"
    m = _S7_1500.match(order_number)
    if m:
        number, _, variant = m.groups()
        return f"S7-1500 CPU 151{number}{'F' if variant == 'F' else ''}"
    return None


def _text(obj: S7PlusObject, attribute_id: int) -> str:
    value = obj.attribute(attribute_id)
    if value is None or not isinstance(value.value, str):
        return ""
    return value.value.strip()[:MAX_FIELD]


def s7plus_session_identity(message: CreateObjectRequest | CreateObjectResponse) -> dict[str, str]:
    """Identity facts of a session setup CreateObject, as otm field names.

    From the CPU's response: ``order_number``, ``firmware``, ``model`` (for
    known order numbers), ``vendor`` (Siemens) from the PAOM string, and
    ``s7plus_oms_version`` when the comment holds the OMS+ release.  From the
    client's request: ``s7plus_client_software`` (user and application, e.g.
    ``TIA Portal / WinCC ES``), ``s7plus_client_host`` and ``s7plus_client_id``.
    Empty when the message says nothing of that kind.
    """
    obj = message.object
    if obj is None:
        return {}
    fields: dict[str, str] = {}
    if isinstance(message, CreateObjectResponse):
        parts = [p.strip() for p in _text(obj, SESSION_VERSION_SYSTEM_PAOM_STRING).split(";")]
        if len(parts) >= 3 and parts[1]:
            fields["order_number"] = parts[1]
            if parts[2]:
                fields["firmware"] = parts[2]
            model = s7_model(parts[1])
            if model:
                fields["model"] = model
            if parts[1].replace(" ", "").startswith(("6ES7", "6AG1", "6ES5", "6AV", "6GK")):
                fields["vendor"] = "Siemens"
        comment = _text(obj, SERVER_SESSION_CLIENT_COMMENT)
        if comment.startswith("OMSP"):
            fields["s7plus_oms_version"] = comment
        return fields
    software = " / ".join(
        t for t in (_text(obj, SERVER_SESSION_USER), _text(obj, SERVER_SESSION_APPLICATION)) if t
    )
    if software:
        fields["s7plus_client_software"] = software
    host = _text(obj, SERVER_SESSION_HOST)
    if host:
        fields["s7plus_client_host"] = host
    client_id = _text(obj, SERVER_SESSION_CLIENT_ID)
    if client_id:
        fields["s7plus_client_id"] = client_id
    return fields


# --- program transfers: blocks created, read out, deleted --------------------------------------
#
# TIA Portal moves a PLC program over S7comm-plus as objects of the PLC's
# object model (Rogue7, Biham et al., Black Hat USA 2019, section 6.1: "the
# program download message creates an object of class ProgramCycleOB"; its
# attribute FunctionalObject.Code holds the compiled code, Block.BodyDescription
# and Block.OptimizeInfo the source).  Class and attribute ids follow the
# s7commwireshark id table and the S7CommPlusDriver ``Ids`` (Thomas Wiens);
# the relation ids of blocks are ``area << 16 | number`` (DB area 0x8A0E in
# S7CommPlusDriver's DB browsing; OB area 0x8A32 in the shared capture
# S7-1200-Uploading-OB1-TIAV12.pcap, whose OB1 "Main" has RID 0x8A320001).

EXPLORE = 0x04BB
DELETE_OBJECT = 0x04D4
SET_VAR_SUBSTREAMED = 0x057C
GET_VAR_SUBSTREAMED = 0x0586

PLC_PROGRAM_RID = 3
"""``NativeObjects.thePLCProgram_Rid``: the parent of every block; exploring
it with its children lists (or, with code attributes, reads out) the program."""

BLOCK_CLASSES: dict[int, str] = {
    2574: "DB",  # DB.Class_Rid
    2578: "FB",  # FB.Class_Rid
    2579: "FC",  # FC.Class_Rid
    2610: "OB",  # OB.Class_Rid
    3932: "UDT",  # UDT.Class_Rid
    8440: "OB",  # LookAheadOB (S7CommPlusDriver)
    **dict.fromkeys(range(2637, 2659), "OB"),  # ACCcommunicationOB .. UpdateEventOB
}
"""Class id of a program block object -> block type.  2637-2658 are the
organisation block classes by start event (2647 ProgramCycleOB: OB1)."""

BLOCK_AREAS: dict[int, str] = {0x8A0E: "DB", 0x8A32: "OB"}
"""High word of a block's relation id -> block type, where public work or a
shared capture shows it (FB, FC and UDT areas are not known)."""

PROGRAM_AREA = 0x8A
"""High byte of the relation ids of the PLC program's objects (blocks 0x8A0E,
0x8A32; user constants 0x8A11).  Sessions, subscriptions and the objects an
HMI creates have small ids or 0x7000xxxx, so deleting an 0x8A object deletes
part of the program."""

CODE_ATTRIBUTES: dict[int, str] = {
    2533: "Block.BodyDescription",
    2537: "Block.OptimizeInfo",
    2580: "FunctionalObject.Code",
}
"""Attributes that carry a block's program: the source (BodyDescription,
OptimizeInfo) and the compiled code (FunctionalObject.Code), Rogue7 6.1.
Block lists, names, numbers, CRCs and timestamps (what TIA reads going
online) are not among them, nor are data block values."""

OBJECT_VARIABLE_TYPE_NAME = 233
"""``ObjectVariableTypeName``: an object's name (a block's symbolic name)."""

DOWNLOAD_BLOCK = "download_block"
UPLOAD_BLOCK = "upload_block"
DELETE_BLOCK = "delete_block"
PROGRAM_CATEGORY = "program"

MAX_NAME = 64
"""Characters kept of a block name: a detail for the alert, not the payload."""

MAX_ADDRESSES = 1024
"""Attribute ids read from an Explore or GetVarSubStreamed address list.  TIA
asks for 38 going online; the list is cut there, not refused."""


@dataclass(frozen=True, slots=True)
class ProgramRequest:
    """A request that moves or removes program blocks.

    ``operation`` is ``download_block`` (CreateObject of a block class),
    ``upload_block`` (Explore or GetVarSubStreamed asking for a code or
    source attribute) or ``delete_block`` (DeleteObject of a program object);
    ``object_id`` the relation id created, read or deleted; ``block`` its
    label (``OB1``, ``DB5``; the type alone when the number is not in the
    id; ``program`` for the whole PLC program; the hex id otherwise);
    ``name`` the block name when the request carries it."""

    operation: str
    object_id: int
    block: str
    name: str = ""

    @property
    def detail(self) -> tuple[tuple[str, str | int], ...]:
        """Operation detail for the observation: the block, and its name if known."""
        if self.name:
            return (("block", self.block), ("block_name", self.name))
        return (("block", self.block),)


def block_label(object_id: int, class_id: int | None = None) -> str:
    """``OB1`` for RID 0x8A320001; the type from the class when there is one,
    else from the area; the number from the low word of a program RID."""
    kind = BLOCK_CLASSES.get(class_id) if class_id is not None else None
    kind = kind or BLOCK_AREAS.get(object_id >> 16)
    if object_id >> 24 == PROGRAM_AREA:
        return f"{kind}{object_id & 0xFFFF}" if kind else f"0x{object_id:08x}"
    if object_id == PLC_PROGRAM_RID:
        return "program"
    return kind or f"0x{object_id:08x}"


def program_request(pdu: S7PlusPdu) -> ProgramRequest | None:
    """The program transfer a request PDU asks for, or None for anything else.

    Reads only the head of the body, so the first fragment of a request
    split over several is enough (a block download is 2 kB and more):

    - CreateObject: ``request id u32 | value | u32 | [integrity id VLQ] |
      0xA1 relation id u32 | class id VLQ | class flags VLQ | attribute id
      VLQ | [0xA3 233 name]``: a block when the class is in ``BLOCK_CLASSES``;
    - DeleteObject: ``object id u32``: a block when its high byte is 0x8A;
    - Explore: ``explore id u32 | request id VLQ | 3 flag bytes | u8 filter
      count (0) | address count VLQ | attribute ids VLQ``;
    - GetVarSubStreamed: ``object id u32 | 0x20 | 0x04 | count VLQ |
      attribute ids VLQ``;

    the last two are an upload when an attribute id is in ``CODE_ATTRIBUTES``.
    Bytes it cannot read give None: the request is then counted by its
    function, as any other.
    """
    header = decode_data_header(pdu)
    if header is None or header.opcode != S7PlusOpcode.REQUEST:
        return None
    function = header.function_code
    if function not in _PROGRAM_FUNCTIONS:
        return None
    r = _Reader(pdu.data, header.body_offset)
    try:
        return _PROGRAM_FUNCTIONS[function](r)
    except _PlusError:
        return None


def _created_block(r: _Reader) -> ProgramRequest | None:
    r.take(4)  # request id: the parent (3, the PLC program, for blocks)
    _value(r, 0)
    r.take(4)
    if not _at_object(r):
        return None
    r.byte()
    relation = int.from_bytes(r.take(4), "big")
    class_id = r.vlq()
    if class_id not in BLOCK_CLASSES:
        return None
    r.vlq()  # class flags
    r.vlq()  # attribute id
    name = ""
    try:
        if r.byte() == ATTRIBUTE and r.vlq() == OBJECT_VARIABLE_TYPE_NAME:
            value = _value(r, 0)
            if isinstance(value.value, str):
                name = value.value.strip()[:MAX_NAME]
    except _PlusError:
        pass  # the name is a nicety; the class made it a block
    return ProgramRequest(DOWNLOAD_BLOCK, relation, block_label(relation, class_id), name)


def _deleted_block(r: _Reader) -> ProgramRequest | None:
    object_id = int.from_bytes(r.take(4), "big")
    if object_id >> 24 != PROGRAM_AREA:
        return None
    return ProgramRequest(DELETE_BLOCK, object_id, block_label(object_id))


def _code_read(r: _Reader, object_id: int) -> ProgramRequest | None:
    count = r.vlq()
    for _ in range(min(count, MAX_ADDRESSES)):
        if r.vlq() in CODE_ATTRIBUTES:
            return ProgramRequest(UPLOAD_BLOCK, object_id, block_label(object_id))
    return None


def _explored_code(r: _Reader) -> ProgramRequest | None:
    object_id = int.from_bytes(r.take(4), "big")
    r.vlq()  # explore request id
    r.take(3)  # children, reserved, parents
    if r.byte():  # a filter value follows: its layout is not read
        return None
    return _code_read(r, object_id)


def _streamed_code(r: _Reader) -> ProgramRequest | None:
    object_id = int.from_bytes(r.take(4), "big")
    if r.take(2) != bytes((ADDRESS_ARRAY_FLAG, 0x04)):
        return None
    return _code_read(r, object_id)


_PROGRAM_FUNCTIONS = {
    CREATE_OBJECT: _created_block,
    DELETE_OBJECT: _deleted_block,
    EXPLORE: _explored_code,
    GET_VAR_SUBSTREAMED: _streamed_code,
}
"""Function code -> reader of the request body that tells a program transfer."""


def fragment_ends(data: bytes, start: int = 0) -> bool:
    """True when the S7comm-plus fragment at ``data[start:]`` closes its PDU.

    A PDU longer than one fragment is sent as several, each with its own
    4-byte header; only the last is followed by the trailer ``72 | version
    | 00 00``.  A fragment with no bytes after its data announces more (also
    when it is cut short: it cannot be told apart).  Reads the length in
    place; no allocation.
    """
    if len(data) < start + _HEADER:
        return True
    length = (data[start + 2] << 8) | data[start + 3]
    return len(data) >= start + _HEADER + length + _HEADER
