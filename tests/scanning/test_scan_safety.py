"""The scanner cannot emit a write, control or program request: enumerated and proven.

1. The catalog is everything the scanner can build: every entry is read,
   identify, session or diagnostic, and every built request (examples and
   hypothesis-generated parameters) decodes, with otm's own codecs, to an
   operation of a safe category.  For Modbus, EtherNet/IP and S7 the decoding
   here is written against the codecs directly, not through the scanner's
   classifiers.
2. Asking for anything else (Modbus 5/6/15/16/22/23, UMAS stop, S7 PLC stop,
   PI services, downloads, CIP set/reset/stop ...) raises, a builder that
   tries to sneak one in raises, and a hand-made ``Request`` carrying one is
   refused by every transport before a byte leaves.
3. Every probe's plan, and every request a probe sends while fed arbitrary
   answers, is a catalog entry whose bytes verify.
"""

from __future__ import annotations

import asyncio
import inspect
import socket
import struct
import typing
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scan_devices import EnipDevice, ModbusDevice, S7Device, enip_udp
from scan_support import FakeNetwork

from otm.protocols.common import (
    CONTROL,
    DIAGNOSTIC,
    IDENTIFY,
    PROGRAM,
    READ,
    SESSION,
    WRITE,
    Anomaly,
)
from otm.protocols.enip import codec as enip_codec
from otm.protocols.enip import constants as enip_constants
from otm.protocols.enip.messages import (
    CipPath,
    CipRequest,
    CpfItem,
    Encapsulation,
    LogicalSegment,
    SendData,
)
from otm.protocols.modbus import constants as modbus_constants
from otm.protocols.modbus import decode_request, encode_adu, operation_category, peek_sub_code
from otm.protocols.modbus.messages import (
    Adu,
    Diagnostics,
    MaskWriteRegister,
    UmasRequest,
    WriteMultipleRegistersRequest,
    WriteSingle,
)
from otm.protocols.s7comm import (
    BlockControlJob,
    CotpConnect,
    CotpData,
    CotpDisconnect,
    PiService,
    PlcStop,
    S7Pdu,
    Tpkt,
    decode_payload,
    decode_tpkt,
    encode_s7,
    encode_tpkt,
    pdu_operation,
)
from otm.scanning import registry, safety
from otm.scanning.enip import EnipProbe
from otm.scanning.limits import Limits, VirtualClock
from otm.scanning.modbus import ModbusProbe
from otm.scanning.probe import Target
from otm.scanning.s7 import S7Probe
from otm.scanning.safety import (
    CLASSIFIERS,
    READ_ONLY_BUILDERS,
    SAFE_CATEGORIES,
    Request,
    Scope,
    UnsafeRequest,
    build,
    catalog,
    read_only,
    verify,
)
from otm.scanning.transport import (
    AsyncioTransport,
    DryRunTransport,
    GuardedTransport,
    Reply,
)

registry.load_all()
ENTRIES = catalog()
UNSAFE = {WRITE, CONTROL, PROGRAM}


# -- otm's codecs, read directly ---------------------------------------------------------


def modbus_category(payload: bytes) -> str:
    adu = decode_request(payload)
    assert not isinstance(adu, Anomaly), adu
    return operation_category(adu.pdu.function_code, peek_sub_code(payload))


def enip_category(payload: bytes) -> str:
    enc = enip_codec.decode_encapsulation(payload)
    assert not isinstance(enc, Anomaly), enc
    if enc.command not in (enip_constants.SEND_RR_DATA, enip_constants.SEND_UNIT_DATA):
        return enip_constants.command_category(enc.command)
    sent = enip_codec.decode_send_data(enc.data)
    assert not isinstance(sent, Anomaly) and sent.cip is not None
    cip = enip_codec.decode_cip_request(sent.cip)
    assert not isinstance(cip, Anomaly), cip
    found, problem = enip_codec.flatten_request(cip)
    assert problem is None
    leaves = [
        e.request
        for e in found
        if e.request.service not in (enip_constants.SERVICE_MULTIPLE,)
        and not (
            e.request.service == enip_constants.SERVICE_UNCONNECTED_SEND
            and e.request.path.class_id == enip_constants.CLASS_CONNECTION_MANAGER
        )
    ]
    categories = {
        enip_constants.service_category(r.service, r.path.class_id, r.path.symbol is not None)
        for r in leaves
    }
    unsafe = categories & UNSAFE
    return unsafe.pop() if unsafe else categories.pop()


