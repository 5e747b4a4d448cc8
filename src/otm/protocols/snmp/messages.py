"""SNMP messages as frozen dataclasses, fields in wire order, named after the RFCs.

A v1/v2c message (RFC 1157 4, RFC 1901 3)::

    SEQUENCE { version INTEGER (0 | 1), community OCTET STRING, PDU }

an SNMPv3 message (RFC 3412 6, RFC 3414 2.4)::

    SEQUENCE { msgVersion INTEGER (3),
               msgGlobalData SEQUENCE { msgID, msgMaxSize INTEGER,
                                        msgFlags OCTET STRING (1), msgSecurityModel INTEGER },
               msgSecurityParameters OCTET STRING (USM: a BER SEQUENCE inside),
               msgData: ScopedPDU SEQUENCE | encryptedPDU OCTET STRING }

and the PDUs (RFC 1157 4.1, RFC 3416 3), each a context-specific tag
0xA0-0xA8 around::

    request-id INTEGER | error-status INTEGER | error-index INTEGER | VarBindList
    (GetBulk: request-id | non-repeaters | max-repetitions | VarBindList)
    (v1 Trap: enterprise OID | agent-addr IpAddress | generic-trap INTEGER |
              specific-trap INTEGER | time-stamp TimeTicks | VarBindList)

    VarBindList = SEQUENCE OF SEQUENCE { name OID, value }
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from otm.protocols.snmp.constants import (
    VALUE_TYPE_NAMES,
    VERSION_NAMES,
    PduType,
    SecurityModel,
    error_status_name,
    generic_trap_name,
    pdu_category,
    pdu_name,
)

Value: TypeAlias = int | bytes | str | None
"""A variable binding's value: int (INTEGER, Counter32, Gauge32, TimeTicks,
Counter64, UInteger32), bytes (OCTET STRING, IpAddress, Opaque, NsapAddress),
str (OBJECT IDENTIFIER, dotted), None (NULL, noSuchObject, noSuchInstance,
endOfMibView)."""


def text_of(data: bytes) -> str:
    """Bytes an agent meant as text (DisplayString): UTF-8 where valid, else
    Latin-1; NULs and surrounding white space dropped."""
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        decoded = data.decode("latin-1")
    return decoded.replace("\x00", "").strip()


@dataclass(frozen=True, slots=True)
class VarBind:
    """One variable binding: ``name OID | value`` (``value_type`` is the value's tag)."""

    oid: str
    value_type: int
    value: Value

    @property
    def type_name(self) -> str:
        """``integer``, ``octet_string``, ``timeticks``, ``no_such_object`` ..."""
        return VALUE_TYPE_NAMES.get(self.value_type, f"type_0x{self.value_type:02x}")

    @property
    def text(self) -> str | None:
        """An OCTET STRING as text, an OID as dotted text, an IpAddress dotted; else None."""
        if isinstance(self.value, str):
            return self.value
        if isinstance(self.value, bytes):
            if self.value_type == 0x40 and len(self.value) == 4:
                return ".".join(str(b) for b in self.value)
            return text_of(self.value)
        return None


@dataclass(frozen=True, slots=True)
class Pdu:
    """GetRequest, GetNextRequest, Response, SetRequest, InformRequest,
    SNMPv2-Trap or Report: ``request-id | error-status | error-index | varbinds``."""

    pdu_type: int
    request_id: int
    error_status: int
    error_index: int
    varbinds: tuple[VarBind, ...]

    @property
    def name(self) -> str:
        """``get``, ``get_next``, ``response``, ``set``, ``inform``, ``trap`` or ``report``."""
        return pdu_name(self.pdu_type)

    @property
    def category(self) -> str:
        return pdu_category(self.pdu_type)

    @property
    def error_status_name(self) -> str:
        """``no_error``, ``no_such_name``, ``not_writable`` ..."""
        return error_status_name(self.error_status)


@dataclass(frozen=True, slots=True)
class BulkPdu:
    """GetBulkRequest (RFC 3416 4.2.3).

    ``request-id | non-repeaters | max-repetitions | varbinds``.
    """

    request_id: int
    non_repeaters: int
    max_repetitions: int
    varbinds: tuple[VarBind, ...]

    @property
    def pdu_type(self) -> int:
        return PduType.GET_BULK_REQUEST

    @property
    def name(self) -> str:
        return pdu_name(PduType.GET_BULK_REQUEST)

    @property
    def category(self) -> str:
        return pdu_category(PduType.GET_BULK_REQUEST)


@dataclass(frozen=True, slots=True)
class TrapPdu:
    """SNMPv1 Trap-PDU (RFC 1157 4.1.6).

    ``enterprise OID | agent-addr IpAddress (4 bytes) | generic-trap INTEGER |
    specific-trap INTEGER | time-stamp TimeTicks | varbinds``.
    """

    enterprise: str
    agent_address: bytes
    generic_trap: int
    specific_trap: int
    time_stamp: int
    varbinds: tuple[VarBind, ...]

    @property
    def pdu_type(self) -> int:
        return PduType.TRAP

    @property
    def name(self) -> str:
        return pdu_name(PduType.TRAP)

    @property
    def category(self) -> str:
        return pdu_category(PduType.TRAP)

    @property
    def generic_trap_name(self) -> str:
        """``cold_start``, ``link_down``, ``authentication_failure``, ``enterprise_specific`` ..."""
        return generic_trap_name(self.generic_trap)

    @property
    def agent_address_text(self) -> str:
        """The agent address dotted (hex when it is not four bytes)."""
        if len(self.agent_address) == 4:
            return ".".join(str(b) for b in self.agent_address)
        return self.agent_address.hex()


AnyPdu: TypeAlias = Pdu | BulkPdu | TrapPdu
"""Every PDU the decoder returns."""


@dataclass(frozen=True, slots=True)
class CommunityMessage:
    """An SNMPv1 (version 0) or SNMPv2c (version 1) message: ``version | community | PDU``."""

    version: int
    community: bytes
    pdu: AnyPdu

    @property
    def version_name(self) -> str:
        return VERSION_NAMES.get(self.version, str(self.version))

    @property
    def community_text(self) -> str:
        """The community as text (undecodable bytes as ``\\xNN`` escapes)."""
        return self.community.decode("utf-8", "backslashreplace")


@dataclass(frozen=True, slots=True)
class UsmSecurityParameters:
    """USM msgSecurityParameters contents (RFC 3414 2.4).

    ``SEQUENCE { msgAuthoritativeEngineID OCTET STRING |
    msgAuthoritativeEngineBoots INTEGER | msgAuthoritativeEngineTime INTEGER |
    msgUserName OCTET STRING | msgAuthenticationParameters OCTET STRING |
    msgPrivacyParameters OCTET STRING }``.
    """

    engine_id: bytes
    engine_boots: int
    engine_time: int
    user_name: bytes
    authentication_parameters: bytes
    privacy_parameters: bytes


@dataclass(frozen=True, slots=True)
class ScopedPdu:
    """SNMPv3 ScopedPDU (RFC 3412 6.8): ``contextEngineID | contextName | PDU``."""

    context_engine_id: bytes
    context_name: bytes
    pdu: AnyPdu


@dataclass(frozen=True, slots=True)
class V3Message:
    """An SNMPv3 message (RFC 3412 6); ``data`` is the ScopedPDU, or the
    encrypted scoped PDU's bytes when the privacy flag is in use.

    ``usm`` holds the decoded USM parameters when the security model is 3
    and they decode; ``security_parameters`` always keeps the raw bytes.
    """

    msg_id: int
    max_size: int
    flags: bytes
    security_model: int
    security_parameters: bytes
    usm: UsmSecurityParameters | None
    data: ScopedPdu | bytes

    @property
    def version(self) -> int:
        return 3

    @property
    def version_name(self) -> str:
        return "v3"

    @property
    def encrypted(self) -> bool:
        """True when the scoped PDU travels encrypted (an OCTET STRING)."""
        return isinstance(self.data, bytes)

    @property
    def pdu(self) -> AnyPdu | None:
        """The PDU of a plaintext message, None when encrypted."""
        return None if isinstance(self.data, bytes) else self.data.pdu

    @property
    def user_name(self) -> str | None:
        """The USM user name (text), None without USM parameters."""
        if self.usm is None:
            return None
        return self.usm.user_name.decode("utf-8", "backslashreplace")

    @property
    def security_model_name(self) -> str:
        try:
            return SecurityModel(self.security_model).name.lower()
        except ValueError:
            return f"security_model_{self.security_model}"


Message: TypeAlias = CommunityMessage | V3Message
"""Every message ``decode_message`` returns."""
