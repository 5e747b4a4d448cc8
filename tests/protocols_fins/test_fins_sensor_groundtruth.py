"""The FINS sensor against the ground truth of the shared captures, and on made-up traffic.

Every shared capture whose ground truth counts OMRON FINS frames is walked
by the passive engine with only ``FinsSensor`` registered; the inventory
built from its observations must hold every FINS endpoint (protocol, role,
IP) and every ``fins_controller_data_read`` identity field of
``groundtruth/<capture>.json`` (recall 100 %), no FINS endpoint the ground
truth lacks, the FINS node addresses it lists per host, and per command code
as many operations as it counts commands.

``omron.pcap`` is Wireshark's sample: one host sends every command and then
every response to port 9600 of the other, so by the ground truth's rule (ICF
response bit) each end is client and server; the sensor reports the
responses as a second conversation with the roles swapped.
"""

from __future__ import annotations

import pytest
from fins_strategies import frames as frames_strategy
from fins_strategies import tcp_messages
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otm.capture.frames import TcpSession, ethernet, ipv4, udp
from otm.inventory.builder import build_inventory
from otm.model.assets import Inventory
from otm.observations.records import Communication, Identity, Observation, Operation, ParseAnomaly
from otm.protocols.fins import (
    AreaData,
    ControllerData,
    FinsCommand,
    FinsHeader,
    FinsResponse,
    FinsTcpMessage,
    NodeAddressRequest,
    NodeAddressResponse,
    command_name,
    encode_controller_data,
    encode_frame,
    encode_tcp,
)
from otm.sensing.fins import PROTOCOL, FinsSensor
from sensor_support import analysed as _analysed
from sensor_support import (
    assets_at,
    captures_with,
    fields_of,
    ground_truth,
    identity_recall,
    numbered,
    roles_by_ip,
    sense,
    truth_endpoints,
    truth_identities,
)

FIELDS = fields_of(
    "fins_controller_data_read", {"controller_model": "model", "controller_version": "firmware"}
)
"""Ground-truth (source, field) -> otm identity field."""

ORACLE = "omron_fins"
"""The ground truth's name of the protocol."""


def analysed(capture: str) -> tuple[tuple[Observation, ...], Inventory]:
    return _analysed(capture, FinsSensor)


CAPTURES = captures_with(ORACLE)


def test_captures_with_fins() -> None:
    assert CAPTURES == ["omron.pcap", "omron_test.pcap"]


NEVER_ANSWERED: dict[tuple[str, str, str], str] = {
    ("omron.pcap", "server", "10.130.130.130"): (
        "every frame is sent by 10.4.14.102; 10.130.130.130 never sends one.  The ground "
        "truth makes the destination of the 93 commands a server; otm makes no host the "
        "server of a UDP protocol unless it answered (a scan's probes reach every host)"
    ),
}
"""(capture, role, ip) ground-truth endpoints otm does not report, and why."""


@pytest.mark.parametrize("capture", CAPTURES)
def test_every_ground_truth_endpoint_is_found_and_no_other(capture: str) -> None:
    _, inv = analysed(capture)
    truth = {(ep["role"], ep["ip"]) for ep in truth_endpoints(capture, ORACLE)}
    truth -= {(role, ip) for (c, role, ip) in NEVER_ANSWERED if c == capture}
    assert roles_by_ip(inv, PROTOCOL) == truth


@pytest.mark.parametrize("capture", CAPTURES)
def test_endpoints_that_sent_carry_the_ground_truth_macs(capture: str) -> None:
    """A host that never sent (``seen_as_src`` false) is known by its IP alone:
    the inventory takes MACs from frames a host sent."""
    _, inv = analysed(capture)
    for ep in truth_endpoints(capture, ORACLE):
        if ep["seen_as_src"]:
            assert assets_at(inv, ep["ip"], ep["mac"], both=True), ep


