"""OPC UA Binary encoding of the built-in types (Part 6, 5.2), as composable codecs.

A ``Codec`` reads one value from a bounded ``Reader`` and writes one to a
``Writer``; structures are ``StructOf`` a dataclass and one codec per field,
arrays ``ArrayOf`` an element codec, so a message's layout is declared once
(``layouts.py``) and serves both directions.  Reading raises ``DecodeError``,
which never leaves the codec: the public functions in ``codec.py`` turn it
into an ``Anomaly``.  Every loop is bounded by the bytes left (an array of n
elements needs at least n bytes) and every recursion by ``MAX_DEPTH``.

Byte order is little-endian throughout.  Lengths of strings, byte strings and
arrays are Int32, -1 meaning null.  Strings are UTF-8; invalid sequences
decode as U+FFFD rather than failing the whole message.
"""

from __future__ import annotations

import struct
from dataclasses import fields
from typing import Any

from otm.protocols.opcua.anomalies import OpcUaAnomaly
from otm.protocols.opcua.constants import (
    EXPANDED_NAMESPACE_URI_FLAG,
    EXPANDED_SERVER_INDEX_FLAG,
    MAX_DEPTH,
    BuiltInType,
    NodeIdForm,
)
from otm.protocols.opcua.datatypes import (
    DataValue,
    DiagnosticInfo,
    ExpandedNodeId,
    ExtensionObject,
    Guid,
    LocalizedText,
    NodeId,
    QualifiedName,
    Variant,
)

K = OpcUaAnomaly

_I32 = struct.Struct("<i")
_U8 = struct.Struct("<B")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")


class DecodeError(Exception):
    """Broken input met while reading; caught by the public decoders."""

    def __init__(self, kind: OpcUaAnomaly, detail: str, offset: int) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.offset = offset


