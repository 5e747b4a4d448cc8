"""DNP3 codes, their snake_case names and policy categories.

Sources: IEEE Std 1815-2012 (DNP3): clause 9 (data link layer: frame format,
control octet, primary and secondary function codes, reserved addresses),
clause 8 (transport functions), clause 4.2.2 (application fragment structure:
control octet, function codes, internal indications), clause 12 (object
library parsing codes: qualifiers, prefixes and ranges) and Annex A (object
descriptions, group 0 device attributes and their data types).
Numbers and names were checked against Wireshark's DNP3 dissector through
tshark 4.0 (``packet-dnp.c``), which names the same codes.

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
    OTHER,
    PROGRAM,
    READ,
    SESSION,
    WRITE,
)

# --- data link layer (clause 9) -------------------------------------------------

START = b"\x05\x64"
"""The two start octets of every link frame."""

HEADER_LENGTH = 10
"""Start 2 | length 1 | control 1 | destination 2 | source 2 | header CRC 2."""

MIN_LENGTH = 5
"""Smallest link length byte: control, destination and source, no user data."""

MAX_USER_DATA = 250
"""User data octets one frame carries at most (length byte 255 less the 5 it counts)."""

BLOCK_SIZE = 16
"""User data is sent in blocks of 16 octets (the last shorter), each followed by its CRC."""

MAX_FRAME_LENGTH = HEADER_LENGTH + MAX_USER_DATA + 2 * -(-MAX_USER_DATA // BLOCK_SIZE)
"""292 octets: the longest link frame on the wire (10 + 250 + 16 block CRCs)."""

# Control octet bits.
DIR = 0x80
"""Direction: 1 when a master sent the frame, 0 when an outstation did."""
PRM = 0x40
"""Primary: 1 for a frame that starts a link transaction, 0 for the answer."""
FCB = 0x20
"""Frame count bit (primary frames), toggled by each confirmed transaction."""
FCV = 0x10
"""Frame count valid (primary frames): whether FCB is to be checked."""
DFC = 0x10
"""Data flow control (secondary frames): the receiver's buffers are full."""
FUNCTION_MASK = 0x0F

BROADCAST_ADDRESSES = frozenset((0xFFFD, 0xFFFE, 0xFFFF))
"""Destinations every outstation takes (clause 9): 0xFFFF "confirm
optional", 0xFFFE "do not confirm", 0xFFFD "confirm required"."""

SELF_ADDRESS = 0xFFFC
"""Destination an outstation may take as its own whatever its address is."""

RESERVED_ADDRESSES = range(0xFFF0, 0x10000)
"""Addresses no device may send from (reserved, self and broadcast)."""


class LinkPrimaryFunction(IntEnum):
    """Link function codes of frames with PRM = 1 (clause 9)."""

    RESET_LINK_STATES = 0
    RESET_USER_PROCESS = 1  # obsolete
    TEST_LINK_STATES = 2
    CONFIRMED_USER_DATA = 3
    UNCONFIRMED_USER_DATA = 4
    REQUEST_LINK_STATUS = 9


class LinkSecondaryFunction(IntEnum):
    """Link function codes of frames with PRM = 0 (clause 9)."""

    ACK = 0
    NACK = 1
    LINK_STATUS = 11
    NOT_FUNCTIONING = 14  # obsolete
    NOT_SUPPORTED = 15


USER_DATA_FUNCTIONS = frozenset(
    (LinkPrimaryFunction.CONFIRMED_USER_DATA, LinkPrimaryFunction.UNCONFIRMED_USER_DATA)
)
"""Primary functions that carry a transport segment."""

PRIMARY_NAMES: Mapping[int, str] = MappingProxyType(
    {c: c.name.lower() for c in LinkPrimaryFunction}
)
SECONDARY_NAMES: Mapping[int, str] = MappingProxyType(
    {c: c.name.lower() for c in LinkSecondaryFunction}
)


def link_function_name(primary: bool, function: int) -> str:
    """``reset_link_states``, ``ack`` ...; ``primary_0x05`` / ``secondary_0x03`` if undefined."""
    names = PRIMARY_NAMES if primary else SECONDARY_NAMES
    name = names.get(function)
    if name is not None:
        return name
    return f"{'primary' if primary else 'secondary'}_0x{function:02x}"


