"""What can be wrong with CC-Link IE bytes, as data (``Anomaly.kind`` values)."""

from __future__ import annotations

from enum import StrEnum


class CcLinkAnomaly(StrEnum):
    """Kinds of broken CC-Link IE input."""

    TRUNCATED = "truncated"
    """No frame type byte, or a known frame type cut before the end of its
    14-byte header (HEC included)."""
