"""Omron FINS bytes <-> messages, without I/O.

``decode_frame`` takes one FINS frame (a FINS/UDP datagram, or the data of a
FINS/TCP frame-send message) and returns a ``FinsCommand``/``FinsResponse``
by the ICF response bit, or an ``Anomaly``; ``decode_tcp`` takes one
FINS/TCP message as ``framing.frame_length`` delimits it.  Command
parameters and response data stay raw bytes in the frame; the typed decoders
below read the ones that matter to otm (memory area commands, RUN, Controller
Data Read and Controller Status Read responses) when asked.  Nothing raises;
every encoder inverts its decoder: ``encode_frame(decode_frame(b)) == b`` for
every frame that decodes.

Hand-written: no Python FINS library decodes captured frames without a
socket-owning client around it, and the hot path needs in-place reads.
``peek`` is that hot path: ICF, command code and end code from fixed offsets.
"""

from __future__ import annotations

import struct

from otm.protocols.common import Anomaly
from otm.protocols.fins.anomalies import FinsAnomaly
from otm.protocols.fins.constants import (
    COMMAND_MIN_LENGTH,
    HEADER_LENGTH,
    ICF_RESERVED,
    ICF_RESPONSE,
    MAX_TCP_LENGTH,
    RESPONSE_MIN_LENGTH,
    TCP_HEADER_LENGTH,
    TCP_MAGIC,
    TcpCommand,
)
from otm.protocols.fins.messages import (
    AreaData,
    ControllerData,
    ControllerStatus,
    FinsCommand,
    FinsFrame,
    FinsHeader,
    FinsResponse,
    FinsTcpMessage,
    MemoryAddress,
    MemoryAreaFill,
    MemoryAreaRead,
    MemoryAreaTransfer,
    MemoryAreaWrite,
    MultipleMemoryAreaRead,
    NodeAddressRequest,
    NodeAddressResponse,
    RunCommand,
    UnitConfiguration,
)

K = FinsAnomaly

_HEADER = struct.Struct(">10BH")
"""The 10 header bytes and the command code."""
_TCP = struct.Struct(">4sIII")
_ADDRESS = struct.Struct(">BHB")
_AREA = struct.Struct(">HBHBBHBH")
_UNITS = struct.Struct(">16H32sBBB")
_STATUS = struct.Struct(">BBHHHH")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")

MODEL_LENGTH = 20
VERSION_LENGTH = 20
SYSTEM_USE_LENGTH = 40
AREA_LENGTH = _AREA.size  # 12
UNITS_LENGTH = _UNITS.size  # 67
ERROR_MESSAGE_LENGTH = 16

_BLOCK_ENDS = (MODEL_LENGTH, 40, 80, 92, 92 + UNITS_LENGTH)
"""Where each part of a Controller Data Read response ends."""


# --- frames ---------------------------------------------------------------------------


def decode_frame(frame: bytes) -> FinsFrame | Anomaly:
    """One FINS frame -> ``FinsCommand`` (ICF bit 6 clear) or ``FinsResponse``."""
    size = len(frame)
    if size < COMMAND_MIN_LENGTH:
        return Anomaly(K.TRUNCATED, f"{size} bytes, a FINS frame needs 12", size)
    if frame[1] or frame[0] & ICF_RESERVED:
        return Anomaly(K.BAD_HEADER, f"ICF 0x{frame[0]:02x} RSV 0x{frame[1]:02x}", 0)
    *fields, code = _HEADER.unpack_from(frame)
    header = FinsHeader(*fields)
    if frame[0] & ICF_RESPONSE:
        if size < RESPONSE_MIN_LENGTH:
            return Anomaly(K.TRUNCATED, f"{size}-byte response has no end code", size)
        end_code = (frame[12] << 8) | frame[13]
        return FinsResponse(header, code, end_code, bytes(frame[RESPONSE_MIN_LENGTH:]))
    return FinsCommand(header, code, bytes(frame[COMMAND_MIN_LENGTH:]))


