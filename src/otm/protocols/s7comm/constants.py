"""S7comm codes over TPKT/COTP, their snake_case operation names and categories.

Sources: RFC 1006 section 6 (TPKT), ISO 8073 / ITU-T X.224 section 13 (COTP
TPDU codes and parameters), and, for S7comm itself, which Siemens never
published, the public reverse-engineering behind Wireshark's S7comm dissector
(Thomas Wiens, ``epan/dissectors/packet-s7comm.c`` and
``packet-s7comm_szl_ids.c``; field names as tshark 4.0 shows them) and the
snap7 documentation (Davide Nardella, "Snap7 reference manual", chapters on
the S7 protocol, PLC control and the SZL).  S7comm-plus function codes come
from the public s7commwireshark plugin (same author).

Every table is a plain dict built once at import: naming an operation on the
hot path costs one dict lookup.  Categories are one of ``read``, ``write``,
``control``, ``program``, ``diagnostic``, ``identify``, ``session``, ``other``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from types import MappingProxyType

# --- TPKT (RFC 1006 section 6) -------------------------------------------------

TPKT_VERSION = 3
"""The only TPKT version RFC 1006 defines."""

TPKT_HEADER_LENGTH = 4
"""``version u8 | reserved u8 | length u16`` (length counts these 4 bytes)."""

MIN_TPKT_LENGTH = 7
"""TPKT header plus the smallest COTP TPDU S7 uses (a class 0 DT: LI, code, EOT/NR)."""

# --- COTP (ISO 8073 / X.224 section 13) ----------------------------------------


class CotpPduType(IntEnum):
    """TPDU codes: the high nibble of the second header byte (low nibble: credit)."""

    ED = 0x10
    """Expedited data."""
    EA = 0x20
    """Expedited data acknowledgement."""
    RJ = 0x50
    """Reject."""
    AK = 0x60
    """Data acknowledgement."""
    ER = 0x70
    """TPDU error."""
    DR = 0x80
    """Disconnect request."""
    DC = 0xC0
    """Disconnect confirm."""
    CC = 0xD0
    """Connection confirm."""
    CR = 0xE0
    """Connection request."""
    DT = 0xF0
    """Data."""


COTP_TYPE_NAMES: Mapping[int, str] = MappingProxyType(
    {
        CotpPduType.CR: "connection_request",
        CotpPduType.CC: "connection_confirm",
        CotpPduType.DR: "disconnect_request",
        CotpPduType.DC: "disconnect_confirm",
        CotpPduType.DT: "data",
        CotpPduType.ED: "expedited_data",
        CotpPduType.AK: "data_acknowledgement",
        CotpPduType.EA: "expedited_data_acknowledgement",
        CotpPduType.RJ: "reject",
        CotpPduType.ER: "tpdu_error",
    }
)


class CotpParameterCode(IntEnum):
    """Variable-part parameter codes of CR/CC/DR/ER (X.224 13.3.4, 13.5.3, 13.12.3)."""

    ACK_TIME = 0x85
    RESIDUAL_ERROR_RATE = 0x86
    PRIORITY = 0x87
    TRANSIT_DELAY = 0x88
    THROUGHPUT = 0x89
    REASSIGNMENT_TIME = 0x8B
    TPDU_SIZE = 0xC0
    """One byte n: the maximum TPDU is 2**n octets (7-13 -> 128-8192)."""
    SRC_TSAP = 0xC1
    """Calling transport selector (the client's TSAP in a CR)."""
    DST_TSAP = 0xC2
    """Called transport selector (the PLC's TSAP in a CR)."""
    CHECKSUM = 0xC3
    VERSION = 0xC4
    PROTECTION = 0xC5
    ADDITIONAL_OPTIONS = 0xC6
    ALTERNATIVE_CLASSES = 0xC7
    ADDITIONAL_INFORMATION = 0xE0
    """Free text carried by a DR."""


class TsapConnectionType(IntEnum):
    """First byte of an S7 TSAP (snap7 manual, "connection type"; Wireshark COTP)."""

    PG = 1
    """Programming device (engineering station)."""
    OP = 2
    """Operator panel / HMI."""
    S7_BASIC = 3
    """S7 basic communication (other S7 clients and peers)."""


TSAP_CONNECTION_TYPE_NAMES: Mapping[int, str] = MappingProxyType(
    {TsapConnectionType.PG: "pg", TsapConnectionType.OP: "op", TsapConnectionType.S7_BASIC: "s7"}
)

# --- S7comm header ---------------------------------------------------------------

S7_PROTOCOL_ID = 0x32
"""First byte of every S7comm PDU."""

S7PLUS_PROTOCOL_ID = 0x72
"""First byte of every S7comm-plus PDU (S7-1200/1500 with TIA Portal)."""

S7_HEADER_LENGTH = 10
"""``protocol id u8 | ROSCTR u8 | redundancy id u16 | PDU reference u16 |
parameter length u16 | data length u16``."""

S7_ACK_HEADER_LENGTH = 12
"""The header of ROSCTR 2 and 3 adds ``error class u8 | error code u8``."""


class Rosctr(IntEnum):
    """Remote Operating Service Control: the PDU type (header byte 1)."""

    JOB = 1
    """Request (job with acknowledgement)."""
    ACK = 2
    """Acknowledgement without data."""
    ACK_DATA = 3
    """Response with data."""
    USERDATA = 7
    """Programming, diagnostic and cyclic services (parameter with function group)."""


ROSCTR_NAMES: Mapping[int, str] = MappingProxyType({c: c.name.lower() for c in Rosctr})


class Function(IntEnum):
    """Function code: the first parameter byte of a job or ack_data."""

    CPU_SERVICES = 0x00
    READ_VAR = 0x04
    WRITE_VAR = 0x05
    REQUEST_DOWNLOAD = 0x1A
    DOWNLOAD_BLOCK = 0x1B
    DOWNLOAD_ENDED = 0x1C
    START_UPLOAD = 0x1D
    UPLOAD = 0x1E
    END_UPLOAD = 0x1F
    PI_SERVICE = 0x28
    PLC_STOP = 0x29
    SETUP_COMMUNICATION = 0xF0


BLOCK_CONTROL_FUNCTIONS = frozenset(range(0x1A, 0x20))
"""Request download ... end upload: the six block transfer functions."""

FUNCTION_NAMES: Mapping[int, str] = MappingProxyType({c: c.name.lower() for c in Function})

FUNCTION_CATEGORIES: Mapping[int, str] = MappingProxyType(
    {
        Function.CPU_SERVICES: "other",
        Function.READ_VAR: "read",
        Function.WRITE_VAR: "write",
        Function.REQUEST_DOWNLOAD: "program",
        Function.DOWNLOAD_BLOCK: "program",
        Function.DOWNLOAD_ENDED: "program",
        Function.START_UPLOAD: "program",
        Function.UPLOAD: "program",
        Function.END_UPLOAD: "program",
        Function.PI_SERVICE: "control",
        Function.PLC_STOP: "control",
        Function.SETUP_COMMUNICATION: "session",
    }
)


class ErrorClass(IntEnum):
    """Header error class of ROSCTR 2/3 (Wireshark ``errcls_names``)."""

    NO_ERROR = 0x00
    APPLICATION_RELATIONSHIP = 0x81
    OBJECT_DEFINITION = 0x82
    NO_RESOURCES = 0x83
    SERVICE_PROCESSING = 0x84
    SUPPLIES = 0x85
    ACCESS = 0x87


# --- read/write variable items ------------------------------------------------------

VARIABLE_SPECIFICATION = 0x12
"""First byte of every request item ("variable specification")."""


class SyntaxId(IntEnum):
    """Addressing mode of a request item (third item byte)."""

    S7ANY = 0x10
    PBC_R_ID = 0x13
    ALARM_LOCKFREE = 0x15
    ALARM_IND = 0x16
    ALARM_ACK = 0x19
    ALARM_QUERYREQ = 0x1A
    NOTIFY_IND = 0x1C
    NCK = 0x82
    NCK_METRIC = 0x83
    NCK_INCH = 0x84
    DRIVEESANY = 0xA2
    DBREAD = 0xB0
    SYM1200 = 0xB2
    """S7-1200 symbolic (LID) addressing."""


class Area(IntEnum):
    """Memory area of an S7ANY item."""

    DATA_RECORD = 0x01
    SYSINFO_200 = 0x03
    SYSFLAGS_200 = 0x05
    ANALOG_INPUTS_200 = 0x06
    ANALOG_OUTPUTS_200 = 0x07
    COUNTERS = 0x1C
    TIMERS = 0x1D
    IEC_COUNTERS_200 = 0x1E
    IEC_TIMERS_200 = 0x1F
    PERIPHERAL = 0x80
    INPUTS = 0x81
    OUTPUTS = 0x82
    FLAGS = 0x83
    """Merker (M)."""
    DATA_BLOCKS = 0x84
    INSTANCE_DATA_BLOCKS = 0x85
    LOCAL_DATA = 0x86
    PREVIOUS_LOCAL_DATA = 0x87


AREA_SHORT_NAMES: Mapping[int, str] = MappingProxyType(
    {
        Area.DATA_RECORD: "RECORD",
        Area.SYSINFO_200: "SI200",
        Area.SYSFLAGS_200: "SF200",
        Area.ANALOG_INPUTS_200: "AI200",
        Area.ANALOG_OUTPUTS_200: "AO200",
        Area.COUNTERS: "C",
        Area.TIMERS: "T",
        Area.IEC_COUNTERS_200: "C200",
        Area.IEC_TIMERS_200: "T200",
        Area.PERIPHERAL: "P",
        Area.INPUTS: "I",
        Area.OUTPUTS: "Q",
        Area.FLAGS: "M",
        Area.DATA_BLOCKS: "DB",
        Area.INSTANCE_DATA_BLOCKS: "DI",
        Area.LOCAL_DATA: "L",
        Area.PREVIOUS_LOCAL_DATA: "V",
    }
)


class TransportSize(IntEnum):
    """Element type of a request item (S7ANY byte 3)."""

    BIT = 1
    BYTE = 2
    CHAR = 3
    WORD = 4
    INT = 5
    DWORD = 6
    DINT = 7
    REAL = 8
    DATE = 9
    TOD = 10
    TIME = 11
    S5TIME = 12
    DATE_AND_TIME = 15
    COUNTER = 28
    TIMER = 29
    IEC_TIMER = 30
    IEC_COUNTER = 31
    HS_COUNTER = 32


class DataTransportSize(IntEnum):
    """Transport size of a data item (read response, write request, userdata data)."""

    NULL = 0x00
    BIT = 0x03
    """Length in bits."""
    BYTE_WORD_DWORD = 0x04
    """Length in bits."""
    INTEGER = 0x05
    """Length in bits."""
    DINTEGER = 0x06
    REAL = 0x07
    OCTET_STRING = 0x09
    NCK_ADDRESS1 = 0x11
    NCK_ADDRESS2 = 0x12


LENGTH_IN_BITS = frozenset(
    (DataTransportSize.BIT, DataTransportSize.BYTE_WORD_DWORD, DataTransportSize.INTEGER)
)
"""Data transport sizes whose length field counts bits (rounded up to bytes)."""


class ReturnCode(IntEnum):
    """Return code of a data item."""

    RESERVED = 0x00
    HARDWARE_ERROR = 0x01
    ACCESS_DENIED = 0x03
    INVALID_ADDRESS = 0x05
    DATA_TYPE_NOT_SUPPORTED = 0x06
    DATA_TYPE_INCONSISTENT = 0x07
    OBJECT_DOES_NOT_EXIST = 0x0A
    SUCCESS = 0xFF


RETURN_CODES_WITH_DATA = frozenset((ReturnCode.RESERVED, ReturnCode.SUCCESS))
"""Return codes after which the item's data bytes follow (Wireshark reads none
for the others, whatever the length field says)."""

# --- blocks ------------------------------------------------------------------------

BLOCK_TYPE_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "08": "OB",
        "09": "CMod",
        "0A": "DB",
        "0B": "SDB",
        "0C": "FC",
        "0D": "SFC",
        "0E": "FB",
        "0F": "SFB",
    }
)
"""Block type as its two ASCII characters in a block file name (``_0A00001P``)."""

