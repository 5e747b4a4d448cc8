"""What can be wrong with a CDP packet, as data (``Anomaly.kind`` values)."""

from __future__ import annotations

from enum import StrEnum


class CdpAnomaly(StrEnum):
    """Kinds of broken CDP input; offsets are relative to the CDP header.

    A bad checksum is not an anomaly of the decoder (``verify_checksum`` says
    it), and a TLV whose value does not fit its type's layout is kept raw.
    """

    TRUNCATED = "truncated"
    """Fewer than the 4 header bytes, or a TLV whose length runs past the end."""

    UNKNOWN_VERSION = "unknown_version"
    """A version other than 1 or 2: not a CDP packet otm knows."""

    BAD_TLV_LENGTH = "bad_tlv_length"
    """A TLV length below 4 (it counts its own 4-byte header) where the rest of
    the frame is not zero padding."""
