"""A capture of a small simulated multi-vendor site, so otm can be tried without a SPAN port.

Written by otm itself from its own codecs' encoders and frame builders (no
public capture is copied).  The site, on one switched 10.10.0.0/16 segment:

=============  ==============  ==================================================
10.10.1.10     Modbus PLC      Schneider M340 answering Read Device Identification
10.10.1.20     EtherNet/IP     ControlLogix chassis: 1756-EN2T adapter answering
                               ListIdentity, a 1756-L83E controller in slot 0
10.10.1.30     S7 PLC          Siemens S7-300 CPU answering SZL 0x0011/0x001C;
                               PROFINET IO controller of the ET 200SP below
(MAC only)     PROFINET IO     Siemens ET 200SP "et200sp-line3" (vendor 0x002A,
               device          device 0x0313), answering a DCP Identify; cyclic
                               RT frames with the S7-300, one pair a second
10.10.2.1      gateway         router to the office network
10.10.2.2      managed switch  Hirschmann RSP "sw-cell3": LLDP every 30 s, SNMP
                               agent (sysDescr, sysObjectID, sysName)
10.10.2.50     HMI             polls the three PLCs
10.10.2.60     engineering ws  identifies devices (ENIP, DCP), downloads a block,
                               stops the S7
10.10.2.70     office PC       DNS and HTTPS through the gateway
10.10.2.80     monitoring      SNMP v2c get of the switch's system group
10.10.2.90     OPC UA server   KEPServerEX on 4840: GetEndpoints (SecurityMode
                               None offered), BuildInfo, values
10.10.2.95     historian       OPC UA client of 10.10.2.90, reads every 5 s
10.10.3.10     SCADA server    DNP3 master (address 1) and IEC 104 controlling
                               station
10.10.3.20     DNP3 RTU        SEL-3530 RTAC outstation (address 10): group 0
                               device attributes, class polls, a direct operate
10.10.3.30     IEC 104 RTU     Hitachi Energy (ex ABB) RTU560, common address 12:
                               interrogation, spontaneous measurands, a single
                               command
10.10.5.10     BMS ws          BACnet/IP client: Who-Is, ReadProperty
10.10.5.40     BACnet          Delta Controls eBCON, device 5040: I-Am, vendor
               controller      name, model name, firmware revision
=============  ==============  ==================================================

Times start at a fixed instant (2026-01-05 08:00 UTC) and every value a
protocol carries (DNP3 and IEC 104 time tags, OPC UA DateTimes) derives
from the packet time, so that the file's bytes are the same every time it
is written.  About 60 s of traffic in some 600 frames; otm's passive engine
reads it in about 20 ms.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from otm.capture.frames import (
    ETH_IPV4,
    PROTO_UDP,
    TcpSession,
    ethernet,
    ip_bytes,
    ipv4,
    mac_bytes,
    udp,
)
from otm.capture.writer import PcapWriter
from otm.protocols.bacnet import codec as bacnet
from otm.protocols.bacnet import services as bacnet_services
from otm.protocols.bacnet.constants import (
    BvlcFunction,
    ConfirmedService,
    ObjectType,
    PropertyId,
    UnconfirmedService,
)
from otm.protocols.bacnet.messages import ComplexAck, Npdu, NpduCarrier, UnconfirmedRequest
from otm.protocols.bacnet.tags import CharacterString, ObjectIdentifier, Real
from otm.protocols.dnp3 import codec as dnp3
from otm.protocols.dnp3.constants import FunctionCode as Dnp3Function
from otm.protocols.dnp3.messages import ObjectHeader, Request, Response
from otm.protocols.enip import codec as enip
from otm.protocols.enip.messages import (
    CipPath,
    CipRequest,
    CipResponse,
    CpfItem,
    Encapsulation,
    IdentityItem,
    IdentityObject,
    ListIdentityResponse,
    LogicalSegment,
    PortSegment,
    RegisterSession,
    SendData,
    SymbolSegment,
    UnconnectedSend,
)
from otm.protocols.iec104 import codec as iec104
from otm.protocols.iec104.constants import Cause, UFunction
from otm.protocols.iec104.messages import (
    Asdu,
    Cp56Time,
    IFrame,
    InformationObject,
    Interrogation,
    SFrame,
    ShortFloat,
    SingleCommand,
    SinglePoint,
    UFrame,
)
from otm.protocols.iec104.messages import Element as Iec104Element
from otm.protocols.lldp import codec as lldp
from otm.protocols.lldp.constants import (
    ETHERTYPE_LLDP,
    AddressFamily,
    ChassisIdSubtype,
    InterfaceSubtype,
    PortIdSubtype,
)
from otm.protocols.lldp.messages import (
    ChassisId,
    Lldpdu,
    ManagementAddress,
    PortDescription,
    PortId,
    SystemCapabilities,
    SystemDescription,
    SystemName,
    TimeToLive,
)
from otm.protocols.modbus import codec as modbus
from otm.protocols.modbus.messages import (
    Adu,
    DeviceIdObject,
    ReadDeviceIdentificationRequest,
    ReadDeviceIdentificationResponse,
    ReadRegistersResponse,
    ReadRequest,
    WriteSingle,
)
from otm.protocols.opcua import codec as opcua
from otm.protocols.opcua import messages as ua
from otm.protocols.opcua.binary import (
    BYTESTRING,
    DIAGNOSTIC_INFO,
    STATUS_CODE,
    STRING,
    ArrayOf,
    Writer,
)
from otm.protocols.opcua.constants import (
    ANONYMOUS_IDENTITY_TOKEN_ENCODING,
    ATTRIBUTE_VALUE,
    BUILD_INFO_BUILD_NUMBER,
    BUILD_INFO_MANUFACTURER_NAME,
    BUILD_INFO_PRODUCT_NAME,
    BUILD_INFO_PRODUCT_URI,
    BUILD_INFO_SOFTWARE_VERSION,
    SECURITY_POLICY_NONE,
    BuiltInType,
)
from otm.protocols.opcua.datatypes import (
    ApplicationDescription,
    ChannelSecurityToken,
    DataValue,
    DiagnosticInfo,
    EndpointDescription,
    ExtensionObject,
    LocalizedText,
    NodeId,
    QualifiedName,
    ReadValueId,
    RequestHeader,
    ResponseHeader,
    SignatureData,
    UserTokenPolicy,
    Variant,
)
from otm.protocols.profinet import codec as profinet
from otm.protocols.profinet.constants import (
    DEVICE_ID,
    DEVICE_NAME_OF_STATION,
    DEVICE_ROLE,
    DEVICE_TYPE_OF_STATION,
    ETHERTYPE_PROFINET,
    IP_PARAMETER,
    FrameId,
    ServiceId,
    ServiceType,
)
from otm.protocols.profinet.messages import DcpBlock, DcpPdu, RtFrame
from otm.protocols.s7comm import codec as s7
from otm.protocols.s7comm import szl as s7szl
from otm.protocols.s7comm.messages import (
    BlockControlJob,
    ComponentIdentification,
    CotpConnect,
    CotpData,
    CotpParameter,
    DataItem,
    ModuleIdentification,
    ModuleIdentityRecord,
    PlcStop,
    RawBody,
    ReadVarRequest,
    ReadVarResponse,
    S7AnyItem,
    S7Body,
    S7Pdu,
    SetupCommunication,
    SzlRequest,
    Tpkt,
    Userdata,
    UserdataData,
    UserdataParameter,
)
from otm.protocols.snmp import codec as snmp
from otm.protocols.snmp.constants import SYS_DESCR, SYS_NAME, SYS_OBJECT_ID, PduType, ValueType
from otm.protocols.snmp.messages import CommunityMessage, Pdu, VarBind

START = 1_767_600_000.0  # 2026-01-05 08:00:00 UTC

MODBUS_PLC = ("10.10.1.10", "00:80:f4:12:34:10")  # 00:80:F4 Telemecanique (Schneider)
ENIP_PLC = ("10.10.1.20", "00:00:bc:12:34:20")  # 00:00:BC Rockwell Automation
S7_PLC = ("10.10.1.30", "00:1b:1b:12:34:30")  # 00:1B:1B Siemens
HMI = ("10.10.2.50", "00:0c:29:12:34:50")
EWS = ("10.10.2.60", "00:0c:29:12:34:60")
OFFICE = ("10.10.2.70", "00:0c:29:12:34:70")
GATEWAY = ("10.10.2.1", "00:00:0c:12:34:01")  # 00:00:0C Cisco
SWITCH = ("10.10.2.2", "00:80:63:12:34:02")  # 00:80:63 Hirschmann
MONITOR = ("10.10.2.80", "00:0c:29:12:34:80")
OPCUA_SERVER = ("10.10.2.90", "00:0c:29:12:34:90")
HISTORIAN = ("10.10.2.95", "00:0c:29:12:34:95")
SCADA = ("10.10.3.10", "00:0c:29:12:34:a0")
DNP3_RTU = ("10.10.3.20", "00:30:a7:12:34:20")  # 00:30:A7 Schweitzer Engineering
IEC104_RTU = ("10.10.3.30", "00:02:a3:12:34:30")  # 00:02:A3 Hitachi Energy (ex ABB)
BMS = ("10.10.5.10", "00:0c:29:12:34:b0")
BACNET_CONTROLLER = ("10.10.5.40", "00:40:ae:12:34:40")  # 00:40:AE Delta Controls
PN_DEVICE_MAC = "00:1b:1b:12:34:31"  # 00:1B:1B Siemens; layer 2 only, its IP set by DCP
PN_DEVICE_IP = "10.10.1.31"
BROADCAST = ("10.10.255.255", "ff:ff:ff:ff:ff:ff")


class _Clock:
    """Packet times, advancing a little per frame."""

    def __init__(self, writer: PcapWriter) -> None:
        self.writer = writer
        self.t = START
        self.frames = 0

    def emit(self, frames: list[bytes], step: float = 0.0005) -> None:
        for frame in frames:
            self.writer.write(self.t, frame)
            self.t += step
            self.frames += 1

    def wait(self, seconds: float) -> None:
        self.t += seconds


def _session(client: tuple[str, str], server: tuple[str, str], port: int, cport: int) -> TcpSession:
    return TcpSession(client[0], cport, server[0], port, client[1], server[1], checksum=True)


def _modbus_identification(clock: _Clock) -> None:
    s = _session(EWS, MODBUS_PLC, 502, 50010)
    clock.emit(s.handshake())
    request = Adu(1, 1, ReadDeviceIdentificationRequest(1, 0))
    objects = (
        DeviceIdObject(0, b"Schneider Electric"),
        DeviceIdObject(1, b"BMX P34 2020"),
        DeviceIdObject(2, b"v3.40"),
    )
    response = Adu(1, 1, ReadDeviceIdentificationResponse(1, 0x81, 0, 0, objects))
    clock.emit(s.send(modbus.encode_adu(request)))
    clock.emit(s.send(modbus.encode_adu(response), from_client=False))
    clock.emit(s.close())


def _modbus_polling(clock: _Clock, s: TcpSession, tid: int) -> None:
    request = Adu(tid, 1, ReadRequest(3, 100, 10))
    values = tuple((tid * 7 + i * 13) % 1000 for i in range(10))
    response = Adu(tid, 1, ReadRegistersResponse(3, values))
    clock.emit(s.send(modbus.encode_adu(request)))
    clock.emit(s.send(modbus.encode_adu(response), from_client=False))


def _modbus_write(clock: _Clock) -> None:
    s = _session(EWS, MODBUS_PLC, 502, 50011)
    clock.emit(s.handshake())
    adu = modbus.encode_adu(Adu(9, 1, WriteSingle(6, 120, 1500)))
    clock.emit(s.send(adu))
    clock.emit(s.send(adu, from_client=False))
    clock.emit(s.close())


def _office_traffic(clock: _Clock) -> None:
    query = (
        struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
        + b"\x07example\x03com\x00\x00\x01\x00\x01"
    )
    packet = ipv4(
        OFFICE[0], "192.0.2.53", PROTO_UDP, udp(53001, 53, query, OFFICE[0], "192.0.2.53")
    )
    clock.emit([ethernet(GATEWAY[1], OFFICE[1], ETH_IPV4, packet)])
    answer = query[:2] + b"\x81\x80" + query[4:]
    packet = ipv4(
        "192.0.2.53", OFFICE[0], PROTO_UDP, udp(53, 53001, answer, "192.0.2.53", OFFICE[0])
    )
    clock.emit([ethernet(OFFICE[1], GATEWAY[1], ETH_IPV4, packet)])
    web = TcpSession(OFFICE[0], 51000, "198.51.100.7", 443, OFFICE[1], GATEWAY[1], checksum=True)
    clock.emit(web.handshake())
    clock.emit(web.send(b"\x16\x03\x01\x00\x05hello"))
    clock.emit(web.send(b"\x16\x03\x03\x00\x05howdy", from_client=False))
    clock.emit(web.close())


def _encap(command: int, data: bytes, session: int = 0, context: int = 0) -> bytes:
    return enip.encode_encapsulation(
        Encapsulation(command, session, 0, context.to_bytes(8, "little"), 0, data)
    )


def _rr(cip: bytes) -> bytes:
    items = (CpfItem(0x0000, b""), CpfItem(0x00B2, cip))
    return enip.encode_send_data(SendData(0, 10, items))


def _enip_session(clock: _Clock, s: TcpSession, session: int) -> None:
    clock.emit(s.handshake())
    clock.emit(s.send(_encap(0x65, enip.encode_register_session(RegisterSession(1, 0)))))
    reply = enip.encode_register_session(RegisterSession(1, 0))
    clock.emit(s.send(_encap(0x65, reply, session), from_client=False))


def _enip_discovery(clock: _Clock) -> None:
    """Broadcast ListIdentity from the engineering station, the adapter answers."""
    ask = _encap(0x63, b"")
    packet = ipv4(
        EWS[0], "10.10.255.255", PROTO_UDP, udp(44818, 44818, ask, EWS[0], "10.10.255.255")
    )
    clock.emit([ethernet("ff:ff:ff:ff:ff:ff", EWS[1], ETH_IPV4, packet)])
    item = IdentityItem(
        1, 2, 44818, ENIP_PLC[0], 1, 0x0C, 166, 11, 2, 0x0030, 0x00C0FFEE, "1756-EN2T/D", 3
    )
    answer = _encap(0x63, enip.encode_list_identity_response(ListIdentityResponse((item,))))
    packet = ipv4(ENIP_PLC[0], EWS[0], PROTO_UDP, udp(44818, 44818, answer, ENIP_PLC[0], EWS[0]))
    clock.emit([ethernet(EWS[1], ENIP_PLC[1], ETH_IPV4, packet)])


def _enip_controller_identity(clock: _Clock) -> None:
    """The engineering station reads the Identity object of the controller in slot 0."""
    s = _session(EWS, ENIP_PLC, 44818, 50030)
    _enip_session(clock, s, 0x1001)
    identity = CipRequest(
        0x01, CipPath((LogicalSegment("class", 1), LogicalSegment("instance", 1))), b""
    )
    route = CipPath((PortSegment(1, b"\x00"),))
    send = UnconnectedSend(0x0A, 0xF0, identity, route)
    request = CipRequest(
        0x52,
        CipPath((LogicalSegment("class", 6), LogicalSegment("instance", 1))),
        enip.encode_unconnected_send(send),
    )
    clock.emit(s.send(_encap(0x6F, _rr(enip.encode_cip_request(request)), 0x1001, 7)))
    controller = IdentityObject(1, 0x0E, 166, 33, 11, 0x3160, 0x01234567, "1756-L83E/B")
    reply = CipResponse(0x01, 0, (), enip.encode_identity_attributes(controller))
    clock.emit(
        s.send(_encap(0x6F, _rr(enip.encode_cip_response(reply)), 0x1001, 7), from_client=False)
    )
    clock.emit(s.close())


def _enip_tag_read(clock: _Clock, s: TcpSession, n: int) -> None:
    path = CipPath((SymbolSegment("Line3_Speed"),))
    request = CipRequest(0x4C, path, b"\x01\x00")
    clock.emit(s.send(_encap(0x6F, _rr(enip.encode_cip_request(request)), 0x2002, n)))
    value = struct.pack("<Hf", 0xCA, 1200.0 + n)
    reply = CipResponse(0x4C, 0, (), value)
    clock.emit(
        s.send(_encap(0x6F, _rr(enip.encode_cip_response(reply)), 0x2002, n), from_client=False)
    )


def _tpkt(body: S7Body, rosctr: int, ref: int) -> bytes:
    ack = rosctr in (2, 3)
    pdu = S7Pdu(rosctr, 0, ref, 0 if ack else None, 0 if ack else None, body)
    return s7.encode_tpkt(Tpkt(0, CotpData(True, 0, s7.encode_s7(pdu))))


def _s7_connect(clock: _Clock, s: TcpSession) -> None:
    clock.emit(s.handshake())
    params = (
        CotpParameter(0xC0, b"\x0a"),  # TPDU size 1024
        CotpParameter(0xC1, b"\x01\x00"),  # calling TSAP: PG
        CotpParameter(0xC2, b"\x01\x02"),  # called TSAP: rack 0, slot 2
    )
    clock.emit(s.send(s7.encode_tpkt(Tpkt(0, CotpConnect(0xE0, 0, 0, 1, 0, params)))))
    clock.emit(
        s.send(s7.encode_tpkt(Tpkt(0, CotpConnect(0xD0, 0, 1, 0x44, 0, params))), from_client=False)
    )
    clock.emit(s.send(_tpkt(SetupCommunication(0, 1, 1, 480), 1, 1)))
    clock.emit(s.send(_tpkt(SetupCommunication(0, 1, 1, 240), 3, 1), from_client=False))


def _szl_exchange(clock: _Clock, s: TcpSession, szl_id: int, ref: int) -> None:
    ask = UserdataParameter(0x11, 4, 4, 1, ref, None, None, None)
    payload = s7szl.encode_szl_request(SzlRequest(szl_id, 0))
    clock.emit(s.send(_tpkt(Userdata(ask, UserdataData(0xFF, 9, payload)), 7, ref)))
    if szl_id == 0x0011:
        records = (
            ModuleIdentityRecord(1, "6ES7 315-2EH14-0AB0", 0xC0, 0, 0),
            ModuleIdentityRecord(6, "6ES7 315-2EH14-0AB0", 0xC0, 0, 4),
            ModuleIdentityRecord(7, "", 0xC0, ord("V") << 8 | 3, 2 << 8 | 9),
        )
        answer = s7szl.encode_szl_0011(ModuleIdentification(0x0011, 0, records))
    else:
        texts = (
            (1, "Line 3 station"),
            (2, "PLC_3"),
            (4, "Original Siemens Equipment"),
            (5, "S C-X4U421302009"),
            (7, "CPU 315-2 PN/DP"),
        )
        answer = s7szl.encode_szl_001c(
            ComponentIdentification(
                0x001C, 0, tuple(s7szl.component_record(i, t) for i, t in texts)
            )
        )
    reply = UserdataParameter(0x12, 8, 4, 1, ref, 0, 0, 0)
    data = UserdataData(0xFF, 9, s7szl.encode_szl_response(answer))
    clock.emit(s.send(_tpkt(Userdata(reply, data), 7, ref), from_client=False))


def _s7_polling(clock: _Clock, s: TcpSession, ref: int) -> None:
    """The HMI reads 8 bytes of DB1 (line speed, counters) every cycle, and the
    CPU's identity now and then."""
    item = S7AnyItem(transport_size=2, count=8, db_number=1, area=0x84, address=0)
    clock.emit(s.send(_tpkt(ReadVarRequest((item,)), 1, ref)))
    values = bytes([0x00, 0x7B, 0x01, 0xC8, 0x00, 0x00, 0x13, 0x88])
    answer = ReadVarResponse(1, (DataItem(0xFF, 4, 64, values),))
    clock.emit(s.send(_tpkt(answer, 3, ref), from_client=False))
    if ref % 10 == 0:
        _szl_exchange(clock, s, 0x0011 if ref % 20 else 0x001C, ref)


