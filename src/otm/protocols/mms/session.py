"""ISO 8327-1 / X.225 session SPDUs: the layer between a COTP TSDU and the presentation PPDU.

An SPDU is ``SI u8 | LI | parameter field``, where LI is one octet (0-254)
or 0xFF followed by a u16; the parameter field holds PI units
``code u8 | LI | value`` and PGI units of the same shape whose value is a
list of PIs (codes 1, 5, 33).  MMS uses the kernel and duplex units:

- CN (13) / AC (14) carry the presentation CP / CPA in PGI 193 (user data)
  or 194 (extended user data), with the session selectors (PI 51/52), the
  session requirements (PI 20) and the protocol version (PI 22 in PGI 5);
- data goes as Give Tokens (1, category 0) followed in the same TSDU by
  Data Transfer (1, category 2), ``01 00 01 00``, the presentation PPDU
  being the user information after the DT's parameter field;
- FN (9) / DN (10) release, AB (25) / AA (26) abort, RF (12) refuse carry
  their PPDU in PGI 193 too.

Concatenation follows section 6.3.7: a category 0 SPDU (GT, PT) may stand
alone or precede one category 2 SPDU; category 1 SPDUs stand alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from otm.protocols.common import Anomaly
from otm.protocols.mms.anomalies import MmsAnomaly
from otm.protocols.mms.ber import BerError
from otm.protocols.mms.constants import (
    DATA_TRANSFER,
    PARAMETER_GROUPS,
    SPDU_TYPES,
    TOKEN_SPDUS,
    USER_DATA_PARAMETERS,
    USER_INFORMATION_SPDUS,
    SessionParameter,
    spdu_name,
)

K = MmsAnomaly

MAX_PARAMETERS = 64
"""Parameters read per SPDU or group.  X.225 defines about 40 codes and an
SPDU carries each at most once; more means the bytes are not a session header."""


@dataclass(frozen=True, slots=True)
class Parameter:
    """One PI or PGI unit; ``children`` are the PIs read from a PGI's value (codes
    1, 5, 33).  Encoders write ``value``: build groups with ``group``."""

    code: int
    value: bytes
    children: tuple[Parameter, ...] | None = None


@dataclass(frozen=True, slots=True)
class Spdu:
    """One SPDU: its identifier and parameter field."""

    si: int
    parameters: tuple[Parameter, ...] = ()

    def parameter(self, code: int) -> bytes | None:
        """Value of a PI, searched in the SPDU and inside its parameter groups."""
        for p in self.parameters:
            if p.code == code:
                return p.value
            if p.children:
                for c in p.children:
                    if c.code == code:
                        return c.value
        return None


@dataclass(frozen=True, slots=True)
class SessionPdu:
    """The SPDUs of one TSDU: one SPDU, or a token SPDU and the category 2 SPDU after it.

    ``user_information`` is what follows the last SPDU's parameter field (the
    PPDU of a Data Transfer, Typed Data or Expedited SPDU), else empty.
    """

    spdus: tuple[Spdu, ...]
    user_information: bytes = b""

    @property
    def main(self) -> Spdu:
        """The SPDU that says what the TSDU is (the category 2 one after a token SPDU)."""
        return self.spdus[-1]

    @property
    def is_data(self) -> bool:
        """True for Give/Please Tokens + Data Transfer: MMS data."""
        return len(self.spdus) == 2 and self.spdus[1].si == DATA_TRANSFER

    @property
    def name(self) -> str:
        """``data_transfer``, ``connect``, ``accept``, ``finish``, ``give_tokens`` ..."""
        if len(self.spdus) == 2 and self.spdus[1].si == DATA_TRANSFER:
            return "data_transfer"
        return spdu_name(self.main.si)

    @property
    def user_data(self) -> bytes:
        """The PPDU the TSDU carries: user information, or PGI 193/194 of the main SPDU."""
        if self.user_information:
            return self.user_information
        for p in self.main.parameters:
            if p.code in USER_DATA_PARAMETERS:
                return p.value
        return b""

    @property
    def calling_selector(self) -> bytes | None:
        return self.main.parameter(SessionParameter.CALLING_SESSION_SELECTOR)

    @property
    def called_selector(self) -> bytes | None:
        return self.main.parameter(SessionParameter.CALLED_SESSION_SELECTOR)

    @property
    def version(self) -> int | None:
        """Version number PI (22): bit 1 version 1, bit 2 version 2."""
        raw = self.main.parameter(SessionParameter.VERSION_NUMBER)
        return raw[0] if raw else None

    @property
    def requirements(self) -> int | None:
        """Session user requirements PI (20): functional unit bits (0x0002 duplex)."""
        raw = self.main.parameter(SessionParameter.SESSION_REQUIREMENT)
        return int.from_bytes(raw, "big") if raw else None


def _length(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """(LI value, position after the LI) of an SPDU or parameter."""
    if pos >= end:
        raise BerError(K.TRUNCATED, "length indicator expected", pos)
    li = buf[pos]
    if li != 0xFF:
        return li, pos + 1
    if pos + 3 > end:
        raise BerError(K.TRUNCATED, "two-octet length indicator cut", pos)
    return (buf[pos + 1] << 8) | buf[pos + 2], pos + 3


def _parameters(buf: bytes, pos: int, end: int, nested: bool) -> tuple[Parameter, ...]:
    out: list[Parameter] = []
    while pos < end:
        if len(out) >= MAX_PARAMETERS:
            raise BerError(K.BAD_SPDU, f"more than {MAX_PARAMETERS} parameters", pos)
        code = buf[pos]
        size, start = _length(buf, pos + 1, end)
        if start + size > end:
            raise BerError(K.BAD_SPDU, f"parameter {code} of {size} bytes runs past its SPDU", pos)
        value = buf[start : start + size]
        children = None
        if code in PARAMETER_GROUPS and not nested:
            children = _parameters(buf, start, start + size, True)
        out.append(Parameter(code, value, children))
        pos = start + size
    return tuple(out)


def _spdu(buf: bytes, pos: int) -> tuple[Spdu, int]:
    end = len(buf)
    si = buf[pos]
    size, start = _length(buf, pos + 1, end)
    if start + size > end:
        raise BerError(K.TRUNCATED, f"SPDU {si} length {size}, {end - start} bytes", pos + 1)
    return Spdu(si, _parameters(buf, start, start + size, False)), start + size


def decode_session(tsdu: bytes) -> SessionPdu | Anomaly:
    """A whole TSDU -> its SPDUs and user information."""
    try:
        if not tsdu:
            return Anomaly(K.TRUNCATED, "empty TSDU", 0)
        first, pos = _spdu(tsdu, 0)
        if first.si not in SPDU_TYPES:
            return Anomaly(K.UNKNOWN_SPDU, f"SPDU identifier {first.si}", 0)
        if first.si in TOKEN_SPDUS:
            if pos == len(tsdu):
                return SessionPdu((first,))
            second_at = pos
            second, pos = _spdu(tsdu, pos)
            if second.si not in SPDU_TYPES or second.si == 2:
                return Anomaly(K.UNKNOWN_SPDU, f"SPDU {second.si} after a token SPDU", second_at)
            if second.si in USER_INFORMATION_SPDUS:
                return SessionPdu((first, second), tsdu[pos:])
            spdus: tuple[Spdu, ...] = (first, second)
        elif first.si in USER_INFORMATION_SPDUS:
            return SessionPdu((first,), tsdu[pos:])
        else:
            spdus = (first,)
        if pos < len(tsdu):
            return Anomaly(K.TRAILING_BYTES, f"{len(tsdu) - pos} bytes after the SPDU", pos)
        return SessionPdu(spdus)
    except BerError as error:
        return error.anomaly()


def _encode_length(size: int) -> bytes:
    if size < 0xFF:
        return bytes((size,))
    if size > 0xFFFF:
        raise ValueError(f"session length {size} over 65535")
    return b"\xff" + size.to_bytes(2, "big")


def _encode_parameters(params: tuple[Parameter, ...]) -> bytes:
    out = b""
    for p in params:
        value = p.value
        if not 0 <= p.code <= 0xFF:
            raise ValueError(f"session parameter code {p.code}")
        out += bytes((p.code,)) + _encode_length(len(value)) + value
    return out


def encode_spdu(spdu: Spdu) -> bytes:
    """One SPDU -> bytes (LI computed; user information is the caller's to append)."""
    if not 0 <= spdu.si <= 0xFF:
        raise ValueError(f"SPDU identifier {spdu.si}")
    field = _encode_parameters(spdu.parameters)
    return bytes((spdu.si,)) + _encode_length(len(field)) + field


def encode_session(pdu: SessionPdu) -> bytes:
    """A ``SessionPdu`` -> TSDU bytes."""
    return b"".join(encode_spdu(s) for s in pdu.spdus) + pdu.user_information


def parameter(code: int, value: bytes) -> Parameter:
    """A PI unit."""
    return Parameter(code, value)


def group(code: int, children: tuple[Parameter, ...]) -> Parameter:
    """A PGI unit whose value is the encoding of ``children``."""
    return Parameter(code, _encode_parameters(children), children)


def data_transfer(ppdu: bytes) -> bytes:
    """The TSDU of MMS data: Give Tokens, Data Transfer (both empty), then ``ppdu``."""
    return b"\x01\x00\x01\x00" + ppdu


def connect(
    ppdu: bytes, calling: bytes = b"\x00\x01", called: bytes = b"\x00\x01", accept: bool = False
) -> bytes:
    """The TSDU of a CN (or AC when ``accept``) as MMS stacks send it: protocol
    options 0, version 2, duplex, the selectors (CN only) and ``ppdu`` as user data."""
    params: list[Parameter] = [
        group(5, (parameter(19, b"\x00"), parameter(22, b"\x02"))),
        parameter(20, b"\x00\x02"),
    ]
    if not accept:
        params += [parameter(51, calling), parameter(52, called)]
    params.append(parameter(193, ppdu))
    return encode_spdu(Spdu(14 if accept else 13, tuple(params)))
