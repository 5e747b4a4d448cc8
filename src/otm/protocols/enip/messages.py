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
    CAPABILITY_TCP,
    CAPABILITY_UDP_IO,
    ITEM_CONNECTED_ADDRESS,
    ITEM_CONNECTED_DATA,
    ITEM_LIST_SERVICES,
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
class ServiceItem:
    """ListServices reply item (type 0x0100 for the "Communications" service).

    ``type id 2 | length 2 (20) | encapsulation version 2 | capability flags 2 |
    name of service 16 (ASCII, NUL-padded)``.  ``name`` is the 16 bytes with
    the trailing NULs removed, so re-encoding gives the same bytes.
    """

    encapsulation_version: int
    capability_flags: int
    name: str
    type_id: int = ITEM_LIST_SERVICES

    @property
    def supports_tcp(self) -> bool:
        """Flag bit 5: CIP encapsulation (explicit messages) over TCP."""
        return bool(self.capability_flags & CAPABILITY_TCP)

    @property
    def supports_udp_io(self) -> bool:
        """Flag bit 8: CIP class 0/1 (implicit I/O) connections over UDP."""
        return bool(self.capability_flags & CAPABILITY_UDP_IO)


@dataclass(frozen=True, slots=True)
class ListServicesResponse:
    """ListServices reply data: CPF whose every item is a service item."""

    services: tuple[ServiceItem, ...]


@dataclass(frozen=True, slots=True)
class ListInterfacesResponse:
    """ListInterfaces reply data: CPF items (usually none; no public item layout)."""

    items: tuple[CpfItem, ...]


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
    """A tag name: ANSI extended symbol (``0x91 | length 1 | chars | pad``) when
    ``ansi``, else a symbolic segment (``0x60 + length (1-31) | chars | pad``)."""

    name: str
    ansi: bool = True


@dataclass(frozen=True, slots=True)
class DataSegment:
    """A simple data segment (0x80): ``0x80 | length in words | data``."""

    data: bytes


@dataclass(frozen=True, slots=True)
class ElectronicKeySegment:
    """Electronic key (``0x34 | key format 1 (4) | vendor id 2 | device type 2 |
    product code 2 | major revision 1 (bit 7: compatibility) | minor revision 1``).

    Found in Forward Open connection paths: the module the originator expects.
    """

    vendor_id: int
    device_type: int
    product_code: int
    major_revision: int
    minor_revision: int
    compatibility: bool = False


@dataclass(frozen=True, slots=True)
class NetworkSegment:
    """A network segment (``0x40 + subtype``): subtypes below 0x10 carry one data
    byte (0x43: production inhibit time in ms); 0x10 and up carry ``size in
    words 1 | data`` (0x50 safety, 0x51 production inhibit time in us)."""

    subtype: int
    data: bytes


Segment = (
    LogicalSegment
    | PortSegment
    | SymbolSegment
    | DataSegment
    | ElectronicKeySegment
    | NetworkSegment
)


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
    def member(self) -> int | None:
        """The member addressed (an array index in a Logix tag path), if any."""
        return self._logical("member")

    @property
    def connection_point(self) -> int | None:
        """The connection point (an assembly instance in an I/O path), if any."""
        return self._logical("connection_point")

    @property
    def symbol(self) -> str | None:
        """The first symbolic segment (a tag name), if any."""
        for seg in self.segments:
            if isinstance(seg, SymbolSegment):
                return seg.name
        return None

    @property
    def symbols(self) -> tuple[str, ...]:
        """Every symbolic segment in order (``Tag.Member`` is two)."""
        return tuple(s.name for s in self.segments if isinstance(s, SymbolSegment))

    @property
    def tag(self) -> str | None:
        """The Logix tag path, symbols joined with dots, or None."""
        names = self.symbols
        return ".".join(names) if names else None

    @property
    def ports(self) -> tuple[PortSegment, ...]:
        """The port segments of a route path."""
        return tuple(s for s in self.segments if isinstance(s, PortSegment))

    @property
    def hops(self) -> tuple[tuple[int, bytes], ...]:
        """The route as ``(port, link address)`` pairs, in order."""
        return tuple((s.port, s.link) for s in self.segments if isinstance(s, PortSegment))

    @property
    def electronic_key(self) -> ElectronicKeySegment | None:
        """The electronic key of a connection path, if any."""
        for seg in self.segments:
            if isinstance(seg, ElectronicKeySegment):
                return seg
        return None


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

    @property
    def slot(self) -> int | None:
        """The backplane slot the embedded request targets, or None.

        A route of one hop through port 1 (the backplane of a ControlLogix
        chassis) with a one-byte link address N delivers the request to the
        module in slot N of the chassis that received it.  Longer routes leave
        the chassis (the target lies beyond another module), so they name no
        slot of the addressed device.
        """
        hops = self.route.ports
        if len(hops) == 1 and hops[0].port == 1:
            return hops[0].link_number
        return None

    @property
    def first_hop(self) -> tuple[int, bytes] | None:
        """``(port, link)`` of the first hop: where the request leaves this device."""
        hops = self.route.hops
        return hops[0] if hops else None


