"""The conduit policy end to end, through the ``otm`` application in process
(typer's runner; SQLite and PostgreSQL): a plant file whose zones part two
shared captures' hosts, an analysis that raises OTM-CROSS-ZONE for a protocol
no conduit allows, and, the protocol allowed, another capture that raises
none; ``otm zones`` marks the observed conduits the same way.

``omron.pcap``: 10.4.14.102 reads, writes and runs the Omron PLC 10.130.130.130
over FINS (UDP 9600), and the PLC sends FINS frames back from port 9600 to the
client's port (a second, reverse link).  ``omron_test.pcap``: 10.1.1.173 talks
FINS to the PLC 10.1.1.164 over TCP and UDP 9600.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from conftest import PCAPS
from otm.cli.app import app

PLANT = """\
schema: otm.plant/1
zones:
  - name: engineering
    level: 2
    subnets: [10.4.14.0/24]
    assets: ["ip:10.1.1.173"]
  - name: control
    level: 1
    subnets: [10.130.130.0/24]
    assets: ["ip:10.1.1.164"]
conduits:
  - from: engineering
    to: control
    protocols: [{protocol}]
    ports: [{port}]
    description: the engineering station programs the PLCs
"""


def otm(*args: str, db: str) -> str:
    result = CliRunner().invoke(app, [*args, "--db", db], env={"COLUMNS": "200"})
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def cross_zone_alerts(db: str) -> list[dict[str, Any]]:
    out = otm("alerts", "list", "-f", "json", db=db)
    alerts = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [a for a in alerts if a["rule_id"] == "OTM-CROSS-ZONE"]


def test_a_protocol_no_conduit_allows_is_an_alert_and_allowed_it_is_not(
    store_url: str, tmp_path: Path
) -> None:
    plant = tmp_path / "site.yaml"
    plant.write_text(PLANT.format(protocol="modbus", port=502), encoding="utf-8")
    assert "2 zones, 1 conduits" in otm("plant", "load", str(plant), db=store_url)

    otm("analyze", "-q", str(PCAPS / "omron.pcap"), db=store_url)
    found = cross_zone_alerts(store_url)
    forward = next(a for a in found if a["subjects"] == ["10.4.14.102", "10.130.130.130"])
    assert forward["severity"] == "high" and forward["technique"] == "T0886"
    assert forward["details"]["protocol"] == "omron-fins"
    assert (forward["details"]["client_zone"], forward["details"]["server_zone"]) == (
        "engineering",
        "control",
    )
    assert forward["message"].endswith(
        "no declared conduit allows it; the conduits between them allow only "
        "engineering -> control (modbus on port 502)"
    )
    assert forward["evidence"][0]["ref"] == "omron.pcap"
    assert {tuple(a["subjects"]) for a in found} == {
        ("10.4.14.102", "10.130.130.130"),
        ("10.130.130.130", "10.4.14.102"),  # the PLC's frames back: the wrong way round
    }

    plant.write_text(PLANT.format(protocol="omron-fins", port=9600), encoding="utf-8")
    otm("plant", "load", str(plant), db=store_url)
    otm("analyze", "-q", str(PCAPS / "omron_test.pcap"), db=store_url)
    assert cross_zone_alerts(store_url) == found  # nothing new, nothing updated

    zones = json.loads(otm("zones", "-f", "json", db=store_url))
    policy = {(c["from"], c["to"]): c["policy"] for c in zones["conduits"]}
    assert policy == {
        ("control", "engineering"): "not allowed",
        ("engineering", "control"): "allowed",
    }
    table = otm("zones", db=store_url)
    assert "Links no declared conduit allows (1)" in table
    exported = otm("plant", "export", db=store_url)
    assert (
        "conduits:\n- from: engineering\n  to: control\n  protocols:\n  - omron-fins\n" in exported
    )
