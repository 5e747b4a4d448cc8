"""Capture files out: the project's own pcap and pcapng writers.

Used by the tests, the demo-capture generator and the benchmarks; the layouts
are the ones ``otm.capture.readers`` documents.  Time stamps are float
seconds; they are rounded to the file's resolution (µs or ns for pcap, the
interface's ``if_tsresol`` for pcapng), so a float that does not hold the
nanoseconds exactly (any date after 1970-04) is written to the nearest unit.
"""

from __future__ import annotations

import struct
from typing import BinaryIO, Final

from otm.capture.readers import (
    BLOCK_EPB,
    BLOCK_IDB,
    BLOCK_OPB,
    BLOCK_SPB,
    MAX_RECORD,
    OPT_IF_TSOFFSET,
    OPT_IF_TSRESOL,
    PCAP_MAGIC_NS,
    PCAP_MAGIC_US,
    PCAPNG_BOM,
    PCAPNG_SHB,
)

OPT_IF_NAME: Final = 2


class PcapWriter:
    """Writes a classic pcap file: global header now, one record per ``write``."""

    def __init__(
        self,
        fileobj: BinaryIO,
        linktype: int = 1,
        nanosecond: bool = False,
        big_endian: bool = False,
        snaplen: int = MAX_RECORD,
    ) -> None:
        self._fh = fileobj
        self._order = ">" if big_endian else "<"
        self._units = 1_000_000_000 if nanosecond else 1_000_000
        magic = PCAP_MAGIC_NS if nanosecond else PCAP_MAGIC_US
        self._record = struct.Struct(self._order + "IIII")
        self.frames = 0
        fileobj.write(struct.pack(self._order + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))

    def write(self, ts: float, data: bytes, orig_len: int | None = None) -> None:
        """Append one packet captured at ``ts`` (seconds since the epoch)."""
        sec, frac = divmod(round(ts * self._units), self._units)
        length = len(data)
        self._fh.write(
            self._record.pack(sec, frac, length, length if orig_len is None else orig_len)
        )
        self._fh.write(data)
        self.frames += 1


def _options(order: str, options: list[tuple[int, bytes]]) -> bytes:
    """Options encoded as code | length | value padded to 4, then opt_endofopt."""
    if not options:
        return b""
    out = bytearray()
    for code, value in options:
        out += struct.pack(order + "HH", code, len(value)) + value
        out += b"\0" * (-len(value) % 4)
    out += struct.pack(order + "HH", 0, 0)
    return bytes(out)


class PcapngWriter:
    """Writes a pcapng file: a section header now, interfaces and packets on demand.

    ``tsresol`` is the if_tsresol byte: 6 means 10^-6 s units; with bit 7 set
    (``0x80 | n``) the units are 2^-n s.  ``tsoffset`` is whole seconds
    subtracted from written stamps and declared in ``if_tsoffset``.
    """

    def __init__(self, fileobj: BinaryIO, big_endian: bool = False) -> None:
        self._fh = fileobj
        self._order = ">" if big_endian else "<"
        self._units: list[int] = []
        self._offsets: list[int] = []
        self.frames = 0
        self.new_section()

    def write_block(self, block_type: int, body: bytes) -> None:
        """Write any block (body padded to 4 bytes); used for the skipped kinds too."""
        body += b"\0" * (-len(body) % 4)
        total = len(body) + 12
        self._fh.write(struct.pack(self._order + "II", block_type, total))
        self._fh.write(body)
        self._fh.write(struct.pack(self._order + "I", total))

    def new_section(self) -> None:
        """Start a section (SHB); interfaces of the previous section are forgotten."""
        self._units = []
        self._offsets = []
        self.write_block(PCAPNG_SHB, struct.pack(self._order + "IHHq", PCAPNG_BOM, 1, 0, -1))

    def add_interface(
        self,
        linktype: int,
        tsresol: int = 6,
        name: str | None = None,
        snaplen: int = 0,
        tsoffset: int = 0,
    ) -> int:
        """Declare an interface (IDB); returns its id for ``write``."""
        options: list[tuple[int, bytes]] = []
        if name is not None:
            options.append((OPT_IF_NAME, name.encode()))
        if tsresol != 6:
            options.append((OPT_IF_TSRESOL, bytes([tsresol])))
        if tsoffset:
            options.append((OPT_IF_TSOFFSET, struct.pack(self._order + "q", tsoffset)))
        body = struct.pack(self._order + "HHI", linktype, 0, snaplen)
        self.write_block(BLOCK_IDB, body + _options(self._order, options))
        exponent = tsresol & 0x7F
        self._units.append(1 << exponent if tsresol & 0x80 else 10**exponent)
        self._offsets.append(tsoffset)
        return len(self._units) - 1

    def _stamp(self, ts: float, if_id: int) -> tuple[int, int]:
        units = round((ts - self._offsets[if_id]) * self._units[if_id])
        return units >> 32, units & 0xFFFFFFFF

    def write(
        self,
        ts: float,
        data: bytes,
        if_id: int = 0,
        orig_len: int | None = None,
        obsolete: bool = False,
    ) -> None:
        """Append an enhanced packet block (or, with ``obsolete``, an OPB)."""
        hi, lo = self._stamp(ts, if_id)
        length = len(data)
        orig = length if orig_len is None else orig_len
        if obsolete:
            head = struct.pack(self._order + "HHIIII", if_id, 0, hi, lo, length, orig)
            self.write_block(BLOCK_OPB, head + data)
        else:
            head = struct.pack(self._order + "IIIII", if_id, hi, lo, length, orig)
            self.write_block(BLOCK_EPB, head + data)
        self.frames += 1

    def write_simple(self, data: bytes, orig_len: int | None = None) -> None:
        """Append a simple packet block (interface 0, no time stamp)."""
        orig = len(data) if orig_len is None else orig_len
        self.write_block(BLOCK_SPB, struct.pack(self._order + "I", orig) + data)
        self.frames += 1
