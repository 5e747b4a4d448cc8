"""What can be wrong with a GOOSE or Sampled Values frame, as data (``Anomaly.kind``)."""

from __future__ import annotations

from enum import StrEnum

from otm.protocols.ber import BerKinds


class GooseAnomaly(StrEnum):
    """Kinds of broken GOOSE / SV input (both share the header and BER rules).

    Offsets are relative to the start of the payload after the EtherType
    (the APPID).
    """

    TRUNCATED = "truncated"
    """Fewer than the 8 header bytes, a header Length beyond the frame, or a BER
    element whose length runs past its enclosing element."""

    BAD_LENGTH = "bad_length"
    """The header Length is below 8 (it counts the header itself)."""

    UNKNOWN_PDU = "unknown_pdu"
    """The APDU is not a goosePdu (tag 0x61) or savPdu (tag 0x60): GSE
    management, or not this protocol at all."""

    BAD_TAG = "bad_tag"
    """A BER identifier in the high-tag-number form, which neither IEC 61850-8-1
    nor 9-2 uses."""

    BAD_BER_LENGTH = "bad_ber_length"
    """A BER length in the indefinite form (0x80) or longer than 4 bytes;
    both standards use definite lengths."""

    MISSING_FIELD = "missing_field"
    """A mandatory goosePdu / savPdu / ASDU field is absent."""

    DUPLICATE_FIELD = "duplicate_field"
    """A field appears twice in one goosePdu / savPdu / ASDU."""

    BAD_VALUE = "bad_value"
    """A field's content does not fit its type: an empty INTEGER, a BOOLEAN not
    1 byte, a UtcTime not 8 bytes, a bit string with more than 7 unused bits."""

    UNKNOWN_DATA_TYPE = "unknown_data_type"
    """A dataset entry whose tag is not one of the MMS Data choices."""

    TOO_DEEP = "too_deep"
    """Dataset entries nested deeper than ``data.MAX_DEPTH`` arrays/structures."""

    TRAILING_BYTES = "trailing_bytes"
    """Bytes after the PDU inside the header Length, or after the last element
    of a constructed value."""


BER_KINDS = BerKinds(GooseAnomaly.TRUNCATED, GooseAnomaly.BAD_TAG, GooseAnomaly.BAD_BER_LENGTH)
"""How ``otm.protocols.ber.read_tlv`` reports broken BER in a GOOSE/SV PDU."""
