"""The SNMP sensor against the ground truth of the shared captures, and on made-up traffic.

Every shared capture whose ground truth counts SNMP frames is walked by the
passive engine with only ``SnmpSensor`` registered; the inventory built from
its observations must hold every SNMP endpoint (protocol, role, IP, MAC) and
every ``snmp_system_group`` identity field of ``groundtruth/<capture>.json``
(recall 100 %), no SNMP endpoint the ground truth lacks, and per PDU type
as many operations as the ground truth counts requests.  Made-up captures
cover what the shared ones lack: traps to port 162 (roles reversed), v3,
vendors from the enterprise table, broken datagrams.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from snmp_strategies import messages

from otm.capture.frames import ethernet, ipv4, udp
from otm.inventory.builder import build_inventory
from otm.model.assets import Inventory
from otm.observations.records import Communication, Identity, Observation, Operation, ParseAnomaly
from otm.protocols.snmp import (
    CommunityMessage,
    Pdu,
    PduType,
    ScopedPdu,
    TrapPdu,
    UsmSecurityParameters,
    V3Message,
    ValueType,
    VarBind,
    encode_message,
    encode_usm,
)
from otm.protocols.snmp.messages import Message
from otm.sensing.snmp import PROTOCOL, SnmpSensor
from sensor_support import analysed as _analysed
from sensor_support import (
    assets_at,
    captures_with,
    fields_of,
    ground_truth,
    identity_recall,
    missing_endpoints,
    numbered,
    operation_counts,
    roles_by_ip,
    sense,
    truth_endpoints,
    truth_identities,
)

FIELDS = fields_of(
    "snmp_system_group",
    {
        "sysDescr": "description",
        "sysObjectID": "snmp_sys_object_id",
        "sysName": "name",
        "sysLocation": "location",
        "sysContact": "contact",
    },
)
"""Ground-truth (``snmp_system_group``, field) -> otm identity field."""

PDU_OPERATIONS = {"0": "get", "1": "get_next", "3": "set", "5": "get_bulk", "6": "inform"}
"""Ground-truth PDU type (tshark's ``snmp.data``) -> the operation otm counts."""


def analysed(capture: str) -> tuple[tuple[Observation, ...], Inventory]:
    return _analysed(capture, SnmpSensor)


CAPTURES = captures_with("snmp")


def test_captures_with_snmp() -> None:
    assert CAPTURES == ["SNMP_NTP_SysLog_00000_20060404163209.pcap", "snmp.pcap"]


@pytest.mark.parametrize("capture", CAPTURES)
def test_every_ground_truth_endpoint_is_found(capture: str) -> None:
    _, inv = analysed(capture)
    assert not missing_endpoints(inv, truth_endpoints(capture, "snmp"), {"snmp": PROTOCOL})


@pytest.mark.parametrize("capture", CAPTURES)
def test_no_endpoint_the_ground_truth_lacks(capture: str) -> None:
    _, inv = analysed(capture)
    known = {(ep["role"], ep["ip"]) for ep in truth_endpoints(capture, "snmp")}
    assert roles_by_ip(inv, PROTOCOL) == known


@pytest.mark.parametrize("capture", CAPTURES)
def test_every_ground_truth_identity_field_is_found(capture: str) -> None:
    _, inv = analysed(capture)
    recall = identity_recall(inv, truth_identities(capture, "snmp"), FIELDS)
    assert not recall.missing


@pytest.mark.parametrize("capture", CAPTURES)
def test_operations_match_the_ground_truth_pdu_counts(capture: str) -> None:
    observations, _ = analysed(capture)
    truth = ground_truth(capture)["protocol_details"]["snmp"]["pdu_types"]
    expected = {PDU_OPERATIONS[t]: n for t, n in truth.items() if t in PDU_OPERATIONS}
    assert operation_counts(observations, PROTOCOL) == expected


@pytest.mark.parametrize("capture", CAPTURES)
def test_the_accepted_community_is_a_finding_on_the_agent(capture: str) -> None:
    _, inv = analysed(capture)
    agents = [ep for ep in truth_endpoints(capture, "snmp") if ep["role"] == "server"]
    for ep in agents:
        (asset,) = assets_at(inv, ep["ip"], ep["mac"])
        assert [v.value for v in asset.fields["snmp_community"]] == ["public"]
    clients = [a for a in inv.assets.values() if any(s.role == "client" for s in a.services)]
    assert all("snmp_community" not in a.fields for a in clients)


# --- made-up traffic ---------------------------------------------------------------------------

MANAGER = ("10.0.0.1", "02:00:00:00:00:01")
AGENT = ("10.0.0.2", "02:00:00:00:00:02")


def _frame(
    src: tuple[str, str], sport: int, dst: tuple[str, str], dport: int, data: bytes
) -> bytes:
    packet = ipv4(src[0], dst[0], 17, udp(sport, dport, data, src[0], dst[0]))
    return ethernet(dst[1], src[1], 0x0800, packet)


def _run(*frames: bytes) -> tuple[list[Observation], Inventory]:
    observations = sense([SnmpSensor()], numbered(frames, 1_700_000_000.0, 1.0), "made-up")
    return observations, build_inventory(observations)


def _fields(inv: Inventory, ip: str) -> dict[str, set[object]]:
    (asset,) = assets_at(inv, ip)
    return {k: {v.value for v in vs} for k, vs in asset.fields.items()}


SCALANCE = (
    "Siemens, SIMATIC NET, SCALANCE X204-2, 6GK5 204-2BB10-2AA3, HW: Version 1, FW: Version V5.2.1"
)


def _system(*extra: VarBind) -> tuple[VarBind, ...]:
    return (
        VarBind("1.3.6.1.2.1.1.1.0", ValueType.OCTET_STRING, SCALANCE.encode()),
        VarBind("1.3.6.1.2.1.1.2.0", ValueType.OBJECT_IDENTIFIER, "1.3.6.1.4.1.4329.6.1.2"),
        VarBind("1.3.6.1.2.1.1.3.0", ValueType.TIMETICKS, 4711),
        VarBind("1.3.6.1.2.1.1.4.0", ValueType.OCTET_STRING, b"plant IT"),
        VarBind("1.3.6.1.2.1.1.5.0", ValueType.OCTET_STRING, b"sw-cell-3"),
        VarBind("1.3.6.1.2.1.1.6.0", ValueType.OCTET_STRING, b"hall 2, cabinet 7\x00"),
        VarBind("1.3.6.1.2.1.1.7.0", ValueType.INTEGER, 78),
        *extra,
    )


def test_system_group_identity_and_vendor_from_the_enterprise_table() -> None:
    request = CommunityMessage(1, b"private", Pdu(PduType.GET_REQUEST, 9, 0, 0, ()))
    response = CommunityMessage(1, b"private", Pdu(PduType.RESPONSE, 9, 0, 0, _system()))
    _, inv = _run(
        _frame(MANAGER, 50000, AGENT, 161, encode_message(request)),
        _frame(AGENT, 161, MANAGER, 50000, encode_message(response)),
    )
    fields = _fields(inv, AGENT[0])
    assert fields["description"] == {SCALANCE}  # kept whole: nothing is guessed from it
    assert fields["snmp_sys_object_id"] == {"1.3.6.1.4.1.4329.6.1.2"}
    assert fields["snmp_enterprise"] == {4329}
    assert fields["vendor"] == {"Siemens"}
    assert fields["contact"] == {"plant IT"}
    assert fields["name"] == {"sw-cell-3"}
    assert fields["location"] == {"hall 2, cabinet 7"}
    assert fields["snmp_sys_services"] == {78}
    assert fields["snmp_community"] == {"private"}
    assert "model" not in fields and "firmware" not in fields
    assert "snmp_community" not in _fields(inv, MANAGER[0])


def test_failed_response_teaches_no_identity_but_the_community() -> None:
    echo = (VarBind("1.3.6.1.2.1.1.5.0", ValueType.OCTET_STRING, b"not-a-name"),)
    response = CommunityMessage(0, b"public", Pdu(PduType.RESPONSE, 9, 2, 1, echo))
    _, inv = _run(_frame(AGENT, 161, MANAGER, 50000, encode_message(response)))
    assert _fields(inv, AGENT[0]).get("name") is None
    assert _fields(inv, AGENT[0])["snmp_community"] == {"public"}


def test_unanswered_requests_record_no_community() -> None:
    request = CommunityMessage(1, b"guess", Pdu(PduType.GET_REQUEST, 9, 0, 0, ()))
    observations, inv = _run(_frame(MANAGER, 50000, AGENT, 161, encode_message(request)))
    assert not [o for o in observations if isinstance(o, Identity)]
    # The host asked never answered: the manager used SNMP, no agent is known to serve it.
    assert roles_by_ip(inv, PROTOCOL) == {("client", MANAGER[0])}
    assert [o.answered for o in observations if isinstance(o, Communication)] == [False]


def test_trap_to_port_162_makes_the_agent_the_server() -> None:
    trap = TrapPdu("1.3.6.1.4.1.8691.2.8", bytes((10, 0, 0, 2)), 2, 0, 99, _system())
    v2 = Pdu(PduType.SNMPV2_TRAP, 5, 0, 0, _system())
    observations, inv = _run(
        _frame(AGENT, 49152, MANAGER, 162, encode_message(CommunityMessage(0, b"public", trap))),
        _frame(AGENT, 49152, MANAGER, 162, encode_message(CommunityMessage(1, b"public", v2))),
    )
    assert roles_by_ip(inv, PROTOCOL) == {("server", AGENT[0]), ("client", MANAGER[0])}
    ops = [o for o in observations if isinstance(o, Operation)]
    assert [(o.name, o.client_ip, o.server_ip, o.count) for o in ops] == [
        ("trap", MANAGER[0], AGENT[0], 1),
        ("trap", MANAGER[0], AGENT[0], 1),
    ]
    assert {o.detail["version"] for o in ops} == {"v1", "v2c"}
    assert _fields(inv, AGENT[0])["name"] == {"sw-cell-3"}
    assert "snmp_community" not in _fields(inv, AGENT[0])  # a trap proves no acceptance


def test_inform_and_its_acknowledgement() -> None:
    inform = CommunityMessage(1, b"public", Pdu(PduType.INFORM_REQUEST, 5, 0, 0, _system()))
    ack = CommunityMessage(1, b"public", Pdu(PduType.RESPONSE, 5, 0, 0, ()))
    observations, inv = _run(
        _frame(AGENT, 49152, MANAGER, 162, encode_message(inform)),
        _frame(MANAGER, 162, AGENT, 49152, encode_message(ack)),
    )
    assert roles_by_ip(inv, PROTOCOL) == {("server", AGENT[0]), ("client", MANAGER[0])}
    assert [o.name for o in observations if isinstance(o, Operation)] == ["inform"]


def _usm(user: bytes) -> UsmSecurityParameters:
    return UsmSecurityParameters(
        bytes.fromhex("80001f888059dc486145a26322"), 4, 9000, user, b"", b""
    )


def test_v3_encrypted_requests_count_with_their_user_and_the_agent_tells_its_engine() -> None:
    usm = _usm(b"scada")
    request = V3Message(7, 65507, b"\x07", 3, encode_usm(usm), usm, b"\x55" * 48)
    reply = V3Message(7, 65507, b"\x03", 3, encode_usm(usm), usm, b"\x66" * 52)
    empty = UsmSecurityParameters(b"", 0, 0, b"", b"", b"")
    discover = V3Message(
        6,
        65507,
        b"\x04",
        3,
        encode_usm(empty),
        empty,
        ScopedPdu(b"", b"", Pdu(PduType.GET_REQUEST, 1, 0, 0, ())),
    )
    report = V3Message(
        6,
        65507,
        b"\x00",
        3,
        encode_usm(_usm(b"")),
        _usm(b""),
        ScopedPdu(
            usm.engine_id,
            b"",
            Pdu(
                PduType.REPORT,
                1,
                0,
                0,
                (VarBind("1.3.6.1.6.3.15.1.1.4.0", ValueType.COUNTER32, 1),),
            ),
        ),
    )
    observations, inv = _run(
        _frame(MANAGER, 50001, AGENT, 161, encode_message(discover)),
        _frame(AGENT, 161, MANAGER, 50001, encode_message(report)),
        _frame(MANAGER, 50001, AGENT, 161, encode_message(request)),
        _frame(AGENT, 161, MANAGER, 50001, encode_message(reply)),
    )
    ops = {
        (o.name, tuple(sorted(o.detail.items())), o.count)
        for o in observations
        if isinstance(o, Operation)
    }
    assert ops == {
        ("get", (("version", "v3"),), 1),
        ("encrypted", (("user", "scada"), ("version", "v3")), 1),
    }
    assert _fields(inv, AGENT[0])["snmp_engine_id"] == {"80001f888059dc486145a26322"}
    assert roles_by_ip(inv, PROTOCOL) == {("server", AGENT[0]), ("client", MANAGER[0])}


def test_broken_datagrams_are_counted_and_make_no_link() -> None:
    good = CommunityMessage(1, b"public", Pdu(PduType.GET_REQUEST, 1, 0, 0, ()))
    broken = encode_message(good)[:-3]
    observations, inv = _run(
        _frame(MANAGER, 50000, AGENT, 161, broken),
        _frame(MANAGER, 50001, AGENT, 161, b"\x30\x80\x02\x01\x01"),
        _frame(MANAGER, 50002, AGENT, 161, b""),
    )
    kinds = sorted((o.kind, o.count, o.ip) for o in observations if isinstance(o, ParseAnomaly))
    assert kinds == [("invalid_length", 1, MANAGER[0]), ("truncated", 1, MANAGER[0])]
    assert not inv.links
    assert not roles_by_ip(inv, PROTOCOL)


def test_malformed_message_of_a_known_shape_is_still_found(tmp_path: Path) -> None:
    """Shapes are remembered per capture: a second message of the same shape
    but a broken body is still caught when it names the system group."""
    response = CommunityMessage(1, b"public", Pdu(PduType.RESPONSE, 9, 0, 0, _system()))
    wire = encode_message(response)
    broken = wire.replace(
        b"\x06\x08\x2b\x06\x01\x02\x01\x01\x05\x00", b"\x06\x08\x2b\x06\x01\x02\x01\x01\x05\x80"
    )
    observations, _ = _run(
        _frame(AGENT, 161, MANAGER, 50000, wire),
        _frame(AGENT, 161, MANAGER, 50001, broken),
    )
    assert [o.kind for o in observations if isinstance(o, ParseAnomaly)] == ["invalid_oid"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.booleans(), st.sampled_from([161, 162]), st.binary(max_size=200)),
        max_size=8,
    )
)
def test_arbitrary_datagrams_never_break_the_sensor(
    datagrams: list[tuple[bool, int, bytes]],
) -> None:
    frames = []
    for to_agent, port, data in datagrams:
        if to_agent:
            frames.append(_frame(MANAGER, 50000, AGENT, port, data))
        else:
            frames.append(_frame(AGENT, port, MANAGER, 50000, data))
    observations, _ = _run(*frames)
    assert all(o.protocol == PROTOCOL for o in observations if isinstance(o, ParseAnomaly))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages(), st.booleans())
def test_any_message_either_way_never_breaks_the_sensor(message: Message, to_agent: bool) -> None:
    wire = encode_message(message)
    frame = (
        _frame(MANAGER, 50000, AGENT, 161, wire)
        if to_agent
        else _frame(AGENT, 161, MANAGER, 50000, wire)
    )
    observations, inv = _run(frame, frame)
    assert not [o for o in observations if isinstance(o, ParseAnomaly)]
    # One link either way; its server serves SNMP only if it sent the frames
    # (an agent's PDU), not if it only received them (a manager's).
    (comm,) = [o for o in observations if isinstance(o, Communication)]
    assert comm.answered == (comm.server_ip == (MANAGER if to_agent else AGENT)[0])
    roles = roles_by_ip(inv, PROTOCOL)
    assert ("client", comm.client_ip) in roles and len(roles) == (2 if comm.answered else 1)
