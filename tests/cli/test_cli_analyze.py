"""The `otm` command end to end: analyse captures into a database, list, show, export.

Runs the real console script in a subprocess (what a user types), on the
demo plant otm generates and on shared public captures, against SQLite and
PostgreSQL.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PCAPS

OTM = [sys.executable, "-m", "otm"]


def otm(*args: str, db: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, OTM_DB=db, COLUMNS="200")
    proc = subprocess.run([*OTM, *args], capture_output=True, text=True, env=env, check=False)
    if check and proc.returncode != 0:
        pytest.fail(f"otm {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def demo_capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "plant.pcap"
    proc = subprocess.run(
        [*OTM, "demo-capture", str(path)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return path


def test_analyze_demo_plant_then_export_the_documented_shape(
    demo_capture: Path, store_url: str
) -> None:
    out = otm("analyze", str(demo_capture), db=store_url)
    assert "Inventory" in out.stdout
    doc = json.loads(otm("export", "--format", "json", db=store_url).stdout)
    assert doc["schema"] == "otm.inventory/1"
    keys = {
        "id",
        "ips",
        "macs",
        "vendor",
        "model",
        "product_code",
        "firmware",
        "serial",
        "name",
        "role",
        "protocols",
        "first_seen",
        "last_seen",
    }
    for asset in doc["assets"]:
        assert keys <= set(asset), asset
        for proto in asset["protocols"]:
            assert set(proto) >= {"name", "role", "transport", "port"}
    for link in doc["links"]:
        assert {
            "client",
            "server",
            "protocol",
            "port",
            "packets",
            "bytes",
            "first_seen",
            "last_seen",
            "operations",
        } <= set(link)
        assert link["first_seen"].endswith("Z")
    plc = next(a for a in doc["assets"] if "10.10.1.10" in a["ips"])
    assert plc["vendor"] == "Schneider Electric"
    assert plc["product_code"] == "BMX P34 2020"
    assert plc["firmware"] == "v3.40"
    assert plc["role"] == "plc"
    hmi = next(a for a in doc["assets"] if "10.10.2.50" in a["ips"])
    assert hmi["role"] == "hmi"
    polls = next(
        lk for lk in doc["links"] if lk["client"] == "10.10.2.50" and lk["server"] == "10.10.1.10"
    )
    assert polls["protocol"] == "modbus" and polls["port"] == 502
    assert polls["operations"]["read_holding_registers"] >= 60


def test_reanalysing_a_capture_does_not_duplicate(demo_capture: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "otm.db")
    otm("analyze", "-q", str(demo_capture), db=db)
    first = json.loads(otm("export", db=db).stdout)
    otm("analyze", "-q", str(demo_capture), db=db)
    second = json.loads(otm("export", db=db).stdout)
    assert first == second


def test_second_capture_merges_into_the_same_inventory(demo_capture: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "otm.db")
    otm("analyze", "-q", str(demo_capture), db=db)
    alone = json.loads(otm("export", db=db).stdout)
    otm("analyze", "-q", str(PCAPS / "modbus_example.pcap"), db=db)
    merged = json.loads(otm("export", db=db).stdout)
    ips = {ip for a in merged["assets"] for ip in a["ips"]}
    assert {ip for a in alone["assets"] for ip in a["ips"]} < ips
    assert "3.15.227.20" in ips


def test_assets_links_show_and_csv(demo_capture: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "otm.db")
    otm("analyze", "-q", str(demo_capture), db=db)
    table = otm("assets", db=db).stdout
    assert "10.10.1.10" in table and "Schneider" in table
    csv_text = otm("assets", "--format", "csv", db=db).stdout
    assert csv_text.splitlines()[0].startswith("id,ips,macs,vendor")
    assert "read_holding_registers" in otm("links", db=db).stdout
    shown = json.loads(otm("show", "10.10.1.10", "--format", "json", db=db).stdout)
    vendor = shown["fields"]["vendor"][0]
    assert vendor["value"] == "Schneider Electric"
    assert vendor["evidence"]["ref"] == "plant.pcap" and vendor["evidence"]["packet"] > 0
    assert "Schneider Electric" in otm("show", "10.10.1.10", db=db).stdout
    missing = otm("show", "10.99.99.99", db=db, check=False)
    assert missing.returncode == 1 and "no asset" in missing.stderr


def test_gzip_capture_is_read(tmp_path: Path) -> None:
    gz = tmp_path / "modbus_example.pcap.gz"
    gz.write_bytes(gzip.compress((PCAPS / "modbus_example.pcap").read_bytes()))
    db = str(tmp_path / "otm.db")
    otm("analyze", "-q", str(gz), db=db)
    doc = json.loads(otm("export", db=db).stdout)
    vendors = {a["vendor"] for a in doc["assets"]}
    assert "Zeek Modbus Test" in vendors


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"this is not a capture file at all, just text\n" * 10, "not a pcap or pcapng"),
    ],
    ids=["empty", "text"],
)
def test_non_captures_fail_clearly(tmp_path: Path, content: bytes, message: str) -> None:
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(content)
    proc = otm("analyze", "-q", str(bad), db=str(tmp_path / "otm.db"), check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert message in proc.stderr.lower()


def test_truncated_capture_keeps_what_was_read(tmp_path: Path) -> None:
    data = (PCAPS / "modbus_example.pcap").read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: len(data) * 2 // 3])
    db = str(tmp_path / "otm.db")
    proc = otm("analyze", "-q", str(cut), db=db, check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "cut.pcap" in proc.stderr
    doc = json.loads(otm("export", db=db).stdout)
    assert any("127.0.0.1" in a["ips"] for a in doc["assets"])


def test_missing_file_and_unreachable_database(tmp_path: Path) -> None:
    proc = otm("analyze", str(tmp_path / "nope.pcap"), db=str(tmp_path / "x.db"), check=False)
    assert proc.returncode == 1 and "no such file" in proc.stderr
    proc = otm("assets", db="postgresql://nobody@127.0.0.1:1/otm", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
