"""Modbus/TCP bytes <-> messages, without I/O.

Decoding needs the direction, because a request and a response of the same
function code have different layouts: ``decode_request``/``decode_response``
take one whole ADU (as the framer delimits it), ``decode_request_pdu``/
``decode_response_pdu`` a bare PDU (function code first).  They return a
message or an ``Anomaly``; they never raise.  ``encode_adu``/``encode_pdu``
turn any message back into bytes; for every ADU a decoder accepts,
``encode_adu(decode_...(adu)) == adu``.

The hot path should use ``peek``, ``peek_sub_code`` and ``request_operation``:
they read a few bytes in place with ``struct.unpack_from`` and allocate at
most one small tuple, no message object.

ADU layout (Implementation Guide V1.0b, 3.1.3)::

    0      2      4      6     7          8
    +------+------+------+-----+----------+------------------+
    | tid  | pid=0| len  | uid | function | data ...         |
    +------+------+------+-----+----------+------------------+
      u16    u16    u16    u8     u8        len - 2 bytes

``len`` counts the unit id and the PDU (2-254 in the specification; otm
accepts 255, see ``constants.MAX_MBAP_LENGTH``).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from typing import cast

from otm.protocols.common import Anomaly
from otm.protocols.modbus.anomalies import ModbusAnomaly
from otm.protocols.modbus.constants import (
    COIL_OFF,
    COIL_ON,
    DIAGNOSTIC_NAMES,
    EXCEPTION_FLAG,
    FILE_REFERENCE_TYPE,
    MAX_MBAP_LENGTH,
    MAX_PDU_LENGTH,
    MBAP_HEADER_LENGTH,
    MEI_NAMES,
    MORE_FOLLOWS_NO,
    MORE_FOLLOWS_YES,
    UMAS_NAMES,
    ExceptionCode,
    FunctionCode,
    MeiType,
    ReadDeviceIdCode,
    operation_category,
    operation_name,
)
from otm.protocols.modbus.messages import (
    Adu,
    CommEventCounterResponse,
    CommEventLogResponse,
    DeviceIdObject,
    Diagnostics,
    EncapsulatedInterfaceTransport,
    ExceptionResponse,
    FileRecord,
    FileSubRequest,
    FileSubResponse,
    MaskWriteRegister,
    NoDataRequest,
    Pdu,
    RawPdu,
    ReadBitsResponse,
    ReadDeviceIdentificationRequest,
    ReadDeviceIdentificationResponse,
    ReadExceptionStatusResponse,
    ReadFifoQueueRequest,
    ReadFifoQueueResponse,
    ReadFileRecordRequest,
    ReadFileRecordResponse,
    ReadRegistersResponse,
    ReadRequest,
    ReadWriteMultipleRequest,
    ReportServerIdResponse,
    RequestPdu,
    ResponsePdu,
    UmasRequest,
    UmasResponse,
    WriteFileRecord,
    WriteMultipleCoilsRequest,
    WriteMultipleRegistersRequest,
    WriteMultipleResponse,
    WriteSingle,
)

K = ModbusAnomaly

_MBAP = struct.Struct(">HHHB")
_PEEK = struct.Struct(">H4xBB")
_U16 = struct.Struct(">H")
_TWO_U16 = struct.Struct(">HH")
_THREE_U16 = struct.Struct(">HHH")
_FILE_SUB = struct.Struct(">BHHH")
"""File sub-request header: reference type u8, file number u16, record number u16,
record length u16 (the whole read sub-request; a write one is followed by data)."""
_READ_WRITE = struct.Struct(">HHHHB")
_COUNTED_WRITE = struct.Struct(">HHB")
_EVENT_LOG = struct.Struct(">HHH")

_READ_CODES = frozenset((1, 2, 3, 4))
_BIT_READ_CODES = frozenset((1, 2))
_REGISTER_READ_CODES = frozenset((3, 4, 23))
_SINGLE_WRITE_CODES = frozenset((5, 6))
_NO_DATA_CODES = frozenset((7, 11, 12, 17))
_MULTIPLE_WRITE_CODES = frozenset((15, 16))

_MAX_DEVICE_ID_OBJECTS = (MAX_PDU_LENGTH - 7) // 2
"""A largest PDU (254 bytes) less the 7-byte MEI 14 response header holds at
most 123 objects of at least 2 bytes (id, length) each."""

_Result = Pdu | Anomaly
_Decoder = Callable[[int, bytes, int, int], _Result]
"""``decoder(function_code, buf, body, end)``: ``buf[body:end]`` is the PDU after
its function code; anomaly offsets are indices into ``buf``."""


# --- small helpers -------------------------------------------------------------


def _registers(buf: bytes, at: int, count: int) -> tuple[int, ...]:
    return cast("tuple[int, ...]", struct.unpack_from(f">{count}H", buf, at))


def _exact(body: int, end: int, need: int, what: str) -> Anomaly | None:
    """None when ``buf[body:end]`` is exactly ``need`` bytes long, else the anomaly."""
    have = end - body
    if have < need:
        return Anomaly(K.TRUNCATED, f"{what} needs {need} data bytes, {have} present", end)
    if have > need:
        return Anomaly(K.TRAILING_BYTES, f"{have - need} bytes after the {what}", body + need)
    return None


def _at_least(body: int, end: int, need: int, what: str) -> Anomaly | None:
    have = end - body
    if have < need:
        return Anomaly(K.TRUNCATED, f"{what} needs at least {need} data bytes, {have}", end)
    return None


def _covered(data_start: int, end: int, count: int, what: str) -> Anomaly | None:
    """None when exactly ``count`` bytes lie in ``[data_start, end)``."""
    have = end - data_start
    if have < count:
        return Anomaly(K.TRUNCATED, f"{what} byte count {count}, {have} bytes present", end)
    if have > count:
        return Anomaly(
            K.TRAILING_BYTES, f"{have - count} bytes after the {what} data", data_start + count
        )
    return None


# --- request decoders ---------------------------------------------------------


def _req_read(code: int, buf: bytes, body: int, end: int) -> _Result:
    bad = _exact(body, end, 4, "read request")
    if bad:
        return bad
    address, quantity = _TWO_U16.unpack_from(buf, body)
    return ReadRequest(code, address, quantity)


def _write_single(code: int, buf: bytes, body: int, end: int) -> _Result:
    bad = _exact(body, end, 4, "single write")
    if bad:
        return bad
    address, value = _TWO_U16.unpack_from(buf, body)
    return WriteSingle(code, address, value)


def _req_no_data(code: int, buf: bytes, body: int, end: int) -> _Result:
    bad = _exact(body, end, 0, "request")
    if bad:
        return bad
    return NoDataRequest(code)


def _diagnostics(code: int, buf: bytes, body: int, end: int) -> _Result:
    bad = _at_least(body, end, 2, "diagnostics")
    if bad:
        return bad
    return Diagnostics(_U16.unpack_from(buf, body)[0], bytes(buf[body + 2 : end]))


def _req_write_coils(code: int, buf: bytes, body: int, end: int) -> _Result:
    bad = _at_least(body, end, 5, "write multiple coils")
    if bad:
        return bad
    address, quantity, count = _COUNTED_WRITE.unpack_from(buf, body)
    bad = _covered(body + 5, end, count, "write multiple coils")
    if bad:
        return bad
    if count != (quantity + 7) // 8:
        return Anomaly(K.BYTE_COUNT_MISMATCH, f"byte count {count} for {quantity} coils", body + 4)
    return WriteMultipleCoilsRequest(address, quantity, bytes(buf[body + 5 : end]))


def _req_write_registers(code: int, buf: bytes, body: int, end: int) -> _Result:
    bad = _at_least(body, end, 5, "write multiple registers")
    if bad:
        return bad
    address, quantity, count = _COUNTED_WRITE.unpack_from(buf, body)
    bad = _covered(body + 5, end, count, "write multiple registers")
    if bad:
        return bad
    if count != 2 * quantity:
        return Anomaly(
            K.BYTE_COUNT_MISMATCH, f"byte count {count} for {quantity} registers", body + 4
        )
    return WriteMultipleRegistersRequest(address, _registers(buf, body + 5, quantity))


def _req_read_file(code: int, buf: bytes, body: int, end: int) -> _Result:
    bad = _at_least(body, end, 1, "read file record")
    if bad:
        return bad
    count = buf[body]
    bad = _covered(body + 1, end, count, "read file record")
    if bad:
        return bad
    if count % _FILE_SUB.size:
        return Anomaly(
            K.BYTE_COUNT_MISMATCH, f"byte count {count} is not 7 bytes a sub-request", body
        )
    # count <= 255, so at most 36 sub-requests of 7 bytes.
    subs = tuple(
        FileSubRequest(*_FILE_SUB.unpack_from(buf, at))
        for at in range(body + 1, body + 1 + count, _FILE_SUB.size)
    )
    return ReadFileRecordRequest(subs)


def _write_file(code: int, buf: bytes, body: int, end: int) -> _Result:
    bad = _at_least(body, end, 1, "write file record")
    if bad:
        return bad
    count = buf[body]
    at, stop = body + 1, body + 1 + count
    bad = _covered(at, end, count, "write file record")
    if bad:
        return bad
    records: list[FileRecord] = []
    # Each pass consumes at least 7 of at most 255 bytes: at most 36 passes.
    while at < stop:
        if stop - at < _FILE_SUB.size:
            return Anomaly(K.BYTE_COUNT_MISMATCH, "file sub-request cut by the byte count", at)
        ref_type, file_number, record_number, length = _FILE_SUB.unpack_from(buf, at)
        data_at = at + _FILE_SUB.size
        if data_at + 2 * length > stop:
            return Anomaly(
                K.BYTE_COUNT_MISMATCH, f"record of {length} registers cut by the byte count", at
            )
        records.append(
            FileRecord(ref_type, file_number, record_number, _registers(buf, data_at, length))
        )
        at = data_at + 2 * length
    return WriteFileRecord(tuple(records))


def _mask_write(code: int, buf: bytes, body: int, end: int) -> _Result:
    bad = _exact(body, end, 6, "mask write register")
    if bad:
        return bad
    return MaskWriteRegister(*_THREE_U16.unpack_from(buf, body))


def _req_read_write(code: int, buf: bytes, body: int, end: int) -> _Result:
    bad = _at_least(body, end, 9, "read/write multiple registers")
    if bad:
        return bad
    read_at, read_qty, write_at, write_qty, count = _READ_WRITE.unpack_from(buf, body)
    bad = _covered(body + 9, end, count, "read/write multiple registers")
    if bad:
        return bad
    if count != 2 * write_qty:
        return Anomaly(
            K.BYTE_COUNT_MISMATCH, f"byte count {count} for {write_qty} registers", body + 8
        )
    return ReadWriteMultipleRequest(
        read_at, read_qty, write_at, _registers(buf, body + 9, write_qty)
    )


def _req_fifo(code: int, buf: bytes, body: int, end: int) -> _Result:
    bad = _exact(body, end, 2, "read FIFO queue request")
    if bad:
        return bad
    return ReadFifoQueueRequest(_U16.unpack_from(buf, body)[0])


def _req_encapsulated(code: int, buf: bytes, body: int, end: int) -> _Result:
    bad = _at_least(body, end, 1, "encapsulated interface transport")
    if bad:
        return bad
    mei = buf[body]
    if mei != MeiType.READ_DEVICE_IDENTIFICATION:
        return EncapsulatedInterfaceTransport(mei, bytes(buf[body + 1 : end]))
    bad = _exact(body, end, 3, "read device identification request")
    if bad:
        return bad
    return ReadDeviceIdentificationRequest(buf[body + 1], buf[body + 2])


def _req_umas(code: int, buf: bytes, body: int, end: int) -> _Result:
    if end - body < 2:
        # Too short for a pairing key and a UMAS function: vendor bytes, kept raw.
        return RawPdu(code, bytes(buf[body:end]))
    return UmasRequest(buf[body], buf[body + 1], bytes(buf[body + 2 : end]))


_REQUEST_DECODERS: dict[int, _Decoder] = {
    1: _req_read,
    2: _req_read,
    3: _req_read,
    4: _req_read,
    5: _write_single,
    6: _write_single,
    7: _req_no_data,
    8: _diagnostics,
    11: _req_no_data,
    12: _req_no_data,
    15: _req_write_coils,
    16: _req_write_registers,
    17: _req_no_data,
    20: _req_read_file,
    21: _write_file,
    22: _mask_write,
    23: _req_read_write,
    24: _req_fifo,
    43: _req_encapsulated,
    90: _req_umas,
}


# --- response decoders ---------------------------------------------------------


def _resp_read_bits(code: int, buf: bytes, body: int, end: int) -> _Result:
    bad = _at_least(body, end, 1, "read bits response")
    if bad:
        return bad
    count = buf[body]
    bad = _covered(body + 1, end, count, "read bits response")
    if bad:
        return bad
    return ReadBitsResponse(code, bytes(buf[body + 1 : end]))


def _resp_read_registers(code: int, buf: bytes, body: int, end: int) -> _Result:
    bad = _at_least(body, end, 1, "read registers response")
    if bad:
        return bad
    count = buf[body]
    bad = _covered(body + 1, end, count, "read registers response")
    if bad:
        return bad
    if count % 2:
        return Anomaly(K.BYTE_COUNT_MISMATCH, f"odd byte count {count} for registers", body)
    return ReadRegistersResponse(code, _registers(buf, body + 1, count // 2))


def _resp_exception_status(code: int, buf: bytes, body: int, end: int) -> _Result:
    bad = _exact(body, end, 1, "read exception status response")
    if bad:
        return bad
    return ReadExceptionStatusResponse(buf[body])


def _resp_event_counter(code: int, buf: bytes, body: int, end: int) -> _Result:
    bad = _exact(body, end, 4, "comm event counter response")
    if bad:
        return bad
    return CommEventCounterResponse(*_TWO_U16.unpack_from(buf, body))


def _resp_event_log(code: int, buf: bytes, body: int, end: int) -> _Result:
    bad = _at_least(body, end, 1, "comm event log response")
    if bad:
        return bad
    count = buf[body]
    bad = _covered(body + 1, end, count, "comm event log response")
    if bad:
        return bad
    if count < _EVENT_LOG.size:
        return Anomaly(K.BYTE_COUNT_MISMATCH, f"byte count {count} below the 6 fixed", body)
    status, events, messages = _EVENT_LOG.unpack_from(buf, body + 1)
    return CommEventLogResponse(status, events, messages, bytes(buf[body + 7 : end]))


def _resp_write_multiple(code: int, buf: bytes, body: int, end: int) -> _Result:
    bad = _exact(body, end, 4, "write multiple response")
    if bad:
        return bad
    address, quantity = _TWO_U16.unpack_from(buf, body)
    return WriteMultipleResponse(code, address, quantity)


def _resp_server_id(code: int, buf: bytes, body: int, end: int) -> _Result:
    bad = _at_least(body, end, 1, "report server id response")
    if bad:
        return bad
    count = buf[body]
    bad = _covered(body + 1, end, count, "report server id response")
    if bad:
        return bad
    return ReportServerIdResponse(bytes(buf[body + 1 : end]))


def _resp_read_file(code: int, buf: bytes, body: int, end: int) -> _Result:
    bad = _at_least(body, end, 1, "read file record response")
    if bad:
        return bad
    count = buf[body]
    at, stop = body + 1, body + 1 + count
    bad = _covered(at, end, count, "read file record response")
    if bad:
        return bad
    subs: list[FileSubResponse] = []
    # Each pass consumes at least 2 of at most 255 bytes: at most 127 passes.
    while at < stop:
        length = buf[at]
        if length < 1 or at + 1 + length > stop:
            return Anomaly(K.BYTE_COUNT_MISMATCH, f"file response length {length} does not fit", at)
        if (length - 1) % 2:
            return Anomaly(
                K.BYTE_COUNT_MISMATCH, f"file response length {length} is not whole registers", at
            )
        subs.append(FileSubResponse(buf[at + 1], _registers(buf, at + 2, (length - 1) // 2)))
        at += 1 + length
    return ReadFileRecordResponse(tuple(subs))


def _resp_fifo(code: int, buf: bytes, body: int, end: int) -> _Result:
    bad = _at_least(body, end, 4, "read FIFO queue response")
    if bad:
        return bad
    count, fifo_count = _TWO_U16.unpack_from(buf, body)
    bad = _covered(body + 2, end, count, "read FIFO queue response")
    if bad:
        return bad
    if count != 2 + 2 * fifo_count:
        return Anomaly(
            K.BYTE_COUNT_MISMATCH, f"byte count {count} for {fifo_count} FIFO registers", body
        )
    return ReadFifoQueueResponse(_registers(buf, body + 4, fifo_count))


def _resp_encapsulated(code: int, buf: bytes, body: int, end: int) -> _Result:
    bad = _at_least(body, end, 1, "encapsulated interface transport")
    if bad:
        return bad
    mei = buf[body]
    if mei != MeiType.READ_DEVICE_IDENTIFICATION:
        return EncapsulatedInterfaceTransport(mei, bytes(buf[body + 1 : end]))
    bad = _at_least(body, end, 6, "read device identification response")
    if bad:
        return bad
    read_code, conformity, more, next_id, number = buf[body + 1 : body + 6]
    if number > _MAX_DEVICE_ID_OBJECTS:
        return Anomaly(K.TOO_MANY_OBJECTS, f"{number} objects cannot fit one PDU", body + 5)
    objects: list[DeviceIdObject] = []
    at = body + 6
    # number <= 123 (checked above), and each pass consumes at least 2 bytes.
    for _ in range(number):
        if end - at < 2:
            return Anomaly(K.TRUNCATED, f"object {len(objects)} of {number} missing", end)
        object_id, length = buf[at], buf[at + 1]
        if end - at - 2 < length:
            return Anomaly(K.TRUNCATED, f"object 0x{object_id:02x} of {length} bytes cut", end)
        objects.append(DeviceIdObject(object_id, bytes(buf[at + 2 : at + 2 + length])))
        at += 2 + length
    if at != end:
        return Anomaly(K.TRAILING_BYTES, f"{end - at} bytes after {number} objects", at)
    return ReadDeviceIdentificationResponse(read_code, conformity, more, next_id, tuple(objects))


def _resp_umas(code: int, buf: bytes, body: int, end: int) -> _Result:
    if end - body < 2:
        return RawPdu(code, bytes(buf[body:end]))
    return UmasResponse(buf[body], buf[body + 1], bytes(buf[body + 2 : end]))


_RESPONSE_DECODERS: dict[int, _Decoder] = {
    1: _resp_read_bits,
    2: _resp_read_bits,
    3: _resp_read_registers,
    4: _resp_read_registers,
    5: _write_single,
    6: _write_single,
    7: _resp_exception_status,
    8: _diagnostics,
    11: _resp_event_counter,
    12: _resp_event_log,
    15: _resp_write_multiple,
    16: _resp_write_multiple,
    17: _resp_server_id,
    20: _resp_read_file,
    21: _write_file,
    22: _mask_write,
    23: _resp_read_registers,
    24: _resp_fifo,
    43: _resp_encapsulated,
    90: _resp_umas,
}

_KNOWN_EXCEPTION_CODES = frozenset(int(c) for c in ExceptionCode)


def _request_pdu(buf: bytes, start: int, end: int) -> _Result:
    code = buf[start]
    if code == 0 or code & EXCEPTION_FLAG:
        return Anomaly(K.UNKNOWN_FUNCTION, f"function code 0x{code:02x} in a request", start)
    decoder = _REQUEST_DECODERS.get(code)
    if decoder is None:
        return RawPdu(code, bytes(buf[start + 1 : end]))
    return decoder(code, buf, start + 1, end)


def _response_pdu(buf: bytes, start: int, end: int) -> _Result:
    code = buf[start]
    if code & EXCEPTION_FLAG:
        original = code & ~EXCEPTION_FLAG
        if original == 0:
            return Anomaly(K.UNKNOWN_FUNCTION, "exception response to function code 0", start)
        bad = _exact(start + 1, end, 1, "exception response")
        if bad:
            return bad
        exception = buf[start + 1]
        if exception not in _KNOWN_EXCEPTION_CODES:
            return Anomaly(K.INVALID_EXCEPTION_CODE, f"exception code 0x{exception:02x}", start + 1)
        return ExceptionResponse(original, exception)
    if code == 0:
        return Anomaly(K.UNKNOWN_FUNCTION, "function code 0 in a response", start)
    decoder = _RESPONSE_DECODERS.get(code)
    if decoder is None:
        return RawPdu(code, bytes(buf[start + 1 : end]))
    return decoder(code, buf, start + 1, end)


def _pdu(pdu: bytes, decoder: Callable[[bytes, int, int], _Result]) -> _Result:
    if not pdu:
        return Anomaly(K.TRUNCATED, "empty PDU", 0)
    if len(pdu) > MAX_PDU_LENGTH:
        return Anomaly(
            K.INVALID_LENGTH, f"PDU of {len(pdu)} bytes, at most {MAX_PDU_LENGTH}", MAX_PDU_LENGTH
        )
    return decoder(pdu, 0, len(pdu))


def _adu(adu: bytes, decoder: Callable[[bytes, int, int], _Result]) -> Adu | Anomaly:
    size = len(adu)
    if size >= 4 and (adu[2] or adu[3]):
        return Anomaly(K.BAD_PROTOCOL_ID, f"protocol id 0x{adu[2]:02x}{adu[3]:02x}", 2)
    if size < MBAP_HEADER_LENGTH + 1:
        return Anomaly(K.TRUNCATED, f"{size} bytes, an ADU needs at least 8", size)
    transaction_id, _, length, unit_id = _MBAP.unpack_from(adu)
    if length < 2 or length > MAX_MBAP_LENGTH:
        return Anomaly(K.INVALID_LENGTH, f"MBAP length {length} outside 2-{MAX_MBAP_LENGTH}", 4)
    end = 6 + length
    if size < end:
        return Anomaly(K.TRUNCATED, f"MBAP length {length} but {size - 6} bytes follow", size)
    if size > end:
        return Anomaly(K.TRAILING_BYTES, f"{size - end} bytes after the MBAP length", end)
    pdu = decoder(adu, MBAP_HEADER_LENGTH, end)
    if isinstance(pdu, Anomaly):
        if pdu.kind in (K.TRUNCATED, K.TRAILING_BYTES):
            # The ADU is whole by its header, so the header's length is what
            # disagrees with the function's layout or byte count.
            return Anomaly(K.INVALID_LENGTH, f"MBAP length {length}: {pdu.detail}", pdu.offset)
        return pdu
    return Adu(transaction_id, unit_id, pdu)


# --- public decoding API ------------------------------------------------------------


def decode_request(adu: bytes) -> Adu | Anomaly:
    """One request ADU (client to server) -> ``Adu`` whose ``pdu`` is a ``RequestPdu``."""
    return _adu(adu, _request_pdu)


def decode_response(adu: bytes) -> Adu | Anomaly:
    """One response ADU (server to client) -> ``Adu`` whose ``pdu`` is a ``ResponsePdu``."""
    return _adu(adu, _response_pdu)


def decode_request_pdu(pdu: bytes) -> RequestPdu | Anomaly:
    """A bare request PDU (function code first, no MBAP header)."""
    return cast("RequestPdu | Anomaly", _pdu(pdu, _request_pdu))


def decode_response_pdu(pdu: bytes) -> ResponsePdu | Anomaly:
    """A bare response PDU (function code first, no MBAP header)."""
    return cast("ResponsePdu | Anomaly", _pdu(pdu, _response_pdu))


# --- hot-path accessors ------------------------------------------------------------


def peek(adu: bytes, start: int = 0) -> tuple[int, int, int] | None:
    """``(transaction_id, unit_id, function_code)`` of the ADU at ``start``, or None.

    None when fewer than 8 bytes are there or the protocol id is not 0.  The
    function code is the raw byte: exception responses keep their 0x80 flag.
    Reads in place; the returned tuple is the only allocation.
    """
    if len(adu) - start < 8 or adu[start + 2] or adu[start + 3]:
        return None
    return cast("tuple[int, int, int]", _PEEK.unpack_from(adu, start))


def peek_sub_code(adu: bytes, start: int = 0) -> int | None:
    """The code that refines a *request*'s operation, read in place, or None.

    The diagnostic sub-function (u16 at offset 8) for function 8, the MEI
    type (offset 8) for 43, the UMAS function (offset 9, after the pairing
    key) for 90; None for other functions or when the bytes are missing.
    Feed it to ``constants.operation_name``/``operation_category``.
    """
    have = len(adu) - start
    if have < 9 or adu[start + 2] or adu[start + 3]:
        return None
    code = adu[start + 7]
    if code == 43:  # encapsulated interface transport: MEI type
        return adu[start + 8]
    if have < 10:
        return None
    if code == 8:  # diagnostics: sub-function u16
        return (adu[start + 8] << 8) | adu[start + 9]
    if code == 90:  # UMAS: the function after the pairing key
        return adu[start + 9]
    return None


_OPERATIONS: dict[int, tuple[str, str]] = {
    code: (operation_name(code), operation_category(code)) for code in range(1, EXCEPTION_FLAG)
}
"""Function code -> (name, category) for codes 1-127."""

_SUB_OPERATIONS: dict[int, tuple[str, str]] = {
    (code << 16) | sub: (operation_name(code, sub), operation_category(code, sub))
    for code, subs in (
        (FunctionCode.DIAGNOSTICS, DIAGNOSTIC_NAMES),
        (FunctionCode.ENCAPSULATED_INTERFACE_TRANSPORT, MEI_NAMES),
        (FunctionCode.UMAS, UMAS_NAMES),
    )
    for sub in subs
}
"""``function code << 16 | sub code`` -> (name, category) for every named sub code."""

_REFINED_CODES = frozenset((8, 43, 90))
"""Diagnostics, encapsulated interface transport and UMAS: refined by a sub code."""


def request_operation(adu: bytes, start: int = 0) -> tuple[str, str] | None:
    """``(operation name, category)`` of a request ADU without decoding it, or None.

    None when there is no valid MBAP header and function code (fewer than 8
    bytes, protocol id not 0, function code 0 or with the exception flag).
    Functions 8, 43 and 90 are refined by ``peek_sub_code``
    (``restart_communications``, ``read_device_identification``,
    ``umas_stop_plc`` ...).  Known codes come from tables built at import, so
    the answer is a shared tuple: 0.2 us a call on CPython 3.11 (0.8 us for
    8, 43 and 90, which also read the sub code).
    """
    if len(adu) - start < 8 or adu[start + 2] or adu[start + 3]:
        return None
    code = adu[start + 7]
    if code in _REFINED_CODES:
        sub = peek_sub_code(adu, start)
        if sub is not None:
            known = _SUB_OPERATIONS.get((code << 16) | sub)
            if known is not None:
                return known
            return operation_name(code, sub), operation_category(code, sub)
    return _OPERATIONS.get(code)


# --- encoding -------------------------------------------------------------------------


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _pack_registers(values: tuple[int, ...]) -> bytes:
    return struct.pack(f">{len(values)}H", *values)


def _counted(data: bytes) -> bytes:
    _require(len(data) <= 0xFF, f"{len(data)} bytes do not fit a u8 byte count")
    return bytes((len(data),)) + data


def _encode(pdu: Pdu) -> bytes:
    match pdu:
        case ReadRequest(code, address, quantity):
            _require(code in _READ_CODES, f"ReadRequest with function code {code}")
            return struct.pack(">BHH", code, address, quantity)
        case ReadBitsResponse(code, status):
            _require(code in _BIT_READ_CODES, f"ReadBitsResponse with function code {code}")
            return bytes((code,)) + _counted(status)
        case ReadRegistersResponse(code, registers):
            _require(code in _REGISTER_READ_CODES, f"ReadRegistersResponse with code {code}")
            return bytes((code,)) + _counted(_pack_registers(registers))
        case WriteSingle(code, address, value):
            _require(code in _SINGLE_WRITE_CODES, f"WriteSingle with function code {code}")
            return struct.pack(">BHH", code, address, value)
        case NoDataRequest(code):
            _require(code in _NO_DATA_CODES, f"NoDataRequest with function code {code}")
            return bytes((code,))
        case ReadExceptionStatusResponse(output):
            return struct.pack(">BB", pdu.function_code, output)
        case Diagnostics(sub_function, data):
            return struct.pack(">BH", pdu.function_code, sub_function) + data
        case CommEventCounterResponse(status, count):
            return struct.pack(">BHH", pdu.function_code, status, count)
        case CommEventLogResponse(status, events, messages, log):
            return bytes((pdu.function_code,)) + _counted(
                _EVENT_LOG.pack(status, events, messages) + log
            )
        case WriteMultipleCoilsRequest(address, quantity, outputs):
            _require(
                len(outputs) == (quantity + 7) // 8,
                f"{len(outputs)} output bytes for {quantity} coils",
            )
            return struct.pack(">BHH", pdu.function_code, address, quantity) + _counted(outputs)
        case WriteMultipleRegistersRequest(address, registers):
            return struct.pack(">BHH", pdu.function_code, address, len(registers)) + _counted(
                _pack_registers(registers)
            )
        case WriteMultipleResponse(code, address, quantity):
            _require(code in _MULTIPLE_WRITE_CODES, f"WriteMultipleResponse with code {code}")
            return struct.pack(">BHH", code, address, quantity)
        case ReportServerIdResponse(data):
            return bytes((pdu.function_code,)) + _counted(data)
        case ReadFileRecordRequest(subs):
            body = b"".join(
                _FILE_SUB.pack(s.reference_type, s.file_number, s.record_number, s.record_length)
                for s in subs
            )
            return bytes((pdu.function_code,)) + _counted(body)
        case ReadFileRecordResponse(subs):
            parts = []
            for sub in subs:
                data = _pack_registers(sub.record_data)
                parts.append(_counted(bytes((sub.reference_type,)) + data))
            return bytes((pdu.function_code,)) + _counted(b"".join(parts))
        case WriteFileRecord(records):
            body = b"".join(
                _FILE_SUB.pack(r.reference_type, r.file_number, r.record_number, len(r.record_data))
                + _pack_registers(r.record_data)
                for r in records
            )
            return bytes((pdu.function_code,)) + _counted(body)
        case MaskWriteRegister(address, and_mask, or_mask):
            return struct.pack(">BHHH", pdu.function_code, address, and_mask, or_mask)
        case ReadWriteMultipleRequest(read_at, read_qty, write_at, registers):
            data = _pack_registers(registers)
            _require(len(data) <= 0xFF, f"{len(registers)} registers do not fit a byte count")
            return (
                bytes((pdu.function_code,))
                + _READ_WRITE.pack(read_at, read_qty, write_at, len(registers), len(data))
                + data
            )
        case ReadFifoQueueRequest(address):
            return struct.pack(">BH", pdu.function_code, address)
        case ReadFifoQueueResponse(values):
            return struct.pack(">BHH", pdu.function_code, 2 + 2 * len(values), len(values)) + (
                _pack_registers(values)
            )
        case ReadDeviceIdentificationRequest(read_code, object_id):
            return bytes(
                (pdu.function_code, MeiType.READ_DEVICE_IDENTIFICATION, read_code, object_id)
            )
        case ReadDeviceIdentificationResponse(read_code, conformity, more, next_id, objects):
            _require(len(objects) <= _MAX_DEVICE_ID_OBJECTS, f"{len(objects)} objects")
            head = bytes(
                (
                    pdu.function_code,
                    MeiType.READ_DEVICE_IDENTIFICATION,
                    read_code,
                    conformity,
                    more,
                    next_id,
                    len(objects),
                )
            )
            return head + b"".join(bytes((o.object_id,)) + _counted(o.value) for o in objects)
        case EncapsulatedInterfaceTransport(mei, data):
            _require(
                mei != MeiType.READ_DEVICE_IDENTIFICATION,
                "MEI 14 has its own messages (ReadDeviceIdentification...)",
            )
            return bytes((pdu.function_code, mei)) + data
        case UmasRequest(key, function, data):
            return bytes((pdu.function_code, key, function)) + data
        case UmasResponse(key, return_code, data):
            return bytes((pdu.function_code, key, return_code)) + data
        case RawPdu(code, data):
            _require(0 < code < EXCEPTION_FLAG, f"function code {code} outside 1-127")
            _require(
                code not in _REQUEST_DECODERS or (code == FunctionCode.UMAS and len(data) < 2),
                f"function code {code} has its own message class",
            )
            return bytes((code,)) + data
        case ExceptionResponse(code, exception):
            _require(0 < code < EXCEPTION_FLAG, f"function code {code} outside 1-127")
            _require(exception in _KNOWN_EXCEPTION_CODES, f"exception code {exception}")
            return bytes((code | EXCEPTION_FLAG, exception))
    raise TypeError(f"not a Modbus PDU: {type(pdu).__name__}")


def encode_pdu(pdu: Pdu) -> bytes:
    """A message -> PDU bytes (function code first), byte counts and quantities derived.

    Raises ``ValueError`` for a message no decoder would return (a field out
    of range, a function code the shape does not serve, a PDU over 254 bytes).
    """
    try:
        data = _encode(pdu)
    except (struct.error, OverflowError) as error:
        raise ValueError(f"{type(pdu).__name__}: {error}") from error
    _require(len(data) <= MAX_PDU_LENGTH, f"PDU of {len(data)} bytes exceeds {MAX_PDU_LENGTH}")
    return data


def encode_adu(adu: Adu) -> bytes:
    """An ``Adu`` -> MBAP header + PDU bytes, ready to send over TCP."""
    pdu = encode_pdu(adu.pdu)
    try:
        header = _MBAP.pack(adu.transaction_id, 0, len(pdu) + 1, adu.unit_id)
    except struct.error as error:
        raise ValueError(f"MBAP header: {error}") from error
    return header + pdu


# --- value checks -------------------------------------------------------------------------


def _quantity(value: int, low: int, high: int, what: str) -> Anomaly | None:
    if low <= value <= high:
        return None
    return Anomaly(K.INVALID_QUANTITY, f"{what} {value} outside {low}-{high}")


def check_values(pdu: Pdu) -> Anomaly | None:
    """The first field a well-formed message carries outside section 6's ranges, or None.

    Decoders accept any value the layout can hold (a server answers illegal
    values with exception 3); this tells detection which requests a
    conforming client would never send.  Offsets are 0 (a message has no
    position).
    """
    match pdu:
        case ReadRequest(code, _, quantity):
            high = 2000 if code in _BIT_READ_CODES else 125
            return _quantity(quantity, 1, high, "read quantity")
        case WriteSingle(FunctionCode.WRITE_SINGLE_COIL, _, value):
            if value not in (COIL_ON, COIL_OFF):
                return Anomaly(K.INVALID_VALUE, f"coil value 0x{value:04x}")
        case WriteMultipleCoilsRequest(_, quantity, _):
            return _quantity(quantity, 1, 0x7B0, "coil quantity")
        case WriteMultipleRegistersRequest(_, registers):
            return _quantity(len(registers), 1, 0x7B, "register quantity")
        case ReadWriteMultipleRequest(_, read_qty, _, registers):
            return _quantity(read_qty, 1, 0x7D, "read quantity") or _quantity(
                len(registers), 1, 0x79, "write quantity"
            )
        case ReadFileRecordRequest(subs):
            return _quantity(len(subs), 1, 35, "sub-requests") or _file_types(
                s.reference_type for s in subs
            )
        case ReadFileRecordResponse(subs):
            return _file_types(s.reference_type for s in subs)
        case WriteFileRecord(records):
            return _quantity(len(records), 1, 35, "sub-requests") or _file_types(
                r.reference_type for r in records
            )
        case ReadFifoQueueResponse(values):
            return _quantity(len(values), 0, 31, "FIFO count")
        case CommEventLogResponse(_, _, _, events):
            return _quantity(len(events), 0, 64, "event bytes")
        case ReadDeviceIdentificationRequest(read_code, _):
            if read_code not in _READ_DEVICE_ID_CODES:
                return Anomaly(K.INVALID_VALUE, f"read device id code {read_code}")
        case ReadDeviceIdentificationResponse(read_code, _, more, _, _):
            if read_code not in _READ_DEVICE_ID_CODES:
                return Anomaly(K.INVALID_VALUE, f"read device id code {read_code}")
            if more not in (MORE_FOLLOWS_NO, MORE_FOLLOWS_YES):
                return Anomaly(K.INVALID_VALUE, f"more follows 0x{more:02x}")
    return None


_READ_DEVICE_ID_CODES = frozenset(int(c) for c in ReadDeviceIdCode)


def _file_types(types: Iterable[int]) -> Anomaly | None:
    # At most 36 sub-requests fit one PDU.
    for ref_type in types:
        if ref_type != FILE_REFERENCE_TYPE:
            return Anomaly(K.INVALID_VALUE, f"file reference type {ref_type}, not 6")
    return None
