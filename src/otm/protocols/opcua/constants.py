"""OPC UA codes, sizes, service names and their policy categories.

Sources: OPC 10000-6 (Part 6, Mappings) 7.1 for the UA Connection Protocol
(message types, chunk types, Hello/Acknowledge limits) and 6.7 for UA Secure
Conversation; OPC 10000-4 (Part 4, Services) for the services and enums; the
numeric ids of the binary encodings and of the Server object's variables come
from the OPC Foundation's ``NodeIds.csv`` (UA-Nodeset, ``Schema/``), status
code names from its ``StatusCode.csv``.

Names are looked up in plain dicts built once at import, so the sensor pays a
dict lookup per message, never a string build.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from types import MappingProxyType

from otm.protocols.common import (
    CONTROL,
    IDENTIFY,
    OTHER,
    READ,
    SESSION,
    WRITE,
)

# --- sizes (Part 6, 7.1.2) ---------------------------------------------------

HEADER_SIZE = 8
"""Message type (3 ASCII bytes), chunk type (1 byte), message size (UInt32)."""

HELLO_FIXED_SIZE = HEADER_SIZE + 20 + 4
"""A Hello with a null endpoint URL: header, five UInt32, the URL's length."""

MAX_ENDPOINT_URL_LENGTH = 4096
"""Part 6 7.1.2.3: the EndpointUrl of a Hello is at most 4096 bytes."""

MAX_HELLO_SIZE = HELLO_FIXED_SIZE + MAX_ENDPOINT_URL_LENGTH
"""Largest Hello a conforming client sends."""

MIN_BUFFER_SIZE = 8192
"""Part 6 7.1.2.3: receive and send buffers are at least 8192 bytes."""

MAX_CHUNK_SIZE = 1 << 24
"""Largest message size the framer accepts (16 MiB).  The size a chunk may
have is the receive buffer the peer announced (UInt32); stacks use 8 KiB to
64 KiB, a few allow a few MiB.  Anything past 16 MiB is taken for garbage, not
OPC UA (the capture walker caps PDUs lower still, see ``walker.MAX_PDU``)."""

PROTOCOL_VERSION = 0
"""The only UA Connection Protocol version defined so far (Part 6 7.1.2.3)."""

MAX_DEPTH = 10
"""Nesting of DiagnosticInfo, Variant and DataValue decoded at most.  Part 6
5.2.2.12 asks decoders to support 4 levels and expects none beyond 10."""

# --- message and chunk types (Part 6, 7.1.2.2 and 6.7.2.2) -------------------


HEL = b"HEL"
"""Hello: the client's first message, its buffer sizes and the endpoint URL."""
ACK = b"ACK"
"""Acknowledge: the server's answer to Hello, its buffer sizes."""
ERR = b"ERR"
"""Error: a status code and reason, then the sender closes the socket."""
RHE = b"RHE"
"""ReverseHello: a server that opened the socket itself announces its URI."""
OPN = b"OPN"
"""OpenSecureChannel, asymmetric security header."""
CLO = b"CLO"
"""CloseSecureChannel, symmetric security header."""
MSG = b"MSG"
"""A service request or response, symmetric security header."""

MESSAGE_TYPES = frozenset((HEL, ACK, ERR, RHE, OPN, CLO, MSG))
"""Every message type a chunk header may carry."""

CONNECTION_TYPES = frozenset((HEL, ACK, ERR, RHE))
"""UA Connection Protocol messages: never chunked, always chunk type ``F``."""

SECURE_TYPES = frozenset((OPN, CLO, MSG))
"""UA Secure Conversation messages: secure channel id, security header, body."""

CHUNK_FINAL = ord("F")
CHUNK_INTERMEDIATE = ord("C")
CHUNK_ABORT = ord("A")
CHUNK_TYPES = frozenset((CHUNK_FINAL, CHUNK_INTERMEDIATE, CHUNK_ABORT))

MESSAGE_TYPE_NAMES: Mapping[bytes, str] = MappingProxyType(
    {
        b"HEL": "hello",
        b"ACK": "acknowledge",
        b"ERR": "error",
        b"RHE": "reverse_hello",
        b"OPN": "open_secure_channel",
        b"CLO": "close_secure_channel",
        b"MSG": "message",
    }
)

# --- security (Part 7 security policies; Part 4 7.20 MessageSecurityMode) ----

SECURITY_POLICY_PREFIX = "http://opcfoundation.org/UA/SecurityPolicy#"
SECURITY_POLICY_NONE = SECURITY_POLICY_PREFIX + "None"
"""The policy of a channel without signing or encryption: bodies are readable."""


class MessageSecurityMode(IntEnum):
    """How the messages of a channel are protected (Part 4 7.20)."""

    INVALID = 0
    NONE = 1
    SIGN = 2
    SIGN_AND_ENCRYPT = 3


