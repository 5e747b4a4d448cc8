"""The OPC UA sensor on conversations written by our encoders (what no shared capture has).

Each test walks frames through the passive engine with the OPC UA sensor
alone (``sensor_support``) and reads the inventory or the observations:
identity from a Read of the Server object's ServerStatus and BuildInfo,
security facts, roles on a reverse connection, encrypted channels, chunked
messages, errors and faults, and bytes on port 4840 that are not OPC UA.
"""

from __future__ import annotations

from collections.abc import Iterable

from opcua_synthetic import (
    SERVER_DESCRIPTION,
    TcpConversation,
    chunked_and_aborted,
    endpoints,
    numbered,
    read_request,
    request_header,
    response_header,
    session_frames,
)

import sensor_support
from otm.inventory.builder import build_inventory
from otm.observations.records import Identity, Observation, Operation, ParseAnomaly
from otm.protocols.opcua import messages as m
from otm.protocols.opcua.codec import (
    encode_chunk,
    encode_sequenced,
    encode_service,
    open_secure_channel,
    secure_message,
)
from otm.protocols.opcua.constants import BUILD_INFO_PRODUCT_NAME, SERVER_STATUS
from otm.protocols.opcua.datatypes import (
    ApplicationDescription,
    ChannelSecurityToken,
    LocalizedText,
    NodeId,
    QualifiedName,
    ReadValueId,
)
from otm.sensing.opcua import OpcUaSensor
from sensor_support import Frame, all_values, assets_at

CLIENT, SERVER = ("10.0.0.1", 50000), ("10.0.0.2", 4840)


def sense(frames: Iterable[Frame], ports: tuple[int, ...] = (4840,)) -> list[Observation]:
    """The observations of ``frames`` with the OPC UA sensor alone, on ``ports``."""
    return sensor_support.sense([OpcUaSensor(ports)], frames)


def _ops(observations: list[Observation]) -> dict[str, tuple[int, str, str | None]]:
    return {
        o.name: (o.count, o.category, o.client_ip)
        for o in observations
        if isinstance(o, Operation) and o.protocol == "opcua"
    }


def _anomalies(observations: list[Observation]) -> list[ParseAnomaly]:
    return [o for o in observations if isinstance(o, ParseAnomaly)]


def _opened(c: TcpConversation, channel: int = 7) -> list[bytes]:
    """HEL, ACK and a None-policy OPN exchange."""
    frames = c.open()
    frames += c.send(True, encode_chunk(m.Hello(0, 65536, 65536, 0, 0, "opc.tcp://plc3:4840")))
    frames += c.send(False, encode_chunk(m.Acknowledge(0, 65536, 65536, 0, 0)))
    opn = m.OpenSecureChannelRequest(request_header(1), 0, 0, 1, None, 600000)
    frames += c.send(
        True, open_secure_channel(opn, secure_channel_id=0, sequence_number=1, request_id=1)
    )
    token = ChannelSecurityToken(channel, 1, 0, 600000)
    opened = m.OpenSecureChannelResponse(response_header(1), 0, token, None)
    return frames + c.send(
        False,
        open_secure_channel(opened, secure_channel_id=channel, sequence_number=1, request_id=1),
    )


def _msg(service: m.Service, seq: int, channel: int = 7) -> bytes:
    return secure_message(
        service, secure_channel_id=channel, token_id=1, sequence_number=seq, request_id=seq
    )


