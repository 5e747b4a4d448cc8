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


# -- operation categories -------------------------------------------------------
# Every codec sorts what a client asks into these policy categories; detection
# and the inventory reason with the category, never with protocol codes.

READ = "read"
"""Reads process data, configuration or status."""
WRITE = "write"
"""Changes process data or parameters."""
CONTROL = "control"
"""Changes the device's state: run/stop, restart, operate a breaker."""
PROGRAM = "program"
"""Changes or fetches the device's logic or firmware (download, upload, file transfer)."""
DIAGNOSTIC = "diagnostic"
"""Asks for counters, logs or tests, changing nothing of the process."""
IDENTIFY = "identify"
"""Asks the device who it is (identity, browse, discovery)."""
SESSION = "session"
"""Opens, keeps or closes a session or connection."""
OTHER = "other"
"""Anything else, including codes the codec does not know."""

CATEGORIES = (READ, WRITE, CONTROL, PROGRAM, DIAGNOSTIC, IDENTIFY, SESSION, OTHER)
"""Every category, in the order reports list them."""
