"""Modbus codes, their snake_case operation names and policy categories.

Sources: Modbus Application Protocol Specification V1.1b3 (section 5.1 public
function codes, 6.x function descriptions, 6.8.1 diagnostic sub-functions,
6.21 Read Device Identification objects, 7 exception codes) and the Modbus
Messaging on TCP/IP Implementation Guide V1.0b (section 3.1 MBAP header).
Schneider's UMAS (function code 90) is not publicly specified; its
sub-function names come from public reverse-engineering work (the
"Unity (UMAS) protocol" blog series by Liras en la red, 2017, and the open
UMAS Wireshark Lua dissectors that build on it).

Names are looked up in plain dicts built once at import, so the sensing hot
path pays a dict lookup, never a string build, for every known code.
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

# --- sizes (Implementation Guide V1.0b section 3.1.3; Application Protocol 4.1)

MBAP_HEADER_LENGTH = 7
"""Transaction id u16, protocol id u16, length u16, unit id u8."""

SPEC_MAX_PDU_LENGTH = 253
"""Largest PDU the specification allows (RS-485 ADU of 256 less address and CRC)."""

SPEC_MAX_MBAP_LENGTH = SPEC_MAX_PDU_LENGTH + 1
"""Largest MBAP length field the specification allows: the PDU plus the unit id."""

MAX_MBAP_LENGTH = SPEC_MAX_MBAP_LENGTH + 1
"""Largest MBAP length field otm accepts, one more than the specification.

Schneider Modicon PLCs announce a 253-byte UMAS frame after the function code
(UMAS INIT_COMM reply) and do exchange 261-byte ADUs with MBAP length 255
(``modicon_test.pcap`` frames 19-20, decoded by tshark without complaint), so
rejecting 255 would drop real traffic; anything longer is treated as garbage.
"""

MAX_PDU_LENGTH = MAX_MBAP_LENGTH - 1
"""Largest PDU otm decodes or encodes (254 bytes), following ``MAX_MBAP_LENGTH``."""

MAX_ADU_LENGTH = 6 + MAX_MBAP_LENGTH
"""Largest ADU otm accepts: 261 bytes (the specification says 260)."""

PROTOCOL_ID_MODBUS = 0
"""MBAP protocol identifier of Modbus; anything else is another protocol."""

EXCEPTION_FLAG = 0x80
"""Set in the function code of an exception response (section 7)."""


class FunctionCode(IntEnum):
    """Public function codes (section 5.1) plus Schneider's UMAS (90)."""

    READ_COILS = 1
    READ_DISCRETE_INPUTS = 2
    READ_HOLDING_REGISTERS = 3
    READ_INPUT_REGISTERS = 4
    WRITE_SINGLE_COIL = 5
    WRITE_SINGLE_REGISTER = 6
    READ_EXCEPTION_STATUS = 7
    DIAGNOSTICS = 8
    GET_COMM_EVENT_COUNTER = 11
    GET_COMM_EVENT_LOG = 12
    WRITE_MULTIPLE_COILS = 15
    WRITE_MULTIPLE_REGISTERS = 16
    REPORT_SERVER_ID = 17
    READ_FILE_RECORD = 20
    WRITE_FILE_RECORD = 21
    MASK_WRITE_REGISTER = 22
    READ_WRITE_MULTIPLE_REGISTERS = 23
    READ_FIFO_QUEUE = 24
    ENCAPSULATED_INTERFACE_TRANSPORT = 43
    UMAS = 90


USER_DEFINED_FUNCTION_CODES = frozenset((*range(65, 73), *range(100, 111)))
"""Function codes the specification leaves to users (section 5.1): 65-72, 100-110."""


class ExceptionCode(IntEnum):
    """Exception codes (section 7); 7 comes from the older Modicon PI-MBUS-300."""

    ILLEGAL_FUNCTION = 0x01
    ILLEGAL_DATA_ADDRESS = 0x02
    ILLEGAL_DATA_VALUE = 0x03
    SERVER_DEVICE_FAILURE = 0x04
    ACKNOWLEDGE = 0x05
    SERVER_DEVICE_BUSY = 0x06
    NEGATIVE_ACKNOWLEDGE = 0x07
    MEMORY_PARITY_ERROR = 0x08
    GATEWAY_PATH_UNAVAILABLE = 0x0A
    GATEWAY_TARGET_FAILED_TO_RESPOND = 0x0B


