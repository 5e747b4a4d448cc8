"""Omron FINS messages as frozen dataclasses, fields in wire order.

A FINS frame (W342 3-1), the same over UDP and inside FINS/TCP::

    0     1     2     3     4     5     6     7     8     9     10    11
    +-----+-----+-----+-----+-----+-----+-----+-----+-----+-----+-----+-----+----------+
    | ICF | RSV | GCT | DNA | DA1 | DA2 | SNA | SA1 | SA2 | SID | MRC | SRC | text ... |
    +-----+-----+-----+-----+-----+-----+-----+-----+-----+-----+-----+-----+----------+
    response: ... | MRC | SRC | MRES | SRES | data ...   (MRES/SRES: the end code)

ICF bit 7 gateway, bit 6 response (0 command), bit 0 no response wanted;
DNA/SNA network, DA1/SA1 node, DA2/SA2 unit; SID pairs a response with its
command.  The FINS/TCP header (W421 7-2) precedes a frame on TCP::

    "FINS" | length u32 (bytes after it) | command u32 | error code u32 | data
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from otm.protocols.fins.constants import (
    ICF_GATEWAY,
    ICF_NO_RESPONSE,
    ICF_RESPONSE,
    MEMORY_CARD_NAMES,
    MODE_NAMES,
    STATUS_NAMES,
    command_category,
    command_name,
    end_code_name,
    is_normal,
    main_code_name,
    memory_area_name,
    tcp_command_name,
    tcp_error_name,
)


def text_of(data: bytes) -> str:
    """A fixed-width ASCII field (model, version, error message) as C text: up to
    the first NUL, trailing spaces dropped; bytes above 0x7E kept as Latin-1.

    The first NUL ends the text as Wireshark reads it: a CP1L fills its
    version field with ``01.00``, NULs, then ``01.06`` (``omron_test.pcap``)."""
    return data.split(b"\x00", 1)[0].decode("latin-1").rstrip(" ")


@dataclass(frozen=True, slots=True)
class FinsHeader:
    """The 10-byte FINS header: ``ICF | RSV | GCT | DNA DA1 DA2 | SNA SA1 SA2 | SID``."""

    icf: int
    rsv: int
    gct: int
    dna: int
    da1: int
    da2: int
    sna: int
    sa1: int
    sa2: int
    sid: int

    @property
    def is_response(self) -> bool:
        return bool(self.icf & ICF_RESPONSE)

    @property
    def response_required(self) -> bool:
        return not self.icf & ICF_NO_RESPONSE

    @property
    def gateway(self) -> bool:
        return bool(self.icf & ICF_GATEWAY)

    @property
    def source_node(self) -> str:
        """``network.node`` of the sender (SNA.SA1), as the ground truth writes it."""
        return f"{self.sna}.{self.sa1}"

    @property
    def destination_node(self) -> str:
        """``network.node`` of the addressee (DNA.DA1)."""
        return f"{self.dna}.{self.da1}"


@dataclass(frozen=True, slots=True)
class FinsCommand:
    """A command frame: header, command code (MRC << 8 | SRC), parameters and data."""

    header: FinsHeader
    command_code: int
    data: bytes

    @property
    def parameter(self) -> int | None:
        """The first parameter word (it refines MESSAGE READ, 0x0920), None if absent."""
        return (self.data[0] << 8) | self.data[1] if len(self.data) >= 2 else None

    @property
    def name(self) -> str:
        """``memory_area_read``, ``run``, ``controller_data_read`` ..."""
        return command_name(self.command_code, self.parameter)

    @property
    def category(self) -> str:
        return command_category(self.command_code, self.parameter)


@dataclass(frozen=True, slots=True)
class FinsResponse:
    """A response frame: header, command code, end code (MRES << 8 | SRES), data."""

    header: FinsHeader
    command_code: int
    end_code: int
    data: bytes

    @property
    def name(self) -> str:
        """The name of the command answered (``controller_data_read`` ...)."""
        return command_name(self.command_code)

    @property
    def normal(self) -> bool:
        """True when the command completed (CPU error flags aside)."""
        return is_normal(self.end_code)

    @property
    def end_code_name(self) -> str:
        """``normal_completion``, ``address_range_error``, ``no_access_right`` ..."""
        return end_code_name(self.end_code)

    @property
    def main_code_name(self) -> str:
        """``parameter_error``, ``not_executable_in_current_mode`` ..."""
        return main_code_name(self.end_code)


FinsFrame: TypeAlias = FinsCommand | FinsResponse


@dataclass(frozen=True, slots=True)
class NodeAddressRequest:
    """FINS/TCP command 0, client to server: ``client node u32`` (0 asks for one)."""

    client_node: int


@dataclass(frozen=True, slots=True)
class NodeAddressResponse:
    """FINS/TCP command 1, server to client: ``client node u32 | server node u32``."""

    client_node: int
    server_node: int


@dataclass(frozen=True, slots=True)
class FinsTcpMessage:
    """One FINS/TCP message: header command and error code, and what follows.

    ``body`` is a ``NodeAddressRequest``/``NodeAddressResponse`` (commands 0
    and 1 with their exact sizes), a FINS frame (command 2), or the raw bytes
    (any other command, or a node address message of another size).
    """

    command: int
    error_code: int
    body: NodeAddressRequest | NodeAddressResponse | FinsCommand | FinsResponse | bytes

    @property
    def command_name(self) -> str:
        """``node_address_data_send_client``, ``frame_send`` ..."""
        return tcp_command_name(self.command)

    @property
    def error_name(self) -> str:
        """``normal``, ``all_connections_in_use`` ..."""
        return tcp_error_name(self.error_code)


# --- command parameters and response data (W342 section 5) ----------------------------


@dataclass(frozen=True, slots=True)
class MemoryAddress:
    """``area code u8 | word address u16 | bit u8`` (bit 0 for word areas)."""

    area: int
    address: int
    bit: int

    @property
    def area_name(self) -> str:
        return memory_area_name(self.area)


@dataclass(frozen=True, slots=True)
class MemoryAreaRead:
    """0x0101 command: ``address (4) | number of items u16``."""

    start: MemoryAddress
    count: int


@dataclass(frozen=True, slots=True)
class MemoryAreaWrite:
    """0x0102 command: ``address (4) | number of items u16 | data``."""

    start: MemoryAddress
    count: int
    values: bytes


@dataclass(frozen=True, slots=True)
class MemoryAreaFill:
    """0x0103 command: ``address (4) | number of items u16 | value u16``."""

    start: MemoryAddress
    count: int
    value: int


@dataclass(frozen=True, slots=True)
class MultipleMemoryAreaRead:
    """0x0104 command: one ``address (4)`` per item."""

    items: tuple[MemoryAddress, ...]


@dataclass(frozen=True, slots=True)
class MemoryAreaTransfer:
    """0x0105 command: ``source address (4) | destination address (4) | items u16``."""

    source: MemoryAddress
    destination: MemoryAddress
    count: int


@dataclass(frozen=True, slots=True)
class RunCommand:
    """0x0401 command: ``[program number u16 (0xFFFF) [mode u8]]``, both optional."""

    program_number: int | None
    mode: int | None

    @property
    def mode_name(self) -> str | None:
        """``program``, ``debug``, ``monitor``, ``run``; None when the mode is left out."""
        if self.mode is None:
            return None
        return MODE_NAMES.get(self.mode, f"mode_0x{self.mode:02x}")


@dataclass(frozen=True, slots=True)
class AreaData:
    """The area data block of a Controller Data Read response (12 bytes).

    ``program area size u16 (K words) | IOM size u8 (K bytes) | DM words u16 |
    timer/counter size u8 | expansion DM size u8 (banks) | steps/transitions u16 |
    kind of memory card u8 | memory card size u16 (K bytes)``.
    """

    program_area_size: int
    iom_size: int
    dm_words: int
    timer_counter_size: int
    expansion_dm_size: int
    steps_transitions: int
    memory_card_kind: int
    memory_card_size: int

    @property
    def memory_card_name(self) -> str:
        return MEMORY_CARD_NAMES.get(self.memory_card_kind, f"card_0x{self.memory_card_kind:02x}")


@dataclass(frozen=True, slots=True)
class UnitConfiguration:
    """The second block of a Controller Data Read response (67 bytes, W227 5-3-2).

    ``CPU bus unit configuration: 16 x u16 | reserved (32) | remote I/O:
    SYSMAC BUS/2 masters u8 | SYSMAC BUS masters u8 | PC status u8``.
    """

    cpu_bus_units: tuple[int, ...]
    reserved: bytes
    sysmac_bus2_masters: int
    sysmac_bus_masters: int
    pc_status: int


@dataclass(frozen=True, slots=True)
class ControllerData:
    """A Controller Data Read (0x0501) response's data, after the end code.

    ``controller model (20 ASCII) | controller version (20 ASCII) |
    for system use (40) | area data (12) | unit configuration (67)``.  A unit
    answers the parts its request asked for: all 159 bytes, the first 92
    (parameter 00 on CS/CJ) or only the unit configuration (parameter 01, 67
    bytes).  Parts cut short stay in ``extra``; absent parts are None.  The
    model and version keep their raw 20 bytes (``model``/``version`` give the
    text).
    """

    model_field: bytes | None
    version_field: bytes | None
    system_use: bytes | None
    area: AreaData | None
    units: UnitConfiguration | None
    extra: bytes = b""

    @property
    def model(self) -> str | None:
        """The controller model as text (``CP1L-EL20DR-D``), None when absent."""
        return None if self.model_field is None else text_of(self.model_field)

    @property
    def version(self) -> str | None:
        """The controller version as text (``01.00``), None when absent."""
        return None if self.version_field is None else text_of(self.version_field)


@dataclass(frozen=True, slots=True)
class ControllerStatus:
    """A Controller Status Read (0x0601) response's data, after the end code.

    ``status u8 | mode u8 | fatal error data u16 | non-fatal error data u16 |
    message yes/no u16 | FAL/FALS number u16 | error message (16 ASCII)``;
    units without an error message stop after the FAL/FALS number.  Bytes
    beyond the layout stay in ``extra``.
    """

    status: int
    mode: int
    fatal_error_data: int
    non_fatal_error_data: int
    messages: int
    fal_fals_number: int
    error_message_field: bytes | None
    extra: bytes = b""

    @property
    def status_name(self) -> str:
        """``stop``, ``run``, ``cpu_standby``."""
        return STATUS_NAMES.get(self.status, f"status_0x{self.status:02x}")

    @property
    def mode_name(self) -> str:
        """``program``, ``debug``, ``monitor``, ``run``."""
        return MODE_NAMES.get(self.mode, f"mode_0x{self.mode:02x}")

    @property
    def error_message(self) -> str | None:
        return None if self.error_message_field is None else text_of(self.error_message_field)
