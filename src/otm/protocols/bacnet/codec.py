"""BACnet/IP and BACnet/Ethernet bytes <-> messages, without I/O.

A BACnet/IP datagram (UDP 47808) is three layers::

    BVLL (Annex J)     0x81 | function u8 | length u16 | [function data] | NPDU?
    NPDU (clause 6)    version 1 | control u8 | [DNET u16 DLEN u8 DADR]
                       [SNET u16 SLEN u8 SADR] | [hop count u8]
                       [message type u8 [vendor u16] data]  or  APDU
    APDU (clause 20)   type/flags u8 | ... | service choice u8 | tagged values

and a BACnet/Ethernet frame (clause 7) is ``LLC 82 82 03 | NPDU``.
``decode_bvll``, ``decode_npdu`` and ``decode_apdu`` read one layer each;
``decode_bacnet_ip`` and ``decode_ethernet`` chain them; ``services``
reads the tagged parameters.  Decoders return a message or an ``Anomaly``
and never raise.  ``encode_bvll``, ``encode_npdu`` and ``encode_apdu``
write messages back (``decode(encode(m)) == m``); ``who_is_datagram`` and
``read_property_datagram`` build the read-only queries a scanner sends.

Hand-written because the Python BACnet stacks (bacpypes3, BAC0) are
asyncio applications whose codecs sit behind their network objects, and
the passive path needs to read a few header octets per datagram in place
(``peek``), which no library offers.
"""

from __future__ import annotations

import struct
from dataclasses import replace

from otm.protocols.bacnet.anomalies import BacnetAnomaly
from otm.protocols.bacnet.constants import (
    BVLC_HEADER_LENGTH,
    BVLC_TYPE_BIP,
    BVLC_TYPE_BIP6,
    CONTROL_DESTINATION,
    CONTROL_NETWORK_MESSAGE,
    CONTROL_SOURCE,
    GLOBAL_BROADCAST_NETWORK,
    LLC_HEADER,
    NPDU_VERSION,
    PROPRIETARY_MESSAGE_TYPES,
    BvlcFunction,
    ConfirmedService,
    PduType,
    UnconfirmedService,
)
from otm.protocols.bacnet.messages import (
    Abort,
    Apdu,
    BacnetEthernet,
    BacnetIp,
    BdtEntry,
    BipAddress,
    BroadcastDistributionTable,
    BvlcResult,
    Bvll,
    BvllRequest,
    ComplexAck,
    ConfirmedRequest,
    DeleteForeignDeviceTableEntry,
    Error,
    FdtEntry,
    ForeignDeviceTable,
    ForwardedNpdu,
    NetworkAddress,
    NetworkMessage,
    Npdu,
    NpduCarrier,
    RawBvll,
    RegisterForeignDevice,
    Reject,
    SegmentAck,
    SimpleAck,
    UnconfirmedRequest,
)
from otm.protocols.bacnet.services import (
    ReadPropertyRequest,
    WhoIs,
    encode_service,
)
from otm.protocols.bacnet.tags import ObjectIdentifier
from otm.protocols.common import Anomaly

K = BacnetAnomaly

_U16 = struct.Struct(">H")
_HEADER = struct.Struct(">BBH")
_FDT = struct.Struct(">4sHHH")
_BDT = struct.Struct(">4sH4s")

NETWORK_MESSAGE = -2
"""``peek``'s PDU type for an NPDU carrying a network layer message."""

NO_NPDU = -1
"""``peek``'s PDU type for a BVLL function that carries no NPDU."""

_FIXED_NETWORK_DATA = {0x02: 3, 0x03: 3, 0x08: 3, 0x09: 2, 0x12: 0, 0x13: 3}
"""Network layer messages of a fixed data length (6.4): I-Could-Be-Router (DNET,
performance index), Reject-Message (reason, DNET), Establish-Connection (DNET,
termination time), Disconnect-Connection (DNET), What-Is-Network-Number (none),
Network-Number-Is (network, status)."""

# --- BVLL ------------------------------------------------------------------------------------


def _bip(buf: bytes, at: int) -> BipAddress:
    return BipAddress(bytes(buf[at : at + 4]), _U16.unpack_from(buf, at + 4)[0])


