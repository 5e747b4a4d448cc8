"""Where one IEC 60870-5-104 APDU ends: the framer the capture layer runs on every segment.

The APCI (104 5.1) starts with 0x68 and a length octet counting the octets
that follow (4-253): the APDU is ``2 + length`` octets.  Any other first
octet, or a length out of range, means the stream is not (or no longer in
step with) IEC 104.  Two byte reads, no allocation.
"""

from __future__ import annotations

from otm.protocols.common import INVALID, NEED_DATA
from otm.protocols.iec104.constants import MAX_APDU_LENGTH, MIN_APDU_LENGTH, START


def frame_length(buf: bytes, start: int = 0) -> int:
    """Declared length of the APDU at ``buf[start:]``, NEED_DATA (0) or INVALID (-1)."""
    have = len(buf) - start
    if have < 1:
        return NEED_DATA
    if buf[start] != START:
        return INVALID
    if have < 2:
        return NEED_DATA
    length = buf[start + 1]
    if length < MIN_APDU_LENGTH or length > MAX_APDU_LENGTH:
        return INVALID
    return 2 + length
