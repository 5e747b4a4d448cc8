"""CC-Link IE Field / Control frame types and their names.

The CC-Link IE layer-2 specifications are available to CLPA members only.
The frame types and header layout here come from public reverse engineering:
NTT Communications' open CC-Link IE parsers for Zeek (``nttcom/OsecT``,
``zeek-parser-CCLinkIENoIP``), which name each frame type byte.  CC-Link IE
Field, Control and the CC-Link IE TSN frames share EtherType 0x890F;
CC-Link IE Field Basic runs over UDP 61450 and is not this codec's.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

ETHERTYPE_CCLINK_IE = 0x890F
"""EtherType of CC-Link IE Control, Field and TSN layer-2 frames."""

HEADER_LENGTH = 14
"""Frame type u8 and 13 header bytes ending with a 4-byte HEC (header check)."""


class Family(StrEnum):
    """Which header layout a frame type uses."""

    FIELD = "field"
    """Frame type | data type | node id u16 | connection info | reserved |
    source node number u16 | protocol version type | reserved | HEC 4."""

    CONTROL = "control"
    """Frame type | priority | scan number 3 | reserved | source node number u16 |
    reserved 2 | HEC 4 (CC-Link IE Control only)."""


class Kind(StrEnum):
    """What a frame type is for."""

    TRANSMISSION_CONTROL = "transmission_control"
    SYNCHRONIZATION = "synchronization"
    CYCLIC = "cyclic"
    TRANSIENT = "transient"


_F, _C = Family.FIELD, Family.CONTROL
_TC, _SY = Kind.TRANSMISSION_CONTROL, Kind.SYNCHRONIZATION
_CY, _TR = Kind.CYCLIC, Kind.TRANSIENT

FRAME_TYPES: Mapping[int, tuple[str, Family, Kind]] = MappingProxyType(
    {
        0x00: ("connect", _C, _TC),
        0x01: ("connect_ack", _C, _TC),
        0x02: ("scan", _C, _TC),
        0x03: ("collect", _C, _TC),
        0x04: ("select", _C, _TC),
        0x05: ("launch", _C, _TC),
        0x06: ("token", _C, _TC),
        0x10: ("persuasion", _F, _TC),
        0x11: ("test_data", _F, _TC),
        0x12: ("test_data_ack", _F, _TC),
        0x13: ("setup", _F, _TC),
        0x14: ("setup_ack", _F, _TC),
        0x15: ("token_m", _F, _TC),
        0x1C: ("timer", _F, _TC),
        0x20: ("my_status", _F, _TC),
        0x22: ("transient1", _F, _TR),
        0x23: ("transient_ack", _F, _TR),
        0x24: ("dummy", _C, _TC),
        0x25: ("transient2", _F, _TR),
        0x26: ("ip_transient", _F, _TR),
        0x28: ("param_check", _F, _TR),
        0x29: ("parameter", _F, _TR),
        0x2F: ("node_to_node_test", _C, _TC),
        0x40: ("measure", _F, _SY),
        0x41: ("measure_ack", _F, _SY),
        0x42: ("offset", _F, _SY),
        0x43: ("update", _F, _SY),
        0x80: ("cyclic_data_w", _C, _CY),
        0x81: ("cyclic_data_b", _C, _CY),
        0x82: ("cyclic_data_rww", _F, _CY),
        0x83: ("cyclic_data_ry", _F, _CY),
        0x84: ("cyclic_data_rwr", _F, _CY),
        0x85: ("cyclic_data_rx", _F, _CY),
        0x8C: ("cyclic_data_out1", _C, _CY),
        0x8D: ("cyclic_data_out2", _C, _CY),
        0x8E: ("cyclic_data_in1", _C, _CY),
        0x8F: ("cyclic_data_in2", _C, _CY),
    }
)
"""Frame type byte -> (name, header family, kind).  RY/RWw are the master's
outputs to the stations, RX/RWr the stations' inputs."""

PROTOCOL_VERSIONS: Mapping[int, str] = MappingProxyType(
    {0x00: "cclink_ie_control", 0x01: "cclink_ie_field", 0x02: "cclink_ie_tsn",
     0x03: "cclink_ie_tsn"}
)  # fmt: skip
"""Protocol version type byte of field-family headers: which network sent it."""


def frame_type_name(frame_type: int) -> str:
    """``cyclic_data_ry``, ``token_m`` ...; unknown bytes ``frame_type_0x..``
    (CC-Link IE TSN frames, whose types are not public, land here)."""
    row = FRAME_TYPES.get(frame_type)
    return row[0] if row else f"frame_type_0x{frame_type:02x}"
