"""HART-IP and HART codes, their snake_case operation names and policy categories.

Sources: FieldComm Group HCF_SPEC-085 (HART-IP: the 8-octet header, message
types and ids, session initiate, the token-passing and direct PDUs),
HCF_SPEC-081 (the token-passing data link frame: delimiter, address,
expansion octets, byte count, check byte), HCF_SPEC-127 (universal commands
and the command 0 reply) and HCF_SPEC-151 (common-practice commands 33-47).
Names follow the specifications' command titles in snake_case; commands
without a name here are ``command_<n>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from types import MappingProxyType

from otm.protocols.common import (
    CONTROL,
    DIAGNOSTIC,
    IDENTIFY,
    OTHER,
    READ,
    SESSION,
    WRITE,
)

PORT = 5094
"""IANA port of HART-IP, TCP and UDP."""

HEADER_LENGTH = 8
"""Version u8, message type u8, message id u8, status u8, sequence u16, byte count u16."""

VERSIONS = frozenset((1, 2))
"""HART-IP protocol versions in use (2 adds the direct PDU and the audit log)."""

MAX_MESSAGE_LENGTH = 0xFFFF
"""The byte count is a u16 covering the whole message, header included."""

SESSION_INITIATE_LENGTH = 5
"""Host type u8 and inactivity close timer u32 (ms)."""


class MessageType(IntEnum):
    """HART-IP message types (header octet 1)."""

    REQUEST = 0
    RESPONSE = 1
    PUBLISH = 2
    ERROR = 3
    NAK = 15


class MessageId(IntEnum):
    """HART-IP message ids (header octet 2)."""

    SESSION_INITIATE = 0
    SESSION_CLOSE = 1
    KEEP_ALIVE = 2
    TOKEN_PASSING_PDU = 3
    DIRECT_PDU = 4
    READ_AUDIT_LOG = 128


MESSAGE_TYPES = frozenset(int(t) for t in MessageType)
MESSAGE_IDS = frozenset(int(i) for i in MessageId)

MESSAGE_CATEGORIES: Mapping[int, str] = MappingProxyType(
    {
        MessageId.SESSION_INITIATE: SESSION,
        MessageId.SESSION_CLOSE: SESSION,
        MessageId.KEEP_ALIVE: SESSION,
        # The HART command inside refines these two (see command_category).
        MessageId.TOKEN_PASSING_PDU: OTHER,
        MessageId.DIRECT_PDU: OTHER,
        # Reading who did what on the server: a diagnostic read.
        MessageId.READ_AUDIT_LOG: DIAGNOSTIC,
    }
)
"""Message id -> policy category."""


def message_name(message_id: int) -> str:
    """``session_initiate`` ... or ``message_<n>``."""
    try:
        return MessageId(message_id).name.lower()
    except ValueError:
        return f"message_{message_id}"


class HostType(IntEnum):
    """Session initiate host type."""

    SECONDARY = 0
    PRIMARY = 1


class FrameType(IntEnum):
    """Delimiter bits 0-2 (HCF_SPEC-081): who sends the frame."""

    BACK = 1  # burst frame, field device to host
    STX = 2  # host to field device
    ACK = 6  # field device to host


RESPONSE_FRAME_TYPES = frozenset((FrameType.BACK, FrameType.ACK))
"""Frames with response code and device status after the byte count."""

DELIMITER_LONG_ADDRESS = 0x80
"""Delimiter bit 7: a 5-octet unique address instead of a 1-octet polling address."""

LONG_ADDRESS_LENGTH = 5
SHORT_ADDRESS_LENGTH = 1

EXTENDED_COMMAND = 31
"""Command 31: the 16-bit command number is in the first two data octets."""

PREAMBLE = 0xFF
"""Preamble octet; HART-IP PDUs normally carry none, tolerated when present."""

MAX_PREAMBLES = 20
"""HART sends 5-20 preamble octets; more is not a PDU."""


# --- HART commands --------------------------------------------------------------------

_COMMANDS: tuple[tuple[int, str, str], ...] = (
    # universal (HCF_SPEC-127)
    (0, "read_unique_identifier", IDENTIFY),
    (1, "read_primary_variable", READ),
    (2, "read_loop_current_and_percent_of_range", READ),
    (3, "read_dynamic_variables_and_loop_current", READ),
    (6, "write_polling_address", WRITE),
    (7, "read_loop_configuration", READ),
    (8, "read_dynamic_variable_classifications", READ),
    (9, "read_device_variables_with_status", READ),
    (11, "read_unique_identifier_associated_with_tag", IDENTIFY),
    (12, "read_message", READ),
    (13, "read_tag_descriptor_date", IDENTIFY),
    (14, "read_primary_variable_transducer_information", READ),
    (15, "read_device_information", READ),
    (16, "read_final_assembly_number", IDENTIFY),
    (17, "write_message", WRITE),
    (18, "write_tag_descriptor_date", WRITE),
    (19, "write_final_assembly_number", WRITE),
    (20, "read_long_tag", IDENTIFY),
    (21, "read_unique_identifier_associated_with_long_tag", IDENTIFY),
    (22, "write_long_tag", WRITE),
    (38, "reset_configuration_changed_flag", WRITE),
    (48, "read_additional_device_status", DIAGNOSTIC),
    # common practice (HCF_SPEC-151) below 49
    (33, "read_device_variables", READ),
    (34, "write_primary_variable_damping_value", WRITE),
    (35, "write_primary_variable_range_values", WRITE),
    (36, "set_primary_variable_upper_range_value", WRITE),
    (37, "set_primary_variable_lower_range_value", WRITE),
    (39, "eeprom_control", WRITE),
    # Forcing the loop current drives the process: control.
    (40, "enter_exit_fixed_current_mode", CONTROL),
    (41, "perform_self_test", DIAGNOSTIC),
    (42, "perform_device_reset", CONTROL),
    (43, "set_primary_variable_zero", WRITE),
    (44, "write_primary_variable_units", WRITE),
    (45, "trim_loop_current_zero", WRITE),
    (46, "trim_loop_current_gain", WRITE),
    (47, "write_primary_variable_transfer_function", WRITE),
)

COMMAND_NAMES: Mapping[int, str] = MappingProxyType({c: n for c, n, _ in _COMMANDS})
"""HART command number -> snake_case operation name."""

COMMAND_CATEGORIES: Mapping[int, str] = MappingProxyType({c: k for c, _, k in _COMMANDS})
"""HART command number -> policy category."""

IDENTITY_COMMANDS = frozenset((0, 11, 21))
"""Commands whose reply is the command 0 identity record."""

LONG_TAG_COMMANDS = frozenset((20, 22))
"""Commands whose reply is the 32-octet long tag."""

TAG_COMMANDS = frozenset((13, 18))
"""Commands whose reply is tag, descriptor and date (packed ASCII)."""


def command_name(command: int) -> str:
    """Snake_case name of a HART command; ``command_<n>`` when it has none here."""
    return COMMAND_NAMES.get(command) or f"command_{command}"


def command_category(command: int) -> str:
    """Policy category of a HART command; ``other`` when unknown."""
    return COMMAND_CATEGORIES.get(command, OTHER)


IDENTITY_EXPANSION = 254
"""First octet of a command 0 reply."""

MIN_IDENTITY_LENGTH = 12
"""Command 0 reply octets up to the device id (HART 5)."""

HART7_IDENTITY_LENGTH = 22
"""Command 0 reply octets in HART 7 (manufacturer id, private label, profile)."""

LONG_TAG_LENGTH = 32
"""Command 20 long tag, ISO Latin-1."""

TAG_RECORD_LENGTH = 21
"""Command 13: tag (6 packed octets), descriptor (12), date (3)."""
