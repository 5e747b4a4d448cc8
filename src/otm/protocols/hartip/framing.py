"""Where one HART-IP message ends on TCP: the framer the capture layer runs on every segment.

The 8-octet header (HCF_SPEC-085) ends with the byte count of the whole
message, header included.  As Wireshark's heuristic does, the framer also
checks the version (1 or 2), message type and message id octets as soon as
they are buffered, so that another protocol on port 5094 is INVALID at once
rather than framed by accident.  A handful of byte reads, no allocation.
"""

from __future__ import annotations

from otm.protocols.common import INVALID, NEED_DATA
from otm.protocols.hartip.constants import HEADER_LENGTH, MESSAGE_IDS, MESSAGE_TYPES, VERSIONS


def frame_length(buf: bytes, start: int = 0) -> int:
    """Declared length of the message at ``buf[start:]``, NEED_DATA (0) or INVALID (-1)."""
    have = len(buf) - start
    if have >= 1 and buf[start] not in VERSIONS:
        return INVALID
    if have >= 2 and buf[start + 1] not in MESSAGE_TYPES:
        return INVALID
    if have >= 3 and buf[start + 2] not in MESSAGE_IDS:
        return INVALID
    if have < HEADER_LENGTH:
        return NEED_DATA
    count = (buf[start + 6] << 8) | buf[start + 7]
    if count < HEADER_LENGTH:
        return INVALID
    return count
