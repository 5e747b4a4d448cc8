"""Modbus messages: one frozen dataclass per PDU shape, fields in wire order.

All integers on the wire are big-endian.  Byte counts and quantities that can
be derived from the data (``len(registers)``) are not stored; the encoder
writes them and the decoder checks them.  Where one layout serves several
function codes (the four reads, the two single writes ...) the message
carries ``function_code``; elsewhere ``function_code`` is a read-only
property, so every PDU answers ``.function_code`` (without the exception
flag).  Layouts are from the Modbus Application Protocol Specification
V1.1b3, section 6 (the number after each class name).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from otm.protocols.modbus.constants import (
    FunctionCode,
    exception_name,
    object_name,
)

# --- reads (6.1-6.4) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReadRequest:
    """Read coils (1), discrete inputs (2), holding (3) or input registers (4), 6.1-6.4.

    ``function code u8 | starting address u16 | quantity u16``; quantity is
    1-2000 bits or 1-125 registers.
    """

    function_code: int
    starting_address: int
    quantity: int


@dataclass(frozen=True, slots=True)
class ReadBitsResponse:
    """Read coils (1) / discrete inputs (2) response, 6.1-6.2.

    ``function code u8 | byte count u8 | status bytes``; bit 0 of the first
    byte is the first coil asked for; how many bits count is in the request.
    """

    function_code: int
    status: bytes


@dataclass(frozen=True, slots=True)
class ReadRegistersResponse:
    """Read holding (3) / input registers (4), read/write registers (23) response.

    ``function code u8 | byte count u8 (2 x N) | N registers u16``, 6.3, 6.4, 6.17.
    """

    function_code: int
    registers: tuple[int, ...]


# --- single writes (6.5-6.6) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class WriteSingle:
    """Write single coil (5) or register (6), request and its echoed response.

    ``function code u8 | address u16 | value u16``; a coil value is 0xFF00
    (on) or 0x0000 (off), 6.5-6.6.
    """

    function_code: int
    address: int
    value: int


# --- serial-line diagnostics (6.7-6.9) ---------------------------------------


@dataclass(frozen=True, slots=True)
class NoDataRequest:
    """A request that is its function code alone: 7, 11, 12, 17 (6.7, 6.9, 6.10, 6.13)."""

    function_code: int


@dataclass(frozen=True, slots=True)
class ReadExceptionStatusResponse:
    """Read exception status (7) response: ``function code u8 | output data u8``, 6.7."""

    output_data: int

    @property
    def function_code(self) -> int:
        return FunctionCode.READ_EXCEPTION_STATUS


@dataclass(frozen=True, slots=True)
class Diagnostics:
    """Diagnostics (8) request and its (usually echoed) response, 6.8.

    ``function code u8 | sub-function u16 | data (usually N x 2 bytes)``.
    The data's meaning depends on the sub-function (query data to echo,
    restart option 0x0000/0xFF00, a counter in the response ...), so it is
    kept raw.
    """

    sub_function: int
    data: bytes

    @property
    def function_code(self) -> int:
        return FunctionCode.DIAGNOSTICS


@dataclass(frozen=True, slots=True)
class CommEventCounterResponse:
    """Get comm event counter (11) response, 6.9.

    ``function code u8 | status u16 (0xFFFF busy) | event count u16``.
    """

    status: int
    event_count: int

    @property
    def function_code(self) -> int:
        return FunctionCode.GET_COMM_EVENT_COUNTER


@dataclass(frozen=True, slots=True)
class CommEventLogResponse:
    """Get comm event log (12) response, 6.10.

    ``function code u8 | byte count u8 (6 + N) | status u16 | event count u16 |
    message count u16 | N event bytes (0-64), newest first``.
    """

    status: int
    event_count: int
    message_count: int
    events: bytes

    @property
    def function_code(self) -> int:
        return FunctionCode.GET_COMM_EVENT_LOG


# --- multiple writes (6.11-6.12) -----------------------------------------------


@dataclass(frozen=True, slots=True)
class WriteMultipleCoilsRequest:
    """Write multiple coils (15) request, 6.11.

    ``function code u8 | starting address u16 | quantity of outputs u16 |
    byte count u8 (= ceil(quantity / 8)) | outputs value bytes`` (bit 0 of the
    first byte is the first coil).
    """

    starting_address: int
    quantity: int
    outputs: bytes

    @property
    def function_code(self) -> int:
        return FunctionCode.WRITE_MULTIPLE_COILS


@dataclass(frozen=True, slots=True)
class WriteMultipleRegistersRequest:
    """Write multiple registers (16) request, 6.12.

    ``function code u8 | starting address u16 | quantity u16 (N) |
    byte count u8 (2 x N) | N registers u16``.
    """

    starting_address: int
    registers: tuple[int, ...]

    @property
    def function_code(self) -> int:
        return FunctionCode.WRITE_MULTIPLE_REGISTERS


@dataclass(frozen=True, slots=True)
class WriteMultipleResponse:
    """Write multiple coils (15) / registers (16) response, 6.11-6.12.

    ``function code u8 | starting address u16 | quantity u16``.
    """

    function_code: int
    starting_address: int
    quantity: int


# --- report server id (6.13) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReportServerIdResponse:
    """Report server id (17) response, 6.13.

    ``function code u8 | byte count u8 | server id (device specific length) |
    run indicator status u8 (0x00 off, 0xFF on) | additional data``.  The
    split between id and additional data is device specific, so ``data``
    keeps every byte after the byte count; ``server_id``, ``run_indicator``,
    ``additional_data`` and ``text`` are best-effort readings.
    """

    data: bytes

    @property
    def function_code(self) -> int:
        return FunctionCode.REPORT_SERVER_ID

    def _run_index(self) -> int | None:
        # A best guess: the first 0x00/0xFF after at least one id byte.
        # Bounded by the data, at most 252 bytes in one PDU.
        data = self.data
        for index in range(1, len(data)):
            if data[index] in (0x00, 0xFF):
                return index
        return None

    @property
    def server_id(self) -> bytes:
        """The bytes before the guessed run indicator (all of them if none)."""
        index = self._run_index()
        return self.data if index is None else self.data[:index]

    @property
    def run_indicator(self) -> int | None:
        """0xFF (running) or 0x00 (stopped) where a run indicator was found."""
        index = self._run_index()
        return None if index is None else self.data[index]

    @property
    def additional_data(self) -> bytes:
        """The bytes after the guessed run indicator."""
        index = self._run_index()
        return b"" if index is None else self.data[index + 1 :]

    @property
    def text(self) -> str:
        """Printable ASCII runs of three or more characters, joined by spaces."""
        return printable_text(self.data)


def printable_text(data: bytes, min_run: int = 3) -> str:
    """The runs of printable ASCII in ``data`` of ``min_run`` or more, joined by a space."""
    runs: list[str] = []
    start = -1
    # Bounded by len(data), at most one PDU (254 bytes) in practice.
    for index, byte in enumerate(data):
        if 0x20 <= byte < 0x7F:
            if start < 0:
                start = index
        elif start >= 0:
            if index - start >= min_run:
                runs.append(data[start:index].decode("ascii").strip())
            start = -1
    if start >= 0 and len(data) - start >= min_run:
        runs.append(data[start:].decode("ascii").strip())
    return " ".join(run for run in runs if run)


# --- file records (6.14-6.15) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileSubRequest:
    """One sub-request of read file record (20), 6.14.

    ``reference type u8 (6) | file number u16 | record number u16 |
    record length u16`` (registers to read).
    """

    reference_type: int
    file_number: int
    record_number: int
    record_length: int


@dataclass(frozen=True, slots=True)
class ReadFileRecordRequest:
    """Read file record (20) request, 6.14.

    ``function code u8 | byte count u8 (7 x N) | N sub-requests``.
    """

    sub_requests: tuple[FileSubRequest, ...]

    @property
    def function_code(self) -> int:
        return FunctionCode.READ_FILE_RECORD


@dataclass(frozen=True, slots=True)
class FileSubResponse:
    """One sub-response of read file record (20), 6.14.

    ``file response length u8 (1 + 2 x N) | reference type u8 (6) | N registers u16``.
    """

    reference_type: int
    record_data: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ReadFileRecordResponse:
    """Read file record (20) response, 6.14.

    ``function code u8 | response data length u8 | sub-responses``.
    """

    sub_responses: tuple[FileSubResponse, ...]

    @property
    def function_code(self) -> int:
        return FunctionCode.READ_FILE_RECORD


@dataclass(frozen=True, slots=True)
class FileRecord:
    """One sub-request of write file record (21), 6.15.

    ``reference type u8 (6) | file number u16 | record number u16 |
    record length u16 (N) | N registers u16``.
    """

    reference_type: int
    file_number: int
    record_number: int
    record_data: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class WriteFileRecord:
    """Write file record (21) request and its echoed response, 6.15.

    ``function code u8 | request data length u8 | file records``.
    """

    records: tuple[FileRecord, ...]

    @property
    def function_code(self) -> int:
        return FunctionCode.WRITE_FILE_RECORD


# --- register edits (6.16-6.18) -------------------------------------------------


@dataclass(frozen=True, slots=True)
class MaskWriteRegister:
    """Mask write register (22) request and its echoed response, 6.16.

    ``function code u8 | reference address u16 | and mask u16 | or mask u16``;
    the register becomes ``(current AND and_mask) OR (or_mask AND NOT and_mask)``.
    """

    reference_address: int
    and_mask: int
    or_mask: int

    @property
    def function_code(self) -> int:
        return FunctionCode.MASK_WRITE_REGISTER


@dataclass(frozen=True, slots=True)
class ReadWriteMultipleRequest:
    """Read/write multiple registers (23) request, 6.17; the response is a
    ``ReadRegistersResponse``.

    ``function code u8 | read starting address u16 | quantity to read u16 |
    write starting address u16 | quantity to write u16 (N) |
    write byte count u8 (2 x N) | N registers u16``; the write happens first.
    """

    read_starting_address: int
    quantity_to_read: int
    write_starting_address: int
    write_registers: tuple[int, ...]

    @property
    def function_code(self) -> int:
        return FunctionCode.READ_WRITE_MULTIPLE_REGISTERS


@dataclass(frozen=True, slots=True)
class ReadFifoQueueRequest:
    """Read FIFO queue (24) request: ``function code u8 | FIFO pointer address u16``, 6.18."""

    fifo_pointer_address: int

    @property
    def function_code(self) -> int:
        return FunctionCode.READ_FIFO_QUEUE


@dataclass(frozen=True, slots=True)
class ReadFifoQueueResponse:
    """Read FIFO queue (24) response, 6.18.

    ``function code u8 | byte count u16 (2 + 2 x N) | FIFO count u16 (N, <= 31) |
    N registers u16``.
    """

    fifo_values: tuple[int, ...]

    @property
    def function_code(self) -> int:
        return FunctionCode.READ_FIFO_QUEUE


# --- encapsulated interface transport (6.19-6.21) -------------------------------


@dataclass(frozen=True, slots=True)
class ReadDeviceIdentificationRequest:
    """Read device identification (43 / MEI 14) request, 6.21.

    ``function code u8 (43) | MEI type u8 (14) | read device id code u8
    (1 basic, 2 regular, 3 extended, 4 one specific object) | object id u8``.
    """

    read_device_id_code: int
    object_id: int

    @property
    def function_code(self) -> int:
        return FunctionCode.ENCAPSULATED_INTERFACE_TRANSPORT


@dataclass(frozen=True, slots=True)
class DeviceIdObject:
    """One object of a device identification response: ``object id u8 | length u8 | value``."""

    object_id: int
    value: bytes

    @property
    def name(self) -> str:
        """``vendor_name`` ... ``user_application_name``, ``reserved_0x..``, ``private_0x..``."""
        return object_name(self.object_id)

    @property
    def text(self) -> str:
        """The value as text: UTF-8 where valid, else Latin-1; trailing NULs dropped."""
        try:
            decoded = self.value.decode("utf-8")
        except UnicodeDecodeError:
            decoded = self.value.decode("latin-1")
        return decoded.rstrip("\x00")


@dataclass(frozen=True, slots=True)
class ReadDeviceIdentificationResponse:
    """Read device identification (43 / MEI 14) response, 6.21.

    ``function code u8 (43) | MEI type u8 (14) | read device id code u8 |
    conformity level u8 | more follows u8 (0x00 / 0xFF) | next object id u8 |
    number of objects u8 | objects (id u8 | length u8 | value)``.
    """

    read_device_id_code: int
    conformity_level: int
    more_follows: int
    next_object_id: int
    objects: tuple[DeviceIdObject, ...]

    @property
    def function_code(self) -> int:
        return FunctionCode.ENCAPSULATED_INTERFACE_TRANSPORT

    def named_texts(self) -> dict[str, str]:
        """Object name -> text, e.g. ``{"vendor_name": "Schneider Electric", ...}``."""
        return {obj.name: obj.text for obj in self.objects}


@dataclass(frozen=True, slots=True)
class EncapsulatedInterfaceTransport:
    """Function 43 with an MEI type other than 14, kept raw (6.19-6.20).

    ``function code u8 (43) | MEI type u8 | MEI type specific data``.  MEI 13
    is the CANopen general reference (CiA DS-309-2), whose payload otm does
    not decode.
    """

    mei_type: int
    data: bytes

    @property
    def function_code(self) -> int:
        return FunctionCode.ENCAPSULATED_INTERFACE_TRANSPORT


# --- vendor, unknown, exceptions -------------------------------------------------


@dataclass(frozen=True, slots=True)
class UmasRequest:
    """Schneider UMAS (90) request: ``function code u8 (0x5A) | pairing key u8 |
    UMAS function u8 | data``.

    The pairing key is 0 until a reservation (UMAS 0x10) returns one.
    """

    pairing_key: int
    umas_function: int
    data: bytes

    @property
    def function_code(self) -> int:
        return FunctionCode.UMAS


@dataclass(frozen=True, slots=True)
class UmasResponse:
    """Schneider UMAS (90) response: ``function code u8 (0x5A) | pairing key u8 |
    return code u8 (0xFE ok, 0xFD error) | data``."""

    pairing_key: int
    return_code: int
    data: bytes

    @property
    def function_code(self) -> int:
        return FunctionCode.UMAS


@dataclass(frozen=True, slots=True)
class RawPdu:
    """A function code without a decoder (user-defined 65-72 / 100-110, vendor,
    unassigned), either direction: ``function code u8 | data``."""

    function_code: int
    data: bytes


@dataclass(frozen=True, slots=True)
class ExceptionResponse:
    """Exception response, section 7: ``function code u8 (request code | 0x80) |
    exception code u8``.  ``function_code`` is the request's code, without 0x80.
    """

    function_code: int
    exception_code: int

    @property
    def exception_name(self) -> str:
        """``illegal_function``, ``illegal_data_address`` ..."""
        return exception_name(self.exception_code)


RequestPdu: TypeAlias = (
    ReadRequest
    | WriteSingle
    | NoDataRequest
    | Diagnostics
    | WriteMultipleCoilsRequest
    | WriteMultipleRegistersRequest
    | ReadFileRecordRequest
    | WriteFileRecord
    | MaskWriteRegister
    | ReadWriteMultipleRequest
    | ReadFifoQueueRequest
    | ReadDeviceIdentificationRequest
    | EncapsulatedInterfaceTransport
    | UmasRequest
    | RawPdu
)
"""Every PDU ``decode_request_pdu`` can return."""

ResponsePdu: TypeAlias = (
    ReadBitsResponse
    | ReadRegistersResponse
    | WriteSingle
    | ReadExceptionStatusResponse
    | Diagnostics
    | CommEventCounterResponse
    | CommEventLogResponse
    | WriteMultipleResponse
    | ReportServerIdResponse
    | ReadFileRecordResponse
    | WriteFileRecord
    | MaskWriteRegister
    | ReadFifoQueueResponse
    | ReadDeviceIdentificationResponse
    | EncapsulatedInterfaceTransport
    | UmasResponse
    | RawPdu
    | ExceptionResponse
)
"""Every PDU ``decode_response_pdu`` can return."""

Pdu: TypeAlias = RequestPdu | ResponsePdu


@dataclass(frozen=True, slots=True)
class Adu:
    """A Modbus/TCP ADU: MBAP header and PDU (Implementation Guide V1.0b, 3.1.3).

    ``transaction id u16 | protocol id u16 (0) | length u16 (bytes that follow,
    unit id included) | unit id u8 | PDU``.  The protocol id is always 0 and
    the length is derived, so neither is stored.
    """

    transaction_id: int
    unit_id: int
    pdu: Pdu
