"""SNMP traffic (UDP 161 to agents, UDP 162 to notification receivers) -> observations.

Every datagram is read with the codec's ``peek`` (version, PDU tag, where
the community lies: four BER headers, no copy).  A message is fully decoded
only when its shape (version, PDU tag, length) is new to the sensor, or when
an agent sent it and it names a system-group variable (the BER of
``1.3.6.1.2.1.1.x.0`` occurs in it): a poller repeats a few shapes, and
identity lives in the system group.  SNMP pollers open a new UDP port per
request, so shapes are remembered per sensor, not per flow (at most
``MAX_SHAPES``).  Measured on CPython 3.11: about 2 us a request, 25 us for
a response naming the system group (decoded, its identity tallied).

Roles follow the PDU: get, get-next, get-bulk and set come from the manager
(the client); response, report, trap and inform from the agent (the
server).  The walker orients a UDP conversation by port (162 is the
receiver's), so when a conversation's first message is an agent's PDU sent
from the walker's client side (a trap to port 162, a response seen without
its request), the sensor marks the flow reversed and counts with the agent
as the server.

Operations: ``get``, ``get_next``, ``get_bulk`` (read), ``set`` (write),
``trap``, ``inform`` (other); an SNMPv3 message whose scoped PDU is
encrypted counts as ``encrypted`` when its reportable flag marks it a
request.  Each carries the version (``v1``, ``v2c``, ``v3``) and, for v3,
the USM user name in its detail.

Identity, from what the agent sent (responses without error, traps,
informs, reports):

- sysDescr -> ``description`` (kept as text: vendor, model and firmware are
  not guessed out of it), sysObjectID -> ``snmp_sys_object_id`` (and
  ``snmp_enterprise``, and ``vendor`` when the enterprise is in the offline
  table of OT and network vendors), sysName -> ``name``, sysLocation ->
  ``location``, sysContact -> ``contact``, sysServices -> ``snmp_sys_services``;
- ``snmp_community``: the community of a response, i.e. one the agent
  accepted (detection flags ``public``/``private``);
- SNMPv3: ``snmp_engine_id`` (hex) and ``snmp_v3_user`` of responses and reports.
"""

from __future__ import annotations

from otm.capture.interfaces import FlowKey
from otm.capture.walker import PacketWalker
from otm.observations.records import Transport
from otm.protocols.common import OTHER, Anomaly
from otm.protocols.snmp import codec
from otm.protocols.snmp.constants import (
    AGENT_PDUS,
    AGENT_PORT,
    ENCRYPTED,
    MSG_FLAG_REPORTABLE,
    SYS_CONTACT,
    SYS_DESCR,
    SYS_LOCATION,
    SYS_NAME,
    SYS_OBJECT_ID,
    SYS_SERVICES,
    SYSTEM_GROUP_PREFIX,
    TRAP_PORT,
    VERSION_NAMES,
    PduType,
    ValueType,
    pdu_category,
    pdu_name,
)
from otm.protocols.snmp.enterprises import enterprise_number, enterprise_vendor
from otm.protocols.snmp.messages import AnyPdu, CommunityMessage, Pdu, V3Message, text_of
from otm.sensing.aggregate import Tally
from otm.sensing.labels import FlowLabels

PROTOCOL = "snmp"

MAX_SHAPES = 4096
"""Message shapes validated per capture; a site's managers poll a few hundred."""

MAX_FACTS = 65536
"""(agent, community / user / engine) pairs remembered as already reported."""

SYSTEM_FIELDS: dict[str, tuple[int, str]] = {
    SYS_DESCR: (ValueType.OCTET_STRING, "description"),
    SYS_OBJECT_ID: (ValueType.OBJECT_IDENTIFIER, "snmp_sys_object_id"),
    SYS_CONTACT: (ValueType.OCTET_STRING, "contact"),
    SYS_NAME: (ValueType.OCTET_STRING, "name"),
    SYS_LOCATION: (ValueType.OCTET_STRING, "location"),
    SYS_SERVICES: (ValueType.INTEGER, "snmp_sys_services"),
}
"""System-group variable -> (the SMI type it must have, otm identity field)."""

_RESPONSE = int(PduType.RESPONSE)
_REPORT = int(PduType.REPORT)
_ENCRYPTED_TAG = -1
_NOTIFICATIONS = frozenset({PduType.TRAP, PduType.SNMPV2_TRAP, PduType.INFORM_REQUEST})
"""Agent PDUs that count as operations (responses and reports do not)."""


