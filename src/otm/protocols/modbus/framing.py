"""Where one Modbus/TCP ADU ends: the framer the capture layer runs on every segment.

The MBAP header (Implementation Guide V1.0b, 3.1.3) declares the ADU length:
``transaction id u16 | protocol id u16 | length u16 | unit id u8 ...``, the ADU
being ``6 + length`` bytes.  The protocol id must be 0 and the length 2-255
(the specification's 254 plus one for Schneider UMAS, see
``constants.MAX_MBAP_LENGTH``); anything else means the stream is not (or no
longer in step with) Modbus.  A handful of byte reads, no allocation.
"""

from __future__ import annotations

from otm.protocols.common import INVALID, NEED_DATA
from otm.protocols.modbus.constants import MAX_MBAP_LENGTH


def frame_length(buf: bytes, start: int = 0) -> int:
    """Declared length of the ADU at ``buf[start:]``, NEED_DATA (0) or INVALID (-1).

    A nonzero protocol id byte is INVALID as soon as it is buffered, before
    the length is.
    """
    have = len(buf) - start
    if have >= 3 and buf[start + 2]:
        return INVALID
    if have >= 4 and buf[start + 3]:
        return INVALID
    if have < 6:
        return NEED_DATA
    length = (buf[start + 4] << 8) | buf[start + 5]
    if length < 2 or length > MAX_MBAP_LENGTH:
        return INVALID
    return 6 + length
