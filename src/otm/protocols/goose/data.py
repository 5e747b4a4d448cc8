"""Dataset values (MMS Data, ISO 9506-2 as IEC 61850-8-1 Annex A uses it) <-> BER.

``decode_data_list`` walks a SEQUENCE OF Data (allData, or the members of an
array or structure) with bounded recursion; ``encode_data`` writes one value
back.  Encodings are the minimal ones (INTEGER shortest two's complement,
BOOLEAN 0x00/0x01, floating point single precision when the value fits,
else double), so the decoder and encoder agree on every message the encoder
can write.
"""

from __future__ import annotations

import math
import struct
from typing import Final

from otm.protocols.ber import CONSTRUCTED, encode_tlv, integer_contents, read_integer, read_tlv
from otm.protocols.common import Anomaly
from otm.protocols.goose.anomalies import BER_KINDS, GooseAnomaly
from otm.protocols.goose.constants import DataKind
from otm.protocols.goose.messages import BitString, Data, DataValue, UtcTime

K = GooseAnomaly

MAX_DEPTH: Final = 16
"""Nesting of arrays/structures decoded.  An IEC 61850 dataset member is at
most a data object holding structured attributes, four or five levels; 16
leaves room for vendor datasets and stops hostile nesting long before
Python's recursion limit."""

_UTC: Final = struct.Struct(">IIB")
_F32: Final = struct.Struct(">f")
_F64: Final = struct.Struct(">d")
_FLOAT32_WIDTH: Final = 8
_FLOAT64_WIDTH: Final = 11
"""FloatingPoint = exponent width octet (8 single, 11 double, IEEE 754) then the value."""

_CONTEXT: Final = 0x80
_BYTES_KINDS: Final = frozenset(
    (
        DataKind.REAL,
        DataKind.OCTET_STRING,
        DataKind.GENERALIZED_TIME,
        DataKind.BINARY_TIME,
        DataKind.OBJ_ID,
    )
)
_INTEGER_KINDS: Final = frozenset((DataKind.INTEGER, DataKind.UNSIGNED, DataKind.BCD))
_BITS_KINDS: Final = frozenset((DataKind.BIT_STRING, DataKind.BOOLEAN_ARRAY))
_LIST_KINDS: Final = frozenset((DataKind.ARRAY, DataKind.STRUCTURE))
_KINDS: Final = frozenset(int(k) for k in DataKind)


def decode_utc_time(raw: bytes) -> UtcTime | None:
    """An 8-octet UtcTime, or None when it is not 8 octets."""
    if len(raw) != 8:
        return None
    seconds, fraction_quality, _ = _UTC.unpack(raw + b"\x00")
    return UtcTime(seconds, fraction_quality >> 8, fraction_quality & 0xFF)


def encode_utc_time(t: UtcTime) -> bytes:
    """The 8 octets of a UtcTime."""
    return t.seconds.to_bytes(4, "big") + t.fraction.to_bytes(3, "big") + bytes((t.quality,))


def decode_data_list(
    buf: bytes, start: int, stop: int, depth: int = 0
) -> tuple[Data, ...] | Anomaly:
    """Every Data element in ``buf[start:stop]``, in order."""
    if depth >= MAX_DEPTH:
        return Anomaly(K.TOO_DEEP, f"dataset nested deeper than {MAX_DEPTH}", start)
    out: list[Data] = []
    pos = start
    # Each turn consumes one element of 2 bytes at least: bounded by (stop - start) / 2.
    while pos < stop:
        element = read_tlv(buf, pos, stop, BER_KINDS)
        if isinstance(element, Anomaly):
            return element
        tag, begin, end = element
        item = _decode_one(buf, tag, begin, end, pos, depth)
        if isinstance(item, Anomaly):
            return item
        out.append(item)
        pos = end
    return tuple(out)


