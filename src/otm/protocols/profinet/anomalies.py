"""What can be wrong with PROFINET RT or DCP bytes, as data (``Anomaly.kind`` values)."""

from __future__ import annotations

from enum import StrEnum


class ProfinetAnomaly(StrEnum):
    """Kinds of broken PROFINET input; offsets count from the FrameID (from the
    start of the block value for what ``block_value`` reports)."""

    TRUNCATED = "truncated"
    """The frame ends before the FrameID, the APDU status of a cyclic frame,
    the DCP header, the DCPDataLength it declares, or a block's header."""

    NOT_DCP = "not_dcp"
    """``decode_dcp`` was given a frame whose FrameID is not 0xFEFC-0xFEFF."""

    UNKNOWN_SERVICE = "unknown_service"
    """A DCP ServiceID other than Get, Set, Identify and Hello (3-6)."""

    UNKNOWN_SERVICE_TYPE = "unknown_service_type"
    """A DCP ServiceType other than request (0), success (1), unsupported (5)."""

    BAD_BLOCK_LENGTH = "bad_block_length"
    """A DCPBlockLength that runs past DCPDataLength, or one too short or too
    long for the value its option and suboption define (an IP parameter
    that is not 12 bytes, a device id that is not 4 ...)."""
