"""What can be wrong with Omron FINS bytes, as data (``Anomaly.kind`` values)."""

from __future__ import annotations

from enum import StrEnum


class FinsAnomaly(StrEnum):
    """Kinds of broken FINS/UDP, FINS/TCP or FINS command/response input.

    Decoders return them inside ``otm.protocols.common.Anomaly``; offsets are
    relative to the bytes handed in.
    """

    TRUNCATED = "truncated"
    """The bytes end before the 10-byte FINS header and command code (12
    bytes), a response's end code (14), the 16-byte FINS/TCP header, the
    FINS/TCP length, or a command's fixed parameters."""

    BAD_HEADER = "bad_header"
    """A FINS header whose reserved parts are not zero (RSV, ICF bits 1-5,
    W342 section 3-1): the check that keeps other UDP traffic on port 9600
    from passing for FINS."""

    BAD_MAGIC = "bad_magic"
    """A FINS/TCP header that does not start with ASCII ``FINS``."""

    INVALID_LENGTH = "invalid_length"
    """A FINS/TCP length below 8 (command and error code) or above
    ``MAX_TCP_LENGTH``, or a length that disagrees with the bytes given; a
    command whose parameters have the wrong size for its layout."""

    TRAILING_BYTES = "trailing_bytes"
    """Bytes after a fixed-size parameter block or record."""
