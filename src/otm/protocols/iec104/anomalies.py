"""What can be wrong with IEC 60870-5-104 bytes, as data (``Anomaly.kind`` values)."""

from __future__ import annotations

from enum import StrEnum


class Iec104Anomaly(StrEnum):
    """Kinds of broken IEC 104 input.

    Decoders return them inside ``otm.protocols.common.Anomaly``; offsets are
    relative to the start of what was handed in (APDU or ASDU).
    """

    TRUNCATED = "truncated"
    """The bytes end before the APCI, the length the APCI declares, the ASDU
    header, an information object address or an information element."""

    BAD_START = "bad_start"
    """The first octet is not the start character 0x68: not IEC 104."""

    INVALID_LENGTH = "invalid_length"
    """The APDU length octet is below 4 or above 253, or does not fit the frame
    format (an S or U frame longer than its control fields, an I frame too short
    for an ASDU header)."""

    BAD_CONTROL_FIELD = "bad_control_field"
    """Control-field bits the format fixes are wrong: a U frame without exactly
    one function bit, an S frame with a non-zero second octet, the reserved low
    bit of the receive sequence number set."""

    UNKNOWN_TYPE = "unknown_type"
    """Type identification 0 (not defined); reserved and private types decode
    raw, they are not anomalies."""

    INVALID_CAUSE = "invalid_cause"
    """Cause of transmission 0 (not defined)."""

    TRAILING_BYTES = "trailing_bytes"
    """Bytes after the information objects the qualifier's number announces, or
    after the APDU length (when an APDU is decoded from a longer buffer)."""

    SEQUENCE_ERROR = "sequence_error"
    """Sensor level: an I frame's send sequence number is not the one that
    follows its predecessor on the connection (lost, repeated or injected
    frames); the codec itself never reports it."""
