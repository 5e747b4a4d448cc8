"""A small sans-I/O reader and writer of ASN.1 BER (ITU-T X.690), enough for OSI and MMS.

Every layer above the session (presentation, ACSE, MMS) is BER.  A TLV is
``identifier | length | value``::

    identifier: class (bits 8-7: 00 universal, 01 application, 10 context,
                11 private) | constructed (bit 6) | tag (bits 5-1; 31 = the
                tag follows in base-128 octets, high bit = more)
    length:     0-127 in one octet, or 0x8N then N octets (N = 1-4 here)

Readers work on ``(buf, pos, end)`` and never copy more than the value they
return.  Broken input raises ``BerError`` (an internal exception carrying an
``MmsAnomaly``); the public decoders of this package catch it and return an
``Anomaly``, so nothing escapes to callers.  The indefinite length form
(0x80) is refused: X.690 allows it, but no MMS stack in the shared captures
nor any otm knows of sends it, and reading it needs a recursive scan for the
end-of-contents octets.

Why not a library: asn1tools/pyasn1 compile or interpret a whole module per
message (tens of microseconds and many objects for a read request), while the
hot path here needs a handful of tag reads; they would also be the only
third-party dependency of a codec.
"""

from __future__ import annotations

from dataclasses import dataclass

from otm.protocols.common import Anomaly
from otm.protocols.mms.anomalies import MmsAnomaly

K = MmsAnomaly

UNIVERSAL = 0x00
APPLICATION = 0x40
CONTEXT = 0x80
PRIVATE = 0xC0
CONSTRUCTED = 0x20

# Universal tags used by OSI and MMS.
BOOLEAN = 1
INTEGER = 2
BIT_STRING = 3
OCTET_STRING = 4
NULL = 5
OBJECT_IDENTIFIER = 6
OBJECT_DESCRIPTOR = 7
EXTERNAL = 8
SEQUENCE = 16
SET = 17
VISIBLE_STRING = 26

MAX_LENGTH_OCTETS = 4
"""Length octets read after 0x8N: four give 4 GiB, beyond any TSDU."""

MAX_TAG_OCTETS = 4
"""Octets of a high tag number: 2**28 tags; MMS stops at [79]."""


class BerError(Exception):
    """Broken BER inside a decoder; turned into an ``Anomaly`` at the package boundary."""

    def __init__(self, kind: MmsAnomaly, detail: str, offset: int) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.offset = offset

    def anomaly(self, shift: int = 0) -> Anomaly:
        """The error as data, its offset moved by ``shift`` (the start of the outer layer)."""
        return Anomaly(self.kind, self.detail, self.offset + shift)


Header = tuple[int, int, int, int]
"""``(class | constructed bits, tag number, value start, value end)`` of one TLV."""


def header(buf: bytes, pos: int, end: int) -> Header:
    """The TLV at ``buf[pos:end]``: class and constructed bits (identifier & 0xE0),
    tag number, and where its value starts and ends (inside ``end``)."""
    if pos >= end:
        raise BerError(K.TRUNCATED, "element expected", pos)
    first = buf[pos]
    tag = first & 0x1F
    p = pos + 1
    if tag == 0x1F:
        tag = 0
        for _ in range(MAX_TAG_OCTETS):
            if p >= end:
                raise BerError(K.TRUNCATED, "tag number cut", p)
            octet = buf[p]
            p += 1
            tag = (tag << 7) | (octet & 0x7F)
            if not octet & 0x80:
                break
        else:
            raise BerError(K.BAD_TAG, f"tag number over {MAX_TAG_OCTETS} octets", pos)
    if p >= end:
        raise BerError(K.TRUNCATED, "length expected", p)
    length = buf[p]
    p += 1
    if length & 0x80:
        count = length & 0x7F
        if count == 0:
            raise BerError(K.BAD_LENGTH, "indefinite length", p - 1)
        if count > MAX_LENGTH_OCTETS:
            raise BerError(K.BAD_LENGTH, f"{count} length octets", p - 1)
        if p + count > end:
            raise BerError(K.TRUNCATED, "length octets cut", p)
        length = int.from_bytes(buf[p : p + count], "big")
        p += count
    if p + length > end:
        raise BerError(K.TRUNCATED, f"value of {length} bytes, {end - p} left", p)
    return first & 0xE0, tag, p, p + length


def elements(buf: bytes, pos: int, end: int) -> list[Header]:
    """Every TLV in ``buf[pos:end]``, in order (the value of a constructed element).

    Each TLV takes two bytes at least, so the loop ends after ``(end - pos) / 2``
    rounds; ``pos`` always grows.
    """
    out = []
    while pos < end:
        h = header(buf, pos, end)
        out.append(h)
        pos = h[3]
    return out


def expect(buf: bytes, pos: int, end: int, cls: int, tag: int, what: str) -> Header:
    """The TLV at ``pos``, which must have class/constructed bits ``cls`` and ``tag``."""
    h = header(buf, pos, end)
    if h[0] != cls or h[1] != tag:
        raise BerError(K.UNEXPECTED_TAG, f"{what}: tag 0x{h[0]:02x}/{h[1]}", pos)
    return h


def only(buf: bytes, pos: int, end: int, what: str) -> Header:
    """The single TLV that fills ``buf[pos:end]`` (an explicit tag's content)."""
    h = header(buf, pos, end)
    if h[3] != end:
        raise BerError(K.TRAILING_BYTES, f"{end - h[3]} bytes after {what}", h[3])
    return h


