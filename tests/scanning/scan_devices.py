"""Scripted Modbus, EtherNet/IP and S7 devices for probe tests, answering with otm's encoders.

Each class is a ``scan_support.TcpDevice`` (one instance per connection);
``enip_udp`` is a UDP responder.  They answer the way the real stacks do
(pymodbus, cpppo, snap7 with real SZL data) and can be told to misbehave:
split object streams, stay silent on some unit ids, refuse a rack/slot,
fragment an SZL answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from otm.protocols.common import Anomaly
from otm.protocols.enip.codec import (
    decode_cip_request,
    decode_encapsulation,
    decode_send_data,
    encode_cip_response,
    encode_cpf,
    encode_encapsulation,
    encode_identity_attributes,
    encode_identity_item,
    encode_register_session,
    encode_send_data,
)
from otm.protocols.enip.constants import (
    ITEM_LIST_IDENTITY,
    ITEM_NULL_ADDRESS,
    ITEM_UNCONNECTED_DATA,
    LIST_IDENTITY,
    REGISTER_SESSION,
    SEND_RR_DATA,
)
from otm.protocols.enip.messages import (
    CipResponse,
    CpfItem,
    Encapsulation,
    IdentityItem,
    IdentityObject,
    RegisterSession,
    SendData,
)
from otm.protocols.modbus import decode_request, encode_adu
from otm.protocols.modbus.messages import (
    Adu,
    DeviceIdObject,
    ExceptionResponse,
    NoDataRequest,
    ReadDeviceIdentificationRequest,
    ReadDeviceIdentificationResponse,
    ReportServerIdResponse,
)
from otm.protocols.s7comm import (
    ComponentIdentification,
    CotpConnect,
    CotpData,
    CotpDisconnect,
    ModuleIdentification,
    ModuleIdentityRecord,
    S7Pdu,
    SetupCommunication,
    SzlResponse,
    Tpkt,
    Userdata,
    UserdataData,
    UserdataParameter,
    component_record,
    decode_payload,
    decode_szl_request,
    decode_tpkt,
    encode_s7,
    encode_szl_001c,
    encode_szl_0011,
    encode_szl_response,
    encode_tpkt,
)
from otm.scanning.transport import Reply

# -- Modbus -----------------------------------------------------------------------------

ACME = {
    0x00: b"Acme Controls",
    0x01: b"AC-500",
    0x02: b"2.7.1",
    0x03: b"http://acme.example",
    0x04: b"Acme PLC",
    0x05: b"AC-500-CPU",
    0x06: b"Line 3 filler",
    0x80: b"serial 42",
}


@dataclass
class ModbusDevice:
    """Read Device Identification with streams of ``per_answer`` objects; FC17 too.

    ``units`` maps unit id -> objects (missing unit: silence, like a gateway
    whose serial device is absent); ``conformity`` is the level it claims.
    """

    units: dict[int, dict[int, bytes]] = field(
        default_factory=lambda: {0: ACME, 1: ACME, 255: ACME}
    )
    conformity: int = 0x83
    per_answer: int = 3
    server_id: bytes = b"Acme\xff"
    wrong_tid: bool = False

    def answer(self, payload: bytes) -> bytes | None:
        adu = decode_request(payload)
        if isinstance(adu, Anomaly):
            return None
        objects = self.units.get(adu.unit_id)
        if objects is None:
            return None
        tid = adu.transaction_id + (1 if self.wrong_tid else 0)
        pdu = adu.pdu
        if isinstance(pdu, NoDataRequest) and pdu.function_code == 17:
            return encode_adu(Adu(tid, adu.unit_id, ReportServerIdResponse(self.server_id)))
        if not isinstance(pdu, ReadDeviceIdentificationRequest):
            return encode_adu(Adu(tid, adu.unit_id, ExceptionResponse(pdu.function_code, 1)))
        level = self.conformity & 0x7F
        if pdu.read_device_id_code > level:
            return encode_adu(Adu(tid, adu.unit_id, ExceptionResponse(43, 2)))
        top = {1: 0x02, 2: 0x7F, 3: 0xFF}[pdu.read_device_id_code]
        ids = sorted(i for i in objects if i <= top and i >= pdu.object_id)
        chunk, rest = ids[: self.per_answer], ids[self.per_answer :]
        more, nxt = (0xFF, rest[0]) if rest else (0x00, 0x00)
        response = ReadDeviceIdentificationResponse(
            pdu.read_device_id_code,
            self.conformity,
            more,
            nxt,
            tuple(DeviceIdObject(i, objects[i]) for i in chunk),
        )
        return encode_adu(Adu(tid, adu.unit_id, response))


# -- EtherNet/IP ----------------------------------------------------------------------------

CONTROLLER = IdentityObject(1, 14, 166, 20, 11, 0x3060, 0x01234567, "1756-L83E/B", b"\x03")


def identity_item(address: str, obj: IdentityObject = CONTROLLER) -> IdentityItem:
    return IdentityItem(
        1, 2, 44818, address, obj.vendor_id, obj.device_type, obj.product_code,
        obj.revision_major, obj.revision_minor, obj.status, obj.serial_number,
        obj.product_name, 3,
    )  # fmt: skip


def list_identity_reply(address: str, obj: IdentityObject = CONTROLLER) -> bytes:
    item = CpfItem(ITEM_LIST_IDENTITY, encode_identity_item(identity_item(address, obj)))
    data = encode_cpf((item,))
    return encode_encapsulation(Encapsulation(LIST_IDENTITY, 0, 0, bytes(8), 0, data))


def enip_udp(obj: IdentityObject = CONTROLLER) -> Callable[[bytes, str], list[Reply]]:
    """A UDP responder answering ListIdentity from ``host``."""

    def respond(payload: bytes, host: str) -> list[Reply]:
        enc = decode_encapsulation(payload)
        if isinstance(enc, Anomaly) or enc.command != LIST_IDENTITY:
            return []
        return [Reply(host, list_identity_reply(host, obj))]

    return respond


@dataclass
class EnipDevice:
    """ListIdentity, RegisterSession and Get_Attributes_All of the Identity object."""

    address: str = "10.0.0.5"
    obj: IdentityObject = CONTROLLER
    session: int = 0x00C0FFEE
    status: int = 0

    def answer(self, payload: bytes) -> bytes | None:
        enc = decode_encapsulation(payload)
        if isinstance(enc, Anomaly):
            return None
        if enc.command == LIST_IDENTITY:
            return list_identity_reply(self.address, self.obj)
        if enc.command == REGISTER_SESSION:
            data = encode_register_session(RegisterSession(1, 0))
            reply = Encapsulation(REGISTER_SESSION, self.session, 0, enc.sender_context, 0, data)
            return encode_encapsulation(reply)
        if enc.command == SEND_RR_DATA:
            sent = decode_send_data(enc.data)
            assert not isinstance(sent, Anomaly) and sent.cip is not None
            req = decode_cip_request(sent.cip)
            assert not isinstance(req, Anomaly)
            response = CipResponse(
                req.service, self.status, (), encode_identity_attributes(self.obj)
            )
            items = (
                CpfItem(ITEM_NULL_ADDRESS, b""),
                CpfItem(ITEM_UNCONNECTED_DATA, encode_cip_response(response)),
            )
            data = encode_send_data(SendData(0, 0, items))
            reply = Encapsulation(SEND_RR_DATA, enc.session_handle, 0, enc.sender_context, 0, data)
            return encode_encapsulation(reply)
        return None  # UnRegisterSession: no reply


# -- S7 ---------------------------------------------------------------------------------------

MODULE = ModuleIdentification(
    0x0011,
    0,
    (
        ModuleIdentityRecord(1, "6ES7 315-2EH14-0AB0 ", 0x00C0, 0, 5),
        ModuleIdentityRecord(6, "6ES7 315-2EH14-0AB0 ", 0x00C0, 0, 5),
        ModuleIdentityRecord(7, " " * 20, 0x00C0, 0x5603, 0x0208),
    ),
)
COMPONENTS = ComponentIdentification(
    0x001C,
    0,
    tuple(
        component_record(i, text)
        for i, text in (
            (1, "Line 4 station"),
            (2, "PLC_4"),
            (3, "Plant north"),
            (4, "Original Siemens Equipment"),
            (5, "S C-T7K123456789"),
            (7, "CPU 315-2 PN/DP"),
        )
    ),
)


def _tpkt_s7(pdu: S7Pdu) -> bytes:
    return encode_tpkt(Tpkt(0, CotpData(True, 0, encode_s7(pdu))))


@dataclass
class S7Device:
    """A CPU in ``slot`` of rack 0 answering SZL 0x0011 whole and 0x001C in ``fragments``."""

    slot: int = 2
    fragments: int = 2
    refuse_setup: bool = False
    _pending: list[bytes] = field(default_factory=list)

    def answer(self, payload: bytes) -> bytes | None:
        tpkt = decode_tpkt(payload)
        if isinstance(tpkt, Anomaly):
            return None
        cotp = tpkt.cotp
        if isinstance(cotp, CotpConnect):
            tsap = cotp.dst_s7_tsap
            if tsap is None or tsap.rack != 0 or tsap.slot != self.slot:
                return encode_tpkt(Tpkt(0, CotpDisconnect(cotp.src_ref, 1, 0, ())))
            cc = CotpConnect(0xD0, 0, cotp.src_ref, 1, 0, cotp.parameters)
            return encode_tpkt(Tpkt(0, cc))
        if not isinstance(cotp, CotpData):
            return None
        pdu = decode_payload(cotp.payload)
        if not isinstance(pdu, S7Pdu):
            return None
        if isinstance(pdu.body, SetupCommunication):
            if self.refuse_setup:
                return None
            body = SetupCommunication(0, 1, 1, 240)
            return _tpkt_s7(S7Pdu(3, 0, pdu.pdu_reference, 0, 0, body))
        if isinstance(pdu.body, Userdata):
            return self._userdata(pdu)
        return None

    def _userdata(self, pdu: S7Pdu) -> bytes | None:
        assert isinstance(pdu.body, Userdata)
        data = pdu.body.data
        if data is not None and data.payload:
            request = decode_szl_request(data.payload)
            if isinstance(request, Anomaly):
                return None
            szl: SzlResponse | None = None
            if request.szl_id == 0x0011:
                szl = encode_szl_0011(MODULE)
            elif request.szl_id == 0x001C:
                szl = encode_szl_001c(COMPONENTS)
            if szl is None:
                return self._ud(pdu, 0x0A, b"", None, 0)
            whole = encode_szl_response(szl)
            if request.szl_id == 0x0011 or self.fragments <= 1:
                return self._ud(pdu, 0xFF, whole, None, 0)
            size = -(-len(whole) // self.fragments)
            parts = [whole[i : i + size] for i in range(0, len(whole), size)]
            self._pending = parts[1:]
            return self._ud(pdu, 0xFF, parts[0], 7, 1)
        if self._pending:
            part = self._pending.pop(0)
            return self._ud(pdu, 0xFF, part, 7, 1 if self._pending else 0)
        return None

    @staticmethod
    def _ud(pdu: S7Pdu, rc: int, payload: bytes, dur: int | None, last: int) -> bytes:
        assert isinstance(pdu.body, Userdata)
        p = pdu.body.parameter
        if dur is None:
            param = UserdataParameter(0x12, 8, p.function_group, p.subfunction, 5, 0, 0, 0)
        else:
            param = UserdataParameter(0x12, 8, p.function_group, p.subfunction, 5, dur, last, 0)
        body = Userdata(param, UserdataData(rc, 0x09, payload))
        return _tpkt_s7(S7Pdu(7, 0, pdu.pdu_reference, None, None, body))
