"""PROFINET codes: frame ids, DCP services, options and suboptions, their names.

Sources: IEC 61158-6-10 (PROFINET IO application layer protocol), section 4.2
(FrameID ranges of the real-time layer, the APDU status trailer) and 4.3
(DCP: service ids and types, options, suboptions, BlockInfo, BlockQualifier,
BlockError); the PROFINET IO specification 2.4 of PI for the device role
bits and the factory reset qualifiers.  Names and values were checked
against Wireshark's PN-RT and PN-DCP dissectors (tshark 4.0).

Everything the sensing hot path needs is a plain dict or tuple built once at
import: naming a frame id or a DCP block costs a lookup, never a string build.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from types import MappingProxyType

from otm.protocols.common import CONTROL, IDENTIFY, OTHER, READ, WRITE

ETHERTYPE_PROFINET = 0x8892
"""EtherType of PROFINET real-time frames (RT, RTA, DCP, PTCP, alarms)."""

DCP_MULTICAST_IDENTIFY = "01:0e:cf:00:00:00"
"""Destination of multicast Identify requests (IEC 61158-6-10, 4.3.1.3)."""

DCP_MULTICAST_HELLO = "01:0e:cf:00:00:01"
"""Destination of Hello requests."""

DCP_HEADER_LENGTH = 10
"""ServiceID u8, ServiceType u8, Xid u32, ResponseDelay/reserved u16, DCPDataLength u16."""

RT_TRAILER_LENGTH = 4
"""APDU status of a cyclic frame: CycleCounter u16, DataStatus u8, TransferStatus u8."""

MAX_NAME_LENGTH = 240
"""NameOfStationValue is an OctetString of 1 to 240 octets (4.3.1.4.15)."""


class FrameId(IntEnum):
    """The fixed frame ids of acyclic PROFINET traffic (4.2.2.2)."""

    ALARM_HIGH = 0xFC01
    ALARM_LOW = 0xFE01
    RSI = 0xFE02
    DCP_HELLO = 0xFEFC
    DCP_GET_SET = 0xFEFD
    DCP_IDENTIFY_REQUEST = 0xFEFE
    DCP_IDENTIFY_RESPONSE = 0xFEFF


DCP_FRAME_IDS = frozenset(range(FrameId.DCP_HELLO, FrameId.DCP_IDENTIFY_RESPONSE + 1))
"""0xFEFC-0xFEFF: the frame ids that carry a DCP PDU."""

_FRAME_RANGES: tuple[tuple[int, str, bool], ...] = (
    # (first frame id, class name, cyclic: ends with the 4-byte APDU status)
    (0x0000, "reserved", False),
    (0x0020, "ptcp_sync_with_follow_up", False),
    (0x0022, "reserved", False),
    (0x0080, "ptcp_sync", False),
    (0x0082, "reserved", False),
    (0x0100, "rt_class_3", True),
    (0x1000, "reserved", False),  # RT_CLASS_STREAM when the AR is time aware (TSN)
    (0x8000, "rt_class_1", True),
    (0xC000, "rt_class_1_legacy", True),  # RT_CLASS_UDP when carried in UDP 34962
    (0xFC00, "reserved", False),
    (0xFC01, "alarm_high", False),
    (0xFC02, "reserved", False),
    (0xFE01, "alarm_low", False),
    (0xFE02, "rsi", False),
    (0xFE03, "reserved", False),
    (0xFEFC, "dcp_hello", False),
    (0xFEFD, "dcp_get_set", False),
    (0xFEFE, "dcp_identify_request", False),
    (0xFEFF, "dcp_identify_response", False),
    (0xFF00, "ptcp_announce", False),
    (0xFF02, "reserved", False),
    (0xFF20, "ptcp_follow_up", False),
    (0xFF22, "reserved", False),
    (0xFF40, "ptcp_delay", False),
    (0xFF44, "reserved", False),
    (0xFF80, "fragmentation", False),
    (0xFF90, "reserved", False),
)
"""FrameID ranges (IEC 61158-6-10 4.2.2.2, as Wireshark's PN-RT dissector splits
them): each row holds from its first id up to the next row's.  0x8000-0xBFFF
is RT_CLASS_1 (RT_CLASS_2 in editions before 2.3), 0xC000-0xFBFF the legacy
RT_CLASS_1 range that RT_CLASS_UDP reuses over UDP."""

_RANGES_DOWN = tuple(reversed(_FRAME_RANGES))


def frame_class(frame_id: int) -> tuple[str, bool]:
    """``(class name, cyclic)`` of a frame id, e.g. ``("rt_class_1", True)``.

    A scan of 27 rows: the sensor's hot path asks ``is_cyclic`` instead."""
    frame_id &= 0xFFFF
    for first, name, cyclic in _RANGES_DOWN:  # row 0 starts at 0: always returns
        if frame_id >= first:
            return name, cyclic
    return "reserved", False


