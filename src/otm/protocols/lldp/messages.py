"""LLDP TLVs as frozen dataclasses, fields in wire order (IEEE 802.1AB-2016 clause 8).

Every TLV on the wire is ``type (7 bits) | length (9 bits) | value``.  Text
values (descriptions, names, aliases) keep their bytes, so that any LLDPDU
the decoder accepts encodes back to the same bytes; ``text`` properties give
the string.  An optional TLV whose value does not fit its type's layout is
kept as ``RawTlv`` (basic types) or ``OrgTlv`` (organisationally specific),
as 802.1AB 9.2.7.7 has receivers discard just that TLV.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import ClassVar, TypeAlias, TypeVar

from otm.protocols.lldp.constants import (
    OUI_IEEE_802_1,
    OUI_IEEE_802_3,
    OUI_PROFINET,
    AddressFamily,
    ChassisIdSubtype,
    Ieee8021Subtype,
    Ieee8023Subtype,
    PortIdSubtype,
    ProfinetSubtype,
    capability_names,
)
from otm.protocols.neighbours import text_of


def mac_text(raw: bytes) -> str:
    """``aa:bb:cc:dd:ee:ff`` (lower case, as otm writes MACs)."""
    return ":".join(f"{b:02x}" for b in raw)


def _id_text(raw: bytes) -> str:
    """An identifier as readable text, or colon-separated hex when it is not printable."""
    text = text_of(raw)
    if text and text.isprintable():
        return text
    return mac_text(raw)


def address_text(family: int, raw: bytes) -> str:
    """An address of an IANA family as text: IPv4/IPv6 dotted or compressed, an
    IEEE 802 address as a MAC, anything else (or a wrong size) as hex."""
    if family == AddressFamily.IPV4 and len(raw) == 4:
        return str(ipaddress.IPv4Address(raw))
    if family == AddressFamily.IPV6 and len(raw) == 16:
        return str(ipaddress.IPv6Address(raw))
    if family == AddressFamily.IEEE_802 and len(raw) == 6:
        return mac_text(raw)
    return raw.hex()


# --- mandatory TLVs (8.5.2-8.5.4) -------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChassisId:
    """Chassis ID (type 1): ``subtype u8 | id (1-255 bytes)``, 8.5.2.

    Subtype 4 is a MAC address, 5 a network address (IANA family byte then
    the address), the others are text (alias, component, name, locally
    assigned).
    """

    subtype: int
    id: bytes

    @property
    def text(self) -> str:
        """The id as otm shows it: a MAC, an IP address, or text (hex if unprintable)."""
        if self.subtype == ChassisIdSubtype.MAC_ADDRESS and len(self.id) == 6:
            return mac_text(self.id)
        if self.subtype == ChassisIdSubtype.NETWORK_ADDRESS and self.id:
            return address_text(self.id[0], self.id[1:])
        return _id_text(self.id)

    @property
    def mac(self) -> str | None:
        """The chassis MAC when the subtype says the id is one."""
        if self.subtype == ChassisIdSubtype.MAC_ADDRESS and len(self.id) == 6:
            return mac_text(self.id)
        return None


@dataclass(frozen=True, slots=True)
class PortId:
    """Port ID (type 2): ``subtype u8 | id (1-255 bytes)``, 8.5.3.

    Subtype 3 is a MAC address, 4 a network address; the others are text.
    """

    subtype: int
    id: bytes

    @property
    def text(self) -> str:
        """The id as otm shows it: a MAC, an IP address, or text (hex if unprintable)."""
        if self.subtype == PortIdSubtype.MAC_ADDRESS and len(self.id) == 6:
            return mac_text(self.id)
        if self.subtype == PortIdSubtype.NETWORK_ADDRESS and self.id:
            return address_text(self.id[0], self.id[1:])
        return _id_text(self.id)


@dataclass(frozen=True, slots=True)
class TimeToLive:
    """Time To Live (type 3): ``seconds u16``, 8.5.4; 0 withdraws the neighbour."""

    seconds: int


# --- optional basic TLVs (8.5.5-8.5.9) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class PortDescription:
    """Port Description (type 4): 0-255 bytes of text, 8.5.5 (ifDescr)."""

    value: bytes

    @property
    def text(self) -> str:
        return text_of(self.value)


@dataclass(frozen=True, slots=True)
class SystemName:
    """System Name (type 5): 0-255 bytes of text, 8.5.6 (sysName)."""

    value: bytes

    @property
    def text(self) -> str:
        return text_of(self.value)


@dataclass(frozen=True, slots=True)
class SystemDescription:
    """System Description (type 6): 0-255 bytes of text, 8.5.7 (sysDescr:
    vendor, model, hardware and software versions, free form)."""

    value: bytes

    @property
    def text(self) -> str:
        return text_of(self.value)


@dataclass(frozen=True, slots=True)
class SystemCapabilities:
    """System Capabilities (type 7): ``supported u16 | enabled u16``, 8.5.8
    (bit names in ``constants.CAPABILITY_NAMES``)."""

    supported: int
    enabled: int

    @property
    def supported_names(self) -> tuple[str, ...]:
        return capability_names(self.supported)

    @property
    def enabled_names(self) -> tuple[str, ...]:
        return capability_names(self.enabled)


@dataclass(frozen=True, slots=True)
class ManagementAddress:
    """Management Address (type 8), 8.5.9.

    ``address string length u8 (1 + address bytes, 2-32) | address subtype u8
    (IANA family) | address (1-31) | interface numbering subtype u8 |
    interface number u32 | OID string length u8 (0-128) | OID (BER encoded,
    without tag and length)``.
    """

    address_subtype: int
    address: bytes
    interface_subtype: int
    interface_number: int
    oid: bytes

    @property
    def text(self) -> str:
        """The address as text (see ``address_text``)."""
        return address_text(self.address_subtype, self.address)

    @property
    def ip(self) -> str | None:
        """The address when it is an IPv4 or IPv6 one."""
        if self.address_subtype == AddressFamily.IPV4 and len(self.address) == 4:
            return str(ipaddress.IPv4Address(self.address))
        if self.address_subtype == AddressFamily.IPV6 and len(self.address) == 16:
            return str(ipaddress.IPv6Address(self.address))
        return None

    @property
    def oid_text(self) -> str:
        """The object identifier in dotted form (``1.3.6.1.4.1.24686``), "" if none."""
        return oid_text(self.oid)


def oid_text(raw: bytes) -> str:
    """A BER-encoded OBJECT IDENTIFIER value (X.690 8.19) in dotted form; "" when
    empty, and the arcs read so far when the last one is cut short."""
    if not raw:
        return ""
    arcs: list[int] = []
    value = 0
    # One pass over at most 128 bytes (802.1AB caps the OID string).
    for byte in raw:
        value = (value << 7) | (byte & 0x7F)
        if byte & 0x80:
            continue
        if not arcs:
            first = min(value // 40, 2)
            arcs += [first, value - 40 * first]
        else:
            arcs.append(value)
        value = 0
    return ".".join(str(a) for a in arcs)


@dataclass(frozen=True, slots=True)
class RawTlv:
    """A TLV kept as bytes: a reserved type (9-126), or a basic optional TLV
    whose value does not fit its type's layout."""

    type: int
    value: bytes


