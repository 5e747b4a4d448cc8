"""EtherNet/IP identity probe: ListIdentity (UDP, TCP, broadcast) and the CIP Identity object.

Port 44818 (ODVA Vol. 2, chapter 2; Vol. 1, 5-2 Identity object):

1. ListIdentity by unicast UDP to the host;
2. on TCP: ListIdentity again when UDP got no answer, then RegisterSession,
   SendRRData carrying Get_Attributes_All of the Identity object (class 1,
   instance 1, unconnected, no route), and UnRegisterSession;
3. for a broadcast domain the user allowed, one ListIdentity to its directed
   broadcast address; every device answering (from inside the scope) is
   reported.

ListIdentity, ListServices and ListInterfaces are ``identify`` in otm's ENIP
codec, (Un)RegisterSession ``session``, a Get_Attributes_All of class 1
``identify``; nothing else can be built.  Fields are the passive sensor's:
``vendor_id``, ``device_type``, ``product_code``, ``revision_major``,
``revision_minor``, ``firmware`` (``20.011``), ``serial`` (``0x0001e240``),
``product_name``, ``model``, ``status``, plus ``state`` and
``socket_address`` from ListIdentity (the inventory adds ``vendor`` from the
vendor id, as for passive facts).
"""

from __future__ import annotations

import contextlib
import struct

from otm.observations.records import Identity, Observation
from otm.protocols.common import IDENTIFY, SESSION, Anomaly
from otm.protocols.enip.codec import (
    decode_cip_request,
    decode_cip_response,
    decode_encapsulation,
    decode_identity_attributes,
    decode_list_identity_response,
    decode_register_session,
    decode_send_data,
    encode_cip_request,
    encode_encapsulation,
    encode_register_session,
    encode_send_data,
    flatten_request,
)
from otm.protocols.enip.constants import (
    CLASS_CONNECTION_MANAGER,
    CLASS_IDENTITY,
    ITEM_NULL_ADDRESS,
    ITEM_UNCONNECTED_DATA,
    LIST_IDENTITY,
    REGISTER_SESSION,
    SEND_RR_DATA,
    SEND_UNIT_DATA,
    SERVICE_GET_ATTRIBUTES_ALL,
    SERVICE_MULTIPLE,
    SERVICE_UNCONNECTED_SEND,
    UNREGISTER_SESSION,
    command_category,
    command_name,
    service_category,
    service_name,
)
from otm.protocols.enip.framing import frame_length
from otm.protocols.enip.messages import (
    CipPath,
    CipRequest,
    CpfItem,
    Encapsulation,
    IdentityItem,
    IdentityObject,
    LogicalSegment,
    RegisterSession,
    SendData,
)
from otm.scanning.limits import Limits
from otm.scanning.probe import PlannedRequest, Target, TransportKind, evidence, planned
from otm.scanning.safety import classifier, read_only, request
from otm.scanning.transport import Connection, ScanError, Transport

PROTOCOL = "enip"
PORT = 44818

LIST_IDENTITY_MESSAGE = "enip list_identity reply"
IDENTITY_MESSAGE = "cip get_attributes_all identity reply"

_CONTEXT = struct.Struct("<Q")


def _context(sender_context: int) -> bytes:
    return _CONTEXT.pack(sender_context)


# -- the catalog ------------------------------------------------------------------------


@read_only(PROTOCOL, "list_identity", IDENTIFY, examples=({"sender_context": 0},))
def build_list_identity(*, sender_context: int = 0) -> bytes:
    """ListIdentity (0x63), no data; a request on UDP, TCP or broadcast alike."""
    return encode_encapsulation(
        Encapsulation(LIST_IDENTITY, 0, 0, _context(sender_context), 0, b"")
    )


@read_only(PROTOCOL, "register_session", SESSION, examples=({"sender_context": 1},))
def build_register_session(*, sender_context: int = 0) -> bytes:
    """RegisterSession (0x65): protocol version 1, options 0 (Vol. 2, 2-4.4)."""
    data = encode_register_session(RegisterSession(1, 0))
    return encode_encapsulation(
        Encapsulation(REGISTER_SESSION, 0, 0, _context(sender_context), 0, data)
    )


@read_only(
    PROTOCOL,
    "unregister_session",
    SESSION,
    examples=({"session_handle": 0x12345678, "sender_context": 3},),
)
def build_unregister_session(*, session_handle: int, sender_context: int = 0) -> bytes:
    """UnRegisterSession (0x66) of the session the device gave."""
    return encode_encapsulation(
        Encapsulation(UNREGISTER_SESSION, session_handle, 0, _context(sender_context), 0, b"")
    )


