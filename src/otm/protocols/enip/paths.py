"""CIP padded EPATHs: bytes <-> segments (Vol. 1, Appendix C "Data Management").

A padded EPATH is a run of segments, each a whole number of 16-bit words.
The first byte of a segment says its type in bits 7-5:

- ``000`` port: ``0x0P`` (port P, one-byte link) or ``0x1P`` (extended link
  address: ``link size 1``), ``P = 15`` announcing a 16-bit port number;
  byte order ``segment | [link size] | [port 2] | link | [pad]``;
- ``001`` logical: bits 4-2 the type (class, instance, member, connection
  point, attribute, special, service id, extended), bits 1-0 the format
  (8-bit value; 16/32-bit value after a pad byte).  Special format 0 is the
  electronic key ``0x34 | 0x04 | vendor 2 | device type 2 | product code 2 |
  major 1 | minor 1``;
- ``010`` network: subtype in bits 4-0; below 0x10 one data byte, from 0x10
  a size in words and the data;
- ``011`` symbolic: ``0x60 + n`` then n characters (n = 0 announces an
  extended format, not decoded);
- ``100`` data: ``0x80 | size in words | data`` (simple data) and
  ``0x91 | size in bytes | chars | pad`` (ANSI extended symbol: a Logix tag).

Decoding never raises: a segment that runs past the path or is of a type not
decoded (extended logical, data types) gives a ``bad_path`` anomaly.
"""

from __future__ import annotations

from otm.protocols.common import Anomaly
from otm.protocols.enip.anomalies import EnipAnomaly
from otm.protocols.enip.messages import (
    CipPath,
    DataSegment,
    ElectronicKeySegment,
    LogicalSegment,
    NetworkSegment,
    PortSegment,
    Segment,
    SymbolSegment,
)

MAX_SEGMENTS = 64
"""Path segments decoded.  A 255-word path could hold 255 one-word segments,
but real paths have 2 to 10 (a route, a key, class, instance, a few tag
members), so 64 only bounds garbage."""

_LOGICAL_KINDS = (
    "class",
    "instance",
    "member",
    "connection_point",
    "attribute",
    "special",
    "service_id",
    "extended",
)
_LOGICAL_CODES = {kind: i for i, kind in enumerate(_LOGICAL_KINDS)}
_SIZES = {0: 1, 1: 2, 2: 4}
_FORMATS = {1: 0, 2: 1, 4: 2}
_KEY_SEGMENT = 0x34
_KEY_FORMAT = 0x04
_ANSI_SYMBOL = 0x91
_SIMPLE_DATA = 0x80


def _bad(detail: str, offset: int) -> Anomaly:
    return Anomaly(EnipAnomaly.BAD_PATH, detail, offset)


def decode_path(path: bytes) -> CipPath | Anomaly:
    """A padded EPATH (whole words) into segments."""
    segments: list[Segment] = []
    pos = 0
    end = len(path)
    while pos < end:  # every branch advances pos by at least 2 or returns
        if len(segments) >= MAX_SEGMENTS:
            return _bad(f"more than {MAX_SEGMENTS} segments", pos)
        head = path[pos]
        kind = head >> 5
        if kind == 0:
            seg_or_bad = _port(path, pos)
        elif kind == 1:
            seg_or_bad = _logical(path, pos)
        elif kind == 2:
            seg_or_bad = _network(path, pos)
        elif kind == 3:
            seg_or_bad = _symbolic(path, pos)
        elif head == _ANSI_SYMBOL:
            seg_or_bad = _ansi(path, pos)
        elif head == _SIMPLE_DATA:
            if pos + 2 > end:
                return _bad("data length missing", pos)
            size = path[pos + 1] * 2
            if pos + 2 + size > end:
                return _bad("data segment cut short", pos)
            seg_or_bad = (DataSegment(path[pos + 2 : pos + 2 + size]), pos + 2 + size)
        else:
            return _bad(f"segment 0x{head:02x} not decoded", pos)
        if isinstance(seg_or_bad, Anomaly):
            return seg_or_bad
        segment, pos = seg_or_bad
        segments.append(segment)
    return CipPath(tuple(segments))


_Step = tuple[Segment, int] | Anomaly
"""A decoded segment and the offset after it, or why it could not be decoded."""


def _port(path: bytes, pos: int) -> _Step:
    head = path[pos]
    end = len(path)
    port = head & 0x0F
    p = pos + 1
    size = 1
    if head & 0x10:
        if p >= end:
            return _bad("link size missing", pos)
        size = path[p]
        p += 1
    if port == 0x0F:
        if p + 2 > end:
            return _bad("port number cut short", pos)
        port = path[p] | (path[p + 1] << 8)
        p += 2
    if p + size > end:
        return _bad("link address cut short", pos)
    link = path[p : p + size]
    p += size
    if (p - pos) % 2:
        p += 1  # pad to a word
    if p > end:
        return _bad("port segment pad missing", pos)
    return PortSegment(port, link), p


