"""BACnet tagged values (ASHRAE 135 clause 20.2): bytes <-> elements, without I/O.

Every parameter of a BACnet service is a tagged value.  One tag octet::

    bit  7 6 5 4 | 3     | 2 1 0
         tag no. | class | length/value/type (LVT)

tag number 15 means an extended tag number in the next octet; class 0 is an
application tag (the number is the datatype, 20.2.1.4), class 1 a context tag
(the number is the parameter's position in the service; the datatype comes
from the service definition).  LVT 0-4 is the content length, 5 means an
extended length (next octet 0-253, or 254 + u16, or 255 + u32), and for
context tags 6/7 are opening/closing tags bracketing a constructed value.
An application BOOLEAN keeps its value in the LVT and has no content.

``decode_elements`` turns a span of bytes into a tuple of elements:
application values (``Null`` ... ``ObjectIdentifier``), ``ContextPrimitive``
(a context tag with its raw content, typed by the caller who knows the
service) and ``Constructed`` (the elements between an opening and a closing
tag).  It never raises and never recurses: nesting is an explicit stack
bounded by ``MAX_DEPTH``; each turn of its loop consumes at least the tag
octet.  ``encode_elements`` writes minimal encodings, so
``decode_elements(encode_elements(e)) == e``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TypeAlias

from otm.protocols.bacnet.anomalies import BacnetAnomaly
from otm.protocols.bacnet.constants import ApplicationTag, CharacterSet
from otm.protocols.common import Anomaly

K = BacnetAnomaly

MAX_DEPTH = 32
"""Constructed values nested deeper are refused.  The deepest standard data
(an RPM-ACK of a schedule's exception-schedule: result list, property value,
special event, time-value list ...) nests about 7 levels; 32 leaves room for
vendor structures while a crafted PDU of nested opening tags stays cheap."""

MAX_INTEGER_OCTETS = 8
"""Unsigned, Signed and Enumerated values are at most 64 bits (Unsigned64)."""

_FLOAT = struct.Struct(">f")
_DOUBLE = struct.Struct(">d")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")

# --- application values (20.2.2-20.2.14) --------------------------------------------


@dataclass(frozen=True, slots=True)
class Null:
    """NULL (application tag 0): no content."""


@dataclass(frozen=True, slots=True)
class Boolean:
    """BOOLEAN (application tag 1): the value is the LVT, no content octet."""

    value: bool


@dataclass(frozen=True, slots=True)
class Unsigned:
    """Unsigned Integer (application tag 2): 1-8 octets, big-endian."""

    value: int


@dataclass(frozen=True, slots=True)
class Signed:
    """Signed Integer (application tag 3): 1-8 octets, two's complement."""

    value: int


@dataclass(frozen=True, slots=True)
class Real:
    """REAL (application tag 4): IEEE-754 single precision, 4 octets."""

    value: float


@dataclass(frozen=True, slots=True)
class Double:
    """Double (application tag 5): IEEE-754 double precision, 8 octets."""

    value: float


@dataclass(frozen=True, slots=True)
class OctetString:
    """Octet String (application tag 6)."""

    value: bytes


@dataclass(frozen=True, slots=True)
class CharacterString:
    """Character String (application tag 7), 20.2.9.

    ``character set u8 | [code page u16, DBCS only] | characters``.  The
    bytes are kept as sent; ``text`` decodes them.
    """

    charset: int
    data: bytes
    code_page: int | None = None

    @property
    def text(self) -> str:
        """The characters: UTF-8 (of which ANSI X3.4 is the ASCII part), UCS-2,
        UCS-4 and ISO 8859-1 by their sets, DBCS by its code page, JIS X 0208
        through EUC-JP; undecodable bytes become U+FFFD, never an exception."""
        charset, data = self.charset, self.data
        if charset == CharacterSet.UTF_8:
            return data.decode("utf-8", errors="replace")
        if charset == CharacterSet.ISO_8859_1:
            return data.decode("latin-1")
        if charset == CharacterSet.UCS_2:
            return data.decode("utf-16-be", errors="replace")
        if charset == CharacterSet.UCS_4:
            return data.decode("utf-32-be", errors="replace")
        if charset == CharacterSet.DBCS and self.code_page is not None:
            try:
                return data.decode(f"cp{self.code_page}", errors="replace")
            except LookupError:  # a code page Python has no codec for
                return data.decode("latin-1")
        if charset == CharacterSet.JIS_X_0208:
            # EUC-JP is JIS X 0208 with the high bit of each octet set.
            return bytes(b | 0x80 for b in data).decode("euc_jp", errors="replace")
        return data.decode("latin-1")


