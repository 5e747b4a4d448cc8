"""Each probe against scripted devices: what it extracts, how it follows streams and falls back."""

from __future__ import annotations

import asyncio

from scan_devices import (
    ACME,
    CONTROLLER,
    EnipDevice,
    ModbusDevice,
    S7Device,
    enip_udp,
    list_identity_reply,
)
from scan_support import FakeNetwork

from otm.observations.records import Identity, Observation
from otm.scanning.enip import EnipProbe
from otm.scanning.limits import Limits, VirtualClock
from otm.scanning.modbus import SWEEP_UNITS, ModbusProbe
from otm.scanning.probe import Probe, Target
from otm.scanning.s7 import S7Probe
from otm.scanning.safety import Scope
from otm.scanning.transport import GuardedTransport, Reply

HOST = "10.0.0.5"
SCOPE = Scope.parse(["10.0.0.0/24"], ["10.0.0.0/24"])


def run(probe: Probe, net: FakeNetwork, target: Target | None = None) -> list[Observation]:
    limits = Limits(clock=VirtualClock())
    guard = GuardedTransport(net, SCOPE, limits, probe.protocol, frozenset({probe.port}))
    return asyncio.run(probe.run(target or Target(HOST, ref="scan test"), guard, limits))


def identities(obs: list[Observation], component: str | None = None) -> dict[str, str | int]:
    out: dict[str, str | int] = {}
    for o in obs:
        if isinstance(o, Identity) and o.component == component:
            out.update(o.fields)
    return out


# -- Modbus --------------------------------------------------------------------------------


def test_modbus_reads_basic_regular_extended_and_server_id() -> None:
    net = FakeNetwork(tcp={(HOST, 502): ModbusDevice})
    obs = run(ModbusProbe(), net)
    fields = identities(obs)
    assert fields["vendor"] == "Acme Controls"
    assert fields["product_code"] == "AC-500"
    assert fields["firmware"] == "2.7.1"
    assert fields["vendor_url"] == "http://acme.example"
    assert fields["product_name"] == "Acme PLC"
    assert fields["model"] == "AC-500-CPU"
    assert fields["name"] == "Line 3 filler"
    assert fields["modbus_private_0x80"] == "serial 42"
    assert fields["modbus_conformity_level"] == "extended"
    assert fields["server_id"] == "Acme"
    assert fields["run_indicator"] == "on"
    units = {o.fields["modbus_unit_id"] for o in obs if "modbus_unit_id" in o.fields}  # type: ignore[union-attr]
    assert units == {0, 1, 255}
    for o in obs:
        assert o.evidence.source == "scan" and o.evidence.ref == "scan test"


def test_modbus_object_stream_continues_from_next_object_id() -> None:
    net = FakeNetwork(tcp={(HOST, 502): lambda: ModbusDevice(per_answer=1)})
    fields = identities(run(ModbusProbe(units=(1,)), net))
    assert fields["name"] == "Line 3 filler" and fields["vendor"] == "Acme Controls"
    rdi = [r for r in net.requests() if r.name == "read_device_identification"]
    # basic 0,1,2 ; regular 0,3,4,5,6 (ids above 2 only, restarting at 0) ...
    object_ids = [r.payload[-1] for r in rdi]
    assert object_ids[:3] == [0, 1, 2]
    assert len(rdi) == len({(r.payload[-2], r.payload[-1]) for r in rdi})


def test_modbus_respects_the_conformity_level() -> None:
    net = FakeNetwork(tcp={(HOST, 502): lambda: ModbusDevice(conformity=0x01)})
    fields = identities(run(ModbusProbe(units=(0,)), net))
    assert fields["modbus_conformity_level"] == "basic"
    codes = {r.payload[-2] for r in net.requests() if r.name == "read_device_identification"}
    assert codes == {1}, "regular and extended are not asked of a basic device"


def test_modbus_gateway_units_become_components() -> None:
    other = {0: b"Other Inc", 1: b"X-1", 2: b"1.0"}
    units = {0: ACME, 5: other}

    def gateway() -> ModbusDevice:
        return ModbusDevice(units=units)

    net = FakeNetwork(tcp={(HOST, 502): gateway})
    obs = run(ModbusProbe(units=(0, 1, 5)), net)
    assert identities(obs)["vendor"] == "Acme Controls"
    assert identities(obs, "unit 5")["vendor"] == "Other Inc"
    # unit 1 was silent: the next unit went over a fresh connection
    assert net.connects.count((HOST, 502)) == 2


def test_modbus_identical_units_are_asked_only_basic() -> None:
    net = FakeNetwork(tcp={(HOST, 502): ModbusDevice})
    run(ModbusProbe(), net)
    per_unit: dict[int, list[str]] = {}
    for r in net.requests():
        per_unit.setdefault(r.payload[6], []).append(r.name)
    assert per_unit[0].count("report_server_id") == 1
    assert per_unit[1] == ["read_device_identification"]
    assert per_unit[255] == ["read_device_identification"]


def test_modbus_answer_of_another_transaction_is_not_believed() -> None:
    net = FakeNetwork(tcp={(HOST, 502): lambda: ModbusDevice(wrong_tid=True)})
    assert run(ModbusProbe(units=(0,)), net) == []


def test_modbus_refused_port_is_quick_and_empty() -> None:
    net = FakeNetwork()
    assert run(ModbusProbe(), net) == []
    assert net.connects == [(HOST, 502)] and net.sent == []