def s7_category(payload: bytes) -> str:
    tpkt = decode_tpkt(payload)
    assert not isinstance(tpkt, Anomaly), tpkt
    if isinstance(tpkt.cotp, CotpConnect):
        assert tpkt.cotp.pdu_type == 0xE0, "only a connection request may be sent"
        return SESSION
    if isinstance(tpkt.cotp, CotpDisconnect):
        return SESSION
    assert isinstance(tpkt.cotp, CotpData)
    pdu = decode_payload(tpkt.cotp.payload)
    assert isinstance(pdu, S7Pdu), pdu
    assert pdu.rosctr in (1, 7), "a scanner sends jobs and userdata requests only"
    return pdu_operation(pdu)[1]


DIRECT = {"modbus": modbus_category, "enip": enip_category, "s7comm": s7_category}


def codec_category(protocol: str, payload: bytes) -> str:
    """The category otm's codec gives the bytes: directly for S1's protocols, else classifier."""
    if protocol in DIRECT:
        return DIRECT[protocol](payload)
    found = CLASSIFIERS[protocol](payload)
    assert found is not None, f"{protocol}: codec cannot decode {payload.hex()}"
    return found[1]


# -- 1. the catalog --------------------------------------------------------------------------


def test_the_catalog_holds_every_protocol_and_only_safe_categories() -> None:
    protocols = {e.protocol for e in ENTRIES}
    assert {"modbus", "enip", "s7comm"} <= protocols
    assert {READ, IDENTIFY, SESSION, DIAGNOSTIC} == SAFE_CATEGORIES
    for e in ENTRIES:
        assert e.category in SAFE_CATEGORIES, e
        assert e.protocol in CLASSIFIERS, f"{e.protocol} has no classifier"
        assert e.examples, f"{e.protocol} {e.name} has no example"
    print("catalog:", ", ".join(f"{e.protocol}/{e.name}:{e.category}" for e in ENTRIES))


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: f"{e.protocol}-{e.name}")
def test_every_example_decodes_to_its_safe_category(entry: safety.CatalogEntry) -> None:
    for params in entry.examples:
        payload = build(entry.protocol, entry.name, **params)
        category = codec_category(entry.protocol, payload)
        assert category in SAFE_CATEGORIES
        assert category == entry.category, (entry, category)
        assert verify(entry.protocol, payload)[1] == category


def _strategy(annotation: Any) -> st.SearchStrategy[Any]:
    if annotation is int:
        return st.one_of(st.integers(0, 0xFF), st.integers(0, 0xFFFF), st.integers(-(2**33), 2**64))
    if annotation is bool:
        return st.booleans()
    if annotation is str:
        return st.text(max_size=40)
    if annotation is bytes:
        return st.binary(max_size=64)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return st.one_of(*(_strategy(a) for a in args))
    if annotation is type(None):
        return st.none()
    if origin is tuple:
        inner = args[0] if args else int
        return st.lists(_strategy(inner), max_size=4).map(tuple)
    return st.nothing()


def _params(entry: safety.CatalogEntry) -> st.SearchStrategy[dict[str, Any]]:
    """Each parameter from its type (ints of every width, text, bytes) or its examples' values."""
    hints = typing.get_type_hints(entry.builder)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for name, param in inspect.signature(entry.builder).parameters.items():
        choices: list[st.SearchStrategy[Any]] = []
        seen = [ex[name] for ex in entry.examples if name in ex]
        if seen:
            choices.append(st.sampled_from(seen))
        if param.default is not inspect.Parameter.empty:
            choices.append(st.just(param.default))
        typed = _strategy(hints.get(name, int))
        if not typed.is_empty:
            choices.append(typed)
        fields[name] = st.one_of(*choices) if choices else st.nothing()
    return st.fixed_dictionaries(fields)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: f"{e.protocol}-{e.name}")
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=st.data())
def test_no_parameter_turns_an_entry_unsafe(
    entry: safety.CatalogEntry, data: st.DataObject
) -> None:
    params = data.draw(_params(entry))
    try:
        payload = entry.builder(**params)
    except (ValueError, OverflowError, TypeError, UnicodeError, struct.error):
        return  # the builder refused the parameters: nothing to send
    category = codec_category(entry.protocol, payload)
    assert category in SAFE_CATEGORIES, (entry.name, params, category)
    assert category not in UNSAFE


# -- 2. refusals ------------------------------------------------------------------------------