def peek(frame: bytes, start: int = 0) -> tuple[int, int, int] | None:
    """``(ICF, command code, end code)`` of the frame at ``start``, read in place.

    The end code is -1 for a command (or a response cut before it).  None
    when fewer than 12 bytes are there or the reserved header bits are set.
    """
    if len(frame) - start < COMMAND_MIN_LENGTH:
        return None
    icf = frame[start]
    if frame[start + 1] or icf & ICF_RESERVED:
        return None
    code = (frame[start + 10] << 8) | frame[start + 11]
    if icf & ICF_RESPONSE and len(frame) - start >= RESPONSE_MIN_LENGTH:
        return icf, code, (frame[start + 12] << 8) | frame[start + 13]
    return icf, code, -1


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def encode_frame(frame: FinsFrame) -> bytes:
    """A frame -> bytes; ``ValueError`` for a header no decoder returns (reserved
    bits set, ICF response bit contradicting the class, a field over a byte)."""
    h = frame.header
    _require(not h.rsv and not h.icf & ICF_RESERVED, "reserved header bits must be 0")
    is_response = isinstance(frame, FinsResponse)
    _require(bool(h.icf & ICF_RESPONSE) == is_response, "ICF response bit and message class")
    try:
        head = _HEADER.pack(
            h.icf, h.rsv, h.gct, h.dna, h.da1, h.da2, h.sna, h.sa1, h.sa2, h.sid, frame.command_code
        )
        if isinstance(frame, FinsResponse):
            return head + _U16.pack(frame.end_code) + frame.data
    except struct.error as error:
        raise ValueError(f"FINS header: {error}") from error
    return head + frame.data


# --- FINS/TCP ---------------------------------------------------------------------------


def decode_tcp(message: bytes) -> FinsTcpMessage | Anomaly:
    """One FINS/TCP message (16-byte header and its data) -> ``FinsTcpMessage``."""
    size = len(message)
    if message[:4] != TCP_MAGIC[: min(size, 4)]:
        return Anomaly(K.BAD_MAGIC, f"header starts {bytes(message[:4])!r}", 0)
    if size < TCP_HEADER_LENGTH:
        return Anomaly(K.TRUNCATED, f"{size} bytes, the FINS/TCP header needs 16", size)
    _, length, command, error = _TCP.unpack_from(message)
    if length < 8 or length > MAX_TCP_LENGTH:
        return Anomaly(K.INVALID_LENGTH, f"FINS/TCP length {length}", 4)
    if 8 + length > size:
        return Anomaly(K.TRUNCATED, f"length {length}, {size - 8} bytes follow", size)
    if 8 + length < size:
        return Anomaly(K.TRAILING_BYTES, f"{size - 8 - length} bytes after the message", 8 + length)
    data = bytes(message[TCP_HEADER_LENGTH:])
    body: NodeAddressRequest | NodeAddressResponse | FinsFrame | bytes = data
    if command == TcpCommand.NODE_ADDRESS_DATA_SEND_CLIENT and len(data) == 4:
        body = NodeAddressRequest(_U32.unpack(data)[0])
    elif command == TcpCommand.NODE_ADDRESS_DATA_SEND_SERVER and len(data) == 8:
        body = NodeAddressResponse(*struct.unpack(">II", data))
    elif command == TcpCommand.FRAME_SEND:
        frame = decode_frame(data)
        if isinstance(frame, Anomaly):
            return Anomaly(frame.kind, frame.detail, frame.offset + TCP_HEADER_LENGTH)
        body = frame
    return FinsTcpMessage(command, error, body)


def encode_tcp(message: FinsTcpMessage) -> bytes:
    """A FINS/TCP message -> bytes, its length derived.

    ``ValueError`` when the body does not fit the command the way the decoder
    reads it (a frame outside command 2, raw bytes where a typed body would
    decode, values over 32 bits, a length over ``MAX_TCP_LENGTH``).
    """
    command, body = message.command, message.body
    match body:
        case NodeAddressRequest(client):
            _require(command == TcpCommand.NODE_ADDRESS_DATA_SEND_CLIENT, "node request command")
            data = _pack(">I", client)
        case NodeAddressResponse(client, server):
            _require(command == TcpCommand.NODE_ADDRESS_DATA_SEND_SERVER, "node response command")
            data = _pack(">II", client, server)
        case FinsCommand() | FinsResponse():
            _require(command == TcpCommand.FRAME_SEND, "a FINS frame travels in command 2")
            data = encode_frame(body)
        case bytes():
            _require(command != TcpCommand.FRAME_SEND, "command 2 carries a FINS frame")
            _require(
                not (command == TcpCommand.NODE_ADDRESS_DATA_SEND_CLIENT and len(body) == 4)
                and not (command == TcpCommand.NODE_ADDRESS_DATA_SEND_SERVER and len(body) == 8),
                "raw bytes that would decode as node addresses",
            )
            data = body
        case _:
            raise TypeError(f"not a FINS/TCP body: {type(body).__name__}")
    length = 8 + len(data)
    _require(length <= MAX_TCP_LENGTH, f"FINS/TCP length {length} over {MAX_TCP_LENGTH}")
    return TCP_MAGIC + _pack(">III", length, command, message.error_code) + data


def _pack(layout: str, *values: int) -> bytes:
    try:
        return struct.pack(layout, *values)
    except struct.error as error:
        raise ValueError(str(error)) from error