@dataclass(frozen=True, slots=True)
class BitString:
    """Bit String (application tag 8), 20.2.10: ``unused bits u8 | bits``,
    the first bit in the most significant bit of the first octet."""

    unused_bits: int
    data: bytes

    @property
    def bits(self) -> tuple[bool, ...]:
        """Each meaningful bit, first to last."""
        count = 8 * len(self.data) - self.unused_bits
        return tuple(bool(self.data[i >> 3] & (0x80 >> (i & 7))) for i in range(max(count, 0)))


@dataclass(frozen=True, slots=True)
class Enumerated:
    """Enumerated (application tag 9): 1-8 octets, unsigned."""

    value: int


@dataclass(frozen=True, slots=True)
class Date:
    """Date (application tag 10), 20.2.12: four octets as sent; 255 is "any".

    ``year`` is years since 1900, ``month`` 1-12 (13 odd, 14 even months),
    ``day`` 1-31 (32 last day, 33 odd, 34 even days), ``weekday`` 1 Monday - 7.
    """

    year: int
    month: int
    day: int
    weekday: int


@dataclass(frozen=True, slots=True)
class Time:
    """Time (application tag 11), 20.2.13: hour, minute, second, hundredths; 255 is "any"."""

    hour: int
    minute: int
    second: int
    hundredths: int


@dataclass(frozen=True, slots=True)
class ObjectIdentifier:
    """BACnetObjectIdentifier (application tag 12), 20.2.14:
    ``object type (10 bits) | instance number (22 bits)`` in one u32."""

    object_type: int
    instance: int


@dataclass(frozen=True, slots=True)
class ReservedApplication:
    """An application tag 13-254, which ASHRAE reserves: kept raw."""

    tag_number: int
    data: bytes


@dataclass(frozen=True, slots=True)
class ContextPrimitive:
    """A context-tagged primitive: its type is the service's business, so raw."""

    tag_number: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Constructed:
    """The elements between an opening and a closing context tag of one number."""

    tag_number: int
    elements: tuple[Element, ...]


Value: TypeAlias = (
    Null
    | Boolean
    | Unsigned
    | Signed
    | Real
    | Double
    | OctetString
    | CharacterString
    | BitString
    | Enumerated
    | Date
    | Time
    | ObjectIdentifier
    | ReservedApplication
)
"""An application-tagged primitive value."""

Element: TypeAlias = Value | ContextPrimitive | Constructed
"""One item of tagged data."""

# --- tag header ------------------------------------------------------------------------------

OPENING = 6
CLOSING = 7

_Header = tuple[int, bool, int, int, int]
"""(tag number, context class, LVT, content length, content offset)."""


def read_tag(buf: bytes, at: int, end: int) -> _Header | Anomaly:
    """The tag at ``buf[at:end]``: number, class, LVT, content length and offset.

    Opening/closing tags and application booleans have content length 0.  The
    content is checked to lie within ``end``.
    """
    if at >= end:
        return Anomaly(K.TRUNCATED, "a tag is missing", at)
    octet = buf[at]
    number = octet >> 4
    context = bool(octet & 0x08)
    lvt = octet & 0x07
    pos = at + 1
    if number == 15:
        if pos >= end:
            return Anomaly(K.TRUNCATED, "extended tag number missing", pos)
        number = buf[pos]
        if number == 255:
            return Anomaly(K.BAD_TAG, "extended tag number 255 is reserved", pos)
        pos += 1
    if context:
        if lvt >= OPENING:
            return number, True, lvt, 0, pos
    elif number == ApplicationTag.BOOLEAN:
        return number, False, lvt, 0, pos
    elif lvt >= OPENING:
        return Anomaly(K.BAD_TAG, f"application tag {number} with LVT {lvt}", at)
    length = lvt
    if lvt == 5:
        if pos >= end:
            return Anomaly(K.TRUNCATED, "extended length missing", pos)
        length = buf[pos]
        pos += 1
        if length == 254:
            if pos + 2 > end:
                return Anomaly(K.TRUNCATED, "16-bit length cut", end)
            length = _U16.unpack_from(buf, pos)[0]
            pos += 2
        elif length == 255:
            if pos + 4 > end:
                return Anomaly(K.TRUNCATED, "32-bit length cut", end)
            length = _U32.unpack_from(buf, pos)[0]
            pos += 4
    if pos + length > end:
        return Anomaly(K.TRUNCATED, f"value of {length} octets, {end - pos} present", end)
    return number, context, lvt, length, pos


# --- decoding ---------------------------------------------------------------------------------


def _integer(data: bytes, signed: bool) -> int | None:
    if not 1 <= len(data) <= MAX_INTEGER_OCTETS:
        return None
    return int.from_bytes(data, "big", signed=signed)


def unsigned_of(data: bytes) -> int | None:
    """A context primitive's content read as Unsigned/Enumerated, None if 0 or >8 octets."""
    return _integer(data, False)


