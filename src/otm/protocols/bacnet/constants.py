"""BACnet codes, their snake_case names and policy categories.

Sources: ANSI/ASHRAE Standard 135-2020 (BACnet), Annex J (BACnet/IP: BVLL
functions J.2, result codes J.2.1.1), clause 6 (network layer: NPDU control
octet 6.2.2, network layer message types 6.2.4), clause 20 (APDU types and
header fields 20.1, tag encoding 20.2), clause 21 (BACnetConfirmedServiceChoice,
BACnetUnconfirmedServiceChoice, BACnetSegmentation, BACnetRejectReason,
BACnetAbortReason, Error class), and clause 7 (Ethernet/ISO 8802-2 LLC SAP 0x82).
Object types, property identifiers and error codes are in ``identifiers``
(generated), vendor identifiers in ``vendors`` (generated).

Names are looked up in plain dicts built once at import, so the sensing hot
path pays a dict lookup, never a string build, for every known code.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from types import MappingProxyType

from otm.protocols.bacnet.identifiers import (
    ERROR_CODE_NAMES,
    OBJECT_TYPE_NAMES,
    PROPERTY_NAMES,
)
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

# --- transport ------------------------------------------------------------------

UDP_PORT = 0xBAC0
"""47808: BACnet/IP's UDP port (Annex J.1); devices usually send from it too."""

BVLC_TYPE_BIP = 0x81
"""BVLL type of BACnet/IP (Annex J.2)."""

BVLC_TYPE_BIP6 = 0x82
"""BVLL type of BACnet/IPv6 (Annex U); recognised, not decoded."""

BVLC_HEADER_LENGTH = 4
"""type u8 | function u8 | length u16 (the whole BVLL message)."""

LLC_HEADER = b"\x82\x82\x03"
"""ISO 8802-2 LLC of BACnet on Ethernet (clause 7): DSAP 0x82, SSAP 0x82, UI."""

NPDU_VERSION = 0x01
"""The only protocol version of clause 6.2.1."""

MAX_BVLL_LENGTH = 0xFFFF
"""The BVLC length field is 16 bits; a UDP datagram cannot carry more."""

ETHERNET_PADDED_PAYLOAD = 46
"""Ethernet pads a frame's payload to 46 bytes: a BACnet/Ethernet frame of
exactly this size may end in padding after its APDU (the 802.3 length that
would say where is not handed to sensors)."""

# --- BVLL (Annex J.2) ---------------------------------------------------------------


class BvlcFunction(IntEnum):
    """BVLL functions of BACnet/IP (Annex J.2)."""

    BVLC_RESULT = 0x00
    WRITE_BROADCAST_DISTRIBUTION_TABLE = 0x01
    READ_BROADCAST_DISTRIBUTION_TABLE = 0x02
    READ_BROADCAST_DISTRIBUTION_TABLE_ACK = 0x03
    FORWARDED_NPDU = 0x04
    REGISTER_FOREIGN_DEVICE = 0x05
    READ_FOREIGN_DEVICE_TABLE = 0x06
    READ_FOREIGN_DEVICE_TABLE_ACK = 0x07
    DELETE_FOREIGN_DEVICE_TABLE_ENTRY = 0x08
    DISTRIBUTE_BROADCAST_TO_NETWORK = 0x09
    ORIGINAL_UNICAST_NPDU = 0x0A
    ORIGINAL_BROADCAST_NPDU = 0x0B
    SECURE_BVLL = 0x0C


NPDU_CARRIERS = frozenset(
    {
        BvlcFunction.FORWARDED_NPDU,
        BvlcFunction.DISTRIBUTE_BROADCAST_TO_NETWORK,
        BvlcFunction.ORIGINAL_UNICAST_NPDU,
        BvlcFunction.ORIGINAL_BROADCAST_NPDU,
    }
)
"""BVLL functions whose payload is an NPDU."""


class BvlcResultCode(IntEnum):
    """BVLC-Result codes (Annex J.2.1.1)."""

    SUCCESSFUL_COMPLETION = 0x0000
    WRITE_BROADCAST_DISTRIBUTION_TABLE_NAK = 0x0010
    READ_BROADCAST_DISTRIBUTION_TABLE_NAK = 0x0020
    REGISTER_FOREIGN_DEVICE_NAK = 0x0030
    READ_FOREIGN_DEVICE_TABLE_NAK = 0x0040
    DELETE_FOREIGN_DEVICE_TABLE_ENTRY_NAK = 0x0050
    DISTRIBUTE_BROADCAST_TO_NETWORK_NAK = 0x0060