# --- command parameters ------------------------------------------------------------------

Parameters = (
    MemoryAreaRead
    | MemoryAreaWrite
    | MemoryAreaFill
    | MultipleMemoryAreaRead
    | MemoryAreaTransfer
    | RunCommand
)


def _address(data: bytes, at: int) -> MemoryAddress:
    return MemoryAddress(*_ADDRESS.unpack_from(data, at))


def _size(data: bytes, need: int, what: str, exact: bool = True) -> Anomaly | None:
    if len(data) < need:
        return Anomaly(K.TRUNCATED, f"{what} needs {need} parameter bytes, {len(data)}", len(data))
    if exact and len(data) > need:
        return Anomaly(K.TRAILING_BYTES, f"{len(data) - need} bytes after the {what}", need)
    return None


def decode_parameters(command: FinsCommand) -> Parameters | Anomaly | None:
    """The typed parameters of a memory area command (0x0101-0x0105) or RUN
    (0x0401); None for any other command (its ``data`` stays raw)."""
    data, code = command.data, command.command_code
    if code == 0x0101:
        return _size(data, 6, "memory area read") or MemoryAreaRead(
            _address(data, 0), _U16.unpack_from(data, 4)[0]
        )
    if code == 0x0102:
        return _size(data, 6, "memory area write", exact=False) or MemoryAreaWrite(
            _address(data, 0), _U16.unpack_from(data, 4)[0], bytes(data[6:])
        )
    if code == 0x0103:
        return _size(data, 8, "memory area fill") or MemoryAreaFill(
            _address(data, 0), *struct.unpack_from(">HH", data, 4)
        )
    if code == 0x0104:
        if not data or len(data) % 4:
            return Anomaly(K.INVALID_LENGTH, f"{len(data)} bytes are not whole 4-byte items", 0)
        return MultipleMemoryAreaRead(tuple(_address(data, at) for at in range(0, len(data), 4)))
    if code == 0x0105:
        return _size(data, 10, "memory area transfer") or MemoryAreaTransfer(
            _address(data, 0), _address(data, 4), _U16.unpack_from(data, 8)[0]
        )
    if code == 0x0401:
        if len(data) not in (0, 2, 3):
            return Anomaly(K.INVALID_LENGTH, f"RUN with {len(data)} parameter bytes", 0)
        program = _U16.unpack_from(data)[0] if data else None
        return RunCommand(program, data[2] if len(data) == 3 else None)
    return None


def _encode_address(a: MemoryAddress) -> bytes:
    return _pack(">BHB", a.area, a.address, a.bit)


def encode_parameters(parameters: Parameters) -> bytes:
    """Typed parameters -> the bytes of ``FinsCommand.data``."""
    match parameters:
        case MemoryAreaRead(start, count):
            return _encode_address(start) + _pack(">H", count)
        case MemoryAreaWrite(start, count, values):
            return _encode_address(start) + _pack(">H", count) + values
        case MemoryAreaFill(start, count, value):
            return _encode_address(start) + _pack(">HH", count, value)
        case MultipleMemoryAreaRead(items):
            _require(bool(items), "a multiple memory area read names at least one item")
            return b"".join(_encode_address(a) for a in items)
        case MemoryAreaTransfer(source, destination, count):
            return _encode_address(source) + _encode_address(destination) + _pack(">H", count)
        case RunCommand(program, mode):
            if program is None:
                _require(mode is None, "a RUN mode needs the program number before it")
                return b""
            return _pack(">H", program) + (b"" if mode is None else _pack(">B", mode))
    raise TypeError(f"not FINS parameters: {type(parameters).__name__}")


COMMAND_OF: dict[type, int] = {
    MemoryAreaRead: 0x0101,
    MemoryAreaWrite: 0x0102,
    MemoryAreaFill: 0x0103,
    MultipleMemoryAreaRead: 0x0104,
    MemoryAreaTransfer: 0x0105,
    RunCommand: 0x0401,
}
"""The command code each parameter class belongs to."""


# --- response data -------------------------------------------------------------------------


def decode_controller_data(data: bytes) -> ControllerData:
    """The data of a Controller Data Read response (after the end code).

    67 bytes are the unit configuration alone; otherwise the parts are read
    in order as far as they are whole, and what is left is ``extra``.  Never
    an anomaly: identity is read from whatever a unit sends.
    """
    size = len(data)
    if size == UNITS_LENGTH:
        return ControllerData(None, None, None, None, _units(data, 0))
    model = bytes(data[:MODEL_LENGTH]) if size >= MODEL_LENGTH else None
    version = bytes(data[MODEL_LENGTH:40]) if size >= 40 else None
    system = bytes(data[40:80]) if size >= 80 else None
    area = AreaData(*_AREA.unpack_from(data, 80)) if size >= 92 else None
    units = _units(data, 92) if size >= 92 + UNITS_LENGTH else None
    used = max((end for end in _BLOCK_ENDS if end <= size), default=0)
    return ControllerData(model, version, system, area, units, bytes(data[used:]))