def _decode_one(buf: bytes, tag: int, begin: int, end: int, at: int, depth: int) -> Data | Anomaly:
    kind = tag & 0x1F
    constructed = bool(tag & CONSTRUCTED)
    if tag & 0xC0 != _CONTEXT or kind not in _KINDS or constructed != (kind in _LIST_KINDS):
        return Anomaly(K.UNKNOWN_DATA_TYPE, f"data tag 0x{tag:02x}", at)
    if kind in _LIST_KINDS:
        members = decode_data_list(buf, begin, end, depth + 1)
        if isinstance(members, Anomaly):
            return members
        return Data(DataKind(kind), members)
    raw = buf[begin:end]
    value: DataValue
    if kind == DataKind.BOOLEAN:
        if len(raw) != 1:
            return Anomaly(K.BAD_VALUE, f"boolean of {len(raw)} bytes", at)
        value = raw[0] != 0
    elif kind in _INTEGER_KINDS:
        number = read_integer(buf, begin, end)
        if number is None:
            return Anomaly(K.BAD_VALUE, "integer without content", at)
        value = number
    elif kind in _BITS_KINDS:
        if not raw or raw[0] > 7 or (raw[0] and len(raw) == 1):
            return Anomaly(K.BAD_VALUE, "bit string with a bad unused-bits octet", at)
        value = BitString(raw[0], raw[1:])
    elif kind == DataKind.FLOATING_POINT:
        value = _float(raw)
    elif kind == DataKind.VISIBLE_STRING:
        value = raw.decode("latin-1")
    elif kind == DataKind.MMS_STRING:
        value = raw.decode("utf-8", "surrogateescape")
    elif kind == DataKind.UTC_TIME:
        t = decode_utc_time(raw)
        if t is None:
            return Anomaly(K.BAD_VALUE, f"utc-time of {len(raw)} bytes", at)
        value = t
    else:  # _BYTES_KINDS
        value = raw
    return Data(DataKind(kind), value)


def _float(raw: bytes) -> float | bytes:
    if len(raw) == 5 and raw[0] == _FLOAT32_WIDTH:
        return float(_F32.unpack_from(raw, 1)[0])
    if len(raw) == 9 and raw[0] == _FLOAT64_WIDTH:
        return float(_F64.unpack_from(raw, 1)[0])
    return raw


def encode_data(data: Data) -> bytes:
    """One Data element (ValueError when the value does not suit the kind)."""
    kind = data.kind
    value = data.value
    if kind in _LIST_KINDS and isinstance(value, tuple):
        body = b"".join(encode_data(member) for member in value)
        return encode_tlv(_CONTEXT | CONSTRUCTED | kind, body)
    return encode_tlv(_CONTEXT | kind, _content(kind, value))


def _content(kind: int, value: DataValue) -> bytes:
    if kind == DataKind.BOOLEAN and isinstance(value, bool):
        return b"\x01" if value else b"\x00"
    if kind in _INTEGER_KINDS and isinstance(value, int) and not isinstance(value, bool):
        return integer_contents(value)
    if kind in _BITS_KINDS and isinstance(value, BitString):
        return bytes((value.padding,)) + value.data
    if kind == DataKind.FLOATING_POINT:
        if isinstance(value, bytes):
            return value
        if isinstance(value, float):
            # Single precision when exact (NaN fails both tests: double).
            if math.isinf(value) or abs(value) < 3.4e38:
                single = _F32.pack(value)
                if _F32.unpack(single)[0] == value:
                    return bytes((_FLOAT32_WIDTH,)) + single
            return bytes((_FLOAT64_WIDTH,)) + _F64.pack(value)
    if kind == DataKind.VISIBLE_STRING and isinstance(value, str):
        return value.encode("latin-1")
    if kind == DataKind.MMS_STRING and isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    if kind == DataKind.UTC_TIME and isinstance(value, UtcTime):
        return encode_utc_time(value)
    if kind in _BYTES_KINDS and isinstance(value, bytes):
        return value
    raise ValueError(f"cannot encode {value!r} as data kind {kind}")
