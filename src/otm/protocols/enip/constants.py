"""EtherNet/IP encapsulation and CIP codes, with operation names and categories.

Facts from the ODVA CIP specification (Vol. 1 "Common Industrial Protocol",
Vol. 2 "EtherNet/IP Adaptation of CIP", chapter 2 "Encapsulation Protocol")
as documented publicly, and from Wireshark's display names.  All integers on
the wire are little-endian except the socket address inside ListIdentity.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from otm.protocols.common import (
    CONTROL,
    IDENTIFY,
    OTHER,
    READ,
    SESSION,
    WRITE,
)

HEADER_LENGTH = 24
"""Encapsulation header: command u16 | length u16 | session u32 | status u32 |
sender context 8 | options u32."""

MAX_DATA_LENGTH = 65511
"""Largest encapsulation data length (Vol. 2, 2-3.1: 65535 - 24)."""

TCP_PORT = 44818
UDP_PORT = 44818
IO_UDP_PORT = 2222


# -- encapsulation commands ---------------------------------------------------------

NOP = 0x0000
LIST_SERVICES = 0x0004
LIST_IDENTITY = 0x0063
LIST_INTERFACES = 0x0064
REGISTER_SESSION = 0x0065
UNREGISTER_SESSION = 0x0066
SEND_RR_DATA = 0x006F
SEND_UNIT_DATA = 0x0070
INDICATE_STATUS = 0x0072
CANCEL = 0x0073
START_DTLS = 0x00C8

COMMAND_NAMES: Mapping[int, str] = MappingProxyType(
    {
        NOP: "nop",
        LIST_SERVICES: "list_services",
        LIST_IDENTITY: "list_identity",
        LIST_INTERFACES: "list_interfaces",
        REGISTER_SESSION: "register_session",
        UNREGISTER_SESSION: "unregister_session",
        SEND_RR_DATA: "send_rr_data",
        SEND_UNIT_DATA: "send_unit_data",
        INDICATE_STATUS: "indicate_status",
        CANCEL: "cancel",
        START_DTLS: "start_dtls",
    }
)
"""Encapsulation command -> snake_case name (Vol. 2, 2-3.2; StartDTLS from CIP Security).