def decode_bvll(buf: bytes) -> Bvll | Anomaly:
    """The BVLL message of a whole UDP payload (Annex J.2).

    The datagram delimits the message, as in Wireshark: a BVLC length that
    disagrees with it does not stop decoding (``check_bvlc_length`` reports it;
    ``bacnet_example.pcap`` has 240 such datagrams, from a generator that kept
    the length of a shorter message).
    """
    size = len(buf)
    if size < BVLC_HEADER_LENGTH:
        return Anomaly(K.TRUNCATED, f"{size}-byte datagram, BVLC header needs 4", size)
    kind, function, _ = _HEADER.unpack_from(buf, 0)
    if kind != BVLC_TYPE_BIP:
        what = "BACnet/IPv6 (not decoded)" if kind == BVLC_TYPE_BIP6 else f"0x{kind:02x}"
        return Anomaly(K.BAD_BVLC_TYPE, f"BVLC type {what}", 0)
    body = size - BVLC_HEADER_LENGTH

    def fixed(need: int) -> Anomaly | None:
        if body < need:
            return Anomaly(K.TRUNCATED, f"{BvlcFunction(function).name} needs {need}", size)
        if body > need:
            return Anomaly(K.TRAILING_BYTES, f"{body - need} bytes after the BVLL", 4 + need)
        return None

    if function in (0x09, 0x0A, 0x0B):
        return NpduCarrier(function, bytes(buf[4:]))
    if function == BvlcFunction.FORWARDED_NPDU:
        if body < 6:
            return Anomaly(K.TRUNCATED, "forwarded NPDU without its original source", size)
        return ForwardedNpdu(_bip(buf, 4), bytes(buf[10:]))
    if function == BvlcFunction.BVLC_RESULT:
        return fixed(2) or BvlcResult(_U16.unpack_from(buf, 4)[0])
    if function in (0x01, 0x03):
        if body % _BDT.size:
            return Anomaly(K.TRUNCATED, f"{body} bytes are not 10-byte BDT entries", size)
        entries = tuple(
            BdtEntry(BipAddress(ip, port), mask)
            for ip, port, mask in (_BDT.unpack_from(buf, at) for at in range(4, size, _BDT.size))
        )
        return BroadcastDistributionTable(function, entries)
    if function in (0x02, 0x06):
        return fixed(0) or BvllRequest(function)
    if function == BvlcFunction.READ_FOREIGN_DEVICE_TABLE_ACK:
        if body % _FDT.size:
            return Anomaly(K.TRUNCATED, f"{body} bytes are not 10-byte FDT entries", size)
        fdt = tuple(
            FdtEntry(BipAddress(ip, port), ttl, remaining)
            for ip, port, ttl, remaining in (
                _FDT.unpack_from(buf, at) for at in range(4, size, _FDT.size)
            )
        )
        return ForeignDeviceTable(fdt)
    if function == BvlcFunction.REGISTER_FOREIGN_DEVICE:
        return fixed(2) or RegisterForeignDevice(_U16.unpack_from(buf, 4)[0])
    if function == BvlcFunction.DELETE_FOREIGN_DEVICE_TABLE_ENTRY:
        return fixed(6) or DeleteForeignDeviceTableEntry(_bip(buf, 4))
    if function == BvlcFunction.SECURE_BVLL:
        return RawBvll(function, bytes(buf[4:]))
    return Anomaly(K.UNKNOWN_BVLC_FUNCTION, f"BVLL function 0x{function:02x}", 1)


def check_bvlc_length(buf: bytes) -> Anomaly | None:
    """``bad_bvlc_length`` when the BVLC length field is not the datagram's size."""
    if len(buf) < BVLC_HEADER_LENGTH:
        return None
    declared = (buf[2] << 8) | buf[3]
    if declared == len(buf):
        return None
    return Anomaly(K.BAD_BVLC_LENGTH, f"BVLC length {declared}, datagram {len(buf)}", 2)


def _bip_bytes(address: BipAddress) -> bytes:
    if len(address.ip) != 4:
        raise ValueError(f"a B/IP address has a 4-byte IP, not {address.ip!r}")
    return address.ip + _U16.pack(address.port)