class Reader:
    """A cursor over ``buf[pos:end]`` that refuses to read past ``end``."""

    __slots__ = ("buf", "depth", "end", "pos")

    def __init__(self, buf: bytes, pos: int = 0, end: int | None = None) -> None:
        self.buf = buf
        self.pos = pos
        self.end = len(buf) if end is None else end
        self.depth = 0

    def remaining(self) -> int:
        return self.end - self.pos

    def need(self, n: int, what: str) -> None:
        left = self.end - self.pos
        if left < n:
            raise DecodeError(K.TRUNCATED, f"{what} needs {n} bytes, {left} left", self.end)

    def unpack(self, st: struct.Struct, what: str) -> tuple[Any, ...]:
        self.need(st.size, what)
        values = st.unpack_from(self.buf, self.pos)
        self.pos += st.size
        return values

    def take(self, n: int, what: str) -> bytes:
        self.need(n, what)
        data = bytes(self.buf[self.pos : self.pos + n])
        self.pos += n
        return data

    def rest(self) -> bytes:
        data = bytes(self.buf[self.pos : self.end])
        self.pos = self.end
        return data

    def enter(self, what: str) -> None:
        """One nesting level deeper (DiagnosticInfo, Variant, DataValue)."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise DecodeError(K.TOO_DEEP, f"{what} nested over {MAX_DEPTH} levels", self.pos)


class Writer:
    """Bytes being encoded, and the nesting depth reached (bounded like reading)."""

    __slots__ = ("buf", "depth")

    def __init__(self) -> None:
        self.buf = bytearray()
        self.depth = 0

    def enter(self, what: str) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ValueError(f"{what} nested over {MAX_DEPTH} levels: no decoder would read it")


class Codec:
    """Reads and writes one value of a type; ``min_size`` bytes at least on the wire."""

    __slots__ = ("min_size", "name")

    def __init__(self, name: str, min_size: int) -> None:
        self.name = name
        self.min_size = min_size

    def read(self, r: Reader) -> Any:
        raise NotImplementedError

    def write(self, w: Writer, value: Any) -> None:
        raise NotImplementedError


class Scalar(Codec):
    """A fixed-size number (``struct`` format without the byte order)."""

    __slots__ = ("st",)

    def __init__(self, fmt: str, name: str) -> None:
        self.st = struct.Struct("<" + fmt)
        super().__init__(name, self.st.size)

    def read(self, r: Reader) -> Any:
        return r.unpack(self.st, self.name)[0]

    def write(self, w: Writer, value: Any) -> None:
        if type(value) is bool or not isinstance(value, int | float):
            raise ValueError(f"{self.name}: {value!r} is not a number")
        w.buf += self.st.pack(value)


class BooleanCodec(Codec):
    """One byte; any nonzero value reads as true (5.2.2.1), true writes as 1."""

    __slots__ = ()

    def read(self, r: Reader) -> Any:
        return r.unpack(_U8, "Boolean")[0] != 0

    def write(self, w: Writer, value: Any) -> None:
        if not isinstance(value, bool):
            raise ValueError(f"Boolean: {value!r}")
        w.buf.append(1 if value else 0)


def _read_length(r: Reader, what: str) -> int:
    at = r.pos
    n: int = r.unpack(_I32, f"{what} length")[0]
    if n < -1:
        raise DecodeError(K.INVALID_LENGTH, f"{what} length {n}", at)
    return n


class StringCodec(Codec):
    """Int32 byte count (-1: null) then UTF-8 (5.2.2.4)."""

    __slots__ = ()

    def read(self, r: Reader) -> Any:
        n = _read_length(r, self.name)
        if n < 0:
            return None
        return r.take(n, self.name).decode("utf-8", "replace")

    def write(self, w: Writer, value: Any) -> None:
        if value is None:
            w.buf += _I32.pack(-1)
            return
        if not isinstance(value, str):
            raise ValueError(f"{self.name}: {value!r} is not a str")
        data = value.encode("utf-8")
        w.buf += _I32.pack(len(data))
        w.buf += data


class ByteStringCodec(Codec):
    """Int32 byte count (-1: null) then the bytes (5.2.2.7; XmlElement the same)."""

    __slots__ = ()

    def read(self, r: Reader) -> Any:
        n = _read_length(r, self.name)
        if n < 0:
            return None
        return r.take(n, self.name)

    def write(self, w: Writer, value: Any) -> None:
        if value is None:
            w.buf += _I32.pack(-1)
            return
        if not isinstance(value, bytes):
            raise ValueError(f"{self.name}: {value!r} is not bytes")
        w.buf += _I32.pack(len(value))
        w.buf += value


class GuidCodec(Codec):
    """16 bytes, kept as they are (5.2.2.6)."""

    __slots__ = ()

    def read(self, r: Reader) -> Any:
        return Guid(r.take(16, "Guid"))

    def write(self, w: Writer, value: Any) -> None:
        if not isinstance(value, Guid) or len(value.data) != 16:
            raise ValueError(f"Guid: {value!r}")
        w.buf += value.data


class ArrayOf(Codec):
    """Int32 element count (-1: null array) then the elements (5.2.5)."""

    __slots__ = ("item",)

    def __init__(self, item: Codec) -> None:
        self.item = item
        super().__init__(f"array of {item.name}", 4)

    def read(self, r: Reader) -> Any:
        n = _read_length(r, self.name)
        if n < 0:
            return None
        # Each element takes at least min_size >= 1 bytes: this bounds the loop.
        if n * self.item.min_size > r.remaining():
            raise DecodeError(
                K.TRUNCATED, f"{n} x {self.item.name} cannot fit {r.remaining()} bytes", r.end
            )
        item = self.item
        return tuple(item.read(r) for _ in range(n))

    def write(self, w: Writer, value: Any) -> None:
        if value is None:
            w.buf += _I32.pack(-1)
            return
        if not isinstance(value, tuple):
            raise ValueError(f"{self.name}: {value!r} is not a tuple")
        w.buf += _I32.pack(len(value))
        for element in value:
            self.item.write(w, element)


class StructOf(Codec):
    """A structure: its fields one after the other (5.2.6), into a dataclass."""

    __slots__ = ("cls", "codecs", "names")

    def __init__(self, cls: type[Any], *codecs: Codec) -> None:
        names = tuple(f.name for f in fields(cls) if f.init)
        if len(names) != len(codecs):
            raise TypeError(f"{cls.__name__}: {len(names)} fields, {len(codecs)} codecs")
        self.cls = cls
        self.codecs = codecs
        self.names = names
        super().__init__(cls.__name__, sum(c.min_size for c in codecs))

    def read(self, r: Reader) -> Any:
        return self.cls(*[c.read(r) for c in self.codecs])

    def write(self, w: Writer, value: Any) -> None:
        if not isinstance(value, self.cls):
            raise ValueError(f"{self.name} expected, got {type(value).__name__}")
        for codec, name in zip(self.codecs, self.names, strict=True):
            codec.write(w, getattr(value, name))


# --- the built-in types ---------------------------------------------------------

BOOLEAN = BooleanCodec("Boolean", 1)
SBYTE = Scalar("b", "SByte")
BYTE = Scalar("B", "Byte")
INT16 = Scalar("h", "Int16")
UINT16 = Scalar("H", "UInt16")
INT32 = Scalar("i", "Int32")
UINT32 = Scalar("I", "UInt32")
INT64 = Scalar("q", "Int64")
UINT64 = Scalar("Q", "UInt64")
FLOAT = Scalar("f", "Float")
DOUBLE = Scalar("d", "Double")
STRING = StringCodec("String", 4)
DATETIME = Scalar("q", "DateTime")
GUID = GuidCodec("Guid", 16)
BYTESTRING = ByteStringCodec("ByteString", 4)
XML_ELEMENT = ByteStringCodec("XmlElement", 4)
STATUS_CODE = Scalar("I", "StatusCode")
ENUM = Scalar("i", "Enumeration")
"""Enumerations are Int32 on the wire (5.2.4)."""


def _read_node_id(r: Reader, expanded: bool) -> NodeId | ExpandedNodeId:
    at = r.pos
    mask: int = r.unpack(_U8, "NodeId encoding")[0]
    flags = mask & 0xC0
    form = mask & 0x0F
    if mask & 0x30 or (flags and not expanded) or form > NodeIdForm.BYTESTRING:
        raise DecodeError(K.INVALID_ENCODING, f"NodeId encoding byte 0x{mask:02x}", at)
    identifier: int | str | Guid | bytes
    if form == NodeIdForm.TWO_BYTE:
        namespace, identifier = 0, r.unpack(_U8, "NodeId")[0]
    elif form == NodeIdForm.FOUR_BYTE:
        namespace, identifier = r.unpack(_FOUR_BYTE, "NodeId")
    elif form == NodeIdForm.NUMERIC:
        namespace, identifier = r.unpack(_NUMERIC, "NodeId")
    else:
        namespace = r.unpack(_U16, "NodeId namespace")[0]
        if form == NodeIdForm.STRING:
            identifier = STRING.read(r) or ""
        elif form == NodeIdForm.GUID:
            identifier = GUID.read(r)
        else:
            identifier = BYTESTRING.read(r) or b""
    node = NodeId(namespace, identifier, form)
    if not expanded:
        return node
    uri = STRING.read(r) if flags & EXPANDED_NAMESPACE_URI_FLAG else None
    index = r.unpack(_U32, "ServerIndex")[0] if flags & EXPANDED_SERVER_INDEX_FLAG else None
    return ExpandedNodeId(node, uri, index)


_FOUR_BYTE = struct.Struct("<BH")
_NUMERIC = struct.Struct("<HI")


def _numeric_form(namespace: int, identifier: int, wanted: int | None) -> int:
    """The form to write a numeric NodeId in: the one it came with if it fits, else
    the smallest."""
    fits: dict[int, bool] = {
        NodeIdForm.TWO_BYTE: namespace == 0 and 0 <= identifier <= 0xFF,
        NodeIdForm.FOUR_BYTE: 0 <= namespace <= 0xFF and 0 <= identifier <= 0xFFFF,
        NodeIdForm.NUMERIC: True,
    }
    if wanted is not None and fits.get(wanted, False):
        return wanted
    for form in (NodeIdForm.TWO_BYTE, NodeIdForm.FOUR_BYTE):
        if fits[form]:
            return form
    return NodeIdForm.NUMERIC


def _write_node_id(w: Writer, node: NodeId, flags: int = 0) -> None:
    if not isinstance(node, NodeId):
        raise ValueError(f"NodeId expected, got {type(node).__name__}")
    ns, ident = node.namespace, node.identifier
    if type(ident) is int:
        form = _numeric_form(ns, ident, node.form)
        if form == NodeIdForm.TWO_BYTE:
            w.buf += bytes((flags | form, ident))
        elif form == NodeIdForm.FOUR_BYTE:
            w.buf += bytes((flags | form,)) + _FOUR_BYTE.pack(ns, ident)
        else:
            w.buf += bytes((flags | form,)) + _NUMERIC.pack(ns, ident)
        return
    if isinstance(ident, str):
        w.buf += bytes((flags | NodeIdForm.STRING,)) + _U16.pack(ns)
        STRING.write(w, ident)
    elif isinstance(ident, Guid):
        w.buf += bytes((flags | NodeIdForm.GUID,)) + _U16.pack(ns)
        GUID.write(w, ident)
    elif isinstance(ident, bytes):
        w.buf += bytes((flags | NodeIdForm.BYTESTRING,)) + _U16.pack(ns)
        BYTESTRING.write(w, ident)
    else:
        raise ValueError(f"NodeId identifier {ident!r}")


class NodeIdCodec(Codec):
    """NodeId (5.2.2.9): an encoding byte choosing one of six forms."""

    __slots__ = ()

    def read(self, r: Reader) -> Any:
        return _read_node_id(r, expanded=False)

    def write(self, w: Writer, value: Any) -> None:
        _write_node_id(w, value)


class ExpandedNodeIdCodec(Codec):
    """ExpandedNodeId (5.2.2.10): a NodeId whose encoding byte also flags a
    namespace URI (0x80) and a server index (0x40), written after it."""

    __slots__ = ()

    def read(self, r: Reader) -> Any:
        return _read_node_id(r, expanded=True)

    def write(self, w: Writer, value: Any) -> None:
        if not isinstance(value, ExpandedNodeId):
            raise ValueError(f"ExpandedNodeId expected, got {type(value).__name__}")
        flags = (EXPANDED_NAMESPACE_URI_FLAG if value.namespace_uri is not None else 0) | (
            EXPANDED_SERVER_INDEX_FLAG if value.server_index is not None else 0
        )
        _write_node_id(w, value.node_id, flags)
        if value.namespace_uri is not None:
            STRING.write(w, value.namespace_uri)
        if value.server_index is not None:
            UINT32.write(w, value.server_index)


class QualifiedNameCodec(Codec):
    """UInt16 namespace index, String name (5.2.2.13)."""

    __slots__ = ()

    def read(self, r: Reader) -> Any:
        return QualifiedName(r.unpack(_U16, "QualifiedName")[0], STRING.read(r))

    def write(self, w: Writer, value: Any) -> None:
        if not isinstance(value, QualifiedName):
            raise ValueError(f"QualifiedName expected, got {type(value).__name__}")
        UINT16.write(w, value.namespace)
        STRING.write(w, value.name)


class LocalizedTextCodec(Codec):
    """Mask byte (0x01 locale, 0x02 text; other bits reserved) then each (5.2.2.14)."""

    __slots__ = ()

    def read(self, r: Reader) -> Any:
        at = r.pos
        mask: int = r.unpack(_U8, "LocalizedText mask")[0]
        if mask & ~0x03:
            raise DecodeError(K.INVALID_ENCODING, f"LocalizedText mask 0x{mask:02x}", at)
        locale = STRING.read(r) if mask & 0x01 else None
        text = STRING.read(r) if mask & 0x02 else None
        return LocalizedText(locale, text)

    def write(self, w: Writer, value: Any) -> None:
        if not isinstance(value, LocalizedText):
            raise ValueError(f"LocalizedText expected, got {type(value).__name__}")
        mask = (0x01 if value.locale is not None else 0) | (0x02 if value.text is not None else 0)
        w.buf.append(mask)
        if value.locale is not None:
            STRING.write(w, value.locale)
        if value.text is not None:
            STRING.write(w, value.text)


class ExtensionObjectCodec(Codec):
    """NodeId type id, encoding byte (0 none, 1 ByteString, 2 XmlElement), body (5.2.2.15)."""

    __slots__ = ()

    def read(self, r: Reader) -> Any:
        type_id = NODE_ID.read(r)
        at = r.pos
        encoding: int = r.unpack(_U8, "ExtensionObject encoding")[0]
        if encoding > 2:
            raise DecodeError(K.INVALID_ENCODING, f"ExtensionObject encoding {encoding}", at)
        body = BYTESTRING.read(r) if encoding else None
        return ExtensionObject(type_id, encoding, body)

    def write(self, w: Writer, value: Any) -> None:
        if not isinstance(value, ExtensionObject):
            raise ValueError(f"ExtensionObject expected, got {type(value).__name__}")
        if value.encoding not in (0, 1, 2) or (value.encoding == 0 and value.body is not None):
            raise ValueError(f"ExtensionObject encoding {value.encoding} with body {value.body!r}")
        NODE_ID.write(w, value.type_id)
        w.buf.append(value.encoding)
        if value.encoding:
            BYTESTRING.write(w, value.body)


_DIAGNOSTIC_INT_FIELDS = (
    (0x01, "symbolic_id"),
    (0x02, "namespace_uri"),
    (0x08, "locale"),
    (0x04, "localized_text"),
)
"""DiagnosticInfo's Int32 fields in wire order (Part 6 Table 21: locale before text)."""


