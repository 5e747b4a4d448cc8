"""BACnet messages: one frozen dataclass per layout, fields in wire order.

Three layers, each decoded on its own (``codec``): the BVLL of BACnet/IP
(Annex J) carries an NPDU (clause 6), which carries either a network layer
message or an APDU (clause 20), whose service data is tagged values
(``tags``).  Lengths and counts that follow from the data are not stored;
encoders write them.  All integers on the wire are big-endian.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from otm.protocols.bacnet.constants import (
    BvlcFunction,
    PduType,
)

# --- BVLL (Annex J.2) ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BipAddress:
    """A B/IP address (J.1.2): IPv4 address u32 | UDP port u16."""

    ip: bytes
    port: int

    def __str__(self) -> str:
        return ".".join(str(b) for b in self.ip) + f":{self.port}"


@dataclass(frozen=True, slots=True)
class BdtEntry:
    """Broadcast distribution table entry (J.4.3.2): B/IP address | mask u32 (4 octets)."""

    address: BipAddress
    mask: bytes


@dataclass(frozen=True, slots=True)
class FdtEntry:
    """Foreign device table entry (J.5.2.1): B/IP address | time-to-live u16 |
    seconds remaining u16."""

    address: BipAddress
    ttl: int
    remaining: int


@dataclass(frozen=True, slots=True)
class BvlcResult:
    """BVLC-Result (J.2.1): ``result code u16`` (0 success, 0x10-0x60 NAKs)."""

    result: int

    @property
    def function(self) -> int:
        return BvlcFunction.BVLC_RESULT


@dataclass(frozen=True, slots=True)
class BroadcastDistributionTable:
    """Write-Broadcast-Distribution-Table (J.2.2) or Read-BDT-Ack (J.2.4):
    entries of 10 octets."""

    function: int
    entries: tuple[BdtEntry, ...]


@dataclass(frozen=True, slots=True)
class BvllRequest:
    """Read-Broadcast-Distribution-Table (J.2.3) or Read-Foreign-Device-Table
    (J.2.7): the header alone."""

    function: int


@dataclass(frozen=True, slots=True)
class ForeignDeviceTable:
    """Read-Foreign-Device-Table-Ack (J.2.8): entries of 10 octets."""

    entries: tuple[FdtEntry, ...]

    @property
    def function(self) -> int:
        return BvlcFunction.READ_FOREIGN_DEVICE_TABLE_ACK


@dataclass(frozen=True, slots=True)
class RegisterForeignDevice:
    """Register-Foreign-Device (J.2.6): ``time-to-live u16`` (seconds)."""

    ttl: int

    @property
    def function(self) -> int:
        return BvlcFunction.REGISTER_FOREIGN_DEVICE


@dataclass(frozen=True, slots=True)
class DeleteForeignDeviceTableEntry:
    """Delete-Foreign-Device-Table-Entry (J.2.9): the B/IP address of the entry."""

    address: BipAddress

    @property
    def function(self) -> int:
        return BvlcFunction.DELETE_FOREIGN_DEVICE_TABLE_ENTRY


@dataclass(frozen=True, slots=True)
class ForwardedNpdu:
    """Forwarded-NPDU (J.2.5): a BBMD relays a broadcast; ``original source`` is
    the B/IP address of the device that sent it, then the NPDU."""

    original_source: BipAddress
    npdu: bytes

    @property
    def function(self) -> int:
        return BvlcFunction.FORWARDED_NPDU


@dataclass(frozen=True, slots=True)
class NpduCarrier:
    """Original-Unicast-NPDU (J.2.11), Original-Broadcast-NPDU (J.2.12) or
    Distribute-Broadcast-To-Network (J.2.10): the NPDU alone."""

    function: int
    npdu: bytes


@dataclass(frozen=True, slots=True)
class RawBvll:
    """Secure-BVLL (J.2.13, removed in 135-2016) or a function without a layout: raw."""

    function: int
    data: bytes


Bvll: TypeAlias = (
    BvlcResult
    | BroadcastDistributionTable
    | BvllRequest
    | ForeignDeviceTable
    | RegisterForeignDevice
    | DeleteForeignDeviceTableEntry
    | ForwardedNpdu
    | NpduCarrier
    | RawBvll
)
"""Every message ``decode_bvll`` can return."""

# --- NPDU (clause 6.2) --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NetworkAddress:
    """A BACnet network address (6.2.2): network number u16 | MAC length u8 | MAC.

    An empty MAC in a destination is a broadcast on that network; network
    0xFFFF a global broadcast.
    """

    network: int
    mac: bytes

    def __str__(self) -> str:
        return f"{self.network}:{self.mac.hex(':') if self.mac else '*'}"


@dataclass(frozen=True, slots=True)
class RoutingPort:
    """An entry of Initialize-Routing-Table[-Ack] (6.4.7): DNET u16 | port id u8 |
    port info length u8 | port info."""

    network: int
    port_id: int
    port_info: bytes


@dataclass(frozen=True, slots=True)
class NetworkMessage:
    """A network layer message (6.4): type, proprietary vendor id (types 0x80-0xFF)
    and the data, whose standard layouts ``codec.decode_npdu`` has checked."""

    message_type: int
    vendor_id: int | None
    data: bytes

    @property
    def networks(self) -> tuple[int, ...]:
        """The network numbers (DNETs) the message is about: every one of
        Who-Is-Router (0 or 1), I-Am-Router, Router-Busy and Router-Available;
        the one of I-Could-Be-Router, Reject-Message, Establish/Disconnect-
        Connection and Network-Number-Is; those of a routing table's ports."""
        data, kind = self.data, self.message_type
        if kind in (0x00, 0x01, 0x04, 0x05):
            return tuple((data[i] << 8) | data[i + 1] for i in range(0, len(data) - 1, 2))
        if kind in (0x02, 0x08, 0x09, 0x13) and len(data) >= 2:
            return ((data[0] << 8) | data[1],)
        if kind == 0x03 and len(data) >= 3:
            return ((data[1] << 8) | data[2],)
        if kind in (0x06, 0x07):
            return tuple(port.network for port in self.routing_ports)
        return ()

    @property
    def routing_ports(self) -> tuple[RoutingPort, ...]:
        """The entries of Initialize-Routing-Table[-Ack] (6.4.7); () for other types."""
        if self.message_type not in (0x06, 0x07) or not self.data:
            return ()
        data, ports, at = self.data, [], 1
        # At most 255 entries (the count octet), each at least 4 octets.
        for _ in range(data[0]):
            if at + 4 > len(data) or at + 4 + data[at + 3] > len(data):
                break
            size = data[at + 3]
            network = (data[at] << 8) | data[at + 1]
            ports.append(RoutingPort(network, data[at + 2], data[at + 4 : at + 4 + size]))
            at += 4 + size
        return tuple(ports)