def encode_bvll(message: Bvll) -> bytes:
    """A BVLL message with its header (the length is computed)."""
    match message:
        case NpduCarrier(_, npdu) | RawBvll(_, npdu):
            body = npdu
        case ForwardedNpdu(source, npdu):
            body = _bip_bytes(source) + npdu
        case BvlcResult(result) | RegisterForeignDevice(result):
            body = _U16.pack(result)
        case BroadcastDistributionTable(_, entries):
            body = b"".join(_bip_bytes(e.address) + e.mask for e in entries)
        case BvllRequest():
            body = b""
        case ForeignDeviceTable(fdt):
            body = b"".join(
                _bip_bytes(e.address) + _U16.pack(e.ttl) + _U16.pack(e.remaining) for e in fdt
            )
        case DeleteForeignDeviceTableEntry(address):
            body = _bip_bytes(address)
    length = BVLC_HEADER_LENGTH + len(body)
    if length > 0xFFFF:
        raise ValueError(f"a BVLL message of {length} bytes does not fit its length field")
    return _HEADER.pack(BVLC_TYPE_BIP, message.function, length) + body


# --- NPDU ------------------------------------------------------------------------------------


def _check_network_data(kind: int, data: bytes, at: int) -> Anomaly | None:
    size = len(data)
    need = _FIXED_NETWORK_DATA.get(kind)
    if need is not None:
        if size < need:
            return Anomaly(K.TRUNCATED, f"network message 0x{kind:02x} needs {need} bytes", at)
        if size > need:
            return Anomaly(K.TRAILING_BYTES, f"{size - need} bytes after the message", at + need)
        return None
    if kind == 0x00 and size not in (0, 2):
        return Anomaly(K.TRUNCATED, f"who-is-router-to-network of {size} data bytes", at)
    if kind in (0x01, 0x04, 0x05) and size % 2:
        return Anomaly(K.TRUNCATED, f"odd network list of {size} bytes", at)
    if kind in (0x06, 0x07):
        if not size:
            return Anomaly(K.TRUNCATED, "routing table without its port count", at)
        pos = 1
        # At most 255 entries (the count octet); each consumes 4 bytes or more.
        for index in range(data[0]):
            if pos + 4 > size or pos + 4 + data[pos + 3] > size:
                return Anomaly(K.TRUNCATED, f"routing table entry {index} cut", at + pos)
            pos += 4 + data[pos + 3]
        if pos != size:
            return Anomaly(K.TRAILING_BYTES, f"{size - pos} bytes after the table", at + pos)
    return None


def decode_npdu(buf: bytes, start: int = 0, end: int | None = None) -> Npdu | Anomaly:
    """The NPDU at ``buf[start:end]`` (clause 6.2); offsets in anomalies index ``buf``."""
    stop = len(buf) if end is None else min(end, len(buf))
    if stop - start < 2:
        return Anomaly(K.TRUNCATED, "NPDU needs version and control", stop)
    if buf[start] != NPDU_VERSION:
        return Anomaly(K.BAD_NPDU_VERSION, f"NPDU version {buf[start]}", start)
    control = buf[start + 1]
    at = start + 2
    addresses: list[NetworkAddress | None] = [None, None]
    for slot, flag in ((0, CONTROL_DESTINATION), (1, CONTROL_SOURCE)):
        if not control & flag:
            continue
        if at + 3 > stop:
            return Anomaly(K.TRUNCATED, "network address cut", stop)
        network = _U16.unpack_from(buf, at)[0]
        size = buf[at + 2]
        if at + 3 + size > stop:
            return Anomaly(K.TRUNCATED, f"{size}-byte MAC address cut", stop)
        if slot == 1 and (size == 0 or network == GLOBAL_BROADCAST_NETWORK):
            return Anomaly(K.INVALID_ADDRESS, f"source network {network} length {size}", at)
        addresses[slot] = NetworkAddress(network, bytes(buf[at + 3 : at + 3 + size]))
        at += 3 + size
    hop_count = None
    if addresses[0] is not None:
        if at >= stop:
            return Anomaly(K.TRUNCATED, "hop count missing", stop)
        hop_count = buf[at]
        at += 1
    message = None
    apdu = b""
    if control & CONTROL_NETWORK_MESSAGE:
        if at >= stop:
            return Anomaly(K.TRUNCATED, "network message type missing", stop)
        kind = buf[at]
        at += 1
        vendor = None
        if kind >= PROPRIETARY_MESSAGE_TYPES:
            if at + 2 > stop:
                return Anomaly(K.TRUNCATED, "proprietary message without its vendor id", stop)
            vendor = _U16.unpack_from(buf, at)[0]
            at += 2
        data = bytes(buf[at:stop])
        bad = _check_network_data(kind, data, at)
        if bad is not None:
            return bad
        message = NetworkMessage(kind, vendor, data)
    else:
        if at >= stop:
            return Anomaly(K.TRUNCATED, "NPDU without its APDU", stop)
        apdu = bytes(buf[at:stop])
    return Npdu(
        bool(control & 0x04),
        control & 0x03,
        addresses[0],
        addresses[1],
        hop_count,
        message,
        apdu,
        control & 0x50,
    )