class DiagnosticInfoCodec(Codec):
    """Mask byte, then the fields it flags (5.2.2.12); recursive through its inner info."""

    __slots__ = ()

    def read(self, r: Reader) -> Any:
        at = r.pos
        mask: int = r.unpack(_U8, "DiagnosticInfo mask")[0]
        if mask & 0x80:
            raise DecodeError(K.INVALID_ENCODING, f"DiagnosticInfo mask 0x{mask:02x}", at)
        if not mask:
            return _EMPTY_DIAGNOSTIC
        r.enter("DiagnosticInfo")
        values: dict[str, Any] = {}
        for bit, name in _DIAGNOSTIC_INT_FIELDS:
            if mask & bit:
                values[name] = r.unpack(_I32, "DiagnosticInfo")[0]
        if mask & 0x10:
            values["additional_info"] = STRING.read(r)
        if mask & 0x20:
            values["inner_status_code"] = r.unpack(_U32, "InnerStatusCode")[0]
        if mask & 0x40:
            values["inner_diagnostic_info"] = self.read(r)
        r.depth -= 1
        return DiagnosticInfo(**values)

    def write(self, w: Writer, value: Any) -> None:
        if not isinstance(value, DiagnosticInfo):
            raise ValueError(f"DiagnosticInfo expected, got {type(value).__name__}")
        mask = 0
        for bit, name in _DIAGNOSTIC_INT_FIELDS:
            if getattr(value, name) is not None:
                mask |= bit
        mask |= 0x10 if value.additional_info is not None else 0
        mask |= 0x20 if value.inner_status_code is not None else 0
        mask |= 0x40 if value.inner_diagnostic_info is not None else 0
        w.buf.append(mask)
        if not mask:
            return
        w.enter("DiagnosticInfo")
        for bit, name in _DIAGNOSTIC_INT_FIELDS:
            if mask & bit:
                INT32.write(w, getattr(value, name))
        if value.additional_info is not None:
            STRING.write(w, value.additional_info)
        if value.inner_status_code is not None:
            STATUS_CODE.write(w, value.inner_status_code)
        if value.inner_diagnostic_info is not None:
            self.write(w, value.inner_diagnostic_info)
        w.depth -= 1