@pytest.mark.parametrize("capture", CAPTURES)
def test_every_ground_truth_identity_field_is_found(capture: str) -> None:
    _, inv = analysed(capture)
    recall = identity_recall(inv, truth_identities(capture, ORACLE), FIELDS)
    assert not recall.missing


@pytest.mark.parametrize("capture", CAPTURES)
def test_fins_nodes_match_the_ground_truth(capture: str) -> None:
    _, inv = analysed(capture)
    truth = ground_truth(capture)["protocol_details"][ORACLE]["fins_nodes"]
    ours = {
        ip: sorted({str(v.value) for v in a.fields.get("fins_node", [])})
        for a in inv.assets.values()
        for ip in a.ips
        if "fins_node" in a.fields
    }
    assert ours == truth


@pytest.mark.parametrize("capture", CAPTURES)
def test_operations_match_the_ground_truth_command_counts(capture: str) -> None:
    observations, _ = analysed(capture)
    counted: dict[str, int] = {}
    for o in observations:
        if isinstance(o, Operation) and o.category != "exception":
            if o.name == "node_address_data_send":
                continue
            name = (
                o.name
                if not o.name.endswith(("message_clear", "fal_fals_read"))
                else "message_read"
            )
            counted[name] = counted.get(name, 0) + o.count
    expected: dict[str, int] = {}
    for key, count in ground_truth(capture)["protocol_details"][ORACLE]["commands"].items():
        code, kind = key.split("/")
        if kind == "command":
            name = command_name(int(code, 16))
            expected[name] = expected.get(name, 0) + count
    assert counted == expected


def test_omron_pcap_responses_form_the_swapped_conversation() -> None:
    observations, _ = analysed("omron.pcap")
    comms = [
        (c.client_ip, c.server_ip, c.port, c.packets)
        for c in observations
        if isinstance(c, Communication)
    ]
    assert comms == [
        ("10.4.14.102", "10.130.130.130", 9600, 245),
        ("10.130.130.130", "10.4.14.102", 58722, 152),
    ]
    errors = [o for o in observations if isinstance(o, Operation) and o.category == "exception"]
    assert sum(o.count for o in errors) >= 80
    assert {(o.client_ip, o.server_ip) for o in errors} == {("10.130.130.130", "10.4.14.102")}


def test_the_cp1l_identity() -> None:
    _, inv = analysed("omron_test.pcap")
    (plc,) = assets_at(inv, "10.1.1.164")
    fields = {k: {v.value for v in vs} for k, vs in plc.fields.items()}
    assert fields["model"] == {"CP1L-EL20DR-D"}
    assert fields["firmware"] == {"01.00"}
    assert fields["fins_dm_words"] == {10768}
    assert fields["fins_memory_card"] == {"none"}


# --- made-up traffic ---------------------------------------------------------------------------

HMI = ("10.0.0.1", "02:00:00:00:00:01")
PLC = ("10.0.0.2", "02:00:00:00:00:02")
PLC2 = ("10.0.0.3", "02:00:00:00:00:03")


def _header(src_node: int, dst_node: int, response: bool) -> FinsHeader:
    return FinsHeader(0xC0 if response else 0x80, 0, 2, 0, dst_node, 0, 0, src_node, 0, 1)


def _command(code: int, data: bytes = b"", src: int = 10, dst: int = 1) -> bytes:
    return encode_frame(FinsCommand(_header(src, dst, False), code, data))


def _response(code: int, end: int = 0, data: bytes = b"", src: int = 1, dst: int = 10) -> bytes:
    return encode_frame(FinsResponse(_header(src, dst, True), code, end, data))


def _udp(src: tuple[str, str], sport: int, dst: tuple[str, str], dport: int, data: bytes) -> bytes:
    return ethernet(dst[1], src[1], 0x0800, ipv4(src[0], dst[0], 17, udp(sport, dport, data)))


def _run(frames: list[bytes]) -> tuple[list[Observation], Inventory]:
    observations = sense([FinsSensor()], numbered(frames, 1_700_000_000.0, 1.0), "made-up")
    return observations, build_inventory(observations)