BVLC_NAMES: Mapping[int, str] = MappingProxyType({f: f.name.lower() for f in BvlcFunction})
"""BVLL function -> snake_case name (``register_foreign_device``)."""

BVLC_RESULT_NAMES: Mapping[int, str] = MappingProxyType({c: c.name.lower() for c in BvlcResultCode})

BVLC_CATEGORIES: Mapping[int, str] = MappingProxyType(
    {
        # A BBMD's tables decide where broadcasts go: writing them reroutes traffic.
        BvlcFunction.WRITE_BROADCAST_DISTRIBUTION_TABLE: WRITE,
        BvlcFunction.READ_BROADCAST_DISTRIBUTION_TABLE: READ,
        BvlcFunction.READ_FOREIGN_DEVICE_TABLE: READ,
        BvlcFunction.DELETE_FOREIGN_DEVICE_TABLE_ENTRY: WRITE,
        BvlcFunction.REGISTER_FOREIGN_DEVICE: SESSION,
        BvlcFunction.SECURE_BVLL: OTHER,
    }
)
"""Category of the BVLL functions that are requests of their own (management of a
BBMD); NPDU carriers, results and acks are not operations."""

# --- NPDU (clause 6) -----------------------------------------------------------------

CONTROL_NETWORK_MESSAGE = 0x80
CONTROL_RESERVED_6 = 0x40
CONTROL_DESTINATION = 0x20
CONTROL_RESERVED_4 = 0x10
CONTROL_SOURCE = 0x08
CONTROL_EXPECTING_REPLY = 0x04
CONTROL_PRIORITY = 0x03
CONTROL_RESERVED = CONTROL_RESERVED_6 | CONTROL_RESERVED_4
"""Bits 6 and 4 of the control octet "shall be zero" (6.2.2)."""

GLOBAL_BROADCAST_NETWORK = 0xFFFF
"""DNET of a global broadcast (6.2.2)."""

PROPRIETARY_MESSAGE_TYPES = 0x80
"""Network layer message types 0x80-0xFF are proprietary: a vendor id u16 follows."""


class Priority(IntEnum):
    """Network priority, bits 1-0 of the control octet (6.2.2)."""

    NORMAL = 0
    URGENT = 1
    CRITICAL_EQUIPMENT = 2
    LIFE_SAFETY = 3


class NetworkMessageType(IntEnum):
    """Network layer message types (6.2.4; 0x0A-0x11 are clause 24 security)."""

    WHO_IS_ROUTER_TO_NETWORK = 0x00
    I_AM_ROUTER_TO_NETWORK = 0x01
    I_COULD_BE_ROUTER_TO_NETWORK = 0x02
    REJECT_MESSAGE_TO_NETWORK = 0x03
    ROUTER_BUSY_TO_NETWORK = 0x04
    ROUTER_AVAILABLE_TO_NETWORK = 0x05
    INITIALIZE_ROUTING_TABLE = 0x06
    INITIALIZE_ROUTING_TABLE_ACK = 0x07
    ESTABLISH_CONNECTION_TO_NETWORK = 0x08
    DISCONNECT_CONNECTION_TO_NETWORK = 0x09
    CHALLENGE_REQUEST = 0x0A
    SECURITY_PAYLOAD = 0x0B
    SECURITY_RESPONSE = 0x0C
    REQUEST_KEY_UPDATE = 0x0D
    UPDATE_KEY_SET = 0x0E
    UPDATE_DISTRIBUTION_KEY = 0x0F
    REQUEST_MASTER_KEY = 0x10
    SET_MASTER_KEY = 0x11
    WHAT_IS_NETWORK_NUMBER = 0x12
    NETWORK_NUMBER_IS = 0x13


class RejectMessageReason(IntEnum):
    """Reasons of Reject-Message-To-Network (6.4.4)."""

    OTHER = 0
    UNKNOWN_NETWORK = 1
    ROUTER_BUSY = 2
    UNKNOWN_MESSAGE_TYPE = 3
    MESSAGE_TOO_LONG = 4
    SECURITY_ERROR = 5
    ADDRESSING_ERROR = 6


