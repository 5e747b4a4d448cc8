"""Where one FINS/TCP message ends: the framer the capture layer runs on TCP 9600.

The FINS/TCP header (W421 7-2) is ``"FINS" | length u32 | command u32 |
error code u32``, the length counting the bytes after the length field, so a
message is ``8 + length`` bytes.  A byte that breaks the magic is INVALID as
soon as it is buffered; a length below 8 (command and error code) or above
``constants.MAX_TCP_LENGTH`` is INVALID too.  A handful of byte reads, no
allocation.
"""

from __future__ import annotations

from otm.protocols.common import INVALID, NEED_DATA
from otm.protocols.fins.constants import MAX_TCP_LENGTH

_MAGIC = (0x46, 0x49, 0x4E, 0x53)  # "FINS"


def frame_length(buf: bytes, start: int = 0) -> int:
    """Declared length of the FINS/TCP message at ``buf[start:]``, NEED_DATA (0) or INVALID (-1)."""
    have = len(buf) - start
    for index in range(min(have, 4)):
        if buf[start + index] != _MAGIC[index]:
            return INVALID
    if have < 8:
        return NEED_DATA
    length = int.from_bytes(buf[start + 4 : start + 8], "big")
    if length < 8 or length > MAX_TCP_LENGTH:
        return INVALID
    return 8 + length
