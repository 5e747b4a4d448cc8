"""Object headers of an application fragment: walking them, sizing their objects, group 0.

A fragment's objects carry no length of their own: the size of each object
follows from its group and variation (IEEE 1815-2012, Annex A), the number
of objects from the header's range field, and a prefix (index or object
size) may precede each object.  The walk reads one header, sizes what it
covers, and goes on; an object it cannot size (a group/variation not in
``FIXED_SIZES``, packed objects with a prefix, a response header with range
code 6) ends the walk *without an error*: the header is returned with
``data=None`` and the octets after it are left to the caller as ``rest``.
Only what is malformed whatever the object (a cut header, a reserved
qualifier, a stop below its start, objects running past the fragment) is an
anomaly.  In a request, a header for "all objects" (range code 6) names
points and carries no object values.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from otm.protocols.common import Anomaly
from otm.protocols.dnp3.anomalies import Dnp3Anomaly
from otm.protocols.dnp3.constants import (
    COUNT_WIDTHS,
    DEVICE_ATTRIBUTES_GROUP,
    FIRST_RESPONSE_CODE,
    INDEX_PREFIX_SIZES,
    SIZE_PREFIX_SIZES,
    START_STOP_WIDTHS,
    FunctionCode,
)
from otm.protocols.dnp3.messages import DeviceAttribute, ObjectHeader, Response

K = Dnp3Anomaly


def _sizes(groups: tuple[int, ...], sizes: tuple[int, ...]) -> dict[tuple[int, int], int]:
    """Table rows for groups whose variations 1..n have the sizes given in order."""
    return {(g, v): s for g in groups for v, s in enumerate(sizes, start=1)}


_ANALOG_EVENT = (5, 3, 11, 9, 5, 9, 11, 15)
"""32-bit, 16-bit, each with time; float, double; each with time (flag first)."""

FIXED_SIZES: Mapping[tuple[int, int], int] = MappingProxyType(
    {
        (1, 2): 1,  # binary input with flags
        **_sizes((2, 4), (1, 7, 3)),  # (double-bit) binary input event: none, abs, relative time
        (3, 2): 1,  # double-bit binary input with flags
        (10, 2): 1,  # binary output status with flags
        **_sizes((11, 13), (1, 7)),  # binary output (command) event, without / with time
        **_sizes((12,), (11, 11)),  # CROB, pattern control block
        **_sizes((20,), (5, 3, 5, 3, 4, 2, 4, 2)),  # counters (delta: obsolete)
        **_sizes((21,), (5, 3, 5, 3, 11, 9, 11, 9, 4, 2, 4, 2)),  # frozen counters
        **_sizes((22, 23), (5, 3, 5, 3, 11, 9, 11, 9)),  # (frozen) counter events
        **_sizes((30,), (5, 3, 4, 2, 5, 9)),  # analog inputs
        **_sizes((31,), (5, 3, 11, 9, 4, 2, 5, 9)),  # frozen analog inputs
        **_sizes((32, 33, 42, 43), _ANALOG_EVENT),  # analog (frozen/output/command) events
        **_sizes((34,), (2, 4, 4)),  # analog input deadbands
        **_sizes((40, 41), (5, 3, 5, 9)),  # analog output status, analog output block
        **_sizes((50,), (6, 10, 6, 11)),  # time and date
        **_sizes((51,), (6, 6)),  # common time of occurrence
        **_sizes((52,), (2, 2)),  # time delay coarse / fine
        **_sizes((60,), (0, 0, 0, 0)),  # class 0-3 data: a name, no value
        **_sizes((101,), (2, 4, 8)),  # binary-coded decimal integers
        (102, 1): 1,  # unsigned 8-bit integer
        (121, 1): 7,  # security statistic: flags, association id, value
        **_sizes((122,), (7, 13)),  # security statistic event, without / with time
    }
)
"""(group, variation) -> octets of one object, without its prefix."""

PACKED_BITS: Mapping[tuple[int, int], int] = MappingProxyType(
    {(1, 1): 1, (3, 1): 2, (10, 1): 1, (12, 3): 1, (80, 1): 1}
)
"""(group, variation) -> bits per object of the packed variations (octets padded)."""

LENGTH_IS_VARIATION = frozenset((110, 111, 112, 113))
"""Octet strings and virtual terminal data: the variation is the object's length."""

