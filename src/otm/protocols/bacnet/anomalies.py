"""What can be wrong with BACnet bytes, as data (``Anomaly.kind`` values)."""

from __future__ import annotations

from enum import StrEnum


class BacnetAnomaly(StrEnum):
    """Kinds of broken BACnet input.

    Decoders return them inside ``otm.protocols.common.Anomaly``; offsets are
    relative to the start of what was handed in (BVLL message, NPDU, APDU or
    service data).
    """

    TRUNCATED = "truncated"
    """The bytes end inside a header, a declared length or a required field."""

    BAD_BVLC_TYPE = "bad_bvlc_type"
    """The first octet is not 0x81 (BACnet/IP): not BACnet/IP, or BACnet/IPv6
    (0x82), whose BVLL otm does not decode."""

    BAD_BVLC_LENGTH = "bad_bvlc_length"
    """The BVLC length is not the datagram's size (``codec.check_bvlc_length``;
    the datagram is decoded all the same, as Wireshark does)."""

    UNKNOWN_BVLC_FUNCTION = "unknown_bvlc_function"
    """A BVLL function above 0x0C (Annex J.2 defines 0x00-0x0C)."""

    BAD_NPDU_VERSION = "bad_npdu_version"
    """The NPDU protocol version is not 1 (6.2.1)."""

    INVALID_ADDRESS = "invalid_address"
    """An NPDU source with SLEN 0, or a source or destination network 0 /
    a source network 0xFFFF, which 6.2.2 forbids."""

    UNKNOWN_PDU_TYPE = "unknown_pdu_type"
    """APDU types 8-15 are not defined (20.1.1)."""

    BAD_TAG = "bad_tag"
    """A tag octet 20.2.1 cannot produce: extended tag number 255, an
    application tag with opening/closing LVT, a length beyond the data."""

    TAG_MISMATCH = "tag_mismatch"
    """A closing tag without its opening tag, of another number, or missing at
    the end of the data."""

    TOO_DEEP = "too_deep"
    """Constructed values nested beyond ``tags.MAX_DEPTH``."""

    BAD_VALUE = "bad_value"
    """A primitive whose length its datatype forbids (a REAL not 4 octets, a
    BOOLEAN above 1, a character string without its character set ...)."""

    MISSING_PARAMETER = "missing_parameter"
    """A service's required parameter is absent or has the wrong tag or type."""

    TRAILING_BYTES = "trailing_bytes"
    """Bytes after the last field of a message whose layout is fixed."""

    SEGMENT_OUT_OF_ORDER = "segment_out_of_order"
    """A segment that does not continue the message being reassembled (a lost
    segment, or a first segment whose sequence number is not 0)."""

    SEGMENTS_EXCEEDED = "segments_exceeded"
    """A segmented message beyond ``segmentation.MAX_SEGMENTS`` segments or
    ``segmentation.MAX_MESSAGE_BYTES`` octets."""

    BAD_LLC = "bad_llc"
    """An ISO 8802-2 frame that is not DSAP/SSAP 0x82 with UI control."""