def _ops(observations: list[Observation]) -> set[tuple[str, str, str, str, int]]:
    return {
        (o.name, o.category, o.client_ip or "", o.server_ip or "", o.count)
        for o in observations
        if isinstance(o, Operation)
    }


def test_a_response_seen_first_makes_its_sender_the_server() -> None:
    data = encode_controller_data(
        ControllerData(
            b"CJ2M-CPU31".ljust(20, b"\x00"), b"02.01".ljust(20, b"\x00"), None, None, None
        )
    )
    observations, inv = _run(
        [
            _udp(PLC, 9600, HMI, 9600, _response(0x0501, 0, data)),
            _udp(HMI, 9600, PLC, 9600, _command(0x0501)),
            _udp(PLC, 9600, HMI, 9600, _response(0x0501, 0, data)),
        ]
    )
    assert roles_by_ip(inv, PROTOCOL) == {("server", PLC[0]), ("client", HMI[0])}
    assert _ops(observations) == {("controller_data_read", "identify", HMI[0], PLC[0], 1)}
    (plc,) = assets_at(inv, PLC[0])
    assert {v.value for v in plc.fields["model"]} == {"CJ2M-CPU31"}
    assert {v.value for v in plc.fields["firmware"]} == {"02.01"}
    assert {v.value for v in plc.fields["fins_node"]} == {"0.1"}


def test_plcs_commanding_each_other_are_both_client_and_server() -> None:
    observations, inv = _run(
        [
            _udp(PLC, 9600, PLC2, 9600, _command(0x0102, bytes(8), src=1, dst=2)),
            _udp(PLC2, 9600, PLC, 9600, _response(0x0102, src=2, dst=1)),
            _udp(PLC2, 9600, PLC, 9600, _command(0x0101, bytes(6), src=2, dst=1)),
            _udp(PLC, 9600, PLC2, 9600, _response(0x0101, src=1, dst=2)),
        ]
    )
    assert roles_by_ip(inv, PROTOCOL) == {
        ("client", PLC[0]),
        ("server", PLC[0]),
        ("client", PLC2[0]),
        ("server", PLC2[0]),
    }
    assert _ops(observations) == {
        ("memory_area_write", "write", PLC[0], PLC2[0], 1),
        ("memory_area_read", "read", PLC2[0], PLC[0], 1),
    }


def test_abnormal_end_codes_and_refined_message_commands() -> None:
    observations, _ = _run(
        [
            _udp(HMI, 50000, PLC, 9600, _command(0x0401, b"\xff\xff\x04")),
            _udp(PLC, 9600, HMI, 50000, _response(0x0401, 0x2202)),
            _udp(HMI, 50000, PLC, 9600, _command(0x0920, b"\x40\xff")),
            _udp(PLC, 9600, HMI, 50000, _response(0x0920, 0x0040)),  # CPU flag: still normal
            _udp(HMI, 50000, PLC, 9600, _command(0x0402)),
            _udp(PLC, 9600, HMI, 50000, _response(0x0402, 0x8205)),  # relay error
        ]
    )
    assert _ops(observations) == {
        ("run", "control", HMI[0], PLC[0], 1),
        ("stop", "control", HMI[0], PLC[0], 1),
        ("message_clear", "diagnostic", HMI[0], PLC[0], 1),
        ("error_not_possible_while_running", "exception", HMI[0], PLC[0], 1),
        ("error_response_timeout", "exception", HMI[0], PLC[0], 1),
    }


def test_other_traffic_on_port_9600_is_counted_and_makes_no_link() -> None:
    observations, inv = _run(
        [
            _udp(HMI, 50000, PLC, 9600, b"\x12\x34" + bytes(12)),
            _udp(HMI, 50001, PLC, 9600, b"hello"),
            _udp(HMI, 50002, PLC, 9600, b""),
        ]
    )
    kinds = sorted(o.kind for o in observations if isinstance(o, ParseAnomaly))
    assert kinds == ["bad_header", "truncated"]
    assert not inv.links