def test_a_status_read_teaches_the_product_and_the_endpoints_its_security() -> None:
    observations = sense(numbered(session_frames(TcpConversation(CLIENT, SERVER))))
    assert not _anomalies(observations)
    (server,) = assets_at(build_inventory(observations), "10.0.0.2")
    expected = {
        "vendor": "Example Automation",
        "model": "ExampleServer",
        "firmware": "4.2.1",
        "opcua_build_number": "1234",
        "opcua_build_date": "2022-06-18",
        "opcua_product_uri": "urn:example:product",
        "opcua_application_uri": "urn:example:plant:server",
        "name": "Line 3 OPC UA Server",
        "opcua_application_type": "server",
        "opcua_security_policies": "Basic256Sha256,None",
        "opcua_security_modes": "None,SignAndEncrypt",
    }
    for name, value in expected.items():
        assert all_values(server, name) == {value}, name
    assert all_values(server, "opcua_security_mode_none") == {"offered", "used"}
    assert {(s.name, s.role, s.port) for s in server.services} == {("opcua", "server", 4840)}
    ops = _ops(observations)
    assert ops == {
        "hello": (1, "session", "10.0.0.1"),
        "open_secure_channel": (1, "session", "10.0.0.1"),
        "get_endpoints": (1, "identify", "10.0.0.1"),
        "create_session": (1, "session", "10.0.0.1"),
        "read": (1, "read", "10.0.0.1"),
        "close_secure_channel": (1, "session", "10.0.0.1"),
    }


def test_identity_comes_only_from_the_server() -> None:
    observations = sense(numbered(session_frames(TcpConversation(CLIENT, SERVER))))
    ips = {o.ip for o in observations if isinstance(o, Identity)}
    assert ips == {"10.0.0.2"}


def test_chunks_split_over_many_tcp_segments_give_the_same_facts() -> None:
    whole = sense(numbered(session_frames(TcpConversation(CLIENT, SERVER))))
    split = sense(numbered(session_frames(TcpConversation(CLIENT, SERVER), segment=37)))

    def facts(obs: list[Observation]) -> set[tuple[str, object]]:
        return {(k, v) for o in obs if isinstance(o, Identity) for k, v in o.fields.items()}

    assert facts(split) == facts(whole)
    assert _ops(split) == _ops(whole)


def test_an_encrypted_channel_is_counted_and_its_policy_kept_without_anomalies() -> None:
    observations = sense(numbered(session_frames(TcpConversation(CLIENT, SERVER), secured=True)))
    assert not _anomalies(observations)
    ops = _ops(observations)
    assert ops["encrypted"] == (2, "other", "10.0.0.1")
    assert ops["open_secure_channel"][0] == 1
    (server,) = assets_at(build_inventory(observations), "10.0.0.2")
    assert all_values(server, "opcua_security_policies") == {"Basic256Sha256"}
    assert not all_values(server, "opcua_security_mode_none")


def test_reverse_connect_makes_the_socket_opener_the_server() -> None:
    # The server opens the socket to the client's port 4840 and sends ReverseHello.
    c = TcpConversation(("10.0.0.2", 50003), ("10.0.0.5", 4840))
    frames = c.open()
    frames += c.send(True, encode_chunk(m.ReverseHello("urn:example:plant:server", None)))
    frames += c.send(False, encode_chunk(m.Hello(0, 65536, 65536, 0, 0, "opc.tcp://plc3")))
    frames += c.send(True, encode_chunk(m.Acknowledge(0, 65536, 65536, 0, 0)))
    frames += c.close()
    observations = sense(numbered(frames))
    inv = build_inventory(observations)
    (server,) = assets_at(inv, "10.0.0.2")
    (client,) = assets_at(inv, "10.0.0.5")
    assert {s.role for s in server.services} == {"server"}
    assert {s.role for s in client.services} == {"client"}
    ops = _ops(observations)
    assert ops["hello"] == (1, "session", "10.0.0.5")
    assert ops["reverse_hello"] == (1, "session", "10.0.0.5")


def test_an_error_message_counts_as_an_exception() -> None:
    c = TcpConversation(CLIENT, SERVER)
    frames = c.open()
    frames += c.send(True, encode_chunk(m.Hello(0, 1024, 1024, 0, 0, "opc.tcp://x")))
    frames += c.send(False, encode_chunk(m.ErrorMessage(0x80BE0000, "version")))
    observations = sense(numbered(frames + c.close()))
    ops = _ops(observations)
    assert ops["error_bad_protocol_version_unsupported"] == (1, "exception", "10.0.0.1")


