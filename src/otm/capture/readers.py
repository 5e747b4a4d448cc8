"""Capture files in: classic pcap and pcapng, plain or gzip-compressed.

``open_capture(path)`` sniffs the format from the first bytes (never from the
file name) and returns a ``CaptureReader``; iterating it yields
``(frame_no, ts, linktype, frame)`` with ``frame_no`` 1-based as Wireshark
numbers frames, ``ts`` in float seconds since the epoch (float64: about
0.2 µs resolution at today's dates, so nanosecond captures are rounded) and
``frame`` the captured bytes.

Files stream: they are read in ``READ_BLOCK`` pieces into one buffer that is
walked with ``struct.unpack_from``; memory is one block plus one record,
whatever the file size.  A damaged file never raises out of the iteration:
every frame before the damage is yielded, then iteration stops and
``reader.error`` says what was wrong, at which frame and byte offset (offsets
count the uncompressed stream).  Only a file that is not a capture at all
(empty, unknown magic, unsupported version, header cut short) raises
``CaptureError`` from ``open_capture``.

Classic pcap (all integers in the writer's byte order, told by the magic)::

    global header, 24 bytes
      magic u32          a1b2c3d4 (µs) | a1b23c4d (ns) | a1b2cd34 (Kuznetzov µs)
      version_major u16  2
      version_minor u16  4
      thiszone i32       0 in practice (ignored)
      sigfigs u32        0 in practice (ignored)
      snaplen u32
      linktype u32       low 16 bits: LINKTYPE_*; upper bits: FCS length flags
    record header, 16 bytes (24 for the Kuznetzov variant: + ifindex u32,
    protocol u16, pkt_type u8, pad u8)
      ts_sec u32
      ts_frac u32        microseconds or nanoseconds (per magic)
      incl_len u32       bytes captured, which follow the header
      orig_len u32       bytes on the wire

pcapng (a file is one or more sections; byte order per section)::

    every block:  type u32 | total_length u32 | body | total_length u32
                  (total_length counts the whole block, a multiple of 4)
    SHB  0x0A0D0D0A  byte_order_magic u32 (1A2B3C4D) | major u16 (1) |
                     minor u16 | section_length i64 | options
    IDB  0x00000001  linktype u16 | reserved u16 | snaplen u32 | options
                     (if_tsresol code 9, 1 byte: bit 7 clear -> 10^-n s,
                      set -> 2^-n s, default 6; if_tsoffset code 14, i64
                      seconds added to every time stamp)
    EPB  0x00000006  interface_id u32 | ts_high u32 | ts_low u32 |
                     captured_len u32 | original_len u32 | data (padded
                     to 4) | options
    SPB  0x00000003  original_len u32 | data (captured length =
                     min(original_len, snaplen of interface 0, room in block));
                     no time stamp: the previous packet's time is repeated
    OPB  0x00000002  interface_id u16 | drops_count u16 | ts_high u32 |
                     ts_low u32 | captured_len u32 | original_len u32 | data
    options: code u16 | length u16 | value padded to 4; code 0 ends them.
    Any other block (NRB 4, ISB 5, DSB 10, custom 0xBAD/0x40000BAD ...) is
    skipped; those Wireshark numbers as frames (``NUMBERED_RECORDS``) still
    advance the frame number.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Final

READ_BLOCK: Final = 1 << 20
"""Bytes asked of the file per read: large enough that reads cost nothing per
packet, small enough to keep memory flat."""

MAX_RECORD: Final = 262_144
"""Largest captured length accepted for one packet (256 KiB).  This is
libpcap's MAXIMUM_SNAPLEN and the largest packet Wireshark writes for
Ethernet-class link types; a larger length in a record header means the file
is corrupt (a flipped bit or a misaligned read), and believing it would make
us allocate whatever the garbage says, up to 4 GiB."""

MAX_BLOCK: Final = 16 << 20
"""Largest pcapng block accepted (16 MiB): packet blocks are bounded by
``MAX_RECORD``; the only big legitimate non-packet blocks are name-resolution
and decryption-secret blocks, which stay far below this.  Longer is
corruption."""

PCAP_MAGIC_US: Final = 0xA1B2C3D4
PCAP_MAGIC_NS: Final = 0xA1B23C4D
PCAP_MAGIC_KUZNETZOV: Final = 0xA1B2CD34
PCAPNG_SHB: Final = 0x0A0D0D0A
PCAPNG_BOM: Final = 0x1A2B3C4D
GZIP_MAGIC: Final = b"\x1f\x8b"

BLOCK_IDB: Final = 1
BLOCK_OPB: Final = 2
BLOCK_SPB: Final = 3
BLOCK_EPB: Final = 6

NUMBERED_RECORDS: Final = frozenset({0x9, 0x204, 0x216, 0x221, 0xBAD, 0x40000BAD})
"""Non-packet blocks that Wireshark (tshark 4.0) nevertheless numbers as
frames: systemd journal export, Sysdig event blocks, custom blocks.  They are
counted, not yielded, so that frame numbers stay Wireshark's."""