def _address_bytes(address: NetworkAddress) -> bytes:
    if len(address.mac) > 255:
        raise ValueError("a MAC address is at most 255 bytes")
    return _U16.pack(address.network) + bytes((len(address.mac),)) + address.mac


def encode_npdu(npdu: Npdu) -> bytes:
    """An NPDU: header, then the network message or the APDU bytes."""
    out = bytearray((NPDU_VERSION, npdu.control))
    if npdu.destination is not None:
        out += _address_bytes(npdu.destination)
    if npdu.source is not None:
        out += _address_bytes(npdu.source)
    if npdu.destination is not None:
        out.append(255 if npdu.hop_count is None else npdu.hop_count)
    message = npdu.network_message
    if message is not None:
        out.append(message.message_type)
        if message.message_type >= PROPRIETARY_MESSAGE_TYPES:
            out += _U16.pack(message.vendor_id or 0)
        out += message.data
    else:
        out += npdu.apdu
    return bytes(out)


# --- APDU ------------------------------------------------------------------------------------


def decode_apdu(buf: bytes, start: int = 0, end: int | None = None) -> Apdu | Anomaly:
    """The APDU at ``buf[start:end]`` (clause 20.1), service data kept raw."""
    stop = len(buf) if end is None else min(end, len(buf))
    have = stop - start
    if have < 1:
        return Anomaly(K.TRUNCATED, "empty APDU", stop)
    first = buf[start]
    kind = first >> 4

    def exact(need: int) -> Anomaly | None:
        if have < need:
            return Anomaly(K.TRUNCATED, f"{PduType(kind).name} needs {need} bytes", stop)
        if have > need:
            return Anomaly(K.TRAILING_BYTES, f"{have - need} bytes after the PDU", start + need)
        return None

    if kind == PduType.CONFIRMED_REQUEST:
        segmented = bool(first & 0x08)
        header = 6 if segmented else 4
        if have < header:
            return Anomaly(K.TRUNCATED, f"confirmed request header needs {header} bytes", stop)
        second = buf[start + 1]
        return ConfirmedRequest(
            segmented,
            bool(first & 0x04),
            bool(first & 0x02),
            (second >> 4) & 0x07,
            second & 0x0F,
            buf[start + 2],
            buf[start + 3] if segmented else None,
            buf[start + 4] if segmented else None,
            buf[start + header - 1],
            bytes(buf[start + header : stop]),
        )
    if kind == PduType.UNCONFIRMED_REQUEST:
        if have < 2:
            return Anomaly(K.TRUNCATED, "unconfirmed request without its service", stop)
        return UnconfirmedRequest(buf[start + 1], bytes(buf[start + 2 : stop]))
    if kind == PduType.SIMPLE_ACK:
        return exact(3) or SimpleAck(buf[start + 1], buf[start + 2])
    if kind == PduType.COMPLEX_ACK:
        segmented = bool(first & 0x08)
        header = 5 if segmented else 3
        if have < header:
            return Anomaly(K.TRUNCATED, f"complex ack header needs {header} bytes", stop)
        return ComplexAck(
            segmented,
            bool(first & 0x04),
            buf[start + 1],
            buf[start + 2] if segmented else None,
            buf[start + 3] if segmented else None,
            buf[start + header - 1],
            bytes(buf[start + header : stop]),
        )
    if kind == PduType.SEGMENT_ACK:
        return exact(4) or SegmentAck(
            bool(first & 0x02), bool(first & 0x01), buf[start + 1], buf[start + 2], buf[start + 3]
        )
    if kind == PduType.ERROR:
        if have < 3:
            return Anomaly(K.TRUNCATED, "error PDU header needs 3 bytes", stop)
        return Error(buf[start + 1], buf[start + 2], bytes(buf[start + 3 : stop]))
    if kind == PduType.REJECT:
        return exact(3) or Reject(buf[start + 1], buf[start + 2])
    if kind == PduType.ABORT:
        return exact(3) or Abort(bool(first & 0x01), buf[start + 1], buf[start + 2])
    return Anomaly(K.UNKNOWN_PDU_TYPE, f"APDU type {kind}", start)


