"""CDP packet and TLVs as frozen dataclasses, fields in wire order.

``version u8 | ttl u8 (seconds) | checksum u16 | TLVs``, each TLV
``type u16 | length u16 (4 + value bytes) | value``.  Text values keep their
bytes, so any packet the decoder accepts encodes back to the same bytes
(``text`` properties give the string); a TLV of a known type whose value
does not fit the layout is kept as ``RawTlv``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TypeAlias, TypeVar

from otm.protocols.cdp.constants import LLC_IPV6, NLPID_IP, AddressProtocolType, capability_names
from otm.protocols.neighbours import text_of


@dataclass(frozen=True, slots=True)
class CdpAddress:
    """One address entry: ``protocol type u8 (1 NLPID, 2 802.2) | protocol
    length u8 | protocol | address length u16 | address``."""

    protocol_type: int
    protocol: bytes
    address: bytes

    @property
    def ip(self) -> str | None:
        """The address when it is IPv4 (NLPID 0xCC) or IPv6 (802.2 SNAP 0x86DD)."""
        kind = (self.protocol_type, self.protocol, len(self.address))
        if kind == (AddressProtocolType.NLPID, NLPID_IP, 4):
            return str(ipaddress.IPv4Address(self.address))
        if kind == (AddressProtocolType.IEEE_802_2, LLC_IPV6, 16):
            return str(ipaddress.IPv6Address(self.address))
        return None

    @property
    def text(self) -> str:
        """The IP address, or the address bytes in hex for other protocols."""
        return self.ip or self.address.hex()


@dataclass(frozen=True, slots=True)
class DeviceId:
    """Device ID (0x0001): the device's name (often its hostname or serial)."""

    value: bytes

    @property
    def text(self) -> str:
        return text_of(self.value)


@dataclass(frozen=True, slots=True)
class Addresses:
    """Addresses (0x0002): ``count u32 | entries`` of the interface that sent."""

    addresses: tuple[CdpAddress, ...]


@dataclass(frozen=True, slots=True)
class PortId:
    """Port ID (0x0003): the name of the interface that sent the packet."""

    value: bytes

    @property
    def text(self) -> str:
        return text_of(self.value)


@dataclass(frozen=True, slots=True)
class Capabilities:
    """Capabilities (0x0004): ``bits u32`` (names in ``constants.CAPABILITY_NAMES``)."""

    bits: int

    @property
    def names(self) -> tuple[str, ...]:
        return capability_names(self.bits)


@dataclass(frozen=True, slots=True)
class SoftwareVersion:
    """Software Version (0x0005): multi-line text, the ``show version`` banner."""

    value: bytes

    @property
    def text(self) -> str:
        return text_of(self.value)

    @property
    def first_line(self) -> str:
        """The first line, which names the software and its version."""
        return self.text.split("\n", 1)[0].strip()


@dataclass(frozen=True, slots=True)
class Platform:
    """Platform (0x0006): the hardware model, e.g. ``cisco WS-C2960-24TT-L``."""

    value: bytes

    @property
    def text(self) -> str:
        return text_of(self.value)


@dataclass(frozen=True, slots=True)
class VtpManagementDomain:
    """VTP Management Domain (0x0009): text, may be empty."""

    value: bytes

    @property
    def text(self) -> str:
        return text_of(self.value)


@dataclass(frozen=True, slots=True)
class NativeVlan:
    """Native VLAN (0x000A): ``vlan id u16`` of the sending port."""

    vlan_id: int


@dataclass(frozen=True, slots=True)
class Duplex:
    """Duplex (0x000B): ``u8``, 1 full, 0 half."""

    full: int

    @property
    def text(self) -> str:
        return "full" if self.full else "half"


@dataclass(frozen=True, slots=True)
class SystemName:
    """System Name (0x0014): the sysName of the device."""

    value: bytes

    @property
    def text(self) -> str:
        return text_of(self.value)


@dataclass(frozen=True, slots=True)
class ManagementAddresses:
    """Management Addresses (0x0016): ``count u32 | entries``, where to manage
    the device (may differ from the sending interface's ``Addresses``)."""

    addresses: tuple[CdpAddress, ...]


@dataclass(frozen=True, slots=True)
class RawTlv:
    """A TLV kept as bytes: a type without a decoder, or a value that does not
    fit its type's layout."""

    type: int
    value: bytes


Tlv: TypeAlias = (
    DeviceId
    | Addresses
    | PortId
    | Capabilities
    | SoftwareVersion
    | Platform
    | VtpManagementDomain
    | NativeVlan
    | Duplex
    | SystemName
    | ManagementAddresses
    | RawTlv
)
"""Every TLV ``decode_cdp`` can return."""

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class CdpPacket:
    """One CDP packet (the payload after the SNAP header with PID 0x2000).

    ``checksum`` is as received (``codec.verify_checksum`` checks it).
    """

    version: int
    ttl: int
    checksum: int
    tlvs: tuple[Tlv, ...]

    def first(self, kind: type[_T]) -> _T | None:
        """The first TLV of a class, or None."""
        for tlv in self.tlvs:
            if isinstance(tlv, kind):
                return tlv
        return None