OPT_IF_TSRESOL: Final = 9
OPT_IF_TSOFFSET: Final = 14

Frame = tuple[int, float, int, bytes]
"""(frame number from 1, time stamp in seconds, linktype, captured bytes)."""


class CaptureError(Exception):
    """The file is not a capture otm can read at all (one-line message)."""


def _describe(head: bytes) -> str:
    """The first bytes of a file, in hex and as text, for an error message."""
    shown = head[:8]
    text = "".join(chr(b) if 32 <= b < 127 else "." for b in shown)
    return f"{shown.hex(' ')} ({text!r})"


class CaptureReader:
    """A capture opened for one streaming pass; use as a context manager.

    Attributes for progress and diagnostics: ``size`` (bytes of the file as
    stored, i.e. compressed size for gzip), ``bytes_read`` (bytes of the file
    consumed so far, same units as ``size``; advances in ``READ_BLOCK``
    steps), ``frames`` (frames yielded so far, updated at block boundaries
    and at the end), ``error`` (None, or why iteration stopped early),
    ``format`` ("pcap" or "pcapng"), ``compressed``.
    """

    format: str = ""

    def __init__(self, raw: BinaryIO, stream: BinaryIO, size: int, name: str) -> None:
        self._raw = raw
        self._stream = stream
        self.name = name
        self.size = size
        self.compressed = stream is not raw
        self.bytes_read = 0
        self.frames = 0
        self.error: str | None = None
        self._buf = b""
        self._base = 0  # stream offset of self._buf[0]
        self._eof = False
        self._read_failed: str | None = None
        self._started = False

    def _start(self) -> bool:
        """True the first time only: a reader is one streaming pass."""
        started, self._started = self._started, True
        return not started

    # -- buffer management (rare path: once per READ_BLOCK) ------------------

    def _fill(self, buf: bytes, pos: int, need: int) -> bytes:
        """Return a buffer starting at stream offset base+pos with >= need bytes
        when the stream has them (fewer at end of file or on a read error)."""
        rest = buf[pos:]
        self._base += pos
        have = len(rest)
        if have >= need or self._eof:
            return rest
        parts = [rest]
        want = max(need, READ_BLOCK)
        # read1 on gzip: a truncated stream raises only once everything before
        # the damage was returned (read() would drop the last partial piece).
        read = self._stream.read1 if self.compressed else self._stream.read  # type: ignore[attr-defined]
        while have < need:
            try:
                chunk = read(want - have)
            except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
                self._read_failed = f"{type(exc).__name__}: {exc}"
                chunk = b""
            if not chunk:
                self._eof = True
                break
            parts.append(chunk)
            have += len(chunk)
        try:
            self.bytes_read = self._raw.tell()
        except (OSError, ValueError):
            self.bytes_read = self.size
        return b"".join(parts)

    def _cause(self) -> str:
        return f" ({self._read_failed})" if self._read_failed else ""

    def _stop(self, frame_no: int, offset: int, what: str) -> None:
        """Record why iteration stops (damage at ``offset`` while reading frame_no)."""
        self.error = f"frame {frame_no} at byte offset {offset}: {what}{self._cause()}"

    def __iter__(self) -> Iterator[Frame]:
        """The frames, in file order (one pass; a second iteration yields nothing)."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the file (the reader yields nothing afterwards)."""
        if self._stream is not self._raw:
            self._stream.close()
        self._raw.close()

    def __enter__(self) -> CaptureReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class PcapReader(CaptureReader):
    """Classic libpcap files (see the module docstring for the layout)."""

    format = "pcap"

    def __init__(self, raw: BinaryIO, stream: BinaryIO, size: int, name: str, head: bytes) -> None:
        super().__init__(raw, stream, size, name)
        buf = self._fill(head, 0, 24)
        if len(buf) < 24:
            raise CaptureError(
                f"{name}: pcap header cut short ({len(buf)} of 24 bytes){self._cause()}"
            )
        magic_le = struct.unpack_from("<I", buf, 0)[0]
        order = "<"
        magic = magic_le
        if magic_le not in (PCAP_MAGIC_US, PCAP_MAGIC_NS, PCAP_MAGIC_KUZNETZOV):
            order = ">"
            magic = struct.unpack_from(">I", buf, 0)[0]
        major, minor, _zone, _sigfigs, snaplen, linktype = struct.unpack_from(
            order + "HHiIII", buf, 4
        )
        if major != 2:
            raise CaptureError(f"{name}: pcap version {major}.{minor} is not supported (2.x only)")
        self.byte_order = "little" if order == "<" else "big"
        self.nanosecond = magic == PCAP_MAGIC_NS
        self.snaplen = snaplen
        self.linktype = linktype & 0xFFFF
        self._record = struct.Struct(order + "IIII")
        self._record_len = 24 if magic == PCAP_MAGIC_KUZNETZOV else 16
        self._buf = buf
        self._pos = 24

    def __iter__(self) -> Iterator[Frame]:
        if not self._start():
            return
        unpack = self._record.unpack_from
        hlen = self._record_len
        linktype = self.linktype
        div = 1_000_000_000 if self.nanosecond else 1_000_000
        buf, pos = self._buf, self._pos
        self._buf = b""
        end = len(buf)
        frame_no = self.frames
        while True:
            need = hlen
            # Every complete record in the buffer; each turn advances pos.
            while pos + hlen <= end:
                sec, frac, incl, _orig = unpack(buf, pos)
                if incl > MAX_RECORD:
                    self.frames = frame_no
                    self._stop(
                        frame_no + 1,
                        self._base + pos,
                        f"record claims {incl} captured bytes (more than {MAX_RECORD}): corrupt",
                    )
                    return
                stop = pos + hlen + incl
                if stop > end:
                    need = hlen + incl
                    break
                frame_no += 1
                yield frame_no, sec + frac / div, linktype, buf[pos + hlen : stop]
                pos = stop
            self.frames = frame_no
            buf = self._fill(buf, pos, need)
            pos, end = 0, len(buf)
            if end == 0:
                if self._read_failed:
                    self._stop(frame_no + 1, self._base, "file cannot be read further")
                return
            if end < need:
                what = "record header" if end < hlen else "record"
                self._stop(frame_no + 1, self._base, f"{what} cut short ({end} of {need} bytes)")
                return


