"""The scanner: targets checked first, only the asked ports, broadcasts only where allowed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from scan_devices import EnipDevice, ModbusDevice, S7Device, enip_udp
from scan_support import FakeNetwork

from otm.observations.records import AssetSeen, Identity, Observation
from otm.scanning.enip import EnipProbe
from otm.scanning.limits import Limits, VirtualClock
from otm.scanning.modbus import ModbusProbe
from otm.scanning.probe import PlannedRequest, Probe, Target, TransportKind
from otm.scanning.s7 import S7Probe
from otm.scanning.safety import OutOfScope, Scope
from otm.scanning.scanner import ScanResult, plan, scan
from otm.scanning.transport import Reply, Transport

MODBUS, ENIP, S7 = "10.0.0.2", "10.0.0.3", "10.0.0.4"


def plant() -> FakeNetwork:
    return FakeNetwork(
        tcp={
            (MODBUS, 502): ModbusDevice,
            (ENIP, 44818): lambda: EnipDevice(ENIP),
            (S7, 102): S7Device,
        },
        udp={(ENIP, 44818): enip_udp(), ("10.0.0.7", 44818): enip_udp()},
        macs={MODBUS: "00:80:f4:00:00:02"},
    )


def run_scan(
    net: FakeNetwork, scope: Scope, targets: list[str], probes: list[Probe], **kw: Any
) -> ScanResult:
    limits = Limits(clock=VirtualClock(start=1_700_000_000.0))
    return asyncio.run(scan(scope, targets, probes, net, limits, ref="scan t", **kw))


def by_ip(obs: list[Observation]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for o in obs:
        if isinstance(o, Identity) and o.ip:
            out.setdefault(o.ip, set()).add(o.protocol)
    return out


def test_a_scan_identifies_each_device_and_records_it_as_seen() -> None:
    net = plant()
    scope = Scope.parse(["10.0.0.0/29"])
    result = run_scan(net, scope, [], [ModbusProbe(), EnipProbe(), S7Probe()])
    assert by_ip(result.observations) == {MODBUS: {"modbus"}, ENIP: {"enip"}, S7: {"s7comm"}}
    seen = {o.ip: o for o in result.observations if isinstance(o, AssetSeen)}
    assert set(seen) == {MODBUS, ENIP, S7}
    assert seen[MODBUS].mac == "00:80:f4:00:00:02" and seen[ENIP].mac is None
    assert all(o.evidence.source == "scan" and o.evidence.ref == "scan t" for o in seen.values())
    assert result.stats.hosts == 6 and result.stats.responders == 3
    assert result.errors == []
    assert result.stats.started >= 1_700_000_000.0
    assert result.stats.finished > result.stats.started  # paced: virtual seconds passed


def test_hosts_are_contacted_only_on_the_ports_of_the_probes_asked() -> None:
    net = plant()
    run_scan(net, Scope.parse(["10.0.0.0/29"]), [], [ModbusProbe()])
    assert {port for _, port in net.connects} == {502}
    assert sorted(host for host, _ in net.connects) == [f"10.0.0.{n}" for n in range(1, 7)]
    assert {s.port for s in net.sent} == {502}


def test_a_target_outside_the_scope_stops_the_scan_before_anything_is_sent() -> None:
    net = plant()
    with pytest.raises(OutOfScope):
        run_scan(net, Scope.parse(["10.0.0.0/29"]), [MODBUS, "10.0.0.9"], [ModbusProbe()])
    with pytest.raises(OutOfScope):
        run_scan(net, Scope.parse(["10.0.0.0/29"]), ["10.0.0.7"], [ModbusProbe()])  # broadcast
    assert net.connects == [] and net.sent == []


def test_broadcast_discovery_only_where_the_user_named_the_domain() -> None:
    closed = plant()
    run_scan(closed, Scope.parse(["10.0.0.0/29"]), [ENIP], [EnipProbe()])
    assert {s.host for s in closed.sent} == {ENIP}

    open_ = plant()
    scope = Scope.parse(["10.0.0.0/29"], ["10.0.0.0/29"])

    def everyone(payload: bytes, host: str) -> list[Reply]:
        return enip_udp()(payload, ENIP) + enip_udp()(payload, "10.0.0.5")

    open_.udp[("10.0.0.7", 44818)] = everyone
    result = run_scan(open_, scope, [S7], [EnipProbe()])
    assert "10.0.0.7" in {s.host for s in open_.sent}
    assert set(by_ip(result.observations)) == {ENIP, "10.0.0.5"}
    assert result.stats.broadcasts == 1


def test_a_probe_bug_is_reported_and_the_scan_goes_on() -> None:
    class Broken:
        protocol = "modbus"
        port = 502
        transport: TransportKind = "tcp"
        broadcast = False

        def plan(self, target: Target) -> list[PlannedRequest]:
            return []

        async def run(self, target: Target, io: Transport, limits: Limits) -> list[Observation]:
            raise RuntimeError("bug")

    net = plant()
    result = run_scan(net, Scope.parse(["10.0.0.0/29"]), [MODBUS, S7], [Broken(), S7Probe()])
    assert result.errors == [
        f"modbus {MODBUS}: RuntimeError: bug",
        f"modbus {S7}: RuntimeError: bug",
    ]
    assert by_ip(result.observations) == {S7: {"s7comm"}}


def test_a_probe_stepping_out_of_scope_is_refused_and_reported() -> None:
    class Wanderer:
        protocol = "modbus"
        port = 502
        transport: TransportKind = "tcp"
        broadcast = False

        def plan(self, target: Target) -> list[PlannedRequest]:
            return []

        async def run(self, target: Target, io: Transport, limits: Limits) -> list[Observation]:
            await io.connect("192.168.0.1", 502, 1.0)
            return []

    net = plant()
    result = run_scan(net, Scope.parse(["10.0.0.0/29"]), [MODBUS], [Wanderer()])
    assert result.errors and "refused" in result.errors[0]
    assert net.connects == []


def test_plan_lists_what_a_scan_would_send_and_checks_the_scope() -> None:
    scope = Scope.parse(["10.0.0.0/29"], ["10.0.0.0/29"])
    items = plan(scope, [MODBUS], [ModbusProbe(units=(1,)), EnipProbe()])
    where = [(i.protocol, i.target, i.where, i.request.name) for i in items]
    assert where[0] == ("modbus", MODBUS, "tcp/502", "read_device_identification")
    assert ("enip", "10.0.0.7", "udp/44818", "list_identity") in where
    with pytest.raises(OutOfScope):
        plan(scope, ["10.0.1.1"], [ModbusProbe()])


def test_observations_are_in_host_order_whatever_the_timing() -> None:
    net = plant()
    result = run_scan(
        net, Scope.parse(["10.0.0.0/29"]), [S7, MODBUS, ENIP], [S7Probe(), ModbusProbe()]
    )
    ips = [o.ip or "" for o in result.observations if isinstance(o, Identity)]
    assert ips == sorted(ips, key=[S7, MODBUS, ENIP].index)
