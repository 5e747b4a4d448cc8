"""Where one EtherNet/IP encapsulation message ends in a TCP stream.

Every message starts with the 24-byte encapsulation header whose bytes 2-3
hold the length (little-endian) of the data that follows, so a message is
``24 + length`` bytes.

Verdicts, decided from the first four bytes only (cheap: it runs on every
TCP segment on port 44818):

- fewer than 4 bytes: NEED_DATA;
- a length above 65511 (Vol. 2, 2-3.1: the whole message must fit 65535
  bytes): INVALID;
- a command that is neither named (``COMMAND_NAMES``) nor 0x0001: INVALID.
  Vol. 2 reserves 0x0001 "for legacy use"; old Rockwell software still sends
  it and devices answer (EIP-IPAddressChangeAttempt.pcap), so it must keep
  the stream in step.  The other legacy codes are unseen and one of them,
  0x0003, is how a TPKT header (S7 on the wrong port) begins.  Any other code
  means the bytes are not a message start (a lost segment, another protocol
  on the port); refusing them lets the capture layer resynchronise instead
  of skipping up to 64 KiB of misread "data".
"""

from __future__ import annotations

from otm.protocols.common import INVALID, NEED_DATA
from otm.protocols.enip.constants import FRAMED_COMMANDS, HEADER_LENGTH, MAX_DATA_LENGTH


def frame_length(buf: bytes, start: int = 0) -> int:
    """Declared length of the encapsulation message at ``start`` (Framer contract)."""
    if len(buf) - start < 4:
        return NEED_DATA
    command = buf[start] | (buf[start + 1] << 8)
    length = buf[start + 2] | (buf[start + 3] << 8)
    if command not in FRAMED_COMMANDS or length > MAX_DATA_LENGTH:
        return INVALID
    return HEADER_LENGTH + length
