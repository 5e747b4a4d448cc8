"""The OPC UA probe: discovery, then BuildInfo through an anonymous session only when allowed.

Unit tests run the probe against a scripted server made with otm's encoders;
the live tests run it in a namespaced plant against asyncua servers (slow,
root): one that lets anonymous users in, one that does not.
"""

from __future__ import annotations

import asyncio
import datetime
from dataclasses import dataclass, field

import pytest
from scan_fake_io import FakeIo
from scan_netns_support import HERE, PY, devices, identity, opcua_device, run_probe, start

from live.plant_netns import namespaces_available, plant
from otm.observations.records import Identity, Observation
from otm.protocols.common import Anomaly
from otm.protocols.opcua import (
    decode_chunk,
    decode_sequenced,
    decode_service,
    encode_chunk,
    open_secure_channel,
    secure_message,
    wrap_build_info,
    wrap_server_status,
)
from otm.protocols.opcua.constants import SECURITY_POLICY_NONE
from otm.protocols.opcua.datatypes import (
    ApplicationDescription,
    BuildInfo,
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
    ServerStatus,
    SignatureData,
    UserTokenPolicy,
    Variant,
)
from otm.protocols.opcua.messages import (
    Acknowledge,
    ActivateSessionRequest,
    CloseSessionRequest,
    CreateSessionRequest,
    CreateSessionResponse,
    ErrorMessage,
    GenericRequest,
    GenericResponse,
    GetEndpointsResponse,
    Hello,
    OpenChannelChunk,
    OpenSecureChannelRequest,
    OpenSecureChannelResponse,
    ReadRequest,
    ReadResponse,
    SecureChunk,
)
from otm.scanning.limits import Limits, VirtualClock
from otm.scanning.opcua import OpcUaProbe, build_info_fields, classify
from otm.scanning.probe import Target
from otm.scanning.safety import Request, UnsafeRequest, build, catalog, verify
from otm.scanning.transport import BadAnswerError

NONE = SECURITY_POLICY_NONE
BASIC256 = "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256"
NULL = ExtensionObject(NodeId(0, 0))
TICKS_2026_01_15 = int(
    (datetime.datetime(2026, 1, 15, tzinfo=datetime.UTC).timestamp() + 11644473600) * 1e7
)
INFO = BuildInfo("urn:acme:opcua:server", "Acme Automation", "Acme OPC Gateway", "4.2.1",
                 "4211", TICKS_2026_01_15)  # fmt: skip


def _response_header(handle: int, result: int = 0) -> ResponseHeader:
    return ResponseHeader(0, handle, result, DiagnosticInfo(), None, NULL)


def _server(application_type: int = 0) -> ApplicationDescription:
    return ApplicationDescription(
        "urn:acme:line3:opcua", "urn:acme:product", LocalizedText(None, "Acme Line 3"),
        application_type, None, None, ("opc.tcp://10.0.0.5:4840/",),
    )  # fmt: skip


def _endpoint(policy: str, mode: int, tokens: tuple[UserTokenPolicy, ...]) -> EndpointDescription:
    return EndpointDescription(
        "opc.tcp://10.0.0.5:4840/", _server(), None, mode, policy, tokens,
        "http://opcfoundation.org/UA-Profile/Transport/uatcp-uasc-uabinary", 0,
    )  # fmt: skip


ANONYMOUS = UserTokenPolicy("anon-policy", 0, None, None, None)
USERNAME = UserTokenPolicy("user-policy", 1, None, None, BASIC256)
OPEN_ENDPOINTS = (_endpoint(NONE, 1, (ANONYMOUS, USERNAME)), _endpoint(BASIC256, 3, (USERNAME,)))
LOCKED_ENDPOINTS = (_endpoint(NONE, 1, (USERNAME,)), _endpoint(BASIC256, 3, (ANONYMOUS,)))


