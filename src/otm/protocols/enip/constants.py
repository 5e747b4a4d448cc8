"""EtherNet/IP encapsulation and CIP codes, with operation names and categories.

Facts from the ODVA CIP specification (Vol. 1 "Common Industrial Protocol",
Vol. 2 "EtherNet/IP Adaptation of CIP", chapter 2 "Encapsulation Protocol")
as documented publicly, and from Wireshark's display names.  All integers on
the wire are little-endian except the socket address inside ListIdentity.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

HEADER_LENGTH = 24
"""Encapsulation header: command u16 | length u16 | session u32 | status u32 |
sender context 8 | options u32."""

MAX_DATA_LENGTH = 65511
"""Largest encapsulation data length (Vol. 2, 2-3.1: 65535 - 24)."""

TCP_PORT = 44818
UDP_PORT = 44818
IO_UDP_PORT = 2222

READ = "read"
WRITE = "write"
CONTROL = "control"
PROGRAM = "program"
DIAGNOSTIC = "diagnostic"
IDENTIFY = "identify"
SESSION = "session"
OTHER = "other"

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

COMMAND_NAMES: Mapping[int, str] = MappingProxyType(
    {
        NOP: "nop",
        0x0001: "legacy_0x0001",  # reserved for legacy use (seen from old RSLinx)
        0x0002: "legacy_0x0002",
        0x0003: "legacy_0x0003",
        LIST_SERVICES: "list_services",
        0x0005: "legacy_0x0005",
        LIST_IDENTITY: "list_identity",
        LIST_INTERFACES: "list_interfaces",
        REGISTER_SESSION: "register_session",
        UNREGISTER_SESSION: "unregister_session",
        SEND_RR_DATA: "send_rr_data",
        SEND_UNIT_DATA: "send_unit_data",
        INDICATE_STATUS: "indicate_status",
        CANCEL: "cancel",
    }
)
"""Encapsulation command -> snake_case name."""

COMMAND_CATEGORIES: Mapping[int, str] = MappingProxyType(
    {
        LIST_SERVICES: IDENTIFY,
        LIST_IDENTITY: IDENTIFY,
        LIST_INTERFACES: IDENTIFY,
        REGISTER_SESSION: SESSION,
        UNREGISTER_SESSION: SESSION,
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
    }
)
"""Encapsulation status -> name."""

# -- common packet format items -----------------------------------------------------

ITEM_NULL_ADDRESS = 0x0000
ITEM_LIST_IDENTITY = 0x000C
ITEM_CONNECTED_ADDRESS = 0x00A1
ITEM_CONNECTED_DATA = 0x00B1
ITEM_UNCONNECTED_DATA = 0x00B2
ITEM_LIST_SERVICES = 0x0100
ITEM_SOCKADDR_O_T = 0x8000
ITEM_SOCKADDR_T_O = 0x8001
ITEM_SEQUENCED_ADDRESS = 0x8002

MAX_ITEMS = 64
"""CPF items per message; real messages carry 2 to 4, so 64 only bounds garbage."""

# -- CIP -----------------------------------------------------------------------------

CLASS_IDENTITY = 0x01
CLASS_MESSAGE_ROUTER = 0x02
CLASS_CONNECTION_MANAGER = 0x06
CLASS_PCCC = 0x67
CLASS_SYMBOL = 0x6B
CLASS_TEMPLATE = 0x6C

SERVICE_MULTIPLE = 0x0A
SERVICE_UNCONNECTED_SEND = 0x52
SERVICE_FORWARD_OPEN = 0x54
SERVICE_LARGE_FORWARD_OPEN = 0x5B
SERVICE_FORWARD_CLOSE = 0x4E
REPLY_FLAG = 0x80

MAX_DEPTH = 4
"""Nesting of Unconnected Send / Multiple Service Packet decoded; real routes use 1-2."""

MAX_SERVICES = 256
"""Services in one Multiple Service Packet (a 504-byte message holds far fewer)."""

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
"""Common CIP services (0x01-0x1C), the same for every object class."""
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
"""Object-specific services of the Connection Manager (class 0x06)."""

LOGIX_SERVICES: Mapping[int, tuple[str, str]] = MappingProxyType(
    {
        0x4B: ("execute_pccc", OTHER),
        0x4C: ("read_tag", READ),
        0x4D: ("write_tag", WRITE),
        0x4E: ("read_modify_write_tag", WRITE),
        0x4F: ("read_tag_list", READ),
        0x52: ("read_tag_fragmented", READ),
        0x53: ("write_tag_fragmented", WRITE),
        0x55: ("get_instance_attribute_list", READ),
    }
)
"""Rockwell Logix services on symbols (symbolic paths, classes 0x6B/0x6C) and PCCC."""

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
        0x00: "generic_device_deprecated",
        0x02: "ac_drive",
        0x03: "motor_overload",
        0x04: "limit_switch",
        0x05: "inductive_proximity_switch",
        0x06: "photoelectric_sensor",
        0x07: "general_purpose_discrete_io",
        0x09: "resolver",
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
        0x26: "compoNet_repeater",
        0x27: "mass_flow_controller_enhanced",
        0x28: "cip_modbus_device",
        0x29: "cip_modbus_translator",
        0x2A: "safety_analog_io_device",
        0x2B: "generic_device_keyable",
        0x2C: "managed_switch",
        0x32: "controlnet_physical_layer_component",
    }
)
"""CIP Identity object device types (Vol. 1, chapter 6)."""


def command_name(command: int) -> str:
    """The snake_case name of an encapsulation command, ``command_0x....`` if unknown."""
    return COMMAND_NAMES.get(command, f"command_0x{command:04x}")


def command_category(command: int) -> str:
    """The policy category of an encapsulation command."""
    return COMMAND_CATEGORIES.get(command, OTHER)


def service_name(service: int, class_id: int | None = None, symbolic: bool = False) -> str:
    """The snake_case name of a CIP request service (without the reply flag).

    Services from 0x4B up are object-specific: their meaning depends on the
    class the request addresses (or on a symbolic path, for Logix tags).
    """
    service &= 0x7F
    if service in SERVICE_NAMES:
        return SERVICE_NAMES[service]
    if class_id == CLASS_CONNECTION_MANAGER and service in CONNECTION_MANAGER_SERVICES:
        return CONNECTION_MANAGER_SERVICES[service][0]
    if (symbolic or class_id in (CLASS_SYMBOL, CLASS_TEMPLATE, CLASS_PCCC)) and (
        service in LOGIX_SERVICES
    ):
        return LOGIX_SERVICES[service][0]
    if class_id is not None:
        return f"service_0x{service:02x}_class_0x{class_id:02x}"
    return f"service_0x{service:02x}"


def service_category(service: int, class_id: int | None = None, symbolic: bool = False) -> str:
    """The policy category of a CIP request service.

    A read of the Identity object is ``identify``; reset/start/stop are
    ``control``; set/write services ``write``.
    """
    service &= 0x7F
    if service in SERVICE_CATEGORIES:
        category = SERVICE_CATEGORIES[service]
        if class_id == CLASS_IDENTITY and category == READ:
            return IDENTIFY
        return category
    if class_id == CLASS_CONNECTION_MANAGER and service in CONNECTION_MANAGER_SERVICES:
        return CONNECTION_MANAGER_SERVICES[service][1]
    if (symbolic or class_id in (CLASS_SYMBOL, CLASS_TEMPLATE, CLASS_PCCC)) and (
        service in LOGIX_SERVICES
    ):
        return LOGIX_SERVICES[service][1]
    return OTHER


def general_status_name(status: int) -> str:
    """Name of a CIP general status, ``status_0x..`` if unknown."""
    return GENERAL_STATUS_NAMES.get(status, f"status_0x{status:02x}")


def device_type_name(device_type: int) -> str:
    """Name of a CIP device type, ``device_type_0x..`` if unknown."""
    return DEVICE_TYPE_NAMES.get(device_type, f"device_type_0x{device_type:02x}")
