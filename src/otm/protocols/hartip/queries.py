"""Read-only HART-IP requests, for the active scanner of a later issue and for tests.

Do no harm: ``read_request`` builds only commands whose category is
``read`` or ``identify`` (plus 48, read additional device status); anything
that writes, controls or tests a device raises ``ValueError`` here, so a
scanner built on it cannot send one.  HART addressing (HCF_SPEC-081): command
0 may use the one-octet polling address (short frame); every other command
needs the device's five-octet unique address (long frame), which a command 0
reply gives.
"""

from __future__ import annotations

from otm.protocols.common import IDENTIFY, READ
from otm.protocols.hartip.codec import encode_message
from otm.protocols.hartip.constants import (
    DELIMITER_LONG_ADDRESS,
    LONG_ADDRESS_LENGTH,
    FrameType,
    HostType,
    MessageId,
    MessageType,
    command_category,
)
from otm.protocols.hartip.messages import HartIpMessage, HartPdu, SessionInitiate

PRIMARY_MASTER = 0x80
"""Address bit 7: the request comes from the primary master."""

SAFE_COMMANDS_EXTRA = frozenset((48,))
"""Diagnostic commands that only read (48 reads the additional device status)."""

DEFAULT_INACTIVITY_TIMER = 30_000
"""Milliseconds of silence after which the server may close a scanner's session."""


def session_initiate_request(
    sequence: int,
    host_type: int = HostType.SECONDARY,
    timer: int = DEFAULT_INACTIVITY_TIMER,
    version: int = 1,
) -> bytes:
    """A session initiate request (a secondary host by default: it never takes the
    primary master's place)."""
    return encode_message(
        HartIpMessage(
            version,
            MessageType.REQUEST,
            MessageId.SESSION_INITIATE,
            0,
            sequence,
            SessionInitiate(host_type, timer),
        )
    )


def read_request(
    sequence: int,
    command: int = 0,
    unique_address: bytes | None = None,
    polling_address: int = 0,
    data: bytes = b"",
    version: int = 1,
) -> bytes:
    """A token-passing request for one read-only HART command.

    Command 0 goes to ``polling_address`` (short frame) unless
    ``unique_address`` is given; other commands need ``unique_address`` (5
    octets, as in the command 0 reply).  ``ValueError`` for a command that is
    not read-only, or a missing or malformed address.
    """
    if command_category(command) not in (READ, IDENTIFY) and command not in SAFE_COMMANDS_EXTRA:
        raise ValueError(f"command {command} is not read-only")
    if command > 0xFF:
        raise ValueError("16-bit commands (31) are not built by the scanner")
    delimiter: int
    if unique_address is None:
        if command != 0:
            raise ValueError("commands other than 0 need the unique address")
        if not 0 <= polling_address <= 63:
            raise ValueError(f"polling address {polling_address} outside 0-63")
        delimiter = FrameType.STX
        address = bytes((PRIMARY_MASTER | polling_address,))
    else:
        if len(unique_address) != LONG_ADDRESS_LENGTH:
            raise ValueError("a unique address is 5 octets")
        delimiter = FrameType.STX | DELIMITER_LONG_ADDRESS
        address = bytes((PRIMARY_MASTER | (unique_address[0] & 0x3F),)) + unique_address[1:]
    pdu = HartPdu(delimiter, address, command, data)
    return encode_message(
        HartIpMessage(version, MessageType.REQUEST, MessageId.TOKEN_PASSING_PDU, 0, sequence, pdu)
    )
