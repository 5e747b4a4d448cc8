"""What can be wrong with TPKT/COTP/S7comm bytes, as data (``Anomaly.kind`` values)."""

from __future__ import annotations

from enum import StrEnum


class S7Anomaly(StrEnum):
    """Kinds of broken TPKT, COTP, S7comm and S7comm-plus input.

    Decoders return them inside ``otm.protocols.common.Anomaly``; offsets are
    relative to the start of what was handed in (TPKT frame, COTP TPDU, S7
    PDU, userdata payload or SZL payload).
    """

    TRUNCATED = "truncated"
    """The bytes end before a header, a declared length or a layout."""

    BAD_TPKT_VERSION = "bad_tpkt_version"
    """TPKT version is not 3 (RFC 1006): not TPKT, or out of step."""

    INVALID_LENGTH = "invalid_length"
    """A length field is impossible: TPKT length below 7, COTP length indicator
    beyond the TPKT, S7 parameter/data lengths that disagree with the PDU, a
    userdata parameter length that is not 4 + what follows it."""

    BAD_COTP = "bad_cotp"
    """A COTP header that cannot be read: length indicator too small for its
    TPDU code, a parameter running past the header."""

    BAD_PROTOCOL_ID = "bad_protocol_id"
    """The COTP payload does not start with 0x32 (S7comm) or 0x72 (S7comm-plus)."""

    UNKNOWN_ROSCTR = "unknown_rosctr"
    """ROSCTR other than 1, 2, 3, 7."""

    UNKNOWN_FUNCTION = "unknown_function"
    """A job or ack_data whose parameter part is empty where a function is
    required; unknown function codes themselves decode raw, not as anomalies."""

    ITEM_COUNT_MISMATCH = "item_count_mismatch"
    """The item count disagrees with the items present (parameter and data)."""

    BAD_ITEM = "bad_item"
    """A read/write item whose variable specification is not 0x12 or whose
    length does not fit its syntax id."""

    BAD_USERDATA = "bad_userdata"
    """A userdata parameter too short for its head, or a data part of 1-3 bytes."""

    BAD_SZL = "bad_szl"
    """An SZL payload whose records do not fit (record length, count and bytes
    disagree) or whose id is not the one a specific decoder reads."""

    TRAILING_BYTES = "trailing_bytes"
    """Bytes after everything a length field or layout accounts for."""

    FRAGMENT_OVERFLOW = "fragment_overflow"
    """The userdata reassembler dropped a fragment chain over its byte or chain bound."""