FILE_IDENTIFIERS: Mapping[str, str] = MappingProxyType(
    {"_": "complete_module", "$": "module_header_for_upload"}
)
"""First character of a block file name."""

FILESYSTEMS: Mapping[str, str] = MappingProxyType(
    {"P": "passive", "A": "active", "B": "active_and_passive"}
)
"""Last character of a block file name: the destination file system."""

# --- PI services (function 0x28) and PLC stop (0x29) ---------------------------------------

PI_SERVICE_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "_INSE": "insert_block",
        "_INS2": "insert_block",
        "_DELE": "delete_block",
        "_GARB": "compress_memory",
        "_MODU": "copy_ram_to_rom",
        "P_PROGRAM": "plc_start",
        "_N_LOGIN_": "nc_login",
        "_N_LOGOUT": "nc_logout",
    }
)
"""PI service name -> operation (``P_PROGRAM`` is refined by its argument, see
``pi_service_name``; other ``_N_`` services become ``nc_<name>``)."""

PI_SERVICE_CATEGORIES: Mapping[str, str] = MappingProxyType(
    {
        "insert_block": "program",
        "delete_block": "program",
        "compress_memory": "program",
        "copy_ram_to_rom": "program",
        "plc_start": "control",
        "plc_hot_restart": "control",
        "plc_cold_restart": "control",
        "plc_stop": "control",
        "nc_login": "session",
        "nc_logout": "session",
    }
)