def _unsafe_operations() -> list[tuple[str, str]]:
    """Every unsafe operation name the codecs know, as (protocol, name) a probe could ask for."""
    out = [("modbus", n) for c, n in modbus_constants.FUNCTION_NAMES.items()
           if modbus_constants.FUNCTION_CATEGORIES[c] in UNSAFE]  # fmt: skip
    out += [("modbus", "umas_" + n) for c, n in modbus_constants.UMAS_NAMES.items()
            if modbus_constants.UMAS_CATEGORIES[c] in UNSAFE]  # fmt: skip
    out += [("enip", n) for c, n in enip_constants.SERVICE_NAMES.items()
            if enip_constants.SERVICE_CATEGORIES[c] in UNSAFE]  # fmt: skip
    out += [("s7comm", n) for n in ("plc_stop", "plc_cold_restart", "plc_hot_restart",
            "write_var", "request_download", "download_block", "insert_block", "delete_block",
            "start_upload", "pi_service")]  # fmt: skip
    return out


@pytest.mark.parametrize("protocol,name", _unsafe_operations())
def test_asking_for_an_unsafe_operation_raises(protocol: str, name: str) -> None:
    with pytest.raises(UnsafeRequest):
        build(protocol, name)
    with pytest.raises(UnsafeRequest):
        safety.request(protocol, name)


@pytest.mark.parametrize("category", [WRITE, CONTROL, PROGRAM, "other"])
def test_a_builder_cannot_be_registered_as_unsafe(category: str) -> None:
    with pytest.raises(UnsafeRequest):
        read_only("modbus", "write_single_register", category)
    assert ("modbus", "write_single_register") not in READ_ONLY_BUILDERS


def test_a_builder_that_lies_about_its_category_is_caught_by_the_codec() -> None:
    key = ("modbus", "sneaky_identify")

    @read_only("modbus", "sneaky_identify", IDENTIFY)
    def sneaky() -> bytes:  # claims identify, builds Write Single Register
        return encode_adu(Adu(1, 1, WriteSingle(6, 0, 1)))

    try:
        with pytest.raises(UnsafeRequest, match="write"):
            build("modbus", "sneaky_identify")
    finally:
        del READ_ONLY_BUILDERS[key]


def _tpkt(pdu: S7Pdu) -> bytes:
    return encode_tpkt(Tpkt(0, CotpData(True, 0, encode_s7(pdu))))


def _send_rr(request: CipRequest) -> bytes:
    items = (
        CpfItem(enip_constants.ITEM_NULL_ADDRESS, b""),
        CpfItem(enip_constants.ITEM_UNCONNECTED_DATA, enip_codec.encode_cip_request(request)),
    )
    data = enip_codec.encode_send_data(SendData(0, 0, items))
    return enip_codec.encode_encapsulation(
        Encapsulation(enip_constants.SEND_RR_DATA, 1, 0, bytes(8), 0, data)
    )


IDENTITY_PATH = CipPath((LogicalSegment("class", 1), LogicalSegment("instance", 1)))

HAND_MADE = [
    ("modbus", "write_single_coil", encode_adu(Adu(1, 1, WriteSingle(5, 0, 0xFF00)))),
    ("modbus", "write_single_register", encode_adu(Adu(1, 1, WriteSingle(6, 0, 1)))),
    ("modbus", "write_multiple_registers",
     encode_adu(Adu(1, 1, WriteMultipleRegistersRequest(0, (1, 2))))),
    ("modbus", "mask_write_register", encode_adu(Adu(1, 1, MaskWriteRegister(0, 0, 0)))),
    ("modbus", "force_listen_only_mode", encode_adu(Adu(1, 1, Diagnostics(4, b"\x00\x00")))),
    ("modbus", "umas_stop_plc", encode_adu(Adu(1, 1, UmasRequest(0, 0x41, b"")))),
    ("s7comm", "plc_stop", _tpkt(S7Pdu(1, 0, 1, None, None, PlcStop(bytes(5), "P_PROGRAM")))),
    ("s7comm", "plc_cold_restart", _tpkt(S7Pdu(1, 0, 1, None, None,
     PiService(bytes(6) + b"\xfd", b"C ", "P_PROGRAM")))),
    ("s7comm", "request_download", _tpkt(S7Pdu(1, 0, 1, None, None,
     BlockControlJob(0x1A, 0, 0, 0, "_0A00001P", b"", b"")))),
    ("enip", "reset", _send_rr(CipRequest(0x05, IDENTITY_PATH, b""))),
    ("enip", "set_attribute_single", _send_rr(CipRequest(0x10, IDENTITY_PATH, b"\x00"))),
    ("enip", "stop", _send_rr(CipRequest(0x07, IDENTITY_PATH, b""))),
]  # fmt: skip