@dataclass
class FakeServer:
    """A scripted OPC UA server: answers each request chunk like a real stack would."""

    endpoints: tuple[EndpointDescription, ...] = OPEN_ENDPOINTS
    hello_error: int | None = None
    activate_result: int = 0
    channel_id: int = 77
    token_id: int = 5
    seen: list[object] = field(default_factory=list)
    chunks: list[SecureChunk] = field(default_factory=list)
    sequence: int = 100

    def _msg(self, service: object, request_id: int) -> bytes:
        self.sequence += 1
        return secure_message(
            service, secure_channel_id=self.channel_id, token_id=self.token_id,  # type: ignore[arg-type]
            sequence_number=self.sequence, request_id=request_id,
        )  # fmt: skip

    def __call__(self, host: str, port: int, request: Request) -> bytes:
        chunk = decode_chunk(request.payload)
        assert not isinstance(chunk, Anomaly)
        if isinstance(chunk, Hello):
            self.seen.append(chunk)
            if self.hello_error is not None:
                return encode_chunk(ErrorMessage(self.hello_error, "go away"))
            return encode_chunk(Acknowledge(0, 65536, 65536, 0, 0))
        assert isinstance(chunk, OpenChannelChunk | SecureChunk)
        if isinstance(chunk, SecureChunk):
            self.chunks.append(chunk)
        sequenced = decode_sequenced(chunk.payload)
        assert not isinstance(sequenced, Anomaly)
        service = decode_service(sequenced.body)
        assert not isinstance(service, Anomaly)
        self.seen.append(service)
        rid = sequenced.request_id
        handle = getattr(service, "request_header", None)
        h = handle.request_handle if isinstance(handle, RequestHeader) else 0
        if isinstance(service, OpenSecureChannelRequest):
            token = ChannelSecurityToken(self.channel_id, self.token_id, 0, 600000)
            response = OpenSecureChannelResponse(_response_header(h), 0, token, None)
            return open_secure_channel(
                response, secure_channel_id=self.channel_id, sequence_number=1, request_id=rid
            )
        name = type(service).__name__
        if name == "GetEndpointsRequest":
            return self._msg(GetEndpointsResponse(_response_header(h), self.endpoints), rid)
        if isinstance(service, CreateSessionRequest):
            created = CreateSessionResponse(
                _response_header(h), NodeId(1, 9001), NodeId(1, "secret-token"), 30000.0, None,
                None, self.endpoints, None, SignatureData(None, None), 0,
            )  # fmt: skip
            return self._msg(created, rid)
        if isinstance(service, ActivateSessionRequest):
            data = b"\xff\xff\xff\xff" * 3
            return self._msg(GenericResponse(470, _response_header(h, self.activate_result), data),
                             rid)  # fmt: skip
        if isinstance(service, ReadRequest):
            status = ServerStatus(0, 0, 0, INFO, 0, LocalizedText())
            results = (
                DataValue(Variant(22, wrap_server_status(status))),
                DataValue(Variant(22, wrap_build_info(INFO))),
            )
            return self._msg(ReadResponse(_response_header(h), results, None), rid)
        if isinstance(service, CloseSessionRequest):
            return self._msg(GenericResponse(476, _response_header(h), b""), rid)
        raise AssertionError(f"unexpected request {service}")


def _run(server: FakeServer) -> tuple[list[Observation], FakeIo]:
    io = FakeIo(exchange_fn=server, macs={"10.0.0.5": "02:00:00:00:00:14"})
    limits = Limits(clock=VirtualClock())
    return asyncio.run(OpcUaProbe().run(Target("10.0.0.5", ref="scan-2"), io, limits)), io


# --- the catalog -------------------------------------------------------------------------------


def test_every_opcua_entry_reads_back_as_its_own_service() -> None:
    expected = {
        "hello": ("hello", "session"),
        "open_secure_channel": ("open_secure_channel", "session"),
        "get_endpoints": ("get_endpoints", "identify"),
        "create_session": ("create_session", "session"),
        "activate_session": ("activate_session", "session"),
        "read_server_status": ("read", "read"),
        "close_session": ("close_session", "session"),
        "close_secure_channel": ("close_secure_channel", "session"),
    }
    entries = {e.name: e for e in catalog() if e.protocol == "opcua"}
    assert set(entries) == set(expected)
    for name, entry in entries.items():
        for example in entry.examples:
            assert verify("opcua", build("opcua", name, **example)) == expected[name]


def test_the_read_asks_for_server_status_and_build_info_only() -> None:
    (entry,) = [e for e in catalog() if e.name == "read_server_status"]
    chunk = decode_chunk(build("opcua", "read_server_status", **entry.examples[0]))
    assert isinstance(chunk, SecureChunk)
    sequenced = decode_sequenced(chunk.payload)
    assert not isinstance(sequenced, Anomaly)
    read = decode_service(sequenced.body)
    assert isinstance(read, ReadRequest) and read.nodes_to_read is not None
    assert [(n.node_id, n.attribute_id) for n in read.nodes_to_read] == [
        (NodeId(0, 2256), 13), (NodeId(0, 2260), 13)
    ]  # fmt: skip


