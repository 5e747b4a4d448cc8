"""Information elements of each IEC 60870-5-104 type, declared as layouts.

A layout is the element class and its fields in wire order, each with its
octet codec (IEC 60870-5-101 7.3, sizes as in 104 9 for the standard
profile).  One generic decoder and one generic encoder walk a layout, so a
type is one line in ``LAYOUTS``; fields of the class that a type does not
carry (the QDS of a bitstring command, the time tag of an untagged type)
must stay None.

Types without a layout (secure authentication 81-95, whose elements are
variable and segmented, and the reserved and private type ids) are kept raw
by the codec.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from dataclasses import fields
from types import MappingProxyType
from typing import Any

from otm.protocols.common import Anomaly
from otm.protocols.iec104.anomalies import Iec104Anomaly
from otm.protocols.iec104.messages import (
    Bitstring,
    ClockSync,
    CounterInterrogation,
    Cp24Time,
    Cp56Time,
    DelayAcquisition,
    Directory,
    DoubleCommand,
    DoublePoint,
    Element,
    EndOfInitialization,
    FileAck,
    FileCall,
    FileReady,
    IntegratedTotal,
    Interrogation,
    LastSection,
    Normalized,
    PackedOutputCircuit,
    PackedSinglePoint,
    PackedStartEvents,
    ParameterActivation,
    ProtectionEvent,
    QueryLog,
    ReadCommand,
    RegulatingStep,
    ResetProcess,
    Scaled,
    SectionReady,
    SecurityStatistic,
    Segment,
    ShortFloat,
    SingleCommand,
    SinglePoint,
    StepPosition,
    TestCommand,
    TestCommandTimeTagged,
)

# Field codecs.
U8, U16, I16, U24, U32, I32, CP24, CP56, SEG = range(9)

WIDTHS: Mapping[int, int] = MappingProxyType(
    {U8: 1, U16: 2, I16: 2, U24: 3, U32: 4, I32: 4, CP24: 3, CP56: 7}
)
"""Octets of each fixed-width codec; SEG is a length octet plus that many octets."""

_RANGES: Mapping[int, tuple[int, int]] = MappingProxyType(
    {
        U8: (0, 0xFF),
        U16: (0, 0xFFFF),
        I16: (-0x8000, 0x7FFF),
        U24: (0, 0xFFFFFF),
        U32: (0, 0xFFFFFFFF),
        I32: (-0x80000000, 0x7FFFFFFF),
    }
)

Fields = tuple[tuple[str, int], ...]
Layout = tuple[Callable[..., Element], Fields]

_SP = (("siq", U8),)
_DP = (("diq", U8),)
_ST = (("vti", U8), ("qds", U8))
_BO = (("bsi", U32), ("qds", U8))
_NV = (("raw", I16), ("qualifier", U8))
_SV = (("value", I16), ("qualifier", U8))
_FL = (("bits", U32), ("qualifier", U8))
_IT = (("counter", I32), ("status", U8))
_EP = (("sep", U8), ("elapsed", U16))
_SE = (("spe", U8), ("qdp", U8), ("duration", U16))
_OC = (("oci", U8), ("qdp", U8), ("operating_time", U16))
_T24 = (("time", CP24),)
_T56 = (("time", CP56),)

LAYOUTS: Mapping[int, Layout] = MappingProxyType(
    {
        1: (SinglePoint, _SP),
        2: (SinglePoint, (*_SP, *_T24)),
        3: (DoublePoint, _DP),
        4: (DoublePoint, (*_DP, *_T24)),
        5: (StepPosition, _ST),
        6: (StepPosition, (*_ST, *_T24)),
        7: (Bitstring, _BO),
        8: (Bitstring, (*_BO, *_T24)),
        9: (Normalized, _NV),
        10: (Normalized, (*_NV, *_T24)),
        11: (Scaled, _SV),
        12: (Scaled, (*_SV, *_T24)),
        13: (ShortFloat, _FL),
        14: (ShortFloat, (*_FL, *_T24)),
        15: (IntegratedTotal, _IT),
        16: (IntegratedTotal, (*_IT, *_T24)),
        17: (ProtectionEvent, (*_EP, *_T24)),
        18: (PackedStartEvents, (*_SE, *_T24)),
        19: (PackedOutputCircuit, (*_OC, *_T24)),
        20: (PackedSinglePoint, (("scd", U32), ("qds", U8))),
        21: (Normalized, (("raw", I16),)),
        30: (SinglePoint, (*_SP, *_T56)),
        31: (DoublePoint, (*_DP, *_T56)),
        32: (StepPosition, (*_ST, *_T56)),
        33: (Bitstring, (*_BO, *_T56)),
        34: (Normalized, (*_NV, *_T56)),
        35: (Scaled, (*_SV, *_T56)),
        36: (ShortFloat, (*_FL, *_T56)),
        37: (IntegratedTotal, (*_IT, *_T56)),
        38: (ProtectionEvent, (*_EP, *_T56)),
        39: (PackedStartEvents, (*_SE, *_T56)),
        40: (PackedOutputCircuit, (*_OC, *_T56)),
        41: (SecurityStatistic, (("association", U16), *_IT, *_T56)),
        45: (SingleCommand, (("sco", U8),)),
        46: (DoubleCommand, (("dco", U8),)),
        47: (RegulatingStep, (("rco", U8),)),
        48: (Normalized, _NV),
        49: (Scaled, _SV),
        50: (ShortFloat, _FL),
        51: (Bitstring, (("bsi", U32),)),
        58: (SingleCommand, (("sco", U8), *_T56)),
        59: (DoubleCommand, (("dco", U8), *_T56)),
        60: (RegulatingStep, (("rco", U8), *_T56)),
        61: (Normalized, (*_NV, *_T56)),
        62: (Scaled, (*_SV, *_T56)),
        63: (ShortFloat, (*_FL, *_T56)),
        64: (Bitstring, (("bsi", U32), *_T56)),
        70: (EndOfInitialization, (("coi", U8),)),
        100: (Interrogation, (("qoi", U8),)),
        101: (CounterInterrogation, (("qcc", U8),)),
        102: (ReadCommand, ()),
        103: (ClockSync, _T56),
        104: (TestCommand, (("pattern", U16),)),
        105: (ResetProcess, (("qrp", U8),)),
        106: (DelayAcquisition, (("delay", U16),)),
        107: (TestCommandTimeTagged, (("counter", U16), *_T56)),
        110: (Normalized, _NV),
        111: (Scaled, _SV),
        112: (ShortFloat, _FL),
        113: (ParameterActivation, (("qpa", U8),)),
        120: (FileReady, (("file_name", U16), ("length", U24), ("frq", U8))),
        121: (SectionReady, (("file_name", U16), ("section", U8), ("length", U24), ("srq", U8))),
        122: (FileCall, (("file_name", U16), ("section", U8), ("scq", U8))),
        123: (LastSection, (("file_name", U16), ("section", U8), ("lsq", U8), ("checksum", U8))),
        124: (FileAck, (("file_name", U16), ("section", U8), ("afq", U8))),
        125: (Segment, (("file_name", U16), ("section", U8), ("data", SEG))),
        126: (Directory, (("file_name", U16), ("length", U24), ("sof", U8), *_T56)),
        127: (QueryLog, (("file_name", U16), ("start", CP56), ("stop", CP56))),
    }
)
"""Type id -> (element class, fields in wire order)."""


def _size(layout_fields: Fields) -> int | None:
    if any(codec == SEG for _, codec in layout_fields):
        return None
    return sum(WIDTHS[codec] for _, codec in layout_fields)


ELEMENT_SIZES: Mapping[int, int | None] = MappingProxyType(
    {type_id: _size(spec) for type_id, (_, spec) in LAYOUTS.items()}
)
"""Type id -> octets of one element (IOA excluded); None when variable (125)."""

_ABSENT: Mapping[int, tuple[str, ...]] = MappingProxyType(
    {
        type_id: tuple(
            f.name
            for f in fields(cls)  # type: ignore[arg-type]
            if f.name not in {name for name, _ in spec}
        )
        for type_id, (cls, spec) in LAYOUTS.items()
    }
)
"""Type id -> the element's fields that this type does not carry (must be None)."""

