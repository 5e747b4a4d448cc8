"""Hypothesis strategies for DNP3 messages that the codec must round-trip.

Object headers are built the way ``otm.protocols.dnp3.objects`` sizes them:
a qualifier (prefix and range codes), a range field of the width the code
asks for, and objects of the size their group and variation have (fixed,
packed bits, variation-as-length, group 0 attributes, or size-prefixed).
A fragment may end with a header the walk cannot size, followed by
arbitrary ``rest`` octets.
"""

from __future__ import annotations

from hypothesis import strategies as st

from otm.protocols.dnp3.constants import (
    COUNT_WIDTHS,
    INDEX_PREFIX_SIZES,
    SIZE_PREFIX_SIZES,
    START_STOP_WIDTHS,
    LinkPrimaryFunction,
    LinkSecondaryFunction,
)
from otm.protocols.dnp3.messages import LinkFrame, ObjectHeader, Request, Response
from otm.protocols.dnp3.objects import FIXED_SIZES, PACKED_BITS

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)

DATA_REQUESTS = (2, 3, 4, 5, 6, 16, 17, 18, 25, 26, 31, 32)
"""Request function codes whose headers carry objects."""

HEADER_ONLY_REQUESTS = (1, 7, 8, 9, 10, 20, 21, 22)
"""Request function codes whose headers name points only."""

RESPONSES = (129, 130, 131)

_SIZED = sorted(k for k, size in FIXED_SIZES.items() if size > 0)
_PACKED = sorted(PACKED_BITS)
_RANGE_CODES = (*START_STOP_WIDTHS, *COUNT_WIDTHS)

UNSIZABLE = (200, 201)
"""Groups the object library does not define: the walk stops at them."""


def link_frames() -> st.SearchStrategy[LinkFrame]:
    """Valid frames: user data only in (un)confirmed user data, functions defined for PRM."""
    bits = st.sampled_from((0x00, 0x10, 0x20, 0x30)).flatmap(
        lambda fcb_fcv: st.sampled_from((0x00, 0x80)).map(lambda d: d | fcb_fcv)
    )
    user = st.builds(
        lambda b, f, data: (b | 0x40 | f, data),
        bits,
        st.sampled_from((3, 4)),
        st.binary(min_size=1, max_size=250),
    )
    primary = st.builds(
        lambda b, f: (b | 0x40 | f, b""),
        bits,
        st.sampled_from([f for f in LinkPrimaryFunction if f not in (3, 4)]),
    )
    secondary = st.builds(
        lambda b, f: (b | f, b""), bits, st.sampled_from(list(LinkSecondaryFunction))
    )
    return st.builds(
        lambda cd, dst, src: LinkFrame(cd[0], dst, src, cd[1]),
        st.one_of(user, primary, secondary),
        u16,
        u16,
    )


@st.composite
def _range(draw: st.DrawFn, code: int) -> tuple[int | None, int | None, int | None, int]:
    """(start, stop, count, quantity) for a range code, with at most 6 objects."""
    if code in START_STOP_WIDTHS:
        top = (1 << (8 * START_STOP_WIDTHS[code])) - 1
        quantity = draw(st.integers(1, 6))
        start = draw(st.integers(0, top - quantity + 1))
        return start, start + quantity - 1, None, quantity
    quantity = draw(st.integers(0, 6))
    return None, None, quantity, quantity


@st.composite
def sized_header(draw: st.DrawFn, with_data: bool = True) -> ObjectHeader:
    """A header the walk sizes, with its objects (or none when ``with_data`` is False)."""
    kind = draw(st.sampled_from(("fixed", "packed", "string", "attributes", "size_prefixed")))
    code = draw(st.sampled_from(_RANGE_CODES))
    start, stop, count, quantity = draw(_range(code))
    if not with_data:
        group, variation = draw(st.sampled_from(_SIZED + _PACKED))
        prefix = draw(st.integers(0, 6))
        if draw(st.booleans()):
            return ObjectHeader(group, variation, (prefix << 4) | 0x06, None, None, None, b"")
        return ObjectHeader(group, variation, (prefix << 4) | code, start, stop, count, b"")
    if kind == "size_prefixed":
        prefix = draw(st.sampled_from(sorted(SIZE_PREFIX_SIZES)))
        width = SIZE_PREFIX_SIZES[prefix]
        # Any group but a class (60): class headers never carry objects.
        group, variation = draw(u8.filter(lambda g: g != 60)), draw(u8)
        parts = [draw(st.binary(max_size=12)) for _ in range(quantity)]
        data = b"".join(len(p).to_bytes(width, "little") + p for p in parts)
        return ObjectHeader(group, variation, (prefix << 4) | code, start, stop, count, data)
    if kind == "packed":
        group, variation = draw(st.sampled_from(_PACKED))
        size = (quantity * PACKED_BITS[(group, variation)] + 7) // 8
        data = draw(st.binary(min_size=size, max_size=size))
        return ObjectHeader(group, variation, code, start, stop, count, data)
    prefix = draw(st.sampled_from((0, *INDEX_PREFIX_SIZES)))
    index_width = INDEX_PREFIX_SIZES.get(prefix, 0)
    objects: list[bytes] = []
    if kind == "fixed":
        group, variation = draw(st.sampled_from(_SIZED))
        size = FIXED_SIZES[(group, variation)]
        objects = [draw(st.binary(min_size=size, max_size=size)) for _ in range(quantity)]
    elif kind == "string":
        group, variation = draw(st.sampled_from((110, 111, 112, 113))), draw(st.integers(1, 20))
        objects = [draw(st.binary(min_size=variation, max_size=variation)) for _ in range(quantity)]
    else:
        group, variation = 0, draw(st.integers(196, 255))
        for _ in range(quantity):
            value = draw(st.binary(max_size=20))
            objects.append(bytes((draw(u8), len(value))) + value)
    indexes = st.binary(min_size=index_width, max_size=index_width)
    data = b"".join(draw(indexes) + o for o in objects)
    return ObjectHeader(group, variation, (prefix << 4) | code, start, stop, count, data)


@st.composite
def _tail(draw: st.DrawFn) -> tuple[tuple[ObjectHeader, ...], bytes]:
    """Nothing, or one header the walk cannot size followed by arbitrary octets."""
    if not draw(st.booleans()):
        return (), b""
    code = draw(st.sampled_from(_RANGE_CODES))
    start, stop, count, _ = draw(_range(code))
    group = draw(st.sampled_from(UNSIZABLE))
    header = ObjectHeader(group, draw(u8), code, start, stop, count, None)
    return (header,), draw(st.binary(max_size=30))


@st.composite
def requests(draw: st.DrawFn) -> Request:
    """Requests of a function with objects, or of one that only names points."""
    control = draw(u8)
    if draw(st.booleans()):
        function = draw(st.sampled_from(DATA_REQUESTS))
        headers = draw(st.lists(sized_header(), max_size=4))
        tail, rest = draw(_tail())
        return Request(control, function, tuple(headers) + tail, rest)
    function = draw(st.sampled_from(HEADER_ONLY_REQUESTS))
    headers = draw(st.lists(sized_header(with_data=False), max_size=5))
    return Request(control, function, tuple(headers))


@st.composite
def responses(draw: st.DrawFn) -> Response:
    """Responses, unsolicited responses and authentication responses."""
    headers = draw(st.lists(sized_header(), max_size=4))
    tail, rest = draw(_tail())
    return Response(
        draw(u8), draw(st.sampled_from(RESPONSES)), draw(u16), tuple(headers) + tail, rest
    )
