"""SNMP identity probe: a get of the system group, v2c with the given communities,
v3 noAuthNoPriv when a user name is given.

Each request is a UDP datagram to port 161 answered from there (RFC 3416,
RFC 3417; the system group is RFC 3418)::

    GetRequest v2c community C: sysDescr.0 sysObjectID.0 sysContact.0
                                sysName.0 sysLocation.0 sysServices.0
        -> Response (or silence: a wrong community is dropped, RFC 3584 5.2.1)

    v3 (RFC 3414 4, engine discovery, then the get as user U, noAuthNoPriv):
    GetRequest, no engine id, no user, reportable   -> Report usmStatsUnknownEngineIDs
                                                        (engine id, boots, time)
    GetRequest engine id, user U, the same OIDs     -> Response | Report (unknown
                                                        user, unsupported level)

Communities are tried in the order given until one answers; each wrong one
costs a timeout.  sysUpTime is left out on purpose: it changes on every scan
and would write a new value into the asset's history each time.  Nothing but
GetRequests can be built here (the ``read_only`` catalog entries).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from otm.observations.records import Identity, Observation
from otm.protocols.common import READ, Anomaly
from otm.protocols.snmp import (
    AGENT_PORT,
    CommunityMessage,
    Pdu,
    PduType,
    ScopedPdu,
    UsmSecurityParameters,
    V3Message,
    ValueType,
    VarBind,
    decode_message,
    encode_message,
    encode_usm,
    enterprise_number,
    enterprise_vendor,
    pdu_category,
    pdu_name,
)
from otm.protocols.snmp.constants import (
    MSG_FLAG_REPORTABLE,
    SYS_CONTACT,
    SYS_DESCR,
    SYS_LOCATION,
    SYS_NAME,
    SYS_OBJECT_ID,
    SYS_SERVICES,
)
from otm.protocols.snmp.messages import text_of
from otm.scanning.limits import Limits
from otm.scanning.probe import (
    PlannedRequest,
    Target,
    TransportKind,
    clean_fields,
    evidence,
    planned,
)
from otm.scanning.safety import Request, classifier, read_only, request
from otm.scanning.transport import ScanError, Transport

PROTOCOL = "snmp"
PORT = AGENT_PORT

DEFAULT_COMMUNITIES = ("public",)

MAX_SIZE = 65507
"""msgMaxSize offered in v3: the largest UDP payload over IPv4."""

USM = 3
"""msgSecurityModel of the User-based Security Model (RFC 3411 6.1)."""

V2C = 1

SYSTEM_FIELDS: Mapping[str, tuple[int, str]] = MappingProxyType(
    {
        SYS_DESCR: (ValueType.OCTET_STRING, "description"),
        SYS_OBJECT_ID: (ValueType.OBJECT_IDENTIFIER, "snmp_sys_object_id"),
        SYS_CONTACT: (ValueType.OCTET_STRING, "contact"),
        SYS_NAME: (ValueType.OCTET_STRING, "name"),
        SYS_LOCATION: (ValueType.OCTET_STRING, "location"),
        SYS_SERVICES: (ValueType.INTEGER, "snmp_sys_services"),
    }
)
"""System-group variable asked for -> (the SMI type it must have, otm identity
field); the passive sensor's names, so both evidences land on one field."""

REPORT_REASONS: Mapping[str, str] = MappingProxyType(
    {
        "1.3.6.1.6.3.15.1.1.1.0": "unsupported_security_level",
        "1.3.6.1.6.3.15.1.1.2.0": "not_in_time_window",
        "1.3.6.1.6.3.15.1.1.3.0": "unknown_user_name",
        "1.3.6.1.6.3.15.1.1.4.0": "unknown_engine_id",
        "1.3.6.1.6.3.15.1.1.5.0": "wrong_digest",
        "1.3.6.1.6.3.15.1.1.6.0": "decryption_error",
    }
)
"""usmStats counters a Report names (RFC 3414 5) -> why the request failed."""


def _system_get(request_id: int) -> Pdu:
    varbinds = tuple(VarBind(oid, ValueType.NULL, None) for oid in SYSTEM_FIELDS)
    return Pdu(PduType.GET_REQUEST, request_id, 0, 0, varbinds)


def _check_id(request_id: int) -> None:
    if not 0 <= request_id <= 0x7FFFFFFF:
        raise ValueError(f"request id {request_id} outside 0..2^31-1")


# --- the read-only requests (registered in the scanner's request catalog) -------------


@read_only(
    PROTOCOL,
    "get_system_v2c",
    READ,
    examples=({"community": b"public", "request_id": 1}, {"community": b"", "request_id": 0}),
)
def build_get_system_v2c(*, community: bytes, request_id: int) -> bytes:
    """A v2c GetRequest of the system group's identity variables."""
    _check_id(request_id)
    return encode_message(CommunityMessage(V2C, community, _system_get(request_id)))