@dataclass(frozen=True, slots=True)
class MultipleServicePacket:
    """Multiple Service Packet (0x0A) request or reply data.

    ``count 2 | offsets 2 x count (from the start of the data) | services``.
    The services are kept as bytes (requests or replies, the caller knows
    which); ``decode_multiple_service_requests``/``_responses`` decode them.
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

    @property
    def state(self) -> int | None:
        """Attribute 8 (state, u8) when the device appended it after the name."""
        return self.extra[0] if self.extra else None

    @property
    def configuration_consistency_value(self) -> int | None:
        """Attribute 9 (u16) when appended after the state."""
        if len(self.extra) < 3:
            return None
        return self.extra[1] | (self.extra[2] << 8)

    @property
    def heartbeat_interval(self) -> int | None:
        """Attribute 10 (seconds, u8) when appended after attribute 9."""
        return self.extra[3] if len(self.extra) >= 4 else None


IdentityValue = int | str | tuple[int, ...]
"""A decoded Identity attribute: a number, the product name, or a tuple
(revision ``(major, minor)``, active language ``(c1, c2, c3)``, semaphore
``(vendor, serial, timer)``)."""


@dataclass(frozen=True, slots=True)
class AttributeValue:
    """One entry of a Get_Attribute_List reply: ``attribute id 2 | status 2 |
    value`` (the value only when the status is 0)."""

    attribute_id: int
    status: int
    value: IdentityValue | None = None


@dataclass(frozen=True, slots=True)
class AttributeListReply:
    """Get_Attribute_List reply data of the Identity object.

    ``count 2 | entries``.  Entries are decoded while their value's length is
    known (Identity attributes 1-11 and 14); ``rest`` keeps the bytes from the
    first entry whose length is not (an array, an international string).
    """

    count: int
    values: tuple[AttributeValue, ...]
    rest: bytes = b""

    def value(self, attribute_id: int) -> IdentityValue | None:
        """The value of an attribute read successfully, or None."""
        for entry in self.values:
            if entry.attribute_id == attribute_id and entry.status == 0:
                return entry.value
        return None


@dataclass(frozen=True, slots=True)
class ForwardOpen:
    """Forward Open (0x54) or Large Forward Open (0x5B) request data.

    ``priority/time tick 1 | timeout ticks 1 | O->T connection id 4 |
    T->O connection id 4 | connection serial 2 | originator vendor id 2 |
    originator serial 4 | timeout multiplier 1 | reserved 3 | O->T RPI 4 (us) |
    O->T parameters 2 (Large: 4) | T->O RPI 4 | T->O parameters 2 (Large: 4) |
    transport type/trigger 1 | connection path size in words 1 | connection path``.
    """

    priority_time_tick: int
    timeout_ticks: int
    ot_connection_id: int
    to_connection_id: int
    connection_serial: int
    originator_vendor_id: int
    originator_serial: int
    timeout_multiplier: int
    ot_rpi: int
    ot_parameters: int
    to_rpi: int
    to_parameters: int
    transport_trigger: int
    connection_path: CipPath
    large: bool = False
    reserved: bytes = bytes(3)

    def _size(self, parameters: int) -> int:
        return parameters & (0xFFFF if self.large else 0x01FF)

    def _type(self, parameters: int) -> int:
        return (parameters >> (29 if self.large else 13)) & 0x03

    @property
    def ot_size(self) -> int:
        """O->T connection size in bytes (9 bits, Large: 16 bits of the parameters)."""
        return self._size(self.ot_parameters)

    @property
    def to_size(self) -> int:
        """T->O connection size in bytes."""
        return self._size(self.to_parameters)

    @property
    def ot_connection_type(self) -> int:
        """O->T connection type: 0 null, 1 multicast, 2 point-to-point."""
        return self._type(self.ot_parameters)

    @property
    def to_connection_type(self) -> int:
        """T->O connection type: 0 null, 1 multicast, 2 point-to-point."""
        return self._type(self.to_parameters)

    @property
    def transport_class(self) -> int:
        """Transport class (low nibble of transport type/trigger): 0, 1, 2 or 3."""
        return self.transport_trigger & 0x0F

    @property
    def triad(self) -> tuple[int, int, int]:
        """(connection serial, originator vendor id, originator serial): the
        connection's identity, repeated by the reply and the Forward Close."""
        return (self.connection_serial, self.originator_vendor_id, self.originator_serial)