# --- organisationally specific TLVs (type 127, 8.6) ---------------------------------


@dataclass(frozen=True, slots=True)
class OrgTlv:
    """Organisationally specific TLV not decoded further, 8.6.

    ``OUI (3 bytes) | subtype u8 | information (0-507 bytes)``.  Also holds a
    known subtype whose information does not fit its layout.
    """

    oui: int
    subtype: int
    info: bytes


@dataclass(frozen=True, slots=True)
class PortVlanId:
    """IEEE 802.1 Port VLAN ID (subtype 1): ``PVID u16`` (0: none), 802.1Q D.2.1."""

    OUI: ClassVar[int] = OUI_IEEE_802_1
    SUBTYPE: ClassVar[int] = Ieee8021Subtype.PORT_VLAN_ID

    vlan_id: int


@dataclass(frozen=True, slots=True)
class PortAndProtocolVlanId:
    """IEEE 802.1 Port And Protocol VLAN ID (subtype 2): ``flags u8 (bit 1
    supported, bit 2 enabled) | PPVID u16``, 802.1Q D.2.2."""

    OUI: ClassVar[int] = OUI_IEEE_802_1
    SUBTYPE: ClassVar[int] = Ieee8021Subtype.PORT_AND_PROTOCOL_VLAN_ID

    flags: int
    vlan_id: int