def _s7_engineering(clock: _Clock) -> None:
    s = _session(EWS, S7_PLC, 102, 50020)
    _s7_connect(clock, s)
    _szl_exchange(clock, s, 0x0011, 2)
    _szl_exchange(clock, s, 0x001C, 3)
    job = BlockControlJob(0x1A, 0, 0, 0, "_0800001P", b"\x0d1000256000128", b"")
    clock.emit(s.send(_tpkt(job, 1, 4)))
    clock.emit(s.send(_tpkt(RawBody(b"\x1a", b""), 3, 4), from_client=False))
    clock.emit(s.send(_tpkt(PlcStop(b"\x00" * 5, "P_PROGRAM"), 1, 5)))
    clock.emit(s.send(_tpkt(RawBody(b"\x29", b""), 3, 5), from_client=False))
    clock.emit(s.close())


# --- shared helpers of the new segments --------------------------------------------------


def _datagram(
    src: tuple[str, str], dst: tuple[str, str], sport: int, dport: int, payload: bytes
) -> bytes:
    """One UDP datagram from host ``src`` to host ``dst`` as an Ethernet frame."""
    packet = ipv4(src[0], dst[0], PROTO_UDP, udp(sport, dport, payload, src[0], dst[0]))
    return ethernet(dst[1], src[1], ETH_IPV4, packet)


