"""TPKT (RFC 1006) and COTP (ISO 8073 / X.224 class 0) as MMS stacks use them.

The S7comm codec reads the same two layers; protocol packages stay
independent of each other, so MMS keeps its own small reader here.

TPKT: ``version u8 (3) | reserved u8 | length u16`` (the length counts the
header).  COTP TPDU: ``length indicator u8 | code u8 | fixed part | variable
part (code u8 | length u8 | value ...)`` then user data::

    CR 0xE0 / CC 0xD0 (low nibble: credit) | dst ref u16 | src ref u16 | class/options u8
    DR 0x80 | dst ref u16 | src ref u16 | reason u8
    DC 0xC0 | dst ref u16 | src ref u16
    DT 0xF0 | EOT (bit 8) + TPDU number (bits 7-1)              (class 0: LI = 2)

Parameters of CR/CC: 0xC0 TPDU size (2**value bytes), 0xC1 calling TSAP,
0xC2 called TSAP.  An MMS PDU longer than the TPDU size is split over DTs;
the last has EOT set (see ``reassembly``).
"""

from __future__ import annotations

from dataclasses import dataclass

from otm.protocols.common import INVALID, NEED_DATA, Anomaly
from otm.protocols.mms.anomalies import MmsAnomaly

K = MmsAnomaly

TPKT_VERSION = 3
MIN_TPKT_LENGTH = 7
"""TPKT header and the smallest TPDU (a class 0 DT: LI, code, EOT/number)."""

CR = 0xE0
CC = 0xD0
DR = 0x80
DC = 0xC0
DT = 0xF0

TPDU_SIZE = 0xC0
CALLING_TSAP = 0xC1
CALLED_TSAP = 0xC2


@dataclass(frozen=True, slots=True)
class CotpConnect:
    """CR (``code`` 0xE0) or CC (0xD0) with its variable part in wire order."""

    code: int
    credit: int
    dst_ref: int
    src_ref: int
    class_option: int
    parameters: tuple[tuple[int, bytes], ...] = ()

    def parameter(self, code: int) -> bytes | None:
        for c, value in self.parameters:
            if c == code:
                return value
        return None

    @property
    def calling_tsap(self) -> bytes | None:
        return self.parameter(CALLING_TSAP)

    @property
    def called_tsap(self) -> bytes | None:
        return self.parameter(CALLED_TSAP)

    @property
    def tpdu_size(self) -> int | None:
        """Largest TPDU in bytes (the parameter is its power of two), None if absent."""
        raw = self.parameter(TPDU_SIZE)
        return 1 << raw[0] if raw and raw[0] < 32 else None


@dataclass(frozen=True, slots=True)
class CotpData:
    """A class 0 DT: end of TSDU flag, TPDU number and the user data it carries."""

    eot: bool
    tpdu_number: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class CotpDisconnect:
    """DR (``code`` 0x80, with a reason) or DC (0xC0, reason 0)."""

    code: int
    dst_ref: int
    src_ref: int
    reason: int
    parameters: tuple[tuple[int, bytes], ...] = ()


@dataclass(frozen=True, slots=True)
class CotpOther:
    """Any other TPDU (ED, AK, EA, RJ, ER, DTs of other classes), kept raw."""

    code: int
    header: bytes
    payload: bytes


CotpPdu = CotpConnect | CotpData | CotpDisconnect | CotpOther


def frame_length(buf: bytes, start: int = 0) -> int:
    """Declared length of the TPKT at ``buf[start:]``, NEED_DATA (0) or INVALID (-1)."""
    have = len(buf) - start
    if have < 1:
        return NEED_DATA
    if buf[start] != TPKT_VERSION:
        return INVALID
    if have < 4:
        return NEED_DATA
    length = (buf[start + 2] << 8) | buf[start + 3]
    return length if length >= MIN_TPKT_LENGTH else INVALID


def decode_tpkt(frame: bytes) -> CotpPdu | Anomaly:
    """One whole TPKT -> its COTP TPDU."""
    if len(frame) < 4:
        return Anomaly(K.TRUNCATED, f"TPKT header needs 4 bytes, {len(frame)}", len(frame))
    length = (frame[2] << 8) | frame[3]
    if frame[0] != TPKT_VERSION or length < MIN_TPKT_LENGTH:
        return Anomaly(K.BAD_TPKT, f"TPKT version {frame[0]}, length {length}", 0)
    if len(frame) < length:
        return Anomaly(K.TRUNCATED, f"TPKT length {length}, {len(frame)} bytes", len(frame))
    if len(frame) > length:
        return Anomaly(K.TRAILING_BYTES, f"{len(frame) - length} bytes after the TPKT", length)
    cotp = decode_cotp(frame[4:])
    if isinstance(cotp, Anomaly):
        return Anomaly(cotp.kind, cotp.detail, cotp.offset + 4)
    return cotp


