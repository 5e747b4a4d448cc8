"""SNMP's values in BER: the SMI integers and OBJECT IDENTIFIERs, read in place and written.

Elements themselves are read and written by ``otm.protocols.ber`` (definite
lengths only, as RFC 3417 section 8 requires; one identifier octet, as no
SNMP tag number reaches 31).  What is SNMP's own is here: which tag an
element must carry (``expect``), and the bounds RFC 2578 sets on values:
INTEGER32 and the unsigned application types (Counter32 ... Counter64) in
at most ``MAX_INTEGER_BYTES`` content bytes, OIDs of at most
``MAX_OID_ARCS`` sub-identifiers below 2^32.

Readers take ``(buf, pos, end)`` and return plain ints, text and index
pairs, or an ``Anomaly``; they never raise and never copy the buffer.
Writers build minimal encodings and raise ``ValueError`` on a value SNMP
cannot carry.
"""

from __future__ import annotations

from otm.protocols import ber
from otm.protocols.common import Anomaly
from otm.protocols.snmp.anomalies import BER_KINDS, SnmpAnomaly
from otm.protocols.snmp.constants import MAX_INTEGER_BYTES, MAX_OID_ARCS, MAX_SUBID

K = SnmpAnomaly

_MAX_SUBID_BYTES = 5
"""Base-128 bytes of a sub-identifier up to 2^32-1 (5 x 7 = 35 bits)."""


def expect(buf: bytes, pos: int, end: int, tag: int, what: str) -> tuple[int, int] | Anomaly:
    """``(content start, content end)`` of an element that must carry ``tag``.

    A wrong tag is told before a length that does not fit: it says more about
    bytes that are not SNMP at all."""
    if pos < end and buf[pos] != tag:
        return Anomaly(K.UNEXPECTED_TAG, f"{what}: tag 0x{buf[pos]:02x}, not 0x{tag:02x}", pos)
    tlv = ber.read_tlv(buf, pos, end, BER_KINDS)
    if isinstance(tlv, Anomaly):
        return tlv
    return tlv[1], tlv[2]


def integer(buf: bytes, start: int, end: int, what: str) -> int | Anomaly:
    """A two's complement INTEGER from its contents (1-9 bytes; non-minimal accepted)."""
    value = ber.read_integer(buf, start, end) if end - start <= MAX_INTEGER_BYTES else None
    if value is None:
        return Anomaly(K.INVALID_INTEGER, f"{what}: {end - start} content bytes", start)
    return value


def unsigned(buf: bytes, start: int, end: int, limit: int, what: str) -> int | Anomaly:
    """An unsigned SMI integer (Counter32 ... Counter64) from its contents.

    Read as an unsigned number, so an agent that forgets the leading zero of a
    value above 2^31 (``FF FF FF FF`` for 4294967295) is understood as meant.
    """
    size = end - start
    if size < 1 or size > MAX_INTEGER_BYTES:
        return Anomaly(K.INVALID_INTEGER, f"{what}: {size} content bytes", start)
    value = int.from_bytes(buf[start:end], "big")
    if value > limit:
        return Anomaly(K.INVALID_INTEGER, f"{what}: {value} above {limit}", start)
    return value


def oid(buf: bytes, start: int, end: int) -> str | Anomaly:
    """Dotted text of an OBJECT IDENTIFIER from its contents (X.690 8.19).

    The first sub-identifier packs the first two arcs as ``40 * a + b``.
    Bounded by ``MAX_OID_ARCS`` arcs and ``MAX_SUBID`` per arc.
    """
    if end <= start:
        return Anomaly(K.INVALID_OID, "empty object identifier", start)
    if buf[end - 1] & 0x80:
        return Anomaly(K.INVALID_OID, "last sub-identifier cut", end - 1)
    arcs: list[int] = []
    value = 0
    digits = 0
    # One pass over at most end - start bytes.
    for index in range(start, end):
        byte = buf[index]
        value = (value << 7) | (byte & 0x7F)
        digits += 1
        if byte & 0x80:
            if digits >= _MAX_SUBID_BYTES:
                return Anomaly(K.INVALID_OID, "sub-identifier too long", index)
            continue
        if not arcs:
            if value < 80:
                arcs += (value // 40, value % 40)
            else:
                arcs += (2, value - 80)
        else:
            arcs.append(value)
        if value > MAX_SUBID + 80 or (len(arcs) > 2 and value > MAX_SUBID):
            return Anomaly(K.INVALID_OID, f"sub-identifier {value} above 2^32-1", index)
        if len(arcs) > MAX_OID_ARCS:
            return Anomaly(K.INVALID_OID, f"more than {MAX_OID_ARCS} sub-identifiers", index)
        value = digits = 0
    return ".".join(map(str, arcs))


# --- writing -------------------------------------------------------------------------------


def encode_integer(value: int, tag: int = ber.INTEGER) -> bytes:
    """A two's complement INTEGER (or application integer type) element, minimal."""
    contents = ber.integer_contents(value)
    if len(contents) > MAX_INTEGER_BYTES:
        raise ValueError(f"integer {value} needs more than {MAX_INTEGER_BYTES} bytes")
    return ber.encode_tlv(tag, contents)


def encode_unsigned(value: int, tag: int, limit: int) -> bytes:
    """An unsigned SMI integer element (a leading zero when the top bit is set)."""
    if not 0 <= value <= limit:
        raise ValueError(f"value {value} outside 0-{limit} for tag 0x{tag:02x}")
    return encode_integer(value, tag)


def parse_oid(text: str) -> tuple[int, ...]:
    """The arcs of a dotted OID; ``ValueError`` unless BER can encode it."""
    try:
        arcs = tuple(int(part) for part in text.split("."))
    except ValueError:
        raise ValueError(f"not a dotted OID: {text!r}") from None
    if len(arcs) < 2 or len(arcs) > MAX_OID_ARCS:
        raise ValueError(f"an OID has 2-{MAX_OID_ARCS} arcs: {text!r}")
    first, second = arcs[0], arcs[1]
    if first not in (0, 1, 2) or second < 0 or (first < 2 and second >= 40):
        raise ValueError(f"first arcs {first}.{second} cannot be encoded")
    if second > MAX_SUBID or any(not 0 <= a <= MAX_SUBID for a in arcs[2:]):
        raise ValueError(f"an arc of {text!r} is outside 0-2^32-1")
    return arcs


def encode_oid(text: str) -> bytes:
    """An OBJECT IDENTIFIER element from dotted text."""
    arcs = parse_oid(text)
    out = bytearray()
    for arc in (40 * arcs[0] + arcs[1], *arcs[2:]):
        chunk = [arc & 0x7F]
        rest = arc >> 7
        while rest:
            chunk.append(0x80 | (rest & 0x7F))
            rest >>= 7
        out += bytes(reversed(chunk))
    return ber.encode_tlv(ber.OBJECT_IDENTIFIER, bytes(out))