class _Shared:
    """What the flows of one capture share: validated shapes, facts already told."""

    __slots__ = ("facts", "shapes")

    def __init__(self) -> None:
        self.shapes: set[tuple[int, int, int]] = set()
        self.facts: set[tuple[str, str, str]] = set()


class SnmpSensor:
    """Registers the SNMP datagram handler on UDP 161 and 162."""

    def register(self, walker: PacketWalker, tally: Tally, labels: FlowLabels) -> None:
        """Attach to the walker."""
        shared = _Shared()

        def factory(key: FlowKey, ts: float, frame: int) -> SnmpFlow:
            return SnmpFlow(key, tally, labels, shared)

        walker.register_udp(AGENT_PORT, PROTOCOL, factory)
        walker.register_udp(TRAP_PORT, PROTOCOL, factory)


def identity_fields(pdu: AnyPdu) -> dict[str, str | int]:
    """otm identity fields in the system-group variables of an agent's PDU."""
    fields: dict[str, str | int] = {}
    if isinstance(pdu, Pdu) and pdu.error_status:
        return fields  # v1 leaves the values of a failed request unspecified
    for vb in pdu.varbinds:
        row = SYSTEM_FIELDS.get(vb.oid)
        if row is None or vb.value_type != row[0] or vb.value is None:
            continue
        fields[row[1]] = text_of(vb.value) if isinstance(vb.value, bytes) else vb.value
    oid = fields.get("snmp_sys_object_id")
    if isinstance(oid, str):
        number = enterprise_number(oid)
        if number is not None:
            fields["snmp_enterprise"] = number
        vendor = enterprise_vendor(oid)
        if vendor is not None:
            fields["vendor"] = vendor
    return fields


