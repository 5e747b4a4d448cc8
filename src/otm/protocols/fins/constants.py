"""Omron FINS codes, their snake_case names and policy categories.

Sources: Omron *FINS Commands Reference Manual* W227 (C-series and CV-series
commands, SYSMAC), *CS/CJ/CP/NSJ Series Communications Commands Reference
Manual* W342 (section 3 FINS header, 5 command list and formats, 5-1-3 end
codes) and the Ethernet Unit manuals W343/W421 (FINS/UDP on port 9600, the
FINS/TCP header and its node address exchange, section 7).  Names follow the
manuals' command titles.

Names and categories are looked up in dicts built at import, so the sensing
hot path pays one dict lookup per message.
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
    PROGRAM,
    READ,
    SESSION,
    WRITE,
)

PORT = 9600
"""FINS/UDP and FINS/TCP port of Omron Ethernet units (W421 section 7)."""

HEADER_LENGTH = 10
"""ICF, RSV, GCT, DNA, DA1, DA2, SNA, SA1, SA2, SID: one byte each."""

COMMAND_MIN_LENGTH = HEADER_LENGTH + 2
"""A command is at least its header and command code (MRC, SRC)."""

RESPONSE_MIN_LENGTH = HEADER_LENGTH + 4
"""A response is at least its header, command code and end code (MRES, SRES)."""

MAX_FRAME_LENGTH = 2012
"""Largest FINS frame over Ethernet (W342 3-1: 2,000 bytes of text plus the
header, command and end codes; a 999-word memory area read response)."""

TCP_HEADER_LENGTH = 16
"""FINS/TCP header: ``FINS`` magic, length, command, error code; u32 each."""

TCP_MAGIC = b"FINS"

MAX_TCP_LENGTH = 8 + 2 * MAX_FRAME_LENGTH
"""Largest FINS/TCP length field otm frames: the command and error code (8)
plus twice the largest FINS frame, a margin for units that exceed the
manual; a longer length means the stream is not (or no longer) FINS/TCP."""

ICF_GATEWAY = 0x80
"""ICF bit 7: gateway (bridge) use, 1 in every frame the manuals show."""
ICF_RESPONSE = 0x40
"""ICF bit 6: 0 command, 1 response."""
ICF_NO_RESPONSE = 0x01
"""ICF bit 0: 1 when the command asks for no response."""
ICF_RESERVED = 0x3E
"""ICF bits 1-5: always 0."""


class TcpCommand(IntEnum):
    """FINS/TCP header commands (W421 7-2)."""

    NODE_ADDRESS_DATA_SEND_CLIENT = 0
    NODE_ADDRESS_DATA_SEND_SERVER = 1
    FRAME_SEND = 2
    FRAME_SEND_ERROR_NOTIFICATION = 3
    CONNECTION_CONFIRMATION = 6


TCP_COMMAND_NAMES: Mapping[int, str] = MappingProxyType(
    {
        0: "node_address_data_send_client",
        1: "node_address_data_send_server",
        2: "frame_send",
        3: "frame_send_error_notification",
        6: "connection_confirmation",
    }
)

TCP_ERROR_NAMES: Mapping[int, str] = MappingProxyType(
    {
        0x00: "normal",
        0x01: "header_not_fins",
        0x02: "data_length_too_long",
        0x03: "command_not_supported",
        0x20: "all_connections_in_use",
        0x21: "node_already_connected",
        0x22: "protected_node_from_unspecified_ip",
        0x23: "client_node_address_out_of_range",
        0x24: "same_node_address_client_and_server",
        0x25: "no_node_address_available",
    }
)
"""FINS/TCP error codes (W421 7-2)."""


def tcp_command_name(command: int) -> str:
    return TCP_COMMAND_NAMES.get(command, f"tcp_command_0x{command:x}")


def tcp_error_name(code: int) -> str:
    return TCP_ERROR_NAMES.get(code, f"tcp_error_0x{code:x}")


# --- commands (W227 and W342 section 5) ------------------------------------------------

_COMMANDS: tuple[tuple[int, str, str], ...] = (
    (0x0101, "memory_area_read", READ),
    (0x0102, "memory_area_write", WRITE),
    (0x0103, "memory_area_fill", WRITE),
    (0x0104, "multiple_memory_area_read", READ),
    (0x0105, "memory_area_transfer", WRITE),
    (0x0201, "parameter_area_read", READ),
    (0x0202, "parameter_area_write", WRITE),
    (0x0203, "parameter_area_clear", WRITE),
    (0x0220, "data_link_table_read", READ),
    (0x0221, "data_link_table_write", WRITE),
    (0x0304, "program_area_protect", PROGRAM),
    (0x0305, "program_area_protect_clear", PROGRAM),
    (0x0306, "program_area_read", PROGRAM),
    (0x0307, "program_area_write", PROGRAM),
    (0x0308, "program_area_clear", PROGRAM),
    (0x0401, "run", CONTROL),
    (0x0402, "stop", CONTROL),
    (0x0403, "reset", CONTROL),
    (0x0501, "controller_data_read", IDENTIFY),
    (0x0502, "connection_data_read", IDENTIFY),
    (0x0601, "controller_status_read", DIAGNOSTIC),
    (0x0602, "network_status_read", DIAGNOSTIC),
    (0x0603, "data_link_status_read", DIAGNOSTIC),
    (0x0620, "cycle_time_read", DIAGNOSTIC),
    (0x0701, "clock_read", READ),
    (0x0702, "clock_write", WRITE),
    (0x0801, "loopback_test", DIAGNOSTIC),
    (0x0802, "broadcast_test_results_read", DIAGNOSTIC),
    (0x0803, "broadcast_test_data_send", DIAGNOSTIC),
    (0x0920, "message_read", DIAGNOSTIC),
    (0x0C01, "access_right_acquire", SESSION),
    (0x0C02, "access_right_forced_acquire", SESSION),
    (0x0C03, "access_right_release", SESSION),
    (0x2101, "error_clear", CONTROL),
    (0x2102, "error_log_read", DIAGNOSTIC),
    (0x2103, "error_log_clear", DIAGNOSTIC),
    (0x2140, "fins_write_access_log_read", DIAGNOSTIC),
    (0x2141, "fins_write_access_log_clear", DIAGNOSTIC),
    (0x2201, "file_name_read", READ),
    (0x2202, "single_file_read", PROGRAM),
    (0x2203, "single_file_write", PROGRAM),
    (0x2204, "memory_card_format", PROGRAM),
    (0x2205, "file_delete", PROGRAM),
    (0x2206, "volume_label_create_delete", PROGRAM),
    (0x2207, "file_copy", PROGRAM),
    (0x2208, "file_name_change", PROGRAM),
    (0x2209, "file_data_check", READ),
    (0x220A, "memory_area_file_transfer", PROGRAM),
    (0x220B, "parameter_area_file_transfer", PROGRAM),
    (0x220C, "program_area_file_transfer", PROGRAM),
    (0x220F, "file_memory_index_read", READ),
    (0x2210, "file_memory_read", PROGRAM),
    (0x2211, "file_memory_write", PROGRAM),
    (0x2215, "directory_create_delete", PROGRAM),
    (0x2301, "forced_set_reset", WRITE),
    (0x2302, "forced_set_reset_cancel", WRITE),
    (0x230A, "multiple_forced_status_read", READ),
    (0x2601, "name_set", WRITE),
    (0x2602, "name_delete", WRITE),
    (0x2603, "name_read", IDENTIFY),
)
"""(command code MRC << 8 | SRC, name, category).