@pytest.mark.parametrize("protocol,name,payload", HAND_MADE, ids=[h[1] for h in HAND_MADE])
def test_hand_made_unsafe_bytes_are_refused_by_verify(
    protocol: str, name: str, payload: bytes
) -> None:
    assert codec_category(protocol, payload) in UNSAFE
    with pytest.raises(UnsafeRequest):
        verify(protocol, payload)


def test_undecodable_bytes_and_unknown_protocols_are_refused() -> None:
    with pytest.raises(UnsafeRequest, match="cannot decode"):
        verify("modbus", b"\x00\x01\x00\x00\x00\xff\x01")
    with pytest.raises(UnsafeRequest, match="no classifier"):
        verify("dnp3", b"\x05\x64")
    with pytest.raises(UnsafeRequest):  # two requests glued together
        verify("modbus", build("modbus", "report_server_id", transaction_id=1, unit_id=1) * 2)


def _forged(protocol: str, name: str, payload: bytes) -> Request:
    return Request(protocol, "report_server_id", IDENTIFY, payload)


@pytest.mark.parametrize("protocol,name,payload", HAND_MADE, ids=[h[1] for h in HAND_MADE])
def test_every_transport_refuses_a_forged_request(protocol: str, name: str, payload: bytes) -> None:
    forged = _forged(protocol, name, payload)
    port = {"modbus": 502, "enip": 44818, "s7comm": 102}[protocol]
    net = FakeNetwork(tcp={("10.0.0.5", port): ModbusDevice})
    limits = Limits(clock=VirtualClock())
    guard = GuardedTransport(net, Scope.parse(["10.0.0.0/24"]), limits, protocol, frozenset({port}))

    async def attempt() -> None:
        with pytest.raises(UnsafeRequest):
            await guard.datagram("10.0.0.5", port, forged, 1.0)
        conn = await guard.connect("10.0.0.5", port, 1.0)
        with pytest.raises(UnsafeRequest):
            await conn.exchange(forged, lambda b, s: len(b), 1.0)
        with pytest.raises(UnsafeRequest):
            await conn.send(forged)
        dry = DryRunTransport(emit=lambda line: None)
        with pytest.raises(UnsafeRequest):
            await dry.datagram("10.0.0.5", port, forged, 1.0)

    asyncio.run(attempt())
    assert net.sent == [], "nothing reached the network"
    assert guard.stats.refused == 3


def test_the_socket_transport_sends_nothing_unsafe() -> None:
    """A real UDP and TCP listener on loopback receive none of the forged requests."""
    forged = _forged("modbus", "write", HAND_MADE[1][2])
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.3)
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen(1)
    tcp.settimeout(2)

    async def attempt() -> None:
        transport = AsyncioTransport()
        with pytest.raises(UnsafeRequest):
            await transport.datagram("127.0.0.1", udp.getsockname()[1], forged, 0.2)
        conn = await transport.connect("127.0.0.1", tcp.getsockname()[1], 1.0)
        try:
            with pytest.raises(UnsafeRequest):
                await conn.exchange(forged, lambda b, s: len(b), 0.2)
        finally:
            await conn.close()

    try:
        asyncio.run(attempt())
        with pytest.raises(TimeoutError):
            udp.recvfrom(100)
        peer, _ = tcp.accept()
        with peer:
            peer.settimeout(0.5)
            assert peer.recv(100) == b""
    finally:
        udp.close()
        tcp.close()


def test_a_probe_may_not_reach_another_port_or_protocol() -> None:
    net = FakeNetwork(tcp={("10.0.0.5", 102): S7Device})
    limits = Limits(clock=VirtualClock())
    guard = GuardedTransport(net, Scope.parse(["10.0.0.0/24"]), limits, "modbus", frozenset({502}))
    s7_request = safety.request("s7comm", "cotp_connection_request", src_ref=1, rack=0, slot=2)

    async def attempt() -> None:
        with pytest.raises(UnsafeRequest, match="port"):
            await guard.connect("10.0.0.5", 102, 1.0)
        with pytest.raises(UnsafeRequest, match="may not send s7comm"):
            await guard.datagram("10.0.0.5", 502, s7_request, 1.0)

    asyncio.run(attempt())
    assert net.connects == [] and net.sent == []