LINK_OPERATION_CATEGORY = SESSION
"""Link services a master asks for (reset link, test link, request link
status) keep the link up: they change nothing of the process."""

# --- transport function (clause 8) -----------------------------------------------

FIN = 0x80
"""Transport header: the final segment of a fragment."""
FIR = 0x40
"""Transport header: the first segment of a fragment."""
SEQUENCE_MASK = 0x3F
"""Transport header: sequence number 0-63, incremented per segment, wrapping."""

# --- application layer (clause 4.2.2) -------------------------------------------

# Application control octet bits.
APP_FIR = 0x80
APP_FIN = 0x40
APP_CON = 0x20
"""The sender asks for an application confirm."""
APP_UNS = 0x10
"""Unsolicited response (or its confirm)."""
APP_SEQUENCE_MASK = 0x0F


class FunctionCode(IntEnum):
    """Application function codes (clause 4.2.2).

    Requests are 0-33 (a master sends them; 0 confirm is sent by either
    station to acknowledge a fragment), responses 129-131 (an outstation
    sends them).  Snake_case names are otm's operation names.
    """

    CONFIRM = 0
    READ = 1
    WRITE = 2
    SELECT = 3
    OPERATE = 4
    DIRECT_OPERATE = 5
    DIRECT_OPERATE_NR = 6
    IMMEDIATE_FREEZE = 7
    IMMEDIATE_FREEZE_NR = 8
    FREEZE_CLEAR = 9
    FREEZE_CLEAR_NR = 10
    FREEZE_AT_TIME = 11
    FREEZE_AT_TIME_NR = 12
    COLD_RESTART = 13
    WARM_RESTART = 14
    INITIALIZE_DATA = 15  # obsolete
    INITIALIZE_APPLICATION = 16
    START_APPLICATION = 17
    STOP_APPLICATION = 18
    SAVE_CONFIGURATION = 19  # deprecated
    ENABLE_UNSOLICITED = 20
    DISABLE_UNSOLICITED = 21
    ASSIGN_CLASS = 22
    DELAY_MEASURE = 23
    RECORD_CURRENT_TIME = 24
    OPEN_FILE = 25
    CLOSE_FILE = 26
    DELETE_FILE = 27
    GET_FILE_INFO = 28
    AUTHENTICATE_FILE = 29
    ABORT_FILE = 30
    ACTIVATE_CONFIG = 31
    AUTHENTICATE_REQ = 32
    AUTHENTICATE_ERR = 33  # "authentication request, no acknowledgement" in 1815-2012
    RESPONSE = 129
    UNSOLICITED_RESPONSE = 130
    AUTHENTICATE_RESP = 131


RESPONSE_FUNCTIONS = frozenset(
    (FunctionCode.RESPONSE, FunctionCode.UNSOLICITED_RESPONSE, FunctionCode.AUTHENTICATE_RESP)
)
"""Function codes whose fragments carry the two IIN octets after the function code."""

FIRST_RESPONSE_CODE = 0x80
"""Codes from 128 up are responses (128 and 132-255 are reserved)."""

