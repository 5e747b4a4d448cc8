"""IEC 60870-5-104 bytes <-> messages, without I/O.

``decode_apdu`` takes one whole APDU (as ``framing.frame_length`` delimits
it), ``decode_asdu`` a bare ASDU; they return a message or an ``Anomaly``
and never raise.  ``encode_apdu``/``encode_asdu`` turn any message back
into bytes (lengths and counts derived); for every APDU a decoder accepts,
``encode_apdu(decode_apdu(apdu)) == apdu``.

The hot path should use ``peek``: it reads the frame format and, for I
frames, the type id, cause octet and common address in place, allocating one
small tuple.  See ``messages`` for the wire layouts.
"""

from __future__ import annotations

import struct

from otm.protocols.common import Anomaly
from otm.protocols.iec104.anomalies import Iec104Anomaly
from otm.protocols.iec104.constants import (
    APCI_LENGTH,
    ASDU_HEADER_LENGTH,
    COT_CAUSE_MASK,
    COT_NEGATIVE,
    COT_TEST,
    IOA_LENGTH,
    MAX_APDU_LENGTH,
    MAX_ASDU_LENGTH,
    MAX_OBJECTS,
    MIN_APDU_LENGTH,
    START,
    VSQ_SEQUENCE,
    UFunction,
)
from otm.protocols.iec104.elements import LAYOUTS, decode_element, encode_element
from otm.protocols.iec104.messages import (
    Apdu,
    Asdu,
    IFrame,
    InformationObject,
    SFrame,
    UFrame,
)

K = Iec104Anomaly

_HEADER = struct.Struct("<BBBBH")
"""Type id, VSQ, cause, originator address, common address."""
_CONTROL = struct.Struct("<HH")

_U_FUNCTIONS = frozenset(int(f) for f in UFunction)
_SEQ_MAX = 0x7FFF
_IOA_MASK = 0xFFFFFF


# --- decoding ---------------------------------------------------------------------------


def decode_asdu(asdu: bytes) -> Asdu | Anomaly:
    """One ASDU (type id first) -> ``Asdu``, or the anomaly; offsets index ``asdu``."""
    return _asdu(asdu, 0, len(asdu))


def _asdu(buf: bytes, start: int, end: int) -> Asdu | Anomaly:
    if end - start < ASDU_HEADER_LENGTH:
        return Anomaly(K.TRUNCATED, f"{end - start} octets, an ASDU header needs 6", end)
    type_id, vsq, cot, originator, common = _HEADER.unpack_from(buf, start)
    if type_id == 0:
        return Anomaly(K.UNKNOWN_TYPE, "type identification 0", start)
    cause = cot & COT_CAUSE_MASK
    if cause == 0:
        return Anomaly(K.INVALID_CAUSE, "cause of transmission 0", start + 2)
    sequence = bool(vsq & VSQ_SEQUENCE)
    number = vsq & MAX_OBJECTS
    negative, test = bool(cot & COT_NEGATIVE), bool(cot & COT_TEST)
    at = start + ASDU_HEADER_LENGTH
    if type_id not in LAYOUTS:
        return Asdu(
            type_id, sequence, number, cause, negative, test, originator, common,
            raw=bytes(buf[at:end]),
        )  # fmt: skip
    objects: list[InformationObject] = []
    address = 0
    # number <= 127 and each pass consumes at least the 3-octet IOA or one element.
    for index in range(number):
        if index == 0 or not sequence:
            if end - at < IOA_LENGTH:
                return Anomaly(K.TRUNCATED, f"object {index} of {number}: address missing", end)
            address = int.from_bytes(buf[at : at + IOA_LENGTH], "little")
            at += IOA_LENGTH
        else:
            address = (address + 1) & _IOA_MASK
        decoded = decode_element(type_id, buf, at, end)
        if isinstance(decoded, Anomaly):
            return Anomaly(
                decoded.kind, f"object {index} of {number}: {decoded.detail}", decoded.offset
            )
        element, at = decoded
        objects.append(InformationObject(address, element))
    if at != end:
        return Anomaly(K.TRAILING_BYTES, f"{end - at} octets after {number} objects", at)
    return Asdu(
        type_id, sequence, number, cause, negative, test, originator, common, tuple(objects)
    )


