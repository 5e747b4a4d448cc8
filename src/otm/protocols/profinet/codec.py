"""PROFINET RT and DCP bytes <-> messages, without I/O.

Every function takes the payload after the EtherType 0x8892 (and any VLAN
tags), FrameID first, and returns a message or an ``Anomaly``; none raises.
Ethernet padding after a DCP PDU's DCPDataLength is ignored.  For every PDU
``decode_dcp`` accepts whose odd blocks are padded (as devices send them),
``encode_dcp(decode_dcp(b)) == b[:12 + DCPDataLength]``; ``encode_rt`` is
the inverse of ``decode_rt`` likewise.

The sensing hot path should not come here for cyclic frames: their FrameID
(two bytes) and ``constants.is_cyclic`` tell all it counts.  ``decode_dcp``
walks blocks by their lengths, each at least four bytes, so a PDU of n bytes
costs at most n/4 passes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable

from otm.protocols.common import Anomaly
from otm.protocols.profinet.anomalies import ProfinetAnomaly
from otm.protocols.profinet.constants import (
    ALL_SELECTOR,
    CONTROL_END,
    CONTROL_FACTORY_RESET,
    CONTROL_RESET_TO_FACTORY,
    CONTROL_RESPONSE,
    CONTROL_SIGNAL,
    CONTROL_START,
    DCP_FRAME_IDS,
    DCP_HEADER_LENGTH,
    DEVICE_ALIAS_NAME,
    DEVICE_ID,
    DEVICE_INITIATIVE,
    DEVICE_INSTANCE,
    DEVICE_NAME_OF_STATION,
    DEVICE_OEM_ID,
    DEVICE_OPTIONS,
    DEVICE_ROLE,
    DEVICE_RSI_PROPERTIES,
    DEVICE_TYPE_OF_STATION,
    INFO_OPTIONS,
    IP_FULL_SUITE,
    IP_MAC,
    IP_PARAMETER,
    QUALIFIER_OPTIONS,
    RT_TRAILER_LENGTH,
    FrameId,
    ServiceId,
    ServiceType,
    is_cyclic,
)
from otm.protocols.profinet.messages import (
    BlockValue,
    ControlResponse,
    DcpBlock,
    DcpPdu,
    DeviceId,
    DeviceInstance,
    DeviceRole,
    FullIpSuite,
    IpParameter,
    OemDeviceId,
    RtFrame,
)

K = ProfinetAnomaly

_HEADER = struct.Struct(">HBBIHH")
"""FrameID, ServiceID, ServiceType, Xid, ResponseDelay/reserved, DCPDataLength."""
_BLOCK = struct.Struct(">BBH")
_U16 = struct.Struct(">H")
_TWO_U16 = struct.Struct(">HH")
_TRAILER = struct.Struct(">HBB")

_SERVICE_TYPES = frozenset(int(t) for t in ServiceType)
_SERVICES = frozenset(int(s) for s in ServiceId)

# --- RT ---------------------------------------------------------------------------


def decode_rt(payload: bytes) -> RtFrame | Anomaly:
    """A real-time frame: FrameID, and for the cyclic classes the APDU status.

    Cyclic frames are at least 6 bytes (FrameID and the 4-byte APDU status);
    the sender pads the IO data so that the status ends the frame.
    """
    if len(payload) < 2:
        return Anomaly(K.TRUNCATED, f"{len(payload)} bytes, no FrameID", len(payload))
    frame_id = _U16.unpack_from(payload, 0)[0]
    if not is_cyclic(frame_id):
        return RtFrame(frame_id, bytes(payload[2:]))
    if len(payload) < 2 + RT_TRAILER_LENGTH:
        return Anomaly(
            K.TRUNCATED, f"cyclic frame of {len(payload)} bytes has no APDU status", len(payload)
        )
    end = len(payload) - RT_TRAILER_LENGTH
    counter, status, transfer = _TRAILER.unpack_from(payload, end)
    return RtFrame(frame_id, bytes(payload[2:end]), counter, status, transfer)


def encode_rt(frame: RtFrame) -> bytes:
    """FrameID, data and (when ``cycle_counter`` is set) the APDU status."""
    out = _U16.pack(frame.frame_id) + frame.data
    if frame.cycle_counter is not None:
        out += _TRAILER.pack(
            frame.cycle_counter, frame.data_status or 0, frame.transfer_status or 0
        )
    return out


# --- DCP ---------------------------------------------------------------------------


def carries_info(service_id: int, is_request: bool, option: int) -> bool:
    """True if blocks of this option carry a BlockInfo u16 in this PDU (4.3.1.4.2):
    Identify and Get responses, and Hello requests."""
    if option not in INFO_OPTIONS:
        return False
    if is_request:
        return service_id == ServiceId.HELLO
    return service_id in (ServiceId.IDENTIFY, ServiceId.GET)


def carries_qualifier(service_id: int, is_request: bool, option: int) -> bool:
    """True if blocks of this option carry a BlockQualifier u16 (Set requests)."""
    return is_request and service_id == ServiceId.SET and option in QUALIFIER_OPTIONS


def decode_dcp(payload: bytes) -> DcpPdu | Anomaly:
    """A DCP PDU, FrameID first; blocks split by their lengths, values kept raw
    (``block_value`` types them)."""
    if len(payload) < 2 + DCP_HEADER_LENGTH:
        return Anomaly(K.TRUNCATED, f"{len(payload)} bytes, DCP header needs 12", len(payload))
    frame_id, service_id, service_type, xid, delay, data_length = _HEADER.unpack_from(payload, 0)
    if frame_id not in DCP_FRAME_IDS:
        return Anomaly(K.NOT_DCP, f"FrameID 0x{frame_id:04x}", 0)
    if service_id not in _SERVICES:
        return Anomaly(K.UNKNOWN_SERVICE, f"ServiceID {service_id}", 2)
    if service_type not in _SERVICE_TYPES:
        return Anomaly(K.UNKNOWN_SERVICE_TYPE, f"ServiceType {service_type}", 3)
    start = 2 + DCP_HEADER_LENGTH
    end = start + data_length
    if end > len(payload):
        return Anomaly(
            K.TRUNCATED, f"DCPDataLength {data_length}, {len(payload) - start} bytes", len(payload)
        )
    request = service_type == ServiceType.REQUEST
    if request and service_id == ServiceId.GET:
        blocks = _selectors(payload, start, end)
    else:
        blocks = _blocks(payload, start, end, service_id, request)
    if isinstance(blocks, Anomaly):
        return blocks
    return DcpPdu(frame_id, service_id, service_type, xid, delay, blocks)


def _selectors(buf: bytes, at: int, end: int) -> tuple[DcpBlock, ...] | Anomaly:
    if (end - at) % 2:
        return Anomaly(K.TRUNCATED, "odd Get request data: half a selector", end - 1)
    return tuple(DcpBlock(buf[i], buf[i + 1]) for i in range(at, end, 2))


def _blocks(
    buf: bytes, at: int, end: int, service_id: int, request: bool
) -> tuple[DcpBlock, ...] | Anomaly:
    out: list[DcpBlock] = []
    # Every pass consumes at least the 4-byte block header: at most n/4 passes.
    while at < end:
        if end - at < _BLOCK.size:
            return Anomaly(K.TRUNCATED, f"{end - at} bytes left, a block header needs 4", at)
        option, suboption, length = _BLOCK.unpack_from(buf, at)
        value_at = at + _BLOCK.size
        stop = value_at + length
        if stop > end:
            return Anomaly(
                K.BAD_BLOCK_LENGTH, f"block of {length} bytes, {end - value_at} left", at + 2
            )
        info = qualifier = None
        if length >= 2 and carries_info(service_id, request, option):
            info = _U16.unpack_from(buf, value_at)[0]
            value_at += 2
        elif length >= 2 and carries_qualifier(service_id, request, option):
            qualifier = _U16.unpack_from(buf, value_at)[0]
            value_at += 2
        out.append(DcpBlock(option, suboption, bytes(buf[value_at:stop]), info, qualifier))
        at = stop + (length & 1 and stop < end)  # odd blocks are padded to 16 bits
    return tuple(out)


def encode_block(block: DcpBlock, selector: bool = False) -> bytes:
    """One block with its padding byte when odd; a Get selector is 2 bytes."""
    if selector:
        return bytes((block.option, block.suboption))
    out = _BLOCK.pack(block.option, block.suboption, block.length)
    if block.info is not None:
        out += _U16.pack(block.info)
    if block.qualifier is not None:
        out += _U16.pack(block.qualifier)
    out += block.value
    return out + b"\0" if block.length & 1 else out


def encode_dcp(pdu: DcpPdu) -> bytes:
    """FrameID, DCP header and blocks (DCPDataLength derived)."""
    selector = pdu.service_id == ServiceId.GET and pdu.is_request
    data = b"".join(encode_block(b, selector) for b in pdu.blocks)
    head = _HEADER.pack(
        pdu.frame_id, pdu.service_id, pdu.service_type, pdu.xid, pdu.response_delay, len(data)
    )
    return head + data


# --- block values -------------------------------------------------------------------


def _ipv4(buf: bytes, at: int) -> str:
    return "{}.{}.{}.{}".format(*buf[at : at + 4])


def _mac(buf: bytes) -> str:
    return ":".join(f"{b:02x}" for b in buf)


def text(value: bytes) -> str:
    """A DCP string (type/name of station, alias): up to the first NUL, UTF-8
    where valid (NameOfStation is Punycode, so ASCII), else Latin-1."""
    cut = value.split(b"\0", 1)[0]
    try:
        return cut.decode("utf-8")
    except UnicodeDecodeError:
        return cut.decode("latin-1")


_SIZES: dict[tuple[int, int], int] = {
    IP_MAC: 6,
    IP_PARAMETER: 12,
    IP_FULL_SUITE: 28,
    DEVICE_ID: 4,
    DEVICE_ROLE: 2,
    DEVICE_INSTANCE: 2,
    DEVICE_OEM_ID: 4,
    DEVICE_RSI_PROPERTIES: 2,
    CONTROL_START: 0,
    CONTROL_END: 0,
    CONTROL_SIGNAL: 2,
    CONTROL_RESPONSE: 3,
    CONTROL_FACTORY_RESET: 0,
    CONTROL_RESET_TO_FACTORY: 0,
    DEVICE_INITIATIVE: 2,
    ALL_SELECTOR: 0,
}
"""Exact value sizes (after BlockInfo/BlockQualifier) of the fixed-layout blocks."""

_TEXT_BLOCKS = frozenset((DEVICE_TYPE_OF_STATION, DEVICE_NAME_OF_STATION, DEVICE_ALIAS_NAME))


def block_value(block: DcpBlock) -> BlockValue | Anomaly:
    """The typed value of a block, or ``bad_block_length`` when its size is not
    the one its option and suboption define."""
    key = (block.option, block.suboption)
    v = block.value
    size = _SIZES.get(key)
    if size is not None and len(v) != size:
        return Anomaly(K.BAD_BLOCK_LENGTH, f"{block.name} value of {len(v)} bytes, not {size}", 0)
    if key in _TEXT_BLOCKS:
        return text(v)
    if key == DEVICE_OPTIONS:
        if len(v) % 2:
            return Anomaly(K.BAD_BLOCK_LENGTH, f"device options of {len(v)} bytes", 0)
        return tuple((v[i], v[i + 1]) for i in range(0, len(v), 2))
    if size is None:
        return bytes(v)  # DHCP, manufacturer specific, unknown: raw
    if size == 0:
        return None
    if key == IP_PARAMETER:
        return IpParameter(_ipv4(v, 0), _ipv4(v, 4), _ipv4(v, 8))
    if key == IP_FULL_SUITE:
        dns = (_ipv4(v, 12), _ipv4(v, 16), _ipv4(v, 20), _ipv4(v, 24))
        return FullIpSuite(_ipv4(v, 0), _ipv4(v, 4), _ipv4(v, 8), dns)
    if key == IP_MAC:
        return _mac(v)
    if key == DEVICE_ID:
        return DeviceId(*_TWO_U16.unpack(v))
    if key == DEVICE_OEM_ID:
        return OemDeviceId(*_TWO_U16.unpack(v))
    if key == DEVICE_ROLE:
        return DeviceRole(v[0], v[1])
    if key == DEVICE_INSTANCE:
        return DeviceInstance(v[0], v[1])
    if key == CONTROL_RESPONSE:
        return ControlResponse(v[0], v[1], v[2])
    return int(_U16.unpack(v)[0])  # signal, device initiative, RSI properties


# --- value encoders (tests, and read-only queries of the active scanner) ----------


def ip_value(ip: str, netmask: str, gateway: str, dns: Iterable[str] = ()) -> bytes:
    """IP parameter value (12 bytes), or a full IP suite's (28) when ``dns`` is given."""
    out = b""
    for address in (ip, netmask, gateway, *dns):
        out += bytes(int(part) for part in address.split("."))
    return out


def device_id_value(vendor_id: int, device_id: int) -> bytes:
    """Device ID (or OEM device ID) value: two big-endian u16."""
    return _TWO_U16.pack(vendor_id, device_id)


def identify_request(
    xid: int, filters: Iterable[DcpBlock] = (DcpBlock(0xFF, 0xFF),), response_delay: int = 1
) -> DcpPdu:
    """An Identify request (multicast to 01:0e:cf:00:00:00 when it identifies all):
    by default with the All selector, else with the given filter blocks."""
    return DcpPdu(
        FrameId.DCP_IDENTIFY_REQUEST,
        ServiceId.IDENTIFY,
        ServiceType.REQUEST,
        xid,
        response_delay,
        tuple(filters),
    )


def get_request(xid: int, selectors: Iterable[tuple[int, int]]) -> DcpPdu:
    """A Get request for the (option, suboption) pairs, read only by construction."""
    blocks = tuple(DcpBlock(o, s) for o, s in selectors)
    return DcpPdu(FrameId.DCP_GET_SET, ServiceId.GET, ServiceType.REQUEST, xid, 0, blocks)