class SnmpFlow:
    """One UDP conversation on port 161 or 162."""

    __slots__ = ("flipped", "flow", "key", "labels", "ops", "oriented", "shared", "tally", "valid")

    def __init__(self, key: FlowKey, tally: Tally, labels: FlowLabels, shared: _Shared) -> None:
        self.flow = key  # the walker's key, as it reports the flow
        self.key = key  # oriented client (manager / commander) -> server
        self.tally = tally
        self.labels = labels
        self.shared = shared
        self.ops: dict[tuple[int, int, str], list[float]] = {}
        self.valid = False
        self.oriented = False
        self.flipped = False

    def on_datagram(self, payload: bytes, from_client: bool, frame: int, ts: float) -> None:
        """One SNMP message (an empty datagram, a port probe, is nothing to count)."""
        if not payload:
            return
        if self.flipped:
            from_client = not from_client
        head = codec.peek(payload)
        if head is None:
            self._broken(payload, from_client, frame, ts)
            return
        version, tag, c_start, c_end = head
        message: CommunityMessage | V3Message | None = None
        if version == 3:
            decoded = codec.decode_message(payload)
            if isinstance(decoded, Anomaly):
                self._anomaly(decoded, from_client, frame, ts)
                return
            if not isinstance(decoded, V3Message):  # version 3 decodes to nothing else
                return
            message = decoded
            pdu = decoded.pdu
            if pdu is not None:
                tag = pdu.pdu_type
                agent_sent = tag in AGENT_PDUS
            else:
                agent_sent = not decoded.flags or not decoded.flags[0] & MSG_FLAG_REPORTABLE
        else:
            agent_sent = tag in AGENT_PDUS
        from_client = self._orient(agent_sent, from_client)
        if message is None:
            shape = (version, tag, len(payload))
            known = shape in self.shared.shapes
            if not known or (agent_sent and SYSTEM_GROUP_PREFIX in payload):
                decoded = codec.decode_message(payload)
                if isinstance(decoded, Anomaly):
                    self._anomaly(decoded, from_client, frame, ts)
                    return
                if not known and len(self.shared.shapes) < MAX_SHAPES:
                    self.shared.shapes.add(shape)
                message = decoded
        if not self.valid:
            self.valid = True
            self.labels.protocol[self.flow] = PROTOCOL
        if agent_sent:
            self._agent_message(
                payload, message, version, tag, c_start, c_end, from_client, frame, ts
            )
            if tag not in _NOTIFICATIONS:
                return
        elif not from_client:
            return  # a manager's PDU sent against the flow: counted nowhere
        user = ""
        if isinstance(message, V3Message):
            user = message.user_name or ""
            if message.pdu is None:
                tag = _ENCRYPTED_TAG
        op = (version, tag, user)
        entry = self.ops.get(op)
        if entry is None:
            self.ops[op] = [1, ts, ts, frame]
        else:
            entry[0] += 1
            entry[2] = ts

    def _orient(self, agent_sent: bool, from_client: bool) -> bool:
        """Decide the roles on the first message; returns ``from_client`` after it."""
        if self.oriented:
            return from_client
        self.oriented = True
        if agent_sent == from_client:
            # The agent spoke from the walker's client side: it is the server.
            self.labels.reversed.add(self.flow)
            self.key = _swap(self.key)
            self.flipped = True
            return not from_client
        return from_client

    def _agent_message(
        self,
        payload: bytes,
        message: CommunityMessage | V3Message | None,
        version: int,
        tag: int,
        c_start: int,
        c_end: int,
        from_client: bool,
        frame: int,
        ts: float,
    ) -> None:
        k = self.key
        ip, mac = (k.client_ip, k.client_mac) if from_client else (k.server_ip, k.server_mac)
        facts = self.shared.facts
        if version != 3 and tag == _RESPONSE:
            community = payload[c_start:c_end].decode("utf-8", "backslashreplace")
            fact = (ip, "c", community)
            if fact not in facts and len(facts) < MAX_FACTS:
                facts.add(fact)
                self._identity(
                    ip, mac, {"snmp_community": community}, frame, ts, "snmp response community"
                )
        if (
            isinstance(message, V3Message)
            and message.usm is not None
            and tag in (_RESPONSE, _REPORT)
        ):
            fields: dict[str, str | int] = {}
            if message.usm.engine_id:
                fields["snmp_engine_id"] = message.usm.engine_id.hex()
            if message.usm.user_name:
                fields["snmp_v3_user"] = message.user_name or ""
            fact = (ip, "u", repr(sorted(fields.items())))
            if fields and fact not in facts and len(facts) < MAX_FACTS:
                facts.add(fact)
                self._identity(ip, mac, fields, frame, ts, "snmpv3 usm parameters")
        pdu = message.pdu if message is not None else None
        if pdu is not None and SYSTEM_GROUP_PREFIX in payload:
            fields = identity_fields(pdu)
            if fields:
                self._identity(ip, mac, fields, frame, ts, f"snmp {pdu_name(tag)} system group")

    def _identity(
        self, ip: str, mac: str, fields: dict[str, str | int], frame: int, ts: float, message: str
    ) -> None:
        self.tally.identity(ip, mac, PROTOCOL, fields, ts, frame, message)

    def _broken(self, payload: bytes, from_client: bool, frame: int, ts: float) -> None:
        decoded = codec.decode_message(payload)
        if isinstance(decoded, Anomaly):
            self._anomaly(decoded, from_client, frame, ts)

    def _anomaly(self, anomaly: Anomaly, from_client: bool, frame: int, ts: float) -> None:
        ip = self.key.client_ip if from_client else self.key.server_ip
        self.tally.anomaly(PROTOCOL, anomaly.kind.value, ip, ts, frame, anomaly.detail)

    def on_close(self, ts: float) -> None:
        """Name and hand over the operation counts."""
        for (version, tag, user), entry in self.ops.items():
            if tag == _ENCRYPTED_TAG:
                name, category = ENCRYPTED, OTHER
            else:
                name, category = pdu_name(tag), pdu_category(tag)
            detail: tuple[tuple[str, str | int], ...] = (
                ("version", VERSION_NAMES.get(version, str(version))),
            )
            if user:
                detail += (("user", user),)
            self.tally.flow_operation(
                self.key, PROTOCOL, Transport.UDP, name, category, entry, detail
            )
        self.ops.clear()

    def on_checkpoint(self, ts: float) -> None:
        """Live capture: hand over the counts so far (the conversation goes on)."""
        self.on_close(ts)


def _swap(key: FlowKey) -> FlowKey:
    return FlowKey(
        key.transport,
        key.server_ip,
        key.server_port,
        key.client_ip,
        key.client_port,
        key.server_mac,
        key.client_mac,
        key.vlan,
    )