def _units(data: bytes, at: int) -> UnitConfiguration:
    *units, reserved, bus2, bus, status = _UNITS.unpack_from(data, at)
    return UnitConfiguration(tuple(units), reserved, bus2, bus, status)


def encode_controller_data(cd: ControllerData) -> bytes:
    """``ControllerData`` -> response data; ``ValueError`` for parts of the wrong
    size, parts missing before a present one, or bytes that would read back
    differently (an ``extra`` as long as the next part, 67 bytes that are not
    the unit configuration alone)."""
    parts = (cd.model_field, cd.version_field, cd.system_use)
    sizes = (MODEL_LENGTH, VERSION_LENGTH, SYSTEM_USE_LENGTH)
    if cd.model_field is None and cd.units is not None:
        _require(
            cd.version_field is None and cd.system_use is None and cd.area is None and not cd.extra,
            "the unit configuration alone has nothing beside it",
        )
        return _encode_units(cd.units)
    out = b""
    present = True
    for part, size in zip(parts, sizes, strict=True):
        if part is None:
            present = False
            continue
        _require(present, "a Controller Data part follows a missing one")
        _require(len(part) == size, f"a Controller Data part must be {size} bytes")
        out += part
    if cd.area is not None:
        _require(present, "area data follows a missing part")
        a = cd.area
        out += _pack(
            ">HBHBBHBH",
            a.program_area_size,
            a.iom_size,
            a.dm_words,
            a.timer_counter_size,
            a.expansion_dm_size,
            a.steps_transitions,
            a.memory_card_kind,
            a.memory_card_size,
        )
    else:
        present = False
    if cd.units is not None:
        _require(present, "the unit configuration follows a missing part")
        out += _encode_units(cd.units)
    nxt = next((end for end in _BLOCK_ENDS if end > len(out)), None)
    _require(nxt is None or len(out) + len(cd.extra) < nxt, "extra bytes would read as a part")
    out += cd.extra
    _require(len(out) != UNITS_LENGTH, "67 bytes read back as the unit configuration")
    return out


def _encode_units(u: UnitConfiguration) -> bytes:
    _require(len(u.cpu_bus_units) == 16, "16 CPU bus unit entries")
    _require(len(u.reserved) == 32, "32 reserved bytes")
    return (
        _pack(">16H", *u.cpu_bus_units)
        + u.reserved
        + _pack(">BBB", u.sysmac_bus2_masters, u.sysmac_bus_masters, u.pc_status)
    )


def decode_controller_status(data: bytes) -> ControllerStatus | Anomaly:
    """The data of a Controller Status Read response (after the end code)."""
    if len(data) < _STATUS.size:
        return Anomaly(K.TRUNCATED, f"controller status of {len(data)} bytes, at least 10", 0)
    status, mode, fatal, non_fatal, messages, fals = _STATUS.unpack_from(data)
    end = _STATUS.size + ERROR_MESSAGE_LENGTH
    message = bytes(data[_STATUS.size : end]) if len(data) >= end else None
    extra = bytes(data[end if message is not None else _STATUS.size :])
    return ControllerStatus(status, mode, fatal, non_fatal, messages, fals, message, extra)


def encode_controller_status(cs: ControllerStatus) -> bytes:
    """``ControllerStatus`` -> response data (``ValueError`` where it would read back otherwise)."""
    out = _pack(
        ">BBHHHH",
        cs.status,
        cs.mode,
        cs.fatal_error_data,
        cs.non_fatal_error_data,
        cs.messages,
        cs.fal_fals_number,
    )
    if cs.error_message_field is None:
        _require(len(cs.extra) < ERROR_MESSAGE_LENGTH, "extra bytes would read as the message")
        return out + cs.extra
    _require(len(cs.error_message_field) == ERROR_MESSAGE_LENGTH, "a 16-byte error message")
    return out + cs.error_message_field + cs.extra


__all__ = [
    "COMMAND_OF",
    "HEADER_LENGTH",
    "Parameters",
    "decode_controller_data",
    "decode_controller_status",
    "decode_frame",
    "decode_parameters",
    "decode_tcp",
    "encode_controller_data",
    "encode_controller_status",
    "encode_frame",
    "encode_parameters",
    "encode_tcp",
    "peek",
]