Categories: run/stop/reset and error clear change the controller's state
(``control``); program area and file transfers read or replace the logic
and its files (``program``, an upload is a program operation too); memory,
parameter, clock, forced set/reset and name writes ``write``; controller
data and name reads ``identify``; status, cycle time, tests, logs and
messages ``diagnostic``; access rights ``session``."""

COMMAND_NAMES: Mapping[int, str] = MappingProxyType({c: n for c, n, _ in _COMMANDS})
COMMAND_CATEGORIES: Mapping[int, str] = MappingProxyType({c: k for c, _, k in _COMMANDS})

MESSAGE_READ = 0x0920
"""MESSAGE READ / MESSAGE CLEAR / FAL/FALS READ share a code; bits 14-15 of
the first parameter word tell them apart (W342 5-3-17)."""

_MESSAGE_OPERATIONS: Mapping[int, tuple[str, str]] = MappingProxyType(
    {
        0: ("message_read", DIAGNOSTIC),
        1: ("message_clear", DIAGNOSTIC),
        2: ("fal_fals_read", DIAGNOSTIC),
    }
)

CONTROLLER_DATA_READ = 0x0501
CONTROLLER_STATUS_READ = 0x0601
CLOCK_READ = 0x0701


def command_name(code: int, parameter: int | None = None) -> str:
    """``memory_area_read``, ``run``, ``message_clear`` ...; ``command_0xMMSS`` when unknown.

    ``parameter`` is the first parameter word of a 0x0920 command (see
    ``MESSAGE_READ``); other commands ignore it.
    """
    if code == MESSAGE_READ and parameter is not None:
        known = _MESSAGE_OPERATIONS.get(parameter >> 14)
        if known is not None:
            return known[0]
    return COMMAND_NAMES.get(code, f"command_0x{code:04x}")


def command_category(code: int, parameter: int | None = None) -> str:
    """The policy category of a command (``other`` when unknown)."""
    if code == MESSAGE_READ and parameter is not None:
        known = _MESSAGE_OPERATIONS.get(parameter >> 14)
        if known is not None:
            return known[1]
    return COMMAND_CATEGORIES.get(code, OTHER)


# --- end codes (W342 5-1-3) ------------------------------------------------------------

END_CODE_RELAY_ERROR = 0x8000
"""MRES bit 7: a network relay error happened on the way (the rest locates it)."""
END_CODE_FATAL_CPU_ERROR = 0x0080
"""SRES bit 7: the CPU unit has a fatal error."""
END_CODE_NON_FATAL_CPU_ERROR = 0x0040
"""SRES bit 6: the CPU unit has a non-fatal error."""
END_CODE_MASK = 0x7F3F
"""Main code (MRES bits 0-6) and sub code (SRES bits 0-5) without the flags."""

MAIN_CODE_NAMES: Mapping[int, str] = MappingProxyType(
    {
        0x00: "normal_completion",
        0x01: "local_node_error",
        0x02: "destination_node_error",
        0x03: "controller_error",
        0x04: "service_unsupported",
        0x05: "routing_table_error",
        0x10: "command_format_error",
        0x11: "parameter_error",
        0x20: "read_not_possible",
        0x21: "write_not_possible",
        0x22: "not_executable_in_current_mode",
        0x23: "no_such_device",
        0x24: "cannot_start_stop",
        0x25: "unit_error",
        0x26: "command_error",
        0x30: "access_right_error",
        0x40: "abort",
    }
)

END_CODE_NAMES: Mapping[int, str] = MappingProxyType(
    {
        0x0000: "normal_completion",
        0x0001: "service_canceled",
        0x0101: "local_node_not_in_network",
        0x0102: "token_timeout",
        0x0103: "retries_failed",
        0x0104: "too_many_send_frames",
        0x0105: "node_address_range_error",
        0x0106: "node_address_duplication",
        0x0201: "destination_node_not_in_network",
        0x0202: "unit_missing",
        0x0203: "third_node_missing",
        0x0204: "destination_node_busy",
        0x0205: "response_timeout",
        0x0301: "communications_controller_error",
        0x0302: "cpu_unit_error",
        0x0303: "controller_error",
        0x0304: "unit_number_error",
        0x0401: "undefined_command",
        0x0402: "not_supported_by_model_version",
        0x0501: "destination_address_setting_error",
        0x0502: "no_routing_tables",
        0x0503: "routing_table_error",
        0x0504: "too_many_relays",
        0x1001: "command_too_long",
        0x1002: "command_too_short",
        0x1003: "elements_data_do_not_match",
        0x1004: "command_format_error",
        0x1005: "header_error",
        0x1101: "area_classification_missing",
        0x1102: "access_size_error",
        0x1103: "address_range_error",
        0x1104: "address_range_exceeded",
        0x1106: "program_missing",
        0x1109: "relational_error",
        0x110A: "duplicate_data_access",
        0x110B: "response_too_long",
        0x110C: "parameter_error",
        0x2002: "read_protected",
        0x2003: "table_missing",
        0x2004: "data_missing",
        0x2005: "program_missing",
        0x2006: "file_missing",
        0x2007: "data_mismatch",
        0x2101: "read_only",
        0x2102: "write_protected",
        0x2103: "cannot_register",
        0x2105: "program_missing",
        0x2106: "file_missing",
        0x2107: "file_name_already_exists",
        0x2108: "cannot_change",
        0x2201: "not_possible_during_execution",
        0x2202: "not_possible_while_running",
        0x2203: "wrong_mode_program",
        0x2204: "wrong_mode_debug",
        0x2205: "wrong_mode_monitor",
        0x2206: "wrong_mode_run",
        0x2207: "specified_node_not_polling_node",
        0x2208: "step_cannot_be_executed",
        0x2301: "file_device_missing",
        0x2302: "memory_missing",
        0x2303: "clock_missing",
        0x2401: "table_missing",
        0x2502: "memory_error",
        0x2503: "io_setting_error",
        0x2504: "too_many_io_points",
        0x2505: "cpu_bus_error",
        0x2506: "io_duplication",
        0x2507: "io_bus_error",
        0x2509: "sysmac_bus2_error",
        0x250A: "cpu_bus_unit_error",
        0x250D: "sysmac_bus_number_duplication",
        0x250F: "memory_error",
        0x2510: "sysmac_bus_terminator_missing",
        0x2601: "no_protection",
        0x2602: "incorrect_password",
        0x2604: "protected",
        0x2605: "service_already_executing",
        0x2606: "service_stopped",
        0x2607: "no_execution_right",
        0x2608: "settings_not_complete",
        0x2609: "necessary_items_not_set",
        0x260A: "number_already_defined",
        0x260B: "error_will_not_clear",
        0x3001: "no_access_right",
        0x4001: "service_aborted",
    }
)
"""End code without its flag bits (``END_CODE_MASK``) -> name of the sub code."""


def end_code_name(end_code: int) -> str:
    """``normal_completion``, ``address_range_error``, ``wrong_mode_run`` ...

    The relay and CPU error flags are masked off; an unknown sub code is named
    after its main code (``parameter_error_0x0f``), an unknown main code
    ``end_code_0xMMSS``.
    """
    code = end_code & END_CODE_MASK
    known = END_CODE_NAMES.get(code)
    if known is not None:
        return known
    main = MAIN_CODE_NAMES.get(code >> 8)
    if main is not None:
        return f"{main}_0x{code & 0x3F:02x}"
    return f"end_code_0x{code:04x}"


def main_code_name(end_code: int) -> str:
    """The name of the end code's main code (MRES without the relay flag)."""
    main = (end_code >> 8) & 0x7F
    return MAIN_CODE_NAMES.get(main, f"main_code_0x{main:02x}")