_NETWORK_MESSAGES: tuple[tuple[NetworkMessageType, str], ...] = (
    (NetworkMessageType.WHO_IS_ROUTER_TO_NETWORK, IDENTIFY),
    (NetworkMessageType.I_AM_ROUTER_TO_NETWORK, IDENTIFY),
    (NetworkMessageType.I_COULD_BE_ROUTER_TO_NETWORK, IDENTIFY),
    (NetworkMessageType.REJECT_MESSAGE_TO_NETWORK, OTHER),
    (NetworkMessageType.ROUTER_BUSY_TO_NETWORK, OTHER),
    (NetworkMessageType.ROUTER_AVAILABLE_TO_NETWORK, OTHER),
    # With entries it rewrites a router's table; without, it only asks for it.
    (NetworkMessageType.INITIALIZE_ROUTING_TABLE, WRITE),
    (NetworkMessageType.INITIALIZE_ROUTING_TABLE_ACK, OTHER),
    (NetworkMessageType.ESTABLISH_CONNECTION_TO_NETWORK, SESSION),
    (NetworkMessageType.DISCONNECT_CONNECTION_TO_NETWORK, SESSION),
    (NetworkMessageType.CHALLENGE_REQUEST, SESSION),
    (NetworkMessageType.SECURITY_PAYLOAD, OTHER),
    (NetworkMessageType.SECURITY_RESPONSE, SESSION),
    (NetworkMessageType.REQUEST_KEY_UPDATE, SESSION),
    (NetworkMessageType.UPDATE_KEY_SET, WRITE),
    (NetworkMessageType.UPDATE_DISTRIBUTION_KEY, WRITE),
    (NetworkMessageType.REQUEST_MASTER_KEY, SESSION),
    (NetworkMessageType.SET_MASTER_KEY, WRITE),
    (NetworkMessageType.WHAT_IS_NETWORK_NUMBER, IDENTIFY),
    (NetworkMessageType.NETWORK_NUMBER_IS, IDENTIFY),
)

NETWORK_MESSAGE_NAMES: Mapping[int, str] = MappingProxyType(
    {t: t.name.lower() for t, _ in _NETWORK_MESSAGES}
)
"""Network layer message type -> snake_case name (``who_is_router_to_network``)."""

NETWORK_MESSAGE_CATEGORIES: Mapping[int, str] = MappingProxyType(dict(_NETWORK_MESSAGES))

# --- APDU (clause 20.1) ------------------------------------------------------------------


class PduType(IntEnum):
    """APDU types, the high nibble of the first APDU octet (20.1.1)."""

    CONFIRMED_REQUEST = 0
    UNCONFIRMED_REQUEST = 1
    SIMPLE_ACK = 2
    COMPLEX_ACK = 3
    SEGMENT_ACK = 4
    ERROR = 5
    REJECT = 6
    ABORT = 7


PDU_TYPE_NAMES: Mapping[int, str] = MappingProxyType({t: t.name.lower() for t in PduType})

FLAG_SEGMENTED = 0x08
"""SEG: this PDU is one segment of a segmented message (confirmed request, complex ack)."""
FLAG_MORE_FOLLOWS = 0x04
"""MOR: more segments follow."""
FLAG_SEGMENTED_RESPONSE_ACCEPTED = 0x02
"""SA: the client accepts a segmented response (confirmed request)."""
FLAG_NEGATIVE_ACK = 0x02
"""NAK: a Segment-ACK asking for retransmission."""
FLAG_SERVER = 0x01
"""SRV: a Segment-ACK or Abort sent by the server of the transaction."""

MAX_APDU_SIZES: Mapping[int, int] = MappingProxyType(
    {0: 50, 1: 128, 2: 206, 3: 480, 4: 1024, 5: 1476}
)
"""Max-APDU-length-accepted code of a confirmed request (20.1.2.5) -> octets."""

MAX_SEGMENTS: Mapping[int, int | None] = MappingProxyType(
    {0: None, 1: 2, 2: 4, 3: 8, 4: 16, 5: 32, 6: 64, 7: None}
)
"""Max-segments-accepted code (20.1.2.4) -> count; 0 unspecified, 7 more than 64."""


class Segmentation(IntEnum):
    """BACnetSegmentation (clause 21), as an I-Am or segmentationSupported says."""

    SEGMENTED_BOTH = 0
    SEGMENTED_TRANSMIT = 1
    SEGMENTED_RECEIVE = 2
    NO_SEGMENTATION = 3


