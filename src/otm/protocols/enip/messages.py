"""EtherNet/IP and CIP messages, fields in wire order named after the specification.

All integers little-endian unless noted.  Layouts (byte widths):

- encapsulation: ``command 2 | length 2 | session handle 4 | status 4 |
  sender context 8 | options 4 | data (length)``;
- common packet format (CPF): ``item count 2 | items (type id 2 | length 2 | data)``;
- SendRRData / SendUnitData data: ``interface handle 4 | timeout 2 | CPF``;
- CIP request: ``service 1 | path size in words 1 | path | request data``;
- CIP response: ``reply service 1 (service | 0x80) | reserved 1 | general status 1 |
  additional status size in words 1 | additional status | response data``.
"""

from __future__ import annotations

from dataclasses import dataclass

from otm.protocols.enip.constants import (
    ITEM_CONNECTED_ADDRESS,
    ITEM_CONNECTED_DATA,
    ITEM_UNCONNECTED_DATA,
)


@dataclass(frozen=True, slots=True)
class Encapsulation:
    """One encapsulation message (header + data); the length is derived from ``data``."""

    command: int
    session_handle: int
    status: int
    sender_context: bytes
    options: int
    data: bytes


@dataclass(frozen=True, slots=True)
class CpfItem:
    """One common-packet-format item: ``type id 2 | length 2 | data``."""

    type_id: int
    data: bytes


@dataclass(frozen=True, slots=True)
class SendData:
    """SendRRData / SendUnitData payload: ``interface handle 4 | timeout 2 | CPF``."""

    interface_handle: int
    timeout: int
    items: tuple[CpfItem, ...]

    def item(self, type_id: int) -> CpfItem | None:
        """The first item of a type, or None."""
        for it in self.items:
            if it.type_id == type_id:
                return it
        return None

    @property
    def connection_id(self) -> int | None:
        """Connection id of a connected address item (SendUnitData), or None."""
        it = self.item(ITEM_CONNECTED_ADDRESS)
        if it is None or len(it.data) != 4:
            return None
        return int.from_bytes(it.data, "little")

    @property
    def sequence_count(self) -> int | None:
        """The 16-bit sequence count that starts connected (class 3) data, or None."""
        it = self.item(ITEM_CONNECTED_DATA)
        if it is None or len(it.data) < 2:
            return None
        return int.from_bytes(it.data[:2], "little")

    @property
    def cip(self) -> bytes | None:
        """The CIP message carried: unconnected data, or connected data after its sequence count."""
        it = self.item(ITEM_UNCONNECTED_DATA)
        if it is not None:
            return it.data
        it = self.item(ITEM_CONNECTED_DATA)
        if it is not None and len(it.data) >= 2:
            return it.data[2:]
        return None


@dataclass(frozen=True, slots=True)
class IdentityItem:
    """ListIdentity response item (type 0x000C).

    ``encapsulation version 2 | socket address 16 (sin_family 2, sin_port 2,
    sin_addr 4 — big-endian — and 8 zero bytes) | vendor id 2 | device type 2 |
    product code 2 | revision major 1 | revision minor 1 | status 2 |
    serial number 4 | product name (length 1 + chars) | state 1``.
    """

    encapsulation_version: int
    sin_family: int
    sin_port: int
    sin_address: str
    vendor_id: int
    device_type: int
    product_code: int
    revision_major: int
    revision_minor: int
    status: int
    serial_number: int
    product_name: str
    state: int
    sin_zero: bytes = bytes(8)


@dataclass(frozen=True, slots=True)
class ListIdentityResponse:
    """ListIdentity reply data: the identity items (other item types kept raw)."""

    identities: tuple[IdentityItem, ...]
    others: tuple[CpfItem, ...] = ()


@dataclass(frozen=True, slots=True)
class RegisterSession:
    """RegisterSession request/reply data: ``protocol version 2 | options 2``."""

    protocol_version: int
    options: int


