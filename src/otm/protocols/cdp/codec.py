"""CDP bytes <-> packets, without I/O.

Hand-written: CDP is a header and a flat TLV list; the Python tools that
speak it are packet crafters or daemons with sockets, not decoders.

Layout (the payload after ``AA AA 03 | 00 00 0C | 20 00``)::

    0         1     2          4
    +---------+-----+----------+-----------------------------------+
    | version | ttl | checksum | TLVs: type u16 | length u16 | ... |
    +---------+-----+----------+-----------------------------------+

A TLV's length counts its own 4-byte header.  ``decode_cdp`` returns a
``CdpPacket`` or an ``Anomaly`` and never raises; zero bytes after the last
TLV are Ethernet padding.  For every packet it accepts,
``encode_cdp(decode_cdp(data))`` is a prefix of ``data``.
``verify_checksum`` checks the checksum with Cisco's treatment of an odd
final byte (see ``cdp_checksum``).
"""

from __future__ import annotations

import struct
from typing import Final

from otm.protocols.cdp.anomalies import CdpAnomaly
from otm.protocols.cdp.constants import VERSIONS, TlvType
from otm.protocols.cdp.messages import (
    Addresses,
    Capabilities,
    CdpAddress,
    CdpPacket,
    DeviceId,
    Duplex,
    ManagementAddresses,
    NativeVlan,
    Platform,
    PortId,
    RawTlv,
    SoftwareVersion,
    SystemName,
    Tlv,
    VtpManagementDomain,
)
from otm.protocols.common import Anomaly
from otm.protocols.neighbours import Neighbour

K = CdpAnomaly

_HEADER: Final = struct.Struct(">BBH")
_TLV: Final = struct.Struct(">HH")
_U16: Final = struct.Struct(">H")
_U32: Final = struct.Struct(">I")

MAX_ADDRESSES = 64
"""Address entries read from one Addresses TLV.  Each takes 5 bytes at least,
so a 1500-byte frame could hold ~300; a device has a handful of interfaces."""

_TEXT: Final[dict[int, type[DeviceId | PortId | SoftwareVersion | Platform]]] = {
    TlvType.DEVICE_ID: DeviceId,
    TlvType.PORT_ID: PortId,
    TlvType.SOFTWARE_VERSION: SoftwareVersion,
    TlvType.PLATFORM: Platform,
}
_MORE_TEXT: Final[dict[int, type[VtpManagementDomain | SystemName]]] = {
    TlvType.VTP_MANAGEMENT_DOMAIN: VtpManagementDomain,
    TlvType.SYSTEM_NAME: SystemName,
}


# --- decoding ------------------------------------------------------------------


def decode_cdp(data: bytes) -> CdpPacket | Anomaly:
    """Decode the CDP packet at the start of ``data`` (after the SNAP header)."""
    size = len(data)
    if size < 4:
        return Anomaly(K.TRUNCATED, f"{size}-byte CDP header")
    version, ttl, checksum = _HEADER.unpack_from(data)
    if version not in VERSIONS:
        return Anomaly(K.UNKNOWN_VERSION, f"version {version}")
    tlvs: list[Tlv] = []
    pos = 4
    # Each turn consumes at least the 4-byte TLV header or leaves: bounded by size / 4.
    while pos < size:
        if pos + 4 > size or (length := _TLV.unpack_from(data, pos)[1]) < 4:
            if not any(data[pos:]):
                break  # Ethernet padding
            if pos + 4 > size:
                return Anomaly(K.TRUNCATED, f"{size - pos} bytes after the last TLV", pos)
            return Anomaly(K.BAD_TLV_LENGTH, f"TLV length {length}", pos)
        if pos + length > size:
            return Anomaly(K.TRUNCATED, f"TLV needs {length} bytes, {size - pos} left", pos)
        tlv_type = (data[pos] << 8) | data[pos + 1]
        tlvs.append(decode_tlv(tlv_type, data[pos + 4 : pos + length]))
        pos += length
    return CdpPacket(version, ttl, checksum, tuple(tlvs))


def decode_tlv(tlv_type: int, value: bytes) -> Tlv:
    """One TLV from its type and value; ``RawTlv`` when unknown or malformed. Never fails."""
    text = _TEXT.get(tlv_type) or _MORE_TEXT.get(tlv_type)
    if text is not None:
        return text(value)
    if tlv_type in (TlvType.ADDRESSES, TlvType.MANAGEMENT_ADDRESSES):
        entries = _addresses(value)
        if entries is None:
            return RawTlv(tlv_type, value)
        if tlv_type == TlvType.ADDRESSES:
            return Addresses(entries)
        return ManagementAddresses(entries)
    if tlv_type == TlvType.CAPABILITIES and len(value) == 4:
        return Capabilities(_U32.unpack(value)[0])
    if tlv_type == TlvType.NATIVE_VLAN and len(value) == 2:
        return NativeVlan(_U16.unpack(value)[0])
    if tlv_type == TlvType.DUPLEX and len(value) == 1:
        return Duplex(value[0])
    return RawTlv(tlv_type, value)