class DiagnosticSubFunction(IntEnum):
    """Sub-function codes of function 8 (section 6.8.1).

    0x15 is not in V1.1b3; it is "Get/Clear Modbus Plus Statistics" from the
    Modicon PI-MBUS-300 reference, still answered by some gateways.
    """

    RETURN_QUERY_DATA = 0x00
    RESTART_COMMUNICATIONS = 0x01
    RETURN_DIAGNOSTIC_REGISTER = 0x02
    CHANGE_ASCII_INPUT_DELIMITER = 0x03
    FORCE_LISTEN_ONLY_MODE = 0x04
    CLEAR_COUNTERS_AND_DIAGNOSTIC_REGISTER = 0x0A
    RETURN_BUS_MESSAGE_COUNT = 0x0B
    RETURN_BUS_COMMUNICATION_ERROR_COUNT = 0x0C
    RETURN_BUS_EXCEPTION_ERROR_COUNT = 0x0D
    RETURN_SERVER_MESSAGE_COUNT = 0x0E
    RETURN_SERVER_NO_RESPONSE_COUNT = 0x0F
    RETURN_SERVER_NAK_COUNT = 0x10
    RETURN_SERVER_BUSY_COUNT = 0x11
    RETURN_BUS_CHARACTER_OVERRUN_COUNT = 0x12
    CLEAR_OVERRUN_COUNTER_AND_FLAG = 0x14
    GET_CLEAR_MODBUS_PLUS_STATISTICS = 0x15


class MeiType(IntEnum):
    """MODBUS Encapsulated Interface types of function 43 (section 6.19)."""

    CANOPEN_GENERAL_REFERENCE = 0x0D
    READ_DEVICE_IDENTIFICATION = 0x0E


class ReadDeviceIdCode(IntEnum):
    """What a Read Device Identification request asks for (section 6.21)."""

    BASIC = 1
    REGULAR = 2
    EXTENDED = 3
    SPECIFIC = 4


class DeviceObjectId(IntEnum):
    """Standard Read Device Identification objects (section 6.21, table of objects).

    0x00-0x02 are the mandatory basic category, 0x03-0x06 the optional
    regular one; 0x07-0x7F are reserved and 0x80-0xFF private (extended).
    """

    VENDOR_NAME = 0x00
    PRODUCT_CODE = 0x01
    MAJOR_MINOR_REVISION = 0x02
    VENDOR_URL = 0x03
    PRODUCT_NAME = 0x04
    MODEL_NAME = 0x05
    USER_APPLICATION_NAME = 0x06


class UmasReturnCode(IntEnum):
    """Second byte of a UMAS response: success or failure of the request."""

    OK = 0xFE
    ERROR = 0xFD


MORE_FOLLOWS_NO = 0x00
MORE_FOLLOWS_YES = 0xFF
COIL_ON = 0xFF00
COIL_OFF = 0x0000
FILE_REFERENCE_TYPE = 6
"""The only reference type a file record sub-request may carry (section 6.14)."""

# --- categories --------------------------------------------------------------


_FUNCTION_CATEGORIES: tuple[tuple[FunctionCode, str], ...] = (
    (FunctionCode.READ_COILS, READ),
    (FunctionCode.READ_DISCRETE_INPUTS, READ),
    (FunctionCode.READ_HOLDING_REGISTERS, READ),
    (FunctionCode.READ_INPUT_REGISTERS, READ),
    (FunctionCode.WRITE_SINGLE_COIL, WRITE),
    (FunctionCode.WRITE_SINGLE_REGISTER, WRITE),
    (FunctionCode.READ_EXCEPTION_STATUS, DIAGNOSTIC),
    (FunctionCode.DIAGNOSTICS, DIAGNOSTIC),
    (FunctionCode.GET_COMM_EVENT_COUNTER, DIAGNOSTIC),
    (FunctionCode.GET_COMM_EVENT_LOG, DIAGNOSTIC),
    (FunctionCode.WRITE_MULTIPLE_COILS, WRITE),
    (FunctionCode.WRITE_MULTIPLE_REGISTERS, WRITE),
    (FunctionCode.REPORT_SERVER_ID, IDENTIFY),
    (FunctionCode.READ_FILE_RECORD, READ),
    (FunctionCode.WRITE_FILE_RECORD, WRITE),
    (FunctionCode.MASK_WRITE_REGISTER, WRITE),
    # Reads and writes in one transaction: the write is what matters for policy.
    (FunctionCode.READ_WRITE_MULTIPLE_REGISTERS, WRITE),
    (FunctionCode.READ_FIFO_QUEUE, READ),
    # Without its MEI type the operation is unknown; see MEI_CATEGORIES.
    (FunctionCode.ENCAPSULATED_INTERFACE_TRANSPORT, OTHER),
    # Vendor session protocol; the UMAS sub-function refines it (UMAS_CATEGORIES).
    (FunctionCode.UMAS, OTHER),
)