@dataclass(frozen=True, slots=True)
class ForwardOpenReply:
    """Successful Forward Open / Large Forward Open reply data.

    ``O->T connection id 4 | T->O connection id 4 | connection serial 2 |
    originator vendor id 2 | originator serial 4 | O->T API 4 (us) |
    T->O API 4 (us) | application reply size in words 1 | reserved 1 |
    application reply``.
    """

    ot_connection_id: int
    to_connection_id: int
    connection_serial: int
    originator_vendor_id: int
    originator_serial: int
    ot_api: int
    to_api: int
    application_reply: bytes = b""
    reserved: int = 0

    @property
    def triad(self) -> tuple[int, int, int]:
        """(connection serial, originator vendor id, originator serial)."""
        return (self.connection_serial, self.originator_vendor_id, self.originator_serial)


@dataclass(frozen=True, slots=True)
class ForwardClose:
    """Forward Close (0x4E to the Connection Manager) request data.

    ``priority/time tick 1 | timeout ticks 1 | connection serial 2 |
    originator vendor id 2 | originator serial 4 | connection path size in
    words 1 | reserved 1 | connection path``.
    """

    priority_time_tick: int
    timeout_ticks: int
    connection_serial: int
    originator_vendor_id: int
    originator_serial: int
    connection_path: CipPath
    reserved: int = 0

    @property
    def triad(self) -> tuple[int, int, int]:
        """(connection serial, originator vendor id, originator serial)."""
        return (self.connection_serial, self.originator_vendor_id, self.originator_serial)


@dataclass(frozen=True, slots=True)
class ForwardCloseReply:
    """Successful Forward Close reply data: ``connection serial 2 |
    originator vendor id 2 | originator serial 4 | application reply size in
    words 1 | reserved 1 | application reply``."""

    connection_serial: int
    originator_vendor_id: int
    originator_serial: int
    application_reply: bytes = b""
    reserved: int = 0


@dataclass(frozen=True, slots=True)
class ConnectionFailure:
    """Unsuccessful Forward Open / Large Forward Open / Forward Close reply data.

    ``connection serial 2 | originator vendor id 2 | originator serial 4 |
    remaining path size 1 | reserved 1``; the last two are None when a device
    omits them.  The reason is in the reply's general and extended status.
    """

    connection_serial: int
    originator_vendor_id: int
    originator_serial: int
    remaining_path_size: int | None = None
    reserved: int | None = None


@dataclass(frozen=True, slots=True)
class EmbeddedRequest:
    """A CIP request found while walking a message, in Wireshark's order.

    The outer request has depth 0; a request routed by Unconnected Send or
    packed in a Multiple Service Packet is one deeper.  ``route`` is the
    concatenation of the ``(port, link)`` hops of the Unconnected Sends that
    led to it (empty: the addressed device itself); ``index`` its position
    in the enclosing Multiple Service Packet.
    """

    request: CipRequest
    depth: int = 0
    route: tuple[tuple[int, bytes], ...] = ()
    index: int | None = None

    @property
    def slot(self) -> int | None:
        """The backplane slot of the addressed device's chassis it was sent to.

        Set when the route is one hop through port 1 (the backplane) to a
        one-byte link address; None when not routed or routed further (the
        target is then a device beyond another module).
        """
        if len(self.route) == 1 and self.route[0][0] == 1 and len(self.route[0][1]) == 1:
            return self.route[0][1][0]
        return None


@dataclass(frozen=True, slots=True)
class EmbeddedResponse:
    """A CIP reply found while walking a reply (outer first, then packed ones)."""

    response: CipResponse
    depth: int = 0
    index: int | None = None


@dataclass(frozen=True, slots=True)
class IoDatagram:
    """Class 0/1 implicit I/O on UDP 2222: sequenced address item + connected data.

    ``item count 2 | 0x8002 | 8 | connection id 4 | sequence number 4 |
    0x00B1 | length 2 | data`` (class 1 data starts with a 16-bit sequence
    count, class 0 data does not; the datagram alone cannot tell which, so
    ``data`` is kept whole).
    """

    connection_id: int
    sequence_number: int
    data: bytes