def _v3(msg_id: int, usm: UsmSecurityParameters, context: bytes, pdu: Pdu) -> bytes:
    _check_id(msg_id)
    message = V3Message(
        msg_id, MAX_SIZE, bytes((MSG_FLAG_REPORTABLE,)), USM, encode_usm(usm), usm,
        ScopedPdu(context, b"", pdu),
    )  # fmt: skip
    return encode_message(message)


@read_only(PROTOCOL, "discover_engine_v3", READ, examples=({"msg_id": 1, "request_id": 1},))
def build_discover_engine_v3(*, msg_id: int, request_id: int) -> bytes:
    """The RFC 3414 4 discovery: an empty GetRequest, no engine id, no user,
    noAuthNoPriv, reportable; the agent answers with a Report carrying its
    engine id, boots and time."""
    _check_id(request_id)
    usm = UsmSecurityParameters(b"", 0, 0, b"", b"", b"")
    return _v3(msg_id, usm, b"", Pdu(PduType.GET_REQUEST, request_id, 0, 0, ()))


@read_only(
    PROTOCOL,
    "get_system_v3",
    READ,
    examples=(
        {
            "msg_id": 2,
            "request_id": 2,
            "engine_id": bytes.fromhex("80001f8803020000000000"),
            "boots": 1,
            "engine_time": 10,
            "user": b"monitor",
        },
    ),
)
def build_get_system_v3(
    *, msg_id: int, request_id: int, engine_id: bytes, boots: int, engine_time: int, user: bytes
) -> bytes:
    """A v3 GetRequest of the system group as ``user``, noAuthNoPriv (nothing signed
    or encrypted: otm holds no keys), in the agent's default context."""
    _check_id(request_id)
    usm = UsmSecurityParameters(engine_id, boots, engine_time, user, b"", b"")
    return _v3(msg_id, usm, engine_id, _system_get(request_id))


@classifier(PROTOCOL)
def classify(payload: bytes) -> tuple[str, str] | None:
    """(operation, category) of one SNMP request as otm's codec reads it; None for
    an undecodable message, an encrypted v3 one, or an agent's PDU."""
    message = decode_message(payload)
    if isinstance(message, Anomaly):
        return None
    pdu = message.pdu
    if pdu is None or pdu.pdu_type not in (
        PduType.GET_REQUEST,
        PduType.GET_NEXT_REQUEST,
        PduType.GET_BULK_REQUEST,
        PduType.SET_REQUEST,
    ):
        return None
    return pdu_name(pdu.pdu_type), pdu_category(pdu.pdu_type)


# --- reading the answers ---------------------------------------------------------------


def system_fields(varbinds: tuple[VarBind, ...]) -> dict[str, str | int]:
    """otm identity fields of the system-group variables in an answer."""
    fields: dict[str, str | int] = {}
    for vb in varbinds:
        row = SYSTEM_FIELDS.get(vb.oid)
        if row is None or vb.value_type != row[0] or vb.value is None:
            continue
        value = text_of(vb.value) if isinstance(vb.value, bytes) else vb.value
        if value != "":
            fields[row[1]] = value
    oid = fields.get("snmp_sys_object_id")
    if isinstance(oid, str):
        number = enterprise_number(oid)
        if number is not None:
            fields["snmp_enterprise"] = number
        vendor = enterprise_vendor(oid)
        if vendor is not None:
            fields["vendor"] = vendor
    return fields


def community_answer(datagram: bytes, request_id: int) -> dict[str, str | int] | None:
    """Identity fields of a v1/v2c Response to ``request_id``; None if the datagram
    is not that answer, {} when it answers with an error."""
    message = decode_message(datagram)
    if not isinstance(message, CommunityMessage) or not isinstance(message.pdu, Pdu):
        return None
    pdu = message.pdu
    if pdu.pdu_type != PduType.RESPONSE or pdu.request_id != request_id:
        return None
    if pdu.error_status:
        return {}
    return system_fields(pdu.varbinds)


def engine_fields(usm: UsmSecurityParameters) -> dict[str, str | int]:
    """The agent's engine id, and the enterprise that made its SNMP engine when the
    id has the RFC 3411 format (first bit set, enterprise in the first four bytes)."""
    fields: dict[str, str | int] = {}
    if usm.engine_id:
        fields["snmp_engine_id"] = usm.engine_id.hex()
        if len(usm.engine_id) >= 5 and usm.engine_id[0] & 0x80:
            fields["snmp_engine_enterprise"] = int.from_bytes(usm.engine_id[:4], "big") & 0x7FFFFFFF
    return fields


def v3_answer(datagram: bytes, msg_id: int) -> V3Message | None:
    """The agent's v3 answer (Response or Report) to ``msg_id``, else None."""
    message = decode_message(datagram)
    if not isinstance(message, V3Message) or message.msg_id != msg_id:
        return None
    pdu = message.pdu
    if pdu is None or pdu.pdu_type not in (PduType.RESPONSE, PduType.REPORT):
        return None
    return message


