"""Where one DNP3 link frame ends: the framer the capture layer runs on every TCP segment.

DNP3 over TCP (IEEE 1815-2012, clause 13) sends link frames back to back:
``0x05 0x64 | length u8 | ...``.  The length byte counts control,
destination, source and user data (5-255), not the CRCs, so the frame is
``10 + n + 2 * ceil(n / 16)`` octets with ``n = length - 5``.  Anything
else at a frame boundary means the stream is not (or no longer in step
with) DNP3.  The CRCs are left to the sensor, which counts a bad one as an
anomaly of its own rather than as unframed bytes.  A handful of octet reads,
no allocation.
"""

from __future__ import annotations

from otm.protocols.common import INVALID, NEED_DATA

_SIZES = tuple(10 + (n - 5) + 2 * ((n - 5 + 15) // 16) if n >= 5 else INVALID for n in range(256))
"""Frame size for each length byte (INVALID below 5), computed once."""


def frame_length(buf: bytes, start: int = 0) -> int:
    """Size of the link frame at ``buf[start:]``, NEED_DATA (0) or INVALID (-1).

    A wrong start octet is INVALID as soon as it is buffered.
    """
    have = len(buf) - start
    if have < 1:
        return NEED_DATA
    if buf[start] != 0x05:
        return INVALID
    if have < 2:
        return NEED_DATA
    if buf[start + 1] != 0x64:
        return INVALID
    if have < 3:
        return NEED_DATA
    return _SIZES[buf[start + 2]]
