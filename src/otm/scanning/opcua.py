"""OPC UA identity probe: the discovery services, then BuildInfo when anonymity allows.

One TCP connection to port 4840 (or the port the target names), SecurityPolicy
None throughout (OPC 10000-6 7.1, 6.7; OPC 10000-4 5.5-5.7, 5.11)::

    HEL                         -> <- ACK (or ERR: not OPC UA, or refused)
    OPN issue, policy None      -> <- OPN response: channel id, token id
    GetEndpoints                -> <- every endpoint: application name and URI,
                                      product URI, security modes and policies
    -- only when an endpoint has policy None and an anonymous user token --
    CreateSession               -> <- authentication token
    ActivateSession (anonymous) -> <- good, or a Bad status (then stop here)
    Read i=2256, i=2260 (Value) -> <- ServerStatus and BuildInfo: manufacturer,
                                      product name, software version, build
    CloseSession                -> <- response
    -- always --
    CLO                         -> (no answer), then the socket closes

Part 4 5.5.1 lets any client call the discovery services without security;
the session is the same read-only access an anonymous HMI has.  The probe
never browses, writes, calls methods or subscribes: the builders below
(``read_only`` catalog entries) are the only requests it can send.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass, field, replace
from typing import Any

from otm.observations.records import Identity, Observation
from otm.protocols.common import IDENTIFY, READ, SESSION, Anomaly
from otm.protocols.opcua import (
    decode_build_info,
    decode_chunk,
    decode_sequenced,
    decode_server_status,
    decode_service,
    encode_chunk,
    open_secure_channel,
    secure_message,
    security_policy_name,
)
from otm.protocols.opcua.binary import STRING, encode_value
from otm.protocols.opcua.constants import (
    ANONYMOUS_IDENTITY_TOKEN_ENCODING,
    ATTRIBUTE_VALUE,
    BUILD_INFO,
    CHUNK_FINAL,
    CLO,
    REQUEST_NAMES,
    SECURITY_POLICY_NONE,
    SERVER_STATUS,
    ApplicationType,
    MessageSecurityMode,
    SecurityTokenRequestType,
    ServerState,
    UserTokenType,
    is_bad,
    operation_category,
    operation_name,
    security_mode_name,
)
from otm.protocols.opcua.datatypes import (
    ApplicationDescription,
    BuildInfo,
    ChannelSecurityToken,
    EndpointDescription,
    ExtensionObject,
    LocalizedText,
    NodeId,
    QualifiedName,
    ReadValueId,
    RequestHeader,
    SignatureData,
)
from otm.protocols.opcua.framing import frame_length
from otm.protocols.opcua.messages import (
    Acknowledge,
    ActivateSessionRequest,
    CloseSecureChannelRequest,
    CloseSessionRequest,
    CreateSessionRequest,
    CreateSessionResponse,
    ErrorMessage,
    GenericRequest,
    GetEndpointsRequest,
    GetEndpointsResponse,
    Hello,
    OpenChannelChunk,
    OpenSecureChannelRequest,
    ReadRequest,
    ReadResponse,
    SecureChunk,
    Service,
)
from otm.scanning.limits import Limits
from otm.scanning.probe import (
    PlannedRequest,
    Target,
    TransportKind,
    clean_fields,
    evidence,
    planned,
)
from otm.scanning.safety import classifier, read_only, request
from otm.scanning.transport import Connection, ScanError, Transport

PROTOCOL = "opcua"
PORT = 4840

BUFFER_SIZE = 65536
"""Receive and send buffer offered in the Hello (stacks accept 8192 up to 2^31):
64 KiB holds a GetEndpoints answer with a dozen endpoints and certificates."""

MAX_CHUNKS = 1
"""Hello MaxChunkCount: every answer in one chunk.  The transport hands the probe
one chunk per request, so a server whose answer would not fit says so
(Bad_ResponseTooLarge) instead of sending chunks the probe cannot join."""

MAX_MESSAGE_SIZE = BUFFER_SIZE
"""Hello MaxMessageSize: one chunk's worth."""