SEGMENTATION_NAMES: Mapping[int, str] = MappingProxyType({s: s.name.lower() for s in Segmentation})


class ConfirmedService(IntEnum):
    """BACnetConfirmedServiceChoice (clause 21); 13, 24 and 25 were removed from the
    standard but old devices still send them."""

    ACKNOWLEDGE_ALARM = 0
    CONFIRMED_COV_NOTIFICATION = 1
    CONFIRMED_EVENT_NOTIFICATION = 2
    GET_ALARM_SUMMARY = 3
    GET_ENROLLMENT_SUMMARY = 4
    SUBSCRIBE_COV = 5
    ATOMIC_READ_FILE = 6
    ATOMIC_WRITE_FILE = 7
    ADD_LIST_ELEMENT = 8
    REMOVE_LIST_ELEMENT = 9
    CREATE_OBJECT = 10
    DELETE_OBJECT = 11
    READ_PROPERTY = 12
    READ_PROPERTY_CONDITIONAL = 13
    READ_PROPERTY_MULTIPLE = 14
    WRITE_PROPERTY = 15
    WRITE_PROPERTY_MULTIPLE = 16
    DEVICE_COMMUNICATION_CONTROL = 17
    CONFIRMED_PRIVATE_TRANSFER = 18
    CONFIRMED_TEXT_MESSAGE = 19
    REINITIALIZE_DEVICE = 20
    VT_OPEN = 21
    VT_CLOSE = 22
    VT_DATA = 23
    AUTHENTICATE = 24
    REQUEST_KEY = 25
    READ_RANGE = 26
    LIFE_SAFETY_OPERATION = 27
    SUBSCRIBE_COV_PROPERTY = 28
    GET_EVENT_INFORMATION = 29
    SUBSCRIBE_COV_PROPERTY_MULTIPLE = 30
    CONFIRMED_COV_NOTIFICATION_MULTIPLE = 31
    CONFIRMED_AUDIT_NOTIFICATION = 32
    AUDIT_LOG_QUERY = 33


class UnconfirmedService(IntEnum):
    """BACnetUnconfirmedServiceChoice (clause 21)."""

    I_AM = 0
    I_HAVE = 1
    UNCONFIRMED_COV_NOTIFICATION = 2
    UNCONFIRMED_EVENT_NOTIFICATION = 3
    UNCONFIRMED_PRIVATE_TRANSFER = 4
    UNCONFIRMED_TEXT_MESSAGE = 5
    TIME_SYNCHRONIZATION = 6
    WHO_HAS = 7
    WHO_IS = 8
    UTC_TIME_SYNCHRONIZATION = 9
    WRITE_GROUP = 10
    UNCONFIRMED_COV_NOTIFICATION_MULTIPLE = 11
    UNCONFIRMED_AUDIT_NOTIFICATION = 12
    WHO_AM_I = 13
    YOU_ARE = 14