def _segment_header(segmented: bool, sequence: int | None, window: int | None) -> bytes:
    if not segmented:
        return b""
    if sequence is None or window is None:
        raise ValueError("a segment needs its sequence number and window size")
    return bytes((sequence, window))


def encode_apdu(apdu: Apdu) -> bytes:
    """An APDU with its header flags."""
    match apdu:
        case ConfirmedRequest():
            first = (
                (0x08 if apdu.segmented else 0)
                | (0x04 if apdu.more_follows else 0)
                | (0x02 if apdu.segmented_response_accepted else 0)
            )
            second = ((apdu.max_segments & 0x07) << 4) | (apdu.max_apdu & 0x0F)
            seg = _segment_header(apdu.segmented, apdu.sequence_number, apdu.window_size)
            head = bytes((first, second, apdu.invoke_id)) + seg + bytes((apdu.service,))
            return head + apdu.data
        case UnconfirmedRequest(service, data):
            return bytes((0x10, service)) + data
        case SimpleAck(invoke_id, service):
            return bytes((0x20, invoke_id, service))
        case ComplexAck():
            first = 0x30 | (0x08 if apdu.segmented else 0) | (0x04 if apdu.more_follows else 0)
            seg = _segment_header(apdu.segmented, apdu.sequence_number, apdu.window_size)
            return bytes((first, apdu.invoke_id)) + seg + bytes((apdu.service,)) + apdu.data
        case SegmentAck(negative, server, invoke_id, sequence, window):
            first = 0x40 | (0x02 if negative else 0) | (0x01 if server else 0)
            return bytes((first, invoke_id, sequence, window))
        case Error(invoke_id, service, data):
            return bytes((0x50, invoke_id, service)) + data
        case Reject(invoke_id, reason):
            return bytes((0x60, invoke_id, reason))
        case Abort(server, invoke_id, reason):
            return bytes((0x70 | (0x01 if server else 0), invoke_id, reason))
    raise TypeError(f"not an APDU: {apdu!r}")


# --- whole datagrams and frames -----------------------------------------------------------------


def _npdu_apdu(buf: bytes, start: int, end: int | None) -> tuple[Npdu, Apdu | None] | Anomaly:
    npdu = decode_npdu(buf, start, end)
    if isinstance(npdu, Anomaly):
        return npdu
    if npdu.network_message is not None:
        return npdu, None
    apdu = decode_apdu(npdu.apdu)
    if isinstance(apdu, Anomaly):
        stop = len(buf) if end is None else end
        at = stop - len(npdu.apdu) + apdu.offset
        return Anomaly(apdu.kind, apdu.detail, at)
    return npdu, apdu


def decode_bacnet_ip(buf: bytes) -> BacnetIp | Anomaly:
    """A BACnet/IP UDP payload through BVLL, NPDU and APDU (service data raw)."""
    bvll = decode_bvll(buf)
    if isinstance(bvll, Anomaly):
        return bvll
    if not isinstance(bvll, NpduCarrier | ForwardedNpdu):
        return BacnetIp(bvll, None, None)
    start = len(buf) - len(bvll.npdu)
    layers = _npdu_apdu(buf, start, None)
    if isinstance(layers, Anomaly):
        return layers
    return BacnetIp(bvll, layers[0], layers[1])


def decode_ethernet(payload: bytes, end: int | None = None) -> BacnetEthernet | Anomaly:
    """A BACnet/Ethernet frame's payload after the 802.3 length (clause 7):
    ``DSAP 0x82 | SSAP 0x82 | control 0x03 | NPDU``.  ``end`` excludes padding."""
    if payload[:3] != LLC_HEADER:
        if len(payload) < 3:
            return Anomaly(K.TRUNCATED, "LLC header cut", len(payload))
        return Anomaly(K.BAD_LLC, f"LLC {payload[:3].hex()} is not BACnet", 0)
    layers = _npdu_apdu(payload, 3, end)
    if isinstance(layers, Anomaly):
        return layers
    return BacnetEthernet(layers[0], layers[1])