class _Interface:
    """What a pcapng IDB says about the packets of one interface."""

    __slots__ = ("divisor", "linktype", "offset", "snaplen")

    def __init__(self, linktype: int, snaplen: int, divisor: int, offset: int) -> None:
        self.linktype = linktype
        self.snaplen = snaplen
        self.divisor = divisor
        self.offset = offset


def _resolution_divisor(code: int) -> int | None:
    """Units per second for an if_tsresol byte; None when unusable (too fine)."""
    exponent = code & 0x7F
    if code & 0x80:
        return 1 << exponent if exponent <= 64 else None
    return 10**exponent if exponent <= 19 else None


class PcapngReader(CaptureReader):
    """pcapng files (see the module docstring for the block layouts)."""

    format = "pcapng"

    def __init__(self, raw: BinaryIO, stream: BinaryIO, size: int, name: str, head: bytes) -> None:
        super().__init__(raw, stream, size, name)
        buf = self._fill(head, 0, 28)
        if len(buf) < 28:
            raise CaptureError(
                f"{name}: pcapng section header cut short ({len(buf)} bytes){self._cause()}"
            )
        order = self._section_order(buf, 0)
        if order is None:
            raise CaptureError(
                f"{name}: pcapng section header has no byte-order magic ({_describe(buf[8:12])})"
            )
        major, minor = struct.unpack_from(order + "HH", buf, 12)
        if major != 1:
            raise CaptureError(
                f"{name}: pcapng version {major}.{minor} is not supported (1.x only)"
            )
        self.byte_order = "little" if order == "<" else "big"
        self._buf = buf
        self._pos = 0
        self.linktype: int | None = None
        """Link type of the first interface, once iteration has met it."""

    @staticmethod
    def _section_order(buf: bytes, pos: int) -> str | None:
        if struct.unpack_from("<I", buf, pos + 8)[0] == PCAPNG_BOM:
            return "<"
        if struct.unpack_from(">I", buf, pos + 8)[0] == PCAPNG_BOM:
            return ">"
        return None

    @staticmethod
    def _interface(body: bytes, order: str) -> _Interface | str:
        """Parse an IDB body (after type and length); a string says what is wrong."""
        if len(body) < 8:
            return "interface block too short"
        linktype, _reserved, snaplen = struct.unpack_from(order + "HHI", body, 0)
        divisor = 1_000_000
        offset = 0
        pos = 8
        # Options: bounded by the block length, which MAX_BLOCK bounds.
        while pos + 4 <= len(body):
            code, length = struct.unpack_from(order + "HH", body, pos)
            pos += 4
            if code == 0:
                break
            value = body[pos : pos + length]
            if len(value) < length:
                return "interface option runs past the block"
            pos += (length + 3) & ~3
            if code == OPT_IF_TSRESOL and length >= 1:
                found = _resolution_divisor(value[0])
                if found is None:
                    return f"interface time resolution {value[0]:#x} not supported"
                divisor = found
            elif code == OPT_IF_TSOFFSET and length >= 8:
                offset = struct.unpack_from(order + "q", value, 0)[0]
        return _Interface(linktype & 0xFFFF, snaplen, divisor, offset)

    def __iter__(self) -> Iterator[Frame]:
        if not self._start():
            return
        buf, pos = self._buf, self._pos
        self._buf = b""
        end = len(buf)
        frame_no = self.frames
        order = "<"
        head = struct.Struct("<II")
        epb = struct.Struct("<IIIIIII")
        trailer = struct.Struct("<I")
        interfaces: list[_Interface] = []
        last_ts = 0.0
        failure: tuple[int, str] | None = None  # (stream offset, what is wrong)
        # Each turn consumes one whole block (>= 12 bytes) or stops.
        while True:
            if pos + 12 > end:
                self.frames = frame_no
                buf = self._fill(buf, pos, 12)
                pos, end = 0, len(buf)
                if end == 0:
                    if self._read_failed:
                        failure = (self._base, "file cannot be read further")
                    break
                if end < 12:
                    failure = (self._base, f"block header cut short ({end} bytes)")
                    break
            btype, blen = head.unpack_from(buf, pos)
            if btype == PCAPNG_SHB:
                # A new section may switch byte order: its BOM says how to read
                # the length.
                new_order = self._section_order(buf, pos)
                if new_order is None:
                    failure = (self._base + pos, "section header without byte-order magic")
                    break
                if new_order != order:
                    order = new_order
                    head = struct.Struct(order + "II")
                    epb = struct.Struct(order + "IIIIIII")
                    trailer = struct.Struct(order + "I")
                    btype, blen = head.unpack_from(buf, pos)
            if blen < 12 or blen & 3 or blen > MAX_BLOCK:
                failure = (self._base + pos, f"block type {btype:#x} has bad length {blen}")
                break
            if pos + blen > end:
                self.frames = frame_no
                buf = self._fill(buf, pos, blen)
                pos, end = 0, len(buf)
                if blen > end:
                    failure = (self._base, f"block cut short ({end} of {blen} bytes)")
                    break
            if trailer.unpack_from(buf, pos + blen - 4)[0] != blen:
                failure = (
                    self._base + pos,
                    f"block type {btype:#x}: trailing length differs from leading {blen}",
                )
                break
            if btype == BLOCK_EPB:
                if blen < 32:
                    failure = (self._base + pos, "packet block too short")
                    break
                _t, _l, if_id, hi, lo, caplen, _orig = epb.unpack_from(buf, pos)
                if caplen > blen - 32 or caplen > MAX_RECORD:
                    failure = (
                        self._base + pos,
                        f"packet claims {caplen} captured bytes in a {blen}-byte block",
                    )
                    break
                if if_id >= len(interfaces):
                    failure = (self._base + pos, f"packet on undeclared interface {if_id}")
                    break
                iface = interfaces[if_id]
                last_ts = ((hi << 32) | lo) / iface.divisor + iface.offset
                frame_no += 1
                yield frame_no, last_ts, iface.linktype, buf[pos + 28 : pos + 28 + caplen]
            elif btype == PCAPNG_SHB:
                if blen < 28:
                    failure = (self._base + pos, "section header too short")
                    break
                major, minor = struct.unpack_from(order + "HH", buf, pos + 12)
                if major != 1:
                    failure = (
                        self._base + pos,
                        f"section of pcapng version {major}.{minor} is not supported",
                    )
                    break
                interfaces = []
            elif btype == BLOCK_SPB:
                if not interfaces or blen < 16:
                    failure = (self._base + pos, "simple packet block without interface 0")
                    break
                orig = trailer.unpack_from(buf, pos + 8)[0]
                iface = interfaces[0]
                caplen = min(orig, blen - 16, MAX_RECORD)
                if iface.snaplen:
                    caplen = min(caplen, iface.snaplen)
                frame_no += 1
                yield frame_no, last_ts, iface.linktype, buf[pos + 12 : pos + 12 + caplen]
            elif btype == BLOCK_IDB:
                found = self._interface(buf[pos + 8 : pos + blen - 4], order)
                if isinstance(found, str):
                    failure = (self._base + pos, found)
                    break
                interfaces.append(found)
                if self.linktype is None:
                    self.linktype = found.linktype
            elif btype == BLOCK_OPB:
                if blen < 32:
                    failure = (self._base + pos, "packet block too short")
                    break
                if_id, _drops, hi, lo, caplen, _orig = struct.unpack_from(
                    order + "HHIIII", buf, pos + 8
                )
                if caplen > blen - 32 or caplen > MAX_RECORD or if_id >= len(interfaces):
                    failure = (self._base + pos, "corrupt obsolete packet block")
                    break
                iface = interfaces[if_id]
                last_ts = ((hi << 32) | lo) / iface.divisor + iface.offset
                frame_no += 1
                yield frame_no, last_ts, iface.linktype, buf[pos + 28 : pos + 28 + caplen]
            elif btype in NUMBERED_RECORDS:
                frame_no += 1  # a frame in Wireshark's numbering, not a packet
            pos += blen
        self.frames = frame_no
        if failure is not None:
            self._stop(frame_no + 1, *failure)


