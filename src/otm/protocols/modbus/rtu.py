"""Modbus RTU frames carried over TCP ("RTU over TCP" gateways), without I/O.

Some serial gateways forward the serial frame itself instead of wrapping the
PDU in an MBAP header (Modbus over Serial Line V1.02, 2.5.1)::

    address u8 | function code u8 | data (by the function's layout) | CRC u16 (low octet first)

The CRC is CRC-16/MODBUS (polynomial 0xA001 reflected, initial 0xFFFF,
over address, function code and data).  RTU has no length field: a frame's
length follows from its function code's layout (fixed, or a byte count at a
known offset), and a request and its response have different layouts, so a
framer that does not know the direction tries both and lets the CRC decide.
The PDU inside is decoded with the Modbus/TCP codec's PDU decoders.

``frame_length_tcp`` is the framer for port 502: one MBAP ADU whose declared
length is exactly what is buffered stays MBAP at the cost of two comparisons
more than ``framing.frame_length``; otherwise a CRC-valid RTU frame wins, and
without one the MBAP verdict stands.  The CRC (about 0.1 µs an octet here)
is only computed for streams that are not plainly MBAP.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from otm.protocols.common import INVALID, NEED_DATA, Anomaly
from otm.protocols.modbus.codec import decode_request_pdu, decode_response_pdu, encode_pdu
from otm.protocols.modbus.constants import MAX_MBAP_LENGTH
from otm.protocols.modbus.messages import Pdu, RequestPdu, ResponsePdu


class RtuAnomaly(StrEnum):
    """Kinds of broken RTU input; a well-framed RTU frame whose PDU is broken gets
    the ``ModbusAnomaly`` kind of the PDU decoder instead."""

    TRUNCATED = "truncated"
    """Fewer than 4 octets (address, function code, CRC)."""

    BAD_CRC = "bad_crc"
    """The last two octets are not the CRC of the others."""


MIN_FRAME = 4
"""Address, function code and the two CRC octets (a request without data)."""

MAX_FRAME = 256
"""Largest RTU frame (Modbus over Serial Line 2.5.1): address, 253-octet PDU, CRC."""

_MAX_MBAP_ADU = 6 + MAX_MBAP_LENGTH


def _table() -> tuple[int, ...]:
    out = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        out.append(crc)
    return tuple(out)


_CRC_TABLE = _table()


def crc16(data: bytes, start: int = 0, end: int | None = None) -> int:
    """CRC-16/MODBUS of ``data[start:end]``."""
    crc = 0xFFFF
    table = _CRC_TABLE
    for index in range(start, len(data) if end is None else end):
        crc = (crc >> 8) ^ table[(crc ^ data[index]) & 0xFF]
    return crc


def _candidates(buf: bytes, start: int, have: int) -> tuple[int, ...]:
    """Possible frame lengths at ``buf[start:]`` by the function code's request and
    response layouts; 0 stands for "not known until more octets are buffered"."""
    code = buf[start + 1]

    def counted(offset: int, extra: int) -> int:
        # A byte count at ``offset`` followed by that many octets and ``extra``.
        return buf[start + offset] + offset + 1 + extra if have > offset else 0

    if code & 0x80:
        return (5,)  # exception: address, code, exception code, CRC
    if code in (1, 2, 3, 4):
        return (8, counted(2, 2))
    if code in (5, 6, 8):
        return (8,)
    if code in (7, 11, 12, 17):
        # Requests have no data; responses: 7 one octet, 11 four, 12 and 17 counted.
        response = {7: 5, 11: 8}.get(code) or counted(2, 2)
        return (4, response)
    if code in (15, 16):
        return (counted(6, 2), 8)
    if code in (20, 21):
        return (counted(2, 2),)
    if code == 22:
        return (10,)
    if code == 23:
        return (counted(10, 2), counted(2, 2))
    if code == 24:
        response = ((buf[start + 2] << 8) | buf[start + 3]) + 6 if have > 3 else 0
        return (6, response)
    if code == 43:
        if have > 2 and buf[start + 2] != 0x0E:
            return ()  # only Read Device Identification has a known layout
        return (7, _device_id_length(buf, start, have))
    return ()


def _device_id_length(buf: bytes, start: int, have: int) -> int:
    """Length of a Read Device Identification response (0 until it is known).

    ``address | 43 | MEI 14 | read code | conformity | more follows | next id |
    number of objects | objects (id, length, value) | CRC``.
    """
    if have < 8:
        return 0
    at = 8
    # At most 255 objects; each turn reads a known length or returns.
    for _ in range(buf[start + 7]):
        if at + 2 > have:
            return 0
        at += 2 + buf[start + at + 1]
        if at > MAX_FRAME:
            break
    return at + 2


def rtu_frame_length(buf: bytes, start: int = 0) -> int:
    """Length of the CRC-valid RTU frame at ``buf[start:]``, NEED_DATA (0) while a
    possible layout is longer than what is buffered, INVALID (-1) when none fits."""
    have = len(buf) - start
    if have < 2:
        return NEED_DATA
    waiting = False
    # At most two candidates a function code.
    for length in sorted(set(_candidates(buf, start, have))):
        if length == 0:
            waiting = True
        elif length > MAX_FRAME or length < MIN_FRAME:
            continue
        elif length > have:
            waiting = True
        elif crc16(buf, start, start + length) == 0:
            # The CRC over a frame including its own CRC octets is 0.
            return length
    return NEED_DATA if waiting else INVALID


def frame_length_tcp(buf: bytes, start: int = 0) -> int:
    """The port-502 framer: an MBAP ADU or an RTU frame (see the module docstring)."""
    have = len(buf) - start
    mbap = 0
    if have >= 6 and not buf[start + 2] and not buf[start + 3]:
        length = (buf[start + 4] << 8) | buf[start + 5]
        if 2 <= length <= MAX_MBAP_LENGTH:
            mbap = 6 + length
            if mbap == have:
                return mbap
    rtu = rtu_frame_length(buf, start)
    if rtu > 0:
        return rtu
    if mbap:
        return mbap
    if have < 6 and (have < 3 or not buf[start + 2]) and (have < 4 or not buf[start + 3]):
        return NEED_DATA  # still possibly an MBAP header
    return rtu


def looks_mbap(adu: bytes) -> bool:
    """The bytes are shaped like one MBAP ADU: protocol id 0 and a length that covers
    exactly the rest (what ``frame_length_tcp`` keeps MBAP without a CRC check)."""
    size = len(adu)
    return (
        8 <= size <= _MAX_MBAP_ADU
        and not adu[2]
        and not adu[3]
        and ((adu[4] << 8) | adu[5]) + 6 == size
    )


def split_frames(data: bytes) -> list[bytes] | None:
    """Cut bytes into consecutive CRC-valid RTU frames; None unless they all are."""
    out: list[bytes] = []
    at = 0
    # Each turn consumes at least MIN_FRAME octets or returns.
    while at < len(data):
        length = rtu_frame_length(data, at)
        if length <= 0 or at + length > len(data):
            return None
        out.append(data[at : at + length])
        at += length
    return out or None


@dataclass(frozen=True, slots=True)
class RtuFrame:
    """One RTU frame: the server address (0 broadcast, 1-247, or a gateway's own
    value) and the PDU."""

    address: int
    pdu: Pdu


def _frame(frame: bytes) -> Anomaly | None:
    if len(frame) < MIN_FRAME:
        return Anomaly(RtuAnomaly.TRUNCATED, f"{len(frame)} octets, a frame needs 4", len(frame))
    if crc16(frame) != 0:
        return Anomaly(RtuAnomaly.BAD_CRC, f"CRC 0x{frame[-1]:02x}{frame[-2]:02x}", len(frame) - 2)
    return None


def decode_rtu_request(frame: bytes) -> RtuFrame | Anomaly:
    """One RTU request frame (CRC included) -> ``RtuFrame`` with a ``RequestPdu``."""
    bad = _frame(frame)
    if bad:
        return bad
    pdu: RequestPdu | Anomaly = decode_request_pdu(frame[1:-2])
    if isinstance(pdu, Anomaly):
        return Anomaly(pdu.kind, pdu.detail, pdu.offset + 1)
    return RtuFrame(frame[0], pdu)


def decode_rtu_response(frame: bytes) -> RtuFrame | Anomaly:
    """One RTU response frame (CRC included) -> ``RtuFrame`` with a ``ResponsePdu``."""
    bad = _frame(frame)
    if bad:
        return bad
    pdu: ResponsePdu | Anomaly = decode_response_pdu(frame[1:-2])
    if isinstance(pdu, Anomaly):
        return Anomaly(pdu.kind, pdu.detail, pdu.offset + 1)
    return RtuFrame(frame[0], pdu)


def encode_rtu(frame: RtuFrame) -> bytes:
    """An ``RtuFrame`` -> address, PDU and CRC (low octet first); ``ValueError`` for
    an address outside a byte or a PDU no decoder would return."""
    if not 0 <= frame.address <= 0xFF:
        raise ValueError(f"address {frame.address} outside 0-255")
    body = bytes((frame.address,)) + encode_pdu(frame.pdu)
    if len(body) + 2 > MAX_FRAME:
        raise ValueError(f"RTU frame of {len(body) + 2} octets exceeds {MAX_FRAME}")
    crc = crc16(body)
    return body + bytes((crc & 0xFF, crc >> 8))
