"""``otm scan`` as a use case and a command: a ``scan`` source, merged with passive facts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from scan_devices import EnipDevice, ModbusDevice, S7Device, enip_udp
from scan_support import FakeNetwork
from typer.testing import CliRunner

from otm.cli.scan import register
from otm.observations.records import AssetSeen, Evidence, Identity
from otm.scanning.limits import VirtualClock
from otm.services.scan import ScanOptions, dry_run, found_rows, scan_network
from otm.store import SqlStore

MODBUS, ENIP, S7 = "10.0.0.2", "10.0.0.3", "10.0.0.4"


def plant() -> FakeNetwork:
    return FakeNetwork(
        tcp={
            (MODBUS, 502): ModbusDevice,
            (ENIP, 44818): lambda: EnipDevice(ENIP),
            (S7, 102): S7Device,
        },
        udp={(ENIP, 44818): enip_udp()},
        macs={MODBUS: "00:80:f4:00:00:02"},
    )


OPTIONS = ScanOptions(allow=["10.0.0.0/29"], protocols=["modbus", "enip", "s7"])


def test_a_scan_is_stored_as_a_scan_source_and_fills_the_inventory(store_url: str) -> None:
    with SqlStore(store_url) as store:
        outcome = scan_network(OPTIONS, store, plant(), VirtualClock())
        sources = store.sources()
        assert [(s.kind, s.key) for s in sources] == [("scan", outcome.key)]
        assert sources[0].ref == outcome.ref and outcome.ref.endswith("10.0.0.0/29")
        assert sources[0].observations == len(outcome.result.observations)
        inv = store.load_inventory()
    modbus = inv.find(MODBUS)
    assert modbus is not None and modbus.value("vendor") == "Acme Controls"
    assert "00:80:f4:00:00:02" in modbus.macs
    enip = inv.find(ENIP)
    assert enip is not None and enip.value("vendor") == "Rockwell Automation/Allen-Bradley"
    s7 = inv.find(S7)
    assert s7 is not None and s7.value("order_number") == "6ES7 315-2EH14-0AB0"
    assert "rack 0 slot 2" in s7.components
    assert modbus.value("mac_vendor"), "the OUI of the MAC the neighbour table gave"
    for asset in (modbus, enip, s7):
        for name, values in asset.fields.items():
            if name != "mac_vendor":
                assert all(v.evidence.source == "scan" for v in values), name
    rows = found_rows(outcome.result, outcome.inventory)
    assert [(r.ip, r.protocols) for r in rows] == [
        (MODBUS, ("modbus",)), (ENIP, ("enip",)), (S7, ("s7comm",)),
    ]  # fmt: skip
    assert rows[1].fields["vendor"] == "Rockwell Automation/Allen-Bradley"


def _passive(store: SqlStore, firmware: str) -> None:
    ev = Evidence("capture", "plant.pcap", 17, "modbus read_device_identification response")
    store.put_source(
        "capture",
        "sha-of-plant.pcap",
        "plant.pcap",
        100,
        [
            AssetSeen(1_600_000_000.0, "00:80:f4:00:00:02", MODBUS, ev),
            Identity(
                1_600_000_000.0,
                MODBUS,
                "00:80:f4:00:00:02",
                "modbus",
                {"vendor": "Acme Controls", "firmware": firmware},
                ev,
            ),
        ],
        1_600_000_000.0,
    )


def test_a_conflict_between_passive_and_active_shows_both_values(tmp_path: Path) -> None:
    with SqlStore(tmp_path / "otm.db") as store:
        _passive(store, firmware="2.1")
        scan_network(OPTIONS, store, plant(), VirtualClock())
        asset = store.asset(MODBUS)
    assert asset is not None
    firmware = {(v.value, v.evidence.source) for v in asset.fields["firmware"]}
    assert firmware == {("2.1", "capture"), ("2.7.1", "scan")}
    assert asset.value("firmware") == "2.7.1", "the device's own latest answer wins the display"


def test_a_field_learnt_passively_and_actively_shows_both_evidences(tmp_path: Path) -> None:
    with SqlStore(tmp_path / "otm.db") as store:
        _passive(store, firmware="2.7.1")
        scan_network(OPTIONS, store, plant(), VirtualClock())
        asset = store.asset(MODBUS)
    assert asset is not None
    vendor = {(v.value, v.evidence.source) for v in asset.fields["vendor"]}
    assert vendor == {("Acme Controls", "capture"), ("Acme Controls", "scan")}


def test_dry_run_lists_requests_and_sends_nothing() -> None:
    lines: list[str] = []
    options = ScanOptions(allow=["10.0.0.0/29"], targets=[S7], protocols=["s7"])
    items = dry_run(options, lines.append)
    assert len(items) == len(lines) == 7
    assert lines[0].startswith("s7comm   10.0.0.4        tcp/102    cotp_connection_request")
    assert "03 00 00 16 11 e0" in lines[0] and lines[0].endswith("# rack 0 slot 2, first")


# -- the command -------------------------------------------------------------------------------


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """otm (test harness)."""

    register(app)
    return app


runner = CliRunner()


def test_cli_dry_run_prints_the_plan() -> None:
    result = runner.invoke(
        _app(),
        ["scan", "--allow", "10.0.0.0/29", "--target", MODBUS, "--protocol", "modbus", "--dry-run"],
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("read_device_identification") == 9
    assert "report_server_id (identify)" in result.output


@pytest.mark.parametrize(
    "args,message",
    [
        (["--allow", "10.0.0.0/29", "--target", "10.0.1.1"], "outside the allowed networks"),
        (["--allow", "10.0.0.0/29", "--target", "10.0.0.7"], "broadcast"),
        (["--allow", "10.0.0.1/29"], "not a network"),
        (["--allow", "10.0.0.0/29", "--protocol", "dnp3"], "unknown protocol dnp3"),
        (["--allow", "10.0.0.0/29", "--broadcast", "10.0.1.0/24"], "not inside"),
        (["--allow", "10.0.0.0/8"], "more than"),
    ],
)
def test_cli_refuses_what_is_out_of_scope_with_one_line(args: list[str], message: str) -> None:
    result = runner.invoke(_app(), ["scan", *args, "--dry-run"])
    assert result.exit_code == 1
    assert message in result.output.replace("\n", " ")
    assert "Traceback" not in result.output


def test_cli_scan_stores_and_prints_json(tmp_path: Path) -> None:
    db = tmp_path / "scan.db"
    result = runner.invoke(
        _app(),
        ["scan", "--allow", "127.0.0.93/32", "--protocol", "modbus,s7", "--timeout", "0.3",
         "--retries", "0", "--rate", "50", "--db", str(db), "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    # Nothing listens on 127.0.0.93 (no other test uses it): one connect per
    # protocol, refused (or, on a loaded machine, timed out) and not retried.
    assert data["devices"] == [] and data["requests"] == 2
    with SqlStore(db) as store:
        assert [s.kind for s in store.sources()] == ["scan"]
