"""Raw device data -> tag values: register and byte layouts, scaling, quality of numbers.

Pure functions, shared by the drivers whose protocols carry untyped memory
(Modbus registers, S7 bytes).  Modbus registers are 16-bit words sent
high byte first; a device that stores a 32-bit value in two registers may
put either word first (``word_order``) and, rarely, swap the bytes inside
each word (``byte_order``): the four combinations are the ABCD, CDAB, BADC
and DCBA layouts of vendor manuals.  S7 memory is big-endian throughout.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence

from otm.polling.drivers.base import Value
from otm.polling.tags import Quality, TagSpec

_FORMATS = {
    "int8": ">b",
    "uint8": ">B",
    "int16": ">h",
    "uint16": ">H",
    "int32": ">i",
    "uint32": ">I",
    "int64": ">q",
    "uint64": ">Q",
    "float32": ">f",
    "float64": ">d",
}


def registers_to_bytes(registers: Sequence[int], byte_order: str, word_order: str) -> bytes:
    """Registers as the device sent them -> big-endian bytes of the value they hold."""
    words = list(registers)
    if word_order == "little":
        words.reverse()
    out = bytearray()
    for word in words:
        high, low = (word >> 8) & 0xFF, word & 0xFF
        out += bytes((low, high)) if byte_order == "little" else bytes((high, low))
    return bytes(out)


def bytes_to_registers(data: bytes, byte_order: str, word_order: str) -> list[int]:
    """The inverse of ``registers_to_bytes`` (for tests and simulators)."""
    if len(data) % 2:
        data += b"\x00"
    words = []
    for i in range(0, len(data), 2):
        a, b = data[i], data[i + 1]
        words.append((b << 8 | a) if byte_order == "little" else (a << 8 | b))
    if word_order == "little":
        words.reverse()
    return words


def decode_bytes(data: bytes, dtype: str) -> Value:
    """Big-endian bytes -> a value of ``dtype`` (not bool, not string)."""
    value: Value = struct.unpack(_FORMATS[dtype], data[: struct.calcsize(_FORMATS[dtype])])[0]
    return value


def decode_registers(registers: Sequence[int], tag: TagSpec, dtype: str, bit: int | None) -> Value:
    """Modbus holding/input registers -> the tag's raw value."""
    if bit is not None:
        return bool((registers[0] >> bit) & 1)
    if dtype == "bool":
        return registers[0] != 0
    data = registers_to_bytes(registers, tag.byte_order, tag.word_order)
    if dtype == "string":
        return _text(data[: tag.length])
    return decode_bytes(data, dtype)


def decode_s7(data: bytes, dtype: str, bit: int | None) -> Value:
    """S7 memory bytes -> the tag's raw value; strings are STRING[n] (max, length, chars)."""
    if bit is not None:
        return bool((data[0] >> bit) & 1)
    if dtype == "string":
        length = min(data[1], len(data) - 2) if len(data) >= 2 else 0
        return _text(data[2 : 2 + length])
    return decode_bytes(data, dtype)


def _text(data: bytes) -> str:
    return data.split(b"\x00", 1)[0].decode("latin-1").rstrip()


def finish(tag: TagSpec, raw: Value) -> tuple[Value, Quality]:
    """Scale a raw value (``raw * scale + offset``) and judge it.

    Integers stay integers when the tag neither scales nor offsets them;
    bools and strings are never scaled.  A float that is not finite (NaN,
    infinity: what many PLCs write for a broken sensor) is bad.
    """
    if isinstance(raw, bool | str):
        return raw, Quality.GOOD
    if tag.scale != 1.0 or tag.offset != 0.0:
        raw = raw * tag.scale + tag.offset
    if isinstance(raw, float) and not math.isfinite(raw):
        return raw, Quality.BAD
    return raw, Quality.GOOD


def coerce(value: object) -> Value | None:
    """A client library's value as one of the types observations carry, or None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    return str(value)