def is_normal(end_code: int) -> bool:
    """Normal completion, also with only the CPU error flags set (0x0040/0x0080):
    the command was executed; the flags report the CPU's own condition."""
    return end_code & END_CODE_MASK == 0 and not end_code & END_CODE_RELAY_ERROR


# --- memory areas (W342 5-2-2, W227 5-1) -------------------------------------------------

MEMORY_AREA_NAMES: Mapping[int, str] = MappingProxyType(
    {
        # CS/CJ/CP series (W342 5-2-2)
        0x30: "cio_bit",
        0x31: "wr_bit",
        0x32: "hr_bit",
        0x33: "ar_bit",
        0x70: "cio_bit_forced",
        0x71: "wr_bit_forced",
        0x72: "hr_bit_forced",
        0xB0: "cio_word",
        0xB1: "wr_word",
        0xB2: "hr_word",
        0xB3: "ar_word",
        0xF0: "cio_word_forced",
        0xF1: "wr_word_forced",
        0xF2: "hr_word_forced",
        0x09: "timer_counter_completion",
        0x49: "timer_counter_completion_forced",
        0x89: "timer_counter_pv",
        0x02: "dm_bit",
        0x82: "dm_word",
        0x0A: "em_current_bank_bit",
        0x98: "em_current_bank_word",
        0x06: "task_flag_bit",
        0x46: "task_flag_status",
        0x07: "clock_pulse_condition_flag",
        0xBC: "data_register",
        0xDC: "index_register",
        **{0x20 + bank: f"em_bank_{bank}_bit" for bank in range(13)},
        **{0xA0 + bank: f"em_bank_{bank}_word" for bank in range(13)},
        # C series (W227 5-1, codes the CS/CJ table does not reuse)
        0x00: "cio_bit_c_series",
        0x80: "cio_word_c_series",
        0x01: "timer_counter_completion_c_series",
        0x81: "timer_counter_pv_c_series",
        **{0x90 + bank: f"expansion_dm_bank_{bank}_c_series" for bank in range(8)},
    }
)
"""Memory area code -> name (CS/CJ codes of W342; C-series of W227 marked)."""


def memory_area_name(code: int) -> str:
    return MEMORY_AREA_NAMES.get(code, f"area_0x{code:02x}")


class ControllerMode(IntEnum):
    """Operating mode in RUN commands and status responses (W342 5-3-3)."""

    PROGRAM = 0x00
    DEBUG = 0x01
    MONITOR = 0x02
    RUN = 0x04


MODE_NAMES: Mapping[int, str] = MappingProxyType(
    {0x00: "program", 0x01: "debug", 0x02: "monitor", 0x04: "run"}
)
STATUS_NAMES: Mapping[int, str] = MappingProxyType({0x00: "stop", 0x01: "run", 0x80: "cpu_standby"})
MEMORY_CARD_NAMES: Mapping[int, str] = MappingProxyType(
    {0x00: "none", 0x01: "spram", 0x02: "eprom", 0x03: "eeprom", 0x04: "flash"}
)
"""Kind of memory card in the Controller Data Read area data (W227 5-3-2; 4 from W342)."""
