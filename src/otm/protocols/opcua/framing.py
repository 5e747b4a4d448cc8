"""Where one OPC UA chunk ends: the framer the capture layer runs on every segment,
and a cheap test for a Hello at the start of a connection on any port.

Every chunk starts ``type (3 ASCII) | chunk type (F/C/A) | size (UInt32 LE)``
(Part 6 7.1.2.2), the size counting the whole chunk.  The type must be one of
the seven, the chunk type F, C or A, and the size at least the smallest chunk
of that type and at most ``MAX_CHUNK_SIZE``; anything else means the stream
is not (or no longer in step with) OPC UA.  A few byte reads, no allocation
beyond the three-byte type.
"""

from __future__ import annotations

import struct

from otm.protocols.common import INVALID, NEED_DATA
from otm.protocols.opcua.constants import (
    CHUNK_FINAL,
    CHUNK_TYPES,
    HEADER_SIZE,
    HELLO_FIXED_SIZE,
    MAX_CHUNK_SIZE,
    MAX_HELLO_SIZE,
    PROTOCOL_VERSION,
)

_HEADER = struct.Struct("<3sBI")
_U32 = struct.Struct("<I")

MIN_SIZES = {
    b"HEL": HELLO_FIXED_SIZE,
    b"ACK": HEADER_SIZE + 20,
    b"ERR": HEADER_SIZE + 4 + 4,
    b"RHE": HEADER_SIZE + 4 + 4,
    b"OPN": HEADER_SIZE + 4 + 12,
    b"CLO": HEADER_SIZE + 8,
    b"MSG": HEADER_SIZE + 8,
}
"""Smallest chunk of each message type: its fixed fields, null strings (Part 6 7.1.2, 6.7.2)."""

_FIRST_BYTES = frozenset(t[0] for t in MIN_SIZES)
_SECOND_BYTES = frozenset(t[:2] for t in MIN_SIZES)


def frame_length(buf: bytes, start: int = 0) -> int:
    """Declared size of the chunk at ``buf[start:]``, NEED_DATA (0) or INVALID (-1).

    A byte that cannot begin a message type is INVALID as soon as it is buffered.
    """
    have = len(buf) - start
    if have < HEADER_SIZE:
        if have >= 1 and buf[start] not in _FIRST_BYTES:
            return INVALID
        if have >= 2 and buf[start : start + 2] not in _SECOND_BYTES:
            return INVALID
        if have >= 3 and buf[start : start + 3] not in MIN_SIZES:
            return INVALID
        if have >= 4 and buf[start + 3] not in CHUNK_TYPES:
            return INVALID
        return NEED_DATA
    mtype, chunk, size = _HEADER.unpack_from(buf, start)
    least = MIN_SIZES.get(mtype)
    if least is None or chunk not in CHUNK_TYPES or size < least or size > MAX_CHUNK_SIZE:
        return INVALID
    return int(size)


def looks_like_hello(first_bytes: bytes) -> bool:
    """Whether a connection's first bytes are an OPC UA Hello, whatever the port.

    ``HEL`` + chunk type ``F`` + a size a Hello can have (32 bytes up to 32 +
    4096 for the longest endpoint URL) + protocol version 0: twelve bytes that
    other protocols do not send first.  Needs at least 12 bytes.
    """
    if len(first_bytes) < 12 or first_bytes[:3] != b"HEL" or first_bytes[3] != CHUNK_FINAL:
        return False
    size: int = _U32.unpack_from(first_bytes, 4)[0]
    version: int = _U32.unpack_from(first_bytes, 8)[0]
    return HELLO_FIXED_SIZE <= size <= MAX_HELLO_SIZE and version == PROTOCOL_VERSION
