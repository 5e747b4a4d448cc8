"""A capture of a small simulated plant, so otm can be tried without a SPAN port.

Written by otm itself from its own codecs' encoders and frame builders (no
public capture is copied).  The plant, on one switched segment:

=============  ==============  ==================================================
10.10.1.10     Modbus PLC      Schneider M340 answering Read Device Identification
10.10.1.20     EtherNet/IP     ControlLogix chassis: 1756-EN2T adapter answering
                               ListIdentity, a 1756-L83E controller in slot 0
10.10.1.30     S7 PLC          Siemens S7-300 CPU answering SZL 0x0011/0x001C
10.10.2.50     HMI             polls the three PLCs
10.10.2.60     engineering ws  identifies devices, downloads a block, stops the S7
10.10.2.70     office PC       DNS and HTTPS through the gateway
10.10.2.1      gateway         router to the office network
=============  ==============  ==================================================

Times start at a fixed instant (2026-01-05 08:00 UTC) so that the file's
bytes are the same every time it is written.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

from otm.capture.frames import ETH_IPV4, PROTO_UDP, TcpSession, ethernet, ipv4, udp
from otm.capture.writer import PcapWriter
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
from otm.protocols.s7comm import codec as s7
from otm.protocols.s7comm import szl as s7szl
from otm.protocols.s7comm.messages import (
    BlockControlJob,
    ComponentIdentification,
    CotpConnect,
    CotpData,
    CotpParameter,
    ModuleIdentification,
    ModuleIdentityRecord,
    PlcStop,
    RawBody,
    S7Body,
    S7Pdu,
    SetupCommunication,
    SzlRequest,
    Tpkt,
    Userdata,
    UserdataData,
    UserdataParameter,
)

START = 1_767_600_000.0  # 2026-01-05 08:00:00 UTC

MODBUS_PLC = ("10.10.1.10", "00:80:f4:12:34:10")  # 00:80:F4 Telemecanique (Schneider)
ENIP_PLC = ("10.10.1.20", "00:00:bc:12:34:20")  # 00:00:BC Rockwell Automation
S7_PLC = ("10.10.1.30", "00:1b:1b:12:34:30")  # 00:1B:1B Siemens
HMI = ("10.10.2.50", "00:0c:29:12:34:50")
EWS = ("10.10.2.60", "00:0c:29:12:34:60")
OFFICE = ("10.10.2.70", "00:0c:29:12:34:70")
GATEWAY = ("10.10.2.1", "00:00:0c:12:34:01")  # 00:00:0C Cisco


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
    _szl_exchange(clock, s, 0x0011 if ref % 2 else 0x001C, ref)


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


STEPS: tuple[Callable[[_Clock], None], ...] = (
    _modbus_identification,
    _enip_discovery,
    _enip_controller_identity,
    _s7_engineering,
    _office_traffic,
    _modbus_write,
)


def write_demo_capture(path: Path, poll_cycles: int = 60) -> int:
    """Write the demo plant's capture to ``path``; returns the number of frames."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        clock = _Clock(PcapWriter(fh, linktype=1))
        hmi_modbus = _session(HMI, MODBUS_PLC, 502, 49152)
        clock.emit(hmi_modbus.handshake())
        hmi_s7 = _session(HMI, S7_PLC, 102, 49153)
        _s7_connect(clock, hmi_s7)
        hmi_enip = _session(HMI, ENIP_PLC, 44818, 49154)
        _enip_session(clock, hmi_enip, 0x2002)
        for step in STEPS:
            step(clock)
        for cycle in range(poll_cycles):
            _modbus_polling(clock, hmi_modbus, cycle + 1)
            _enip_tag_read(clock, hmi_enip, cycle + 1)
            if cycle % 10 == 0:
                _s7_polling(clock, hmi_s7, cycle + 10)
            clock.wait(1.0)
        clock.emit(hmi_modbus.close())
        clock.emit(hmi_s7.close())
        clock.emit(hmi_enip.close())
        return clock.frames