TIMEOUT_HINT_MS = 5000
"""Request header TimeoutHint: how long the server may take before it gives up."""

SESSION_TIMEOUT_MS = 30000.0
"""Requested session timeout: the server drops the session by itself 30 s after
the probe goes silent, should the CloseSession never arrive."""

CHANNEL_LIFETIME_MS = 60000
"""Requested secure channel lifetime."""

CLIENT_URI = "urn:otm:scanner"
"""The ApplicationUri the probe gives in CreateSession; server logs show it."""

_NULL = ExtensionObject(NodeId(0, 0))
_NO_TOKEN = NodeId(0, 0)
_NO_SIGNATURE = SignatureData(None, None)


@dataclass(frozen=True, slots=True)
class Channel:
    """What each message on an open channel carries: the ids the server issued,
    the message's sequence number and request id, and the session's
    authentication token (NodeId 0 before a session exists)."""

    channel_id: int = 0
    token_id: int = 0
    sequence: int = 1
    request_id: int = 1
    auth_token: NodeId = _NO_TOKEN


def _header(channel: Channel) -> RequestHeader:
    return RequestHeader(channel.auth_token, 0, channel.request_id, 0, None, TIMEOUT_HINT_MS, _NULL)


def _message(service: Service, channel: Channel) -> bytes:
    return secure_message(
        service,
        secure_channel_id=channel.channel_id,
        token_id=channel.token_id,
        sequence_number=channel.sequence,
        request_id=channel.request_id,
    )


_EXAMPLE = Channel(7, 1, 2, 2, NodeId(0, 12345))
"""A channel as the catalog's examples build requests on."""
_URL = "opc.tcp://10.0.0.5:4840/"


# --- the read-only requests (registered in the scanner's request catalog) -------------


@read_only(PROTOCOL, "hello", SESSION, examples=({"endpoint_url": _URL},))
def build_hello(*, endpoint_url: str) -> bytes:
    """HEL: protocol version 0, 64 KiB buffers, every answer in one chunk."""
    if len(endpoint_url.encode()) > 4096:
        raise ValueError("endpoint URL over 4096 bytes (Part 6 7.1.2.3)")
    hello = Hello(0, BUFFER_SIZE, BUFFER_SIZE, MAX_MESSAGE_SIZE, MAX_CHUNKS, endpoint_url)
    return encode_chunk(hello)


@read_only(PROTOCOL, "open_secure_channel", SESSION, examples=({"channel": Channel()},))
def build_open_secure_channel(*, channel: Channel) -> bytes:
    """OPN issue with SecurityPolicy None and security mode None."""
    request = OpenSecureChannelRequest(
        _header(channel), 0, SecurityTokenRequestType.ISSUE, MessageSecurityMode.NONE, None,
        CHANNEL_LIFETIME_MS,
    )  # fmt: skip
    return open_secure_channel(
        request,
        secure_channel_id=0,
        sequence_number=channel.sequence,
        request_id=channel.request_id,
    )


@read_only(
    PROTOCOL,
    "get_endpoints",
    IDENTIFY,
    examples=({"channel": _EXAMPLE, "endpoint_url": _URL},),
)
def build_get_endpoints(*, channel: Channel, endpoint_url: str) -> bytes:
    """GetEndpoints for every locale and transport profile."""
    return _message(GetEndpointsRequest(_header(channel), endpoint_url, None, None), channel)


@read_only(
    PROTOCOL,
    "create_session",
    SESSION,
    examples=({"channel": _EXAMPLE, "endpoint_url": _URL, "nonce": bytes(32)},),
)
def build_create_session(*, channel: Channel, endpoint_url: str, nonce: bytes) -> bytes:
    """CreateSession as a client application named ``otm scanner``, no certificate."""
    client = ApplicationDescription(
        CLIENT_URI, CLIENT_URI, LocalizedText(None, "otm scanner"), ApplicationType.CLIENT,
        None, None, None,
    )  # fmt: skip
    request = CreateSessionRequest(
        _header(channel), client, None, endpoint_url, "otm scan", nonce, None,
        SESSION_TIMEOUT_MS, MAX_MESSAGE_SIZE,
    )  # fmt: skip
    return _message(request, channel)