HEADERS_ONLY_FUNCTIONS = frozenset(
    (
        FunctionCode.READ,
        FunctionCode.IMMEDIATE_FREEZE,
        FunctionCode.IMMEDIATE_FREEZE_NR,
        FunctionCode.FREEZE_CLEAR,
        FunctionCode.FREEZE_CLEAR_NR,
        FunctionCode.ENABLE_UNSOLICITED,
        FunctionCode.DISABLE_UNSOLICITED,
        FunctionCode.ASSIGN_CLASS,
    )
)
"""Requests whose object headers name points and carry no object values."""

_FREEZE_AT_TIME = frozenset((FunctionCode.FREEZE_AT_TIME, FunctionCode.FREEZE_AT_TIME_NR))
_CLASS_GROUP = 60
_TIME_GROUP = 50


def carries_data(function_code: int, group: int) -> bool:
    """Whether a header of ``group`` is followed by objects in a fragment of ``function_code``.

    Responses always; requests unless they only name points (read, freeze,
    (dis)enable unsolicited, assign class) or the group is a class (60);
    freeze-at-time requests carry one time and interval object (group 50).
    """
    if function_code >= FIRST_RESPONSE_CODE:
        return True
    if group == _CLASS_GROUP or function_code in HEADERS_ONLY_FUNCTIONS:
        return False
    if function_code in _FREEZE_AT_TIME:
        return group == _TIME_GROUP
    return True


def _uint(buf: bytes, pos: int, width: int) -> int:
    return int.from_bytes(buf[pos : pos + width], "little")


def walk_objects(
    buf: bytes, pos: int, function_code: int
) -> tuple[tuple[ObjectHeader, ...], bytes] | Anomaly:
    """The object headers of ``buf[pos:]`` and the octets left after the walk stopped.

    Each turn consumes one header (three octets at least) or ends the walk:
    bounded by the fragment's length.
    """
    end = len(buf)
    headers: list[ObjectHeader] = []
    while pos < end:
        if end - pos < 3:
            return Anomaly(K.TRUNCATED, f"object header cut after {end - pos} octets", end)
        group, variation, qualifier = buf[pos], buf[pos + 1], buf[pos + 2]
        header_at = pos
        prefix, code = (qualifier >> 4) & 0x07, qualifier & 0x0F
        if qualifier & 0x80 or prefix == 7 or code == 0x0A or code > 0x0B:
            return Anomaly(K.INVALID_QUALIFIER, f"qualifier 0x{qualifier:02x}", pos + 2)
        pos += 3
        start = stop = count = None
        width = START_STOP_WIDTHS.get(code)
        if width is not None:
            if end - pos < 2 * width:
                return Anomaly(K.TRUNCATED, "start-stop range cut", end)
            start, stop = _uint(buf, pos, width), _uint(buf, pos + width, width)
            pos += 2 * width
            if stop < start:
                return Anomaly(K.INVALID_RANGE, f"stop {stop} below start {start}", header_at)
            quantity: int | None = stop - start + 1
        elif code == 0x06:
            quantity = None
        else:
            width = COUNT_WIDTHS[code]
            if end - pos < width:
                return Anomaly(K.TRUNCATED, "count cut", end)
            count = quantity = _uint(buf, pos, width)
            pos += width
        if not carries_data(function_code, group) or (
            quantity is None and function_code < FIRST_RESPONSE_CODE
        ):
            headers.append(ObjectHeader(group, variation, qualifier, start, stop, count, b""))
            continue
        size = _objects_size(buf, pos, group, variation, prefix, quantity)
        if isinstance(size, Anomaly):
            return size
        if size is None:
            headers.append(ObjectHeader(group, variation, qualifier, start, stop, count, None))
            return tuple(headers), bytes(buf[pos:])
        if size > end - pos:
            return Anomaly(
                K.TRUNCATED,
                f"g{group}v{variation}: {size} object octets, {end - pos} present",
                end,
            )
        data = bytes(buf[pos : pos + size])
        headers.append(ObjectHeader(group, variation, qualifier, start, stop, count, data))
        pos += size
    return tuple(headers), b""