@dataclass(frozen=True, slots=True)
class VlanName:
    """IEEE 802.1 VLAN Name (subtype 3): ``VID u16 | name length u8 (0-32) |
    name``, 802.1Q D.2.3."""

    OUI: ClassVar[int] = OUI_IEEE_802_1
    SUBTYPE: ClassVar[int] = Ieee8021Subtype.VLAN_NAME

    vlan_id: int
    name: bytes

    @property
    def text(self) -> str:
        return text_of(self.name)


@dataclass(frozen=True, slots=True)
class ProtocolIdentity:
    """IEEE 802.1 Protocol Identity (subtype 4): ``length u8 | the first bytes
    of the protocol's frames (EtherType, LLC ...)``, 802.1Q D.2.4."""

    OUI: ClassVar[int] = OUI_IEEE_802_1
    SUBTYPE: ClassVar[int] = Ieee8021Subtype.PROTOCOL_IDENTITY

    identity: bytes


@dataclass(frozen=True, slots=True)
class MacPhyConfigStatus:
    """IEEE 802.3 MAC/PHY Configuration/Status (subtype 1), 802.3 79.3.1.

    ``auto-negotiation support/status u8 (bit 0 supported, bit 1 enabled) |
    PMD auto-negotiation advertised capability u16 | operational MAU type u16``.
    """

    OUI: ClassVar[int] = OUI_IEEE_802_3
    SUBTYPE: ClassVar[int] = Ieee8023Subtype.MAC_PHY_CONFIG_STATUS

    autonegotiation: int
    pmd_capabilities: int
    mau_type: int


@dataclass(frozen=True, slots=True)
class LinkAggregation:
    """IEEE 802.3 Link Aggregation (subtype 3, moved to 802.1 subtype 7 in
    802.1AB-2009; the old one is what devices still send): ``status u8 |
    aggregated port id u32``, 802.3 79.3.3."""

    OUI: ClassVar[int] = OUI_IEEE_802_3
    SUBTYPE: ClassVar[int] = Ieee8023Subtype.LINK_AGGREGATION

    status: int
    port_id: int


@dataclass(frozen=True, slots=True)
class MaximumFrameSize:
    """IEEE 802.3 Maximum Frame Size (subtype 4): ``size u16``, 802.3 79.3.4."""

    OUI: ClassVar[int] = OUI_IEEE_802_3
    SUBTYPE: ClassVar[int] = Ieee8023Subtype.MAXIMUM_FRAME_SIZE

    size: int


@dataclass(frozen=True, slots=True)
class ProfinetDelay:
    """PROFINET measured delays (subtype 1), nanoseconds, each u32:
    ``rx local | rx remote | tx local | tx remote | cable local``."""

    OUI: ClassVar[int] = OUI_PROFINET
    SUBTYPE: ClassVar[int] = ProfinetSubtype.MEASURED_DELAY

    rx_delay_local: int
    rx_delay_remote: int
    tx_delay_local: int
    tx_delay_remote: int
    cable_delay_local: int


@dataclass(frozen=True, slots=True)
class ProfinetPortStatus:
    """PROFINET port status (subtype 2): ``RTClass2 status u16 | RTClass3 status u16``."""

    OUI: ClassVar[int] = OUI_PROFINET
    SUBTYPE: ClassVar[int] = ProfinetSubtype.PORT_STATUS

    rtc2_status: int
    rtc3_status: int


