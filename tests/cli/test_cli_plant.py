"""The plant-map commands on the demo plant (``otm demo-capture``), on SQLite and
PostgreSQL: load the plant file, show zones, levels and processes, override a
level, impact and exposure, and the errors a user meets.

In process (typer's runner) on an application with only these commands
registered, plus one run of the real ``otm`` application with them wired in
as ``cli/app.py`` does, in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner, Result

from otm.cli import plant as plant_cli
from otm.services.analysis import analyze_captures
from otm.services.demo import write_demo_capture
from otm.store import SqlStore

SITE = """\
schema: otm.plant/1
zones:
  - name: control
    level: 1
    subnets: [10.10.1.0/24]
  - name: supervisory
    level: 2
    subnets: [10.10.2.0/24]
  - name: grid
    subnets: [10.10.3.0/24]
processes:
  - path: Demo/Site/Packaging/Line3
    criticality: 5
    assets: ["PLC-3"]
  - path: Demo/Site/Packaging/Line1
    criticality: 3
    assets: ["ip:10.10.1.10"]
  - path: Demo/Site/Grid/Feeder
    criticality: 4
    assets: ["ip:10.10.3.20", "ip:10.10.3.30"]
names: {"ip:10.10.1.30": "PLC-3", "ip:10.10.2.50": "HMI-1"}
"""
"""The demo plant's S7-300 (10.10.1.30) is PLC-3, the PLC of line 3."""

app = typer.Typer()
plant_cli.register(app)


@app.callback()
def _root() -> None:
    """otm (test application)."""


@pytest.fixture(scope="module")
def demo_capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "plant.pcap"
    write_demo_capture(path)
    return path