def open_capture(source: str | os.PathLike[str] | BinaryIO) -> CaptureReader:
    """Open a pcap or pcapng file (optionally gzip-compressed) for reading.

    ``source`` is a path or an already open binary file object (which the
    reader then owns and closes).  Raises ``CaptureError`` when the file is
    not a capture this module reads; ``OSError`` if it cannot be opened.
    """
    if isinstance(source, (str, os.PathLike)):
        name = os.fspath(source)
        raw: BinaryIO = Path(name).open("rb")  # noqa: SIM115  (the reader owns and closes it)
    else:
        raw = source
        name = str(getattr(source, "name", "<stream>"))
    try:
        return _open(raw, name)
    except BaseException:
        raw.close()
        raise


def _open(raw: BinaryIO, name: str) -> CaptureReader:
    try:
        size = os.fstat(raw.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        here = raw.tell()
        size = raw.seek(0, os.SEEK_END)
        raw.seek(here)
    head = raw.read(8)
    if not head:
        raise CaptureError(f"{name}: empty file (0 bytes)")
    stream: BinaryIO = raw
    if head[:2] == GZIP_MAGIC:
        raw.seek(raw.tell() - len(head))
        stream = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
        try:
            head = stream.read(8)
        except (OSError, EOFError, zlib.error) as exc:
            raise CaptureError(f"{name}: gzip data is corrupt ({exc})") from None
        if not head:
            raise CaptureError(f"{name}: empty capture inside gzip")
    if len(head) < 4:
        raise CaptureError(f"{name}: too short to be a capture ({_describe(head)})")
    le, be = struct.unpack("<I", head[:4])[0], struct.unpack(">I", head[:4])[0]
    if le == PCAPNG_SHB:
        return PcapngReader(raw, stream, size, name, head)
    pcap_magics = (PCAP_MAGIC_US, PCAP_MAGIC_NS, PCAP_MAGIC_KUZNETZOV)
    if le in pcap_magics or be in pcap_magics:
        return PcapReader(raw, stream, size, name, head)
    raise CaptureError(f"{name}: not a pcap or pcapng file: it starts with {_describe(head)}")