def _logical(path: bytes, pos: int) -> _Step:
    head = path[pos]
    end = len(path)
    kind = _LOGICAL_KINDS[(head >> 2) & 0x07]
    fmt = head & 0x03
    if head == _KEY_SEGMENT:
        if pos + 10 > end:
            return _bad("electronic key cut short", pos)
        if path[pos + 1] != _KEY_FORMAT:
            return _bad(f"electronic key format {path[pos + 1]} not decoded", pos)
        major = path[pos + 8]
        return ElectronicKeySegment(
            path[pos + 2] | (path[pos + 3] << 8),
            path[pos + 4] | (path[pos + 5] << 8),
            path[pos + 6] | (path[pos + 7] << 8),
            major & 0x7F,
            path[pos + 9],
            bool(major & 0x80),
        ), pos + 10
    if kind in ("special", "extended"):
        return _bad(f"{kind} logical segment 0x{head:02x} not decoded", pos)
    if fmt not in _SIZES:
        return _bad(f"logical format {fmt}", pos)
    size = _SIZES[fmt]
    p = pos + (1 if size == 1 else 2)
    if p + size > end:
        return _bad("logical value cut short", pos)
    value = int.from_bytes(path[p : p + size], "little")
    return LogicalSegment(kind, value, size), p + size


def _network(path: bytes, pos: int) -> _Step:
    head = path[pos]
    end = len(path)
    subtype = head & 0x1F
    if subtype < 0x10:
        if pos + 2 > end:
            return _bad("network segment cut short", pos)
        return NetworkSegment(subtype, path[pos + 1 : pos + 2]), pos + 2
    if pos + 2 > end:
        return _bad("network segment size missing", pos)
    stop = pos + 2 + path[pos + 1] * 2
    if stop > end:
        return _bad("network segment cut short", pos)
    return NetworkSegment(subtype, path[pos + 2 : stop]), stop


def _symbolic(path: bytes, pos: int) -> _Step:
    size = path[pos] & 0x1F
    if size == 0:
        return _bad("extended symbolic segment not decoded", pos)
    stop = pos + 1 + size
    if stop > len(path):
        return _bad("symbolic segment cut short", pos)
    after = stop + (stop - pos) % 2
    if after > len(path):
        return _bad("symbolic segment pad missing", pos)
    return SymbolSegment(path[pos + 1 : stop].decode("latin-1"), ansi=False), after


def _ansi(path: bytes, pos: int) -> _Step:
    if pos + 2 > len(path):
        return _bad("symbol length missing", pos)
    size = path[pos + 1]
    stop = pos + 2 + size
    if stop + size % 2 > len(path):
        return _bad("symbol cut short", pos)
    return SymbolSegment(path[pos + 2 : stop].decode("latin-1")), stop + size % 2


def encode_path(path: CipPath) -> bytes:
    """Segments into a padded EPATH (pad bytes are zero).

    Raises ``ValueError`` for a segment no decoder would return: a value
    too large for its size, a name longer than its length field, a data
    segment not in whole words.
    """
    out = bytearray()
    for seg in path.segments:
        if isinstance(seg, PortSegment):
            start = len(out)
            extended = len(seg.link) != 1
            if len(seg.link) > 0xFF or not 0 <= seg.port <= 0xFFFF:
                raise ValueError("port segment out of range")
            out.append((0x10 if extended else 0) | min(seg.port, 0x0F))
            if extended:
                out.append(len(seg.link))
            if seg.port >= 0x0F:
                out += seg.port.to_bytes(2, "little")
            out += seg.link
            if (len(out) - start) % 2:
                out.append(0)
        elif isinstance(seg, LogicalSegment):
            if seg.kind in ("special", "extended"):
                raise ValueError(f"{seg.kind} logical segment is not encoded")
            if seg.size not in _FORMATS or not 0 <= seg.value < 1 << (8 * seg.size):
                raise ValueError("logical value does not fit its size")
            fmt = _FORMATS[seg.size]
            out.append(0x20 | (_LOGICAL_CODES[seg.kind] << 2) | fmt)
            if seg.size > 1:
                out.append(0)
            out += seg.value.to_bytes(seg.size, "little")
        elif isinstance(seg, ElectronicKeySegment):
            out += bytes([_KEY_SEGMENT, _KEY_FORMAT])
            out += seg.vendor_id.to_bytes(2, "little")
            out += seg.device_type.to_bytes(2, "little")
            out += seg.product_code.to_bytes(2, "little")
            out += bytes([(seg.major_revision & 0x7F) | (0x80 if seg.compatibility else 0)])
            out += bytes([seg.minor_revision])
        elif isinstance(seg, NetworkSegment):
            if not 0 <= seg.subtype <= 0x1F:
                raise ValueError("network subtype is 5 bits")
            out.append(0x40 | seg.subtype)
            if seg.subtype < 0x10:
                if len(seg.data) != 1:
                    raise ValueError("short network segment carries one byte")
                out += seg.data
            else:
                if len(seg.data) % 2 or len(seg.data) > 510:
                    raise ValueError("network segment data must be whole words")
                out += bytes([len(seg.data) // 2]) + seg.data
        elif isinstance(seg, SymbolSegment):
            name = seg.name.encode("latin-1")
            if seg.ansi:
                if len(name) > 0xFF:
                    raise ValueError("symbol longer than 255 bytes")
                out += bytes([_ANSI_SYMBOL, len(name)]) + name
                if len(name) % 2:
                    out.append(0)
            else:
                if not 1 <= len(name) <= 0x1F:
                    raise ValueError("symbolic segment holds 1 to 31 characters")
                out += bytes([0x60 | len(name)]) + name
                if len(name) % 2 == 0:
                    out.append(0)
        else:
            if len(seg.data) % 2 or len(seg.data) > 510:
                raise ValueError("data segment must be whole words")
            out += bytes([_SIMPLE_DATA, len(seg.data) // 2]) + seg.data
    return bytes(out)