def _generic(type_id: int) -> bytes:
    header = RequestHeader(NodeId(0, 0), 0, 1, 0, None, 0, NULL)
    return secure_message(
        GenericRequest(type_id, header, b"\x00" * 8), secure_channel_id=1, token_id=1,
        sequence_number=2, request_id=2,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("type_id", "name"),
    [
        (673, "write"),
        (712, "call"),
        (488, "add_nodes"),
        (500, "delete_nodes"),
        (700, "history_update"),
    ],
)
def test_writes_calls_and_node_changes_are_refused(type_id: int, name: str) -> None:
    assert classify(_generic(type_id))[0] == name  # type: ignore[index]
    with pytest.raises(UnsafeRequest):
        verify("opcua", _generic(type_id))


def test_responses_and_fragments_are_not_requests() -> None:
    reply = secure_message(
        GetEndpointsResponse(_response_header(1), ()), secure_channel_id=1, token_id=1,
        sequence_number=2, request_id=2,
    )  # fmt: skip
    for payload in (reply, encode_chunk(Acknowledge(0, 8192, 8192, 0, 0)), _generic(527)[:-1]):
        assert classify(payload) is None
    read = ReadRequest(
        RequestHeader(NodeId(0, 0), 0, 1, 0, None, 0, NULL), 0.0, 3,
        (ReadValueId(NodeId(0, 2256), 13, None, QualifiedName(0, None)),),
    )  # fmt: skip
    whole = decode_chunk(
        secure_message(read, secure_channel_id=1, token_id=1, sequence_number=2, request_id=2)
    )
    assert isinstance(whole, SecureChunk)
    intermediate = encode_chunk(SecureChunk(b"MSG", ord("C"), 1, 1, whole.payload))
    assert classify(intermediate) is None


def test_build_date_is_the_calendar_date() -> None:
    assert build_info_fields(INFO)["opcua_build_date"] == "2026-01-15"
    assert "opcua_build_date" not in build_info_fields(BuildInfo(None, None, None, None, None, 0))


# --- the probe on a scripted server -------------------------------------------------------


def test_open_server_gives_endpoints_then_build_info() -> None:
    server = FakeServer()
    out, io = _run(server)
    assert [s.operation for s in io.sent] == [
        "hello", "open_secure_channel", "get_endpoints", "create_session", "activate_session",
        "read", "close_session", "close_secure_channel",
    ]  # fmt: skip
    assert io.closed == 1
    fields = identity(out)
    assert fields["name"] == "Acme Line 3"
    assert fields["opcua_application_uri"] == "urn:acme:line3:opcua"
    assert fields["opcua_security_policies"] == "Basic256Sha256,None"
    assert fields["opcua_security_modes"] == "None,SignAndEncrypt"
    assert fields["opcua_security_mode_none"] == "offered"
    assert fields["opcua_anonymous_access"] == "allowed"
    assert (fields["vendor"], fields["model"], fields["firmware"]) == (
        "Acme Automation", "Acme OPC Gateway", "4.2.1"
    )  # fmt: skip
    assert fields["opcua_build_number"] == "4211"
    assert fields["opcua_product_uri"] == "urn:acme:opcua:server"
    assert fields["opcua_server_state"] == "running"
    assert {o.mac for o in out if isinstance(o, Identity)} == {"02:00:00:00:00:14"}
    assert {o.evidence.ref for o in out} == {"scan-2"}


def test_messages_carry_the_servers_channel_and_the_session_token() -> None:
    server = FakeServer()
    _run(server)
    assert {(c.secure_channel_id, c.token_id) for c in server.chunks} == {(77, 5)}
    sequences = [decode_sequenced(c.payload) for c in server.chunks]
    numbers = [s.sequence_number for s in sequences if not isinstance(s, Anomaly)]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    activate = next(s for s in server.seen if isinstance(s, ActivateSessionRequest))
    assert activate.request_header.authentication_token == NodeId(1, "secret-token")
    assert activate.user_identity_token.type_id == NodeId(0, 321)
    assert activate.user_identity_token.body == b"\x0b\x00\x00\x00anon-policy"
    read = next(s for s in server.seen if isinstance(s, ReadRequest))
    assert read.request_header.authentication_token == NodeId(1, "secret-token")


