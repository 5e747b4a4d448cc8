"""HART-IP messages: the header, its bodies, and the HART replies that identify a device.

Every message is a frozen dataclass, fields in wire order; lengths, byte
counts and check bytes are derived, so they are not stored.  Multi-octet
numbers are big-endian.

HART-IP message (HCF_SPEC-085)::

    0        1        2        3        4      6      8
    +--------+--------+--------+--------+------+------+----------------+
    | version| msg    | msg id | status | seq  | byte | body           |
    | 1 / 2  | type   |        |        | u16  | count|                |
    +--------+--------+--------+--------+------+------+----------------+
                                                 u16: header + body octets

Token-passing PDU (the body of message id 3, HCF_SPEC-081)::

    [preambles 0xFF] | delimiter | address (1 or 5) | expansion (0-3) |
    command | byte count | [response code | device status] | data | check byte

Direct PDU (the body of message id 4)::

    device status | extended device status |
    { command u16 | byte count | [response code] data }*
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from otm.protocols.hartip.constants import (
    DELIMITER_LONG_ADDRESS,
    EXTENDED_COMMAND,
    RESPONSE_FRAME_TYPES,
    command_name,
)


@dataclass(frozen=True, slots=True)
class SessionInitiate:
    """Session initiate request (and its echoed response): host type (0
    secondary, 1 primary) and the inactivity close timer in milliseconds."""

    host_type: int
    inactivity_close_timer: int


@dataclass(frozen=True, slots=True)
class ErrorBody:
    """The one-octet body of an error or NAK message (0 session closed, 1 primary
    session unavailable, 2 service unavailable)."""

    error_code: int


@dataclass(frozen=True, slots=True)
class HartPdu:
    """A token-passing HART frame (see the module docstring).

    ``address`` is the 1-octet polling address (bit 7 primary master, bit 6
    burst, bits 0-5 address) or the 5-octet unique address (expanded device
    type with master/burst bits, device id), as the delimiter's bit 7 says;
    ``expansion`` has as many octets as delimiter bits 5-6 say.
    ``response_code`` and ``device_status`` are present in ACK and BACK
    frames (field device to host) and None in STX frames.  ``preambles``
    counts 0xFF octets before the delimiter (HART-IP PDUs normally have none).
    """

    delimiter: int
    address: bytes
    command: int
    data: bytes
    response_code: int | None = None
    device_status: int | None = None
    expansion: bytes = b""
    preambles: int = 0

    @property
    def frame_type(self) -> int:
        """Delimiter bits 0-2: 1 BACK, 2 STX, 6 ACK."""
        return self.delimiter & 0x07

    @property
    def is_reply(self) -> bool:
        """ACK or BACK: sent by the field device."""
        return self.frame_type in RESPONSE_FRAME_TYPES

    @property
    def long_address(self) -> bool:
        """The address is the 5-octet unique address."""
        return bool(self.delimiter & DELIMITER_LONG_ADDRESS)

    @property
    def command_number(self) -> int:
        """The command, with command 31's 16-bit extension resolved."""
        if self.command == EXTENDED_COMMAND and len(self.data) >= 2:
            return (self.data[0] << 8) | self.data[1]
        return self.command

    @property
    def command_data(self) -> bytes:
        """The data after an extended command number (all of it otherwise)."""
        if self.command == EXTENDED_COMMAND and len(self.data) >= 2:
            return self.data[2:]
        return self.data

    @property
    def name(self) -> str:
        """Snake_case name of the command (``read_unique_identifier`` ...)."""
        return command_name(self.command_number)


@dataclass(frozen=True, slots=True)
class DirectCommand:
    """One command of a direct PDU: 16-bit number, response code (replies only)
    and data."""

    command: int
    data: bytes
    response_code: int | None = None

    @property
    def name(self) -> str:
        """Snake_case name of the command."""
        return command_name(self.command)


@dataclass(frozen=True, slots=True)
class DirectPdu:
    """A direct PDU (HART-IP 2): device status, extended device status, commands."""

    device_status: int
    extended_status: int
    commands: tuple[DirectCommand, ...]


@dataclass(frozen=True, slots=True)
class RawBody:
    """A body otm does not decode (read audit log, unknown message ids)."""

    data: bytes


Body: TypeAlias = SessionInitiate | ErrorBody | HartPdu | DirectPdu | RawBody | None
"""None for an empty body (session close, keep alive, bare responses)."""


@dataclass(frozen=True, slots=True)
class HartIpMessage:
    """One HART-IP message: header fields and the decoded body."""

    version: int
    message_type: int
    message_id: int
    status: int
    sequence: int
    body: Body = None


# --- HART replies that identify a device (HCF_SPEC-127) ---------------------------------


@dataclass(frozen=True, slots=True)
class UniqueIdentifier:
    """The command 0 reply (also commands 11 and 21), HCF_SPEC-127::

        0  254 (expansion)          1-2 expanded device type (HART 5/6: manufacturer, type)
        3  request preambles        4   universal (protocol major) revision
        5  device revision          6   software revision
        7  hardware revision (bits 3-7) | physical signaling (bits 0-2)
        8  flags                    9-11 device id
        -- HART 6 and later --
        12 response preambles       13  maximum device variables
        14-15 configuration change counter    16 extended device status
        -- HART 7 --
        17-18 manufacturer id       19-20 private label distributor
        21 device profile

    Optional fields are None when the reply stops before them; ``extra``
    keeps octets after the last known field.
    """

    expansion: int
    expanded_device_type: int
    request_preambles: int
    universal_revision: int
    device_revision: int
    software_revision: int
    hardware_signaling: int
    flags: int
    device_id: int
    response_preambles: int | None = None
    max_device_variables: int | None = None
    configuration_change_counter: int | None = None
    extended_status: int | None = None
    manufacturer_code: int | None = None
    private_label: int | None = None
    device_profile: int | None = None
    extra: bytes = b""

    @property
    def hardware_revision(self) -> int:
        """Hardware revision, bits 3-7 of octet 7."""
        return self.hardware_signaling >> 3

    @property
    def physical_signaling(self) -> int:
        """Physical signaling code, bits 0-2 of octet 7."""
        return self.hardware_signaling & 0x07

    @property
    def manufacturer_id(self) -> int:
        """HART 7's 16-bit manufacturer id, or (HART 5/6) octet 1."""
        if self.manufacturer_code is not None:
            return self.manufacturer_code
        return self.expanded_device_type >> 8

    @property
    def device_type(self) -> int:
        """The expanded device type (HART 7), or (HART 5/6) manufacturer << 8 | type,
        which is how HART 7 expands the old one-octet type."""
        return self.expanded_device_type

    @property
    def long_address(self) -> str:
        """The unique (long) address as 10 hex digits: expanded device type without
        the master and burst bits, then the device id."""
        return f"{self.expanded_device_type & 0x3FFF:04x}{self.device_id:06x}"


@dataclass(frozen=True, slots=True)
class TagDescriptorDate:
    """The command 13 reply: tag (8 packed-ASCII characters), descriptor (16),
    date (day, month, year - 1900)."""

    tag: str
    descriptor: str
    day: int
    month: int
    year: int
