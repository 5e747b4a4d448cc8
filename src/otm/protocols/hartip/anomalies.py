"""What can be wrong with HART-IP bytes, as data (``Anomaly.kind`` values)."""

from __future__ import annotations

from enum import StrEnum


class HartIpAnomaly(StrEnum):
    """Kinds of broken HART-IP input.

    Decoders return them inside ``otm.protocols.common.Anomaly``; offsets are
    relative to the start of what was handed in (message, PDU or reply data).
    """

    TRUNCATED = "truncated"
    """The bytes end before the header, the byte count, or a field of the body."""

    UNSUPPORTED_VERSION = "unsupported_version"
    """A version other than 1 or 2."""

    UNKNOWN_MESSAGE_TYPE = "unknown_message_type"
    """A message type other than request, response, publish, error or NAK."""

    INVALID_LENGTH = "invalid_length"
    """The header's byte count is below 8, or the body does not have the length
    its message id fixes (session initiate 5, session close and keep alive 0)."""

    TRAILING_BYTES = "trailing_bytes"
    """Bytes after the byte count, after a PDU's check byte, or after the last
    command of a direct PDU."""

    BAD_DELIMITER = "bad_delimiter"
    """A token-passing PDU whose delimiter frame type is not STX, ACK or BACK, or
    more preamble octets than HART allows."""

    BAD_CHECKSUM = "bad_checksum"
    """The check byte is not the XOR of the PDU octets before it."""

    BYTE_COUNT_MISMATCH = "byte_count_mismatch"
    """A PDU or direct-PDU command byte count that cannot hold what it must (a
    reply without response code and device status)."""
