"""The SNMP probe: system-group gets, v2c per community, v3 noAuthNoPriv as a named user.

Unit tests run the probe against a scripted agent made with otm's encoders;
the live test runs it in a namespaced plant against net-snmp's snmpd (Debian
``snmpd``; slow, root).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from scan_fake_io import FakeIo
from scan_netns_support import SNMPD, devices, identity, run_probe, snmp_agent

from live.plant_netns import namespaces_available, plant
from otm.observations.records import Identity, Observation
from otm.protocols.common import Anomaly
from otm.protocols.snmp import (
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
)
from otm.scanning.limits import Limits, VirtualClock
from otm.scanning.probe import Target
from otm.scanning.safety import Request, UnsafeRequest, build, catalog, verify
from otm.scanning.snmp import SnmpProbe, engine_fields, system_fields
from otm.scanning.transport import Reply

ENGINE = bytes.fromhex("80001f8880288b315f9dd20f6b00000000")
"""A net-snmp engine id (RFC 3411 format, enterprise 8072) as snmpd 5.9 makes one."""

SYSTEM = (
    VarBind("1.3.6.1.2.1.1.1.0", ValueType.OCTET_STRING, b"Acme RTU-9, firmware 5.1.2"),
    VarBind("1.3.6.1.2.1.1.2.0", ValueType.OBJECT_IDENTIFIER, "1.3.6.1.4.1.4329.6.1.2"),
    VarBind("1.3.6.1.2.1.1.4.0", ValueType.OCTET_STRING, b"ops@acme.example"),
    VarBind("1.3.6.1.2.1.1.5.0", ValueType.OCTET_STRING, b"rtu-9"),
    VarBind("1.3.6.1.2.1.1.6.0", ValueType.OCTET_STRING, b"Substation 4"),
    VarBind("1.3.6.1.2.1.1.7.0", ValueType.INTEGER, 78),
)


def agent(
    community: bytes = b"plant-ro", users: tuple[bytes, ...] = (b"monitor",)
) -> Callable[[str, int, Request], list[Reply]]:
    """A scripted agent: answers gets with ``community`` and v3 gets by ``users``."""

    def answer(host: str, port: int, request: Request) -> list[Reply]:
        assert port == 161
        message = decode_message(request.payload)
        assert not isinstance(message, Anomaly)
        if isinstance(message, CommunityMessage):
            assert isinstance(message.pdu, Pdu)
            if message.community != community:
                return []  # RFC 3584: a wrong community is dropped silently
            pdu = Pdu(PduType.RESPONSE, message.pdu.request_id, 0, 0, SYSTEM)
            return [Reply(host, encode_message(CommunityMessage(1, community, pdu)))]
        assert isinstance(message, V3Message) and message.usm is not None
        pdu_in = message.pdu
        assert isinstance(pdu_in, Pdu)
        usm = UsmSecurityParameters(ENGINE, 3, 1234, message.usm.user_name, b"", b"")
        if not message.usm.engine_id:
            vb = (VarBind("1.3.6.1.6.3.15.1.1.4.0", ValueType.COUNTER32, 1),)
            out = Pdu(PduType.REPORT, pdu_in.request_id, 0, 0, vb)
        elif message.usm.user_name not in users:
            vb = (VarBind("1.3.6.1.6.3.15.1.1.3.0", ValueType.COUNTER32, 1),)
            out = Pdu(PduType.REPORT, pdu_in.request_id, 0, 0, vb)
        else:
            out = Pdu(PduType.RESPONSE, pdu_in.request_id, 0, 0, SYSTEM)
        reply = V3Message(message.msg_id, 65507, b"\x00", 3, encode_usm(usm), usm,
                          ScopedPdu(ENGINE, b"", out))  # fmt: skip
        return [Reply(host, encode_message(reply))]

    return answer


def _run(probe: SnmpProbe, io: FakeIo) -> list[Observation]:
    limits = Limits(clock=VirtualClock())
    return asyncio.run(probe.run(Target("10.0.0.7", ref="scan-3"), io, limits))


# --- the catalog -------------------------------------------------------------------------------


def test_every_snmp_entry_is_a_get() -> None:
    entries = [e for e in catalog() if e.protocol == "snmp"]
    assert {e.name for e in entries} == {"get_system_v2c", "discover_engine_v3", "get_system_v3"}
    for entry in entries:
        for example in entry.examples:
            assert verify("snmp", build("snmp", entry.name, **example)) == ("get", "read")


def test_the_get_asks_for_the_system_group_without_uptime() -> None:
    message = decode_message(build("snmp", "get_system_v2c", community=b"public", request_id=7))
    assert isinstance(message, CommunityMessage) and message.version == 1
    assert [vb.oid for vb in message.pdu.varbinds] == [
        f"1.3.6.1.2.1.1.{n}.0" for n in (1, 2, 4, 5, 6, 7)
    ]


def test_v3_requests_are_no_auth_no_priv_and_reportable() -> None:
    payload = build(
        "snmp", "get_system_v3", msg_id=4, request_id=5, engine_id=ENGINE, boots=3,
        engine_time=1234, user=b"monitor",
    )  # fmt: skip
    message = decode_message(payload)
    assert isinstance(message, V3Message) and not message.encrypted
    assert message.flags == b"\x04" and message.usm is not None
    assert (message.usm.engine_id, message.usm.user_name) == (ENGINE, b"monitor")
    assert message.usm.authentication_parameters == b""


@pytest.mark.parametrize(
    "pdu_type", [PduType.SET_REQUEST, PduType.RESPONSE, PduType.TRAP, PduType.SNMPV2_TRAP]
)
def test_sets_and_agent_pdus_are_refused(pdu_type: int) -> None:
    vb = (VarBind("1.3.6.1.2.1.1.5.0", ValueType.OCTET_STRING, b"owned"),)
    if pdu_type == PduType.TRAP:
        payload = bytes.fromhex("3000")  # not even a message
    else:
        payload = encode_message(CommunityMessage(1, b"private", Pdu(pdu_type, 1, 0, 0, vb)))
    with pytest.raises(UnsafeRequest):
        verify("snmp", payload)


@pytest.mark.parametrize(
    "params",
    [{"community": b"public", "request_id": -1}, {"community": b"public", "request_id": 1 << 31}],
)
def test_request_ids_stay_in_range(params: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        build("snmp", "get_system_v2c", **params)


def test_system_fields_and_vendor_from_sys_object_id() -> None:
    assert system_fields(SYSTEM) == {
        "description": "Acme RTU-9, firmware 5.1.2",
        "snmp_sys_object_id": "1.3.6.1.4.1.4329.6.1.2",
        "contact": "ops@acme.example",
        "name": "rtu-9",
        "location": "Substation 4",
        "snmp_sys_services": 78,
        "snmp_enterprise": 4329,
        "vendor": "Siemens",
    }
    wrong = (
        VarBind("1.3.6.1.2.1.1.5.0", ValueType.INTEGER, 5),
        VarBind("1.3.6.1.2.1.1.1.0", ValueType.NO_SUCH_OBJECT, None),
        VarBind("1.3.6.1.2.1.1.6.0", ValueType.OCTET_STRING, b"  "),
    )
    assert system_fields(wrong) == {}


def test_engine_id_enterprise() -> None:
    usm = UsmSecurityParameters(ENGINE, 1, 1, b"", b"", b"")
    assert engine_fields(usm) == {"snmp_engine_id": ENGINE.hex(), "snmp_engine_enterprise": 8072}
    legacy = UsmSecurityParameters(bytes(12), 1, 1, b"", b"", b"")
    assert engine_fields(legacy) == {"snmp_engine_id": "00" * 12}


# --- the probe on a scripted agent --------------------------------------------------------


def test_communities_are_tried_in_turn_until_one_answers() -> None:
    io = FakeIo(agent(), macs={"10.0.0.7": "00:1b:1b:00:00:07"})
    probe = SnmpProbe(communities=("public", "plant-ro", "never-sent"))
    out = _run(probe, io)
    sent = [decode_message(s.request.payload) for s in io.sent]
    assert [m.community for m in sent if isinstance(m, CommunityMessage)] == [
        b"public",
        b"plant-ro",
    ]
    fields = identity(out)
    assert fields["snmp_community"] == "plant-ro"
    assert (fields["name"], fields["vendor"], fields["location"]) == ("rtu-9", "Siemens",
                                                                     "Substation 4")  # fmt: skip
    assert "snmp_sys_uptime" not in fields
    assert {o.mac for o in out if isinstance(o, Identity)} == {"00:1b:1b:00:00:07"}
    assert {o.evidence.ref for o in out} == {"scan-3"}


def test_no_community_answers_gives_nothing() -> None:
    io = FakeIo(agent(community=b"secret"))
    assert _run(SnmpProbe(communities=("public", "private")), io) == []
    assert len(io.sent) == 2


def test_v3_user_without_authentication() -> None:
    io = FakeIo(agent())
    out = _run(SnmpProbe(communities=(), user="monitor"), io)
    assert [s.request.name for s in io.sent] == ["discover_engine_v3", "get_system_v3"]
    fields = identity(out)
    assert fields["snmp_engine_id"] == ENGINE.hex() and fields["snmp_engine_enterprise"] == 8072
    assert fields["snmp_v3_user"] == "monitor" and fields["name"] == "rtu-9"
    get = decode_message(io.sent[1].request.payload)
    assert isinstance(get, V3Message) and get.usm is not None
    assert (get.usm.engine_boots, get.usm.engine_time) == (3, 1234)


def test_unknown_v3_user_is_reported_refused() -> None:
    out = _run(SnmpProbe(communities=(), user="nobody"), FakeIo(agent()))
    fields = identity(out)
    assert fields["snmp_v3_noauth"] == "refused (unknown_user_name)"
    assert "name" not in fields and fields["snmp_engine_id"] == ENGINE.hex()


def test_plan_lists_the_gets() -> None:
    plan = SnmpProbe(communities=("public", "plant-ro"), user="monitor").plan(Target("10.0.0.7"))
    assert [r.request.name for r in plan] == [
        "get_system_v2c", "get_system_v2c", "discover_engine_v3", "get_system_v3"
    ]  # fmt: skip
    assert {(r.port, r.transport) for r in plan} == {(161, "udp")}


# --- live, against net-snmp's snmpd in a namespaced plant --------------------------------------

live = pytest.mark.skipif(namespaces_available() is not None, reason=str(namespaces_available()))


@pytest.mark.slow
@live
@pytest.mark.skipif(SNMPD is None, reason="snmpd is not installed (apt-get install snmpd)")
def test_live_net_snmp_agent(tmp_path: Path) -> None:
    macs = {"rtu": "00:1b:1b:00:00:16", "scanner": "02:00:00:00:00:20"}
    with plant(macs) as p, devices() as procs:
        snmp_agent(procs, p, "rtu", tmp_path / "snmpd")
        base = {"protocol": "snmp", "allow": ["10.77.0.0/24"], "targets": [[p.ip("rtu"), "host"]],
                "timeout": 0.5}  # fmt: skip
        good = dict(base, options={"communities": ["public", "plant-ro"], "snmp_user": "monitor"})
        out, stats = run_probe(p, "scanner", good)
        bad = dict(base, options={"communities": ["public"], "snmp_user": "intruder"})
        refused, _ = run_probe(p, "scanner", bad)
    fields = identity(out, ip=p.ip("rtu"))
    assert fields["description"] == "Acme RTU-9 industrial router, firmware 5.1.2"
    assert fields["snmp_sys_object_id"] == "1.3.6.1.4.1.4329.6.1.2"
    assert (fields["vendor"], fields["snmp_enterprise"]) == ("Siemens", 4329)
    assert (fields["name"], fields["location"]) == ("rtu-9", "Substation 4, bay 2")
    assert (fields["contact"], fields["snmp_sys_services"]) == ("ops@acme.example", 78)
    assert fields["snmp_community"] == "plant-ro" and fields["snmp_v3_user"] == "monitor"
    assert fields["snmp_engine_enterprise"] == 8072  # net-snmp's engine
    assert {o.mac for o in out if isinstance(o, Identity)} == {macs["rtu"]}
    # public: silent, and silent again on the retry; plant-ro answers; v3: discovery, get.
    assert stats["requests"] == 5 and stats["timeouts"] == 2
    refused_fields = identity(refused)
    assert refused_fields["snmp_v3_noauth"] == "refused (unknown_user_name)"
    assert "name" not in refused_fields
