"""A small sans-I/O BER reader and writer: what IEC 61850-8-1 / 9-2 PDUs need.

Hand-written: an ASN.1 compiler's runtime is far heavier than the three
primitives GOOSE and SV need, and the sensing hot path reads a few tags per
frame.  Only definite lengths and single-byte identifiers (tag numbers
0-30) exist in these PDUs (ITU-T X.690 8.1.2-8.1.3); anything else is an
anomaly, never an exception.

An identifier is handled as its whole first octet (class, constructed bit
and number), e.g. ``0x80`` for a primitive ``[0]`` and ``0xAB`` for a
constructed ``[11]``, so code compares it with one integer.
"""

from __future__ import annotations

from typing import Final

from otm.protocols.common import Anomaly
from otm.protocols.goose.anomalies import GooseAnomaly

K = GooseAnomaly

CONSTRUCTED: Final = 0x20
"""Identifier bit of a constructed encoding (X.690 8.1.2.5)."""

MAX_LENGTH_OCTETS: Final = 4
"""Long-form length octets accepted: 4 bytes cover any Ethernet frame many times."""


def read_tlv(buf: bytes, pos: int, end: int) -> tuple[int, int, int] | Anomaly:
    """The element at ``buf[pos:end]``: ``(identifier, value start, value end)``.

    Checks that the value lies inside ``end``.  A handful of byte reads, no
    allocation but the result tuple.
    """
    if pos + 2 > end:
        return Anomaly(K.TRUNCATED, "BER header cut short", pos)
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        return Anomaly(K.BAD_TAG, f"high tag number form 0x{tag:02x}", pos)
    first = buf[pos + 1]
    start = pos + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > MAX_LENGTH_OCTETS:
            return Anomaly(K.BAD_BER_LENGTH, f"length octet 0x{first:02x}", pos + 1)
        if start + count > end:
            return Anomaly(K.TRUNCATED, "BER length cut short", pos + 1)
        length = int.from_bytes(buf[start : start + count], "big")
        start += count
    stop = start + length
    if stop > end:
        return Anomaly(K.TRUNCATED, f"element 0x{tag:02x} needs {length} bytes", pos)
    return tag, start, stop


def read_integer(buf: bytes, start: int, stop: int) -> int | None:
    """A two's complement INTEGER (X.690 8.3); None when it has no content octet."""
    if stop <= start:
        return None
    return int.from_bytes(buf[start:stop], "big", signed=True)


def encode_length(length: int) -> bytes:
    """Definite length octets: short form below 128, else the shortest long form."""
    if length < 0x80:
        return bytes((length,))
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(octets),)) + octets


def encode_tlv(tag: int, value: bytes) -> bytes:
    """One element: identifier octet, definite length, value."""
    return bytes((tag,)) + encode_length(len(value)) + value


def encode_integer(value: int) -> bytes:
    """The shortest two's complement content octets of an INTEGER (X.690 8.3.2)."""
    size = (value + (value < 0)).bit_length() // 8 + 1
    return value.to_bytes(size, "big", signed=True)