def signed_of(data: bytes) -> int | None:
    """A context primitive's content read as a Signed Integer."""
    return _integer(data, True)


def object_identifier_of(data: bytes) -> ObjectIdentifier | None:
    """A context primitive's content read as a BACnetObjectIdentifier (4 octets)."""
    if len(data) != 4:
        return None
    raw = _U32.unpack_from(data, 0)[0]
    return ObjectIdentifier(raw >> 22, raw & 0x3FFFFF)


def character_string_of(data: bytes) -> CharacterString | None:
    """A context primitive's content read as a CharacterString."""
    if not data:
        return None
    charset = data[0]
    if charset == CharacterSet.DBCS:
        if len(data) < 3:
            return None
        return CharacterString(charset, bytes(data[3:]), _U16.unpack_from(data, 1)[0])
    return CharacterString(charset, bytes(data[1:]))


def _application(number: int, lvt: int, data: bytes) -> Value | str:
    """The value of an application tag, or what is wrong with its length."""
    size = len(data)
    if number == ApplicationTag.NULL:
        return Null() if size == 0 else "NULL with content"
    if number == ApplicationTag.BOOLEAN:
        return Boolean(bool(lvt)) if lvt <= 1 else f"BOOLEAN with LVT {lvt}"
    if number in (ApplicationTag.UNSIGNED, ApplicationTag.ENUMERATED):
        value = _integer(data, False)
        if value is None:
            return f"{ApplicationTag(number).name} of {size} octets"
        return Unsigned(value) if number == ApplicationTag.UNSIGNED else Enumerated(value)
    if number == ApplicationTag.SIGNED:
        value = _integer(data, True)
        return Signed(value) if value is not None else f"SIGNED of {size} octets"
    if number == ApplicationTag.REAL:
        return Real(_FLOAT.unpack(data)[0]) if size == 4 else f"REAL of {size} octets"
    if number == ApplicationTag.DOUBLE:
        return Double(_DOUBLE.unpack(data)[0]) if size == 8 else f"DOUBLE of {size} octets"
    if number == ApplicationTag.OCTET_STRING:
        return OctetString(data)
    if number == ApplicationTag.CHARACTER_STRING:
        string = character_string_of(data)
        return string if string is not None else "character string without its set"
    if number == ApplicationTag.BIT_STRING:
        if not size or data[0] > 7 or (size == 1 and data[0]):
            return "bit string with a bad unused-bits count"
        return BitString(data[0], data[1:])
    if number in (ApplicationTag.DATE, ApplicationTag.TIME):
        if size != 4:
            return f"{ApplicationTag(number).name} of {size} octets"
        cls = Date if number == ApplicationTag.DATE else Time
        return cls(data[0], data[1], data[2], data[3])
    if number == ApplicationTag.OBJECT_IDENTIFIER:
        oid = object_identifier_of(data)
        return oid if oid is not None else f"object identifier of {size} octets"
    return ReservedApplication(number, data)


def decode_elements(
    buf: bytes, start: int = 0, end: int | None = None
) -> tuple[Element, ...] | Anomaly:
    """Every tagged element of ``buf[start:end]``; offsets in anomalies index ``buf``."""
    stop = len(buf) if end is None else min(end, len(buf))
    stack: list[tuple[int, list[Element], int]] = []
    items: list[Element] = []
    at = start
    # Each turn consumes the tag octet at least: bounded by the span's length.
    while at < stop:
        head = read_tag(buf, at, stop)
        if isinstance(head, Anomaly):
            return head
        number, context, lvt, length, pos = head
        if context and lvt == OPENING:
            if len(stack) >= MAX_DEPTH:
                return Anomaly(K.TOO_DEEP, f"more than {MAX_DEPTH} nested values", at)
            stack.append((number, items, at))
            items = []
            at = pos
            continue
        if context and lvt == CLOSING:
            if not stack or stack[-1][0] != number:
                return Anomaly(K.TAG_MISMATCH, f"closing tag [{number}] without its opening", at)
            _, parent, _ = stack.pop()
            parent.append(Constructed(number, tuple(items)))
            items = parent
            at = pos
            continue
        content = bytes(buf[pos : pos + length])
        if context:
            items.append(ContextPrimitive(number, content))
        else:
            value = _application(number, lvt, content)
            if isinstance(value, str):
                return Anomaly(K.BAD_VALUE, value, at)
            items.append(value)
        at = pos + length
    if stack:
        number, _, opened = stack[-1]
        return Anomaly(K.TAG_MISMATCH, f"opening tag [{number}] never closed", opened)
    return tuple(items)


# --- encoding ---------------------------------------------------------------------------------


