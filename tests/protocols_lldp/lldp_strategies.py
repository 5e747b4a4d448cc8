"""Hypothesis strategies for every LLDP TLV and CDP TLV shape, within their length limits."""

from __future__ import annotations

from hypothesis import strategies as st

from otm.protocols.cdp import messages as c
from otm.protocols.lldp import messages as m
from otm.protocols.lldp.constants import (
    OUI_IEEE_802_1,
    OUI_IEEE_802_3,
    OUI_PROFINET,
)

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)

DECODED_ORG = frozenset(
    {(OUI_IEEE_802_1, s) for s in (1, 2, 3, 4)}
    | {(OUI_IEEE_802_3, s) for s in (1, 3, 4)}
    | {(OUI_PROFINET, s) for s in (1, 2, 3, 4, 5, 6)}
)
"""(OUI, subtype) pairs with a typed class; ``OrgTlv`` strategies avoid them."""

CHASSIS = st.builds(m.ChassisId, u8, st.binary(min_size=1, max_size=255))
PORT = st.builds(m.PortId, u8, st.binary(min_size=1, max_size=255))
TTL = st.builds(m.TimeToLive, u16)

OPTIONAL: dict[str, st.SearchStrategy[m.Tlv]] = {
    "PortDescription": st.builds(m.PortDescription, st.binary(max_size=255)),
    "SystemName": st.builds(m.SystemName, st.binary(max_size=255)),
    "SystemDescription": st.builds(m.SystemDescription, st.binary(max_size=255)),
    "SystemCapabilities": st.builds(m.SystemCapabilities, u16, u16),
    "ManagementAddress": st.builds(
        m.ManagementAddress,
        u8,
        st.binary(min_size=1, max_size=31),
        u8,
        u32,
        st.binary(max_size=128),
    ),
    "PortVlanId": st.builds(m.PortVlanId, u16),
    "PortAndProtocolVlanId": st.builds(m.PortAndProtocolVlanId, u8, u16),
    "VlanName": st.builds(m.VlanName, u16, st.binary(max_size=32)),
    "ProtocolIdentity": st.builds(m.ProtocolIdentity, st.binary(max_size=255)),
    "MacPhyConfigStatus": st.builds(m.MacPhyConfigStatus, u8, u16, u16),
    "LinkAggregation": st.builds(m.LinkAggregation, u8, u32),
    "MaximumFrameSize": st.builds(m.MaximumFrameSize, u16),
    "ProfinetDelay": st.builds(m.ProfinetDelay, u32, u32, u32, u32, u32),
    "ProfinetPortStatus": st.builds(m.ProfinetPortStatus, u16, u16),
    "ProfinetAlias": st.builds(m.ProfinetAlias, st.binary(max_size=507)),
    "ProfinetMrpPortStatus": st.builds(
        m.ProfinetMrpPortStatus, st.binary(min_size=16, max_size=16), u16
    ),
    "ProfinetChassisMac": st.builds(m.ProfinetChassisMac, st.binary(min_size=6, max_size=6)),
    "ProfinetPtcpStatus": st.builds(
        m.ProfinetPtcpStatus,
        st.binary(min_size=6, max_size=6),
        st.binary(min_size=16, max_size=16),
        st.binary(min_size=16, max_size=16),
        u32,
        u32,
        u32,
        u32,
    ),
    "OrgTlv": st.builds(m.OrgTlv, st.integers(0, 0xFFFFFF), u8, st.binary(max_size=507)).filter(
        lambda t: (t.oui, t.subtype) not in DECODED_ORG
    ),
    "RawTlv": st.builds(m.RawTlv, st.integers(9, 126), st.binary(max_size=511)),
}
"""Every optional TLV class, by name."""


def lldpdus(optional: st.SearchStrategy[m.Tlv] | None = None) -> st.SearchStrategy[m.Lldpdu]:
    """LLDPDUs: the mandatory three, up to 8 optional TLVs, with or without End."""
    rest = st.lists(optional if optional is not None else st.one_of(*OPTIONAL.values()), max_size=8)
    return st.builds(
        lambda head, tail, end: m.Lldpdu((*head, *tail), end),
        st.tuples(CHASSIS, PORT, TTL),
        rest,
        st.booleans(),
    )


CDP_ADDRESS = st.builds(
    c.CdpAddress, st.sampled_from((1, 2, 0, 7)), st.binary(max_size=9), st.binary(max_size=16)
)
CDP_DECODED_TYPES = frozenset((1, 2, 3, 4, 5, 6, 9, 10, 11, 0x14, 0x16))

CDP_TLVS: dict[str, st.SearchStrategy[c.Tlv]] = {
    "DeviceId": st.builds(c.DeviceId, st.binary(max_size=64)),
    "Addresses": st.builds(c.Addresses, st.lists(CDP_ADDRESS, max_size=4).map(tuple)),
    "PortId": st.builds(c.PortId, st.binary(max_size=64)),
    "Capabilities": st.builds(c.Capabilities, u32),
    "SoftwareVersion": st.builds(c.SoftwareVersion, st.binary(max_size=256)),
    "Platform": st.builds(c.Platform, st.binary(max_size=64)),
    "VtpManagementDomain": st.builds(c.VtpManagementDomain, st.binary(max_size=32)),
    "NativeVlan": st.builds(c.NativeVlan, u16),
    "Duplex": st.builds(c.Duplex, u8),
    "SystemName": st.builds(c.SystemName, st.binary(max_size=64)),
    "ManagementAddresses": st.builds(
        c.ManagementAddresses, st.lists(CDP_ADDRESS, max_size=4).map(tuple)
    ),
    "RawTlv": st.builds(
        c.RawTlv, u16.filter(lambda t: t not in CDP_DECODED_TYPES), st.binary(max_size=64)
    ),
}
"""Every CDP TLV class, by name."""


def cdp_packets(tlv: st.SearchStrategy[c.Tlv] | None = None) -> st.SearchStrategy[c.CdpPacket]:
    """CDP packets of version 1 or 2 with up to 8 TLVs."""
    return st.builds(
        c.CdpPacket,
        st.sampled_from((1, 2)),
        u8,
        u16,
        st.lists(tlv if tlv is not None else st.one_of(*CDP_TLVS.values()), max_size=8).map(tuple),
    )