P_PROGRAM_ARGUMENTS: Mapping[str, str] = MappingProxyType(
    {"": "plc_hot_restart", "C": "plc_cold_restart"}
)
"""``P_PROGRAM`` argument (parameter block, spaces stripped) -> operation.

snap7 sends no argument for its "hot start" (an S7-300 executes it as a warm
restart) and ``"C "`` for a cold start; any other argument is ``plc_start``."""

# --- userdata (ROSCTR 7) -----------------------------------------------------------------

USERDATA_HEAD = 0x000112
"""First three parameter bytes of a userdata PDU (function 0, item count 1,
variable specification 0x12)."""


class UserdataMethod(IntEnum):
    """Parameter byte 4 (tshark: "Method"); 0x12 adds data unit ref, last unit, error."""

    REQUEST = 0x11
    RESPONSE = 0x12


class UserdataType(IntEnum):
    """High nibble of parameter byte 5 (tshark 4.0 ``s7comm.param.userdata.type``)."""

    PUSH = 0x0
    NC_PUSH = 0x3
    REQUEST = 0x4
    NC_REQUEST = 0x7
    RESPONSE = 0x8
    NC_RESPONSE = 0xB


USERDATA_TYPE_NAMES: Mapping[int, str] = MappingProxyType({c: c.name.lower() for c in UserdataType})


