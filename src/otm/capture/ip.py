"""IP layer: IPv4 and IPv6 headers, and IPv4 fragment reassembly.

IPv4 header (RFC 791; widths in bytes unless said)::

    ver 4 bits | IHL 4 bits (header length in 32-bit words, >= 5) | TOS 1 |
    total length 2 | ident 2 | flags 3 bits (R, DF, MF) + fragment offset
    13 bits (8-byte units) | TTL 1 | protocol 1 | checksum 2 | src 4 | dst 4 |
    options (IHL*4 - 20)

The datagram ends at ``total length``: Ethernet pads frames to 60 bytes, so
the captured frame is often longer and the padding must not be read as
payload.  A total length of 0 is what a sender with TCP segmentation
offload leaves in its own captures: the captured length is used then.  A
total length beyond the captured bytes (snaplen) marks the packet
``truncated``.

IPv6 header (RFC 8200)::

    ver 4 bits | traffic class 8 bits | flow label 20 bits | payload length 2 |
    next header 1 | hop limit 1 | src 16 | dst 16 | extension headers

Extension headers walked: hop-by-hop (0), routing (43), destination options
(60) and mobility (135): next 1 | length 1 (8-byte units, not counting the
first 8) | ...; fragment (44): next 1 | reserved 1 | offset 13 bits (8-byte
units) + 2 reserved + M 1 bit | ident 4; AH (51): next 1 | length 1 (4-byte
units minus 2) | ...  At most ``MAX_IPV6_EXTENSIONS`` are walked: RFC 8200
allows each once (destination options twice), seven in all; more is
malformed and the bound keeps a crafted chain from costing more.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from enum import StrEnum
from typing import Final, NamedTuple

MAX_IPV6_EXTENSIONS: Final = 8
"""Extension headers walked before an IPv6 packet is called malformed."""

MAX_CACHED: Final = 1 << 18
"""Address strings remembered (raw bytes -> text), see ``link.MAX_CACHED``."""

_V4 = struct.Struct("!BxHHHxB2x4s4s")
_V6 = struct.Struct("!IHBx16s16s")
_EXT = struct.Struct("!BB")
_FRAG6 = struct.Struct("!BxHI")

EXT_HOP_BY_HOP: Final = 0
EXT_ROUTING: Final = 43
EXT_FRAGMENT: Final = 44
EXT_AH: Final = 51
EXT_DEST_OPTS: Final = 60
EXT_MOBILITY: Final = 135
_EXT_GENERIC: Final = frozenset({EXT_HOP_BY_HOP, EXT_ROUTING, EXT_DEST_OPTS, EXT_MOBILITY})


class IpError(StrEnum):
    """Why an IP header could not be decoded (a WalkStats key)."""

    V4_TRUNCATED = "ipv4_header_truncated"
    V4_BAD_HEADER = "ipv4_bad_header"
    V6_TRUNCATED = "ipv6_header_truncated"
    V6_BAD_HEADER = "ipv6_bad_header"
    V6_EXT_TRUNCATED = "ipv6_extension_truncated"
    V6_EXT_DEPTH = "ipv6_too_many_extensions"


class IpHeader(NamedTuple):
    """A decoded IPv4/IPv6 header.

    ``offset``: where the upper-layer header starts; ``end``: where the
    datagram ends in the captured bytes (padding excluded); ``truncated``:
    the capture holds less than the header declares; ``frag_offset`` in
    bytes; ``more``: the MF bit; ``ident``: the fragment identification.
    """

    src: bytes
    dst: bytes
    proto: int
    offset: int
    end: int
    truncated: bool
    ident: int
    frag_offset: int
    more: bool


def decode_ipv4(data: bytes, off: int) -> IpHeader | IpError:
    """Decode the IPv4 header at ``off``; never raises."""
    size = len(data)
    if off + 20 > size:
        return IpError.V4_TRUNCATED
    ver_ihl, total, ident, frag, proto, src, dst = _V4.unpack_from(data, off)
    hlen = (ver_ihl & 0x0F) * 4
    if ver_ihl >> 4 != 4 or hlen < 20:
        return IpError.V4_BAD_HEADER
    if off + hlen > size:
        return IpError.V4_TRUNCATED
    if total == 0:  # segmentation offload on the capturing host: trust the capture
        end = size
        truncated = False
    elif total < hlen:
        return IpError.V4_BAD_HEADER
    elif off + total > size:
        end, truncated = size, True
    else:
        end, truncated = off + total, False
    return IpHeader(
        src, dst, proto, off + hlen, end, truncated, ident, (frag & 0x1FFF) * 8, bool(frag & 0x2000)
    )


def decode_ipv6(data: bytes, off: int) -> IpHeader | IpError:
    """Decode the IPv6 header and extension chain at ``off``; never raises."""
    size = len(data)
    if off + 40 > size:
        return IpError.V6_TRUNCATED
    word, plen, nxt, src, dst = _V6.unpack_from(data, off)
    if word >> 28 != 6:
        return IpError.V6_BAD_HEADER
    if plen == 0:  # jumbogram or offload: trust the capture
        end, truncated = size, False
    elif off + 40 + plen > size:
        end, truncated = size, True
    else:
        end, truncated = off + 40 + plen, False
    pos = off + 40
    ident = 0
    frag_offset = 0
    more = False
    for _ in range(MAX_IPV6_EXTENSIONS):
        if nxt in _EXT_GENERIC:
            if pos + 8 > end:
                return IpError.V6_EXT_TRUNCATED
            following, length = _EXT.unpack_from(data, pos)
            pos += (length + 1) * 8
        elif nxt == EXT_FRAGMENT:
            if pos + 8 > end:
                return IpError.V6_EXT_TRUNCATED
            following, offbits, ident = _FRAG6.unpack_from(data, pos)
            frag_offset = (offbits >> 3) * 8
            more = bool(offbits & 1)
            pos += 8
        elif nxt == EXT_AH:
            if pos + 8 > end:
                return IpError.V6_EXT_TRUNCATED
            following, length = _EXT.unpack_from(data, pos)
            pos += (length + 2) * 4
        else:
            if pos > end:
                return IpError.V6_EXT_TRUNCATED
            return IpHeader(src, dst, nxt, pos, end, truncated, ident, frag_offset, more)
        nxt = following
    return IpError.V6_EXT_DEPTH


_ip_cache: dict[bytes, str] = {}


def ip_str(raw: bytes) -> str:
    """Packed IPv4/IPv6 -> text as ``ipaddress`` writes it (cached)."""
    text = _ip_cache.get(raw)
    if text is None:
        if len(_ip_cache) >= MAX_CACHED:
            _ip_cache.clear()
        text = socket.inet_ntoa(raw) if len(raw) == 4 else str(ipaddress.IPv6Address(raw))
        _ip_cache[raw] = text
    return text


def can_be_host(raw: bytes) -> bool:
    """False for source addresses no host owns: 0.0.0.0/8, multicast, 240/4,
    the limited broadcast, ``::`` and IPv6 multicast."""
    if len(raw) == 4:
        return 0 < raw[0] < 224
    return raw[0] != 0xFF and any(raw)


# -- IPv4 fragment reassembly ----------------------------------------------------

MAX_DATAGRAM: Final = 65_535
"""An IPv4 datagram (header included) is at most 65,535 bytes; fragments
reaching beyond are malformed (the 'ping of death')."""


class Reassembled(NamedTuple):
    """A whole IP payload rebuilt from ``fragments`` frames of ``wire_bytes`` bytes."""

    payload: bytes
    fragments: int
    wire_bytes: int


class _Pending:
    __slots__ = ("first_ts", "frags", "held", "total", "wire")

    def __init__(self, ts: float) -> None:
        self.first_ts = ts
        self.frags: list[tuple[int, bytes]] = []
        self.held = 0
        self.total = -1
        self.wire = 0


class Ipv4Reassembler:
    """Rebuilds fragmented IPv4 payloads; bounded in count, bytes and time.

    Bounds (each evicts the oldest pending datagram, counted in
    ``dropped``):

    - ``max_datagrams`` (1024) pending at once: a plant's fragmented traffic
      (large UDP, e.g. BACnet or EtherNet/IP I/O past the MTU) has a handful
      in flight; more is a flood;
    - ``max_bytes`` (4 MiB) of fragment data held in all: 64 datagrams of
      the maximum size;
    - ``max_fragments`` (128) per datagram: 65,535 bytes over the smallest
      common MTU (576) is 120 fragments; more is a tiny-fragment attack;
    - ``timeout`` (30 s of packet time, as Linux's ipfrag_time): a datagram
      whose first fragment is older is abandoned (``expired``).

    Overlaps are resolved deterministically: the bytes of the fragment that
    arrived first win (``overlaps`` counts datagrams where fragments
    disagreed on a range or on the end).  A missing fragment means no
    output, ever: the datagram is expired or evicted.
    """

    def __init__(
        self,
        max_datagrams: int = 1024,
        max_bytes: int = 4 << 20,
        max_fragments: int = 128,
        timeout: float = 30.0,
    ) -> None:
        self.max_datagrams = max_datagrams
        self.max_bytes = max_bytes
        self.max_fragments = max_fragments
        self.timeout = timeout
        self._pending: dict[object, _Pending] = {}
        self.held = 0
        self.completed = 0
        self.expired = 0
        self.dropped = 0
        self.overlaps = 0
        self.invalid = 0

    def __len__(self) -> int:
        return len(self._pending)

    def _drop(self, key: object) -> None:
        entry = self._pending.pop(key)
        self.held -= entry.held

    def _expire(self, now: float) -> None:
        pending = self._pending
        limit = now - self.timeout
        # Insertion order is first-fragment order: stop at the first young one.
        while pending:
            key = next(iter(pending))
            if pending[key].first_ts >= limit:
                break
            self._drop(key)
            self.expired += 1

    def add(
        self, key: object, offset: int, more: bool, payload: bytes, ts: float, wire: int
    ) -> Reassembled | None:
        """Add one fragment (``offset`` in bytes); returns the whole payload when
        this fragment completes it.  ``key`` is (src, dst, protocol, ident) in
        any hashable form; ``wire`` is the frame's length, summed for traffic."""
        self._expire(ts)
        length = len(payload)
        if not length or offset + length > MAX_DATAGRAM - 20 or (more and length % 8):
            self.invalid += 1
            return None
        pending = self._pending
        entry = pending.get(key)
        if entry is None:
            if len(pending) >= self.max_datagrams:
                self._drop(next(iter(pending)))
                self.dropped += 1
            entry = pending[key] = _Pending(ts)
        if len(entry.frags) >= self.max_fragments:
            self._drop(key)
            self.dropped += 1
            return None
        entry.frags.append((offset, payload))
        entry.held += length
        entry.wire += wire
        self.held += length
        if not more:
            end = offset + length
            if entry.total < 0:
                entry.total = end
            elif entry.total != end:
                self.overlaps += 1  # a second, different end: the first one stands
        while self.held > self.max_bytes and pending:
            oldest = next(iter(pending))
            self._drop(oldest)
            self.dropped += 1
            if oldest == key:
                return None
        if entry.total < 0:
            return None
        return self._complete(key, entry)

    def _complete(self, key: object, entry: _Pending) -> Reassembled | None:
        total = entry.total
        covered = 0
        overlapped = False
        for start, piece in sorted(entry.frags, key=lambda f: f[0]):
            if start > covered:
                return None  # a hole remains
            stop = start + len(piece)
            if start < covered or stop > total:
                overlapped = True
            covered = max(covered, stop)
        if covered < total:
            return None
        buf = bytearray(total)
        # Write the latest arrival first so that earlier arrivals overwrite
        # it: the first fragment to carry a byte decides it.
        for start, piece in reversed(entry.frags):
            chunk = piece[: max(0, total - start)]
            buf[start : start + len(chunk)] = chunk
        self._drop(key)
        self.completed += 1
        if overlapped:
            self.overlaps += 1
        return Reassembled(bytes(buf), len(entry.frags), entry.wire)

    def clear(self) -> int:
        """Forget every pending datagram (end of capture); returns how many."""
        count = len(self._pending)
        self._pending.clear()
        self.held = 0
        return count