def test_no_anonymous_endpoint_without_security_means_no_session() -> None:
    server = FakeServer(endpoints=LOCKED_ENDPOINTS)
    out, io = _run(server)
    assert [s.operation for s in io.sent] == [
        "hello", "open_secure_channel", "get_endpoints", "close_secure_channel"
    ]  # fmt: skip
    fields = identity(out)
    assert fields["name"] == "Acme Line 3" and "vendor" not in fields
    assert "opcua_anonymous_access" not in fields


def test_refused_activation_is_reported_and_the_session_closed() -> None:
    out, io = _run(FakeServer(activate_result=0x80210000))
    assert [s.operation for s in io.sent][-3:] == [
        "activate_session", "close_session", "close_secure_channel"
    ]  # fmt: skip
    fields = identity(out)
    assert fields["opcua_anonymous_access"] == "refused" and "vendor" not in fields


def test_hello_refused_with_err_learns_nothing() -> None:
    out, io = _run(FakeServer(hello_error=0x80BE0000))
    assert out == [] and [s.operation for s in io.sent] == ["hello"] and io.closed == 1


def test_not_opcua_learns_nothing() -> None:
    def garbage(host: str, port: int, request: Request) -> bytes:
        raise BadAnswerError("not a PDU of the protocol")

    io = FakeIo(exchange_fn=garbage)
    limits = Limits(clock=VirtualClock())
    assert asyncio.run(OpcUaProbe().run(Target("10.0.0.5"), io, limits)) == []
    assert io.closed == 1


def test_closed_port_learns_nothing() -> None:
    limits = Limits(clock=VirtualClock())
    assert asyncio.run(OpcUaProbe().run(Target("10.0.0.5"), FakeIo(), limits)) == []


def test_plan_is_catalog_requests_only() -> None:
    plan = OpcUaProbe().plan(Target("10.0.0.5"))
    assert [verify("opcua", r.request.payload)[0] for r in plan] == [
        "hello", "open_secure_channel", "get_endpoints", "create_session", "activate_session",
        "read", "close_session", "close_secure_channel",
    ]  # fmt: skip
    assert {(r.port, r.transport) for r in plan} == {(4840, "tcp")}
    assert OpcUaProbe().plan(Target("10.0.0.255", "broadcast")) == []


# --- live, against asyncua in a namespaced plant -----------------------------------------

live = pytest.mark.skipif(namespaces_available() is not None, reason=str(namespaces_available()))


@pytest.mark.slow
@live
def test_live_asyncua_servers_open_and_locked() -> None:
    macs = {
        "ua": "02:00:00:00:00:14",
        "locked": "02:00:00:00:00:15",
        "scanner": "02:00:00:00:00:20",
    }
    with plant(macs) as p, devices() as procs:
        opcua_device(procs, p, "ua")
        locked = [PY, str(HERE / "scan_opcua_locked_device.py"), p.ip("locked"), "4840"]
        start(procs, p, "locked", locked, what="asyncua (locked)")
        spec = {
            "protocol": "opcua",
            "allow": ["10.77.0.0/24"],
            "targets": [[p.ip("ua"), "host"], [p.ip("locked"), "host"], [p.ip("scanner"), "host"]],
        }
        out, stats = run_probe(p, "scanner", spec)
    ua = identity(out, ip=p.ip("ua"))
    assert (ua["vendor"], ua["model"], ua["firmware"]) == (
        "Acme Automation", "Acme OPC Gateway", "4.2.1"
    )  # fmt: skip
    assert ua["opcua_build_number"] == "4211" and ua["opcua_build_date"] == "2026-01-15"
    assert ua["name"] == "Acme Line 3 OPC UA Server"
    assert ua["opcua_application_uri"] == "urn:acme:line3:opcua"
    assert ua["opcua_anonymous_access"] == "allowed"
    assert ua["opcua_security_policies"] == "None"
    locked_fields = identity(out, ip=p.ip("locked"))
    assert locked_fields["name"] == "Locked Line 5 Server"
    assert "vendor" not in locked_fields and "opcua_anonymous_access" not in locked_fields
    assert identity(out, ip=p.ip("scanner")) == {}  # nothing listens there
    assert stats["refused"] == 0 and stats["unreachable"] >= 1