@read_only(
    PROTOCOL,
    "activate_session",
    SESSION,
    examples=({"channel": _EXAMPLE, "policy_id": "anonymous"},),
)
def build_activate_session(*, channel: Channel, policy_id: str) -> bytes:
    """ActivateSession with an AnonymousIdentityToken for the server's policy id."""
    token = ExtensionObject(
        NodeId(0, ANONYMOUS_IDENTITY_TOKEN_ENCODING), 1, encode_value(STRING, policy_id)
    )
    request = ActivateSessionRequest(
        _header(channel), _NO_SIGNATURE, None, None, token, _NO_SIGNATURE
    )
    return _message(request, channel)


@read_only(PROTOCOL, "read_server_status", READ, examples=({"channel": _EXAMPLE},))
def build_read_server_status(*, channel: Channel) -> bytes:
    """Read of the Value of Server_ServerStatus (i=2256) and its BuildInfo (i=2260),
    max age 0, no timestamps: nothing but those two well-known variables."""
    nodes = tuple(
        ReadValueId(NodeId(0, node), ATTRIBUTE_VALUE, None, QualifiedName(0, None))
        for node in (SERVER_STATUS, BUILD_INFO)
    )
    return _message(ReadRequest(_header(channel), 0.0, 3, nodes), channel)


@read_only(PROTOCOL, "close_session", SESSION, examples=({"channel": _EXAMPLE},))
def build_close_session(*, channel: Channel) -> bytes:
    """CloseSession, deleting the (never created) subscriptions."""
    return _message(CloseSessionRequest(_header(channel), True), channel)


@read_only(PROTOCOL, "close_secure_channel", SESSION, examples=({"channel": _EXAMPLE},))
def build_close_secure_channel(*, channel: Channel) -> bytes:
    """CLO: the server answers nothing and closes the socket."""
    return secure_message(
        CloseSecureChannelRequest(_header(channel)),
        secure_channel_id=channel.channel_id,
        token_id=channel.token_id,
        sequence_number=channel.sequence,
        request_id=channel.request_id,
        message_type=CLO,
    )


@classifier(PROTOCOL)
def classify(payload: bytes) -> tuple[str, str] | None:
    """(operation, category) of one OPC UA request chunk as otm's codec reads it:
    a Hello is ``hello`` (session); an OPN, MSG or CLO chunk in clear is the
    request service its body carries.  None for anything else (an encrypted
    or partial chunk, a response, several chunks)."""
    if frame_length(payload, 0) != len(payload):
        return None
    chunk = decode_chunk(payload)
    if isinstance(chunk, Hello):
        return "hello", SESSION
    clear_open = isinstance(chunk, OpenChannelChunk) and chunk.clear
    final = isinstance(chunk, SecureChunk) and chunk.chunk_type == CHUNK_FINAL
    if not (clear_open or final) or not isinstance(chunk, OpenChannelChunk | SecureChunk):
        return None
    sequenced = decode_sequenced(chunk.payload)
    if isinstance(sequenced, Anomaly):
        return None
    service = decode_service(sequenced.body)
    if isinstance(service, Anomaly):
        return None
    type_id = (
        service.type_id
        if isinstance(service, GenericRequest)
        else getattr(service, "TYPE_ID", None)
    )
    if not isinstance(type_id, int) or type_id not in REQUEST_NAMES:
        return None
    return operation_name(type_id), operation_category(type_id)