FUNCTION_NAMES: Mapping[int, str] = MappingProxyType(
    {code: code.name.lower() for code, _ in _FUNCTION_CATEGORIES}
)
"""Function code -> snake_case operation name (``read_holding_registers``)."""

FUNCTION_CATEGORIES: Mapping[int, str] = MappingProxyType(dict(_FUNCTION_CATEGORIES))
"""Function code -> policy category."""

EXCEPTION_NAMES: Mapping[int, str] = MappingProxyType({c: c.name.lower() for c in ExceptionCode})
"""Exception code -> snake_case name (``illegal_data_address``)."""

DIAGNOSTIC_NAMES: Mapping[int, str] = MappingProxyType(
    {c: c.name.lower() for c in DiagnosticSubFunction}
)
"""Diagnostics (8) sub-function -> snake_case name (``force_listen_only_mode``)."""

DIAGNOSTIC_CATEGORIES: Mapping[int, str] = MappingProxyType(
    {
        c: (
            CONTROL
            if c
            in (
                DiagnosticSubFunction.RESTART_COMMUNICATIONS,
                DiagnosticSubFunction.FORCE_LISTEN_ONLY_MODE,
            )
            else DIAGNOSTIC
        )
        for c in DiagnosticSubFunction
    }
)
"""Restarting a device's communications or silencing it is control; the rest diagnostic."""

MEI_NAMES: Mapping[int, str] = MappingProxyType({c: c.name.lower() for c in MeiType})
MEI_CATEGORIES: Mapping[int, str] = MappingProxyType(
    {MeiType.CANOPEN_GENERAL_REFERENCE: OTHER, MeiType.READ_DEVICE_IDENTIFICATION: IDENTIFY}
)

READ_DEVICE_ID_NAMES: Mapping[int, str] = MappingProxyType(
    {c: c.name.lower() for c in ReadDeviceIdCode}
)

OBJECT_NAMES: Mapping[int, str] = MappingProxyType({c: c.name.lower() for c in DeviceObjectId})
"""Read Device Identification object id -> snake_case name (``vendor_name``)."""

_UMAS: tuple[tuple[int, str, str], ...] = (
    (0x01, "init_comm", SESSION),
    (0x02, "read_id", IDENTIFY),
    (0x03, "read_project_info", IDENTIFY),
    (0x04, "read_plc_info", DIAGNOSTIC),
    (0x05, "read_loader_info", DIAGNOSTIC),
    (0x06, "read_card_info", DIAGNOSTIC),
    (0x07, "read_block_info", READ),
    (0x0A, "repeat", DIAGNOSTIC),
    (0x10, "take_plc_reservation", SESSION),
    (0x11, "release_plc_reservation", SESSION),
    (0x12, "keep_alive", SESSION),
    (0x20, "read_memory_block", READ),
    (0x21, "write_memory_block", WRITE),
    (0x22, "read_variables", READ),
    (0x23, "write_variables", WRITE),
    (0x24, "read_coils_registers", READ),
    (0x25, "write_coils_registers", WRITE),
    (0x26, "data_dictionary", READ),
    (0x27, "data_dictionary_preload", READ),
    (0x28, "read_physical_address", READ),
    (0x29, "write_physical_address", WRITE),
    (0x2A, "browse_events", READ),
    # 0x30-0x32 and 0x33-0x35 move a strategy (the PLC program) between the
    # engineering PC and the PLC, one triplet each way; public write-ups
    # disagree on which way "upload" goes, so the names keep the source's words.
    (0x30, "initialize_upload", PROGRAM),
    (0x31, "upload_block", PROGRAM),
    (0x32, "end_strategy_upload", PROGRAM),
    (0x33, "initialize_download", PROGRAM),
    (0x34, "download_block", PROGRAM),
    (0x35, "end_strategy_download", PROGRAM),
    (0x36, "backup", PROGRAM),
    (0x37, "preload_blocks", PROGRAM),
    (0x38, "signed_message", OTHER),
    (0x39, "read_ethernet_master_data", READ),
    (0x40, "start_plc", CONTROL),
    (0x41, "stop_plc", CONTROL),
    (0x42, "init_plc", CONTROL),
    (0x43, "swap_blocks", PROGRAM),
    (0x50, "monitor_plc", READ),
    (0x51, "get_auto_modifications", READ),
    (0x52, "get_forced_bits", READ),
    (0x53, "get_selected_blocks", READ),
    (0x58, "check_plc", DIAGNOSTIC),
    (0x60, "set_breakpoint", CONTROL),
    (0x61, "delete_breakpoint", CONTROL),
    (0x62, "step_over", CONTROL),
    (0x63, "step_in", CONTROL),
    (0x64, "step_out", CONTROL),
    (0x65, "get_call_stack", DIAGNOSTIC),
    (0x66, "check_debug_allowed", DIAGNOSTIC),
    (0x6C, "process_message", OTHER),
    (0x6D, "private_message", OTHER),
    (0x6E, "reservation_nonces", SESSION),
    (0x70, "read_io_object", READ),
    (0x71, "write_io_object", WRITE),
    (0x72, "read_rack", IDENTIFY),
    (0x73, "get_status_module", DIAGNOSTIC),
    (0x74, "read_device_data", READ),
)

