"""Per-protocol port overrides (``--port modbus=5020``): devices off their standard port.

A probe given another port plans, sends and is guarded on that port only:
the scanner's guard allows the probe's own port, whichever it is, so an
override moves a probe, it never widens what it may reach.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from scan_devices import EnipDevice, ModbusDevice, S7Device, enip_udp
from scan_support import FakeNetwork
from typer.testing import CliRunner

from otm.cli.scan import parse_ports, register
from otm.observations.records import Identity
from otm.scanning.limits import Limits, VirtualClock
from otm.scanning.probe import Target
from otm.scanning.registry import PROBES, ProbeOptions, check_ports, make_probes
from otm.scanning.safety import Scope, UnsafeRequest, request
from otm.scanning.transport import GuardedTransport
from otm.services.scan import ScanOptions, run_scan

MODBUS, ENIP, S7 = "10.0.0.2", "10.0.0.3", "10.0.0.4"
IP_PROBES = [name for name in PROBES if name != "profinet"]
REAL_DEVICES = Path(__file__).resolve().parents[1] / "realdevices"


@pytest.mark.parametrize("name", IP_PROBES)
def test_a_probe_given_a_port_plans_every_request_to_it(name: str) -> None:
    (probe,) = make_probes([name], ProbeOptions(ports={name: 40123}, snmp_user="otm"))
    assert probe.port == 40123
    items = probe.plan(Target("10.0.0.9")) + probe.plan(Target("10.0.0.255", "broadcast"))
    assert items and {item.port for item in items} == {40123}


def test_probes_without_an_override_keep_their_standard_port() -> None:
    probes = make_probes(IP_PROBES, ProbeOptions(ports={"modbus": 5020}))
    ports = {p.protocol: p.port for p in probes}
    assert ports["modbus"] == 5020
    assert ports["s7comm"] == 102 and ports["enip"] == 44818 and ports["opcua"] == 4840


@pytest.mark.parametrize(
    ("ports", "message"),
    [
        ({"dnp3": 20000}, "unknown protocol"),
        ({"profinet": 34964}, "layer 2"),
        ({"modbus": 0}, "1-65535"),
        ({"modbus": 70000}, "1-65535"),
    ],
)
def test_overrides_that_make_no_sense_are_refused(ports: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_ports(ports)
    with pytest.raises(ValueError, match=message):
        ScanOptions(allow=["10.0.0.0/29"], ports=ports).probes()


def test_the_guard_refuses_the_standard_port_to_a_moved_probe() -> None:
    scope = Scope.parse(["10.0.0.0/29"])
    limits = Limits(clock=VirtualClock())
    guard = GuardedTransport(FakeNetwork(), scope, limits, "modbus", frozenset({5020}))
    rdi = request("modbus", "read_device_identification", transaction_id=1, unit_id=1,
                  read_code=1, object_id=0)  # fmt: skip
    with pytest.raises(UnsafeRequest, match="may not reach port 502"):
        guard.allow(rdi, 502)
    with pytest.raises(UnsafeRequest, match="may not reach port 502"):
        asyncio.run(guard.connect(MODBUS, 502, 1.0))
    guard.allow(rdi, 5020)


def test_a_scan_with_overrides_reaches_devices_only_on_their_ports() -> None:
    network = FakeNetwork(
        tcp={(MODBUS, 5020): ModbusDevice, (ENIP, 2222): lambda: EnipDevice(ENIP),
             (S7, 10102): S7Device},
        udp={(ENIP, 2222): enip_udp()},
    )  # fmt: skip
    options = ScanOptions(allow=["10.0.0.0/29"], protocols=["modbus", "enip", "s7"],
                          ports={"modbus": 5020, "enip": 2222, "s7": 10102})  # fmt: skip
    result = run_scan(options, network, VirtualClock())
    identified = {o.ip for o in result.observations if isinstance(o, Identity)}
    assert identified == {MODBUS, ENIP, S7}
    assert {port for _host, port in network.connects} == {5020, 2222, 10102}
    assert {s.port for s in network.sent if s.transport == "udp"} == {2222}


# -- the command -------------------------------------------------------------------------------


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """otm (test harness)."""

    register(app)
    return app


runner = CliRunner()


def test_cli_port_option_moves_the_plan() -> None:
    result = runner.invoke(_app(), ["scan", "--allow", "10.0.0.0/29", "--target", MODBUS,
                                    "--protocol", "modbus,s7", "--port", "modbus=5020",
                                    "--port", "s7=10102", "--dry-run"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "tcp/5020" in result.output and "tcp/10102" in result.output
    assert "tcp/502 " not in result.output and "tcp/102 " not in result.output


@pytest.mark.parametrize(
    ("value", "message"),
    [("modbus", "PROTOCOL=PORT"), ("modbus=x", "PROTOCOL=PORT"), ("profinet=1", "layer 2"),
     ("dnp3=20000", "unknown protocol")],
)  # fmt: skip
def test_cli_refuses_a_bad_port_option_with_one_line(value: str, message: str) -> None:
    result = runner.invoke(_app(), ["scan", "--allow", "10.0.0.0/29", "--port", value,
                                    "--dry-run"])  # fmt: skip
    assert result.exit_code == 1
    assert message in result.output.replace("\n", " ")
    assert "Traceback" not in result.output


def test_parse_ports_refuses_a_protocol_twice() -> None:
    assert parse_ports(["Modbus=5020"]) == {"modbus": 5020}
    with pytest.raises(ValueError, match="twice"):
        parse_ports(["modbus=5020", "modbus=5021"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_a_real_modbus_device_on_a_high_port_is_identified() -> None:
    port = _free_port()
    device = subprocess.Popen(
        [sys.executable, str(REAL_DEVICES / "modbus_device.py"), "127.0.0.1", str(port),
         "Schneider Electric", "TM221CE24T", "V1.10", "M221"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert device.stdout is not None and device.stdout.readline().strip() == "ready"
        options = ScanOptions(allow=["127.0.0.1/32"], protocols=["modbus"],
                              ports={"modbus": port}, rate=100, device_rate=50, timeout=2.0,
                              retries=0)  # fmt: skip
        result = run_scan(options)
    finally:
        device.kill()
        device.communicate(timeout=10)
    fields: dict[str, str | int] = {}
    for obs in result.observations:
        if isinstance(obs, Identity):
            fields.update(obs.fields)
    assert fields.get("vendor") == "Schneider Electric" and fields.get("model") == "M221"