def _utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


# --- substation: DNP3 ---------------------------------------------------------------------

DNP3_MASTER_ADDRESS = 1
DNP3_OUTSTATION_ADDRESS = 10
DNP3_TO_OUTSTATION = 0xC4  # DIR=1 PRM=1, unconfirmed user data
DNP3_TO_MASTER = 0x44  # DIR=0 PRM=1, unconfirmed user data

_ALL_OBJECTS = 0x06  # qualifier: no range, all objects
_START_STOP_8 = 0x00  # qualifier: 1-octet start and stop
_COUNT_16_INDEX_16 = 0x28  # qualifier: 2-octet count, each object with a 2-octet index

DNP3_ATTRIBUTES = (
    (252, "Schweitzer Engineering Laboratories, Inc."),  # vendor
    (250, "SEL-3530 RTAC"),  # model
    (242, "R151-V2"),  # firmware
    (243, "3530#B"),  # hardware
    (248, "1183420094"),  # serial
    (247, "SUB-NORTH-RTAC1"),  # user-assigned name
)
"""Group 0 variation -> the outstation's device attribute (visible string)."""


def _attribute(variation: int, text: str) -> ObjectHeader:
    """A g0 object at index 0: data type 1 (visible string), length, octets."""
    raw = text.encode()
    return ObjectHeader(0, variation, _START_STOP_8, 0, 0, None, bytes((1, len(raw))) + raw)