# --- reading the answers ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """A server's answer: the service response, an ERR or abort, or bytes that
    make no sense (``problem``)."""

    service: Service | None = None
    acknowledge: Acknowledge | None = None
    channel: Channel | None = None
    error: ErrorMessage | None = None
    problem: str | None = None


def read_answer(raw: bytes) -> Answer:
    """The answer one whole chunk carries."""
    chunk = decode_chunk(raw)
    if isinstance(chunk, Anomaly):
        return Answer(problem=f"{chunk.kind}: {chunk.detail}")
    if isinstance(chunk, Acknowledge):
        return Answer(acknowledge=chunk)
    if isinstance(chunk, ErrorMessage):
        return Answer(error=chunk)
    if isinstance(chunk, OpenChannelChunk) and not chunk.clear:
        return Answer(problem="secure channel answered with a security policy")
    if not isinstance(chunk, OpenChannelChunk | SecureChunk):
        return Answer(problem=f"unexpected {type(chunk).__name__}")
    if chunk.chunk_type != CHUNK_FINAL:
        return Answer(problem="an abort, or an answer in several chunks")
    sequenced = decode_sequenced(chunk.payload)
    if isinstance(sequenced, Anomaly):
        return Answer(problem=f"{sequenced.kind}: {sequenced.detail}")
    service = decode_service(sequenced.body)
    if isinstance(service, Anomaly):
        return Answer(problem=f"{service.kind}: {service.detail}")
    token = getattr(service, "security_token", None)
    if isinstance(chunk, OpenChannelChunk) and isinstance(token, ChannelSecurityToken):
        return Answer(service, channel=Channel(token.channel_id, token.token_id))
    return Answer(service)


# --- identity ----------------------------------------------------------------------------


def endpoint_fields(endpoints: tuple[EndpointDescription, ...]) -> dict[str, str | int]:
    """Identity fields of a GetEndpoints answer: the server's own description and
    the security it offers (the passive sensor's field names)."""
    fields: dict[str, str | int] = {}
    policies: set[str] = set()
    modes: set[str] = set()
    for endpoint in endpoints:
        server = endpoint.server
        if "name" not in fields and server.application_name.text:
            fields["name"] = server.application_name.text.strip()
        if "opcua_application_uri" not in fields and server.application_uri:
            fields["opcua_application_uri"] = server.application_uri
        if "opcua_product_uri" not in fields and server.product_uri:
            fields["opcua_product_uri"] = server.product_uri
        if "opcua_application_type" not in fields:
            fields["opcua_application_type"] = server.application_type_name
        if endpoint.security_policy_uri:
            policies.add(security_policy_name(endpoint.security_policy_uri))
        modes.add(security_mode_name(endpoint.security_mode))
    if policies:
        fields["opcua_security_policies"] = ",".join(sorted(policies))
    if modes:
        fields["opcua_security_modes"] = ",".join(sorted(modes))
    if any(_open(e) for e in endpoints):
        fields["opcua_security_mode_none"] = "offered"
    return fields


def _open(endpoint: EndpointDescription) -> bool:
    return (
        endpoint.security_policy_uri == SECURITY_POLICY_NONE
        and endpoint.security_mode == MessageSecurityMode.NONE
    )


def anonymous_policy(endpoints: tuple[EndpointDescription, ...]) -> str | None:
    """The policy id of an anonymous user token on an endpoint with policy None,
    None when no endpoint lets an anonymous client in without security."""
    for endpoint in endpoints:
        if not _open(endpoint):
            continue
        for token in endpoint.user_identity_tokens or ():
            policy = token.security_policy_uri
            if token.token_type == UserTokenType.ANONYMOUS and policy in (
                None,
                "",
                SECURITY_POLICY_NONE,
            ):
                return token.policy_id or ""
    return None


BUILD_INFO_FIELDS = (
    ("manufacturer_name", "vendor"),
    ("product_name", "model"),
    ("software_version", "firmware"),
    ("build_number", "opcua_build_number"),
    ("product_uri", "opcua_product_uri"),
)
"""BuildInfo member -> otm identity field (as the passive sensor names them)."""

_TICKS_PER_SECOND = 10_000_000
_EPOCH_OFFSET = 11_644_473_600
"""Seconds from 1601-01-01 (OPC UA DateTime) to 1970-01-01 (Unix)."""


def _build_date(ticks: int) -> str | None:
    """A DateTime as an ISO date (YYYY-MM-DD), None when unset or absurd."""
    if ticks <= 0:
        return None
    seconds = ticks // _TICKS_PER_SECOND - _EPOCH_OFFSET
    if not 0 < seconds < 253_402_300_800:  # before 10000-01-01
        return None
    days = seconds // 86400
    # Civil date from days since 1970-01-01 (H. Hinnant's algorithm), no clock import.
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (1 if month <= 2 else 0)
    return f"{year:04d}-{month:02d}-{day:02d}"


def build_info_fields(info: BuildInfo) -> dict[str, str | int]:
    """Identity fields of a BuildInfo."""
    fields: dict[str, str | int] = {}
    for member, name in BUILD_INFO_FIELDS:
        value = getattr(info, member)
        if value and value.strip():
            fields[name] = value.strip()
    date = _build_date(info.build_date)
    if date:
        fields["opcua_build_date"] = date
    return fields


def status_fields(results: tuple[object, ...]) -> dict[str, str | int]:
    """Identity fields of the Read answer's DataValues (ServerStatus, BuildInfo)."""
    fields: dict[str, str | int] = {}
    for result in results:
        variant = getattr(result, "value", None)
        status = getattr(result, "status", None)
        if variant is None or (isinstance(status, int) and is_bad(status)):
            continue
        payload = getattr(variant, "value", None)
        if not isinstance(payload, ExtensionObject):
            continue
        server_status = decode_server_status(payload)
        if not isinstance(server_status, Anomaly):
            fields.update(build_info_fields(server_status.build_info))
            fields["opcua_server_state"] = _state_name(server_status.state)
            continue
        info = decode_build_info(payload)
        if not isinstance(info, Anomaly):
            fields.update(build_info_fields(info))
    return fields


def _state_name(state: int) -> str:
    try:
        return ServerState(state).name.lower()
    except ValueError:
        return f"state_{state}"


# --- the probe ---------------------------------------------------------------------------


class _StopError(Exception):
    """The server said no (ERR, a Bad service result, a fault): end the exchange."""


@dataclass
class _Session:
    """One connection's state: the channel's ids and counters, what was learnt."""

    conn: Connection
    target: Target
    url: str
    limits: Limits
    channel: Channel = Channel()
    learnt: list[tuple[dict[str, str | int], str]] = field(default_factory=list)

    def next(self, **changes: Any) -> Channel:
        """The channel for the next message: sequence number and request id + 1."""
        self.channel = replace(
            self.channel,
            sequence=self.channel.sequence + 1,
            request_id=self.channel.request_id + 1,
            **changes,
        )
        return self.channel

    async def ask(self, name: str, **params: Any) -> Answer:
        """Send catalog request ``name`` (on the current channel) and read the answer."""
        chunk = await self.conn.exchange(
            request(PROTOCOL, name, **params), frame_length, self.limits.timeout
        )
        answer = read_answer(chunk)
        if answer.error is not None:
            raise _StopError(f"error {answer.error.error_name}: {answer.error.reason or ''}")
        if answer.problem is not None:
            raise _StopError(answer.problem)
        return answer


@dataclass
class OpcUaProbe:
    """HEL, OPN, GetEndpoints; an anonymous session reading BuildInfo when allowed."""

    protocol: str = PROTOCOL
    port: int = PORT
    transport: TransportKind = "tcp"
    broadcast: bool = False
    session: bool = True
    """Open an anonymous session to read BuildInfo when an endpoint allows it."""

    def _url(self, target: Target) -> str:
        host = f"[{target.address}]" if ":" in target.address else target.address
        return f"opc.tcp://{host}:{self.port}/"

    def plan(self, target: Target) -> list[PlannedRequest]:
        """The exchange in order; the session part only happens when allowed."""
        if target.kind != "host":
            return []
        url = self._url(target)
        first = Channel()
        channel = Channel(1, 1, 2, 2)
        out = planned(PROTOCOL, target, self.port, "tcp", [
            request(PROTOCOL, "hello", endpoint_url=url),
            request(PROTOCOL, "open_secure_channel", channel=first),
            request(PROTOCOL, "get_endpoints", channel=channel, endpoint_url=url),
        ], "channel and token ids as the server issues them")  # fmt: skip
        if self.session:
            token = NodeId(1, 1)
            out += planned(PROTOCOL, target, self.port, "tcp", [
                request(PROTOCOL, "create_session", channel=channel, endpoint_url=url,
                        nonce=bytes(32)),
                request(PROTOCOL, "activate_session", channel=replace(channel, auth_token=token),
                        policy_id="anonymous"),
                request(PROTOCOL, "read_server_status",
                        channel=replace(channel, auth_token=token)),
                request(PROTOCOL, "close_session", channel=replace(channel, auth_token=token)),
            ], "only when an endpoint with policy None accepts anonymous users")  # fmt: skip
        out += planned(PROTOCOL, target, self.port, "tcp", [
            request(PROTOCOL, "close_secure_channel", channel=channel),
        ])  # fmt: skip
        return out

    async def run(self, target: Target, io: Transport, limits: Limits) -> list[Observation]:
        """Ask; a port that does not speak OPC UA gives []."""
        if target.kind != "host":
            return []
        try:
            conn = await io.connect(target.address, self.port, limits.timeout)
        except ScanError:
            return []
        session = _Session(conn, target, self._url(target), limits)
        try:
            await self._converse(session)
        except (ScanError, _StopError):
            pass
        finally:
            await conn.close()
        mac = io.neighbour(target.address)
        now = limits.now()
        return [
            Identity(now, target.address, mac, PROTOCOL, clean_fields(fields),
                     evidence(target, message))
            for fields, message in session.learnt
            if clean_fields(fields)
        ]  # fmt: skip

    async def _converse(self, s: _Session) -> None:
        answer = await s.ask("hello", endpoint_url=s.url)
        if answer.acknowledge is None:
            return
        answer = await s.ask("open_secure_channel", channel=s.channel)
        if answer.channel is None:
            return
        s.next(channel_id=answer.channel.channel_id, token_id=answer.channel.token_id)
        try:
            answer = await s.ask("get_endpoints", channel=s.channel, endpoint_url=s.url)
            if not isinstance(answer.service, GetEndpointsResponse):
                return
            endpoints = answer.service.endpoints or ()
            s.learnt.append((endpoint_fields(endpoints), "opcua get_endpoints response"))
            policy = anonymous_policy(endpoints)
            if self.session and policy is not None:
                await self._session(s, policy)
        finally:
            s.next()
            with contextlib.suppress(ScanError):  # the server answers a CLO by closing
                await s.conn.send(request(PROTOCOL, "close_secure_channel", channel=s.channel))

    async def _session(self, s: _Session, policy: str) -> None:
        answer = await s.ask(
            "create_session", channel=s.next(), endpoint_url=s.url, nonce=secrets.token_bytes(32)
        )
        created = answer.service
        if not isinstance(created, CreateSessionResponse) or _bad(created):
            return
        try:
            answer = await s.ask(
                "activate_session", channel=s.next(auth_token=created.authentication_token),
                policy_id=policy,
            )  # fmt: skip
            if answer.service is None or _bad(answer.service):
                s.learnt.append(({"opcua_anonymous_access": "refused"}, "opcua activate_session"))
                return
            s.learnt.append(({"opcua_anonymous_access": "allowed"}, "opcua activate_session"))
            answer = await s.ask("read_server_status", channel=s.next())
            if isinstance(answer.service, ReadResponse) and not _bad(answer.service):
                fields = status_fields(tuple(answer.service.results or ()))
                if "opcua_product_uri" in fields:  # BuildInfo's names the product, not the stack
                    for known, _ in s.learnt:
                        known.pop("opcua_product_uri", None)
                s.learnt.append((fields, "opcua read response (server status)"))
        finally:
            with contextlib.suppress(ScanError, _StopError):
                await s.ask("close_session", channel=s.next())


def _bad(service: Service) -> bool:
    header = getattr(service, "response_header", None)
    return header is None or is_bad(header.service_result)