def encode_tag(number: int, context: bool, length: int) -> bytes:
    """A tag header: ``length`` is the content length (or the LVT of an opening,
    closing or application boolean tag, which the caller passes as such)."""
    if not 0 <= number <= 254:
        raise ValueError(f"tag number {number} out of range")
    cls = 0x08 if context else 0x00
    extra = b""
    if number >= 15:
        first = 0xF0 | cls
        extra = bytes((number,))
    else:
        first = (number << 4) | cls
    if length <= 4:
        return bytes((first | length,)) + extra
    if length <= 253:
        return bytes((first | 5,)) + extra + bytes((length,))
    if length <= 0xFFFF:
        return bytes((first | 5,)) + extra + b"\xfe" + _U16.pack(length)
    return bytes((first | 5,)) + extra + b"\xff" + _U32.pack(length)


def _opening_closing(number: int, lvt: int) -> bytes:
    if number >= 15:
        return bytes((0xF8 | lvt, number))
    return bytes(((number << 4) | 0x08 | lvt,))


def unsigned_bytes(value: int) -> bytes:
    """The minimal big-endian encoding of an Unsigned/Enumerated (one octet at least)."""
    if not 0 <= value < 1 << 64:
        raise ValueError(f"unsigned value {value} out of range")
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def signed_bytes(value: int) -> bytes:
    """The minimal two's complement encoding of a Signed Integer."""
    if not -(1 << 63) <= value < 1 << 63:
        raise ValueError(f"signed value {value} out of range")
    size = 1
    while not -(1 << (8 * size - 1)) <= value < 1 << (8 * size - 1):
        size += 1
    return value.to_bytes(size, "big", signed=True)


def object_identifier_bytes(oid: ObjectIdentifier) -> bytes:
    """The u32 of a BACnetObjectIdentifier."""
    if not (0 <= oid.object_type <= 0x3FF and 0 <= oid.instance <= 0x3FFFFF):
        raise ValueError(f"object identifier {oid} out of range")
    return _U32.pack((oid.object_type << 22) | oid.instance)


def character_string_bytes(string: CharacterString) -> bytes:
    """Character set octet, the DBCS code page when there is one, the characters."""
    head = bytes((string.charset,))
    if string.code_page is not None:
        head += _U16.pack(string.code_page)
    return head + string.data


def _content(value: Value) -> tuple[int, bytes]:
    """(application tag number, content octets) of a value other than BOOLEAN."""
    match value:
        case Null():
            return ApplicationTag.NULL, b""
        case Unsigned(v):
            return ApplicationTag.UNSIGNED, unsigned_bytes(v)
        case Signed(v):
            return ApplicationTag.SIGNED, signed_bytes(v)
        case Real(v):
            return ApplicationTag.REAL, _FLOAT.pack(v)
        case Double(v):
            return ApplicationTag.DOUBLE, _DOUBLE.pack(v)
        case OctetString(v):
            return ApplicationTag.OCTET_STRING, v
        case CharacterString():
            return ApplicationTag.CHARACTER_STRING, character_string_bytes(value)
        case BitString(unused, data):
            return ApplicationTag.BIT_STRING, bytes((unused,)) + data
        case Enumerated(v):
            return ApplicationTag.ENUMERATED, unsigned_bytes(v)
        case Date(a, b, c, d) | Time(a, b, c, d):
            number = ApplicationTag.DATE if isinstance(value, Date) else ApplicationTag.TIME
            return number, bytes((a, b, c, d))
        case ObjectIdentifier():
            return ApplicationTag.OBJECT_IDENTIFIER, object_identifier_bytes(value)
        case ReservedApplication(number, data):
            return number, data
    raise TypeError(f"not an application value: {value!r}")


def encode_element(element: Element) -> bytes:
    """One element in its minimal encoding."""
    if isinstance(element, Boolean):
        return encode_tag(ApplicationTag.BOOLEAN, False, int(element.value))
    if isinstance(element, ContextPrimitive):
        return encode_tag(element.tag_number, True, len(element.data)) + element.data
    if isinstance(element, Constructed):
        inner = b"".join(encode_element(e) for e in element.elements)
        number = element.tag_number
        return _opening_closing(number, OPENING) + inner + _opening_closing(number, CLOSING)
    number, content = _content(element)
    return encode_tag(number, False, len(content)) + content


def encode_elements(elements: tuple[Element, ...] | list[Element]) -> bytes:
    """Elements one after the other."""
    return b"".join(encode_element(e) for e in elements)


def context(number: int, value: Value) -> ContextPrimitive:
    """``value`` carried under context tag ``number`` (same content octets)."""
    if isinstance(value, Boolean):
        return ContextPrimitive(number, bytes((int(value.value),)))
    return ContextPrimitive(number, _content(value)[1])