_FUNCTION_CATEGORIES: tuple[tuple[FunctionCode, str], ...] = (
    # Acknowledges a fragment: part of the exchange, changes nothing.
    (FunctionCode.CONFIRM, SESSION),
    (FunctionCode.READ, READ),
    (FunctionCode.WRITE, WRITE),
    # Select-before-operate and direct operate drive outputs (breakers, setpoints).
    (FunctionCode.SELECT, CONTROL),
    (FunctionCode.OPERATE, CONTROL),
    (FunctionCode.DIRECT_OPERATE, CONTROL),
    (FunctionCode.DIRECT_OPERATE_NR, CONTROL),
    # Freezes copy counters into frozen counters (and clear resets them):
    # stored data changes, the device's state and outputs do not.
    (FunctionCode.IMMEDIATE_FREEZE, WRITE),
    (FunctionCode.IMMEDIATE_FREEZE_NR, WRITE),
    (FunctionCode.FREEZE_CLEAR, WRITE),
    (FunctionCode.FREEZE_CLEAR_NR, WRITE),
    (FunctionCode.FREEZE_AT_TIME, WRITE),
    (FunctionCode.FREEZE_AT_TIME_NR, WRITE),
    (FunctionCode.COLD_RESTART, CONTROL),
    (FunctionCode.WARM_RESTART, CONTROL),
    (FunctionCode.INITIALIZE_DATA, CONTROL),
    (FunctionCode.INITIALIZE_APPLICATION, CONTROL),
    (FunctionCode.START_APPLICATION, CONTROL),
    (FunctionCode.STOP_APPLICATION, CONTROL),
    # Makes the running configuration permanent: a configuration change.
    (FunctionCode.SAVE_CONFIGURATION, PROGRAM),
    # Change the outstation's reporting parameters (what it sends unasked,
    # in which class a point is): parameters, not process state.
    (FunctionCode.ENABLE_UNSOLICITED, WRITE),
    (FunctionCode.DISABLE_UNSOLICITED, WRITE),
    (FunctionCode.ASSIGN_CLASS, WRITE),
    # Time synchronisation steps: the clock itself is set by a later write.
    (FunctionCode.DELAY_MEASURE, DIAGNOSTIC),
    (FunctionCode.RECORD_CURRENT_TIME, DIAGNOSTIC),
    # File transfer moves configuration and firmware files in and out.
    (FunctionCode.OPEN_FILE, PROGRAM),
    (FunctionCode.CLOSE_FILE, PROGRAM),
    (FunctionCode.DELETE_FILE, PROGRAM),
    (FunctionCode.GET_FILE_INFO, PROGRAM),
    (FunctionCode.AUTHENTICATE_FILE, PROGRAM),
    (FunctionCode.ABORT_FILE, PROGRAM),
    (FunctionCode.ACTIVATE_CONFIG, PROGRAM),
    # Secure authentication challenges and errors.
    (FunctionCode.AUTHENTICATE_REQ, SESSION),
    (FunctionCode.AUTHENTICATE_ERR, SESSION),
    # A response takes the category of the request it answers.
    (FunctionCode.RESPONSE, OTHER),
    # Sent unasked by the outstation: it reports process data, as a read would.
    (FunctionCode.UNSOLICITED_RESPONSE, READ),
    (FunctionCode.AUTHENTICATE_RESP, SESSION),
)

FUNCTION_NAMES: Mapping[int, str] = MappingProxyType(
    {code: code.name.lower() for code, _ in _FUNCTION_CATEGORIES}
)
"""Application function code -> snake_case operation name (``direct_operate``)."""

FUNCTION_CATEGORIES: Mapping[int, str] = MappingProxyType(dict(_FUNCTION_CATEGORIES))
"""Application function code -> policy category."""


def operation_name(function_code: int) -> str:
    """Operation name of an application function code, ``function_0x40`` when undefined."""
    return FUNCTION_NAMES.get(function_code) or f"function_0x{function_code:02x}"


def operation_category(function_code: int) -> str:
    """Policy category of an application function code; ``other`` when undefined."""
    return FUNCTION_CATEGORIES.get(function_code, OTHER)


def link_operation_name(function: int) -> str:
    """Operation name of a primary link service without user data: ``link_reset_link_states``."""
    return "link_" + link_function_name(True, function)


# --- internal indications (clause 4.2.2) -------------------------------------------

IIN_BITS: Mapping[int, str] = MappingProxyType(
    {
        # IIN1 (first octet, high byte of the 16-bit value as tshark shows it)
        0x0100: "broadcast",
        0x0200: "class_1_events",
        0x0400: "class_2_events",
        0x0800: "class_3_events",
        0x1000: "need_time",
        0x2000: "local_control",
        0x4000: "device_trouble",
        0x8000: "device_restart",
        # IIN2
        0x0001: "no_func_code_support",
        0x0002: "object_unknown",
        0x0004: "parameter_error",
        0x0008: "event_buffer_overflow",
        0x0010: "already_executing",
        0x0020: "config_corrupt",
        0x0040: "reserved_2",
        0x0080: "reserved_1",
    }
)
"""Bit of ``iin`` (IIN1 << 8 | IIN2) -> snake_case name."""


def iin_names(iin: int) -> tuple[str, ...]:
    """Names of the indications set in ``iin``, IIN1 bit 0 first."""
    return tuple(name for bit, name in IIN_BITS.items() if iin & bit)


# --- object headers: qualifier codes (clause 12) ------------------------------------

QUALIFIER_RESERVED = 0x80
PREFIX_MASK = 0x70
RANGE_MASK = 0x0F

INDEX_PREFIX_SIZES: Mapping[int, int] = MappingProxyType({1: 1, 2: 2, 3: 4})
"""Object prefix code -> octets of the index before each object."""