def _class_read(*variations: int) -> tuple[ObjectHeader, ...]:
    return tuple(ObjectHeader(60, v, _ALL_OBJECTS, None, None, None, b"") for v in variations)


class _Dnp3Master:
    """The SCADA server's DNP3 association with the RTAC over one TCP connection:
    application sequence numbers (4 bits) and transport sequence numbers per
    direction (6 bits), as each station keeps them."""

    def __init__(self, clock: _Clock, session: TcpSession) -> None:
        self.clock, self.session = clock, session
        self.sequence = 0
        self.transport = {True: 0, False: 0}
        self.breaker_closed = False
        self.event_at: float | None = None  # the breaker's change, not yet polled

    def _send(self, fragment: bytes, from_master: bool) -> None:
        if from_master:
            control, dst, src = DNP3_TO_OUTSTATION, DNP3_OUTSTATION_ADDRESS, DNP3_MASTER_ADDRESS
        else:
            control, dst, src = DNP3_TO_MASTER, DNP3_MASTER_ADDRESS, DNP3_OUTSTATION_ADDRESS
        frames = dnp3.encode_frames(control, dst, src, fragment, self.transport[from_master])
        self.transport[from_master] = (self.transport[from_master] + len(frames)) % 64
        self.clock.emit(self.session.send(b"".join(frames), from_client=from_master))

    def exchange(
        self, function: int, request: tuple[ObjectHeader, ...], answer: tuple[ObjectHeader, ...]
    ) -> None:
        """A request and its solicited response; a response with events asks for
        an application confirmation, which the master sends."""
        seq = self.sequence
        self.sequence = (seq + 1) % 16
        control = dnp3.application_control(True, True, False, False, seq)
        self._send(dnp3.encode_application(Request(control, function, request)), True)
        confirm = any(h.group in (2, 32) for h in answer)  # event objects
        control = dnp3.application_control(True, True, confirm, False, seq)
        response = Response(control, Dnp3Function.RESPONSE, 0, answer)
        self._send(dnp3.encode_application(response), False)
        if confirm:
            control = dnp3.application_control(True, True, False, False, seq)
            ack = Request(control, Dnp3Function.CONFIRM, ())
            self._send(dnp3.encode_application(ack), True)

    def read_attributes(self) -> None:
        """Read of g0v254 (all attributes), answered with the device attributes."""
        read = dnp3.device_attributes_request(self.sequence)
        answer = tuple(_attribute(v, text) for v, text in DNP3_ATTRIBUTES)
        self.exchange(read.function_code, read.objects, answer)

    def integrity_poll(self, cycle: int) -> None:
        """Class 1, 2, 3 then 0: every binary input (g1v2; index 0 the breaker) and
        analog input (g30v1)."""
        closed = (self.breaker_closed, False, False, True, False, False, False, False)
        flags = bytes(0x81 if state else 0x01 for state in closed)  # online [, state]
        analogs = b"".join(
            b"\x01" + struct.pack("<i", 1180 + i * 250 + cycle % 7) for i in range(4)
        )
        answer = (
            ObjectHeader(1, 2, _START_STOP_8, 0, 7, None, flags),
            ObjectHeader(30, 1, _START_STOP_8, 0, 3, None, analogs),
        )
        self.exchange(Dnp3Function.READ, _class_read(2, 3, 4, 1), answer)

    def event_poll(self) -> None:
        """Class 1, 2, 3: nothing new, or the breaker's binary input event (g2v2,
        absolute time in ms since 1970) after it was operated."""
        answer: tuple[ObjectHeader, ...] = ()
        if self.event_at is not None:
            stamp = int(self.event_at * 1000).to_bytes(6, "little")
            event = struct.pack("<HB", 0, 0x81) + stamp  # index 0: online, closed
            answer = (ObjectHeader(2, 2, _COUNT_16_INDEX_16, None, None, 1, event),)
            self.event_at = None
        self.exchange(Dnp3Function.READ, _class_read(2, 3, 4), answer)

    def close_breaker(self) -> None:
        """Direct operate of CROB index 0: close, pulse on 500 ms; echoed with status 0."""
        crob = struct.pack("<HBBIIB", 0, 0x41, 1, 500, 0, 0)
        block = (ObjectHeader(12, 1, _COUNT_16_INDEX_16, None, None, 1, crob),)
        self.exchange(Dnp3Function.DIRECT_OPERATE, block, block)
        self.breaker_closed, self.event_at = True, self.clock.t