SECURITY_MODE_NAMES: Mapping[int, str] = MappingProxyType(
    {0: "Invalid", 1: "None", 2: "Sign", 3: "SignAndEncrypt"}
)
"""Security mode -> the name Part 4 gives it (how operators know them)."""


class SecurityTokenRequestType(IntEnum):
    """OpenSecureChannel request type (Part 4 5.5.2.2)."""

    ISSUE = 0
    RENEW = 1


class ApplicationType(IntEnum):
    """ApplicationDescription.applicationType (Part 4 7.2)."""

    SERVER = 0
    CLIENT = 1
    CLIENT_AND_SERVER = 2
    DISCOVERY_SERVER = 3


class UserTokenType(IntEnum):
    """UserTokenPolicy.tokenType (Part 4 7.42)."""

    ANONYMOUS = 0
    USERNAME = 1
    CERTIFICATE = 2
    ISSUED_TOKEN = 3


class ServerState(IntEnum):
    """ServerStatusDataType.state (Part 5 12.6)."""

    RUNNING = 0
    FAILED = 1
    NO_CONFIGURATION = 2
    SUSPENDED = 3
    SHUTDOWN = 4
    TEST = 5
    COMMUNICATION_FAULT = 6
    UNKNOWN = 7


class TimestampsToReturn(IntEnum):
    """ReadRequest.timestampsToReturn (Part 4 7.40)."""

    SOURCE = 0
    SERVER = 1
    BOTH = 2
    NEITHER = 3


class BuiltInType(IntEnum):
    """Built-in type ids of a Variant's encoding mask (Part 6 5.1.2, Table 1)."""

    BOOLEAN = 1
    SBYTE = 2
    BYTE = 3
    INT16 = 4
    UINT16 = 5
    INT32 = 6
    UINT32 = 7
    INT64 = 8
    UINT64 = 9
    FLOAT = 10
    DOUBLE = 11
    STRING = 12
    DATETIME = 13
    GUID = 14
    BYTESTRING = 15
    XML_ELEMENT = 16
    NODE_ID = 17
    EXPANDED_NODE_ID = 18
    STATUS_CODE = 19
    QUALIFIED_NAME = 20
    LOCALIZED_TEXT = 21
    EXTENSION_OBJECT = 22
    DATA_VALUE = 23
    VARIANT = 24
    DIAGNOSTIC_INFO = 25


class NodeIdForm(IntEnum):
    """NodeId encoding byte, low nibble (Part 6 5.2.2.9)."""

    TWO_BYTE = 0
    FOUR_BYTE = 1
    NUMERIC = 2
    STRING = 3
    GUID = 4
    BYTESTRING = 5


EXPANDED_NAMESPACE_URI_FLAG = 0x80
EXPANDED_SERVER_INDEX_FLAG = 0x40

ATTRIBUTE_VALUE = 13
"""AttributeId of a variable's value (Part 4 A.1 / Part 6 A.1)."""

# --- well-known nodes (NodeIds.csv) --------------------------------------------

SERVER_STATUS = 2256
"""Server_ServerStatus: a ServerStatusDataType."""
BUILD_INFO = 2260
"""Server_ServerStatus_BuildInfo: a BuildInfo."""
BUILD_INFO_PRODUCT_NAME = 2261
BUILD_INFO_PRODUCT_URI = 2262
BUILD_INFO_MANUFACTURER_NAME = 2263
BUILD_INFO_SOFTWARE_VERSION = 2264
BUILD_INFO_BUILD_NUMBER = 2265
BUILD_INFO_BUILD_DATE = 2266

IDENTITY_NODES = frozenset((SERVER_STATUS, *range(BUILD_INFO, BUILD_INFO_BUILD_DATE + 1)))
"""The Server object's variables that say what product the server is: ServerStatus
and BuildInfo with its children.  StartTime, CurrentTime and State (2257-2259)
are left out: clients poll them as keep-alives and they name no product."""

SERVER_STATUS_ENCODING = 864
"""ServerStatusDataType_Encoding_DefaultBinary: the ExtensionObject type id."""
BUILD_INFO_ENCODING = 340
"""BuildInfo_Encoding_DefaultBinary."""
ANONYMOUS_IDENTITY_TOKEN_ENCODING = 321
"""AnonymousIdentityToken_Encoding_DefaultBinary (ActivateSession without a user)."""

# --- services (NodeIds.csv: <Name>Request/Response_Encoding_DefaultBinary) --

SERVICE_FAULT = 397
"""ServiceFault_Encoding_DefaultBinary: the answer to any request that failed."""

