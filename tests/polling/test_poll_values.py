"""Register and byte layouts -> values, and batching of addresses into few reads."""

from __future__ import annotations

import itertools
import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otm.polling.drivers.plan import Item, plan_spans, split_span
from otm.polling.drivers.values import (
    bytes_to_registers,
    coerce,
    decode_registers,
    decode_s7,
    finish,
    registers_to_bytes,
)
from otm.polling.tags import Quality, TagSpec

FORMATS = {
    "int16": ">h", "uint16": ">H", "int32": ">i", "uint32": ">I", "int64": ">q", "uint64": ">Q",
    "float32": ">f", "float64": ">d",
}  # fmt: skip
ORDERS = st.sampled_from(["big", "little"])


@st.composite
def typed_values(draw: st.DrawFn) -> tuple[str, bytes]:
    dtype = draw(st.sampled_from(sorted(FORMATS)))
    data = draw(st.binary(min_size=struct.calcsize(FORMATS[dtype]),
                          max_size=struct.calcsize(FORMATS[dtype])))  # fmt: skip
    return dtype, data


@given(typed_values(), ORDERS, ORDERS)
def test_poll_registers_round_trip_every_layout(
    typed: tuple[str, bytes], byte_order: str, word_order: str
) -> None:
    dtype, data = typed
    tag = TagSpec(name="t", address="hr:0", type=dtype,  # type: ignore[arg-type]
                  byte_order=byte_order, word_order=word_order)  # type: ignore[arg-type]  # fmt: skip
    registers = bytes_to_registers(data, byte_order, word_order)
    assert all(0 <= r <= 0xFFFF for r in registers)
    assert registers_to_bytes(registers, byte_order, word_order) == data
    expected = struct.unpack(FORMATS[dtype], data)[0]
    got = decode_registers(registers, tag, dtype, None)
    assert got == expected or (math.isnan(expected) and math.isnan(got))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("registers", "byte_order", "word_order"),
    [
        ([0x42F6, 0xE979], "big", "big"),  # ABCD
        ([0xE979, 0x42F6], "big", "little"),  # CDAB
        ([0xF642, 0x79E9], "little", "big"),  # BADC
        ([0x79E9, 0xF642], "little", "little"),  # DCBA
    ],
)
def test_poll_float_in_the_four_vendor_layouts(
    registers: list[int], byte_order: str, word_order: str
) -> None:
    tag = TagSpec(name="t", address="hr:0", type="float32",
                  byte_order=byte_order, word_order=word_order)  # type: ignore[arg-type]  # fmt: skip
    assert decode_registers(registers, tag, "float32", None) == pytest.approx(123.456, rel=1e-6)


def test_poll_register_bits_bools_and_strings() -> None:
    tag = TagSpec(name="t", address="hr:0", type="string", length=5)
    assert decode_registers([0x4142, 0x4344, 0x4500], tag, "string", None) == "ABCDE"
    plain = TagSpec(name="t", address="hr:0")
    assert decode_registers([0b1000], plain, "bool", 3) is True
    assert decode_registers([0b1000], plain, "bool", 2) is False
    assert decode_registers([7], plain, "bool", None) is True


def test_poll_s7_layouts() -> None:
    assert decode_s7(struct.pack(">f", -3.25), "float32", None) == -3.25
    assert decode_s7(b"\x80", "bool", 7) is True
    assert decode_s7(b"\x0a\x03ABCxxxxxxx", "string", None) == "ABC"
    assert decode_s7(b"\x0a\x7fAB", "string", None) == "AB"  # a length past the data is cut
    assert decode_s7(b"\xff\xfe", "int16", None) == -2


def test_poll_scaling_and_judging() -> None:
    raw = TagSpec(name="t", address="hr:0")
    assert finish(raw, 7) == (7, Quality.GOOD) and isinstance(finish(raw, 7)[0], int)
    scaled = TagSpec(name="t", address="hr:0", scale=0.1, offset=-5)
    assert finish(scaled, 1234)[0] == pytest.approx(118.4)
    assert finish(scaled, True) == (True, Quality.GOOD)
    assert finish(raw, math.nan)[1] is Quality.BAD
    assert finish(raw, math.inf)[1] is Quality.BAD
    assert coerce(b"\x01\x02") == "0102" and coerce(None) is None and coerce([1]) == "[1]"


@st.composite
def items(draw: st.DrawFn) -> list[Item]:
    n = draw(st.integers(0, 40))
    return [
        Item(draw(st.sampled_from(["hr", "ir"])), draw(st.integers(0, 300)),
             draw(st.integers(1, 6)), i)
        for i in range(n)
    ]  # fmt: skip


@given(items(), st.integers(1, 125), st.integers(0, 20))
def test_poll_spans_cover_every_item_within_limits(
    tags: list[Item], max_size: int, max_gap: int
) -> None:
    spans = plan_spans(tags, max_size, max_gap)
    placed = sorted(it.index for s in spans for it in s.items)
    assert placed == sorted(t.index for t in tags)
    for span in spans:
        assert all(it.key == span.key and span.start <= it.start and it.end <= span.end
                   for it in span.items)  # fmt: skip
        assert (
            span.size <= max_size
            or len(span.items) == 1
            or all(it.size > max_size for it in span.items)
        )
        assert span.start == min(it.start for it in span.items)
        assert span.end == max(it.end for it in span.items)
        end = span.items[0].end
        for item in span.items[1:]:
            assert item.start - end <= max_gap
            end = max(end, item.end)
    for a, b in itertools.pairwise(spans):  # greedy: a neighbour could not be joined
        if a.key == b.key:
            first = b.items[0]
            assert first.start - a.end > max_gap or max(a.end, first.end) - a.start > max_size


def test_poll_contiguous_registers_are_one_read() -> None:
    tags = [Item("hr", 2 * i, 2, i) for i in range(100)]  # a hundred float32 tags
    spans = plan_spans(tags, 125, 0)
    assert [(s.start, s.size) for s in spans] == [(0, 124), (124, 76)]
    assert len(plan_spans([Item("hr", 0, 1, 0), Item("hr", 10, 1, 1)], 125, 8)) == 2
    assert len(plan_spans([Item("hr", 0, 1, 0), Item("hr", 10, 1, 1)], 125, 9)) == 1


def test_poll_split_keeps_overlapping_items_together() -> None:
    span = plan_spans([Item("hr", 0, 1, 0), Item("hr", 0, 1, 1), Item("hr", 5, 2, 2)], 125, 16)[0]
    parts = split_span(span)
    assert [(p.start, p.size, len(p.items)) for p in parts] == [(0, 1, 2), (5, 2, 1)]