_EMPTY_DIAGNOSTIC = DiagnosticInfo()


class VariantCodec(Codec):
    """Mask byte (type id in bits 0-5, 0x80 array, 0x40 array dimensions), the
    value or the array, then the dimensions (5.2.2.16)."""

    __slots__ = ()

    def read(self, r: Reader) -> Any:
        at = r.pos
        mask: int = r.unpack(_U8, "Variant mask")[0]
        kind = mask & 0x3F
        is_array = bool(mask & 0x80)
        has_dims = bool(mask & 0x40)
        if kind == 0:
            if mask:
                raise DecodeError(K.INVALID_ENCODING, f"null Variant with mask 0x{mask:02x}", at)
            return _NULL_VARIANT
        if (
            kind > BuiltInType.DIAGNOSTIC_INFO
            or (has_dims and not is_array)
            or (kind == BuiltInType.VARIANT and not is_array)
        ):
            raise DecodeError(K.INVALID_ENCODING, f"Variant mask 0x{mask:02x}", at)
        r.enter("Variant")
        item = VARIANT_TYPES[kind]
        value = _ARRAYS[kind].read(r) if is_array else item.read(r)
        dims = _DIMENSIONS.read(r) if has_dims else None
        r.depth -= 1
        return Variant(kind, value, is_array, dims)

    def write(self, w: Writer, value: Any) -> None:
        if not isinstance(value, Variant):
            raise ValueError(f"Variant expected, got {type(value).__name__}")
        kind = value.built_in_type
        if kind == 0:
            if value.value is not None or value.array or value.dimensions is not None:
                raise ValueError("a null Variant carries no value")
            w.buf.append(0)
            return
        if not 0 < kind <= BuiltInType.DIAGNOSTIC_INFO:
            raise ValueError(f"Variant type {kind}")
        if (value.dimensions is not None and not value.array) or (
            kind == BuiltInType.VARIANT and not value.array
        ):
            raise ValueError(f"Variant of type {kind}: dimensions or scalar Variant")
        mask = kind | (0x80 if value.array else 0) | (0x40 if value.dimensions is not None else 0)
        w.buf.append(mask)
        w.enter("Variant")
        if value.array:
            _ARRAYS[kind].write(w, value.value)
        else:
            VARIANT_TYPES[kind].write(w, value.value)
        if value.dimensions is not None:
            _DIMENSIONS.write(w, value.dimensions)
        w.depth -= 1


