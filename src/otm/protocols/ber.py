"""ASN.1 BER elements (ITU-T X.690), read in place and written: the subset codecs share.

Shared because SNMP (RFC 3417 section 8) and IEC 61850 GOOSE/SV (8-1 Annex
A, 9-2 clause 8.5) use the same subset of BER, and two copies of the length
rules had already begun to drift: definite lengths only, one identifier
octet (tag numbers 0-30), at most ``MAX_LENGTH_OCTETS`` long-form length
octets.  An element is ``identifier u8 | length | contents``::

    length  0xxxxxxx              short form, 0-127
            1nnnnnnn + n octets   long form, n = 1..4 (big-endian)
            10000000              indefinite form: used by neither protocol

An identifier is handled as its whole octet (class, constructed bit and
number: ``0x30`` a SEQUENCE, ``0x80`` a primitive ``[0]``), so codecs
compare it with one integer.  What a codec reads inside the contents
(SNMP's OIDs and SMI integers, GOOSE's dataset values) stays in its own
package.

``read_tlv`` never raises: broken BER is an ``Anomaly`` whose kind the
calling codec chooses through ``BerKinds``, so each protocol keeps its own
anomaly enum.  Writers build the minimal encoding (shortest length form,
shortest two's complement) and raise ``ValueError`` for a length the
reader would refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from otm.protocols.common import Anomaly

INTEGER: Final = 0x02
OCTET_STRING: Final = 0x04
NULL: Final = 0x05
OBJECT_IDENTIFIER: Final = 0x06
SEQUENCE: Final = 0x30
"""Universal identifiers (X.690 8.1.2, table 1 of X.680); SEQUENCE is constructed."""

CONSTRUCTED: Final = 0x20
"""Identifier bit of a constructed encoding (X.690 8.1.2.5)."""

MAX_LENGTH_OCTETS: Final = 4
"""Long-form length octets accepted: four cover any UDP datagram or Ethernet
frame many times over; more can only be garbage or an attack."""


@dataclass(frozen=True, slots=True)
class BerKinds:
    """The anomaly kinds a codec reports broken BER as (members of its own enum)."""

    truncated: StrEnum
    """The bytes end inside an identifier, a length or the contents it declares."""
    bad_tag: StrEnum
    """An identifier in the high-tag-number form (low five bits all set)."""
    bad_length: StrEnum
    """An indefinite length, or more than ``MAX_LENGTH_OCTETS`` length octets."""


def read_tlv(buf: bytes, pos: int, end: int, kinds: BerKinds) -> tuple[int, int, int] | Anomaly:
    """``(identifier, contents start, contents end)`` of the element at ``buf[pos:end]``.

    The contents are checked to lie inside ``end``.  An anomaly's offset is
    where the element (or its length) starts.  A handful of byte reads and
    the result tuple: no copy of the buffer.
    """
    if end - pos < 2:
        return Anomaly(kinds.truncated, "element header cut", pos)
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        return Anomaly(kinds.bad_tag, f"high tag number form 0x{tag:02x}", pos)
    first = buf[pos + 1]
    start = pos + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0:
            return Anomaly(kinds.bad_length, "indefinite length", pos + 1)
        if count > MAX_LENGTH_OCTETS:
            return Anomaly(kinds.bad_length, f"{count} length octets", pos + 1)
        if end - start < count:
            return Anomaly(kinds.truncated, "length octets cut", pos + 1)
        length = int.from_bytes(buf[start : start + count], "big")
        start += count
    stop = start + length
    if stop > end:
        left = end - start
        return Anomaly(kinds.truncated, f"element 0x{tag:02x}: {length} bytes, {left} left", pos)
    return tag, start, stop


def read_integer(buf: bytes, start: int, stop: int) -> int | None:
    """A two's complement INTEGER from its contents octets (X.690 8.3); None when
    there are none.  Leading 0x00/0xFF octets (not minimal) are read as meant."""
    if stop <= start:
        return None
    return int.from_bytes(buf[start:stop], "big", signed=True)


def integer_contents(value: int) -> bytes:
    """The shortest two's complement contents octets of an INTEGER (X.690 8.3.2)."""
    size = (value if value >= 0 else ~value).bit_length() // 8 + 1  # room for the sign bit
    return value.to_bytes(size, "big", signed=True)


def encode_length(length: int) -> bytes:
    """Definite length octets: the short form below 128, else the shortest long form."""
    if length < 0x80:
        return bytes((length,))
    width = (length.bit_length() + 7) // 8
    if width > MAX_LENGTH_OCTETS:
        raise ValueError(f"{length} content bytes do not fit a BER length")
    return bytes((0x80 | width,)) + length.to_bytes(width, "big")


def encode_tlv(tag: int, contents: bytes) -> bytes:
    """One element: identifier octet, minimal definite length, contents."""
    size = len(contents)
    if size < 0x80:
        return bytes((tag, size)) + contents
    return bytes((tag,)) + encode_length(size) + contents
