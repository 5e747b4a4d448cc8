"""Where one TPKT ends: the framer the capture layer runs on every TCP segment to port 102.

RFC 1006 section 6: ``version u8 (3) | reserved u8 | length u16`` where the
length counts the whole packet, header included.  S7 stations never send a
TPKT shorter than 7 bytes (header plus a class 0 DT: length indicator, code,
EOT/number), so a smaller length, like any version other than 3, means the
stream is not TPKT or no longer in step.  The reserved byte is not checked
(RFC 1006 says 0; no station seen sends anything else).  At most four byte
reads, no allocation.
"""

from __future__ import annotations

from otm.protocols.common import INVALID, NEED_DATA
from otm.protocols.s7comm.constants import MIN_TPKT_LENGTH, TPKT_VERSION


def frame_length(buf: bytes, start: int = 0) -> int:
    """Declared length of the TPKT at ``buf[start:]``, NEED_DATA (0) or INVALID (-1).

    A wrong version byte is INVALID as soon as it is buffered, before the length is.
    """
    have = len(buf) - start
    if have < 1:
        return NEED_DATA
    if buf[start] != TPKT_VERSION:
        return INVALID
    if have < 4:
        return NEED_DATA
    length = (buf[start + 2] << 8) | buf[start + 3]
    if length < MIN_TPKT_LENGTH:
        return INVALID
    return length
