"""What can be wrong with an LLDPDU, as data (``Anomaly.kind`` values)."""

from __future__ import annotations

from enum import StrEnum


class LldpAnomaly(StrEnum):
    """Kinds of broken LLDP input.

    Only faults that make the whole LLDPDU unusable are anomalies (IEEE
    802.1AB-2016 9.2.7.7: a receiver discards an LLDPDU whose mandatory TLVs
    are wrong, but only the TLV itself when an optional one is); an optional
    TLV whose length does not fit its type is kept raw (``RawTlv`` /
    ``OrgTlv``) instead.  Offsets are relative to the start of the LLDPDU.
    """

    EMPTY = "empty"
    """No bytes after the EtherType."""

    TRUNCATED = "truncated"
    """The value a TLV's length announces runs past the end of the frame (a
    single byte left after the last TLV is taken for padding, not this)."""

    MISSING_MANDATORY = "missing_mandatory"
    """The LLDPDU does not start with Chassis ID, Port ID and Time To Live, in
    that order (802.1AB 8.2), or ends before all three."""

    BAD_MANDATORY_LENGTH = "bad_mandatory_length"
    """A Chassis ID or Port ID outside 2-256 bytes, or a Time To Live whose
    value is not 2 bytes (802.1AB 8.5.2-8.5.4)."""

    DUPLICATE_MANDATORY = "duplicate_mandatory"
    """A second Chassis ID, Port ID or Time To Live TLV (802.1AB 9.2.7.7.1)."""