def _addresses(value: bytes) -> tuple[CdpAddress, ...] | None:
    """``count u32 | entries`` that fill the value exactly; None otherwise."""
    if len(value) < 4:
        return None
    count = _U32.unpack_from(value)[0]
    if count > MAX_ADDRESSES:
        return None
    entries: list[CdpAddress] = []
    pos = 4
    # At most MAX_ADDRESSES turns, each consuming 4 bytes at least.
    for _ in range(count):
        if pos + 2 > len(value):
            return None
        protocol_type, protocol_length = value[pos], value[pos + 1]
        at = pos + 2 + protocol_length
        if at + 2 > len(value):
            return None
        address_length = _U16.unpack_from(value, at)[0]
        end = at + 2 + address_length
        if end > len(value):
            return None
        entries.append(CdpAddress(protocol_type, value[pos + 2 : at], value[at + 2 : end]))
        pos = end
    if pos != len(value):
        return None
    return tuple(entries)


# --- encoding ------------------------------------------------------------------


def encode_cdp(packet: CdpPacket, fill_checksum: bool = False) -> bytes:
    """The packet's bytes; with ``fill_checksum`` the checksum is computed
    instead of copied.  Raises ValueError for a TLV over 65,531 value bytes."""
    body = b"".join(encode_tlv(tlv) for tlv in packet.tlvs)
    head = _HEADER.pack(packet.version, packet.ttl, 0 if fill_checksum else packet.checksum)
    if not fill_checksum:
        return head + body
    checksum = cdp_checksum(head + body)
    return _HEADER.pack(packet.version, packet.ttl, checksum) + body


def encode_tlv(tlv: Tlv) -> bytes:
    """One TLV with its header (ValueError when too long for the 16-bit length)."""
    tlv_type, value = _type_and_value(tlv)
    if len(value) > 0xFFFF - 4:
        raise ValueError(f"CDP TLV of {len(value)} bytes cannot be encoded")
    return _TLV.pack(tlv_type, 4 + len(value)) + value


def _type_and_value(tlv: Tlv) -> tuple[int, bytes]:
    match tlv:
        case DeviceId():
            return TlvType.DEVICE_ID, tlv.value
        case PortId():
            return TlvType.PORT_ID, tlv.value
        case SoftwareVersion():
            return TlvType.SOFTWARE_VERSION, tlv.value
        case Platform():
            return TlvType.PLATFORM, tlv.value
        case VtpManagementDomain():
            return TlvType.VTP_MANAGEMENT_DOMAIN, tlv.value
        case SystemName():
            return TlvType.SYSTEM_NAME, tlv.value
        case Addresses():
            return TlvType.ADDRESSES, _encode_addresses(tlv.addresses)
        case ManagementAddresses():
            return TlvType.MANAGEMENT_ADDRESSES, _encode_addresses(tlv.addresses)
        case Capabilities():
            return TlvType.CAPABILITIES, _U32.pack(tlv.bits)
        case NativeVlan():
            return TlvType.NATIVE_VLAN, _U16.pack(tlv.vlan_id)
        case Duplex():
            return TlvType.DUPLEX, bytes((tlv.full,))
        case RawTlv():
            return tlv.type, tlv.value


def _encode_addresses(entries: tuple[CdpAddress, ...]) -> bytes:
    parts = [_U32.pack(len(entries))]
    for entry in entries:
        parts.append(bytes((entry.protocol_type, len(entry.protocol))) + entry.protocol)
        parts.append(_U16.pack(len(entry.address)) + entry.address)
    return b"".join(parts)


# --- checksum ------------------------------------------------------------------


def cdp_checksum(pdu: bytes) -> int:
    """The checksum of a CDP packet whose checksum field is zero.

    The Internet checksum (RFC 1071) of big-endian 16-bit words, except for
    an odd final byte: Cisco adds it as a signed char (sign-extended, so
    0x80-0xFF count as negative) instead of as the high byte of a padded
    word.  Checked against the captured packets and Wireshark's verdicts.
    """
    size = len(pdu)
    even = size - (size & 1)
    total = sum(struct.unpack_from(f">{even // 2}H", pdu)) if even else 0
    if size & 1:
        last = pdu[-1]
        total += last - 256 if last & 0x80 else last
        if total < 0:
            total += 0xFFFF  # one's complement: -x is 0xFFFF - x
    # Each fold shrinks a sum of at most 32,768 words: two or three turns.
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def verify_checksum(packet: CdpPacket) -> bool:
    """Whether the packet's checksum is right for its bytes."""
    return encode_cdp(packet, fill_checksum=True)[2:4] == _U16.pack(packet.checksum)


# --- the neighbour record ---------------------------------------------------------


def neighbour(packet: CdpPacket) -> Neighbour:
    """What the sender says about itself and its port, for the topology layer.

    Management addresses are those of the Management Addresses TLV, else
    those of the Addresses TLV (older IOS sends only the latter).
    """
    device = packet.first(DeviceId)
    port = packet.first(PortId)
    name = packet.first(SystemName)
    caps = packet.first(Capabilities)
    vlan = packet.first(NativeVlan)
    management = packet.first(ManagementAddresses) or packet.first(Addresses)
    return Neighbour(
        chassis=device.text if device is not None else "",
        port=port.text if port is not None else "",
        system_name=name.text if name is not None else (device.text if device else None),
        capabilities=caps.names if caps is not None else (),
        management_addresses=tuple(a.text for a in management.addresses) if management else (),
        vlan_id=vlan.vlan_id if vlan is not None else None,
        ttl=packet.ttl,
    )
