"""DNS (RFC 1035) answers: the names a resolver gives to addresses.

Plant hosts rarely announce their names in industrial protocols; the DNS
answers on the wire often do (``hmi-line3.plant.local`` is 10.1.3.20).  otm
reads the header, the questions and the A/AAAA/PTR answers of responses; name
compression is followed with a bound on jumps, so a pointer loop ends.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass
from enum import StrEnum

from otm.protocols.common import Anomaly

MAX_JUMPS = 16
"""Compression pointers followed per name; real names need two or three."""
MAX_RECORDS = 64
"""Questions + answers read per message."""

TYPE_A, TYPE_PTR, TYPE_AAAA = 1, 12, 28


class DnsAnomaly(StrEnum):
    """Kinds of broken DNS input."""

    TRUNCATED = "truncated"
    """The message ends inside the header, a name or a record."""
    BAD_NAME = "bad_name"
    """A label or pointer that cannot be followed (reserved bits, loop, too long)."""


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    """One resource record of the answer section that maps a name and an address."""

    name: str
    rtype: int
    value: str


@dataclass(frozen=True, slots=True)
class DnsMessage:
    """The parts of a DNS message otm uses."""

    ident: int
    response: bool
    opcode: int
    rcode: int
    questions: tuple[str, ...]
    answers: tuple[DnsAnswer, ...]


def _name(data: bytes, off: int) -> tuple[str, int] | Anomaly:
    """The name at ``off`` and the offset after it (in the original stream)."""
    labels: list[str] = []
    after = -1
    jumps = 0
    total = 0
    while True:
        if off >= len(data):
            return Anomaly(DnsAnomaly.TRUNCATED, "name runs past the end", off)
        length = data[off]
        if length == 0:
            off += 1
            break
        kind = length & 0xC0
        if kind == 0xC0:
            if off + 2 > len(data):
                return Anomaly(DnsAnomaly.TRUNCATED, "pointer cut short", off)
            jumps += 1
            if jumps > MAX_JUMPS:
                return Anomaly(DnsAnomaly.BAD_NAME, "too many compression pointers", off)
            if after < 0:
                after = off + 2
            off = ((length & 0x3F) << 8) | data[off + 1]
            continue
        if kind:
            return Anomaly(DnsAnomaly.BAD_NAME, f"label type 0x{kind:02x}", off)
        if off + 1 + length > len(data):
            return Anomaly(DnsAnomaly.TRUNCATED, "label cut short", off)
        total += length + 1
        if total > 255:
            return Anomaly(DnsAnomaly.BAD_NAME, "name longer than 255 octets", off)
        labels.append(data[off + 1 : off + 1 + length].decode("ascii", "replace"))
        off += 1 + length
    return ".".join(labels), (after if after >= 0 else off)


def decode(data: bytes) -> DnsMessage | Anomaly:
    """Decode one DNS message (a UDP payload, or a TCP one after its length prefix)."""
    if len(data) < 12:
        return Anomaly(DnsAnomaly.TRUNCATED, f"{len(data)}-byte header", 0)
    ident, flags, qd, an = struct.unpack_from("!HHHH", data, 0)
    off = 12
    questions: list[str] = []
    for _ in range(min(qd, MAX_RECORDS)):
        got = _name(data, off)
        if isinstance(got, Anomaly):
            return got
        name, off = got
        if off + 4 > len(data):
            return Anomaly(DnsAnomaly.TRUNCATED, "question cut short", off)
        off += 4
        questions.append(name)
    answers: list[DnsAnswer] = []
    for _ in range(min(an, MAX_RECORDS - len(questions))):
        got = _name(data, off)
        if isinstance(got, Anomaly):
            return got
        name, off = got
        if off + 10 > len(data):
            return Anomaly(DnsAnomaly.TRUNCATED, "record header cut short", off)
        rtype, _cls, _ttl, rdlen = struct.unpack_from("!HHIH", data, off)
        off += 10
        if off + rdlen > len(data):
            return Anomaly(DnsAnomaly.TRUNCATED, "record data cut short", off)
        rdata = data[off : off + rdlen]
        if rtype == TYPE_A and rdlen == 4:
            answers.append(DnsAnswer(name, rtype, str(ipaddress.IPv4Address(rdata))))
        elif rtype == TYPE_AAAA and rdlen == 16:
            answers.append(DnsAnswer(name, rtype, str(ipaddress.IPv6Address(rdata))))
        elif rtype == TYPE_PTR:
            target = _name(data, off)
            if not isinstance(target, Anomaly):
                answers.append(DnsAnswer(name, rtype, target[0]))
        off += rdlen
    return DnsMessage(
        ident,
        bool(flags & 0x8000),
        (flags >> 11) & 0x0F,
        flags & 0x0F,
        tuple(questions),
        tuple(answers),
    )


def ptr_address(name: str) -> str | None:
    """The IPv4 address a ``d.c.b.a.in-addr.arpa`` PTR name stands for."""
    suffix = ".in-addr.arpa"
    if not name.lower().endswith(suffix):
        return None
    parts = name[: -len(suffix)].split(".")
    if len(parts) != 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
        return None
    return ".".join(reversed(parts))