_CONFIRMED: tuple[tuple[ConfirmedService, str], ...] = (
    # An operator acknowledging an alarm changes the alarm's state.
    (ConfirmedService.ACKNOWLEDGE_ALARM, WRITE),
    # Notifications report values and events: data flowing to the subscriber.
    (ConfirmedService.CONFIRMED_COV_NOTIFICATION, READ),
    (ConfirmedService.CONFIRMED_EVENT_NOTIFICATION, READ),
    (ConfirmedService.GET_ALARM_SUMMARY, READ),
    (ConfirmedService.GET_ENROLLMENT_SUMMARY, READ),
    (ConfirmedService.SUBSCRIBE_COV, READ),
    # File access moves programs, trend logs and firmware images (clause 14).
    (ConfirmedService.ATOMIC_READ_FILE, PROGRAM),
    (ConfirmedService.ATOMIC_WRITE_FILE, PROGRAM),
    (ConfirmedService.ADD_LIST_ELEMENT, WRITE),
    (ConfirmedService.REMOVE_LIST_ELEMENT, WRITE),
    (ConfirmedService.CREATE_OBJECT, WRITE),
    (ConfirmedService.DELETE_OBJECT, WRITE),
    (ConfirmedService.READ_PROPERTY, READ),
    (ConfirmedService.READ_PROPERTY_CONDITIONAL, READ),
    (ConfirmedService.READ_PROPERTY_MULTIPLE, READ),
    (ConfirmedService.WRITE_PROPERTY, WRITE),
    (ConfirmedService.WRITE_PROPERTY_MULTIPLE, WRITE),
    # Silences a device's communication: a denial of service when misused.
    (ConfirmedService.DEVICE_COMMUNICATION_CONTROL, CONTROL),
    (ConfirmedService.CONFIRMED_PRIVATE_TRANSFER, OTHER),
    (ConfirmedService.CONFIRMED_TEXT_MESSAGE, OTHER),
    (ConfirmedService.REINITIALIZE_DEVICE, CONTROL),
    (ConfirmedService.VT_OPEN, SESSION),
    (ConfirmedService.VT_CLOSE, SESSION),
    # Keystrokes of a virtual terminal session can do anything the terminal can.
    (ConfirmedService.VT_DATA, OTHER),
    (ConfirmedService.AUTHENTICATE, SESSION),
    (ConfirmedService.REQUEST_KEY, SESSION),
    (ConfirmedService.READ_RANGE, READ),
    # Silences, resets or unsilences life safety points and zones.
    (ConfirmedService.LIFE_SAFETY_OPERATION, CONTROL),
    (ConfirmedService.SUBSCRIBE_COV_PROPERTY, READ),
    (ConfirmedService.GET_EVENT_INFORMATION, READ),
    (ConfirmedService.SUBSCRIBE_COV_PROPERTY_MULTIPLE, READ),
    (ConfirmedService.CONFIRMED_COV_NOTIFICATION_MULTIPLE, READ),
    (ConfirmedService.CONFIRMED_AUDIT_NOTIFICATION, DIAGNOSTIC),
    (ConfirmedService.AUDIT_LOG_QUERY, DIAGNOSTIC),
)

_UNCONFIRMED: tuple[tuple[UnconfirmedService, str], ...] = (
    (UnconfirmedService.I_AM, IDENTIFY),
    (UnconfirmedService.I_HAVE, IDENTIFY),
    (UnconfirmedService.UNCONFIRMED_COV_NOTIFICATION, READ),
    (UnconfirmedService.UNCONFIRMED_EVENT_NOTIFICATION, READ),
    (UnconfirmedService.UNCONFIRMED_PRIVATE_TRANSFER, OTHER),
    (UnconfirmedService.UNCONFIRMED_TEXT_MESSAGE, OTHER),
    # Sets the receivers' clocks, which schedules and trend logs follow.
    (UnconfirmedService.TIME_SYNCHRONIZATION, WRITE),
    (UnconfirmedService.WHO_HAS, IDENTIFY),
    (UnconfirmedService.WHO_IS, IDENTIFY),
    (UnconfirmedService.UTC_TIME_SYNCHRONIZATION, WRITE),
    (UnconfirmedService.WRITE_GROUP, WRITE),
    (UnconfirmedService.UNCONFIRMED_COV_NOTIFICATION_MULTIPLE, READ),
    (UnconfirmedService.UNCONFIRMED_AUDIT_NOTIFICATION, DIAGNOSTIC),
    (UnconfirmedService.WHO_AM_I, IDENTIFY),
    # Assigns a device its instance number and network address.
    (UnconfirmedService.YOU_ARE, WRITE),
)

CONFIRMED_NAMES: Mapping[int, str] = MappingProxyType({s: s.name.lower() for s, _ in _CONFIRMED})
"""Confirmed service choice -> snake_case operation (``read_property``)."""
CONFIRMED_CATEGORIES: Mapping[int, str] = MappingProxyType(dict(_CONFIRMED))

UNCONFIRMED_NAMES: Mapping[int, str] = MappingProxyType(
    {s: s.name.lower() for s, _ in _UNCONFIRMED}
)
"""Unconfirmed service choice -> snake_case operation (``who_is``)."""
UNCONFIRMED_CATEGORIES: Mapping[int, str] = MappingProxyType(dict(_UNCONFIRMED))


class Role(IntEnum):
    """Which end of a conversation a message shows its sender to be."""

    PEER = 0
    CLIENT = 1
    SERVER = 2


