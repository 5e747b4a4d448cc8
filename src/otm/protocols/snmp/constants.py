"""SNMP codes, their snake_case names and the policy categories of the PDUs.

Sources: RFC 1157 (SNMPv1 message, Trap-PDU, generic traps), RFC 3416
(SNMPv2 PDUs: GetBulkRequest, InformRequest, SNMPv2-Trap, Report, error
statuses 0-18, exceptions noSuchObject/noSuchInstance/endOfMibView), RFC
3417 (BER transport mapping), RFC 2578 (SMIv2 application types), RFC 1155
(SMIv1 types NsapAddress/UInteger32 of the v2 drafts), RFC 3412 (SNMPv3
message, msgFlags, security models), RFC 3414 (USM security parameters),
RFC 1213 / RFC 3418 (the system group).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from types import MappingProxyType

from otm.protocols.common import OTHER, READ, WRITE

AGENT_PORT = 161
"""UDP port agents listen on for requests (RFC 3417 section 3)."""

TRAP_PORT = 162
"""UDP port managers (notification receivers) listen on for traps and informs."""

MAX_OID_ARCS = 128
"""Sub-identifiers an OID may have (RFC 2578 section 7.1.3)."""

MAX_SUBID = 0xFFFFFFFF
"""Largest sub-identifier value (RFC 2578 section 7.1.3: 2^32-1)."""

MAX_INTEGER_BYTES = 9
"""Content bytes of the longest INTEGER SNMP needs: a Counter64 above 2^63
takes eight value bytes plus a leading zero."""

ENTERPRISES = "1.3.6.1.4.1"
"""The private enterprises arc: ``1.3.6.1.4.1.N`` belongs to IANA enterprise N."""


class Version(IntEnum):
    """The version INTEGER that opens every message."""

    V1 = 0
    V2C = 1
    V3 = 3


VERSION_NAMES: Mapping[int, str] = MappingProxyType({0: "v1", 1: "v2c", 3: "v3"})


class PduType(IntEnum):
    """Context-specific constructed tags of the PDUs (RFC 1157, RFC 3416 section 3)."""

    GET_REQUEST = 0xA0
    GET_NEXT_REQUEST = 0xA1
    RESPONSE = 0xA2
    SET_REQUEST = 0xA3
    TRAP = 0xA4
    GET_BULK_REQUEST = 0xA5
    INFORM_REQUEST = 0xA6
    SNMPV2_TRAP = 0xA7
    REPORT = 0xA8


class ValueType(IntEnum):
    """Tags of variable binding values: ASN.1 universal, SMI application, v2 exceptions."""

    INTEGER = 0x02
    OCTET_STRING = 0x04
    NULL = 0x05
    OBJECT_IDENTIFIER = 0x06
    IP_ADDRESS = 0x40
    COUNTER32 = 0x41
    GAUGE32 = 0x42
    TIMETICKS = 0x43
    OPAQUE = 0x44
    NSAP_ADDRESS = 0x45
    COUNTER64 = 0x46
    UINTEGER32 = 0x47
    NO_SUCH_OBJECT = 0x80
    NO_SUCH_INSTANCE = 0x81
    END_OF_MIB_VIEW = 0x82


INTEGER_TYPES = frozenset({ValueType.INTEGER})
UNSIGNED_LIMITS: Mapping[int, int] = MappingProxyType(
    {
        ValueType.COUNTER32: 0xFFFFFFFF,
        ValueType.GAUGE32: 0xFFFFFFFF,
        ValueType.TIMETICKS: 0xFFFFFFFF,
        ValueType.UINTEGER32: 0xFFFFFFFF,
        ValueType.COUNTER64: 0xFFFFFFFFFFFFFFFF,
    }
)
"""Unsigned SMI types and their largest value (RFC 2578 7.1.6-7.1.10)."""

BYTES_TYPES = frozenset(
    {ValueType.OCTET_STRING, ValueType.IP_ADDRESS, ValueType.OPAQUE, ValueType.NSAP_ADDRESS}
)
"""Value types whose contents are kept as bytes."""

EMPTY_TYPES = frozenset(
    {
        ValueType.NULL,
        ValueType.NO_SUCH_OBJECT,
        ValueType.NO_SUCH_INSTANCE,
        ValueType.END_OF_MIB_VIEW,
    }
)
"""Value types that carry no content (their value is None)."""

VALUE_TYPE_NAMES: Mapping[int, str] = MappingProxyType(
    {
        ValueType.INTEGER: "integer",
        ValueType.OCTET_STRING: "octet_string",
        ValueType.NULL: "null",
        ValueType.OBJECT_IDENTIFIER: "object_identifier",
        ValueType.IP_ADDRESS: "ip_address",
        ValueType.COUNTER32: "counter32",
        ValueType.GAUGE32: "gauge32",
        ValueType.TIMETICKS: "timeticks",
        ValueType.OPAQUE: "opaque",
        ValueType.NSAP_ADDRESS: "nsap_address",
        ValueType.COUNTER64: "counter64",
        ValueType.UINTEGER32: "uinteger32",
        ValueType.NO_SUCH_OBJECT: "no_such_object",
        ValueType.NO_SUCH_INSTANCE: "no_such_instance",
        ValueType.END_OF_MIB_VIEW: "end_of_mib_view",
    }
)


# --- operations ---------------------------------------------------------------------

_PDU_OPERATIONS: tuple[tuple[PduType, str, str], ...] = (
    (PduType.GET_REQUEST, "get", READ),
    (PduType.GET_NEXT_REQUEST, "get_next", READ),
    (PduType.RESPONSE, "response", OTHER),
    (PduType.SET_REQUEST, "set", WRITE),
    (PduType.TRAP, "trap", OTHER),
    (PduType.GET_BULK_REQUEST, "get_bulk", READ),
    (PduType.INFORM_REQUEST, "inform", OTHER),
    (PduType.SNMPV2_TRAP, "trap", OTHER),
    (PduType.REPORT, "report", OTHER),
)

PDU_NAMES: Mapping[int, str] = MappingProxyType({t: n for t, n, _ in _PDU_OPERATIONS})
"""PDU tag -> operation name (v1 Trap and SNMPv2-Trap are both ``trap``)."""

PDU_CATEGORIES: Mapping[int, str] = MappingProxyType({t: c for t, _, c in _PDU_OPERATIONS})
"""PDU tag -> policy category: gets read, set writes, notifications ``other``."""

MANAGER_PDUS = frozenset(
    {PduType.GET_REQUEST, PduType.GET_NEXT_REQUEST, PduType.GET_BULK_REQUEST, PduType.SET_REQUEST}
)
"""PDUs a manager (the client) sends to an agent."""

AGENT_PDUS = frozenset(
    {PduType.RESPONSE, PduType.TRAP, PduType.SNMPV2_TRAP, PduType.INFORM_REQUEST, PduType.REPORT}
)
"""PDUs an agent (the server) sends: responses, reports and notifications.