class FunctionGroup(IntEnum):
    """Low nibble of parameter byte 5 (tshark 4.0 ``s7comm.param.userdata.funcgroup``)."""

    MODE_TRANSITION = 0x0
    PROGRAMMER_COMMANDS = 0x1
    """Test and installation functions (TIS)."""
    CYCLIC_DATA = 0x2
    BLOCK_FUNCTIONS = 0x3
    CPU_FUNCTIONS = 0x4
    SECURITY = 0x5
    PBC = 0x6
    """Programmable block communication (BSEND/BRECV)."""
    TIME_FUNCTIONS = 0x7
    NC_PROGRAMMING = 0xF


FUNCTION_GROUP_NAMES: Mapping[int, str] = MappingProxyType(
    {c: c.name.lower() for c in FunctionGroup}
)

_SUBFUNCTIONS: tuple[tuple[int, int, str, str], ...] = (
    # group 1: programmer commands (TIS)
    (1, 0x01, "block_status", "diagnostic"),
    (1, 0x02, "variable_status", "read"),
    (1, 0x03, "output_istack", "diagnostic"),
    (1, 0x04, "output_bstack", "diagnostic"),
    (1, 0x05, "output_lstack", "diagnostic"),
    (1, 0x06, "time_measurement", "diagnostic"),
    (1, 0x07, "force_selection", "read"),
    (1, 0x08, "modify_variable", "write"),
    (1, 0x09, "force", "write"),
    (1, 0x0A, "breakpoint", "control"),
    (1, 0x0B, "exit_hold", "control"),
    (1, 0x0C, "memory_reset", "control"),
    (1, 0x0D, "disable_job", "diagnostic"),
    (1, 0x0E, "enable_job", "diagnostic"),
    (1, 0x0F, "delete_job", "diagnostic"),
    (1, 0x10, "read_job_list", "diagnostic"),
    (1, 0x11, "read_job", "diagnostic"),
    (1, 0x12, "replace_job", "diagnostic"),
    (1, 0x13, "block_status_v2", "diagnostic"),
    (1, 0x16, "flash_led", "other"),
    # group 2: cyclic data
    (2, 0x01, "cyclic_transfer", "read"),
    (2, 0x04, "unsubscribe", "read"),
    (2, 0x05, "change_driven_transfer", "read"),
    (2, 0x07, "change_driven_transfer_modify", "read"),
    (2, 0x08, "read_record", "read"),
    # group 3: block functions
    (3, 0x01, "list_blocks", "read"),
    (3, 0x02, "list_blocks_of_type", "read"),
    (3, 0x03, "get_block_info", "read"),
    # group 4: CPU functions
    (4, 0x01, "read_szl", "read"),
    (4, 0x02, "message_service", "diagnostic"),
    (4, 0x03, "diagnostic_message", "diagnostic"),
    (4, 0x05, "alarm8_indication", "diagnostic"),
    (4, 0x06, "notify_indication", "diagnostic"),
    (4, 0x07, "alarm8_lock", "control"),
    (4, 0x08, "alarm8_unlock", "control"),
    (4, 0x09, "scan_indication", "diagnostic"),
    (4, 0x0B, "alarm_ack", "control"),
    (4, 0x0C, "alarm_ack_indication", "diagnostic"),
    (4, 0x0D, "alarm_lock_indication", "diagnostic"),
    (4, 0x0E, "alarm_unlock_indication", "diagnostic"),
    (4, 0x10, "ar_send_indication", "diagnostic"),
    (4, 0x11, "alarm_sq_indication", "diagnostic"),
    (4, 0x12, "alarm_s_indication", "diagnostic"),
    (4, 0x13, "alarm_query", "read"),
    (4, 0x16, "notify8_indication", "diagnostic"),
    # group 5: security
    (5, 0x01, "set_password", "control"),
    (5, 0x02, "clear_password", "control"),
    # group 7: time functions
    (7, 0x01, "read_clock", "read"),
    (7, 0x02, "set_clock", "write"),
    (7, 0x03, "read_clock_following", "read"),
    (7, 0x04, "set_clock", "write"),
    # group 15: NC programming (Sinumerik file transfer)
    (15, 0x01, "nc_request_download", "program"),
    (15, 0x02, "nc_download_block", "program"),
    (15, 0x03, "nc_continue_download", "program"),
    (15, 0x04, "nc_download_ended", "program"),
    (15, 0x06, "nc_start_upload", "program"),
    (15, 0x07, "nc_upload", "program"),
    (15, 0x08, "nc_continue_upload", "program"),
)
"""(function group, subfunction, operation, category), after Wireshark's tables.

Judgement calls: set/clear password change the protection level of the
connection (``control``); memory reset erases the user program but is a mode
command (``control``); listing blocks reads program metadata (``read``)."""