# --- substation: IEC 60870-5-104 ---------------------------------------------------------

IEC104_COMMON_ADDRESS = 12
IEC104_BREAKER_IOA = 2001
IEC104_FEEDER_IOA = 4001


def _cp56(t: float) -> Cp56Time:
    d = _utc(t)
    ms = d.second * 1000 + d.microsecond // 1000
    return Cp56Time(ms, d.minute, d.hour, d.day, d.month, d.year % 100, d.isoweekday())


class _Iec104Station:
    """The SCADA server's IEC 104 connection to the RTU560: send and receive
    sequence numbers of each side, and the S frames that acknowledge them."""

    def __init__(self, clock: _Clock, session: TcpSession) -> None:
        self.clock, self.session = clock, session
        self.sent = {True: 0, False: 0}  # N(S) of the next I frame, per side

    def _apdu(self, apdu: IFrame | SFrame | UFrame, from_scada: bool) -> None:
        self.clock.emit(self.session.send(iec104.encode_apdu(apdu), from_client=from_scada))

    def _i(
        self, type_id: int, cause: int, objects: tuple[InformationObject, ...], scada: bool
    ) -> None:
        asdu = Asdu(
            type_id, False, len(objects), cause, False, False, 0, IEC104_COMMON_ADDRESS, objects
        )
        send = self.sent[scada]
        self.sent[scada] = send + 1
        self._apdu(IFrame(send, self.sent[not scada], asdu), scada)

    def _ack(self, by_scada: bool) -> None:
        self._apdu(SFrame(self.sent[not by_scada]), by_scada)

    def start(self) -> None:
        """STARTDT act/con, then a station interrogation (QOI 20): confirmation,
        every point with cause 20, termination; the SCADA server acknowledges."""
        self._apdu(UFrame(UFunction.STARTDT_ACT), True)
        self._apdu(UFrame(UFunction.STARTDT_CON), False)
        gi = (InformationObject(0, Interrogation(20)),)
        self._i(100, Cause.ACTIVATION, gi, True)
        self._i(100, Cause.ACTIVATION_CON, gi, False)
        points = tuple(
            InformationObject(IEC104_BREAKER_IOA + i, SinglePoint(0x01 if i else 0x00))
            for i in range(4)
        )
        self._i(1, Cause.INTERROGATED_BY_STATION, points, False)
        values = tuple(
            InformationObject(IEC104_FEEDER_IOA + i, ShortFloat.of(v, 0x00))
            for i, v in enumerate((20.4, 20.6, 20.5, 318.0))
        )
        self._i(13, Cause.INTERROGATED_BY_STATION, values, False)
        self._i(100, Cause.ACTIVATION_TERMINATION, gi, False)
        self._ack(True)

    def spontaneous(self, cycle: int) -> None:
        """A feeder current with a CP56Time2a time tag (M_ME_TF_1), acknowledged."""
        value = ShortFloat.of(318.0 + cycle % 9, 0x00, _cp56(self.clock.t))
        self._i(36, Cause.SPONTANEOUS, (InformationObject(IEC104_FEEDER_IOA + 3, value),), False)
        self._ack(True)

    def close_breaker(self) -> None:
        """C_SC_NA_1 (execute, ON): confirmation, the point's change, termination."""
        command: Iec104Element = SingleCommand(0x01)
        obj = (InformationObject(IEC104_BREAKER_IOA, command),)
        self._i(45, Cause.ACTIVATION, obj, True)
        self._i(45, Cause.ACTIVATION_CON, obj, False)
        changed = (InformationObject(IEC104_BREAKER_IOA, SinglePoint(0x01)),)
        self._i(1, Cause.RETURN_REMOTE, changed, False)
        self._i(45, Cause.ACTIVATION_TERMINATION, obj, False)
        self._ack(True)

    def test(self) -> None:
        """TESTFR act/con: the link is idle-checked."""
        self._apdu(UFrame(UFunction.TESTFR_ACT), True)
        self._apdu(UFrame(UFunction.TESTFR_CON), False)


# --- building system: BACnet/IP ----------------------------------------------------------

BACNET_PORT = 47808
BACNET_DEVICE = ObjectIdentifier(ObjectType.DEVICE, 5040)
BACNET_ZONE_TEMPERATURE = ObjectIdentifier(0, 1)  # analog-input 1
PRESENT_VALUE = 85  # property identifier (clause 21), not in otm's identity table
BACNET_VENDOR_ID = 8  # Delta Controls in the ASHRAE vendor list
BACNET_PROPERTIES = (
    (PropertyId.VENDOR_NAME, "Delta Controls"),
    (PropertyId.MODEL_NAME, "eBCON"),
    (PropertyId.FIRMWARE_REVISION, "4.40.110"),
)


def _bacnet(src: tuple[str, str], dst: tuple[str, str], apdu: bytes) -> bytes:
    npdu = bacnet.encode_npdu(Npdu(False, 0, None, None, None, None, apdu))
    bvll = bacnet.encode_bvll(NpduCarrier(BvlcFunction.ORIGINAL_UNICAST_NPDU, npdu))
    return _datagram(src, dst, BACNET_PORT, BACNET_PORT, bvll)


def _bacnet_read(
    clock: _Clock, invoke: int, obj: ObjectIdentifier, prop: int, value: Real | str
) -> None:
    """ReadProperty from the BMS workstation and the controller's ComplexACK
    (text as a CharacterString in UTF-8, character set 0)."""
    ask = bacnet.read_property_datagram(invoke, obj, prop)
    clock.emit([_datagram(BMS, BACNET_CONTROLLER, BACNET_PORT, BACNET_PORT, ask)])
    element = value if isinstance(value, Real) else CharacterString(0, value.encode())
    ack = bacnet_services.ReadPropertyAck(obj, prop, None, (element,))
    apdu = ComplexAck(
        False, False, invoke, None, None, ConfirmedService.READ_PROPERTY,
        bacnet_services.encode_service(ack),
    )  # fmt: skip
    clock.emit([_bacnet(BACNET_CONTROLLER, BMS, bacnet.encode_apdu(apdu))])


def _bacnet_discovery(clock: _Clock) -> None:
    """Who-Is broadcast by the BMS workstation, I-Am from the controller, then
    its vendor name, model name and firmware revision read one by one."""
    who_is = bacnet.who_is_datagram()
    clock.emit([_datagram(BMS, BROADCAST, BACNET_PORT, BACNET_PORT, who_is)])
    i_am = bacnet_services.IAm(BACNET_DEVICE, 1476, 3, BACNET_VENDOR_ID)  # no segmentation
    apdu = UnconfirmedRequest(UnconfirmedService.I_AM, bacnet_services.encode_service(i_am))
    clock.emit([_bacnet(BACNET_CONTROLLER, BMS, bacnet.encode_apdu(apdu))])
    for invoke, (prop, text) in enumerate(BACNET_PROPERTIES, 1):
        _bacnet_read(clock, invoke, BACNET_DEVICE, prop, text)


