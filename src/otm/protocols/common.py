"""What every codec shares: the framing verdicts and the anomaly record.

Codecs never raise on bad bytes: a decoder returns either a message or an
``Anomaly`` whose ``kind`` is a member of that protocol's anomaly enum.
A framer says how long the next PDU is from its header alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

NEED_DATA = 0
"""Framer verdict: too few bytes to read the length from the header yet."""

INVALID = -1
"""Framer verdict: the bytes cannot start a PDU of this protocol."""


@dataclass(frozen=True, slots=True)
class Anomaly:
    """Broken input as data: which kind, a short human detail, where in the PDU."""

    kind: StrEnum
    detail: str = ""
    offset: int = 0