_NULL_VARIANT = Variant()

_DATA_VALUE_FIELDS = (
    (0x02, "status", STATUS_CODE),
    (0x04, "source_timestamp", DATETIME),
    (0x10, "source_picoseconds", UINT16),
    (0x08, "server_timestamp", DATETIME),
    (0x20, "server_picoseconds", UINT16),
)
"""DataValue's fields after the value, in wire order (Part 6 Table 27)."""


class DataValueCodec(Codec):
    """Mask byte, then value, status, source time stamp and picoseconds, server
    time stamp and picoseconds, each when flagged (5.2.2.17)."""

    __slots__ = ()

    def read(self, r: Reader) -> Any:
        at = r.pos
        mask: int = r.unpack(_U8, "DataValue mask")[0]
        if mask & 0xC0:
            raise DecodeError(K.INVALID_ENCODING, f"DataValue mask 0x{mask:02x}", at)
        r.enter("DataValue")
        values: dict[str, Any] = {}
        if mask & 0x01:
            values["value"] = VARIANT.read(r)
        for bit, name, codec in _DATA_VALUE_FIELDS:
            if mask & bit:
                values[name] = codec.read(r)
        r.depth -= 1
        return DataValue(**values)

    def write(self, w: Writer, value: Any) -> None:
        if not isinstance(value, DataValue):
            raise ValueError(f"DataValue expected, got {type(value).__name__}")
        mask = 0x01 if value.value is not None else 0
        for bit, name, _ in _DATA_VALUE_FIELDS:
            if getattr(value, name) is not None:
                mask |= bit
        w.buf.append(mask)
        w.enter("DataValue")
        if value.value is not None:
            VARIANT.write(w, value.value)
        for bit, name, codec in _DATA_VALUE_FIELDS:
            if mask & bit:
                codec.write(w, getattr(value, name))
        w.depth -= 1