def integer(buf: bytes, start: int, end: int) -> int:
    """A two's-complement INTEGER value (any length; empty is an error)."""
    if start >= end:
        raise BerError(K.BAD_VALUE, "empty INTEGER", start)
    return int.from_bytes(buf[start:end], "big", signed=True)


def boolean(buf: bytes, start: int, end: int) -> bool:
    """A BOOLEAN value: one octet, 0 false, anything else true."""
    if end - start != 1:
        raise BerError(K.BAD_VALUE, f"BOOLEAN of {end - start} octets", start)
    return buf[start] != 0


def text(buf: bytes, start: int, end: int) -> str:
    """A VisibleString / GraphicString value; bytes outside ASCII are kept as latin-1."""
    return buf[start:end].decode("latin-1")


def oid(buf: bytes, start: int, end: int) -> str:
    """An OBJECT IDENTIFIER value as dotted text (``1.0.9506.2.1``)."""
    if start >= end:
        raise BerError(K.BAD_VALUE, "empty OBJECT IDENTIFIER", start)
    arcs: list[int] = []
    value = 0
    for i in range(start, end):
        octet = buf[i]
        value = (value << 7) | (octet & 0x7F)
        if not octet & 0x80:
            arcs.append(value)
            value = 0
    if buf[end - 1] & 0x80:
        raise BerError(K.BAD_VALUE, "OBJECT IDENTIFIER ends inside an arc", end - 1)
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(a) for a in head + arcs[1:])


def bit_string(buf: bytes, start: int, end: int) -> BitString:
    """A primitive BIT STRING value: unused-bit count, then the bits."""
    if start >= end:
        raise BerError(K.BAD_VALUE, "empty BIT STRING", start)
    unused = buf[start]
    if unused > 7 or (unused and end - start == 1):
        raise BerError(K.BAD_VALUE, f"BIT STRING with {unused} unused bits", start)
    return BitString(unused, bytes(buf[start + 1 : end]))


@dataclass(frozen=True, slots=True)
class BitString:
    """A BIT STRING: unused bits in the last octet, and the octets.  Bit 0 is the
    first octet's most significant bit, as ASN.1 numbers named bits."""

    unused: int
    data: bytes

    @property
    def size(self) -> int:
        """Number of bits."""
        return len(self.data) * 8 - self.unused

    def bits(self) -> frozenset[int]:
        """Numbers of the bits that are set."""
        data = self.data
        return frozenset(i for i in range(self.size) if data[i >> 3] & (0x80 >> (i & 7)))

    @classmethod
    def from_bits(cls, bits: frozenset[int] | set[int], size: int) -> BitString:
        """The BIT STRING of ``size`` bits with ``bits`` (numbers below ``size``) set."""
        data = bytearray((size + 7) // 8)
        for i in bits:
            if 0 <= i < size:
                data[i >> 3] |= 0x80 >> (i & 7)
        return cls((8 - size % 8) % 8 if data else 0, bytes(data))


# --- writers ------------------------------------------------------------------------


def encode_length(length: int) -> bytes:
    """The definite length in its shortest form."""
    if length < 0x80:
        return bytes((length,))
    octets = (length.bit_length() + 7) // 8
    if octets > MAX_LENGTH_OCTETS:
        raise ValueError(f"BER length {length} needs {octets} octets")
    return bytes((0x80 | octets,)) + length.to_bytes(octets, "big")


def tlv(cls: int, tag: int, value: bytes) -> bytes:
    """One TLV: ``cls`` is the class | constructed bits (``CONTEXT | CONSTRUCTED``)."""
    if tag < 0:
        raise ValueError(f"negative tag {tag}")
    if tag < 31:
        ident = bytes((cls | tag,))
    else:
        groups = []
        t = tag
        while True:
            groups.append(t & 0x7F)
            t >>= 7
            if not t:
                break
        if len(groups) > MAX_TAG_OCTETS:
            raise ValueError(f"tag {tag} too large")
        groups.reverse()
        ident = bytes((cls | 0x1F, *(g | 0x80 for g in groups[:-1]), groups[-1]))
    return ident + encode_length(len(value)) + value


def integer_value(value: int) -> bytes:
    """The shortest two's-complement octets of an INTEGER."""
    magnitude = value if value >= 0 else ~value
    return value.to_bytes(magnitude.bit_length() // 8 + 1, "big", signed=True)


def oid_value(dotted: str) -> bytes:
    """The octets of an OBJECT IDENTIFIER given as dotted text."""
    try:
        arcs = [int(a) for a in dotted.split(".")]
    except ValueError as error:
        raise ValueError(f"OBJECT IDENTIFIER {dotted!r}") from error
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] >= 40) or min(arcs) < 0:
        raise ValueError(f"OBJECT IDENTIFIER {dotted!r}")
    out = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        rest = arc >> 7
        while rest:
            chunk.append(0x80 | (rest & 0x7F))
            rest >>= 7
        out += bytes(reversed(chunk))
    return bytes(out)


def bit_string_value(bits: BitString) -> bytes:
    """The octets of a BIT STRING value (unused-bit count first)."""
    if not 0 <= bits.unused <= 7 or (bits.unused and not bits.data):
        raise ValueError(f"BIT STRING with {bits.unused} unused bits and {len(bits.data)} octets")
    return bytes((bits.unused,)) + bits.data
