"""What can be wrong with Modbus/TCP bytes, as data (``Anomaly.kind`` values)."""

from __future__ import annotations

from enum import StrEnum


class ModbusAnomaly(StrEnum):
    """Kinds of broken Modbus input.

    Decoders return them inside ``otm.protocols.common.Anomaly``; offsets are
    relative to the start of what was handed in (ADU or PDU).
    """

    TRUNCATED = "truncated"
    """The bytes end before the MBAP header, its declared length, or (PDU-level
    decoding) the layout of the function code."""

    BAD_PROTOCOL_ID = "bad_protocol_id"
    """The MBAP protocol identifier is not 0: not Modbus."""

    INVALID_LENGTH = "invalid_length"
    """The MBAP length is out of range (below 2, above 255), or the PDU it
    delimits does not fit the function's layout or its own byte count (too
    short or too long for it)."""

    BYTE_COUNT_MISMATCH = "byte_count_mismatch"
    """A byte count disagrees with the quantity beside it or with the structure
    it covers (odd register bytes, file sub-requests not 7 bytes each, a
    sub-record cut by the byte count)."""

    UNKNOWN_FUNCTION = "unknown_function"
    """Function code 0, or a request code with the exception bit (0x80) set;
    codes 1-127 without a decoder are not anomalies (they decode raw)."""

    INVALID_EXCEPTION_CODE = "invalid_exception_code"
    """An exception response whose code is not one of section 7."""

    TRAILING_BYTES = "trailing_bytes"
    """Bytes beyond the MBAP length (ADU) or beyond the layout (PDU-level)."""

    TOO_MANY_OBJECTS = "too_many_objects"
    """A Read Device Identification response declares more objects than a
    largest PDU can hold (two bytes each at least)."""

    INVALID_QUANTITY = "invalid_quantity"
    """``check_values`` only: a quantity outside the range of section 6."""

    INVALID_VALUE = "invalid_value"
    """``check_values`` only: a field value the specification forbids (coil
    value other than 0x0000/0xFF00, file reference type other than 6 ...)."""