def decode_apdu(apdu: bytes) -> Apdu | Anomaly:
    """One whole APDU (start octet first) -> ``IFrame``/``SFrame``/``UFrame``, or the anomaly."""
    size = len(apdu)
    if size < 1:
        return Anomaly(K.TRUNCATED, "empty APDU", 0)
    if apdu[0] != START:
        return Anomaly(K.BAD_START, f"start octet 0x{apdu[0]:02x}", 0)
    if size < 2:
        return Anomaly(K.TRUNCATED, "length octet missing", size)
    length = apdu[1]
    if length < MIN_APDU_LENGTH or length > MAX_APDU_LENGTH:
        return Anomaly(K.INVALID_LENGTH, f"APDU length {length} outside 4-253", 1)
    end = 2 + length
    if size < end:
        return Anomaly(K.TRUNCATED, f"APDU length {length}, {size - 2} octets follow", size)
    if size > end:
        return Anomaly(K.TRAILING_BYTES, f"{size - end} octets after the APDU length", end)
    cf1, cf2, cf3, cf4 = apdu[2:6]
    if not cf1 & 0x01:  # I format
        if cf3 & 0x01:
            return Anomaly(K.BAD_CONTROL_FIELD, "receive sequence number low bit set", 4)
        send, recv = _CONTROL.unpack_from(apdu, 2)
        if length < MIN_APDU_LENGTH + ASDU_HEADER_LENGTH:
            return Anomaly(K.INVALID_LENGTH, f"I frame of length {length} has no ASDU", 1)
        asdu = _asdu(apdu, APCI_LENGTH, end)
        if isinstance(asdu, Anomaly):
            if asdu.kind in (K.TRUNCATED, K.TRAILING_BYTES):
                # The APDU is whole by its length, so its length is what
                # disagrees with the ASDU's objects.
                return Anomaly(
                    K.INVALID_LENGTH, f"APDU length {length}: {asdu.detail}", asdu.offset
                )
            return asdu
        return IFrame(send >> 1, recv >> 1, asdu)
    if length != MIN_APDU_LENGTH:
        return Anomaly(K.INVALID_LENGTH, f"S/U frame of length {length}, not 4", 1)
    if cf1 & 0x03 == 0x01:  # S format
        if cf1 != 0x01 or cf2 or cf3 & 0x01:
            return Anomaly(K.BAD_CONTROL_FIELD, "S frame control field", 2)
        return SFrame(_CONTROL.unpack_from(apdu, 2)[1] >> 1)
    function = cf1 & 0xFC
    if function not in _U_FUNCTIONS or cf2 or cf3 or cf4:
        return Anomaly(K.BAD_CONTROL_FIELD, f"U frame control field 0x{cf1:02x}", 2)
    return UFrame(function)


# --- hot-path accessor --------------------------------------------------------------------


def peek(apdu: bytes, start: int = 0) -> tuple[int, int, int, int] | None:
    """``(format, type id, cause octet, common address)`` of the APDU at ``start``.

    Format is 0 (I), 1 (S) or 3 (U); type id, cause and address are 0 unless
    the APDU is an I frame with a whole ASDU header.  None when the start
    octet or the control field is missing.  Reads in place.
    """
    have = len(apdu) - start
    if have < APCI_LENGTH or apdu[start] != START:
        return None
    cf1 = apdu[start + 2]
    if cf1 & 0x01:
        return (cf1 & 0x03, 0, 0, 0)
    if have < APCI_LENGTH + ASDU_HEADER_LENGTH:
        return (0, 0, 0, 0)
    type_id, _vsq, cot, _originator, common = _HEADER.unpack_from(apdu, start + APCI_LENGTH)
    return (0, type_id, cot, common)


# --- encoding -------------------------------------------------------------------------------


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def encode_asdu(asdu: Asdu) -> bytes:
    """An ``Asdu`` -> octets; ``ValueError`` for a message no decoder would return."""
    _require(0 < asdu.type_id <= 0xFF, f"type id {asdu.type_id} outside 1-255")
    _require(0 <= asdu.number <= MAX_OBJECTS, f"number {asdu.number} outside 0-127")
    _require(0 < asdu.cause <= COT_CAUSE_MASK, f"cause {asdu.cause} outside 1-63")
    _require(0 <= asdu.originator <= 0xFF, f"originator {asdu.originator} outside 0-255")
    _require(0 <= asdu.common_address <= 0xFFFF, f"common address {asdu.common_address}")
    vsq = asdu.number | (VSQ_SEQUENCE if asdu.sequence else 0)
    cot = asdu.cause | (COT_NEGATIVE if asdu.negative else 0) | (COT_TEST if asdu.test else 0)
    out = bytearray(_HEADER.pack(asdu.type_id, vsq, cot, asdu.originator, asdu.common_address))
    if asdu.type_id not in LAYOUTS:
        _require(not asdu.objects, f"type {asdu.type_id} is kept raw, it has no objects")
        out += asdu.raw
    else:
        _require(not asdu.raw, f"type {asdu.type_id} has decoded objects, not raw octets")
        _require(asdu.number == len(asdu.objects), "number differs from the objects given")
        first = asdu.objects[0].address if asdu.objects else 0
        for index, obj in enumerate(asdu.objects):
            _require(0 <= obj.address <= _IOA_MASK, f"address {obj.address} outside 24 bits")
            if index == 0 or not asdu.sequence:
                out += obj.address.to_bytes(IOA_LENGTH, "little")
            else:
                _require(
                    obj.address == (first + index) & _IOA_MASK,
                    "a sequence (SQ=1) needs consecutive addresses",
                )
            out += encode_element(asdu.type_id, obj.element)
    _require(len(out) <= MAX_ASDU_LENGTH, f"ASDU of {len(out)} octets exceeds 249")
    return bytes(out)


def encode_apdu(apdu: Apdu) -> bytes:
    """An APDU -> octets with start and length, ready to send over TCP."""
    match apdu:
        case IFrame(send, recv, asdu):
            _require(0 <= send <= _SEQ_MAX and 0 <= recv <= _SEQ_MAX, "sequence outside 15 bits")
            body = _CONTROL.pack(send << 1, recv << 1) + encode_asdu(asdu)
        case SFrame(recv):
            _require(0 <= recv <= _SEQ_MAX, "sequence outside 15 bits")
            body = _CONTROL.pack(0x0001, recv << 1)
        case UFrame(function):
            _require(function in _U_FUNCTIONS, f"U function 0x{function:02x}")
            body = bytes((function | 0x03, 0, 0, 0))
        case _:
            raise TypeError(f"not an IEC 104 APDU: {type(apdu).__name__}")
    return bytes((START, len(body))) + body
