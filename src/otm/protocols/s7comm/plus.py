"""S7comm-plus (protocol id 0x72): recognise the PDU, read its header and name its request.

S7-1200/1500 CPUs talk S7comm-plus with TIA Portal and newer HMIs, over the
same TPKT/COTP as S7comm.  Siemens publishes nothing about it; the layout here
follows the public s7commwireshark plugin (Thomas Wiens) and what the shared
captures show::

    72 | version u8 | data length u16 |
    [version 3: 0x20 | 32-byte integrity digest] | data | [72 | version | 00 00]

The data length counts the digest; the 4-byte trailer closes the last
fragment of a PDU.  Data of requests and responses starts
``opcode u8 | u16 | function code u16 | u16 | sequence number u16``.  The
object model inside (attributes, values, variable-length integers) is not
decoded: otm names the operation and pulls identity strings, no more.
"""

from __future__ import annotations

import re

from otm.protocols.common import Anomaly
from otm.protocols.s7comm.anomalies import S7Anomaly
from otm.protocols.s7comm.constants import (
    S7PLUS_DIGEST_LENGTH,
    S7PLUS_PROTOCOL_ID,
    S7PlusOpcode,
    s7plus_function_category,
    s7plus_function_name,
)
from otm.protocols.s7comm.messages import S7PlusPdu

K = S7Anomaly

_HEADER = 4
_DIGEST_PART = 1 + S7PLUS_DIGEST_LENGTH


def is_s7comm_plus(payload: bytes) -> bool:
    """True when a COTP DT payload starts like S7comm-plus (0x72 and a 4-byte header).

    The ground-truth rule of the shared captures: tshark 4.0 has no
    S7comm-plus dissector, COTP user data starting 0x72 is S7comm-plus.
    """
    return len(payload) >= _HEADER and payload[0] == S7PLUS_PROTOCOL_ID


def decode_s7plus(payload: bytes) -> S7PlusPdu | Anomaly:
    """COTP DT user data starting 0x72 -> ``S7PlusPdu``.

    The digest is recognised in version 3 when the data starts with its
    length byte 0x20 and is long enough to hold it.  After the data only a
    trailer ``72 | version | 00 00`` may follow.
    """
    if len(payload) < _HEADER:
        return Anomaly(K.TRUNCATED, f"S7comm-plus header needs 4 bytes, {len(payload)}", 0)
    if payload[0] != S7PLUS_PROTOCOL_ID:
        return Anomaly(K.BAD_PROTOCOL_ID, f"protocol id 0x{payload[0]:02x}", 0)
    version = payload[1]
    length = (payload[2] << 8) | payload[3]
    end = _HEADER + length
    if end > len(payload):
        return Anomaly(K.TRUNCATED, f"data length {length}, {len(payload) - 4}", len(payload))
    rest = payload[end:]
    trailer = False
    if rest:
        if rest != bytes((S7PLUS_PROTOCOL_ID, version, 0, 0)):
            return Anomaly(K.TRAILING_BYTES, f"{len(rest)} bytes after the data", end)
        trailer = True
    data = payload[_HEADER:end]
    digest = None
    if version == 3 and length >= _DIGEST_PART and data[0] == S7PLUS_DIGEST_LENGTH:
        digest = data[1:_DIGEST_PART]
        data = data[_DIGEST_PART:]
    return S7PlusPdu(version, digest, data, trailer)


def encode_s7plus(pdu: S7PlusPdu) -> bytes:
    """An ``S7PlusPdu`` -> bytes (data length computed, digest length byte added)."""
    body = pdu.data
    if pdu.digest is not None:
        body = bytes((len(pdu.digest),)) + pdu.digest + body
    if len(body) > 0xFFFF or not 0 <= pdu.version <= 0xFF:
        raise ValueError("S7comm-plus data longer than 65535 bytes or version out of range")
    out = bytes((S7PLUS_PROTOCOL_ID, pdu.version)) + len(body).to_bytes(2, "big") + body
    if pdu.trailer:
        out += bytes((S7PLUS_PROTOCOL_ID, pdu.version, 0, 0))
    return out


def s7plus_operation(pdu: S7PlusPdu) -> tuple[str, str] | None:
    """``(operation, category)`` of a request (opcode 0x31), None for anything else."""
    if pdu.opcode != S7PlusOpcode.REQUEST:
        return None
    code = pdu.function_code
    if code is None:
        return None
    return s7plus_function_name(code), s7plus_function_category(code)


_PRINTABLE = re.compile(rb"[\x20-\x7e]{4,}")
_ORDER_NUMBER = re.compile(r"\b\d[A-Z]{2}\d ?\d{3}-[0-9A-Z]{4,5}-[0-9A-Z]{4}\b")
_VERSION = re.compile(r"\bV\d{1,2}\.\d{1,3}(?:\.\d{1,3})?\b")
_MAX_STRINGS = 32
"""Identity strings kept per payload: a CreateObject response names a few
(order number, firmware); more than 32 means the payload is not that."""


def s7plus_identity_strings(payload: bytes) -> list[str]:
    """Best effort: order numbers and versions in an S7comm-plus payload.

    The CreateObject response of a CPU carries its identity in an attribute
    string such as ``1;6ES7 214-1HE30-0XB0 ;V2.2``; this scans printable ASCII
    runs for Siemens order numbers (``6ES7 214-1HE30-0XB0``) and versions
    (``V2.2``), without decoding the object tree, so it can miss strings
    split across fragments and is no proof of which attribute held them.
    Printable runs are scanned in order, each giving its order numbers then
    its versions; duplicates are dropped.
    """
    found: list[str] = []
    for run in _PRINTABLE.findall(payload):
        text = run.decode("ascii")
        for match in _ORDER_NUMBER.finditer(text):
            value = match.group(0)
            if value not in found:
                found.append(value)
        for match in _VERSION.finditer(text):
            value = match.group(0)
            if value not in found:
                found.append(value)
        if len(found) >= _MAX_STRINGS:
            return found[:_MAX_STRINGS]
    return found