def test_a_service_fault_counts_as_an_exception() -> None:
    c = TcpConversation(CLIENT, SERVER)
    frames = _opened(c)
    frames += c.send(True, _msg(m.GenericRequest(673, request_header(2), b"\x00" * 12), 2))
    frames += c.send(False, _msg(m.ServiceFault(response_header(2, 0x801F0000)), 2))
    observations = sense(numbered(frames + c.close()))
    ops = _ops(observations)
    assert ops["write"] == (1, "write", "10.0.0.1")
    assert ops["fault_bad_user_access_denied"] == (1, "exception", "10.0.0.1")
    (server,) = assets_at(build_inventory(observations), "10.0.0.2")
    assert not all_values(server, "opcua_security_mode_none")  # a fault is no service given


def test_a_chunked_response_is_joined_and_an_aborted_one_dropped() -> None:
    c = TcpConversation(CLIENT, SERVER)
    frames = _opened(c)
    frames += c.send(True, _msg(m.GetEndpointsRequest(request_header(2), None, None, None), 2))
    frames += chunked_and_aborted(c, 7)
    observations = sense(numbered(frames + c.close()))
    assert not _anomalies(observations)
    (server,) = assets_at(build_inventory(observations), "10.0.0.2")
    assert all_values(server, "opcua_application_uri") == {"urn:example:plant:server"}
    assert _ops(observations)["get_endpoints"][0] == 1


def test_a_discovery_server_speaks_for_its_own_host_only() -> None:
    def description(uri: str, url: str, kind: int) -> ApplicationDescription:
        return ApplicationDescription(uri, "p", LocalizedText(None, uri), kind, None, None, (url,))

    servers = (
        description("urn:lds", "opc.tcp://gw1:4840", 3),
        description("urn:local", "opc.tcp://gw1:48010", 0),
        description("urn:loopback", "opc.tcp://localhost:48011", 0),
        description("urn:remote", "opc.tcp://plc9:4840", 0),
    )
    c = TcpConversation(CLIENT, SERVER)
    frames = _opened(c)
    frames += c.send(True, _msg(m.FindServersRequest(request_header(2), None, None, None), 2))
    frames += c.send(False, _msg(m.FindServersResponse(response_header(2), servers), 2))
    for empty in (None, ()):  # nothing to learn, nothing to break
        frames += c.send(True, _msg(m.FindServersRequest(request_header(3), None, None, None), 3))
        frames += c.send(False, _msg(m.FindServersResponse(response_header(3), empty), 3))
    (lds,) = assets_at(build_inventory(sense(numbered(frames + c.close()))), "10.0.0.2")
    assert {v.value for v in lds.fields["opcua_application_uri"]} == {"urn:lds"}
    assert set(lds.components) == {"urn:local", "urn:loopback"}
    assert "urn:remote" not in all_values(lds, "opcua_application_uri")


def test_only_value_reads_of_identity_nodes_teach_identity() -> None:
    c = TcpConversation(CLIENT, SERVER)
    frames = _opened(c)
    display_name = ReadValueId(NodeId(0, BUILD_INFO_PRODUCT_NAME), 4, None, QualifiedName(0, None))
    request = m.ReadRequest(request_header(2), 0.0, 3, (display_name,))
    from otm.protocols.opcua.constants import BuiltInType
    from otm.protocols.opcua.datatypes import DataValue, Variant

    text = DataValue(Variant(BuiltInType.LOCALIZED_TEXT, LocalizedText(None, "ProductName")))
    frames += c.send(True, _msg(request, 2))
    frames += c.send(False, _msg(m.ReadResponse(response_header(2), (text,), None), 2))
    # A keep-alive read of ServerStatus is answered with a status the test makes bad.
    frames += c.send(True, _msg(read_request(3, (SERVER_STATUS,)), 3))
    bad = DataValue(None, 0x803A0000)
    frames += c.send(False, _msg(m.ReadResponse(response_header(3), (bad,), None), 3))
    observations = sense(numbered(frames + c.close()))
    (server,) = assets_at(build_inventory(observations), "10.0.0.2")
    assert not all_values(server, "model") and not all_values(server, "vendor")
    assert _ops(observations)["read"][0] == 2


