"""Where one EtherNet/IP encapsulation message ends in a TCP stream.

Every message starts with the 24-byte encapsulation header whose bytes 2-3
hold the length (little-endian) of the data that follows, so a message is
``24 + length`` bytes.  The specification caps the data at 65511 bytes (the
whole message then fits a 16-bit length), which is also our bound.
"""

from __future__ import annotations

from otm.protocols.common import INVALID, NEED_DATA
from otm.protocols.enip.constants import COMMAND_NAMES, HEADER_LENGTH, MAX_DATA_LENGTH


def frame_length(buf: bytes, start: int = 0) -> int:
    """Declared length of the encapsulation message at ``start`` (Framer contract).

    INVALID when the command is not a known encapsulation command (a stream
    that is not EtherNet/IP) or the length exceeds the maximum.
    """
    if len(buf) - start < 4:
        return NEED_DATA
    command = buf[start] | (buf[start + 1] << 8)
    length = buf[start + 2] | (buf[start + 3] << 8)
    if command not in COMMAND_NAMES or length > MAX_DATA_LENGTH:
        return INVALID
    return HEADER_LENGTH + length