_U16 = struct.Struct("<H")
_I16 = struct.Struct("<h")
_U32 = struct.Struct("<I")
_I32 = struct.Struct("<i")

K = Iec104Anomaly


# --- time tags ------------------------------------------------------------------------


def decode_cp24(buf: bytes, at: int) -> Cp24Time:
    """CP24Time2a at ``buf[at:at + 3]`` (the caller checked the length)."""
    flags = buf[at + 2]
    return Cp24Time(
        _U16.unpack_from(buf, at)[0], flags & 0x3F, bool(flags & 0x40), bool(flags & 0x80)
    )


def decode_cp56(buf: bytes, at: int) -> Cp56Time:
    """CP56Time2a at ``buf[at:at + 7]`` (the caller checked the length)."""
    ms = _U16.unpack_from(buf, at)[0]
    minute, hour, day, month, year = buf[at + 2 : at + 7]
    reserved = ((hour >> 5) & 0x03) | ((month >> 4) << 2) | ((year >> 7) << 6)
    return Cp56Time(
        ms,
        minute & 0x3F,
        hour & 0x1F,
        day & 0x1F,
        month & 0x0F,
        year & 0x7F,
        day >> 5,
        bool(hour & 0x80),
        bool(minute & 0x40),
        bool(minute & 0x80),
        reserved,
    )


def _check(value: int, low: int, high: int, what: str) -> None:
    if not low <= value <= high:
        raise ValueError(f"{what} {value} outside {low}-{high}")


