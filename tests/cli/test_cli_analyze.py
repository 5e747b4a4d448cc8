"""The `otm` command end to end: analyse captures into a database, list, show, export.

Runs the real console script in a subprocess (what a user types), on the
demo plant otm generates and on shared public captures, against SQLite and
PostgreSQL.  The demo plant is also checked on its own: every device of the
multi-vendor site is found with its identity and role, the file is the same
bytes every time, and tshark (the oracle) dissects every protocol in it
without a malformed packet.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import PCAPS
from otm.services.demo import write_demo_capture
from tshark_support import tshark_rows

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


# --- the demo site's devices -------------------------------------------------------------

DemoDoc = dict[str, Any]


@pytest.fixture(scope="module")
def demo_site(demo_capture: Path, tmp_path_factory: pytest.TempPathFactory) -> DemoDoc:
    """The otm.inventory/1 document of the demo capture, analysed once into SQLite."""
    db = str(tmp_path_factory.mktemp("site") / "otm.db")
    otm("analyze", "-q", str(demo_capture), db=db)
    doc: DemoDoc = json.loads(otm("export", db=db).stdout)
    return doc


def _asset(doc: DemoDoc, address: str) -> DemoDoc:
    """The one asset holding ``address`` (an IP, or a MAC for layer-2-only devices)."""
    assets: list[DemoDoc] = doc["assets"]
    (asset,) = [a for a in assets if address in a["ips"] or address in a["macs"]]
    return asset


def _values(asset: DemoDoc, name: str) -> set[object]:
    return {v["value"] for v in asset["fields"].get(name, [])}


SITE_IDENTITIES = [
    pytest.param(
        "10.10.3.20",
        "dnp3",
        {
            "vendor": "Schweitzer Engineering Laboratories, Inc.",
            "model": "SEL-3530 RTAC",
            "firmware": "R151-V2",
            "serial": "1183420094",
            "name": "SUB-NORTH-RTAC1",
            "dnp3_address": 10,
        },
        id="dnp3_outstation_group0_attributes",
    ),
    pytest.param(
        "10.10.3.30", "iec104", {"iec104_common_address": 12}, id="iec104_rtu_common_address"
    ),
    pytest.param(
        "10.10.5.40",
        "bacnet",
        {
            "vendor": "Delta Controls",
            "model": "eBCON",
            "firmware": "4.40.110",
            "vendor_id": 8,
            "bacnet_device_instance": 5040,
        },
        id="bacnet_controller_i_am_and_read_property",
    ),
    pytest.param(
        "10.10.2.90",
        "opcua",
        {
            "name": "KEPServerEX/UA@ua-srv1",
            "opcua_application_uri": "urn:ua-srv1:PTC:KEPServerEX",
            "opcua_security_mode_none": "offered",
            "vendor": "PTC",
            "model": "KEPServerEX",
            "firmware": "6.15.154.0",
        },
        id="opcua_server_get_endpoints_and_build_info",
    ),
    pytest.param(
        "00:1b:1b:12:34:31",
        "profinet-dcp",
        {
            "name": "et200sp-line3",
            "profinet_type_of_station": "ET 200SP",
            "vendor_id": 0x002A,
            "device_id": 0x0313,
            "profinet_ip": "10.10.1.31",
            "profinet_device_role": "io-device",
        },
        id="profinet_device_dcp_identify",
    ),
    pytest.param(
        "10.10.2.2",
        "lldp",
        {
            "name": "sw-cell3",
            "lldp_port_id": "1/5",
            "management_ip": "10.10.2.2",
            "capabilities": "bridge",
            "description": "Hirschmann Railswitch RSP35 HiOS-3S-08.7.01",
            "vendor": "Hirschmann",
        },
        id="switch_lldp_and_snmp_system_group",
    ),
]


@pytest.mark.parametrize(("address", "protocol", "expected"), SITE_IDENTITIES)
def test_demo_site_device_identity(
    demo_site: DemoDoc, address: str, protocol: str, expected: dict[str, object]
) -> None:
    asset = _asset(demo_site, address)
    for name, value in expected.items():
        assert value in _values(asset, name), (name, asset["fields"].get(name))
    assert (protocol, "server") in {(p["name"], p["role"]) for p in asset["protocols"]}


SITE_ROLES = [
    pytest.param("10.10.3.10", "scada-server", id="scada_server_masters_dnp3_and_iec104"),
    pytest.param("10.10.3.20", "rtu", id="dnp3_outstation"),
    pytest.param("10.10.3.30", "rtu", id="iec104_rtu"),
    pytest.param("10.10.1.30", "plc", id="s7_cpu_stays_plc_as_profinet_controller"),
    pytest.param("10.10.2.60", "engineering-workstation", id="ews_also_sends_dcp_identify"),
    pytest.param("10.10.5.10", "hmi", id="bms_workstation_client_of_bacnet"),
    pytest.param("10.10.2.80", "it-host", id="snmp_monitoring_host"),
    pytest.param(
        "10.10.5.40",
        "plc",
        id="bacnet_controller_is_a_controller",
    ),
    pytest.param(
        "10.10.2.95",
        "historian",
        id="opcua_client_reading_tags_is_a_historian",
    ),
    pytest.param(
        "00:1b:1b:12:34:31",
        "io-module",
        id="profinet_io_device_is_an_io_module",
    ),
    pytest.param("10.10.2.90", "scada-server", id="opcua_server_is_a_data_server"),
    pytest.param("10.10.2.2", "network-device", id="lldp_bridge_is_a_network_device"),
]


@pytest.mark.parametrize(("address", "role"), SITE_ROLES)
def test_demo_site_device_role(demo_site: DemoDoc, address: str, role: str) -> None:
    asset = _asset(demo_site, address)
    assert asset["role"] == role, asset["role_reason"]


def test_demo_site_substation_operations(demo_site: DemoDoc) -> None:
    links = {(lk["client"], lk["server"], lk["protocol"]): lk for lk in demo_site["links"]}
    dnp3 = links[("10.10.3.10", "10.10.3.20", "dnp3")]["operations"]
    assert dnp3["direct_operate"] == 1 and dnp3["read"] >= 12
    iec104 = links[("10.10.3.10", "10.10.3.30", "iec104")]["operations"]
    assert iec104["interrogation"] == 1 and iec104["single_command"] == 1
    ua = links[("10.10.2.95", "10.10.2.90", "opcua")]["operations"]
    assert ua["get_endpoints"] == 1 and ua["read"] >= 12
    assert links[("10.10.5.10", "10.10.5.40", "bacnet")]["operations"]["read_property"] >= 3
    assert links[("10.10.2.80", "10.10.2.2", "snmp")]["operations"]["get"] >= 1
    assert links[("00:1b:1b:12:34:30", "00:1b:1b:12:34:31", "profinet-rt")]["packets"] >= 10


def test_demo_capture_is_the_same_bytes_every_time_and_small(
    demo_capture: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again.pcap"
    frames = write_demo_capture(again)
    assert again.read_bytes() == demo_capture.read_bytes()
    assert 500 < frames < 3000


TSHARK_SHOWS = {
    "dnp3.al.da.value": {
        "Schweitzer Engineering Laboratories, Inc.",
        "SEL-3530 RTAC",
        "R151-V2",
        "1183420094",
    },
    "dnp3.al.func": {"1", "5", "129", "0"},  # read, direct operate, response, confirm
    "iec60870_asdu.typeid": {"100", "45", "1", "13", "36"},
    "iec60870_asdu.addr": {"12"},
    "bacapp.vendor_identifier": {"8"},
    "bacapp.property_identifier": {"121", "70", "44", "85"},
    "opcua.ApplicationUri": {"urn:ua-srv1:PTC:KEPServerEX"},
    "opcua.MessageSecurityMode": {"0x00000001", "0x00000003"},  # None offered, and SignAndEncrypt
    "pn_dcp.suboption_device_nameofstation": {"et200sp-line3"},
    "pn_dcp.suboption_vendor_id": {"0x002a"},
    "pn_rt.frame_id": {"32768", "32769", "65278", "65279"},  # RT out/in, DCP identify req/resp
    "lldp.tlv.system.name": {"sw-cell3"},
    "lldp.port.id": {"1/5"},
    "snmp.value.oid": {"1.3.6.1.4.1.248.11.2.1.3"},
}
"""Wireshark field -> values tshark must show somewhere in the demo capture."""

NEW_DISSECTORS = frozenset(
    ("dnp3", "iec60870_104", "iec60870_asdu", "bacapp", "opcua", "pn_dcp", "pn_io", "lldp", "snmp")
)
"""tshark's protocol names for the site's protocols added to the demo."""


def test_tshark_dissects_every_demo_protocol_without_malformed_packets(
    demo_capture: Path, tshark: str, tmp_path: Path
) -> None:
    fields = ["frame.protocols", "_ws.malformed", *TSHARK_SHOWS]
    rows = tshark_rows(tshark, demo_capture, "frame", fields)
    assert len(rows) == write_demo_capture(tmp_path / "count.pcap")
    assert [r["frame.protocols"] for r in rows if r["_ws.malformed"]] == []
    dissected = {p for r in rows for p in r["frame.protocols"].split(":")}
    assert dissected >= NEW_DISSECTORS, NEW_DISSECTORS - dissected
    for name, expected in TSHARK_SHOWS.items():
        shown = {v for r in rows if r[name] for v in r[name].split("|")}
        assert expected <= shown, (name, shown)


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
