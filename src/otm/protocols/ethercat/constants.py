"""EtherCAT codes: frame types, datagram commands, their names and categories.

Sources: IEC 61158-4-12 (EtherCAT data-link protocol, the frame header and
the DLPDU command table) as summarised in Beckhoff's public "EtherCAT Slave
Controller Technology" manual, section I (2.1-2.5: frame, datagram and
command layouts; 3: the processing unit sets the locally administered bit of
the source MAC of every frame it forwards).  Checked against Wireshark's
ECATF/ECAT dissectors (tshark 4.0).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from types import MappingProxyType

from otm.protocols.common import OTHER, READ, WRITE

ETHERTYPE_ETHERCAT = 0x88A4
"""EtherType of EtherCAT frames (also UDP port 34980, which otm does not read)."""

FRAME_HEADER_LENGTH = 2
"""Length u11 | reserved u1 | type u4, little-endian."""

DATAGRAM_HEADER_LENGTH = 10
"""Cmd u8 | Idx u8 | Address u32 | Len u11 + R u3 + C u1 + M u1 | IRQ u16."""

WORKING_COUNTER_LENGTH = 2
"""The WKC u16 that ends every datagram."""

MAX_FRAME_LENGTH = 0x07FF
"""The header's length field is 11 bits: at most 2047 bytes of datagrams."""

LOCALLY_ADMINISTERED = 0x02
"""Bit of the first source-MAC octet that a slave controller sets in every
frame it processes, so frames coming back differ from those the master sent."""


class FrameType(IntEnum):
    """The 4-bit type of the EtherCAT frame header."""

    DLPDU = 1  # EtherCAT commands (datagrams)
    NETWORK_VARIABLES = 4
    MAILBOX = 5  # mailbox gateway


FRAME_TYPE_NAMES: Mapping[int, str] = MappingProxyType(
    {FrameType.DLPDU: "dlpdu", FrameType.NETWORK_VARIABLES: "network_variables",
     FrameType.MAILBOX: "mailbox"}
)  # fmt: skip


class Command(IntEnum):
    """Datagram commands (IEC 61158-4-12 table of DLPDU types)."""

    NOP = 0
    APRD = 1  # auto increment physical read
    APWR = 2  # auto increment physical write
    APRW = 3  # auto increment physical read write
    FPRD = 4  # configured address physical read
    FPWR = 5  # configured address physical write
    FPRW = 6  # configured address physical read write
    BRD = 7  # broadcast read
    BWR = 8  # broadcast write
    BRW = 9  # broadcast read write
    LRD = 10  # logical memory read
    LWR = 11  # logical memory write
    LRW = 12  # logical memory read write
    ARMW = 13  # auto increment physical read multiple write
    FRMW = 14  # configured address physical read multiple write


COMMAND_CATEGORIES: Mapping[int, str] = MappingProxyType(
    {
        Command.NOP: OTHER,
        Command.APRD: READ,
        Command.FPRD: READ,
        Command.BRD: READ,
        Command.LRD: READ,
        Command.APWR: WRITE,
        Command.FPWR: WRITE,
        Command.BWR: WRITE,
        Command.LWR: WRITE,
        Command.APRW: WRITE,
        Command.FPRW: WRITE,
        Command.BRW: WRITE,
        Command.LRW: WRITE,
        Command.ARMW: WRITE,
        Command.FRMW: WRITE,
    }
)
"""Every command that writes (read-write and read-multiple-write included) is a
write: a slave's memory or registers change."""

COMMAND_NAMES: Mapping[int, str] = MappingProxyType({c: c.name.lower() for c in Command})

LOGICAL_COMMANDS = frozenset((Command.LRD, Command.LWR, Command.LRW))
"""Commands whose 32-bit address is one logical address (FMMU mapped)."""


PHYSICAL_WRITES = frozenset(
    (Command.APWR, Command.APRW, Command.FPWR, Command.FPRW, Command.BWR, Command.BRW)
)
"""Commands that write a slave controller's registers by ADP/ADO address."""

AL_CONTROL_REGISTER = 0x0120
"""AL Control register: the master writes the state a slave must go to."""

AL_STATES: Mapping[int, str] = MappingProxyType(
    {1: "init", 2: "preop", 3: "bootstrap", 4: "safeop", 8: "op"}
)
"""Low nibble of AL Control / AL Status (ETG.1000.6 state machine); bit 4 of AL
Control acknowledges an error."""


def al_control_operation(value: int) -> str:
    """``al_control_op``, ``al_control_bootstrap`` ...: a state change request."""
    state = AL_STATES.get(value & 0x0F)
    return f"al_control_{state}" if state else f"al_control_0x{value & 0x0F:x}"


def command_name(command: int) -> str:
    """``aprd``, ``lrw`` ...; unknown codes ``command_0x0f``."""
    name = COMMAND_NAMES.get(command)
    return name if name is not None else f"command_0x{command:02x}"


def command_category(command: int) -> str:
    """``read``, ``write``, or ``other`` for NOP and unknown codes."""
    return COMMAND_CATEGORIES.get(command, OTHER)