def test_fins_tcp_session() -> None:
    session = TcpSession(HMI[0], 50123, PLC[0], 9600, HMI[1], PLC[1])
    area = AreaData(20, 23, 32768, 8, 0, 0, 0, 0)
    data = encode_controller_data(
        ControllerData(
            b"CS1G-CPU44H".ljust(20, b" "), b"04.00".ljust(20, b" "), bytes(40), area, None
        )
    )
    frames = session.handshake()
    for from_client, message in [
        (True, FinsTcpMessage(0, 0, NodeAddressRequest(0))),
        (False, FinsTcpMessage(1, 0, NodeAddressResponse(10, 1))),
        (True, FinsTcpMessage(2, 0, FinsCommand(_header(10, 1, False), 0x0501, b"\x00"))),
        (False, FinsTcpMessage(2, 0, FinsResponse(_header(1, 10, True), 0x0501, 0, data))),
        (True, FinsTcpMessage(2, 0, FinsCommand(_header(10, 1, False), 0x0307, bytes(12)))),
        (False, FinsTcpMessage(3, 0x03, b"")),
    ]:
        frames += session.send(encode_tcp(message), from_client=from_client)
    frames += session.send(b"GARBAGE!" * 3, from_client=True)
    frames += session.close()
    observations, inv = _run(frames)
    assert roles_by_ip(inv, PROTOCOL) == {("server", PLC[0]), ("client", HMI[0])}
    assert _ops(observations) == {
        ("node_address_data_send", "session", HMI[0], PLC[0], 1),
        ("controller_data_read", "identify", HMI[0], PLC[0], 1),
        ("program_area_write", "program", HMI[0], PLC[0], 1),
        ("tcp_error_command_not_supported", "exception", HMI[0], PLC[0], 1),
    }
    (plc,) = assets_at(inv, PLC[0])
    fields = {k: {v.value for v in vs} for k, vs in plc.fields.items()}
    assert fields["model"] == {"CS1G-CPU44H"}
    assert fields["firmware"] == {"04.00"}
    assert fields["fins_program_area_size"] == {20}
    assert [o.kind for o in observations if isinstance(o, ParseAnomaly)] == ["unframed_bytes"]
    assert not any(
        isinstance(o, Identity) and o.ip == HMI[0] and "model" in o.fields for o in observations
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=120)), max_size=8))
def test_arbitrary_datagrams_never_break_the_sensor(datagrams: list[tuple[bool, bytes]]) -> None:
    frames = [
        _udp(HMI, 9600, PLC, 9600, data) if forward else _udp(PLC, 9600, HMI, 9600, data)
        for forward, data in datagrams
    ]
    _run(frames)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=120)), max_size=6), st.booleans())
def test_arbitrary_streams_never_break_the_sensor(
    segments: list[tuple[bool, bytes]], fins_prefix: bool
) -> None:
    session = TcpSession(HMI[0], 50123, PLC[0], 9600, HMI[1], PLC[1])
    frames = session.handshake()
    for from_client, data in segments:
        payload = (b"FINS" + data) if fins_prefix else data
        if payload:
            frames += session.send(payload, from_client=from_client)
    frames += session.close()
    _run(frames)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tcp_messages(), frames_strategy())
def test_any_messages_never_break_the_sensor(message: FinsTcpMessage, frame: object) -> None:
    session = TcpSession(HMI[0], 50123, PLC[0], 9600, HMI[1], PLC[1])
    wire = session.handshake() + session.send(encode_tcp(message), from_client=True)
    wire += session.close()
    wire.append(_udp(HMI, 9600, PLC, 9600, encode_frame(frame)))  # type: ignore[arg-type]
    observations, _ = _run(wire)
    assert not [o for o in observations if isinstance(o, ParseAnomaly)]