@dataclass(frozen=True, slots=True)
class Npdu:
    """An NPDU (6.2): version u8 (1) | control u8 | [DNET u16 | DLEN u8 | DADR] |
    [SNET u16 | SLEN u8 | SADR] | [hop count u8, with a destination] |
    [message type u8 | [vendor id u16]] | data.

    ``reserved`` keeps control bits 6 and 4 as sent (they should be 0).  With a
    ``network_message`` ``apdu`` is empty; otherwise it holds the APDU bytes.
    """

    expecting_reply: bool
    priority: int
    destination: NetworkAddress | None
    source: NetworkAddress | None
    hop_count: int | None
    network_message: NetworkMessage | None
    apdu: bytes
    reserved: int = 0

    @property
    def control(self) -> int:
        """The control octet these fields encode."""
        return (
            (0x80 if self.network_message is not None else 0)
            | (0x20 if self.destination is not None else 0)
            | (0x08 if self.source is not None else 0)
            | (0x04 if self.expecting_reply else 0)
            | (self.priority & 0x03)
            | (self.reserved & 0x50)
        )


# --- APDU (clause 20.1) --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfirmedRequest:
    """BACnet-Confirmed-Request-PDU (20.1.2)::

        type 0 | SEG | MOR | SA | 0    u8
        0 | max segs (3 bits) | max APDU (4 bits)   u8
        invoke id u8
        [sequence number u8 | proposed window size u8]   if SEG
        service choice u8 | service request

    ``max_segments``/``max_apdu`` are the codes (see ``constants.MAX_SEGMENTS``
    and ``MAX_APDU_SIZES``).  ``sequence_number``/``window_size`` are None
    unless ``segmented``.
    """

    segmented: bool
    more_follows: bool
    segmented_response_accepted: bool
    max_segments: int
    max_apdu: int
    invoke_id: int
    sequence_number: int | None
    window_size: int | None
    service: int
    data: bytes

    @property
    def pdu_type(self) -> int:
        return PduType.CONFIRMED_REQUEST


