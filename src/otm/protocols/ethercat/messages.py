"""EtherCAT frames and datagrams as frozen dataclasses, fields in wire order.

Layout (little-endian)::

    frame header  Length u11 | reserved u1 | Type u4            (2 bytes)
    datagram      Cmd u8 | Idx u8 | Address u32 | Len u11 | R u3 | C u1 | M u1 |
                  IRQ u16 | Data[Len] | WKC u16                 (12 + Len bytes)

``Address`` is ADP u16 then ADO u16 (position or configured station address,
then the register offset) for the physical commands, one logical u32 for
LRD/LWR/LRW.  ``M`` is set on every datagram but the last.
"""

from __future__ import annotations

from dataclasses import dataclass

from otm.protocols.ethercat.constants import (
    FRAME_TYPE_NAMES,
    command_category,
    command_name,
)


@dataclass(frozen=True, slots=True)
class Datagram:
    """One EtherCAT datagram; the "more" bit is derived from its place in the frame."""

    command: int
    index: int
    address: int
    irq: int
    data: bytes
    working_counter: int
    circulating: bool = False
    reserved: int = 0

    @property
    def adp(self) -> int:
        """Auto-increment position or configured station address (low 16 bits)."""
        return self.address & 0xFFFF

    @property
    def ado(self) -> int:
        """Register or memory offset in the slave controller (high 16 bits)."""
        return self.address >> 16

    @property
    def name(self) -> str:
        """``aprd``, ``lrw`` ..."""
        return command_name(self.command)

    @property
    def category(self) -> str:
        """``read``, ``write`` or ``other``."""
        return command_category(self.command)


@dataclass(frozen=True, slots=True)
class EthercatFrame:
    """An EtherCAT frame: its header type and, for type 1, the datagrams.

    Frames of the other types (network variables, mailbox gateway) keep their
    bytes in ``payload``; ``length`` is derived on encoding.
    """

    type: int
    datagrams: tuple[Datagram, ...] = ()
    payload: bytes = b""
    reserved: int = 0

    @property
    def type_name(self) -> str:
        """``dlpdu``, ``network_variables``, ``mailbox``."""
        return FRAME_TYPE_NAMES.get(self.type, f"type_{self.type}")