def _bacnet_poll(clock: _Clock, cycle: int) -> None:
    """The zone temperature's present value."""
    reading = Real(21.0 + (cycle % 5) / 10)
    _bacnet_read(clock, 10 + cycle % 200, BACNET_ZONE_TEMPERATURE, PRESENT_VALUE, reading)


# --- OPC UA server and historian -----------------------------------------------------------

OPCUA_URL = "opc.tcp://ua-srv1:4840"
OPCUA_CHANNEL = 0x2A01
OPCUA_TOKEN = 1
OPCUA_TAGS = ("Line3.Speed", "Line3.Temperature", "Line3.Pressure")
_EPOCH_1601 = 11_644_473_600
"""Seconds from 1601-01-01 (OPC UA DateTime's origin) to 1970-01-01."""

OPCUA_SERVER_DESCRIPTION = ApplicationDescription(
    "urn:ua-srv1:PTC:KEPServerEX",
    "urn:PTC:KEPServerEX",
    LocalizedText("en", "KEPServerEX/UA@ua-srv1"),
    0,  # server
    None,
    None,
    (OPCUA_URL,),
)
OPCUA_BUILD = (
    (BUILD_INFO_MANUFACTURER_NAME, "PTC"),
    (BUILD_INFO_PRODUCT_NAME, "KEPServerEX"),
    (BUILD_INFO_SOFTWARE_VERSION, "6.15.154.0"),
    (BUILD_INFO_BUILD_NUMBER, "154"),
    (BUILD_INFO_PRODUCT_URI, "urn:PTC:KEPServerEX"),
)
"""BuildInfo child variable (ns=0) -> the value the server answers."""


def _ua_time(t: float) -> int:
    """An OPC UA DateTime: 100 ns ticks since 1601."""
    return round((t + _EPOCH_1601) * 10_000_000)


class _OpcUaClient:
    """The historian's session with the OPC UA server over one TCP connection,
    SecurityPolicy None: sequence numbers, request ids and handles."""

    def __init__(self, clock: _Clock, session: TcpSession) -> None:
        self.clock, self.session = clock, session
        self.sequence = 1
        self.token = NodeId(0, 0)

    def _header(self) -> RequestHeader:
        return RequestHeader(
            self.token, _ua_time(self.clock.t), self.sequence, 0, None, 10000,
            ExtensionObject(NodeId(0, 0)),
        )  # fmt: skip

    def _answer(self, service_result: int = 0) -> ResponseHeader:
        empty = ExtensionObject(NodeId(0, 0))
        return ResponseHeader(
            _ua_time(self.clock.t), self.sequence, service_result, DiagnosticInfo(), None, empty
        )

    def _message(
        self, service: ua.Service, from_client: bool, message_type: bytes = b"MSG"
    ) -> None:
        chunk = opcua.secure_message(
            service, secure_channel_id=OPCUA_CHANNEL, token_id=OPCUA_TOKEN,
            sequence_number=self.sequence, request_id=self.sequence, message_type=message_type,
        )  # fmt: skip
        self.clock.emit(self.session.send(chunk, from_client=from_client))

    def _call(self, request: ua.Service, response: ua.Service) -> None:
        self._message(request, True)
        self._message(response, False)
        self.sequence += 1

    def _endpoints(self) -> tuple[EndpointDescription, ...]:
        """Anonymous access with no security, and Basic256Sha256 SignAndEncrypt."""
        anonymous = UserTokenPolicy("anonymous", 0, None, None, None)
        transport = "http://opcfoundation.org/UA-Profile/Transport/uatcp-uasc-uabinary"
        secure = "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256"
        return (
            EndpointDescription(
                OPCUA_URL, OPCUA_SERVER_DESCRIPTION, None, 1, SECURITY_POLICY_NONE,
                (anonymous,), transport, 0,
            ),
            EndpointDescription(
                OPCUA_URL, OPCUA_SERVER_DESCRIPTION, None, 3, secure, (anonymous,), transport, 3,
            ),
        )  # fmt: skip

    def open(self) -> None:
        """HEL/ACK, OPN (None), GetEndpoints, CreateSession, ActivateSession
        (anonymous), then a Read of the server's BuildInfo variables."""
        self.clock.emit(self.session.handshake())
        hello = ua.Hello(0, 65536, 65536, 0, 0, OPCUA_URL)
        self.clock.emit(self.session.send(opcua.encode_chunk(hello)))
        ack = ua.Acknowledge(0, 65536, 65536, 16_777_216, 0)
        self.clock.emit(self.session.send(opcua.encode_chunk(ack), from_client=False))
        opn = ua.OpenSecureChannelRequest(self._header(), 0, 0, 1, None, 3_600_000)
        ids = {"sequence_number": self.sequence, "request_id": self.sequence}
        chunk = opcua.open_secure_channel(opn, secure_channel_id=0, **ids)
        self.clock.emit(self.session.send(chunk))
        token = ChannelSecurityToken(OPCUA_CHANNEL, OPCUA_TOKEN, _ua_time(self.clock.t), 3_600_000)
        opened = ua.OpenSecureChannelResponse(self._answer(), 0, token, None)
        chunk = opcua.open_secure_channel(opened, secure_channel_id=OPCUA_CHANNEL, **ids)
        self.clock.emit(self.session.send(chunk, from_client=False))
        self.sequence += 1
        self._call(
            ua.GetEndpointsRequest(self._header(), OPCUA_URL, None, None),
            ua.GetEndpointsResponse(self._answer(), self._endpoints()),
        )
        client = ApplicationDescription(
            "urn:historian:PlantHistorian", "urn:PlantHistorian", LocalizedText("en", "Historian"),
            1, None, None, None,
        )  # fmt: skip
        create = ua.CreateSessionRequest(
            self._header(), client, None, OPCUA_URL, "historian", bytes(32), None, 600000.0, 0
        )
        self.token = NodeId(1, 0x7E57)
        created = ua.CreateSessionResponse(
            self._answer(), NodeId(1, 0x5E55), self.token, 600000.0, bytes(32), None,
            self._endpoints(), None, SignatureData(None, None), 0,
        )  # fmt: skip
        self._call(create, created)
        anonymous = Writer()
        STRING.write(anonymous, "anonymous")  # AnonymousIdentityToken: its policy id
        token_object = ExtensionObject(
            NodeId(0, ANONYMOUS_IDENTITY_TOKEN_ENCODING), 1, bytes(anonymous.buf)
        )
        activate = ua.ActivateSessionRequest(
            self._header(), SignatureData(None, None), None, ("en",), token_object,
            SignatureData(None, None),
        )  # fmt: skip
        activated = Writer()  # server nonce, results, diagnostic infos
        BYTESTRING.write(activated, bytes(32))
        ArrayOf(STATUS_CODE).write(activated, ())
        ArrayOf(DIAGNOSTIC_INFO).write(activated, ())
        self._call(activate, ua.GenericResponse(470, self._answer(), bytes(activated.buf)))
        self._read(
            tuple(NodeId(0, n) for n, _ in OPCUA_BUILD),
            tuple(Variant(BuiltInType.STRING, text) for _, text in OPCUA_BUILD),
        )

    def _read(self, nodes: tuple[NodeId, ...], values: tuple[Variant, ...]) -> None:
        asked = tuple(ReadValueId(n, ATTRIBUTE_VALUE, None, QualifiedName(0, None)) for n in nodes)
        stamp = _ua_time(self.clock.t)
        results = tuple(
            DataValue(v, source_timestamp=stamp, server_timestamp=stamp) for v in values
        )
        self._call(
            ua.ReadRequest(self._header(), 0.0, 2, asked),
            ua.ReadResponse(self._answer(), results, None),
        )

    def poll(self, cycle: int) -> None:
        """The historian's scan: three tags of line 3 (ns=2, string ids)."""
        readings = (1200.0 + cycle, 71.5 + (cycle % 4) / 2, 4.2)
        self._read(
            tuple(NodeId(2, tag) for tag in OPCUA_TAGS),
            tuple(Variant(BuiltInType.DOUBLE, v) for v in readings),
        )

    def close(self) -> None:
        """CloseSession, CLO, TCP close."""
        close = ua.CloseSessionRequest(self._header(), True)
        self._call(close, ua.GenericResponse(476, self._answer(), b""))
        self._message(ua.CloseSecureChannelRequest(self._header()), True, b"CLO")
        self.clock.emit(self.session.close())