@read_only(
    PROTOCOL,
    "get_identity_attributes_all",
    IDENTIFY,
    examples=({"session_handle": 0x12345678, "instance": 1, "sender_context": 2},),
)
def build_get_identity_attributes_all(
    *, session_handle: int, instance: int = 1, sender_context: int = 0
) -> bytes:
    """SendRRData: null address item + unconnected data item holding
    Get_Attributes_All (0x01) of Identity (class 1) ``instance``."""
    path = CipPath((LogicalSegment("class", CLASS_IDENTITY), _instance(instance)))
    cip = encode_cip_request(CipRequest(SERVICE_GET_ATTRIBUTES_ALL, path, b""))
    items = (CpfItem(ITEM_NULL_ADDRESS, b""), CpfItem(ITEM_UNCONNECTED_DATA, cip))
    data = encode_send_data(SendData(0, 0, items))
    return encode_encapsulation(
        Encapsulation(SEND_RR_DATA, session_handle, 0, _context(sender_context), 0, data)
    )


def _instance(instance: int) -> LogicalSegment:
    if not 0 <= instance <= 0xFFFF:
        raise ValueError(f"instance {instance} (0-65535)")
    return LogicalSegment("instance", instance, 1 if instance <= 0xFF else 2)


_WRAPPERS = frozenset({SERVICE_MULTIPLE})


@classifier(PROTOCOL)
def classify(payload: bytes) -> tuple[str, str] | None:
    """``(operation, category)`` of one encapsulation message as otm's ENIP codec reads it.

    A SendRRData/SendUnitData is what its CIP request does; through Unconnected
    Send and Multiple Service Packet wrappers, the first request that is not
    safe decides, else the last one.
    """
    if frame_length(payload, 0) != len(payload):
        return None
    enc = decode_encapsulation(payload)
    if isinstance(enc, Anomaly):
        return None
    if enc.command not in (SEND_RR_DATA, SEND_UNIT_DATA):
        return command_name(enc.command), command_category(enc.command)
    sent = decode_send_data(enc.data)
    if isinstance(sent, Anomaly) or sent.cip is None:
        return None
    cip = decode_cip_request(sent.cip)
    if isinstance(cip, Anomaly):
        return None
    found, problem = flatten_request(cip)
    if problem is not None:
        return None
    verdict: tuple[str, str] | None = None
    for item in found:
        req = item.request
        class_id = req.path.class_id
        if req.service in _WRAPPERS or (
            req.service == SERVICE_UNCONNECTED_SEND and class_id == CLASS_CONNECTION_MANAGER
        ):
            continue
        symbol = req.path.symbol is not None
        verdict = (
            service_name(req.service, class_id, symbol),
            service_category(req.service, class_id, symbol),
        )
        if verdict[1] not in ("read", "identify", "session", "diagnostic"):
            return verdict
    return verdict


# -- answers ---------------------------------------------------------------------------------


def identity_fields(obj: IdentityObject | IdentityItem) -> dict[str, str | int]:
    """otm identity fields of an Identity object or a ListIdentity item (as the sensor's)."""
    fields: dict[str, str | int] = {
        "vendor_id": obj.vendor_id,
        "device_type": obj.device_type,
        "product_code": obj.product_code,
        "revision_major": obj.revision_major,
        "revision_minor": obj.revision_minor,
        "firmware": f"{obj.revision_major}.{obj.revision_minor:03d}",
        "serial": f"0x{obj.serial_number:08x}",
        "product_name": obj.product_name.strip(),
        "model": obj.product_name.strip(),
        "status": obj.status,
    }
    if isinstance(obj, IdentityItem):
        fields["state"] = obj.state
        fields["socket_address"] = obj.sin_address
    elif obj.state is not None:
        fields["state"] = obj.state
    return {k: v for k, v in fields.items() if v != ""}


def _list_identity_items(answer: bytes) -> list[IdentityItem]:
    enc = decode_encapsulation(answer)
    if isinstance(enc, Anomaly) or enc.command != LIST_IDENTITY or enc.status != 0:
        return []
    reply = decode_list_identity_response(enc.data)
    if isinstance(reply, Anomaly):
        return []
    return list(reply.identities)


# -- the probe ------------------------------------------------------------------------------