SIZE_PREFIX_SIZES: Mapping[int, int] = MappingProxyType({4: 1, 5: 2, 6: 4})
"""Object prefix code -> octets of the object size before each object."""


class RangeCode(IntEnum):
    """Range specifier codes (low nibble of the qualifier)."""

    START_STOP_8 = 0x0
    START_STOP_16 = 0x1
    START_STOP_32 = 0x2
    VIRTUAL_START_STOP_8 = 0x3
    VIRTUAL_START_STOP_16 = 0x4
    VIRTUAL_START_STOP_32 = 0x5
    ALL_OBJECTS = 0x6
    COUNT_8 = 0x7
    COUNT_16 = 0x8
    COUNT_32 = 0x9
    FREE_FORMAT_COUNT_8 = 0xB


START_STOP_WIDTHS: Mapping[int, int] = MappingProxyType(
    {0x0: 1, 0x1: 2, 0x2: 4, 0x3: 1, 0x4: 2, 0x5: 4}
)
"""Range code -> octets of each of the start and stop fields."""

COUNT_WIDTHS: Mapping[int, int] = MappingProxyType({0x7: 1, 0x8: 2, 0x9: 4, 0xB: 1})
"""Range code -> octets of the count field."""

# --- group 0: device attributes (Annex A, group 0) ---------------------------------

DEVICE_ATTRIBUTES_GROUP = 0


class DataType(IntEnum):
    """Data type code before each device attribute value."""

    VISIBLE_STRING = 1
    UNSIGNED_INTEGER = 2
    SIGNED_INTEGER = 3
    FLOATING_POINT = 4
    OCTET_STRING = 5
    BIT_STRING = 6
    TIME = 7
    UNICODE_STRING = 8
    ATTRIBUTE_LIST = 254
    EXTENDED_ATTRIBUTE_LIST = 255


DEVICE_ATTRIBUTE_NAMES: Mapping[int, str] = MappingProxyType(
    {
        196: "configuration_id",
        197: "configuration_version",
        198: "configuration_build_date",
        199: "configuration_last_change_date",
        200: "configuration_signature",
        201: "configuration_signature_algorithm",
        202: "master_resource_id",
        203: "device_altitude",
        204: "device_longitude",
        205: "device_latitude",
        206: "secondary_operator_name",
        207: "primary_operator_name",
        208: "system_name",
        209: "secure_authentication_version",
        210: "security_statistics_per_association",
        211: "user_specific_attributes",
        212: "master_data_set_prototypes",
        213: "outstation_data_set_prototypes",
        214: "master_data_sets",
        215: "outstation_data_sets",
        216: "max_binary_outputs_per_request",
        217: "local_timing_accuracy",
        218: "time_accuracy_duration",
        219: "analog_output_events",
        220: "max_analog_output_index",
        221: "analog_outputs",
        222: "binary_output_events",
        223: "max_binary_output_index",
        224: "binary_outputs",
        225: "frozen_counter_events",
        226: "frozen_counters",
        227: "counter_events",
        228: "max_counter_index",
        229: "counters",
        230: "frozen_analog_inputs",
        231: "analog_input_events",
        232: "max_analog_input_index",
        233: "analog_inputs",
        234: "double_bit_input_events",
        235: "max_double_bit_input_index",
        236: "double_bit_inputs",
        237: "binary_input_events",
        238: "max_binary_input_index",
        239: "binary_inputs",
        240: "max_transmit_fragment_size",
        241: "max_receive_fragment_size",
        242: "software_version",
        243: "hardware_version",
        244: "owner_name",
        245: "location",
        246: "id_code",
        247: "device_name",
        248: "serial_number",
        249: "subset_and_conformance",
        250: "product_name_and_model",
        252: "manufacturer_name",
        254: "all_attributes",
        255: "attribute_variations",
    }
)
"""Group 0 variation -> snake_case attribute name (``manufacturer_name`` is 252)."""

ALL_ATTRIBUTES = 254
"""Group 0 variation a master reads to get every attribute (qualifier 0x06)."""


def device_attribute_name(variation: int) -> str:
    """Name of a group 0 variation, ``attribute_<n>`` when the library defines none."""
    return DEVICE_ATTRIBUTE_NAMES.get(variation) or f"attribute_{variation}"