# --- PROFINET IO -------------------------------------------------------------------------

DCP_IDENTIFY_GROUP = "01:0e:cf:00:00:00"
PN_OUTPUT_FRAME = 0x8000  # RT_CLASS_1, the controller's outputs
PN_INPUT_FRAME = 0x8001  # RT_CLASS_1, the device's inputs
PN_DATA_STATUS = 0x35  # primary, data valid, run, station ok
PN_VENDOR_ID, PN_DEVICE_ID = 0x002A, 0x0313  # Siemens, ET 200SP IM155-6 PN


def _pn(dst: str, src: str, payload: bytes) -> bytes:
    return ethernet(dst, src, ETHERTYPE_PROFINET, payload, pad=True)


def _profinet_identify(clock: _Clock) -> None:
    """The engineering station's DCP Identify All and the ET 200SP's answer:
    name and type of station, vendor/device id, role (IO device), IP parameter."""
    ask = profinet.encode_dcp(profinet.identify_request(0x0C0FFEE1))
    clock.emit([_pn(DCP_IDENTIFY_GROUP, EWS[1], ask)])
    blocks = (
        DcpBlock(*DEVICE_TYPE_OF_STATION, b"ET 200SP", 0),
        DcpBlock(*DEVICE_NAME_OF_STATION, b"et200sp-line3", 0),
        DcpBlock(*DEVICE_ID, profinet.device_id_value(PN_VENDOR_ID, PN_DEVICE_ID), 0),
        DcpBlock(*DEVICE_ROLE, b"\x01\x00", 0),  # IO device
        DcpBlock(*IP_PARAMETER, profinet.ip_value(PN_DEVICE_IP, "255.255.0.0", "10.10.2.1"), 1),
    )
    answer = DcpPdu(
        FrameId.DCP_IDENTIFY_RESPONSE, ServiceId.IDENTIFY, ServiceType.RESPONSE_SUCCESS,
        0x0C0FFEE1, 0, blocks,
    )  # fmt: skip
    clock.emit([_pn(EWS[1], PN_DEVICE_MAC, profinet.encode_dcp(answer))])


def _profinet_cycle(clock: _Clock, second: int) -> None:
    """One exchange of cyclic data: the S7-300's outputs, the device's inputs.

    The IO cycle is 1 ms; to keep the file small the capture holds one
    exchange a second, so the cycle counter (31.25 µs units) moves 32,000 a
    frame."""
    counter = (second * 32_000) & 0xFFFF
    data = bytes((0x80, second & 0xFF)) + bytes(38)  # IOPS good, an output byte, padding
    outputs = RtFrame(PN_OUTPUT_FRAME, data, counter, PN_DATA_STATUS, 0)
    inputs = RtFrame(PN_INPUT_FRAME, bytes((0x80, 0x03)) + bytes(38), counter, PN_DATA_STATUS, 0)
    clock.emit(
        [
            _pn(PN_DEVICE_MAC, S7_PLC[1], profinet.encode_rt(outputs)),
            _pn(S7_PLC[1], PN_DEVICE_MAC, profinet.encode_rt(inputs)),
        ],
        step=0.0001,
    )


# --- managed switch: LLDP and SNMP ---------------------------------------------------------

LLDP_MULTICAST = "01:80:c2:00:00:0e"
SWITCH_NAME = "sw-cell3"
SWITCH_DESCRIPTION = "Hirschmann Railswitch RSP35 HiOS-3S-08.7.01"
SWITCH_OBJECT_ID = "1.3.6.1.4.1.248.11.2.1.3"  # enterprise 248: Hirschmann


def _lldp(clock: _Clock) -> None:
    """The switch's advertisement from port 1/5 (bridge capability, management IP)."""
    tlvs = (
        ChassisId(ChassisIdSubtype.MAC_ADDRESS, mac_bytes(SWITCH[1])),
        PortId(PortIdSubtype.INTERFACE_NAME, b"1/5"),
        TimeToLive(120),
        PortDescription(b"Module: 1 Port: 5 - 10/100/1000 Mbit TX"),
        SystemName(SWITCH_NAME.encode()),
        SystemDescription(SWITCH_DESCRIPTION.encode()),
        SystemCapabilities(0x0004, 0x0004),  # bridge
        ManagementAddress(
            AddressFamily.IPV4, ip_bytes(SWITCH[0]), InterfaceSubtype.IF_INDEX, 1, b""
        ),
    )
    frame = ethernet(LLDP_MULTICAST, SWITCH[1], ETHERTYPE_LLDP, lldp.encode_lldpdu(Lldpdu(tlvs)))
    clock.emit([frame])