@dataclass(frozen=True, slots=True)
class UnconfirmedRequest:
    """BACnet-Unconfirmed-Request-PDU (20.1.3): ``type 1 | 0  u8 | service choice u8 |
    service request``."""

    service: int
    data: bytes

    @property
    def pdu_type(self) -> int:
        return PduType.UNCONFIRMED_REQUEST


@dataclass(frozen=True, slots=True)
class SimpleAck:
    """BACnet-SimpleACK-PDU (20.1.4): ``type 2 u8 | invoke id u8 | service ack choice u8``."""

    invoke_id: int
    service: int

    @property
    def pdu_type(self) -> int:
        return PduType.SIMPLE_ACK


@dataclass(frozen=True, slots=True)
class ComplexAck:
    """BACnet-ComplexACK-PDU (20.1.5): ``type 3 | SEG | MOR u8 | invoke id u8 |
    [sequence number u8 | proposed window size u8] | service ack choice u8 | service ack``."""

    segmented: bool
    more_follows: bool
    invoke_id: int
    sequence_number: int | None
    window_size: int | None
    service: int
    data: bytes

    @property
    def pdu_type(self) -> int:
        return PduType.COMPLEX_ACK


@dataclass(frozen=True, slots=True)
class SegmentAck:
    """BACnet-SegmentACK-PDU (20.1.6): ``type 4 | NAK | SRV u8 | invoke id u8 |
    sequence number u8 | actual window size u8``; SRV set when the server sends it."""

    negative: bool
    server: bool
    invoke_id: int
    sequence_number: int
    window_size: int

    @property
    def pdu_type(self) -> int:
        return PduType.SEGMENT_ACK


@dataclass(frozen=True, slots=True)
class Error:
    """BACnet-Error-PDU (20.1.7): ``type 5 u8 | invoke id u8 | error choice u8 | error``.

    The error is an error class and code (two ENUMERATED), wrapped in a
    constructed value by a few services (``services.decode_error`` reads both).
    """

    invoke_id: int
    service: int
    data: bytes

    @property
    def pdu_type(self) -> int:
        return PduType.ERROR


@dataclass(frozen=True, slots=True)
class Reject:
    """BACnet-Reject-PDU (20.1.8): ``type 6 u8 | invoke id u8 | reject reason u8``."""

    invoke_id: int
    reason: int

    @property
    def pdu_type(self) -> int:
        return PduType.REJECT


@dataclass(frozen=True, slots=True)
class Abort:
    """BACnet-Abort-PDU (20.1.9): ``type 7 | SRV u8 | invoke id u8 | abort reason u8``."""

    server: bool
    invoke_id: int
    reason: int

    @property
    def pdu_type(self) -> int:
        return PduType.ABORT


Apdu: TypeAlias = (
    ConfirmedRequest
    | UnconfirmedRequest
    | SimpleAck
    | ComplexAck
    | SegmentAck
    | Error
    | Reject
    | Abort
)
"""Every PDU ``decode_apdu`` can return."""


@dataclass(frozen=True, slots=True)
class BacnetIp:
    """One BACnet/IP datagram decoded through its layers: the BVLL, and where the
    BVLL carries one, the NPDU and (unless it is a network message) the APDU."""

    bvll: Bvll
    npdu: Npdu | None
    apdu: Apdu | None


@dataclass(frozen=True, slots=True)
class BacnetEthernet:
    """One BACnet/Ethernet frame (clause 7) after its LLC header: NPDU and APDU."""

    npdu: Npdu
    apdu: Apdu | None