@pytest.fixture
def db(store_url: str, demo_capture: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A database holding the demo plant's inventory; wide output for the tables."""
    with SqlStore(store_url) as store:
        analyze_captures([demo_capture], store, 0.0)
    monkeypatch.setattr(plant_cli, "console", Console(width=250))
    monkeypatch.setattr(plant_cli, "err", Console(width=250, stderr=True, soft_wrap=True))
    yield store_url


@pytest.fixture
def site(tmp_path: Path) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(SITE, encoding="utf-8")
    return path


def otm(*args: str, db: str, code: int = 0) -> Result:
    result = CliRunner().invoke(app, [*args, "--db", db], catch_exceptions=False)
    assert result.exit_code == code, f"otm {' '.join(args)}: {result.output}"
    return result


def test_plant_load_then_every_view(db: str, site: Path) -> None:
    loaded = otm("plant", "load", str(site), db=db)
    assert f"loaded {site}: 3 zones, 0 conduits, 3 processes, 0 levels, 0 tags, 2 names" in (
        loaded.stdout
    )
    assert loaded.stderr == ""

    zones = otm("zones", db=db).stdout
    for text in ("Zones (", "Members", "Conduits (", "Links that skip Purdue levels"):
        assert text in zones
    assert "declared zone control: subnet 10.10.1.0/24 holds 10.10.1.30" in zones

    doc = json.loads(otm("zones", "--format", "json", db=db).stdout)
    assert [z["name"] for z in doc["zones"]][:3] == ["control", "supervisory", "grid"]
    control = doc["zones"][0]
    assert sorted(m["name"] for m in control["members"]) == ["10.10.1.10", "10.10.1.20", "PLC-3"]
    assert any(c["from"] == "supervisory" and c["to"] == "control" for c in doc["conduits"])

    levels = {r["name"]: r for r in json.loads(otm("levels", "-f", "json", db=db).stdout)}
    assert (levels["PLC-3"]["level"], levels["PLC-3"]["source"]) == ("1", "declared")
    assert (levels["HMI-1"]["level"], levels["HMI-1"]["zone"]) == ("2", "supervisory")
    table = otm("levels", db=db).stdout
    assert "Purdue levels (19 assets)" in table
    assert "[dim]" not in table  # markup rendered, not printed

    tree = otm("processes", db=db).stdout
    for text in ("Demo (enterprise)", "Line3 (line, criticality 5)", "PLC-3 declared: selector"):
        assert text in tree
    procs = json.loads(otm("processes", "--format", "json", db=db).stdout)
    assert [n["path"] for n in procs] == ["Demo"]


def test_zones_and_processes_load_replace_only_their_section(
    db: str, site: Path, tmp_path: Path
) -> None:
    otm("plant", "load", str(site), db=db)
    zones = tmp_path / "zones.yaml"
    zones.write_text(
        "schema: otm.plant/1\nzones:\n  - name: cell\n    assets: [PLC-3, PLC-9]\n",
        encoding="utf-8",
    )
    out = otm("zones", "load", str(zones), db=db)
    assert "1 zones" in out.stdout
    assert "warning: zone cell: name:PLC-9 names no asset of the inventory" in out.stderr
    doc = json.loads(otm("zones", "-f", "json", db=db).stdout)
    assert doc["zones"][0]["name"] == "cell"
    assert [m["name"] for m in doc["zones"][0]["members"]] == ["PLC-3"]
    # the processes stayed
    assert "Line3" in otm("processes", db=db).stdout
    out = otm("processes", "load", str(zones), db=db, code=1)
    assert "processes: the document has no such section" in out.stderr
    otm("processes", "load", str(site), db=db)
    assert json.loads(otm("zones", "-f", "json", db=db).stdout)["zones"][0]["name"] == "cell"


def test_level_set_and_remove(db: str, site: Path) -> None:
    otm("plant", "load", str(site), db=db)
    out = otm("level", "set", "HMI-1", "3", db=db).stdout
    assert "level 3 for id:" in out
    assert "HMI-1" in out and "level override" in out
    levels = {r["name"]: r for r in json.loads(otm("levels", "-f", "json", db=db).stdout)}
    assert (levels["HMI-1"]["level"], levels["HMI-1"]["source"]) == ("3", "declared")
    out = otm("level", "set", "HMI-1", "auto", db=db).stdout
    assert "removed the level override id:" in out
    assert "level 2 (declared: zone supervisory" in out
    out = otm("level", "set", "10.10.1.10", "dmz", db=db).stdout
    assert "level 3.5 for ip:10.10.1.10" in out
    assert "levels:\n  ip:10.10.1.10: 3.5\n" in otm("plant", "export", db=db).stdout


def test_impact_and_exposure(db: str, site: Path) -> None:
    otm("plant", "load", str(site), db=db)
    out = otm("impact", "PLC-3", db=db).stdout
    assert "If PLC-3 fails" in out
    assert "Processes hit (" in out and "Demo/Site/Packaging/Line3" in out
    doc = json.loads(otm("impact", "10.10.1.30", "--format", "json", db=db).stdout)
    assert doc["mode"] == "fail"
    assert doc["processes"][0]["process"] == "Demo/Site/Packaging/Line3"
    assert doc["processes"][0]["criticality"] == 5
    isolated = json.loads(otm("impact", "PLC-3", "--isolate", "-f", "json", db=db).stdout)
    assert isolated["mode"] == "isolate"
    assert "If PLC-3 is isolated" in otm("impact", "PLC-3", "--isolate", db=db).stdout

    out = otm("exposure", "PLC-3", db=db).stdout
    assert "Exposure of PLC-3" in out and "zone control (trust 1)" in out
    assert "HMI-1 -[s7comm]-> PLC-3" in out
    doc = json.loads(otm("exposure", "PLC-3", "--max-paths", "1", "-f", "json", db=db).stdout)
    assert len(doc["paths"]) == 1 and doc["truncated"] is True
    assert doc["paths"][0]["hops"][0]["from_zone"] == "supervisory"


def test_plant_export_to_a_file_loads_back(db: str, site: Path, tmp_path: Path) -> None:
    otm("plant", "load", str(site), db=db)
    out = tmp_path / "back.yaml"
    otm("plant", "export", "-o", str(out), db=db)
    assert out.read_text(encoding="utf-8").startswith("schema: otm.plant/1\n")
    otm("plant", "load", str(out), db=db)


def test_errors_are_one_clear_line_each(db: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema: otm.plant/1\nzones:\n  - name: a\n    level: 9\n    vlans: [x]\n")
    out = otm("plant", "load", str(bad), db=db, code=1)
    assert out.stderr.splitlines() == [
        f"error: {bad}:4: zones[0].level: not a Purdue level: 9; use 0, 1, 2, 3, 3.5, 4 or 5 "
        "(or process, field, control, basic-control, supervisory, operations, dmz, enterprise, "
        "internet)",
        f"error: {bad}:5: zones[0].vlans[0]: Input should be a valid integer",
    ]
    assert (
        "cannot read the file: No such file"
        in otm("plant", "load", str(tmp_path / "nope.yaml"), db=db, code=1).stderr
    )
    assert "no asset 'PLC-9'" in otm("impact", "PLC-9", db=db, code=1).stderr
    assert "not a Purdue level" in otm("level", "set", "PLC-3", "6", db=db, code=1).stderr
    assert "unknown format 'csv'" in otm("levels", "-f", "csv", db=db, code=1).stderr
    assert "Traceback" not in out.output


def test_an_unreachable_database_exits_2() -> None:
    out = otm("zones", db="postgresql://otm@127.0.0.1:1/none?connect_timeout=2", code=2)
    assert out.stderr.startswith("error: cannot open the database")


def test_the_real_otm_application_with_the_commands_wired_in(
    db: str, site: Path, tmp_path: Path
) -> None:
    """What a user types, once ``cli/app.py`` calls ``plant.register(app)``."""
    script = tmp_path / "otm_wired.py"
    script.write_text(
        "from otm.cli import plant\n"
        "from otm.cli.app import app, main\n"
        "if not any(g.name == 'zones' for g in app.registered_groups):\n"
        "    plant.register(app)\n"
        "main()\n",
        encoding="utf-8",
    )
    env = dict(os.environ, OTM_DB=db, COLUMNS="200")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(script), *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )

    assert run("plant", "load", str(site)).returncode == 0
    helped = run("--help")
    for command in ("plant", "zones", "processes", "levels", "level", "impact", "exposure"):
        assert f" {command} " in helped.stdout, helped.stdout
    for command in ("analyze", "assets", "export"):  # the existing commands are still there
        assert f" {command} " in helped.stdout
    impact = run("impact", "PLC-3", "--format", "json")
    assert impact.returncode == 0, impact.stderr
    assert json.loads(impact.stdout)["processes"][0]["process"] == "Demo/Site/Packaging/Line3"