def report_reason(message: V3Message) -> str | None:
    """Why a v3 request got a Report instead of a Response (None for a Response)."""
    pdu = message.pdu
    if pdu is None or pdu.pdu_type != PduType.REPORT:
        return None
    for vb in pdu.varbinds:
        reason = REPORT_REASONS.get(vb.oid)
        if reason is not None:
            return reason
    return "report"


# --- the probe ---------------------------------------------------------------------------


@dataclass
class SnmpProbe:
    """A system-group get with each community in turn, and as a v3 user when one is named."""

    communities: tuple[str, ...] = DEFAULT_COMMUNITIES
    user: str | None = None
    protocol: str = PROTOCOL
    port: int = PORT
    transport: TransportKind = "udp"
    broadcast: bool = False
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1), repr=False)

    def plan(self, target: Target) -> list[PlannedRequest]:
        """One v2c get per community (the next only while none answered), then v3."""
        if target.kind != "host":
            return []
        out: list[PlannedRequest] = []
        for n, community in enumerate(self.communities, start=1):
            note = "" if n == 1 else "only when no earlier community was answered"
            get = request(PROTOCOL, "get_system_v2c", community=community.encode(), request_id=n)
            out += planned(PROTOCOL, target, self.port, "udp", [get], note)
        if self.user is not None:
            out += planned(PROTOCOL, target, self.port, "udp", [
                request(PROTOCOL, "discover_engine_v3", msg_id=1, request_id=1),
            ], "RFC 3414 engine discovery")  # fmt: skip
            out += planned(PROTOCOL, target, self.port, "udp", [
                request(PROTOCOL, "get_system_v3", msg_id=2, request_id=2, engine_id=b"",
                        boots=0, engine_time=0, user=self.user.encode()),
            ], "with the engine id, boots and time the agent reported")  # fmt: skip
        return out

    async def run(self, target: Target, io: Transport, limits: Limits) -> list[Observation]:
        """Ask; an agent that answers nothing gives []."""
        if target.kind != "host":
            return []
        learnt: list[tuple[dict[str, str | int], str]] = []
        for community in self.communities:
            fields = await self._v2c(target.address, community, io, limits)
            if fields is not None:
                fields["snmp_community"] = community
                learnt.append((fields, "snmp get_system v2c response"))
                break
        if self.user is not None:
            learnt.extend(await self._v3(target.address, self.user, io, limits))
        mac = io.neighbour(target.address)
        now = limits.now()
        return [
            Identity(now, target.address, mac, PROTOCOL, clean_fields(fields),
                     evidence(target, message))
            for fields, message in learnt
            if clean_fields(fields)
        ]  # fmt: skip

    async def _ask(self, ip: str, req: Request, limits: Limits, io: Transport) -> list[bytes]:
        try:
            replies = await io.datagram(ip, self.port, req, limits.timeout)
        except ScanError:
            return []
        return [r.payload for r in replies]

    async def _v2c(
        self, ip: str, community: str, io: Transport, limits: Limits
    ) -> dict[str, str | int] | None:
        rid = next(self._ids) & 0x7FFFFFFF
        req = request(PROTOCOL, "get_system_v2c", community=community.encode(), request_id=rid)
        for payload in await self._ask(ip, req, limits, io):
            fields = community_answer(payload, rid)
            if fields is not None:
                return fields
        return None

    async def _v3(
        self, ip: str, user: str, io: Transport, limits: Limits
    ) -> list[tuple[dict[str, str | int], str]]:
        mid, rid = next(self._ids) & 0x7FFFFFFF, next(self._ids) & 0x7FFFFFFF
        req = request(PROTOCOL, "discover_engine_v3", msg_id=mid, request_id=rid)
        report = None
        for payload in await self._ask(ip, req, limits, io):
            report = report or v3_answer(payload, mid)
        if report is None or report.usm is None or not report.usm.engine_id:
            return []
        usm = report.usm
        out = [(engine_fields(usm), "snmpv3 engine discovery report")]
        mid, rid = next(self._ids) & 0x7FFFFFFF, next(self._ids) & 0x7FFFFFFF
        req = request(
            PROTOCOL, "get_system_v3", msg_id=mid, request_id=rid, engine_id=usm.engine_id,
            boots=usm.engine_boots, engine_time=usm.engine_time, user=user.encode(),
        )  # fmt: skip
        answer = None
        for payload in await self._ask(ip, req, limits, io):
            answer = answer or v3_answer(payload, mid)
        if answer is None or answer.pdu is None:
            return out
        reason = report_reason(answer)
        if reason is not None:
            out.append(({"snmp_v3_noauth": f"refused ({reason})"}, "snmpv3 report"))
            return out
        pdu = answer.pdu
        if isinstance(pdu, Pdu) and not pdu.error_status:
            fields = system_fields(pdu.varbinds)
            fields["snmp_v3_user"] = user
            out.append((fields, "snmp get_system v3 response"))
        return out