def is_cyclic(frame_id: int) -> bool:
    """True for the cyclic real-time classes, whose frames end with the APDU status."""
    return 0x0100 <= frame_id < 0x1000 or 0x8000 <= frame_id < 0xFC00


# --- DCP (4.3) -----------------------------------------------------------------


class ServiceId(IntEnum):
    """DCP ServiceID; 1 and 2 are manufacturer specific, 7-255 reserved."""

    GET = 0x03
    SET = 0x04
    IDENTIFY = 0x05
    HELLO = 0x06


class ServiceType(IntEnum):
    """DCP ServiceType: bit 0 response, bit 2 "request not supported"."""

    REQUEST = 0
    RESPONSE_SUCCESS = 1
    RESPONSE_UNSUPPORTED = 5


SERVICE_NAMES: Mapping[int, str] = MappingProxyType(
    {ServiceId.GET: "get", ServiceId.SET: "set", ServiceId.IDENTIFY: "identify",
     ServiceId.HELLO: "hello"}
)  # fmt: skip


class Option(IntEnum):
    """DCP block options; 0x80-0xFE are manufacturer specific."""

    IP = 0x01
    DEVICE = 0x02
    DHCP = 0x03
    RESERVED = 0x04
    CONTROL = 0x05
    DEVICE_INITIATIVE = 0x06
    ALL_SELECTOR = 0xFF


OPTION_NAMES: Mapping[int, str] = MappingProxyType(
    {
        Option.IP: "ip",
        Option.DEVICE: "device_properties",
        Option.DHCP: "dhcp",
        Option.RESERVED: "reserved",
        Option.CONTROL: "control",
        Option.DEVICE_INITIATIVE: "device_initiative",
        Option.ALL_SELECTOR: "all_selector",
    }
)

# (option, suboption) pairs with a meaning of their own.
IP_MAC = (0x01, 0x01)
IP_PARAMETER = (0x01, 0x02)
IP_FULL_SUITE = (0x01, 0x03)
DEVICE_TYPE_OF_STATION = (0x02, 0x01)
DEVICE_NAME_OF_STATION = (0x02, 0x02)
DEVICE_ID = (0x02, 0x03)
DEVICE_ROLE = (0x02, 0x04)
DEVICE_OPTIONS = (0x02, 0x05)
DEVICE_ALIAS_NAME = (0x02, 0x06)
DEVICE_INSTANCE = (0x02, 0x07)
DEVICE_OEM_ID = (0x02, 0x08)
DEVICE_RSI_PROPERTIES = (0x02, 0x0A)
CONTROL_START = (0x05, 0x01)
CONTROL_END = (0x05, 0x02)
CONTROL_SIGNAL = (0x05, 0x03)
CONTROL_RESPONSE = (0x05, 0x04)
CONTROL_FACTORY_RESET = (0x05, 0x05)
CONTROL_RESET_TO_FACTORY = (0x05, 0x06)
DEVICE_INITIATIVE = (0x06, 0x01)
ALL_SELECTOR = (0xFF, 0xFF)

SUBOPTION_NAMES: Mapping[tuple[int, int], str] = MappingProxyType(
    {
        IP_MAC: "mac_address",
        IP_PARAMETER: "ip",
        IP_FULL_SUITE: "full_ip_suite",
        DEVICE_TYPE_OF_STATION: "type_of_station",
        DEVICE_NAME_OF_STATION: "name_of_station",
        DEVICE_ID: "device_id",
        DEVICE_ROLE: "device_role",
        DEVICE_OPTIONS: "device_options",
        DEVICE_ALIAS_NAME: "alias_name",
        DEVICE_INSTANCE: "device_instance",
        DEVICE_OEM_ID: "oem_device_id",
        DEVICE_RSI_PROPERTIES: "rsi_properties",
        (0x03, 12): "dhcp_host_name",
        (0x03, 43): "dhcp_vendor_specific",
        (0x03, 54): "dhcp_server_identifier",
        (0x03, 55): "dhcp_parameter_request_list",
        (0x03, 60): "dhcp_class_identifier",
        (0x03, 61): "dhcp_client_identifier",
        (0x03, 81): "dhcp_fqdn",
        (0x03, 97): "dhcp_uuid_client_identifier",
        (0x03, 255): "dhcp_control",
        CONTROL_START: "start_transaction",
        CONTROL_END: "end_transaction",
        CONTROL_SIGNAL: "signal",
        CONTROL_RESPONSE: "response",
        CONTROL_FACTORY_RESET: "factory_reset",
        CONTROL_RESET_TO_FACTORY: "reset_to_factory",
        DEVICE_INITIATIVE: "device_initiative",
        ALL_SELECTOR: "all",
    }
)
"""(option, suboption) -> snake_case name.  DHCP suboptions are DHCP option
codes (RFC 2132); control 5 is "Reset Factory Settings", 6 "Reset to Factory"."""