0x0001 is deliberately absent: Vol. 2 reserves 0x0001-0x0003 and 0x0005 "for
legacy use" without naming them, and Wireshark shows 0x0001 as "Unknown".
Old Rockwell software (RSLinx) still sends it (see EIP-IPAddressChangeAttempt.pcap:
an empty request, answered by a CPF item of type 0x0001 with a socket address
and the device's IP as text), so it is framed but named ``command_0x0001``.
"""

LEGACY_COMMANDS: frozenset[int] = frozenset(
    (0x0001, 0x0002, 0x0003, 0x0005, *range(0x0067, 0x006F), 0x0071)
)
"""Codes Vol. 2 reserves for legacy use: unnamed."""

FRAMED_COMMANDS: frozenset[int] = frozenset(COMMAND_NAMES) | {0x0001}
"""Commands the framer accepts at the start of a message (see ``framing``):
the named ones and 0x0001, the one legacy code seen in real traffic.  Other
legacy codes stay refused: 0x0003 would take an S7 TPKT header
(``03 00 ...``) on port 44818 for a message."""

COMMAND_CATEGORIES: Mapping[int, str] = MappingProxyType(
    {
        LIST_SERVICES: IDENTIFY,
        LIST_IDENTITY: IDENTIFY,
        LIST_INTERFACES: IDENTIFY,
        REGISTER_SESSION: SESSION,
        UNREGISTER_SESSION: SESSION,
        START_DTLS: SESSION,
        SEND_RR_DATA: OTHER,
        SEND_UNIT_DATA: OTHER,
    }
)

STATUS_NAMES: Mapping[int, str] = MappingProxyType(
    {
        0x0000: "success",
        0x0001: "invalid_command",
        0x0002: "insufficient_memory",
        0x0003: "incorrect_data",
        0x0064: "invalid_session_handle",
        0x0065: "invalid_length",
        0x0069: "unsupported_protocol_revision",
        0x006A: "encapsulation_header_error",
    }
)
"""Encapsulation status -> name (Vol. 2, 2-3.3)."""

# -- common packet format items -----------------------------------------------------

ITEM_NULL_ADDRESS = 0x0000
ITEM_LIST_IDENTITY = 0x000C
ITEM_CIP_SECURITY = 0x0086
ITEM_ENIP_CAPABILITY = 0x0087
ITEM_ENIP_USAGE = 0x0088
ITEM_CONNECTED_ADDRESS = 0x00A1
ITEM_CONNECTED_DATA = 0x00B1
ITEM_UNCONNECTED_DATA = 0x00B2
ITEM_LIST_SERVICES = 0x0100
ITEM_SOCKADDR_O_T = 0x8000
ITEM_SOCKADDR_T_O = 0x8001
ITEM_SEQUENCED_ADDRESS = 0x8002
ITEM_UNCONNECTED_DTLS = 0x8003

ITEM_NAMES: Mapping[int, str] = MappingProxyType(
    {
        ITEM_NULL_ADDRESS: "null_address",
        ITEM_LIST_IDENTITY: "cip_identity",
        ITEM_CIP_SECURITY: "cip_security",
        ITEM_ENIP_CAPABILITY: "enip_capability",
        ITEM_ENIP_USAGE: "enip_usage",
        ITEM_CONNECTED_ADDRESS: "connected_address",
        ITEM_CONNECTED_DATA: "connected_data",
        ITEM_UNCONNECTED_DATA: "unconnected_data",
        ITEM_LIST_SERVICES: "list_services_response",
        ITEM_SOCKADDR_O_T: "sockaddr_info_o_t",
        ITEM_SOCKADDR_T_O: "sockaddr_info_t_o",
        ITEM_SEQUENCED_ADDRESS: "sequenced_address",
        ITEM_UNCONNECTED_DTLS: "unconnected_message_dtls",
    }
)
"""Common Packet Format item type id -> name (Vol. 2, 2-6)."""

MAX_ITEMS = 64
"""CPF items per message; real messages carry 2 to 4 (a ListIdentity reply on
UDP one), so 64 only bounds garbage."""

CAPABILITY_TCP = 0x0020
"""ListServices capability flag: CIP encapsulation over TCP."""
CAPABILITY_UDP_IO = 0x0100
"""ListServices capability flag: CIP class 0/1 connections over UDP."""

# -- CIP -----------------------------------------------------------------------------

CLASS_IDENTITY = 0x01
CLASS_MESSAGE_ROUTER = 0x02
CLASS_ASSEMBLY = 0x04
CLASS_CONNECTION_MANAGER = 0x06
CLASS_PCCC = 0x67
CLASS_SYMBOL = 0x6B
CLASS_TEMPLATE = 0x6C
CLASS_PORT = 0xF4
CLASS_TCPIP = 0xF5
CLASS_ETHERNET_LINK = 0xF6

SERVICE_GET_ATTRIBUTES_ALL = 0x01
SERVICE_GET_ATTRIBUTE_LIST = 0x03
SERVICE_SET_ATTRIBUTE_LIST = 0x04
SERVICE_MULTIPLE = 0x0A
SERVICE_GET_ATTRIBUTE_SINGLE = 0x0E
SERVICE_FORWARD_CLOSE = 0x4E
SERVICE_UNCONNECTED_SEND = 0x52
SERVICE_FORWARD_OPEN = 0x54
SERVICE_LARGE_FORWARD_OPEN = 0x5B
REPLY_FLAG = 0x80

MAX_DEPTH = 4
"""Nesting of Unconnected Send / Multiple Service Packet decoded.  A route
through a backplane uses one level, a Multiple Service Packet inside it two;
deeper nesting is legal but unseen, so 4 only stops recursion on garbage."""

MAX_SERVICES = 1024
"""Services in one Multiple Service Packet.  Each takes at least 4 bytes (a
2-byte offset and a 2-byte request), so the largest connected message (4002
bytes with a Large Forward Open) holds at most 1000; real packets carry a few
dozen.  Beyond 1024 the packet is garbage, not worth the work."""

_COMMON_SERVICES: tuple[tuple[int, str, str], ...] = (
    (0x01, "get_attributes_all", READ),
    (0x02, "set_attributes_all", WRITE),
    (0x03, "get_attribute_list", READ),
    (0x04, "set_attribute_list", WRITE),
    (0x05, "reset", CONTROL),
    (0x06, "start", CONTROL),
    (0x07, "stop", CONTROL),
    (0x08, "create", WRITE),
    (0x09, "delete", WRITE),
    (0x0A, "multiple_service_packet", OTHER),
    (0x0D, "apply_attributes", WRITE),
    (0x0E, "get_attribute_single", READ),
    (0x10, "set_attribute_single", WRITE),
    (0x11, "find_next_object_instance", READ),
    (0x14, "error_response", OTHER),
    (0x15, "restore", WRITE),
    (0x16, "save", WRITE),
    (0x17, "nop", OTHER),
    (0x18, "get_member", READ),
    (0x19, "set_member", WRITE),
    (0x1A, "insert_member", WRITE),
    (0x1B, "remove_member", WRITE),
    (0x1C, "group_sync", OTHER),
)
SERVICE_NAMES: Mapping[int, str] = MappingProxyType({c: n for c, n, _ in _COMMON_SERVICES})
"""Common CIP services (Vol. 1, Appendix A), the same for every object class."""
SERVICE_CATEGORIES: Mapping[int, str] = MappingProxyType({c: k for c, _, k in _COMMON_SERVICES})

CONNECTION_MANAGER_SERVICES: Mapping[int, tuple[str, str]] = MappingProxyType(
    {
        0x4E: ("forward_close", SESSION),
        0x52: ("unconnected_send", OTHER),
        0x54: ("forward_open", SESSION),
        0x56: ("get_connection_data", READ),
        0x57: ("search_connection_data", READ),
        0x5A: ("get_connection_owner", READ),
        0x5B: ("large_forward_open", SESSION),
    }
)
"""Object-specific services of the Connection Manager (class 0x06, Vol. 1, 3-5.5)."""

LOGIX_SERVICES: Mapping[int, tuple[str, str]] = MappingProxyType(
    {
        0x4C: ("read_tag", READ),
        0x4D: ("write_tag", WRITE),
        0x4E: ("read_modify_write_tag", WRITE),
        0x52: ("read_tag_fragmented", READ),
        0x53: ("write_tag_fragmented", WRITE),
        0x55: ("get_instance_attribute_list", READ),
    }
)
"""Rockwell Logix services on tags: symbolic paths or the Symbol/Template
classes 0x6B/0x6C (Rockwell publication 1756-PM020, "Logix Data Access")."""

PCCC_SERVICES: Mapping[int, tuple[str, str]] = MappingProxyType({0x4B: ("execute_pccc", OTHER)})
"""The PCCC object (class 0x67): a legacy PLC-5/SLC command tunnelled in CIP."""

GENERAL_STATUS_NAMES: Mapping[int, str] = MappingProxyType(
    {
        0x00: "success",
        0x01: "connection_failure",
        0x02: "resource_unavailable",
        0x03: "invalid_parameter_value",
        0x04: "path_segment_error",
        0x05: "path_destination_unknown",
        0x06: "partial_transfer",
        0x07: "connection_lost",
        0x08: "service_not_supported",
        0x09: "invalid_attribute_value",
        0x0A: "attribute_list_error",
        0x0B: "already_in_requested_mode",
        0x0C: "object_state_conflict",
        0x0D: "object_already_exists",
        0x0E: "attribute_not_settable",
        0x0F: "privilege_violation",
        0x10: "device_state_conflict",
        0x11: "reply_data_too_large",
        0x12: "fragmentation_of_a_primitive_value",
        0x13: "not_enough_data",
        0x14: "attribute_not_supported",
        0x15: "too_much_data",
        0x16: "object_does_not_exist",
        0x17: "service_fragmentation_sequence_not_in_progress",
        0x18: "no_stored_attribute_data",
        0x19: "store_operation_failure",
        0x1A: "routing_failure_request_too_large",
        0x1B: "routing_failure_response_too_large",
        0x1C: "missing_attribute_list_entry_data",
        0x1D: "invalid_attribute_value_list",
        0x1E: "embedded_service_error",
        0x1F: "vendor_specific_error",
        0x20: "invalid_parameter",
        0x21: "write_once_value_already_written",
        0x22: "invalid_reply_received",
        0x25: "key_failure_in_path",
        0x26: "path_size_invalid",
        0x27: "unexpected_attribute_in_list",
        0x28: "invalid_member_id",
        0x29: "member_not_settable",
        0x2A: "group_2_only_server_general_failure",
        0x2B: "unknown_modbus_error",
        0x2C: "attribute_not_gettable",
    }
)
"""CIP general status -> name (Vol. 1, Appendix B)."""

DEVICE_TYPE_NAMES: Mapping[int, str] = MappingProxyType(
    {
        0x00: "generic_device",
        0x02: "ac_drive",
        0x03: "motor_overload",
        0x04: "limit_switch",
        0x05: "inductive_proximity_switch",
        0x06: "photoelectric_sensor",
        0x07: "general_purpose_discrete_io",
        0x09: "resolver",
        0x0A: "general_purpose_analog_io",
        0x0C: "communications_adapter",
        0x0E: "programmable_logic_controller",
        0x10: "position_controller",
        0x13: "dc_drive",
        0x15: "contactor",
        0x16: "motor_starter",
        0x17: "soft_start",
        0x18: "human_machine_interface",
        0x1A: "mass_flow_controller",
        0x1B: "pneumatic_valve",
        0x1C: "vacuum_pressure_gauge",
        0x1D: "process_control_value",
        0x1E: "residual_gas_analyzer",
        0x1F: "dc_power_generator",
        0x20: "rf_power_generator",
        0x21: "turbomolecular_vacuum_pump",
        0x22: "encoder",
        0x23: "safety_discrete_io_device",
        0x24: "fluid_flow_controller",
        0x25: "cip_motion_drive",
        0x26: "componet_repeater",
        0x27: "mass_flow_controller_enhanced",
        0x28: "cip_modbus_device",
        0x29: "cip_modbus_translator",
        0x2A: "safety_analog_io_device",
        0x2B: "generic_device_keyable",
        0x2C: "managed_switch",
        0x2D: "cip_motion_safety_drive",
        0x2E: "safety_drive",
        0x2F: "cip_motion_encoder",
        0x30: "cip_motion_converter",
        0x31: "cip_motion_io",
        0x32: "controlnet_physical_layer_component",
        0x33: "circuit_breaker",
        0x34: "hart_device",
        0x35: "cip_hart_translator",
        0xC8: "embedded_component",
    }
)
"""CIP Identity object device types (Vol. 1, chapter 6, device profiles)."""


def command_name(command: int) -> str:
    """The snake_case name of an encapsulation command, ``command_0x....`` if unnamed."""
    return COMMAND_NAMES.get(command, f"command_0x{command:04x}")


def command_category(command: int) -> str:
    """The policy category of an encapsulation command."""
    return COMMAND_CATEGORIES.get(command, OTHER)


def status_name(status: int) -> str:
    """Name of an encapsulation status, ``status_0x........`` if unknown."""
    return STATUS_NAMES.get(status, f"status_0x{status:08x}")


def item_name(type_id: int) -> str:
    """Name of a Common Packet Format item type, ``item_0x....`` if unknown."""
    return ITEM_NAMES.get(type_id, f"item_0x{type_id:04x}")


def _specific(service: int, class_id: int | None, has_symbol: bool) -> tuple[str, str] | None:
    """(name, category) of an object-specific service (0x32 and up), if known.

    The meaning of these codes depends on the object addressed: 0x4E is
    Forward Close on the Connection Manager but Read Modify Write Tag on a
    Logix tag, 0x52 Unconnected Send or Read Tag Fragmented.
    """
    if class_id == CLASS_CONNECTION_MANAGER:
        return CONNECTION_MANAGER_SERVICES.get(service)
    if class_id == CLASS_PCCC:
        return PCCC_SERVICES.get(service)
    if has_symbol or class_id in (CLASS_SYMBOL, CLASS_TEMPLATE):
        return LOGIX_SERVICES.get(service)
    return None


def service_name(service: int, class_id: int | None = None, has_symbol: bool = False) -> str:
    """The snake_case name of a CIP service (the reply flag is ignored).

    ``class_id`` is the first class of the request path, ``has_symbol`` says
    whether the path names a tag (ANSI symbol segment).  Unknown services get
    ``service_0x4c_class_0x72`` (or ``service_0x4c`` without a class).
    """
    service &= 0x7F
    if service in SERVICE_NAMES:
        return SERVICE_NAMES[service]
    specific = _specific(service, class_id, has_symbol)
    if specific is not None:
        return specific[0]
    if class_id is not None:
        return f"service_0x{service:02x}_class_0x{class_id:02x}"
    return f"service_0x{service:02x}"


def service_category(service: int, class_id: int | None = None, has_symbol: bool = False) -> str:
    """The policy category of a CIP service (read, write, control, session ...).

    A read of the Identity object (class 1) is ``identify``; reset, start and
    stop are ``control`` (a reset of the Identity object reboots the device);
    set/write services are ``write``; Forward Open/Close are ``session``.
    """
    service &= 0x7F
    if service in SERVICE_CATEGORIES:
        category = SERVICE_CATEGORIES[service]
        if class_id == CLASS_IDENTITY and category == READ:
            return IDENTIFY
        return category
    specific = _specific(service, class_id, has_symbol)
    if specific is not None:
        return specific[1]
    return OTHER


def general_status_name(status: int) -> str:
    """Name of a CIP general status, ``status_0x..`` if unknown."""
    return GENERAL_STATUS_NAMES.get(status, f"status_0x{status:02x}")


def device_type_name(device_type: int) -> str:
    """Name of a CIP device type, ``device_type_0x..`` if unknown."""
    return DEVICE_TYPE_NAMES.get(device_type, f"device_type_0x{device_type:02x}")
