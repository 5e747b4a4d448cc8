"""LLDPDU bytes <-> TLVs, without I/O (IEEE 802.1AB-2016 clauses 8 and 9).

Hand-written: LLDP is a flat TLV list that a dozen lines walk, and the
Python LLDP libraries are daemons or packet tools that bring sockets along.

Layout of an LLDPDU (the payload after EtherType 0x88CC)::

    +--------+--------+--------+-----+----------+-----------+
    | Chassis| Port ID| TTL    | ... optional | End (0,0) |  padding
    +--------+--------+--------+-----+----------+-----------+
    each TLV: type (7 bits) | length (9 bits) | value (length bytes)

``decode_lldpdu`` returns an ``Lldpdu`` or an ``Anomaly``; it never raises.
For every LLDPDU it accepts whose End TLV (if any) has length 0,
``encode_lldpdu(decode_lldpdu(data))`` is a prefix of ``data`` (what follows
the End TLV is padding).  ``neighbour`` reduces an LLDPDU to the
``Neighbour`` record the topology layer uses.
"""

from __future__ import annotations

import struct
from dataclasses import fields
from typing import Final

from otm.protocols.common import Anomaly
from otm.protocols.lldp.anomalies import LldpAnomaly
from otm.protocols.lldp.constants import (
    MAX_TLV_LENGTH,
    OUI_IEEE_802_1,
    OUI_PROFINET,
    Ieee8021Subtype,
    ProfinetSubtype,
    TlvType,
)
from otm.protocols.lldp.messages import (
    ChassisId,
    KnownOrgTlv,
    LinkAggregation,
    Lldpdu,
    MacPhyConfigStatus,
    ManagementAddress,
    MaximumFrameSize,
    OrgTlv,
    PortAndProtocolVlanId,
    PortDescription,
    PortId,
    PortVlanId,
    ProfinetAlias,
    ProfinetChassisMac,
    ProfinetDelay,
    ProfinetMrpPortStatus,
    ProfinetPortStatus,
    ProfinetPtcpStatus,
    ProtocolIdentity,
    RawTlv,
    SystemCapabilities,
    SystemDescription,
    SystemName,
    TimeToLive,
    Tlv,
    VlanName,
)
from otm.protocols.neighbours import Neighbour

K = LldpAnomaly

_U16: Final = struct.Struct(">H")
_CAPABILITIES: Final = struct.Struct(">HH")
_U32: Final = struct.Struct(">I")

MAX_TEXT = 255
"""Largest Port Description, System Name and System Description (802.1AB 8.5.5-8.5.7)."""

MAX_OID = 128
"""Largest OID string of a Management Address TLV (802.1AB 8.5.9.8)."""

_FIXED: Final[dict[tuple[int, int], tuple[struct.Struct, type[KnownOrgTlv]]]] = {
    (cls.OUI, cls.SUBTYPE): (struct.Struct(layout), cls)
    for cls, layout in (
        (PortVlanId, ">H"),
        (PortAndProtocolVlanId, ">BH"),
        (MacPhyConfigStatus, ">BHH"),
        (LinkAggregation, ">BI"),
        (MaximumFrameSize, ">H"),
        (ProfinetDelay, ">IIIII"),
        (ProfinetPortStatus, ">HH"),
        (ProfinetMrpPortStatus, ">16sH"),
        (ProfinetChassisMac, ">6s"),
        (ProfinetPtcpStatus, ">6s16s16sIIII"),
    )
}
"""Organisation TLVs whose information has one fixed layout: (OUI, subtype) ->
(layout, class); the layout's fields are the class's fields in order."""

_FIXED_BY_CLASS: Final = {cls: layout for layout, cls in _FIXED.values()}


# --- decoding ------------------------------------------------------------------