UMAS_NAMES: Mapping[int, str] = MappingProxyType({code: name for code, name, _ in _UMAS})
"""UMAS sub-function (byte after the pairing key in a request) -> snake_case name."""

UMAS_CATEGORIES: Mapping[int, str] = MappingProxyType({code: cat for code, _, cat in _UMAS})

_UMAS_OPERATIONS: Mapping[int, str] = MappingProxyType(
    {code: "umas_" + name for code, name, _ in _UMAS}
)


# --- helpers -----------------------------------------------------------------

# Plain ints: comparing with an IntEnum member costs a class attribute lookup.
_DIAGNOSTICS = int(FunctionCode.DIAGNOSTICS)
_ENCAPSULATED = int(FunctionCode.ENCAPSULATED_INTERFACE_TRANSPORT)
_UMAS_CODE = int(FunctionCode.UMAS)


def operation_name(function_code: int, sub_code: int | None = None) -> str:
    """The snake_case operation of a request.

    ``function_code`` is taken without the exception flag.  ``sub_code``
    refines it where the protocol nests operations: the diagnostic
    sub-function for 8, the MEI type for 43, the UMAS sub-function for 90
    (see ``codec.peek_sub_code``).  Unknown codes get stable names such as
    ``function_0x41``, ``mei_type_0x05`` or ``umas_function_0x99``.
    """
    if sub_code is not None:
        if function_code == _DIAGNOSTICS:
            return diagnostic_operation_name(sub_code)
        if function_code == _ENCAPSULATED:
            return MEI_NAMES.get(sub_code) or f"mei_type_0x{sub_code:02x}"
        if function_code == _UMAS_CODE:
            return umas_operation_name(sub_code)
    return FUNCTION_NAMES.get(function_code) or f"function_0x{function_code:02x}"


def operation_category(function_code: int, sub_code: int | None = None) -> str:
    """The policy category of a request, refined by ``sub_code`` like ``operation_name``."""
    if sub_code is not None:
        if function_code == _DIAGNOSTICS:
            return diagnostic_operation_category(sub_code)
        if function_code == _ENCAPSULATED:
            return MEI_CATEGORIES.get(sub_code, OTHER)
        if function_code == _UMAS_CODE:
            return umas_operation_category(sub_code)
    return FUNCTION_CATEGORIES.get(function_code, OTHER)


def diagnostic_operation_name(subfunction: int) -> str:
    """Name of a diagnostics (8) sub-function, e.g. ``restart_communications``."""
    return DIAGNOSTIC_NAMES.get(subfunction) or f"diagnostics_0x{subfunction:04x}"


def diagnostic_operation_category(subfunction: int) -> str:
    """``control`` for restart communications and force listen only, else ``diagnostic``."""
    return DIAGNOSTIC_CATEGORIES.get(subfunction, DIAGNOSTIC)


def umas_operation_name(umas_function: int) -> str:
    """Operation name of a UMAS request, prefixed ``umas_`` (``umas_stop_plc``)."""
    return _UMAS_OPERATIONS.get(umas_function) or f"umas_function_0x{umas_function:02x}"


def umas_operation_category(umas_function: int) -> str:
    """Category of a UMAS sub-function; ``other`` when it is not documented publicly."""
    return UMAS_CATEGORIES.get(umas_function, OTHER)


def exception_name(exception_code: int) -> str:
    """Name of an exception code, ``exception_0x0c`` when it is not one of section 7."""
    return EXCEPTION_NAMES.get(exception_code) or f"exception_0x{exception_code:02x}"


def object_name(object_id: int) -> str:
    """Name of a device identification object.

    Standard objects use ``OBJECT_NAMES``; 0x07-0x7F are ``reserved_0x..`` and
    0x80-0xFF ``private_0x..`` (vendor-defined extended objects).
    """
    name = OBJECT_NAMES.get(object_id)
    if name is not None:
        return name
    if object_id < 0x80:
        return f"reserved_0x{object_id:02x}"
    return f"private_0x{object_id:02x}"
