"""Batching: join the addresses of many tags into few contiguous reads.

Reading forty holding registers in one request costs about what reading one
costs, so tags of one memory area (a Modbus table, an S7 data block) are
sorted by address and joined into spans.  Two neighbours join when the hole
between them is at most ``max_gap`` units (registers, bits or bytes, read and
thrown away) and the joined span stays within ``max_size`` units (125
registers or 2000 bits per Modbus read, the Modbus Application Protocol
v1.1b3 limits of sections 6.1-6.4; an S7 read answer fits one PDU).  An item
wider than ``max_size`` gets a span of its own.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Item:
    """One tag's place in memory: area ``key``, first unit, width; ``index`` of the tag."""

    key: Hashable
    start: int
    size: int
    index: int

    @property
    def end(self) -> int:
        """One past the last unit."""
        return self.start + self.size


@dataclass(frozen=True, slots=True)
class Span:
    """One read: ``size`` units of area ``key`` from ``start``, and the items inside."""

    key: Hashable
    start: int
    size: int
    items: tuple[Item, ...]

    @property
    def end(self) -> int:
        """One past the last unit."""
        return self.start + self.size


def plan_spans(items: Iterable[Item], max_size: int, max_gap: int) -> list[Span]:
    """Few spans covering every item, each at most ``max_size`` units (but see above).

    Greedy over items sorted by (area, start): extend the open span while the
    next item starts within ``max_gap`` of its end and the span stays within
    ``max_size``; otherwise start a new one.  Spans come out sorted.
    """
    ordered = sorted(items, key=lambda it: (repr(it.key), it.start, it.size, it.index))
    spans: list[Span] = []
    key: Hashable = None
    start = end = 0
    members: list[Item] = []
    for item in ordered:
        if members and item.key == key:
            joined_end = max(end, item.end)
            if item.start - end <= max_gap and joined_end - start <= max_size:
                members.append(item)
                end = joined_end
                continue
        if members:
            spans.append(Span(key, start, end - start, tuple(members)))
        key, start, end, members = item.key, item.start, item.end, [item]
    if members:
        spans.append(Span(key, start, end - start, tuple(members)))
    return spans


def split_span(span: Span) -> list[Span]:
    """The items of ``span`` as spans of their own (overlapping items stay together).

    Used when a device refuses a joined read (a Modbus illegal data address
    for a register in the hole between two tags): each tag is then read alone,
    so one unmapped address does not make its neighbours bad.
    """
    return plan_spans(span.items, max_size=max(it.size for it in span.items), max_gap=-1)
