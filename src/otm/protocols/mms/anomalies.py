"""What can be wrong with ISO-on-TCP/MMS bytes, as data (``Anomaly.kind`` values)."""

from __future__ import annotations

from enum import StrEnum


class MmsAnomaly(StrEnum):
    """Kinds of broken TPKT, COTP, session, presentation, ACSE and MMS input.

    Decoders return them inside ``otm.protocols.common.Anomaly``; offsets are
    relative to the start of what was handed in (TPKT frame, TSDU, PPDU or
    MMS PDU).
    """

    TRUNCATED = "truncated"
    """The bytes end before a header, a declared length or a required element."""

    BAD_TPKT = "bad_tpkt"
    """A TPKT whose version is not 3 or whose length is below 7 (RFC 1006)."""

    BAD_COTP = "bad_cotp"
    """A COTP header that cannot be read: length indicator 0, 255, beyond the
    TPDU or too small for its code, a parameter running past the header."""

    BAD_LENGTH = "bad_length"
    """A BER length in a form otm does not read: indefinite (0x80), or more
    than four length octets."""

    BAD_TAG = "bad_tag"
    """A BER tag number longer than four octets (no OSI or MMS type has one)."""

    UNEXPECTED_TAG = "unexpected_tag"
    """An element whose tag the grammar does not allow where it stands (a CP
    that is not a SET, an MMS PDU tag above 13, an invoke id that is no INTEGER)."""

    BAD_VALUE = "bad_value"
    """An element of the right tag with an impossible value: an empty INTEGER,
    a bit string with more than 7 unused bits, an OBJECT IDENTIFIER that ends
    inside a sub-identifier."""

    UNKNOWN_SPDU = "unknown_spdu"
    """A session SPDU identifier otm does not know, or a data transfer SPDU
    without the token SPDU that must precede it (ISO 8327-1, 6.3.7)."""

    BAD_SPDU = "bad_spdu"
    """A session parameter that runs past its SPDU or parameter group, or more
    parameters than ``session.MAX_PARAMETERS``."""

    TRAILING_BYTES = "trailing_bytes"
    """Bytes after everything a length or the grammar accounts for."""

    TSDU_OVERFLOW = "tsdu_overflow"
    """The TSDU reassembler dropped a chain of COTP data units over its byte bound."""