UNCONFIRMED_ROLES: Mapping[int, Role] = MappingProxyType(
    {
        UnconfirmedService.WHO_IS: Role.CLIENT,
        UnconfirmedService.WHO_HAS: Role.CLIENT,
        UnconfirmedService.I_AM: Role.SERVER,
        UnconfirmedService.I_HAVE: Role.SERVER,
        UnconfirmedService.UNCONFIRMED_COV_NOTIFICATION: Role.SERVER,
        UnconfirmedService.UNCONFIRMED_EVENT_NOTIFICATION: Role.SERVER,
        UnconfirmedService.UNCONFIRMED_COV_NOTIFICATION_MULTIPLE: Role.SERVER,
        UnconfirmedService.UNCONFIRMED_AUDIT_NOTIFICATION: Role.SERVER,
    }
)
"""Unconfirmed services that show who the sender is: discovery requests come
from clients; announcements and notifications from the device (server).  The
others (time synchronisation, text messages, write group ...) are peer-to-peer."""


# --- errors, rejects, aborts (clause 18, 21) --------------------------------------------


class ErrorClass(IntEnum):
    """BACnetErrorClass (clause 21)."""

    DEVICE = 0
    OBJECT = 1
    PROPERTY = 2
    RESOURCES = 3
    SECURITY = 4
    SERVICES = 5
    VT = 6
    COMMUNICATION = 7


class RejectReason(IntEnum):
    """BACnetRejectReason (clause 21); 64-255 are proprietary."""

    OTHER = 0
    BUFFER_OVERFLOW = 1
    INCONSISTENT_PARAMETERS = 2
    INVALID_PARAMETER_DATA_TYPE = 3
    INVALID_TAG = 4
    MISSING_REQUIRED_PARAMETER = 5
    PARAMETER_OUT_OF_RANGE = 6
    TOO_MANY_ARGUMENTS = 7
    UNDEFINED_ENUMERATION = 8
    UNRECOGNIZED_SERVICE = 9


class AbortReason(IntEnum):
    """BACnetAbortReason (clause 21); 64-255 are proprietary."""

    OTHER = 0
    BUFFER_OVERFLOW = 1
    INVALID_APDU_IN_THIS_STATE = 2
    PREEMPTED_BY_HIGHER_PRIORITY_TASK = 3
    SEGMENTATION_NOT_SUPPORTED = 4
    SECURITY_ERROR = 5
    INSUFFICIENT_SECURITY = 6
    WINDOW_SIZE_OUT_OF_RANGE = 7
    APPLICATION_EXCEEDED_REPLY_TIME = 8
    OUT_OF_RESOURCES = 9
    TSM_TIMEOUT = 10
    APDU_TOO_LONG = 11


ERROR_CLASS_NAMES: Mapping[int, str] = MappingProxyType({c: c.name.lower() for c in ErrorClass})
REJECT_REASON_NAMES: Mapping[int, str] = MappingProxyType({r: r.name.lower() for r in RejectReason})
ABORT_REASON_NAMES: Mapping[int, str] = MappingProxyType({r: r.name.lower() for r in AbortReason})

# --- application tags (20.2.1.4) and character sets (21) ------------------------------------


class ApplicationTag(IntEnum):
    """Application tag numbers of the primitive datatypes (20.2.1.4)."""

    NULL = 0
    BOOLEAN = 1
    UNSIGNED = 2
    SIGNED = 3
    REAL = 4
    DOUBLE = 5
    OCTET_STRING = 6
    CHARACTER_STRING = 7
    BIT_STRING = 8
    ENUMERATED = 9
    DATE = 10
    TIME = 11
    OBJECT_IDENTIFIER = 12


class CharacterSet(IntEnum):
    """Character set octet of a character string (20.2.9)."""

    UTF_8 = 0
    """ANSI X3.4 until 135-2008, UTF-8 since (X3.4 is its ASCII subset)."""
    DBCS = 1
    """IBM/Microsoft double byte; a code page u16 follows the set octet."""
    JIS_X_0208 = 2
    UCS_4 = 3
    UCS_2 = 4
    ISO_8859_1 = 5


class ObjectType(IntEnum):
    """The object types otm reasons about; every name is in ``OBJECT_TYPE_NAMES``."""

    DEVICE = 8
    FILE = 10
    PROGRAM = 16
    NETWORK_PORT = 56


class PropertyId(IntEnum):
    """Device object properties that carry identity (clause 12.11)."""

    APPLICATION_SOFTWARE_VERSION = 12
    DESCRIPTION = 28
    FIRMWARE_REVISION = 44
    LOCATION = 58
    MAX_APDU_LENGTH_ACCEPTED = 62
    MODEL_NAME = 70
    OBJECT_IDENTIFIER = 75
    OBJECT_NAME = 77
    PROTOCOL_VERSION = 98
    SEGMENTATION_SUPPORTED = 107
    VENDOR_IDENTIFIER = 120
    VENDOR_NAME = 121
    PROTOCOL_REVISION = 139
    SERIAL_NUMBER = 372