def decode_lldpdu(data: bytes) -> Lldpdu | Anomaly:
    """Decode the LLDPDU at the start of ``data`` (the payload after the EtherType).

    Stops at the End TLV, or at the end of the data when there is none; a
    single byte left over is taken for padding.
    """
    size = len(data)
    if not size:
        return Anomaly(K.EMPTY, "no LLDPDU")
    tlvs: list[Tlv] = []
    end = False
    pos = 0
    # Each turn consumes a 2-byte header at least: bounded by size / 2.
    while pos + 2 <= size:
        header = (data[pos] << 8) | data[pos + 1]
        tlv_type = header >> 9
        length = header & 0x1FF
        if tlv_type == TlvType.END:
            end = True
            break
        start = pos + 2
        stop = start + length
        if stop > size:
            return Anomaly(K.TRUNCATED, f"TLV type {tlv_type} needs {length} bytes", pos)
        value = data[start:stop]
        index = len(tlvs)
        if index < 3:
            if tlv_type != index + 1:
                return Anomaly(
                    K.MISSING_MANDATORY, f"TLV {index + 1} is type {tlv_type}, not {index + 1}", pos
                )
            mandatory = _mandatory(tlv_type, value, pos)
            if isinstance(mandatory, Anomaly):
                return mandatory
            tlvs.append(mandatory)
        elif tlv_type <= TlvType.TIME_TO_LIVE:
            return Anomaly(K.DUPLICATE_MANDATORY, f"second TLV of type {tlv_type}", pos)
        else:
            tlvs.append(decode_optional(tlv_type, value))
        pos = stop
    if len(tlvs) < 3:
        return Anomaly(K.MISSING_MANDATORY, f"only {len(tlvs)} of the 3 mandatory TLVs", pos)
    return Lldpdu(tuple(tlvs), end)


def _mandatory(tlv_type: int, value: bytes, pos: int) -> Tlv | Anomaly:
    if tlv_type == TlvType.TIME_TO_LIVE:
        if len(value) != 2:
            return Anomaly(K.BAD_MANDATORY_LENGTH, f"TTL of {len(value)} bytes", pos)
        return TimeToLive(_U16.unpack(value)[0])
    if not 2 <= len(value) <= 256:
        return Anomaly(K.BAD_MANDATORY_LENGTH, f"ID TLV of {len(value)} bytes", pos)
    if tlv_type == TlvType.CHASSIS_ID:
        return ChassisId(value[0], value[1:])
    return PortId(value[0], value[1:])


def decode_optional(tlv_type: int, value: bytes) -> Tlv:
    """An optional TLV (types 4-127) from its value; ``RawTlv``/``OrgTlv`` when
    the value does not fit the type's layout.  Never fails."""
    if tlv_type in (TlvType.PORT_DESCRIPTION, TlvType.SYSTEM_NAME, TlvType.SYSTEM_DESCRIPTION):
        if len(value) > MAX_TEXT:
            return RawTlv(tlv_type, value)
        if tlv_type == TlvType.PORT_DESCRIPTION:
            return PortDescription(value)
        if tlv_type == TlvType.SYSTEM_NAME:
            return SystemName(value)
        return SystemDescription(value)
    if tlv_type == TlvType.SYSTEM_CAPABILITIES:
        if len(value) != 4:
            return RawTlv(tlv_type, value)
        return SystemCapabilities(*_CAPABILITIES.unpack(value))
    if tlv_type == TlvType.MANAGEMENT_ADDRESS:
        return _management_address(value) or RawTlv(tlv_type, value)
    if tlv_type == TlvType.ORGANIZATION_SPECIFIC:
        if len(value) < 4:
            return RawTlv(tlv_type, value)
        oui = (value[0] << 16) | (value[1] << 8) | value[2]
        return decode_org(oui, value[3], value[4:])
    return RawTlv(tlv_type, value)


def _management_address(value: bytes) -> ManagementAddress | None:
    """802.1AB 8.5.9; None when the value does not fit the layout."""
    if len(value) < 9:
        return None
    string_length = value[0]
    if not 2 <= string_length <= 32:
        return None
    at = 1 + string_length  # the interface subtype
    if at + 6 > len(value):
        return None
    oid_length = value[at + 5]
    if oid_length > MAX_OID or at + 6 + oid_length != len(value):
        return None
    return ManagementAddress(
        value[1],
        value[2:at],
        value[at],
        _U32.unpack_from(value, at + 1)[0],
        value[at + 6 :],
    )


def decode_org(oui: int, subtype: int, info: bytes) -> KnownOrgTlv | OrgTlv:
    """An organisation TLV from its OUI, subtype and information string; ``OrgTlv``
    when it is unknown or does not fit its layout.  Never fails."""
    fixed = _FIXED.get((oui, subtype))
    if fixed is not None:
        layout, cls = fixed
        if len(info) == layout.size:
            return cls(*layout.unpack(info))
        return OrgTlv(oui, subtype, info)
    if oui == OUI_IEEE_802_1 and subtype == Ieee8021Subtype.VLAN_NAME:
        if len(info) >= 3 and info[2] <= 32 and len(info) == 3 + info[2]:
            return VlanName(_U16.unpack_from(info)[0], info[3:])
    elif oui == OUI_IEEE_802_1 and subtype == Ieee8021Subtype.PROTOCOL_IDENTITY:
        if info and len(info) == 1 + info[0]:
            return ProtocolIdentity(info[1:])
    elif oui == OUI_PROFINET and subtype == ProfinetSubtype.ALIAS:
        return ProfinetAlias(info)
    return OrgTlv(oui, subtype, info)