NODE_ID = NodeIdCodec("NodeId", 2)
EXPANDED_NODE_ID = ExpandedNodeIdCodec("ExpandedNodeId", 2)
QUALIFIED_NAME = QualifiedNameCodec("QualifiedName", 6)
LOCALIZED_TEXT = LocalizedTextCodec("LocalizedText", 1)
EXTENSION_OBJECT = ExtensionObjectCodec("ExtensionObject", 3)
DIAGNOSTIC_INFO = DiagnosticInfoCodec("DiagnosticInfo", 1)
VARIANT = VariantCodec("Variant", 1)
DATA_VALUE = DataValueCodec("DataValue", 1)

VARIANT_TYPES: dict[int, Codec] = {
    BuiltInType.BOOLEAN: BOOLEAN,
    BuiltInType.SBYTE: SBYTE,
    BuiltInType.BYTE: BYTE,
    BuiltInType.INT16: INT16,
    BuiltInType.UINT16: UINT16,
    BuiltInType.INT32: INT32,
    BuiltInType.UINT32: UINT32,
    BuiltInType.INT64: INT64,
    BuiltInType.UINT64: UINT64,
    BuiltInType.FLOAT: FLOAT,
    BuiltInType.DOUBLE: DOUBLE,
    BuiltInType.STRING: STRING,
    BuiltInType.DATETIME: DATETIME,
    BuiltInType.GUID: GUID,
    BuiltInType.BYTESTRING: BYTESTRING,
    BuiltInType.XML_ELEMENT: XML_ELEMENT,
    BuiltInType.NODE_ID: NODE_ID,
    BuiltInType.EXPANDED_NODE_ID: EXPANDED_NODE_ID,
    BuiltInType.STATUS_CODE: STATUS_CODE,
    BuiltInType.QUALIFIED_NAME: QUALIFIED_NAME,
    BuiltInType.LOCALIZED_TEXT: LOCALIZED_TEXT,
    BuiltInType.EXTENSION_OBJECT: EXTENSION_OBJECT,
    BuiltInType.DATA_VALUE: DATA_VALUE,
    BuiltInType.VARIANT: VARIANT,
    BuiltInType.DIAGNOSTIC_INFO: DIAGNOSTIC_INFO,
}
"""Built-in type id -> the codec of one value of it (Part 6 Table 1)."""

_ARRAYS: dict[int, ArrayOf] = {kind: ArrayOf(codec) for kind, codec in VARIANT_TYPES.items()}
_DIMENSIONS = ArrayOf(INT32)


def encode_value(codec: Codec, value: Any) -> bytes:
    """``value`` encoded by ``codec``; ``ValueError`` when it does not fit the type."""
    w = Writer()
    try:
        codec.write(w, value)
    except (struct.error, OverflowError) as error:
        raise ValueError(f"{codec.name}: {error}") from error
    return bytes(w.buf)