class EnipProbe:
    """ListIdentity and the Identity object on 44818 (see the module docstring)."""

    protocol = PROTOCOL
    port = PORT
    transport: TransportKind = "udp"
    broadcast = True

    def __init__(self, port: int = PORT) -> None:
        self.port = port

    def plan(self, target: Target) -> list[PlannedRequest]:
        li = request(PROTOCOL, "list_identity", sender_context=0)
        if target.kind == "broadcast":
            return planned(PROTOCOL, target, self.port, "udp", [li], "directed broadcast")
        if target.kind != "host":
            return []
        out = planned(PROTOCOL, target, self.port, "udp", [li])
        out += planned(PROTOCOL, target, self.port, "tcp", [li], "only when UDP got no answer")
        session = [
            request(PROTOCOL, "register_session", sender_context=1),
            request(PROTOCOL, "get_identity_attributes_all", session_handle=0, sender_context=2),
            request(PROTOCOL, "unregister_session", session_handle=0, sender_context=3),
        ]
        out += planned(
            PROTOCOL, target, self.port, "tcp", session, "session handle from the device's reply"
        )
        return out

    async def run(self, target: Target, io: Transport, limits: Limits) -> list[Observation]:
        li = request(PROTOCOL, "list_identity", sender_context=0)
        if target.kind == "broadcast":
            replies = await io.datagram(
                target.address, self.port, li, limits.timeout, broadcast=True, collect=True
            )
            now = limits.now()
            out: list[Observation] = []
            for reply in replies:
                for item in _list_identity_items(reply.payload):
                    ev = evidence(target, LIST_IDENTITY_MESSAGE + " (broadcast)")
                    fields = identity_fields(item)
                    out.append(Identity(now, reply.source, None, PROTOCOL, fields, ev))
            return out
        if target.kind != "host":
            return []
        out = []
        try:
            replies = await io.datagram(target.address, self.port, li, limits.timeout)
        except ScanError:
            replies = []
        items = [i for r in replies for i in _list_identity_items(r.payload)]
        out += self._identities(target, items, LIST_IDENTITY_MESSAGE, limits)
        try:
            conn = await io.connect(target.address, self.port, limits.timeout)
        except ScanError:
            return out
        try:
            if not items:
                answer = await conn.exchange(li, frame_length, limits.timeout)
                tcp_items = _list_identity_items(answer)
                out += self._identities(target, tcp_items, LIST_IDENTITY_MESSAGE, limits)
            obj = await self._identity_object(conn, limits)
            if obj is not None:
                ev = evidence(target, IDENTITY_MESSAGE)
                fields = identity_fields(obj)
                out.append(Identity(limits.now(), target.address, None, PROTOCOL, fields, ev))
        except ScanError:
            pass
        finally:
            await conn.close()
        return out

    def _identities(
        self, target: Target, items: list[IdentityItem], message: str, limits: Limits
    ) -> list[Observation]:
        now = limits.now()
        return [
            Identity(
                now,
                target.address,
                None,
                PROTOCOL,
                identity_fields(item),
                evidence(target, message),
            )
            for item in items
        ]

    async def _identity_object(self, conn: Connection, limits: Limits) -> IdentityObject | None:
        reg = request(PROTOCOL, "register_session", sender_context=1)
        answer = decode_encapsulation(await conn.exchange(reg, frame_length, limits.timeout))
        if (
            isinstance(answer, Anomaly)
            or answer.command != REGISTER_SESSION
            or answer.status != 0
            or isinstance(decode_register_session(answer.data), Anomaly)
        ):
            return None
        session = answer.session_handle
        try:
            get = request(
                PROTOCOL, "get_identity_attributes_all", session_handle=session, sender_context=2
            )
            reply = decode_encapsulation(await conn.exchange(get, frame_length, limits.timeout))
            return _identity_object(reply)
        finally:
            bye = request(PROTOCOL, "unregister_session", session_handle=session, sender_context=3)
            # UnRegisterSession has no reply: the device closes the connection.
            with contextlib.suppress(ScanError):
                await conn.send(bye)


def _identity_object(reply: Encapsulation | Anomaly) -> IdentityObject | None:
    if isinstance(reply, Anomaly) or reply.command != SEND_RR_DATA or reply.status != 0:
        return None
    sent = decode_send_data(reply.data)
    if isinstance(sent, Anomaly) or sent.cip is None:
        return None
    response = decode_cip_response(sent.cip)
    if (
        isinstance(response, Anomaly)
        or response.service != SERVICE_GET_ATTRIBUTES_ALL
        or response.general_status != 0
    ):
        return None
    obj = decode_identity_attributes(response.data)
    return None if isinstance(obj, Anomaly) else obj
