"""What can be wrong with DNP3 bytes, as data (``Anomaly.kind`` values)."""

from __future__ import annotations

from enum import StrEnum


class Dnp3Anomaly(StrEnum):
    """Kinds of broken DNP3 input.

    Decoders return them inside ``otm.protocols.common.Anomaly``; offsets are
    relative to the start of what was handed in (a link frame, a transport
    segment or an application fragment).
    """

    TRUNCATED = "truncated"
    """The bytes end before the 10-byte link header, before the frame its
    length byte declares, or (application layer) inside a header, a range
    field or the objects a header announces."""

    BAD_START = "bad_start"
    """The first two bytes are not the start octets 0x05 0x64: not DNP3, or
    a stream out of step."""

    INVALID_LENGTH = "invalid_length"
    """The link length byte is below 5 (it counts control, destination and
    source at least)."""

    BAD_HEADER_CRC = "bad_header_crc"
    """The CRC after the 8-byte link header does not match it: the length,
    control and addresses cannot be trusted."""

    BAD_DATA_CRC = "bad_data_crc"
    """The CRC after a block of user data (16 bytes, the last block shorter)
    does not match the block."""

    TRAILING_BYTES = "trailing_bytes"
    """Bytes after the frame the length byte declares (decoding one frame)."""

    UNKNOWN_LINK_FUNCTION = "unknown_link_function"
    """A link function code not defined for the frame's PRM bit (primary
    5-8 and 10-15, secondary 2-10, 12 and 13)."""

    MISSING_USER_DATA = "missing_user_data"
    """A (un)confirmed user data frame (primary functions 3, 4) without one
    byte of user data: there is no transport header."""

    UNEXPECTED_USER_DATA = "unexpected_user_data"
    """User data in a frame whose function carries none (link resets, tests,
    status requests and every secondary frame)."""

    TRANSPORT_NO_FIRST = "transport_no_first"
    """A transport segment without FIR while no fragment is being collected:
    its first segment was lost or never sent."""

    TRANSPORT_SEQUENCE = "transport_sequence"
    """A transport segment whose sequence number does not follow the previous
    segment of the fragment: the fragment is dropped (IEEE 1815-2012, clause 8)."""

    FRAGMENT_DISCARDED = "fragment_discarded"
    """A new first segment (FIR) arrived before the fragment being collected
    had its final one (FIN): the partial fragment is dropped."""

    FRAGMENT_TOO_LARGE = "fragment_too_large"
    """Transport segments add up to more than the reassembly bound
    (``reassembly.MAX_FRAGMENT``)."""

    INVALID_QUALIFIER = "invalid_qualifier"
    """An object header's qualifier uses a reserved bit or code (bit 7,
    prefix code 7, range codes 0xA and 0xC-0xF)."""

    INVALID_RANGE = "invalid_range"
    """A start-stop range whose stop is below its start."""