def encode_cp24(time: Cp24Time) -> bytes:
    """CP24Time2a octets; ``ValueError`` for a field out of its bits."""
    _check(time.milliseconds, 0, 0xFFFF, "milliseconds")
    _check(time.minute, 0, 0x3F, "minute")
    flags = time.minute | (0x40 if time.substituted else 0) | (0x80 if time.invalid else 0)
    return _U16.pack(time.milliseconds) + bytes((flags,))


def encode_cp56(time: Cp56Time) -> bytes:
    """CP56Time2a octets; ``ValueError`` for a field out of its bits."""
    _check(time.milliseconds, 0, 0xFFFF, "milliseconds")
    _check(time.minute, 0, 0x3F, "minute")
    _check(time.hour, 0, 0x1F, "hour")
    _check(time.day, 0, 0x1F, "day")
    _check(time.day_of_week, 0, 0x07, "day of week")
    _check(time.month, 0, 0x0F, "month")
    _check(time.year, 0, 0x7F, "year")
    _check(time.reserved, 0, 0x7F, "reserved bits")
    res = time.reserved
    return _U16.pack(time.milliseconds) + bytes(
        (
            time.minute | (0x40 if time.substituted else 0) | (0x80 if time.invalid else 0),
            time.hour | ((res & 0x03) << 5) | (0x80 if time.summer_time else 0),
            time.day | (time.day_of_week << 5),
            time.month | (((res >> 2) & 0x0F) << 4),
            time.year | (((res >> 6) & 0x01) << 7),
        )
    )


# --- elements ---------------------------------------------------------------------------


def decode_element(type_id: int, buf: bytes, at: int, end: int) -> tuple[Element, int] | Anomaly:
    """The element of ``type_id`` at ``buf[at:end]`` and the offset after it.

    ``TRUNCATED`` when ``end`` comes first; offsets index ``buf``.  The type
    must have a layout (see ``LAYOUTS``).
    """
    cls, spec = LAYOUTS[type_id]
    values: dict[str, Any] = {}
    # At most 8 fields a layout.
    for name, codec in spec:
        if codec == SEG:
            if at >= end:
                return Anomaly(K.TRUNCATED, "segment length octet missing", end)
            count = buf[at]
            if end - at - 1 < count:
                return Anomaly(K.TRUNCATED, f"segment of {count} octets cut", end)
            values[name] = bytes(buf[at + 1 : at + 1 + count])
            at += 1 + count
            continue
        width = WIDTHS[codec]
        if end - at < width:
            return Anomaly(K.TRUNCATED, f"element field {name} needs {width} octets", end)
        if codec == U8:
            values[name] = buf[at]
        elif codec == U16:
            values[name] = _U16.unpack_from(buf, at)[0]
        elif codec == I16:
            values[name] = _I16.unpack_from(buf, at)[0]
        elif codec == U24:
            values[name] = int.from_bytes(buf[at : at + 3], "little")
        elif codec == U32:
            values[name] = _U32.unpack_from(buf, at)[0]
        elif codec == I32:
            values[name] = _I32.unpack_from(buf, at)[0]
        elif codec == CP24:
            values[name] = decode_cp24(buf, at)
        else:
            values[name] = decode_cp56(buf, at)
        at += width
    return cls(**values), at


def encode_element(type_id: int, element: Element) -> bytes:
    """Octets of one element of ``type_id``; ``ValueError`` when the element is not
    this type's class, carries a field the type has not, or a value out of range."""
    layout = LAYOUTS.get(type_id)
    if layout is None:
        raise ValueError(f"type {type_id} has no element layout (kept raw)")
    cls, spec = layout
    if type(element) is not cls:
        expected = getattr(cls, "__name__", "?")
        raise ValueError(f"type {type_id} carries {expected}, not {type(element).__name__}")
    for name in _ABSENT[type_id]:
        if getattr(element, name) is not None:
            raise ValueError(f"type {type_id} has no {name}")
    out = bytearray()
    for name, codec in spec:
        value = getattr(element, name)
        if codec == SEG:
            if not isinstance(value, bytes) or len(value) > 0xFF:
                raise ValueError("a segment is at most 255 octets")
            out += bytes((len(value),)) + value
        elif codec == CP24:
            if not isinstance(value, Cp24Time):
                raise ValueError(f"type {type_id} needs a CP24Time2a")
            out += encode_cp24(value)
        elif codec == CP56:
            if not isinstance(value, Cp56Time):
                raise ValueError(f"type {type_id} needs a CP56Time2a")
            out += encode_cp56(value)
        else:
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"{name} must be an int")
            low, high = _RANGES[codec]
            _check(value, low, high, name)
            if codec == U8:
                out.append(value)
            elif codec == U16:
                out += _U16.pack(value)
            elif codec == I16:
                out += _I16.pack(value)
            elif codec == U24:
                out += value.to_bytes(3, "little")
            elif codec == U32:
                out += _U32.pack(value)
            else:
                out += _I32.pack(value)
    return bytes(out)