SUBFUNCTION_NAMES: Mapping[int, str] = MappingProxyType(
    {(group << 8) | sub: name for group, sub, name, _ in _SUBFUNCTIONS}
)
"""``function group << 8 | subfunction`` -> operation name."""

SUBFUNCTION_CATEGORIES: Mapping[int, str] = MappingProxyType(
    {(group << 8) | sub: category for group, sub, _, category in _SUBFUNCTIONS}
)

GROUP_CATEGORIES: Mapping[int, str] = MappingProxyType(
    {
        FunctionGroup.MODE_TRANSITION: "diagnostic",
        FunctionGroup.PROGRAMMER_COMMANDS: "diagnostic",
        FunctionGroup.CYCLIC_DATA: "read",
        FunctionGroup.BLOCK_FUNCTIONS: "read",
        FunctionGroup.CPU_FUNCTIONS: "diagnostic",
        FunctionGroup.SECURITY: "control",
        FunctionGroup.PBC: "other",
        FunctionGroup.TIME_FUNCTIONS: "read",
        FunctionGroup.NC_PROGRAMMING: "program",
    }
)
"""Category of an unnamed subfunction of a known group."""

# --- SZL (system status list) -------------------------------------------------------------

SZL_MODULE_IDENTIFICATION = 0x0011
SZL_COMPONENT_IDENTIFICATION = 0x001C