WILDCARD_INSTANCE = 0x3FFFFF
"""Instance 4194303: "this device" in a device object identifier (12.11.1)."""

MAX_INSTANCE = 0x3FFFFF
"""Instance numbers are 22 bits."""

MAX_OBJECT_TYPE = 0x3FF
"""Object types are 10 bits."""

# --- helpers ------------------------------------------------------------------------------


def confirmed_service_name(service: int) -> str:
    """``read_property`` ...; unknown choices ``confirmed_service_0x2a``."""
    return CONFIRMED_NAMES.get(service) or f"confirmed_service_0x{service:02x}"


def unconfirmed_service_name(service: int) -> str:
    """``who_is`` ...; unknown choices ``unconfirmed_service_0x2a``."""
    return UNCONFIRMED_NAMES.get(service) or f"unconfirmed_service_0x{service:02x}"


def operation_name(pdu_type: int, service: int) -> str:
    """The operation of a request: the service of a confirmed or unconfirmed request."""
    if pdu_type == PduType.UNCONFIRMED_REQUEST:
        return unconfirmed_service_name(service)
    return confirmed_service_name(service)


def operation_category(pdu_type: int, service: int) -> str:
    """Policy category of a request's service; ``other`` for unknown services."""
    if pdu_type == PduType.UNCONFIRMED_REQUEST:
        return UNCONFIRMED_CATEGORIES.get(service, OTHER)
    return CONFIRMED_CATEGORIES.get(service, OTHER)


def network_message_name(message_type: int) -> str:
    """``who_is_router_to_network`` ...; proprietary and unknown types by number."""
    name = NETWORK_MESSAGE_NAMES.get(message_type)
    if name is not None:
        return name
    if message_type >= PROPRIETARY_MESSAGE_TYPES:
        return f"proprietary_network_message_0x{message_type:02x}"
    return f"network_message_0x{message_type:02x}"


def network_message_category(message_type: int) -> str:
    """Category of a network layer message; ``other`` for proprietary and unknown ones."""
    return NETWORK_MESSAGE_CATEGORIES.get(message_type, OTHER)


def bvlc_name(function: int) -> str:
    """``register_foreign_device`` ...; unknown functions ``bvlc_function_0x0d``."""
    return BVLC_NAMES.get(function) or f"bvlc_function_0x{function:02x}"


def object_type_name(object_type: int) -> str:
    """``device``, ``analog_input`` ...; 128-1023 are proprietary (``proprietary_0x200``)."""
    name = OBJECT_TYPE_NAMES.get(object_type)
    if name is not None:
        return name
    if object_type >= 128:
        return f"proprietary_0x{object_type:03x}"
    return f"object_type_{object_type}"


def property_name(property_id: int) -> str:
    """``present_value``, ``vendor_name`` ...; unknown identifiers ``property_512``."""
    return PROPERTY_NAMES.get(property_id) or f"property_{property_id}"


def error_class_name(error_class: int) -> str:
    """``services``, ``property`` ...; proprietary classes ``error_class_64``."""
    return ERROR_CLASS_NAMES.get(error_class) or f"error_class_{error_class}"


def error_code_name(error_code: int) -> str:
    """``password_failure``, ``unknown_property`` ...; others ``error_code_300``."""
    return ERROR_CODE_NAMES.get(error_code) or f"error_code_{error_code}"


def reject_reason_name(reason: int) -> str:
    """``unrecognized_service`` ...; proprietary reasons ``reject_reason_64``."""
    return REJECT_REASON_NAMES.get(reason) or f"reject_reason_{reason}"


def abort_reason_name(reason: int) -> str:
    """``segmentation_not_supported`` ...; proprietary reasons ``abort_reason_64``."""
    return ABORT_REASON_NAMES.get(reason) or f"abort_reason_{reason}"


def segmentation_name(segmentation: int) -> str:
    """``segmented_both`` ... ``no_segmentation``; others ``segmentation_7``."""
    return SEGMENTATION_NAMES.get(segmentation) or f"segmentation_{segmentation}"