_SERVICES: tuple[tuple[int, int, str, str], ...] = (
    # Discovery service set (Part 4 5.5).  RegisterServer is a server announcing
    # itself to a discovery server: discovery, like the rest of the set.
    (422, 425, "find_servers", IDENTIFY),
    (12208, 12209, "find_servers_on_network", IDENTIFY),
    (428, 431, "get_endpoints", IDENTIFY),
    (437, 440, "register_server", IDENTIFY),
    (12211, 12212, "register_server2", IDENTIFY),
    # SecureChannel and Session service sets (5.6, 5.7).
    (446, 449, "open_secure_channel", SESSION),
    (452, 455, "close_secure_channel", SESSION),
    (461, 464, "create_session", SESSION),
    (467, 470, "activate_session", SESSION),
    (473, 476, "close_session", SESSION),
    (479, 482, "cancel", SESSION),
    # NodeManagement (5.8): changes the address space.
    (488, 491, "add_nodes", WRITE),
    (494, 497, "add_references", WRITE),
    (500, 503, "delete_nodes", WRITE),
    (506, 509, "delete_references", WRITE),
    # View and Query (5.9, 5.10).
    (527, 530, "browse", READ),
    (533, 536, "browse_next", READ),
    (554, 557, "translate_browse_paths", READ),
    (560, 563, "register_nodes", READ),
    (566, 569, "unregister_nodes", READ),
    (615, 618, "query_first", READ),
    (621, 624, "query_next", READ),
    # Attribute (5.11).
    (631, 634, "read", READ),
    (664, 667, "history_read", READ),
    (673, 676, "write", WRITE),
    (700, 703, "history_update", WRITE),
    # Method (5.12): runs server code, which on a controller acts on the process.
    (712, 715, "call", CONTROL),
    # MonitoredItem and Subscription (5.13, 5.14): set up and fetch data reads.
    (751, 754, "create_monitored_items", READ),
    (763, 766, "modify_monitored_items", READ),
    (769, 772, "set_monitoring_mode", READ),
    (775, 778, "set_triggering", READ),
    (781, 784, "delete_monitored_items", READ),
    (787, 790, "create_subscription", READ),
    (793, 796, "modify_subscription", READ),
    (799, 802, "set_publishing_mode", READ),
    (826, 829, "publish", READ),
    (832, 835, "republish", READ),
    (841, 844, "transfer_subscriptions", READ),
    (847, 850, "delete_subscriptions", READ),
)

REQUEST_NAMES: Mapping[int, str] = MappingProxyType({req: name for req, _, name, _ in _SERVICES})
"""Request encoding id -> snake_case operation name (``create_session``)."""

RESPONSE_NAMES: Mapping[int, str] = MappingProxyType(
    {resp: name for _, resp, name, _ in _SERVICES} | {SERVICE_FAULT: "service_fault"}
)
"""Response encoding id -> the operation it answers (``service_fault`` for 397)."""

REQUEST_CATEGORIES: Mapping[int, str] = MappingProxyType(
    {req: category for req, _, _, category in _SERVICES}
)
"""Request encoding id -> policy category."""

RESPONSE_OF: Mapping[int, int] = MappingProxyType({req: resp for req, resp, _, _ in _SERVICES})
"""Request encoding id -> the encoding id of its response."""

DISCOVERY_REQUESTS = frozenset((422, 12208, 428))
"""FindServers, FindServersOnNetwork, GetEndpoints: the services Part 4 5.5.1
lets any client call over a channel without security (SecurityPolicy None)."""

DISCOVERY_RESPONSES = frozenset(RESPONSE_OF[r] for r in DISCOVERY_REQUESTS)

# --- status codes (StatusCode.csv; the transport, security and session ones) ---