IDENTIFY_SZL_IDS = frozenset((0x0011, 0x0111, 0x001C, 0x011C))
"""SZL ids whose read is an identification (module and component identity)."""

SZL_0011_INDEX_NAMES: Mapping[int, str] = MappingProxyType(
    {
        0x0001: "module",
        0x0006: "basic_hardware",
        0x0007: "basic_firmware",
        0x0081: "firmware_extension",
    }
)

SZL_001C_INDEX_NAMES: Mapping[int, str] = MappingProxyType(
    {
        0x0001: "plc_name",
        0x0002: "module_name",
        0x0003: "plant_designation",
        0x0004: "copyright",
        0x0005: "serial_number",
        0x0007: "module_type_name",
        0x0008: "memory_card_serial",
        0x0009: "manufacturer_and_profile",
        0x000A: "oem_copyright",
        0x000B: "location_designation",
    }
)
"""Index of a 0x001C record -> what its 32 bytes identify (Wireshark field names:
``s7comm.szl.001c.0001.name`` ... ``s7comm.szl.001c.000b.loc_id``)."""

# --- S7comm-plus -------------------------------------------------------------------------


class S7PlusOpcode(IntEnum):
    """First byte of an S7comm-plus data part (s7commwireshark plugin)."""

    REQUEST = 0x31
    RESPONSE = 0x32
    NOTIFICATION = 0x33
    RESPONSE2 = 0x02


S7PLUS_FUNCTIONS: tuple[tuple[int, str, str], ...] = (
    (0x04B1, "error", "other"),
    (0x04BB, "explore", "read"),
    (0x04CA, "create_object", "session"),
    (0x04D4, "delete_object", "session"),
    (0x04F2, "set_variable", "write"),
    (0x04FC, "get_variable", "read"),
    (0x0506, "add_link", "write"),
    (0x051A, "remove_link", "write"),
    (0x0524, "get_link", "read"),
    (0x0542, "set_multi_variables", "write"),
    (0x054C, "get_multi_variables", "read"),
    (0x0556, "begin_sequence", "session"),
    (0x0560, "end_sequence", "session"),
    (0x056B, "invoke", "control"),
    (0x057C, "set_var_substreamed", "write"),
    (0x0586, "get_var_substreamed", "read"),
    (0x0590, "get_variables_address", "read"),
    (0x059A, "abort", "session"),
)
"""(function code, operation, category) of S7comm-plus requests.

CreateObject/DeleteObject open and close the session object (``session``);
program download also uses CreateObject on other objects, which the function
code alone cannot tell apart: ``plus.program_request`` reads the body."""

S7PLUS_FUNCTION_NAMES: Mapping[int, str] = MappingProxyType(
    {code: name for code, name, _ in S7PLUS_FUNCTIONS}
)
S7PLUS_FUNCTION_CATEGORIES: Mapping[int, str] = MappingProxyType(
    {code: category for code, _, category in S7PLUS_FUNCTIONS}
)

S7PLUS_VERSIONS = frozenset((0x01, 0x02, 0x03, 0xFE, 0xFF))
"""S7comm-plus header byte 1: protocol versions 1-3 and the keep-alive codes."""

S7PLUS_DIGEST_LENGTH = 32
"""Version 3 PDUs carry ``digest length u8 (0x20) | 32-byte integrity digest``."""

# --- naming -------------------------------------------------------------------------------


