"""LLDP codes and names: TLV types, ID subtypes, capabilities, organisation TLVs.

Sources: IEEE Std 802.1AB-2016 (8.4 TLV format, 8.5 basic TLVs, 8.6
organisationally specific TLVs, Annex D IEEE 802.1 TLVs, Annex E IEEE
802.3 TLVs, now 802.3-2018 clause 79), the IANA "Address Family Numbers"
registry (management and network addresses) and IEC 61158-6-10 (PROFINET
LLDP extensions under OUI 00-0E-CF).  Names are snake_case so that they
can serve as identity values unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from types import MappingProxyType

from otm.protocols import neighbours

ETHERTYPE_LLDP = 0x88CC
"""EtherType of LLDP (802.1AB 7.2)."""

MAX_TLV_LENGTH = 511
"""The TLV length field is 9 bits (802.1AB 8.4)."""


class TlvType(IntEnum):
    """TLV type, the 7 high bits of the TLV header (802.1AB table 8-1); 9-126 are reserved."""

    END = 0
    CHASSIS_ID = 1
    PORT_ID = 2
    TIME_TO_LIVE = 3
    PORT_DESCRIPTION = 4
    SYSTEM_NAME = 5
    SYSTEM_DESCRIPTION = 6
    SYSTEM_CAPABILITIES = 7
    MANAGEMENT_ADDRESS = 8
    ORGANIZATION_SPECIFIC = 127


class ChassisIdSubtype(IntEnum):
    """What the Chassis ID names (802.1AB table 8-2)."""

    CHASSIS_COMPONENT = 1
    INTERFACE_ALIAS = 2
    PORT_COMPONENT = 3
    MAC_ADDRESS = 4
    NETWORK_ADDRESS = 5
    INTERFACE_NAME = 6
    LOCALLY_ASSIGNED = 7


class PortIdSubtype(IntEnum):
    """What the Port ID names (802.1AB table 8-3)."""

    INTERFACE_ALIAS = 1
    PORT_COMPONENT = 2
    MAC_ADDRESS = 3
    NETWORK_ADDRESS = 4
    INTERFACE_NAME = 5
    AGENT_CIRCUIT_ID = 6
    LOCALLY_ASSIGNED = 7


class AddressFamily(IntEnum):
    """IANA address family numbers used by management and network addresses."""

    IPV4 = 1
    IPV6 = 2
    NSAP = 3
    HDLC = 4
    BBN_1822 = 5
    IEEE_802 = 6


class InterfaceSubtype(IntEnum):
    """Interface numbering of a Management Address TLV (802.1AB table 8-5)."""

    UNKNOWN = 1
    IF_INDEX = 2
    SYSTEM_PORT_NUMBER = 3


CAPABILITY_NAMES: tuple[str, ...] = (
    "other",
    "repeater",
    "bridge",
    "wlan_access_point",
    "router",
    "telephone",
    "docsis_cable_device",
    "station_only",
    "c_vlan_component",
    "s_vlan_component",
    "two_port_mac_relay",
)
"""System capability bit n (least significant first) -> name (802.1AB table 8-4);
bits 11-15 are reserved and named ``bit_<n>``."""


# --- organisationally specific TLVs (802.1AB 8.6) ---------------------------------

OUI_IEEE_802_1 = 0x0080C2
"""IEEE 802.1 (802.1AB Annex D / 802.1Q clause D)."""

OUI_IEEE_802_3 = 0x00120F
"""IEEE 802.3 (802.3-2018 clause 79)."""

OUI_PROFINET = 0x000ECF
"""PROFIBUS Nutzerorganisation (PROFINET, IEC 61158-6-10 LLDP extensions)."""

OUI_TIA_MED = 0x0012BB
"""TIA-1057 LLDP-MED; not decoded (kept raw)."""


class Ieee8021Subtype(IntEnum):
    """IEEE 802.1 organisation TLV subtypes decoded here (802.1Q D.2)."""

    PORT_VLAN_ID = 1
    PORT_AND_PROTOCOL_VLAN_ID = 2
    VLAN_NAME = 3
    PROTOCOL_IDENTITY = 4


class Ieee8023Subtype(IntEnum):
    """IEEE 802.3 organisation TLV subtypes decoded here (802.3-2018 79.3)."""

    MAC_PHY_CONFIG_STATUS = 1
    POWER_VIA_MDI = 2
    LINK_AGGREGATION = 3
    MAXIMUM_FRAME_SIZE = 4


class ProfinetSubtype(IntEnum):
    """PROFINET organisation TLV subtypes (IEC 61158-6-10, LLDP extensions)."""

    MEASURED_DELAY = 1
    PORT_STATUS = 2
    ALIAS = 3
    MRP_PORT_STATUS = 4
    CHASSIS_MAC = 5
    PTCP_STATUS = 6


ORGANIZATION_NAMES: Mapping[int, str] = MappingProxyType(
    {
        OUI_IEEE_802_1: "ieee_802_1",
        OUI_IEEE_802_3: "ieee_802_3",
        OUI_PROFINET: "profinet",
        OUI_TIA_MED: "tia_med",
    }
)
"""OUI -> short name of the organisation, for display."""


def capability_names(bits: int) -> tuple[str, ...]:
    """The names of the capability bits set in ``bits`` (a 16-bit field), low bit first."""
    return neighbours.capability_names(bits, CAPABILITY_NAMES, 16)


def tlv_type_name(tlv_type: int) -> str:
    """``chassis_id`` ... ``organization_specific``; ``reserved_<n>`` for 9-126."""
    try:
        return TlvType(tlv_type).name.lower()
    except ValueError:
        return f"reserved_{tlv_type}"