An InformRequest also flows manager to manager (RFC 3416 4.2.7); otm treats
its sender as the agent, as the ground truth's rule does."""

ENCRYPTED = "encrypted"
"""Operation name of an SNMPv3 message whose scoped PDU is encrypted."""


def pdu_name(pdu_type: int) -> str:
    """``get``, ``set``, ``trap`` ...; ``pdu_0x..`` for a tag outside 0xA0-0xA8."""
    return PDU_NAMES.get(pdu_type, f"pdu_0x{pdu_type:02x}")


def pdu_category(pdu_type: int) -> str:
    """The policy category of a PDU type (``other`` when unknown)."""
    return PDU_CATEGORIES.get(pdu_type, OTHER)


class ErrorStatus(IntEnum):
    """error-status values (RFC 1157 4.1.1 for 0-5, RFC 3416 section 3 for 6-18)."""

    NO_ERROR = 0
    TOO_BIG = 1
    NO_SUCH_NAME = 2
    BAD_VALUE = 3
    READ_ONLY = 4
    GEN_ERR = 5
    NO_ACCESS = 6
    WRONG_TYPE = 7
    WRONG_LENGTH = 8
    WRONG_ENCODING = 9
    WRONG_VALUE = 10
    NO_CREATION = 11
    INCONSISTENT_VALUE = 12
    RESOURCE_UNAVAILABLE = 13
    COMMIT_FAILED = 14
    UNDO_FAILED = 15
    AUTHORIZATION_ERROR = 16
    NOT_WRITABLE = 17
    INCONSISTENT_NAME = 18


def error_status_name(status: int) -> str:
    """``no_error``, ``no_such_name`` ...; ``error_status_N`` when unknown."""
    try:
        return ErrorStatus(status).name.lower()
    except ValueError:
        return f"error_status_{status}"


class GenericTrap(IntEnum):
    """generic-trap values of the SNMPv1 Trap-PDU (RFC 1157 4.1.6)."""

    COLD_START = 0
    WARM_START = 1
    LINK_DOWN = 2
    LINK_UP = 3
    AUTHENTICATION_FAILURE = 4
    EGP_NEIGHBOR_LOSS = 5
    ENTERPRISE_SPECIFIC = 6


def generic_trap_name(value: int) -> str:
    """``cold_start`` ... ``enterprise_specific``; ``generic_trap_N`` when unknown."""
    try:
        return GenericTrap(value).name.lower()
    except ValueError:
        return f"generic_trap_{value}"


class SecurityModel(IntEnum):
    """msgSecurityModel values (RFC 3411 5; 3 is the User-based Security Model)."""

    SNMPV1 = 1
    SNMPV2C = 2
    USM = 3
    TSM = 4


MSG_FLAG_AUTH = 0x01
MSG_FLAG_PRIV = 0x02
MSG_FLAG_REPORTABLE = 0x04
"""msgFlags bits (RFC 3412 6.4): authentication, privacy (encryption), reportable."""


# --- the system group (RFC 3418, MIB-II 1.3.6.1.2.1.1) -------------------------------

SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_UP_TIME = "1.3.6.1.2.1.1.3.0"
SYS_CONTACT = "1.3.6.1.2.1.1.4.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
SYS_LOCATION = "1.3.6.1.2.1.1.6.0"
SYS_SERVICES = "1.3.6.1.2.1.1.7.0"

SYSTEM_GROUP_PREFIX = b"\x06\x08\x2b\x06\x01\x02\x01\x01"
"""BER of an 8-arc OID under 1.3.6.1.2.1.1 (``06 08 2B 06 01 02 01 01``): the
first bytes of every ``sysXxx.0`` variable name, for a cheap ``in`` test."""