def test_modbus_unit_sweep_covers_every_serial_address() -> None:
    assert SWEEP_UNITS[0] == 0 and SWEEP_UNITS[-1] == 255 and len(SWEEP_UNITS) == 249
    plan = ModbusProbe(SWEEP_UNITS).plan(Target(HOST))
    assert {p.request.payload[6] for p in plan} == set(SWEEP_UNITS)


# -- EtherNet/IP ----------------------------------------------------------------------------


def test_enip_list_identity_udp_and_identity_object_over_tcp() -> None:
    net = FakeNetwork(
        tcp={(HOST, 44818): lambda: EnipDevice(HOST)}, udp={(HOST, 44818): enip_udp()}
    )
    obs = run(EnipProbe(), net)
    messages = [o.evidence.message for o in obs]
    assert messages == ["enip list_identity reply", "cip get_attributes_all identity reply"]
    fields = identities(obs)
    assert fields["vendor_id"] == 1 and fields["device_type"] == 14
    assert fields["product_code"] == 166 and fields["firmware"] == "20.011"
    assert fields["serial"] == "0x01234567" and fields["product_name"] == "1756-L83E/B"
    assert fields["socket_address"] == HOST and fields["state"] == 3
    names = [r.name for r in net.requests()]
    assert names == [
        "list_identity", "register_session", "get_identity_attributes_all", "unregister_session",
    ]  # fmt: skip
    get = net.requests()[2]
    assert int.from_bytes(get.payload[4:8], "little") == 0x00C0FFEE, "the device's session"


def test_enip_falls_back_to_list_identity_over_tcp() -> None:
    net = FakeNetwork(tcp={(HOST, 44818): lambda: EnipDevice(HOST)})
    obs = run(EnipProbe(), net)
    names = [(s.transport, s.request.name) for s in net.sent]
    udp, tcp = ("udp", "list_identity"), ("tcp", "list_identity")
    assert names[:3] == [udp, udp, tcp], "UDP sent twice (one retry), then TCP"
    assert obs[0].evidence.message == "enip list_identity reply"


def test_enip_refused_cip_read_keeps_the_list_identity() -> None:
    net = FakeNetwork(
        tcp={(HOST, 44818): lambda: EnipDevice(HOST, status=8)}, udp={(HOST, 44818): enip_udp()}
    )
    obs = run(EnipProbe(), net)
    assert [o.evidence.message for o in obs] == ["enip list_identity reply"]


def test_enip_broadcast_reports_every_device_in_scope() -> None:
    def answers(payload: bytes, host: str) -> list[Reply]:
        return [
            Reply("10.0.0.7", list_identity_reply("10.0.0.7")),
            Reply("10.0.0.9", list_identity_reply("10.0.0.9", CONTROLLER)),
            Reply("192.168.1.1", list_identity_reply("192.168.1.1")),
        ]

    net = FakeNetwork(udp={("10.0.0.255", 44818): answers})
    obs = run(EnipProbe(), net, Target("10.0.0.255", "broadcast", "scan test"))
    assert sorted(o.ip or "" for o in obs if isinstance(o, Identity)) == ["10.0.0.7", "10.0.0.9"]


def test_enip_garbage_answers_give_nothing() -> None:
    class Garbage:
        def answer(self, payload: bytes) -> bytes | None:
            return b"\x63\x00\x02\x00" + bytes(20) + b"\xff\xff"

    net = FakeNetwork(
        tcp={(HOST, 44818): Garbage},
        udp={(HOST, 44818): lambda p, h: [Reply(h, b"\x00" * 30)]},
    )
    assert run(EnipProbe(), net) == []


# -- S7 -----------------------------------------------------------------------------------


def test_s7_reads_module_and_component_identification() -> None:
    net = FakeNetwork(tcp={(HOST, 102): S7Device})
    obs = run(S7Probe(), net)
    station = identities(obs)
    assert station["order_number"] == "6ES7 315-2EH14-0AB0"
    assert station["firmware"] == "V3.2.8" and station["hardware"] == "0.5"
    assert station["vendor"] == "Siemens" and station["name"] == "Line 4 station"
    assert station["plant_designation"] == "Plant north"
    assert station["serial"] == "S C-T7K123456789" and station["model"] == "CPU 315-2 PN/DP"
    assert station["rack"] == 0 and station["slot"] == 2
    cpu = identities(obs, "rack 0 slot 2")
    assert cpu["model"] == "CPU 315-2 PN/DP" and "rack" not in cpu


def test_s7_follows_fragmented_szl_answers() -> None:
    net = FakeNetwork(tcp={(HOST, 102): lambda: S7Device(fragments=3)})
    station = identities(run(S7Probe(), net))
    assert station["serial"] == "S C-T7K123456789"
    assert [r.name for r in net.requests()].count("read_szl_next") == 2


def test_s7_tries_rack_slots_in_order_each_on_a_fresh_connection() -> None:
    net = FakeNetwork(tcp={(HOST, 102): lambda: S7Device(slot=1)})
    station = identities(run(S7Probe(), net))
    assert station["slot"] == 1
    tsaps = [r.payload[-1] for r in net.requests() if r.name == "cotp_connection_request"]
    assert tsaps == [0x02, 0x01]
    assert net.connects == [(HOST, 102), (HOST, 102)]


def test_s7_no_cpu_in_any_slot_gives_nothing() -> None:
    net = FakeNetwork(tcp={(HOST, 102): lambda: S7Device(slot=9)})
    assert run(S7Probe(), net) == []
    assert len(net.connects) == 3


def test_s7_silent_setup_gives_nothing() -> None:
    net = FakeNetwork(tcp={(HOST, 102): lambda: S7Device(refuse_setup=True)})
    assert run(S7Probe(), net) == []