@dataclass(frozen=True, slots=True)
class ProfinetAlias:
    """PROFINET alias (subtype 3): ``port-xyz.name-of-station`` text, which
    names the port a neighbour sees."""

    OUI: ClassVar[int] = OUI_PROFINET
    SUBTYPE: ClassVar[int] = ProfinetSubtype.ALIAS

    value: bytes

    @property
    def text(self) -> str:
        return text_of(self.value)


@dataclass(frozen=True, slots=True)
class ProfinetMrpPortStatus:
    """PROFINET MRP port status (subtype 4): ``MRP domain UUID (16) | MRRT port status u16``."""

    OUI: ClassVar[int] = OUI_PROFINET
    SUBTYPE: ClassVar[int] = ProfinetSubtype.MRP_PORT_STATUS

    domain_uuid: bytes
    mrrt_status: int


@dataclass(frozen=True, slots=True)
class ProfinetChassisMac:
    """PROFINET chassis MAC (subtype 5): the device's interface MAC (6 bytes)."""

    OUI: ClassVar[int] = OUI_PROFINET
    SUBTYPE: ClassVar[int] = ProfinetSubtype.CHASSIS_MAC

    mac: bytes

    @property
    def text(self) -> str:
        return mac_text(self.mac)


@dataclass(frozen=True, slots=True)
class ProfinetPtcpStatus:
    """PROFINET PTCP status (subtype 6): ``master source address (6) |
    subdomain UUID (16) | IRData UUID (16) | length of period u32 |
    red period begin u32 | orange period begin u32 | green period begin u32``
    (the u32s carry a valid bit 31 and a value in bits 0-30)."""

    OUI: ClassVar[int] = OUI_PROFINET
    SUBTYPE: ClassVar[int] = ProfinetSubtype.PTCP_STATUS

    master_source_address: bytes
    subdomain_uuid: bytes
    ir_data_uuid: bytes
    length_of_period: int
    red_period_begin: int
    orange_period_begin: int
    green_period_begin: int


KnownOrgTlv: TypeAlias = (
    PortVlanId
    | PortAndProtocolVlanId
    | VlanName
    | ProtocolIdentity
    | MacPhyConfigStatus
    | LinkAggregation
    | MaximumFrameSize
    | ProfinetDelay
    | ProfinetPortStatus
    | ProfinetAlias
    | ProfinetMrpPortStatus
    | ProfinetChassisMac
    | ProfinetPtcpStatus
)
"""Organisation TLVs with a typed layout; every other one is an ``OrgTlv``."""

Tlv: TypeAlias = (
    ChassisId
    | PortId
    | TimeToLive
    | PortDescription
    | SystemName
    | SystemDescription
    | SystemCapabilities
    | ManagementAddress
    | KnownOrgTlv
    | OrgTlv
    | RawTlv
)
"""Every TLV ``decode_lldpdu`` can return (End of LLDPDU is ``Lldpdu.end``)."""

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Lldpdu:
    """One LLDPDU: its TLVs in wire order, the mandatory three first, 8.2.

    ``end`` tells whether an End Of LLDPDU TLV (type 0, length 0) closed it;
    anything after it is Ethernet padding and not kept.
    """

    tlvs: tuple[Tlv, ...]
    end: bool = True

    @property
    def chassis_id(self) -> ChassisId:
        first = self.tlvs[0]
        assert isinstance(first, ChassisId)
        return first

    @property
    def port_id(self) -> PortId:
        second = self.tlvs[1]
        assert isinstance(second, PortId)
        return second

    @property
    def ttl(self) -> int:
        third = self.tlvs[2]
        assert isinstance(third, TimeToLive)
        return third.seconds

    def first(self, kind: type[_T]) -> _T | None:
        """The first TLV of a class, or None."""
        for tlv in self.tlvs:
            if isinstance(tlv, kind):
                return tlv
        return None

    def all(self, kind: type[_T]) -> tuple[_T, ...]:
        """Every TLV of a class, in wire order."""
        return tuple(tlv for tlv in self.tlvs if isinstance(tlv, kind))