def suboption_name(option: int, suboption: int) -> str:
    """``name_of_station``, ``ip`` ...; unknown pairs ``option_0x80_0x01``."""
    name = SUBOPTION_NAMES.get((option, suboption))
    return name if name is not None else f"option_0x{option:02x}_0x{suboption:02x}"


INFO_OPTIONS = frozenset((Option.IP, Option.DEVICE, Option.DHCP, Option.DEVICE_INITIATIVE))
"""Options whose blocks carry a BlockInfo u16 in Identify/Get responses and Hello."""

QUALIFIER_OPTIONS = frozenset(
    (Option.IP, Option.DEVICE, Option.DHCP, Option.CONTROL, Option.DEVICE_INITIATIVE)
)
"""Options whose blocks carry a BlockQualifier u16 in a Set request."""


class BlockQualifier(IntEnum):
    """BlockQualifier of a Set request block (4.3.1.4.3)."""

    TEMPORARY = 0
    PERMANENT = 1


IP_BLOCK_INFO_NAMES: Mapping[int, str] = MappingProxyType(
    {0x0000: "ip_not_set", 0x0001: "ip_set", 0x0002: "ip_set_by_dhcp"}
)
"""BlockInfo of the IP parameter block; bit 0x0080 flags an address conflict."""

IP_CONFLICT = 0x0080
"""BlockInfo bit of the IP blocks: the device detected an address conflict."""

BLOCK_ERROR_NAMES: Mapping[int, str] = MappingProxyType(
    {
        0x00: "ok",
        0x01: "option_unsupported",
        0x02: "suboption_unsupported",
        0x03: "suboption_not_set",
        0x04: "resource_error",
        0x05: "set_not_possible_local_reasons",
        0x06: "in_operation_set_not_possible",
    }
)
"""BlockError of a Control/Response block (4.3.1.4.8)."""

DEVICE_ROLES: tuple[tuple[int, str], ...] = (
    (0x01, "io-device"),
    (0x02, "io-controller"),
    (0x04, "io-multidevice"),
    (0x08, "io-supervisor"),
)
"""DeviceRoleDetails bits (4.3.1.4.19), lowest first; 0x08 is the PN-Supervisor."""


def device_role_names(role: int) -> str:
    """Comma-joined role names, e.g. ``io-device,io-controller``; '' for none."""
    return ",".join(name for bit, name in DEVICE_ROLES if role & bit)


SIGNAL_FLASH_ONCE = 0x0100
"""SignalValue of a Control/Signal block: flash the device's LED once."""

# --- operations ----------------------------------------------------------------

_CONTROL_OPERATIONS: Mapping[tuple[int, int], str] = MappingProxyType(
    {
        CONTROL_START: "start_transaction",
        CONTROL_END: "end_transaction",
        CONTROL_SIGNAL: "signal",
        CONTROL_FACTORY_RESET: "factory_reset",
        CONTROL_RESET_TO_FACTORY: "reset_to_factory",
    }
)


def set_operation(option: int, suboption: int) -> tuple[str, str]:
    """(name, category) of one block of a Set request.

    A block that writes a value is ``set_<suboption>`` in the write category
    (``set_ip``, ``set_name_of_station``); control blocks that start, end,
    signal or reset are ``control``; a Control/Response block in a request
    makes no sense and is ``other``.
    """
    control = _CONTROL_OPERATIONS.get((option, suboption))
    if control is not None:
        return control, CONTROL
    if option == Option.CONTROL:
        return f"set_{suboption_name(option, suboption)}", OTHER
    return f"set_{suboption_name(option, suboption)}", WRITE


SERVICE_OPERATIONS: Mapping[int, tuple[str, str]] = MappingProxyType(
    {ServiceId.IDENTIFY: ("identify", IDENTIFY), ServiceId.GET: ("get", READ)}
)
"""Requests that are one operation whatever their blocks (a Set is one per block)."""