# -- 3. plans and what probes really send ------------------------------------------------------


TARGETS = [
    Target("10.0.0.5"),
    Target("10.0.0.255", "broadcast"),
    Target("eth0", "interface"),
]


@pytest.mark.parametrize("name", list(registry.PROBES))
def test_every_planned_request_is_a_verified_catalog_entry(name: str) -> None:
    probe = registry.PROBES[name](registry.ProbeOptions(unit_sweep=True, snmp_user="otm"))
    planned_any = False
    for target in TARGETS:
        for item in probe.plan(target):
            planned_any = True
            entry = READ_ONLY_BUILDERS[(item.request.protocol, item.request.name)]
            assert item.request.protocol == probe.protocol
            assert item.request.category == entry.category
            assert codec_category(item.request.protocol, item.request.payload) in SAFE_CATEGORIES
            if item.transport != "ethernet":
                assert item.port == probe.port
    assert planned_any


def _mutations(answers: list[bytes]) -> st.SearchStrategy[bytes]:
    valid = st.sampled_from(answers)

    def mutate(data: bytes, at: int, value: int) -> bytes:
        if not data:
            return data
        i = at % len(data)
        return data[:i] + bytes([value]) + data[i + 1 :]

    return st.one_of(
        valid,
        st.builds(mutate, valid, st.integers(0, 300), st.integers(0, 255)),
        st.builds(lambda d, n: d[:n], valid, st.integers(0, 64)),
        st.binary(max_size=64),
    )


class _Scripted:
    """A TCP device answering from a hypothesis stream of answers (None: silence)."""

    def __init__(self, data: st.DataObject, answers: st.SearchStrategy[bytes]) -> None:
        self.data = data
        self.answers = answers

    def answer(self, payload: bytes) -> bytes | None:
        return self.data.draw(st.one_of(st.none(), self.answers))


def _valid_answers() -> dict[str, list[bytes]]:
    out: dict[str, list[bytes]] = {"modbus": [], "enip": [], "s7comm": []}
    for protocol, probe, device in (
        ("modbus", ModbusProbe(units=(0,)), ModbusDevice),
        ("enip", EnipProbe(), lambda: EnipDevice("10.0.0.5")),
        ("s7comm", S7Probe(), lambda: S7Device(fragments=2)),
    ):
        port = probe.port
        dev = device()
        for item in probe.plan(Target("10.0.0.5")):
            answer = dev.answer(item.request.payload)
            if answer:
                out[protocol].append(answer)
        assert out[protocol], protocol
        del port
    return out


VALID = _valid_answers()


@pytest.mark.parametrize(
    "make", [lambda: ModbusProbe(units=(0, 1)), EnipProbe, S7Probe], ids=["modbus", "enip", "s7"]
)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_probes_fed_arbitrary_answers_send_only_catalog_requests(
    make: Any, data: st.DataObject
) -> None:
    probe = make()
    answers = _mutations(VALID[probe.protocol])
    host = "10.0.0.5"
    net = FakeNetwork(
        tcp={(host, probe.port): lambda: _Scripted(data, answers)},
        udp={(host, probe.port): lambda p, h: [Reply(h, data.draw(answers))]},
    )
    limits = Limits(clock=VirtualClock())
    scope = Scope.parse(["10.0.0.0/24"])
    guard = GuardedTransport(net, scope, limits, probe.protocol, frozenset({probe.port}))
    asyncio.run(probe.run(Target(host), guard, limits))
    assert len(net.sent) <= 200, "bounded work whatever the answers"
    for sent in net.sent:
        assert (sent.request.protocol, sent.request.name) in READ_ONLY_BUILDERS
        assert codec_category(sent.request.protocol, sent.request.payload) in SAFE_CATEGORIES
        assert sent.host == host and sent.port == probe.port


def test_an_enip_broadcast_goes_only_where_the_scope_allows() -> None:
    net = FakeNetwork(udp={("10.0.0.255", 44818): enip_udp()})
    limits = Limits(clock=VirtualClock())
    closed = Scope.parse(["10.0.0.0/24"])
    guard = GuardedTransport(net, closed, limits, "enip", frozenset({44818}))
    with pytest.raises(safety.OutOfScope):
        asyncio.run(EnipProbe().run(Target("10.0.0.255", "broadcast"), guard, limits))
    assert net.sent == []