def _parameters(tpdu: bytes, pos: int, end: int) -> tuple[tuple[int, bytes], ...] | Anomaly:
    out = []
    # At most 127 rounds: the header is under 255 bytes, each parameter takes 2.
    while pos < end:
        if pos + 2 > end or pos + 2 + tpdu[pos + 1] > end:
            return Anomaly(K.BAD_COTP, "parameter runs past the header", pos)
        size = tpdu[pos + 1]
        out.append((tpdu[pos], tpdu[pos + 2 : pos + 2 + size]))
        pos += 2 + size
    return tuple(out)


def decode_cotp(tpdu: bytes) -> CotpPdu | Anomaly:
    """One COTP TPDU (length indicator first) -> message."""
    if len(tpdu) < 2:
        return Anomaly(K.TRUNCATED, f"COTP needs 2 bytes, {len(tpdu)}", len(tpdu))
    li = tpdu[0]
    if li in (0, 255) or li + 1 > len(tpdu):
        return Anomaly(K.BAD_COTP, f"length indicator {li}, TPDU of {len(tpdu)}", 0)
    code = tpdu[1]
    kind = code & 0xF0
    end = li + 1
    payload = tpdu[end:]
    if kind in (CR, CC) or code in (DR, DC):
        need = 5 if code == DC else 6
        if li < need:
            return Anomaly(K.BAD_COTP, f"TPDU 0x{code:02x} with length indicator {li}", 0)
        dst = (tpdu[2] << 8) | tpdu[3]
        src = (tpdu[4] << 8) | tpdu[5]
        params = _parameters(tpdu, need + 1, end)
        if isinstance(params, Anomaly):
            return params
        if payload:
            return Anomaly(K.TRAILING_BYTES, f"user data after TPDU 0x{code:02x}", end)
        if code == DC:
            return CotpDisconnect(DC, dst, src, 0, params)
        if code == DR:
            return CotpDisconnect(DR, dst, src, tpdu[6], params)
        return CotpConnect(kind, code & 0x0F, dst, src, tpdu[6], params)
    if code == DT and li == 2:
        return CotpData(bool(tpdu[2] & 0x80), tpdu[2] & 0x7F, payload)
    return CotpOther(code, tpdu[2:end], payload)


def encode_cotp(pdu: CotpPdu) -> bytes:
    """A COTP message -> TPDU bytes (the length indicator is computed)."""
    if isinstance(pdu, CotpData):
        if not 0 <= pdu.tpdu_number < 0x80:
            raise ValueError(f"TPDU number {pdu.tpdu_number}")
        head = bytes((DT, (0x80 if pdu.eot else 0) | pdu.tpdu_number))
        payload = pdu.payload
    elif isinstance(pdu, CotpConnect):
        if pdu.code not in (CR, CC) or not 0 <= pdu.credit < 16:
            raise ValueError(f"CR/CC code 0x{pdu.code:02x} credit {pdu.credit}")
        head = bytes((pdu.code | pdu.credit,))
        head += pdu.dst_ref.to_bytes(2, "big") + pdu.src_ref.to_bytes(2, "big")
        head += bytes((pdu.class_option,)) + _encode_parameters(pdu.parameters)
        payload = b""
    elif isinstance(pdu, CotpDisconnect):
        if pdu.code not in (DR, DC):
            raise ValueError(f"disconnect code 0x{pdu.code:02x}")
        head = bytes((pdu.code,)) + pdu.dst_ref.to_bytes(2, "big") + pdu.src_ref.to_bytes(2, "big")
        if pdu.code == DR:
            head += bytes((pdu.reason,))
        head += _encode_parameters(pdu.parameters)
        payload = b""
    else:
        head = bytes((pdu.code,)) + pdu.header
        payload = pdu.payload
    if len(head) > 254:
        raise ValueError(f"COTP header of {len(head)} bytes")
    return bytes((len(head),)) + head + payload


def _encode_parameters(params: tuple[tuple[int, bytes], ...]) -> bytes:
    out = b""
    for code, value in params:
        if len(value) > 255:
            raise ValueError(f"COTP parameter 0x{code:02x} of {len(value)} bytes")
        out += bytes((code, len(value))) + value
    return out


def encode_tpkt(pdu: CotpPdu) -> bytes:
    """A COTP message -> one TPKT (refuses TPDUs under 3 or over 65531 bytes)."""
    tpdu = encode_cotp(pdu)
    length = 4 + len(tpdu)
    if not MIN_TPKT_LENGTH <= length <= 0xFFFF:
        raise ValueError(f"TPKT of {length} bytes")
    return bytes((TPKT_VERSION, 0)) + length.to_bytes(2, "big") + tpdu