@dataclass(frozen=True, slots=True)
class LogicalSegment:
    """A logical path segment: ``0b001 type(3) format(2)`` then the value.

    ``kind`` is class, instance, member, connection_point, attribute,
    special, service_id or extended; ``size`` is 1, 2 or 4 bytes (2 and 4
    are preceded by a pad byte).
    """

    kind: str
    value: int
    size: int = 1


@dataclass(frozen=True, slots=True)
class PortSegment:
    """A port segment: ``port(4 bits) [extended link flag]`` then the link address.

    On a ControlLogix backplane, port 1 with link N addresses slot N.
    """

    port: int
    link: bytes

    @property
    def link_number(self) -> int | None:
        """The link address as a number when it is one byte (a slot), else None."""
        return self.link[0] if len(self.link) == 1 else None


@dataclass(frozen=True, slots=True)
class SymbolSegment:
    """An ANSI extended symbol segment (0x91): a Logix tag name."""

    name: str


@dataclass(frozen=True, slots=True)
class DataSegment:
    """A simple data segment (0x80): ``0x80 | length in words | data``."""

    data: bytes


Segment = LogicalSegment | PortSegment | SymbolSegment | DataSegment


@dataclass(frozen=True, slots=True)
class CipPath:
    """A padded EPATH, as segments."""

    segments: tuple[Segment, ...]

    def _logical(self, kind: str) -> int | None:
        for seg in self.segments:
            if isinstance(seg, LogicalSegment) and seg.kind == kind:
                return seg.value
        return None

    @property
    def class_id(self) -> int | None:
        """The class addressed, if the path names one."""
        return self._logical("class")

    @property
    def instance_id(self) -> int | None:
        """The instance addressed, if any."""
        return self._logical("instance")

    @property
    def attribute_id(self) -> int | None:
        """The attribute addressed, if any."""
        return self._logical("attribute")

    @property
    def symbol(self) -> str | None:
        """The first symbolic segment (a tag name), if any."""
        for seg in self.segments:
            if isinstance(seg, SymbolSegment):
                return seg.name
        return None

    @property
    def ports(self) -> tuple[PortSegment, ...]:
        """The port hops of a route path."""
        return tuple(s for s in self.segments if isinstance(s, PortSegment))


@dataclass(frozen=True, slots=True)
class CipRequest:
    """A CIP request: service, path, request data (object-specific layout)."""

    service: int
    path: CipPath
    data: bytes


@dataclass(frozen=True, slots=True)
class CipResponse:
    """A CIP response; ``service`` is the request service (reply flag removed)."""

    service: int
    general_status: int
    additional_status: tuple[int, ...]
    data: bytes
    reserved: int = 0


@dataclass(frozen=True, slots=True)
class UnconnectedSend:
    """Unconnected Send (0x52 to the Connection Manager) request data.

    ``priority/time tick 1 | timeout ticks 1 | message size 2 | message |
    [pad 1 if size is odd] | route path size in words 1 | reserved 1 | route path``.
    """

    priority_time_tick: int
    timeout_ticks: int
    request: CipRequest
    route: CipPath
    reserved: int = 0


@dataclass(frozen=True, slots=True)
class MultipleServicePacket:
    """Multiple Service Packet (0x0A) request or reply data.

    ``count 2 | offsets 2 x count (from the start of the data) | services``.
    """

    services: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class IdentityObject:
    """Identity object (class 0x01) instance attributes 1-7 (and 8, state, when sent).

    Get_Attributes_All reply data: ``vendor id 2 | device type 2 | product code 2 |
    revision major 1 | revision minor 1 | status 2 | serial number 4 |
    product name (length 1 + chars) [| state 1 ...]``.
    """

    vendor_id: int
    device_type: int
    product_code: int
    revision_major: int
    revision_minor: int
    status: int
    serial_number: int
    product_name: str
    extra: bytes = b""


@dataclass(frozen=True, slots=True)
class IoDatagram:
    """Class 0/1 implicit I/O on UDP 2222: sequenced address item + connected data."""

    connection_id: int
    sequence_number: int
    data: bytes