_STATUS: tuple[tuple[int, str], ...] = (
    (0x00000000, "good"),
    (0x80010000, "bad_unexpected_error"),
    (0x80020000, "bad_internal_error"),
    (0x80030000, "bad_out_of_memory"),
    (0x80040000, "bad_resource_unavailable"),
    (0x80050000, "bad_communication_error"),
    (0x80060000, "bad_encoding_error"),
    (0x80070000, "bad_decoding_error"),
    (0x80080000, "bad_encoding_limits_exceeded"),
    (0x800A0000, "bad_timeout"),
    (0x800B0000, "bad_service_unsupported"),
    (0x800C0000, "bad_shutdown"),
    (0x800D0000, "bad_server_not_connected"),
    (0x800E0000, "bad_server_halted"),
    (0x800F0000, "bad_nothing_to_do"),
    (0x80100000, "bad_too_many_operations"),
    (0x80110000, "bad_data_type_id_unknown"),
    (0x80120000, "bad_certificate_invalid"),
    (0x80130000, "bad_security_checks_failed"),
    (0x80140000, "bad_certificate_time_invalid"),
    (0x80170000, "bad_certificate_uri_invalid"),
    (0x801A0000, "bad_certificate_untrusted"),
    (0x801D0000, "bad_certificate_revoked"),
    (0x801F0000, "bad_user_access_denied"),
    (0x80200000, "bad_identity_token_invalid"),
    (0x80210000, "bad_identity_token_rejected"),
    (0x80220000, "bad_secure_channel_id_invalid"),
    (0x80230000, "bad_invalid_timestamp"),
    (0x80240000, "bad_nonce_invalid"),
    (0x80250000, "bad_session_id_invalid"),
    (0x80260000, "bad_session_closed"),
    (0x80270000, "bad_session_not_activated"),
    (0x80280000, "bad_subscription_id_invalid"),
    (0x802A0000, "bad_request_header_invalid"),
    (0x80340000, "bad_node_id_unknown"),
    (0x80350000, "bad_attribute_id_invalid"),
    (0x803A0000, "bad_not_readable"),
    (0x803B0000, "bad_not_writable"),
    (0x803D0000, "bad_not_supported"),
    (0x80530000, "bad_request_type_invalid"),
    (0x80540000, "bad_security_mode_rejected"),
    (0x80550000, "bad_security_policy_rejected"),
    (0x80560000, "bad_too_many_sessions"),
    (0x80570000, "bad_user_signature_invalid"),
    (0x80580000, "bad_application_signature_invalid"),
    (0x807D0000, "bad_tcp_server_too_busy"),
    (0x807E0000, "bad_tcp_message_type_invalid"),
    (0x807F0000, "bad_tcp_secure_channel_unknown"),
    (0x80800000, "bad_tcp_message_too_large"),
    (0x80810000, "bad_tcp_not_enough_resources"),
    (0x80820000, "bad_tcp_internal_error"),
    (0x80830000, "bad_tcp_endpoint_url_invalid"),
    (0x80840000, "bad_request_interrupted"),
    (0x80850000, "bad_request_timeout"),
    (0x80860000, "bad_secure_channel_closed"),
    (0x80870000, "bad_secure_channel_token_unknown"),
    (0x80880000, "bad_sequence_number_invalid"),
    (0x80AC0000, "bad_connection_rejected"),
    (0x80AD0000, "bad_disconnect"),
    (0x80AE0000, "bad_connection_closed"),
    (0x80B70000, "bad_max_connections_reached"),
    (0x80B80000, "bad_request_too_large"),
    (0x80B90000, "bad_response_too_large"),
    (0x80BE0000, "bad_protocol_version_unsupported"),
    (0x80E60000, "bad_security_mode_insufficient"),
    (0x80EE0000, "bad_server_too_busy"),
)

STATUS_NAMES: Mapping[int, str] = MappingProxyType(dict(_STATUS))
"""StatusCode (its 16-bit code, low bits clear) -> snake_case name."""


def status_name(status: int) -> str:
    """Name of a status code; unknown ones ``status_0x80ab0000``.

    The low 16 bits carry info bits (overflow, limits), so the lookup is on the
    high half, like Part 4 7.39 defines the code.
    """
    return STATUS_NAMES.get(status & 0xFFFF0000) or f"status_0x{status:08x}"


def is_bad(status: int) -> bool:
    """Severity Bad: the top two bits are 10 (Part 4 7.39)."""
    return (status >> 30) == 2


# --- helpers -----------------------------------------------------------------


def operation_name(request_id: int) -> str:
    """The snake_case operation of a request encoding id; ``service_<id>`` when unknown."""
    return REQUEST_NAMES.get(request_id) or f"service_{request_id}"


def operation_category(request_id: int) -> str:
    """The policy category of a request encoding id; ``other`` when unknown."""
    return REQUEST_CATEGORIES.get(request_id, OTHER)


def response_name(response_id: int) -> str:
    """The operation a response encoding id answers; ``service_<id>`` when unknown."""
    return RESPONSE_NAMES.get(response_id) or f"service_{response_id}"


def security_policy_name(uri: str) -> str:
    """``Basic256Sha256`` for a standard policy URI, the URI itself otherwise."""
    if uri.startswith(SECURITY_POLICY_PREFIX):
        return uri[len(SECURITY_POLICY_PREFIX) :]
    return uri


def security_mode_name(mode: int) -> str:
    """``None``, ``Sign``, ``SignAndEncrypt`` (Part 4's names); ``mode_<n>`` when unknown."""
    return SECURITY_MODE_NAMES.get(mode) or f"mode_{mode}"


def application_type_name(application_type: int) -> str:
    """``server``, ``client``, ``client_and_server``, ``discovery_server``."""
    try:
        return ApplicationType(application_type).name.lower()
    except ValueError:
        return f"application_type_{application_type}"
