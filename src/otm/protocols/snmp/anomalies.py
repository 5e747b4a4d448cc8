"""What can be wrong with SNMP bytes, as data (``Anomaly.kind`` values)."""

from __future__ import annotations

from enum import StrEnum

from otm.protocols.ber import BerKinds


class SnmpAnomaly(StrEnum):
    """Kinds of broken SNMP input.

    Decoders return them inside ``otm.protocols.common.Anomaly``; offsets are
    indices into the datagram handed in.
    """

    TRUNCATED = "truncated"
    """The bytes end inside a tag, a length, or the contents a length declares."""

    INVALID_LENGTH = "invalid_length"
    """A BER length SNMP forbids: the indefinite form (0x80), or a long form
    of more than four length bytes (RFC 3417 section 8 requires definite
    lengths; no SNMP message comes near 4 GiB)."""

    UNEXPECTED_TAG = "unexpected_tag"
    """An element has another tag than its place in the message requires (a
    message that is not a SEQUENCE, a community that is not an OCTET STRING,
    a high tag number form ...): often simply not SNMP."""

    UNKNOWN_VERSION = "unknown_version"
    """A version other than 0 (v1), 1 (v2c) or 3 (v3); 2 was the abandoned
    party-based SNMPv2p/v2u."""

    UNKNOWN_PDU_TYPE = "unknown_pdu_type"
    """The PDU tag is not one of the nine context-specific PDU tags 0xA0-0xA8."""

    INVALID_INTEGER = "invalid_integer"
    """An INTEGER-encoded field with no content byte, more than nine, or (for
    Counter32, Gauge32, TimeTicks, Counter64, UInteger32) a value outside the
    type's unsigned range."""

    INVALID_OID = "invalid_oid"
    """An OBJECT IDENTIFIER that is empty, ends inside a sub-identifier, has a
    sub-identifier above 2^32-1 or more than 128 of them (RFC 2578 7.1.3)."""

    INVALID_VALUE = "invalid_value"
    """A variable binding value whose tag is not an SMI type (RFC 2578/3416),
    or a NULL / exception value (noSuchObject ...) with content bytes."""

    TRAILING_BYTES = "trailing_bytes"
    """Bytes after the message, or after the last element a SEQUENCE must hold."""


BER_KINDS = BerKinds(SnmpAnomaly.TRUNCATED, SnmpAnomaly.UNEXPECTED_TAG, SnmpAnomaly.INVALID_LENGTH)
"""How ``otm.protocols.ber.read_tlv`` reports broken BER in an SNMP message."""