def _objects_size(
    buf: bytes, pos: int, group: int, variation: int, prefix: int, quantity: int | None
) -> int | Anomaly | None:
    """Octets of the objects after a header; None when they cannot be sized."""
    if quantity is None:
        return None  # "all objects" says nothing of how many follow
    size_width = SIZE_PREFIX_SIZES.get(prefix)
    if size_width is not None:
        return _walk_sized(buf, pos, quantity, size_width)
    index_width = INDEX_PREFIX_SIZES.get(prefix, 0)
    if group == DEVICE_ATTRIBUTES_GROUP:
        return _walk_attributes(buf, pos, quantity, index_width)
    bits = PACKED_BITS.get((group, variation))
    if bits is not None:
        return None if index_width else (quantity * bits + 7) // 8
    fixed = FIXED_SIZES.get((group, variation))
    if fixed is None and group in LENGTH_IS_VARIATION:
        fixed = variation
    if fixed is None:
        return None
    return quantity * (index_width + fixed)


def _walk_sized(buf: bytes, pos: int, quantity: int, width: int) -> int | Anomaly:
    """Objects each preceded by their size: every turn consumes ``width`` octets at least."""
    end = len(buf)
    at = pos
    for _ in range(quantity):
        if end - at < width:
            return Anomaly(K.TRUNCATED, "object size prefix cut", end)
        at += width + _uint(buf, at, width)
        if at > end:
            return Anomaly(K.TRUNCATED, "sized object cut", end)
    return at - pos


def _walk_attributes(buf: bytes, pos: int, quantity: int, index_width: int) -> int | Anomaly:
    """Device attributes: ``[index] | data type | length | value``, at least 2 octets each."""
    end = len(buf)
    at = pos
    for _ in range(quantity):
        at += index_width
        if end - at < 2:
            return Anomaly(K.TRUNCATED, "device attribute header cut", end)
        at += 2 + buf[at + 1]
        if at > end:
            return Anomaly(K.TRUNCATED, "device attribute value cut", end)
    return at - pos


def encode_object_header(header: ObjectHeader) -> bytes:
    """The header's octets (group, variation, qualifier, range field) and its objects.

    ``start``/``stop`` or ``count`` must be set as the qualifier's range code
    wants them (``ValueError`` otherwise); ``data=None`` encodes no objects.
    """
    code = header.qualifier & 0x0F
    out = bytearray((header.group, header.variation, header.qualifier))
    width = START_STOP_WIDTHS.get(code)
    if width is not None:
        if header.start is None or header.stop is None:
            raise ValueError(f"qualifier 0x{header.qualifier:02x} needs start and stop")
        out += header.start.to_bytes(width, "little") + header.stop.to_bytes(width, "little")
    elif code in COUNT_WIDTHS:
        if header.count is None:
            raise ValueError(f"qualifier 0x{header.qualifier:02x} needs a count")
        out += header.count.to_bytes(COUNT_WIDTHS[code], "little")
    elif code != 0x06:
        raise ValueError(f"reserved range code in qualifier 0x{header.qualifier:02x}")
    if header.data:
        out += header.data
    return bytes(out)


def device_attributes(response: Response) -> tuple[DeviceAttribute, ...]:
    """Every group 0 object of a response, in order (headers the walk could not size skipped)."""
    out: list[DeviceAttribute] = []
    for header in response.objects:
        if header.group != DEVICE_ATTRIBUTES_GROUP or not header.data:
            continue
        index_width = INDEX_PREFIX_SIZES.get(header.prefix_code, 0)
        size_width = SIZE_PREFIX_SIZES.get(header.prefix_code, 0)
        data = header.data
        at = 0
        # The walk sized these objects, so each turn consumes at least 2 octets.
        for number in range(header.quantity or 0):
            index: int | None
            if index_width:
                index = _uint(data, at, index_width)
            elif header.start is not None:
                index = header.start + number
            else:
                index = None
            at += index_width + size_width
            if at + 2 > len(data):
                break
            length = data[at + 1]
            value = data[at + 2 : at + 2 + length]
            out.append(DeviceAttribute(header.variation, index, data[at], value))
            at += 2 + length
    return tuple(out)