def encode_ethernet(npdu: Npdu) -> bytes:
    """The LLC header and NPDU of a BACnet/Ethernet frame (the caller adds MACs and length)."""
    return LLC_HEADER + encode_npdu(npdu)


# --- hot path --------------------------------------------------------------------------------


def peek(buf: bytes) -> tuple[int, int, int, int] | None:
    """Where a BACnet/IP datagram's layers start, read in place.

    ``(bvlc function, npdu offset, apdu offset, pdu type)``: the NPDU offset
    is -1 when the BVLL carries none; the APDU offset is -1 and the PDU type
    ``NETWORK_MESSAGE`` for a network layer message, ``NO_NPDU`` without an
    NPDU.  None when the headers are inconsistent (then the full decoders
    say why).  A handful of byte reads, one small tuple.
    """
    size = len(buf)
    if size < 4 or buf[0] != BVLC_TYPE_BIP:
        return None
    function = buf[1]
    if function in (0x09, 0x0A, 0x0B):
        at = 4
    elif function == 0x04:
        at = 10
    elif function <= 0x0C:
        return function, -1, -1, NO_NPDU
    else:
        return None
    npdu = at
    if at + 2 > size or buf[at] != NPDU_VERSION:
        return None
    control = buf[at + 1]
    at += 2
    if control & CONTROL_DESTINATION:
        if at + 3 > size:
            return None
        at += 3 + buf[at + 2]
    if control & CONTROL_SOURCE:
        if at + 3 > size:
            return None
        at += 3 + buf[at + 2]
    if control & CONTROL_DESTINATION:
        at += 1
    if at >= size:
        return None
    if control & CONTROL_NETWORK_MESSAGE:
        return function, npdu, -1, NETWORK_MESSAGE
    return function, npdu, at, buf[at] >> 4


def apdu_service(buf: bytes, at: int) -> int | None:
    """The service choice of the APDU at ``buf[at]`` (None for PDUs without one,
    or when the header is cut)."""
    size = len(buf)
    if at >= size:
        return None
    first = buf[at]
    kind = first >> 4
    if kind == PduType.CONFIRMED_REQUEST:
        pos = at + (5 if first & 0x08 else 3)
    elif kind == PduType.UNCONFIRMED_REQUEST:
        pos = at + 1
    elif kind in (PduType.SIMPLE_ACK, PduType.ERROR):
        pos = at + 2
    elif kind == PduType.COMPLEX_ACK:
        pos = at + (4 if first & 0x08 else 2)
    else:
        return None
    return buf[pos] if pos < size else None


# --- queries a scanner may send (read-only by construction) ---------------------------------------


def who_is_datagram(
    low: int | None = None, high: int | None = None, broadcast: bool = True
) -> bytes:
    """A Who-Is (optionally for a device instance range) as a BACnet/IP datagram."""
    apdu = encode_apdu(
        UnconfirmedRequest(UnconfirmedService.WHO_IS, encode_service(WhoIs(low, high)))
    )
    npdu = Npdu(False, 0, None, None, None, None, apdu)
    if broadcast:
        npdu = replace(
            npdu, destination=NetworkAddress(GLOBAL_BROADCAST_NETWORK, b""), hop_count=255
        )
    function = (
        BvlcFunction.ORIGINAL_BROADCAST_NPDU if broadcast else BvlcFunction.ORIGINAL_UNICAST_NPDU
    )
    return encode_bvll(NpduCarrier(function, encode_npdu(npdu)))


def read_property_datagram(
    invoke_id: int,
    object_id: ObjectIdentifier,
    property_id: int,
    array_index: int | None = None,
    destination: NetworkAddress | None = None,
) -> bytes:
    """A ReadProperty request (unicast, optionally routed to ``destination``)."""
    request = ReadPropertyRequest(object_id, property_id, array_index)
    apdu = ConfirmedRequest(
        False, False, True, 0, 5, invoke_id, None, None, ConfirmedService.READ_PROPERTY,
        encode_service(request),
    )  # fmt: skip
    hop = 255 if destination is not None else None
    npdu = Npdu(True, 0, destination, None, hop, None, encode_apdu(apdu))
    return encode_bvll(NpduCarrier(BvlcFunction.ORIGINAL_UNICAST_NPDU, encode_npdu(npdu)))