def function_name(function: int) -> str:
    """Operation of a job/ack_data function code; unknown codes are ``function_0x5a``."""
    return FUNCTION_NAMES.get(function) or f"function_0x{function:02x}"


def function_category(function: int) -> str:
    """Category of a job/ack_data function code (``other`` when unknown)."""
    return FUNCTION_CATEGORIES.get(function, "other")


def userdata_name(group: int, subfunction: int) -> str:
    """Operation of a userdata subfunction: ``read_szl``, ``set_clock`` ...

    Unknown pairs get ``userdata_<group name>_0x<sub>`` (``userdata_group_0x9_0x01``
    for an unknown group).
    """
    name = SUBFUNCTION_NAMES.get((group << 8) | subfunction)
    if name is not None:
        return name
    group_name = FUNCTION_GROUP_NAMES.get(group) or f"group_0x{group:x}"
    return f"userdata_{group_name}_0x{subfunction:02x}"


def userdata_category(group: int, subfunction: int, szl_id: int | None = None) -> str:
    """Category of a userdata subfunction; a read SZL is ``identify`` for the
    identity lists (``IDENTIFY_SZL_IDS``), ``read`` otherwise."""
    if group == FunctionGroup.CPU_FUNCTIONS and subfunction == 0x01:
        return "identify" if szl_id in IDENTIFY_SZL_IDS else "read"
    category = SUBFUNCTION_CATEGORIES.get((group << 8) | subfunction)
    if category is not None:
        return category
    return GROUP_CATEGORIES.get(group, "other")


def pi_service_name(service: str, argument: str = "") -> str:
    """Operation of a PI service: ``plc_cold_restart``, ``insert_block``, ``nc_select`` ...

    ``P_PROGRAM`` is refined by its argument (``P_PROGRAM_ARGUMENTS``); NC
    services ``_N_XXX`` become ``nc_xxx``; other names ``pi_service_<name>``
    with characters outside ``[a-z0-9_]`` dropped.
    """
    if service == "P_PROGRAM":
        return P_PROGRAM_ARGUMENTS.get(argument.strip().upper(), "plc_start")
    known = PI_SERVICE_NAMES.get(service)
    if known is not None:
        return known
    if service.startswith("_N_"):
        return "nc_" + _snake(service[3:])
    return "pi_service_" + (_snake(service) or "unnamed")


def pi_service_category(operation: str) -> str:
    """Category of a PI operation name from ``pi_service_name``.

    NC file services (``nc_f_*``) are ``program``; other NC and unknown PI
    services are ``control``: a PI service always starts something.
    """
    known = PI_SERVICE_CATEGORIES.get(operation)
    if known is not None:
        return known
    if operation.startswith("nc_f_"):
        return "program"
    return "control"


def s7plus_function_name(function_code: int) -> str:
    """Operation of an S7comm-plus function code; unknown ones ``s7plus_function_0x04b2``."""
    return S7PLUS_FUNCTION_NAMES.get(function_code) or f"s7plus_function_0x{function_code:04x}"


def s7plus_function_category(function_code: int) -> str:
    return S7PLUS_FUNCTION_CATEGORIES.get(function_code, "other")


def operation_name(rosctr: int, code: int, subfunction: int | None = None) -> str:
    """Operation from the codes ``codec.peek`` returns.

    ``code`` is the function (ROSCTR 1-3) or the function group (ROSCTR 7,
    with ``subfunction``).  PI services and PLC stop are named more precisely
    by ``codec.pdu_operation`` from the decoded service name.
    """
    if rosctr == Rosctr.USERDATA and subfunction is not None:
        return userdata_name(code, subfunction)
    return function_name(code)


def operation_category(rosctr: int, code: int, subfunction: int | None = None) -> str:
    """Category matching ``operation_name``."""
    if rosctr == Rosctr.USERDATA and subfunction is not None:
        return userdata_category(code, subfunction)
    return function_category(code)


def _snake(text: str) -> str:
    out = []
    for char in text.lower():
        if char.isascii() and (char.isalnum() or char == "_"):
            out.append(char)
    return "".join(out).strip("_")
