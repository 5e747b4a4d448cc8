"""CDP codes and names: TLV types, capability bits, address protocols.

Cisco has not published a CDP specification; the facts here come from
Cisco's public configuration guides and MIB (CISCO-CDP-MIB: cdpCacheDevice
Id, cdpCacheAddress, cdpCacheCapabilities, cdpCacheVersion,
cdpCachePlatform, cdpCacheVTPMgmtDomain, cdpCacheNativeVLAN,
cdpCacheDuplex, cdpCachePrimaryMgmtAddr) and from the behaviour of
Wireshark's CDP dissector, which is the reference for field meaning.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from types import MappingProxyType

from otm.protocols import neighbours

SNAP_PID_CDP = 0x2000
"""Protocol id of CDP under Cisco's OUI 00-00-0C in an 802.2 SNAP header."""

CDP_MULTICAST = "01:00:0c:cc:cc:cc"
"""Destination of CDP advertisements."""

VERSIONS = frozenset((1, 2))
"""CDP versions in use."""


class TlvType(IntEnum):
    """CDP TLV types (``type u16 | length u16 (header included) | value``)."""

    DEVICE_ID = 0x0001
    ADDRESSES = 0x0002
    PORT_ID = 0x0003
    CAPABILITIES = 0x0004
    SOFTWARE_VERSION = 0x0005
    PLATFORM = 0x0006
    IP_PREFIXES = 0x0007
    PROTOCOL_HELLO = 0x0008
    VTP_MANAGEMENT_DOMAIN = 0x0009
    NATIVE_VLAN = 0x000A
    DUPLEX = 0x000B
    VOIP_VLAN_REPLY = 0x000E
    VOIP_VLAN_QUERY = 0x000F
    POWER = 0x0010
    MTU = 0x0011
    TRUST_BITMAP = 0x0012
    UNTRUSTED_PORT_COS = 0x0013
    SYSTEM_NAME = 0x0014
    SYSTEM_OBJECT_ID = 0x0015
    MANAGEMENT_ADDRESSES = 0x0016
    PHYSICAL_LOCATION = 0x0017
    POWER_REQUESTED = 0x0019
    POWER_AVAILABLE = 0x001A


CAPABILITY_NAMES: tuple[str, ...] = (
    "router",
    "transparent_bridge",
    "source_route_bridge",
    "switch",
    "host",
    "igmp_capable",
    "repeater",
    "voip_phone",
    "remotely_managed_device",
    "cvta_stp_dispute_resolution",
    "two_port_mac_relay",
)
"""Capability bit n (least significant first) -> name; higher bits ``bit_<n>``."""


class AddressProtocolType(IntEnum):
    """How an address entry names its protocol."""

    NLPID = 1
    IEEE_802_2 = 2


NLPID_IP = b"\xcc"
"""ISO/IEC TR 9577 NLPID of IPv4."""

LLC_IPV6 = bytes.fromhex("aaaa0300000086dd")
"""802.2 SNAP header naming IPv6 (EtherType 0x86DD)."""

TLV_NAMES: Mapping[int, str] = MappingProxyType({t: t.name.lower() for t in TlvType})
"""TLV type -> snake_case name."""


def capability_names(bits: int) -> tuple[str, ...]:
    """The names of the capability bits set in ``bits`` (a 32-bit field), low bit first."""
    return neighbours.capability_names(bits, CAPABILITY_NAMES, 32)


def tlv_name(tlv_type: int) -> str:
    """``device_id`` ...; ``tlv_0x00xx`` for types without a name."""
    return TLV_NAMES.get(tlv_type) or f"tlv_0x{tlv_type:04x}"
