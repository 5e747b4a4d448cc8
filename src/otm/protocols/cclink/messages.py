"""A CC-Link IE frame as a frozen dataclass: frame type, header, payload.

Layout (``constants.Family`` names the two header shapes)::

    field     type u8 | data type u8 | node id u16 | connection info u8 |
              reserved u8 | source node number u16 | protocol version u8 |
              reserved u8 | HEC u32 | payload
    control   type u8 | priority u8 | scan number u24 | reserved u8 |
              source node number u16 | reserved u16 | HEC u32 | payload

Multi-byte fields are big-endian as the public parsers read them.  Frames of
an unknown type (CC-Link IE TSN) keep everything after the type byte in
``payload`` and an empty ``header``.
"""

from __future__ import annotations

from dataclasses import dataclass

from otm.protocols.cclink.constants import (
    FRAME_TYPES,
    PROTOCOL_VERSIONS,
    Family,
    Kind,
    frame_type_name,
)


@dataclass(frozen=True, slots=True)
class CcLinkFrame:
    """One CC-Link IE frame; ``header`` is the 13 bytes after the type (or b"")."""

    frame_type: int
    header: bytes
    payload: bytes

    @property
    def name(self) -> str:
        """``cyclic_data_ry``, ``transient1`` ..., ``frame_type_0x..`` when unknown."""
        return frame_type_name(self.frame_type)

    @property
    def family(self) -> Family | None:
        """Header layout, None for an unknown frame type."""
        row = FRAME_TYPES.get(self.frame_type)
        return row[1] if row else None

    @property
    def kind(self) -> Kind | None:
        """Transmission control, synchronization, cyclic or transient."""
        row = FRAME_TYPES.get(self.frame_type)
        return row[2] if row else None

    @property
    def source_node(self) -> int | None:
        """Source node number (header bytes 6-7)."""
        if len(self.header) < 13:
            return None
        return (self.header[5] << 8) | self.header[6]

    @property
    def node_id(self) -> int | None:
        """Node id of field-family frames (header bytes 2-3)."""
        if self.family is not Family.FIELD:
            return None
        return (self.header[1] << 8) | self.header[2]

    @property
    def network(self) -> str:
        """``cclink_ie_field``, ``cclink_ie_control``, ``cclink_ie_tsn`` or ``unknown``:
        control-family frames are Control's, field-family ones say it in
        their protocol version byte."""
        family = self.family
        if family is Family.CONTROL:
            return "cclink_ie_control"
        if family is Family.FIELD:
            return PROTOCOL_VERSIONS.get(self.header[7], "unknown")
        return "unknown"