# --- encoding ------------------------------------------------------------------


def encode_lldpdu(lldpdu: Lldpdu) -> bytes:
    """The LLDPDU's bytes, End TLV included when ``lldpdu.end`` (no padding).

    Raises ValueError for a TLV longer than 511 bytes, which LLDP cannot carry.
    """
    body = b"".join(encode_tlv(tlv) for tlv in lldpdu.tlvs)
    return body + b"\x00\x00" if lldpdu.end else body


def encode_tlv(tlv: Tlv) -> bytes:
    """One TLV, header included (ValueError when the value exceeds 511 bytes)."""
    tlv_type, value = _type_and_value(tlv)
    if len(value) > MAX_TLV_LENGTH or not 0 <= tlv_type <= 127:
        raise ValueError(f"TLV type {tlv_type} of {len(value)} bytes cannot be encoded")
    return _U16.pack((tlv_type << 9) | len(value)) + value


def _type_and_value(tlv: Tlv) -> tuple[int, bytes]:
    match tlv:
        case ChassisId():
            return TlvType.CHASSIS_ID, bytes((tlv.subtype,)) + tlv.id
        case PortId():
            return TlvType.PORT_ID, bytes((tlv.subtype,)) + tlv.id
        case TimeToLive():
            return TlvType.TIME_TO_LIVE, _U16.pack(tlv.seconds)
        case PortDescription():
            return TlvType.PORT_DESCRIPTION, tlv.value
        case SystemName():
            return TlvType.SYSTEM_NAME, tlv.value
        case SystemDescription():
            return TlvType.SYSTEM_DESCRIPTION, tlv.value
        case SystemCapabilities():
            return TlvType.SYSTEM_CAPABILITIES, _CAPABILITIES.pack(tlv.supported, tlv.enabled)
        case ManagementAddress():
            value = (
                bytes((1 + len(tlv.address), tlv.address_subtype))
                + tlv.address
                + bytes((tlv.interface_subtype,))
                + _U32.pack(tlv.interface_number)
                + bytes((len(tlv.oid),))
                + tlv.oid
            )
            return TlvType.MANAGEMENT_ADDRESS, value
        case RawTlv():
            return tlv.type, tlv.value
        case OrgTlv():
            return TlvType.ORGANIZATION_SPECIFIC, _org(tlv.oui, tlv.subtype, tlv.info)
        case _:
            return TlvType.ORGANIZATION_SPECIFIC, _org(tlv.OUI, tlv.SUBTYPE, _org_info(tlv))


def _org(oui: int, subtype: int, info: bytes) -> bytes:
    return oui.to_bytes(3, "big") + bytes((subtype,)) + info


def _org_info(tlv: KnownOrgTlv) -> bytes:
    layout = _FIXED_BY_CLASS.get(type(tlv))
    if layout is not None:
        return layout.pack(*(getattr(tlv, f.name) for f in fields(tlv)))
    match tlv:
        case VlanName():
            return _U16.pack(tlv.vlan_id) + bytes((len(tlv.name),)) + tlv.name
        case ProtocolIdentity():
            return bytes((len(tlv.identity),)) + tlv.identity
        case ProfinetAlias():
            return tlv.value
    raise ValueError(f"no encoder for {tlv!r}")  # pragma: no cover - every class has one


# --- the neighbour record ---------------------------------------------------------


def neighbour(lldpdu: Lldpdu) -> Neighbour:
    """What the sender says about itself and its port, for the topology layer.

    Capabilities are the enabled ones (what the device does now), falling
    back to the supported ones when none is marked enabled.
    """
    name = lldpdu.first(SystemName)
    description = lldpdu.first(PortDescription)
    capabilities = lldpdu.first(SystemCapabilities)
    caps: tuple[str, ...] = ()
    if capabilities is not None:
        caps = capabilities.enabled_names or capabilities.supported_names
    pvid = lldpdu.first(PortVlanId)
    return Neighbour(
        chassis=lldpdu.chassis_id.text,
        port=lldpdu.port_id.text,
        system_name=name.text if name is not None else None,
        capabilities=caps,
        management_addresses=tuple(a.text for a in lldpdu.all(ManagementAddress)),
        port_description=description.text if description is not None else None,
        vlan_id=pvid.vlan_id if pvid is not None else None,
        ttl=lldpdu.ttl,
    )
