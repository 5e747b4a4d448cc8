"""What can be wrong with EtherCAT bytes, as data (``Anomaly.kind`` values)."""

from __future__ import annotations

from enum import StrEnum


class EthercatAnomaly(StrEnum):
    """Kinds of broken EtherCAT input; offsets count from the frame header."""

    TRUNCATED = "truncated"
    """The bytes end before the 2-byte frame header, the length it declares,
    a datagram header, or a datagram's data and working counter."""

    UNKNOWN_TYPE = "unknown_type"
    """A frame header type other than commands (1), network variables (4) and
    mailbox (5)."""

    LENGTH_MISMATCH = "length_mismatch"
    """The datagrams (up to the one without the "more" bit) do not fill the
    frame header's length exactly, or the chain runs past it."""
