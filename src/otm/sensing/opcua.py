"""OPC UA binary (opc.tcp) traffic -> observations.

Per connection (TCP 4840, or the ports the sensor is given): every request
counts as an operation keyed by its service's encoding id in a small dict
(``hello``, ``open_secure_channel``, ``read``, ``write``, ``call`` ...);
names and categories are resolved when the flow closes.  Chunks of a channel
secured with a policy other than None cannot be read: each one a client
sends counts as ``encrypted``, and the channel's policy is kept as a fact.
ERR messages and ServiceFault responses count as ``error_<status>`` /
``fault_<status>`` in the ``exception`` category, like Modbus exceptions.

Roles follow the protocol, not the TCP handshake: the side that sends HEL is
the client, the side that sends ACK or RHE the server (``labels.reversed``
when a server opened the socket, as in reverse connect).

Decoded deeply, because they can teach identity (only what the server says
of itself): GetEndpoints and CreateSession responses (each endpoint's
ApplicationDescription and its security), FindServers responses (the
responder's own description; servers registered with a discovery server on
the same host as components), and Read responses to requests for the Server
object's ServerStatus (i=2256) or BuildInfo (i=2260-2266), matched to their
request by request handle.  Every other message shape (direction, service)
is validated once per flow.

Security facts per server: ``opcua_security_policies`` (comma-joined, sorted
short names of the policies its endpoints offer and its channels use),
``opcua_security_modes`` (the same for the modes it offers) and
``opcua_security_mode_none``: ``offered`` when an endpoint allows mode or
policy None, ``used`` when the server answers a service other than the
discovery ones (FindServers, FindServersOnNetwork, GetEndpoints, which Part 4
5.5.1 lets anyone call without security) over a channel with policy None.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from otm.capture.interfaces import FlowKey
from otm.capture.walker import PacketWalker
from otm.observations.records import Transport
from otm.protocols.common import Anomaly
from otm.protocols.opcua import codec
from otm.protocols.opcua.constants import (
    ACK,
    ATTRIBUTE_VALUE,
    BUILD_INFO,
    BUILD_INFO_BUILD_DATE,
    BUILD_INFO_BUILD_NUMBER,
    BUILD_INFO_MANUFACTURER_NAME,
    BUILD_INFO_PRODUCT_NAME,
    BUILD_INFO_PRODUCT_URI,
    BUILD_INFO_SOFTWARE_VERSION,
    CHUNK_ABORT,
    CHUNK_FINAL,
    CLO,
    DISCOVERY_RESPONSES,
    ERR,
    HEL,
    IDENTITY_NODES,
    MSG,
    OPN,
    REQUEST_NAMES,
    RESPONSE_NAMES,
    RHE,
    SECURITY_POLICY_NONE,
    SERVER_STATUS,
    SERVICE_FAULT,
    BuiltInType,
    MessageSecurityMode,
    is_bad,
    operation_category,
    operation_name,
    security_mode_name,
    security_policy_name,
    status_name,
)
from otm.protocols.opcua.datatypes import (
    ApplicationDescription,
    BuildInfo,
    EndpointDescription,
    ExtensionObject,
    ReadValueId,
)
from otm.protocols.opcua.framing import frame_length, looks_like_hello
from otm.protocols.opcua.messages import (
    CreateSessionResponse,
    ErrorMessage,
    FindServersResponse,
    GetEndpointsResponse,
    OpenChannelChunk,
    ReadRequest,
    ReadResponse,
    Service,
)
from otm.protocols.opcua.reassembly import ChunkAssembler
from otm.sensing.aggregate import Tally
from otm.sensing.labels import FlowLabels

PROTOCOL = "opcua"
PORT = 4840

MAX_SHAPES = 256
"""Distinct (direction, service) shapes validated per flow; a client uses a dozen."""

MAX_PENDING_READS = 64
"""Read requests for Server status nodes awaiting their response per connection."""

MAX_SERVERS = 4096
"""Servers whose offered security is accumulated across connections; past this
each connection reports on its own."""

# Operation keys beyond the services' encoding ids (which are >= 0).
_HELLO = -1
_REVERSE_HELLO = -2
_ENCRYPTED = -3
_UNKNOWN_SERVICE = -4
_ERROR = 1 << 40
_FAULT = 2 << 40

_OPEN = 446
_CLOSE = 452
_READ = 631
_READ_RESPONSE = 634
_KNOWN_SERVICES = frozenset(REQUEST_NAMES) | frozenset(RESPONSE_NAMES)
_IDENTITY_RESPONSES = frozenset((425, 431, 464))
"""FindServers, GetEndpoints and CreateSession responses: always decoded."""

_IDENTITY_NODE_PATTERN = re.compile(
    b"|".join(
        re.escape(b"\x01\x00" + n.to_bytes(2, "little"))
        + b"|"
        + re.escape(b"\x02\x00\x00" + n.to_bytes(4, "little"))
        for n in sorted(IDENTITY_NODES)
    )
)
"""The identity nodes as a Read request encodes them (four-byte or numeric NodeId
form, namespace 0): one regular-expression search over the raw request, in C,
spares decoding the Read requests of an HMI polling process values."""

_SPECIAL_NAMES = {
    _HELLO: ("hello", "session"),
    _REVERSE_HELLO: ("reverse_hello", "session"),
    _ENCRYPTED: ("encrypted", "other"),
    _UNKNOWN_SERVICE: ("unknown_service", "other"),
}

_U32 = struct.Struct("<I")

BUILD_INFO_FIELDS = (
    ("product_uri", "opcua_product_uri"),
    ("manufacturer_name", "vendor"),
    ("product_name", "model"),
    ("software_version", "firmware"),
    ("build_number", "opcua_build_number"),
)
"""BuildInfo member -> otm identity field."""

NODE_FIELDS = {
    BUILD_INFO_PRODUCT_URI: "opcua_product_uri",
    BUILD_INFO_MANUFACTURER_NAME: "vendor",
    BUILD_INFO_PRODUCT_NAME: "model",
    BUILD_INFO_SOFTWARE_VERSION: "firmware",
    BUILD_INFO_BUILD_NUMBER: "opcua_build_number",
}
"""BuildInfo child variable (ns=0) whose String value is an identity field."""

_LOCAL_HOSTS = frozenset(("localhost", "127.0.0.1", "::1"))


@dataclass(slots=True)
class _ServerSecurity:
    """What one server (ip, port) offers or uses, gathered over its connections."""

    policies: set[str] = field(default_factory=set)
    modes: set[str] = field(default_factory=set)


class OpcUaSensor:
    """Registers the OPC UA binary stream handler on TCP 4840 (or given ports)."""

    def __init__(self, ports: tuple[int, ...] = (PORT,)) -> None:
        self.ports = ports

    def register(self, walker: PacketWalker, tally: Tally, labels: FlowLabels) -> None:
        """Attach to the walker."""
        servers: dict[tuple[str, int], _ServerSecurity] = {}

        def factory(key: FlowKey, ts: float, frame: int) -> OpcUaStream:
            return OpcUaStream(key, tally, labels, servers)

        for port in self.ports:
            walker.register_tcp(port, PROTOCOL, frame_length, factory)
        # Servers listen wherever they are configured to: a Hello on any other
        # port starts an OPC UA connection too.
        walker.register_tcp_heuristic(PROTOCOL, looks_like_hello, frame_length, factory)


class OpcUaStream:
    """One opc.tcp connection."""

    __slots__ = (
        "assemblers",
        "clear",
        "decided",
        "key",
        "labels",
        "none_used",
        "ops",
        "own_security",
        "pending_reads",
        "security_news",
        "servers",
        "shapes",
        "swapped",
        "tally",
        "valid",
    )

    def __init__(
        self,
        key: FlowKey,
        tally: Tally,
        labels: FlowLabels,
        servers: dict[tuple[str, int], _ServerSecurity],
    ) -> None:
        self.key = key
        self.tally = tally
        self.labels = labels
        self.servers = servers
        self.ops: dict[int, list[float]] = {}  # op key -> [count, first, last, frame]
        self.shapes: set[int] = set()  # (op key << 1) | from the client
        self.pending_reads: dict[int, tuple[ReadValueId, ...]] = {}
        self.assemblers = (ChunkAssembler(), ChunkAssembler())  # [server, client] side
        self.clear: bool | None = None  # channel policy None? None: no OPN seen
        self.swapped = False  # the walker's client is the OPC UA server
        self.decided = False  # roles fixed by HEL/ACK/RHE
        self.none_used = False
        self.valid = False
        self.security_news: tuple[int, float] | None = None  # (frame, ts) the record grew
        self.own_security: _ServerSecurity | None = None

    # -- the hot path -------------------------------------------------------------

    def on_pdu(self, pdu: bytes, from_client: bool, frame: int, ts: float) -> None:
        """One whole chunk.

        Written out for speed, as MSG chunks are nearly all the traffic: a MSG
        costs a few byte reads and dict lookups, about 1.5 us on top of the
        walker's 1.1 us (50,000 Read requests and responses of a polling client,
        CPython 3.11 on the 2-core dev machine).
        """
        if not self.valid and not self._confirm(pdu, from_client, frame, ts):
            return
        if pdu[:3] != MSG:
            self._control(pdu, pdu[:3], from_client, frame, ts)
            return
        client = from_client != self.swapped
        assembler = self.assemblers[client]
        size = len(pdu)
        request_id: int = _U32.unpack_from(pdu, 20)[0] if size >= 24 else -1
        if assembler.unfinished and request_id in assembler.unfinished:
            self._continuation(assembler, pdu, request_id, client, from_client, frame, ts)
            return
        # The service's type id, in place: four-byte form first (what stacks send).
        if size >= 28 and pdu[24] == 1 and pdu[25] == 0:
            service: int | None = pdu[26] | (pdu[27] << 8)
        else:
            service = codec.peek_service_id(pdu)
        if service not in _KNOWN_SERVICES and self.clear is not True:
            # Encrypted (or an unreadable body caught mid-stream): count, learn nothing.
            if client:
                self._count(_ENCRYPTED, frame, ts)
            return
        if request_id < 0:
            self._anomaly("truncated", from_client, frame, ts, f"{size}-byte MSG")
            return
        chunk_type = pdu[3]
        if chunk_type == CHUNK_ABORT:
            return
        code = service if service is not None else _UNKNOWN_SERVICE
        if client:
            entry = self.ops.get(code)
            if entry is None:
                self.ops[code] = [1, ts, ts, frame]
            else:
                entry[0] += 1
                entry[2] = ts
            keep = code == _READ and _IDENTITY_NODE_PATTERN.search(pdu) is not None
        else:
            keep = self._server_message(pdu, code, frame, ts)
        shape = (code << 1) | client
        if shape not in self.shapes:
            keep = True
            if len(self.shapes) < MAX_SHAPES:
                self.shapes.add(shape)
        if chunk_type == CHUNK_FINAL:
            if keep:
                self._decode(pdu[codec.SECURE_BODY_OFFSET :], client, from_client, frame, ts)
            return
        whole = assembler.push(request_id, chunk_type, pdu[codec.SECURE_BODY_OFFSET :], keep)
        if isinstance(whole, Anomaly):
            self._anomaly(whole.kind.value, from_client, frame, ts, whole.detail)

    def _continuation(
        self,
        assembler: ChunkAssembler,
        pdu: bytes,
        request_id: int,
        client: bool,
        from_client: bool,
        frame: int,
        ts: float,
    ) -> None:
        """A later chunk of a message begun earlier: joined if the message is kept."""
        whole = assembler.push(request_id, pdu[3], pdu[codec.SECURE_BODY_OFFSET :])
        if isinstance(whole, Anomaly):
            self._anomaly(whole.kind.value, from_client, frame, ts, whole.detail)
        elif whole is not None:
            self._decode(whole, client, from_client, frame, ts)

    def _confirm(self, pdu: bytes, from_client: bool, frame: int, ts: float) -> bool:
        """The first chunk must decode before the flow counts as OPC UA."""
        decoded = codec.decode_chunk(pdu)
        if isinstance(decoded, Anomaly):
            self._anomaly(decoded.kind.value, from_client, frame, ts, decoded.detail)
            return False
        self.valid = True
        self.labels.protocol[self.key] = PROTOCOL
        return True

    def _server_message(self, pdu: bytes, service: int, frame: int, ts: float) -> bool:
        """Counts and findings of the first chunk of a server message; whether to decode it."""
        if service == SERVICE_FAULT:
            result = codec.peek_service_result(pdu)
            self._count(_FAULT | (result or 0), frame, ts)
            return False
        if (
            self.clear is True
            and not self.none_used
            and service in RESPONSE_NAMES
            and service not in DISCOVERY_RESPONSES
        ):
            result = codec.peek_service_result(pdu)
            if result is not None and not is_bad(result):
                self.none_used = True
                self._identity(
                    {"opcua_security_mode_none": "used"},
                    frame,
                    ts,
                    f"opcua {RESPONSE_NAMES[service]} response on a channel with policy None",
                )
        if service == _READ_RESPONSE:
            return bool(self.pending_reads)
        return service in _IDENTITY_RESPONSES

    # -- everything but MSG (a handful per connection) ------------------------------

    def _control(self, pdu: bytes, mtype: bytes, from_client: bool, frame: int, ts: float) -> None:
        decoded = codec.decode_chunk(pdu)
        if isinstance(decoded, Anomaly):
            self._anomaly(decoded.kind.value, from_client, frame, ts, decoded.detail)
            return
        if not self.decided and mtype in (HEL, ACK, RHE):
            # HEL is sent by the client; ACK and RHE by the server.
            self.decided = True
            if from_client != (mtype == HEL):
                self.swapped = True
                self.labels.reversed.add(self.key)
        client = from_client != self.swapped
        if mtype == HEL:
            self._count(_HELLO, frame, ts)
        elif mtype == RHE:
            self._count(_REVERSE_HELLO, frame, ts)
        elif mtype == ERR and isinstance(decoded, ErrorMessage):
            self._count(_ERROR | decoded.error, frame, ts)
        elif mtype == OPN and isinstance(decoded, OpenChannelChunk):
            self._open(decoded, client, from_client, frame, ts)
        elif mtype == CLO and client:
            self._count(_CLOSE, frame, ts)

    def _open(
        self, chunk: OpenChannelChunk, client: bool, from_client: bool, frame: int, ts: float
    ) -> None:
        self.clear = chunk.clear
        if client:
            self._count(_OPEN, frame, ts)
        elif chunk.security_policy_uri:
            self._security({security_policy_name(chunk.security_policy_uri)}, set(), frame, ts)
        if not chunk.clear:
            return
        sequenced = codec.decode_sequenced(chunk.payload)
        if isinstance(sequenced, Anomaly):
            self._anomaly(sequenced.kind.value, from_client, frame, ts, sequenced.detail)
            return
        self._decode(sequenced.body, client, from_client, frame, ts)

    # -- deep decoding ----------------------------------------------------------------

    def _decode(self, body: bytes, client: bool, from_client: bool, frame: int, ts: float) -> None:
        message = codec.decode_service(body, strict=self.clear is True)
        if isinstance(message, Anomaly):
            self._anomaly(message.kind.value, from_client, frame, ts, message.detail)
            return
        if client:
            if isinstance(message, ReadRequest):
                self._note_read(message)
            return
        self._learn(message, frame, ts)

    def _note_read(self, request: ReadRequest) -> None:
        nodes = request.nodes_to_read or ()
        if any(
            v.node_id.numeric() in IDENTITY_NODES and v.attribute_id == ATTRIBUTE_VALUE
            for v in nodes
        ):
            if len(self.pending_reads) >= MAX_PENDING_READS:
                del self.pending_reads[next(iter(self.pending_reads))]
            self.pending_reads[request.request_header.request_handle] = nodes

    def _learn(self, message: Service, frame: int, ts: float) -> None:
        if isinstance(message, GetEndpointsResponse):
            self._endpoints(message.endpoints, frame, ts, "opcua get_endpoints response")
        elif isinstance(message, CreateSessionResponse):
            self._endpoints(message.server_endpoints, frame, ts, "opcua create_session response")
        elif isinstance(message, FindServersResponse):
            self._servers(message.servers or (), frame, ts)
        elif isinstance(message, ReadResponse):
            nodes = self.pending_reads.pop(message.response_header.request_handle, None)
            if nodes is not None:
                self._read_results(nodes, message, frame, ts)

    def _describe(
        self, server: ApplicationDescription, frame: int, ts: float, message: str, part: str | None
    ) -> None:
        fields: dict[str, str | int] = {
            "opcua_application_uri": server.application_uri or "",
            "opcua_product_uri": server.product_uri or "",
            "name": server.application_name.text or "",
            "opcua_application_type": server.application_type_name,
        }
        self._identity(fields, frame, ts, message, part)

    def _endpoints(
        self, endpoints: tuple[EndpointDescription, ...] | None, frame: int, ts: float, message: str
    ) -> None:
        policies: set[str] = set()
        modes: set[str] = set()
        offered = False
        for endpoint in endpoints or ():
            self._describe(endpoint.server, frame, ts, message, None)
            if endpoint.security_policy_uri:
                policies.add(security_policy_name(endpoint.security_policy_uri))
            modes.add(security_mode_name(endpoint.security_mode))
            if (
                endpoint.security_mode == MessageSecurityMode.NONE
                or endpoint.security_policy_uri == SECURITY_POLICY_NONE
            ):
                offered = True
        self._security(policies, modes, frame, ts)
        if offered:
            self._identity({"opcua_security_mode_none": "offered"}, frame, ts, message)

    def _servers(self, servers: tuple[ApplicationDescription, ...], frame: int, ts: float) -> None:
        """A FindServers response: the responder's own record, and co-hosted registrations.

        The responder's record is the first whose discovery URL has the port this
        connection reached, else the first (Part 4 5.5.2: a server always returns a
        record of itself; discovery servers put theirs first).  A discovery server
        also lists the servers registered with it: those whose URLs name the
        responder's host (its own URL's host, its IP, localhost) are components of
        this asset; others live elsewhere and speak for themselves.
        """
        if not servers:
            return
        port = self._server_port()
        own = next(
            (s for s in servers if any(_port_of(u) == port for u in s.discovery_urls or ())),
            servers[0],
        )
        hosts = set(_LOCAL_HOSTS) | {self._server_ip().lower()}
        hosts |= {h for u in own.discovery_urls or () if (h := _host_of(u))}
        message = "opcua find_servers response"
        self._describe(own, frame, ts, message, None)
        for s in servers:
            if (
                s is not own
                and s.application_uri
                and any(_host_of(u) in hosts for u in s.discovery_urls or ())
            ):
                self._describe(s, frame, ts, message, s.application_uri)

    def _read_results(
        self, nodes: tuple[ReadValueId, ...], response: ReadResponse, frame: int, ts: float
    ) -> None:
        fields: dict[str, str | int] = {}
        for node, value in zip(nodes, response.results or (), strict=False):
            number = node.node_id.numeric()
            variant = value.value
            if (
                node.attribute_id != ATTRIBUTE_VALUE
                or number is None
                or variant is None
                or variant.array
                or (value.status is not None and is_bad(value.status))
            ):
                continue
            payload = variant.value
            if number in (SERVER_STATUS, BUILD_INFO) and isinstance(payload, ExtensionObject):
                if number == SERVER_STATUS:
                    status = codec.decode_server_status(payload)
                    info = status.build_info if not isinstance(status, Anomaly) else None
                else:
                    decoded = codec.decode_build_info(payload)
                    info = decoded if not isinstance(decoded, Anomaly) else None
                if info is not None:
                    fields.update(_build_info_fields(info))
            elif number in NODE_FIELDS and isinstance(payload, str):
                fields[NODE_FIELDS[number]] = payload.strip()
            elif number == BUILD_INFO_BUILD_DATE and variant.built_in_type == BuiltInType.DATETIME:
                date = _date(payload)
                if date:
                    fields["opcua_build_date"] = date
        self._identity(fields, frame, ts, "opcua read response (server status)")

    def _security(self, policies: set[str], modes: set[str], frame: int, ts: float) -> None:
        """Add what the server offers or uses to its record; when that grew, the whole
        record is reported as the flow closes (one value per flow, not per message)."""
        known = self._known_security()
        if policies <= known.policies and modes <= known.modes:
            return
        known.policies |= policies
        known.modes |= modes
        if self.security_news is None:
            self.security_news = (frame, ts)

    def _known_security(self) -> _ServerSecurity:
        key = (self._server_ip(), self._server_port())
        known = self.servers.get(key)
        if known is None:
            known = _ServerSecurity()
            if len(self.servers) < MAX_SERVERS:
                self.servers[key] = known
            else:  # too many servers to remember: this flow keeps its own record
                self.own_security = known
        return known

    def _report_security(self) -> None:
        if self.security_news is None:
            return
        frame, ts = self.security_news
        self.security_news = None
        known = self.own_security or self._known_security()
        fields: dict[str, str | int] = {}
        if known.policies:
            fields["opcua_security_policies"] = ",".join(sorted(known.policies))
        if known.modes:
            fields["opcua_security_modes"] = ",".join(sorted(known.modes))
        self._identity(fields, frame, ts, "opcua security policies offered or used")

    # -- helpers ------------------------------------------------------------------------

    def _count(self, code: int, frame: int, ts: float) -> None:
        entry = self.ops.get(code)
        if entry is None:
            self.ops[code] = [1, ts, ts, frame]
        else:
            entry[0] += 1
            entry[2] = ts

    def _server_ip(self) -> str:
        return self.key.client_ip if self.swapped else self.key.server_ip

    def _server_port(self) -> int:
        return self.key.client_port if self.swapped else self.key.server_port

    def _identity(
        self,
        fields: dict[str, str | int],
        frame: int,
        ts: float,
        message: str,
        component: str | None = None,
    ) -> None:
        k = self.key
        ip, mac = (k.client_ip, k.client_mac) if self.swapped else (k.server_ip, k.server_mac)
        self.tally.identity(ip, mac, PROTOCOL, fields, ts, frame, message, component)

    def _anomaly(self, kind: str, from_client: bool, frame: int, ts: float, detail: str) -> None:
        ip = self.key.client_ip if from_client else self.key.server_ip
        self.tally.anomaly(PROTOCOL, kind, ip, ts, frame, detail)

    def on_gap(self, from_client: bool, frame: int, ts: float, missing: int) -> None:
        """Lost bytes: chunks being joined are abandoned, the walker resynchronises."""
        self.assemblers[from_client != self.swapped].reset()

    def on_invalid(self, data: bytes, from_client: bool, frame: int, ts: float) -> None:
        """Bytes that could not be framed (not this protocol, or a chunk cut short)."""
        self._anomaly("unframed_bytes", from_client, frame, ts, f"{len(data)} bytes dropped")

    def on_close(self, ts: float) -> None:
        """Name and hand over the operation counts (on the protocol's client -> server key)
        and the server's security record if this flow added to it."""
        self._report_security()
        key = self.key
        if self.swapped:
            key = FlowKey(
                key.transport,
                key.server_ip,
                key.server_port,
                key.client_ip,
                key.client_port,
                key.server_mac,
                key.client_mac,
                key.vlan,
            )
        for code, entry in self.ops.items():
            if code >= _FAULT:
                name, category = "fault_" + status_name(code & 0xFFFFFFFF), "exception"
            elif code >= _ERROR:
                name, category = "error_" + status_name(code & 0xFFFFFFFF), "exception"
            elif code < 0:
                name, category = _SPECIAL_NAMES[code]
            else:
                name, category = operation_name(code), operation_category(code)
            self.tally.flow_operation(key, PROTOCOL, Transport.TCP, name, category, entry)
        self.ops.clear()

    def on_checkpoint(self, ts: float) -> None:
        """Live capture: hand over the counts so far (the flow goes on)."""
        self.on_close(ts)


def _build_info_fields(info: BuildInfo) -> dict[str, str | int]:
    fields: dict[str, str | int] = {}
    for member, name in BUILD_INFO_FIELDS:
        value = getattr(info, member)
        if value:
            fields[name] = value.strip()
    date = _date(info.build_date)
    if date:
        fields["opcua_build_date"] = date
    return fields


_EPOCH_1601 = datetime(1601, 1, 1, tzinfo=UTC)


def _date(ticks: object) -> str | None:
    """A DateTime (100 ns ticks since 1601) as ``YYYY-MM-DD``; None for the null
    value (0, Part 6 5.2.2.5) or one past year 9999."""
    if not isinstance(ticks, int) or ticks <= 0:
        return None
    try:
        return (_EPOCH_1601 + timedelta(microseconds=ticks // 10)).date().isoformat()
    except OverflowError:
        return None


def _host_of(url: str | None) -> str | None:
    parsed = codec.parse_endpoint_url(url)
    return parsed[0] if parsed else None


def _port_of(url: str | None) -> int | None:
    parsed = codec.parse_endpoint_url(url)
    return parsed[1] if parsed else None