def _snmp_poll(clock: _Clock, request_id: int, port: int) -> None:
    """The monitoring host's v2c get of sysDescr, sysObjectID and sysName (a new
    source port per request, as pollers do) and the switch's response."""
    oids = (SYS_DESCR, SYS_OBJECT_ID, SYS_NAME)
    names = tuple(VarBind(oid, ValueType.NULL, None) for oid in oids)
    get = Pdu(PduType.GET_REQUEST, request_id, 0, 0, names)
    ask = snmp.encode_message(CommunityMessage(1, b"public", get))
    clock.emit([_datagram(MONITOR, SWITCH, port, 161, ask)])
    values = (
        VarBind(SYS_DESCR, ValueType.OCTET_STRING, SWITCH_DESCRIPTION.encode()),
        VarBind(SYS_OBJECT_ID, ValueType.OBJECT_IDENTIFIER, SWITCH_OBJECT_ID),
        VarBind(SYS_NAME, ValueType.OCTET_STRING, SWITCH_NAME.encode()),
    )
    answer = snmp.encode_message(
        CommunityMessage(1, b"public", Pdu(PduType.RESPONSE, request_id, 0, 0, values))
    )
    clock.emit([_datagram(SWITCH, MONITOR, 161, port, answer)])


def _site_discovery(clock: _Clock) -> None:
    """What a site shows once: the switch's first LLDP frame and first SNMP poll,
    the DCP Identify, the BACnet discovery."""
    _lldp(clock)
    _snmp_poll(clock, 0x3A01, 40161)
    _profinet_identify(clock)
    _bacnet_discovery(clock)


STEPS: tuple[Callable[[_Clock], None], ...] = (
    _modbus_identification,
    _enip_discovery,
    _enip_controller_identity,
    _s7_engineering,
    _office_traffic,
    _modbus_write,
    _site_discovery,
)

DNP3_EVENT_POLL = 5
"""Seconds between the SCADA server's DNP3 event (class 1-3) polls."""
DNP3_INTEGRITY_POLL = 30
"""Seconds between DNP3 integrity (class 0-3) polls."""
OPERATE_CYCLE = 20
"""The poll cycle in which the SCADA operator closes the breakers."""
LLDP_INTERVAL = 30
"""msgTxInterval, the LLDP default (802.1AB 10.5.4.1)."""


def write_demo_capture(path: Path, poll_cycles: int = 60) -> int:
    """Write the demo site's capture to ``path``; returns the number of frames."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        clock = _Clock(PcapWriter(fh, linktype=1))
        hmi_modbus = _session(HMI, MODBUS_PLC, 502, 49152)
        clock.emit(hmi_modbus.handshake())
        hmi_s7 = _session(HMI, S7_PLC, 102, 49153)
        _s7_connect(clock, hmi_s7)
        hmi_enip = _session(HMI, ENIP_PLC, 44818, 49154)
        _enip_session(clock, hmi_enip, 0x2002)
        scada_dnp3 = _session(SCADA, DNP3_RTU, 20000, 49200)
        clock.emit(scada_dnp3.handshake())
        dnp3_master = _Dnp3Master(clock, scada_dnp3)
        dnp3_master.read_attributes()
        dnp3_master.integrity_poll(0)
        scada_104 = _session(SCADA, IEC104_RTU, 2404, 49201)
        clock.emit(scada_104.handshake())
        station = _Iec104Station(clock, scada_104)
        station.start()
        historian = _OpcUaClient(clock, _session(HISTORIAN, OPCUA_SERVER, 4840, 49300))
        historian.open()
        for step in STEPS:
            step(clock)
        for cycle in range(poll_cycles):
            _modbus_polling(clock, hmi_modbus, cycle + 1)
            _enip_tag_read(clock, hmi_enip, cycle + 1)
            _profinet_cycle(clock, cycle + 1)
            if cycle % 10 == 0:
                _s7_polling(clock, hmi_s7, cycle + 10)
                _bacnet_poll(clock, cycle)
            if cycle % 10 == 5:
                station.spontaneous(cycle)
            if cycle % 5 == 0:
                historian.poll(cycle)
            if cycle == OPERATE_CYCLE:
                dnp3_master.close_breaker()
                station.close_breaker()
            if cycle % DNP3_EVENT_POLL == DNP3_EVENT_POLL - 1:
                if cycle % DNP3_INTEGRITY_POLL == DNP3_INTEGRITY_POLL - 1:
                    dnp3_master.integrity_poll(cycle)
                else:
                    dnp3_master.event_poll()
            if cycle and cycle % LLDP_INTERVAL == 0:
                _lldp(clock)
                _snmp_poll(clock, 0x3A01 + cycle, 40161 + cycle)
            if cycle == poll_cycles // 2:
                station.test()
            clock.wait(1.0)
        clock.emit(hmi_modbus.close())
        clock.emit(hmi_s7.close())
        clock.emit(hmi_enip.close())
        historian.close()
        clock.emit(scada_dnp3.close())
        clock.emit(scada_104.close())
        return clock.frames


DEMO_PLANT = f"""\
# The demo site's plant file (otm.plant/1): zones, processes and names.
# Load it with `otm plant load`; edit it to try other zonings.
schema: otm.plant/1
zones:
  - name: office
    level: 4
    assets: ["ip:{OFFICE[0]}"]
  - name: cell-control
    subnets: [10.10.1.0/24]
    assets: ["mac:{PN_DEVICE_MAC}"]
  - name: supervisory
    level: 2
    subnets: [10.10.2.0/24]
  - name: substation
    subnets: [10.10.3.0/24]
  - name: building
    subnets: [10.10.5.0/24]
processes:
  - path: Demo/Site/Packaging/Line3
    criticality: 5
    assets: ["ip:{S7_PLC[0]}", "ip:{MODBUS_PLC[0]}"]
  - path: Demo/Site/Packaging/Line4
    criticality: 3
    assets: ["ip:{ENIP_PLC[0]}"]
  - path: Demo/Site/Utilities/Substation
    criticality: 4
    assets: ["ip:{DNP3_RTU[0]}", "ip:{IEC104_RTU[0]}"]
  - path: Demo/Site/Building/HVAC
    criticality: 2
    assets: ["ip:{BACNET_CONTROLLER[0]}"]
names:
  "ip:{S7_PLC[0]}": PLC-3
  "ip:{MODBUS_PLC[0]}": PLC-3B
  "ip:{ENIP_PLC[0]}": PLC-4
  "ip:{HMI[0]}": HMI-1
  "ip:{EWS[0]}": EWS-1
  "ip:{OFFICE[0]}": OFFICE-PC
  "ip:{SCADA[0]}": SCADA-1
  "ip:{HISTORIAN[0]}": HIST-1
  "ip:{OPCUA_SERVER[0]}": OPC-1
"""
"""The demo site described as a plant file, addresses taken from the capture's hosts."""


def write_demo_plant(path: Path) -> None:
    """Write the demo site's plant file (zones, processes, names) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(DEMO_PLANT, encoding="utf-8")