def test_bytes_on_port_4840_that_are_not_opcua_make_no_link() -> None:
    c = TcpConversation(CLIENT, SERVER)
    frames = c.open() + c.send(True, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n") + c.close()
    observations = sense(numbered(frames))
    inv = build_inventory(observations)
    assert not any(s.name == "opcua" for a in inv.assets.values() for s in a.services)
    assert [a.kind for a in _anomalies(observations)] == ["unframed_bytes"]


def test_a_broken_first_chunk_is_an_anomaly_and_confirms_nothing() -> None:
    c = TcpConversation(CLIENT, SERVER)
    broken = encode_chunk(m.Hello(0, 65536, 65536, 0, 0, "opc.tcp://x"))[:-3]
    broken = broken[:4] + len(broken).to_bytes(4, "little") + broken[8:]
    observations = sense(numbered(c.open() + c.send(True, broken) + c.close()))
    assert [a.kind for a in _anomalies(observations)] == ["truncated"]
    assert not _ops(observations)


def test_a_malformed_response_body_is_an_anomaly() -> None:
    c = TcpConversation(CLIENT, SERVER)
    frames = _opened(c)
    frames += c.send(True, _msg(m.GetEndpointsRequest(request_header(2), None, None, None), 2))
    body = encode_service(m.GetEndpointsResponse(response_header(2), endpoints()))[:-5]
    payload = encode_sequenced(m.Sequenced(2, 2, body))
    frames += c.send(False, encode_chunk(m.SecureChunk(b"MSG", ord("F"), 7, 1, payload)))
    observations = sense(numbered(frames + c.close()))
    assert [(a.kind, a.ip) for a in _anomalies(observations)] == [("truncated", "10.0.0.2")]


def test_the_sensor_follows_a_hello_on_any_port() -> None:
    frames = numbered(session_frames(TcpConversation(CLIENT, ("10.0.0.2", 48010))))
    # Not a registered port: the walker's heuristic recognises the Hello.
    assert _ops(sense(frames))["read"] == (1, "read", "10.0.0.1")
    assert _ops(sense(frames, ports=(4840, 48010)))["read"] == (1, "read", "10.0.0.1")


def test_a_client_description_is_not_the_client_s_identity() -> None:
    """CreateSession requests carry the client's own description; otm takes identity
    only from what servers send (the brief's rule), so the client learns nothing."""
    observations = sense(numbered(session_frames(TcpConversation(CLIENT, SERVER))))
    (client,) = assets_at(build_inventory(observations), "10.0.0.1")
    assert not all_values(client, "opcua_application_uri")
    assert SERVER_DESCRIPTION.application_uri not in all_values(client, "opcua_application_uri")


def test_checkpoints_hand_over_counts_that_add_up() -> None:
    from otm.capture.walker import PacketWalker
    from otm.sensing.aggregate import Tally
    from otm.sensing.labels import FlowLabels

    frames = numbered(session_frames(TcpConversation(CLIENT, SERVER)))
    tally, labels, walker = Tally("t"), FlowLabels(), PacketWalker()
    OpcUaSensor().register(walker, tally, labels)
    for frame in frames:
        walker.feed(*frame)
        walker.checkpoint()
    walker.finish()
    counts: dict[str, int] = {}
    for o in tally.flush():
        if isinstance(o, Operation):
            counts[o.name] = counts.get(o.name, 0) + o.count
    assert counts == {name: n for name, (n, _, _) in _ops(sense(frames)).items()}
