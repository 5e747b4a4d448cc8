"""``otm hints``, ``otm show`` and the vulnerability alerts end to end, on real captures,
with what to expect read by tshark (the oracle), not by otm:

- ``mb2.pcap``: one SCADA server (141.81.0.10) polls Modbus/TCP, S7comm and EtherNet/IP
  controllers, and an office PC (141.81.0.182) talks SMB to it.  The plant file of the
  test puts the PC in an enterprise zone (level 4), the server in a supervisory zone
  (level 2) and the rest of 141.81.0.0/24 in a control zone (level 1);
- ``enip_cip_example.pcap`` and ``EIP-IPAddressChangeAttempt.pcap``: two 1756-ENBT/A
  modules, firmware 4.3 and 4.7 as their ListIdentity and identity object replies say;
  ICSA-18-310-02 lists the 1756-ENBT "all versions".

Advisories are imported first, then the captures are analysed: the analysis raises the
vulnerability alerts (the hook after an inventory change).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner
from vulns_support import ADVISORIES

from conftest import PCAPS
from otm.cli import app as app_module
from otm.cli import detection as detection_cli
from otm.cli import hints as hints_cli
from otm.cli import scan as scan_cli
from otm.cli import vulns as vulns_cli
from otm.cli.app import app
from otm.vulns.versions import Version
from tshark_support import tshark_rows

MB2 = PCAPS / "mb2.pcap"
ENIP = (PCAPS / "enip_cip_example.pcap", PCAPS / "EIP-IPAddressChangeAttempt.pcap")
OFFICE, SCADA = "141.81.0.182", "141.81.0.10"

PLANT = f"""\
schema: otm.plant/1
zones:
  - name: enterprise
    level: 4
    assets: [ip:{OFFICE}]
  - name: supervisory
    level: 2
    assets: [ip:{SCADA}]
  - name: control
    level: 1
    subnets: [141.81.0.0/24]
"""

RESPONSES = {
    "modbus": "modbus && tcp.srcport == 502",
    "s7comm": "s7comm.header.rosctr == 3",
    "enip": "enip && tcp.srcport == 44818",
}
"""Frames a server sends back, by otm protocol name (tshark display filters)."""

WRITES = {
    "modbus": "modbus.func_code in {5,6,15,16,22,23} && tcp.dstport == 502",
    "s7comm": "s7comm.header.rosctr == 1 && s7comm.param.func == 0x05",
    "enip": "cip.service in {0x10,0x4d,0x4e,0x53} && tcp.dstport == 44818",
}
"""Requests that change the server: Modbus write functions, S7 write var, CIP
Set_Attribute_Single and Logix tag writes."""


FACES = (app_module, detection_cli, hints_cli, scan_cli, vulns_cli)
"""The command modules whose consoles print what these tests read."""


def otm(*args: str, code: int = 0) -> str:
    with pytest.MonkeyPatch.context() as patch:
        for face in FACES:  # wide tables: whatever the terminal running the tests
            patch.setattr(face, "console", Console(width=250, soft_wrap=True, highlight=False))
        result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, (args, result.output)
    return result.output


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Advisories imported, captures analysed, plant file loaded (once)."""
    folder = tmp_path_factory.mktemp("hints")
    db = str(folder / "otm.db")
    imported = otm("vulns", "import", str(ADVISORIES), "--db", db)
    analysis = otm("analyze", "-q", str(MB2), *map(str, ENIP), "--db", db)
    plant = folder / "site.yaml"
    plant.write_text(PLANT, encoding="utf-8")
    otm("plant", "load", str(plant), "--db", db)
    return {"db": db, "import": imported, "analysis": analysis}


@pytest.fixture
def db(analysed: dict[str, Any], tmp_path: Path) -> Iterator[str]:
    """A copy of the analysed database, for a test that changes it."""
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{analysed['db']}{suffix}").exists():
            shutil.copy(f"{analysed['db']}{suffix}", tmp_path / f"otm.db{suffix}")
    yield str(tmp_path / "otm.db")


def hints(db: str, *args: str) -> list[dict[str, Any]]:
    doc = json.loads(otm("hints", "--db", db, "-f", "json", *args))
    assert doc["schema"] == "otm.hints/1"
    return list(doc["hints"])


def pairs(tshark: str, capture: Path, display_filter: str) -> set[tuple[str, str]]:
    """(ip.src, ip.dst) of the frames tshark keeps."""
    rows = tshark_rows(tshark, capture, display_filter, ["ip.src", "ip.dst"])
    return {(r["ip.src"], r["ip.dst"]) for r in rows}


# -- protocols without authentication ----------------------------------------------------


def test_open_protocols_are_those_tshark_sees_answered(
    analysed: dict[str, Any], tshark: str
) -> None:
    expected: dict[tuple[str, str], set[str]] = {}
    for protocol, display_filter in RESPONSES.items():
        for server, client in pairs(tshark, MB2, display_filter):
            expected.setdefault((server, protocol), set()).add(client)
    writers = {
        (server, protocol)
        for protocol, display_filter in WRITES.items()
        for _, server in pairs(tshark, MB2, display_filter)
    }
    assert len(expected) == 29 and writers < set(expected)  # 13 Modbus, 12 S7, 4 ENIP
    found = {
        (h["address"], h["details"]["protocol"]): h
        for h in hints(analysed["db"], "--kind", "no-authentication")
        if h["address"].startswith("141.81.0.")
    }
    assert set(found) == set(expected)
    for key, hint in found.items():
        assert set(hint["details"]["clients"]) == expected[key], key
        assert hint["severity"] == ("high" if key in writers else "medium"), key
        assert {lk["server"] for lk in hint["evidence"]["links"]} == {key[0]}
        assert hint["reason"].startswith("serves ")


# -- firmware behind ----------------------------------------------------------------------


def _tshark_firmware(tshark: str) -> dict[str, dict[str, Version]]:
    """Product name -> IP -> revision, from ListIdentity and identity object replies."""
    out: dict[str, dict[str, Version]] = {}
    for capture in ENIP:
        fields = ["ip.src", "enip.lir.name", "enip.lir.revision"]
        for r in tshark_rows(tshark, capture, "enip.lir.name", fields):
            revision = int(r["enip.lir.revision"])  # major in the high byte, as tshark reads it
            version = Version.parse(f"{revision >> 8}.{revision & 0xFF}")
            assert version is not None
            out.setdefault(r["enip.lir.name"], {})[r["ip.src"]] = version
        fields = ["ip.src", "cip.id.product_name", "cip.id.major_rev", "cip.id.minor_rev"]
        for r in tshark_rows(tshark, capture, "cip.id.product_name", fields):
            version = Version.parse(f"{r['cip.id.major_rev']}.{r['cip.id.minor_rev']}")
            assert version is not None
            out.setdefault(r["cip.id.product_name"], {})[r["ip.src"]] = version
    return out


def test_firmware_behind_the_newest_of_the_model_as_tshark_reads_it(
    analysed: dict[str, Any], tshark: str
) -> None:
    seen = _tshark_firmware(tshark)
    assert seen["1756-ENBT/A"]["10.1.1.164"] == Version.parse("4.3")
    behind: dict[str, tuple[Version, Version]] = {}
    for versions in seen.values():
        newest = max(versions.values())
        for ip, version in versions.items():
            if version < newest:
                behind[ip] = (version, newest)
    found = hints(analysed["db"], "--kind", "firmware-behind")
    assert {h["address"] for h in found} == set(behind) == {"10.1.1.164"}
    (hint,) = found
    mine, newest = behind["10.1.1.164"]
    assert Version.parse(hint["details"]["firmware"]) == mine
    assert Version.parse(hint["details"]["newest"]) == newest
    assert hint["details"]["newest_on"] == ["192.168.10.120"]
    assert hint["severity"] == "low"  # the same major version
    assert hint["reason"] == (
        "firmware 4.003 is 1 release behind 4.007 seen on 192.168.10.120, the same model "
        "(1756-ENBT/A); releases are those seen in this plant"
    )


# -- reachable from the enterprise -----------------------------------------------------------


def test_reach_from_the_enterprise_follows_the_conversations(
    analysed: dict[str, Any], tshark: str
) -> None:
    smb = pairs(tshark, MB2, "tcp.dstport == 139 || tcp.dstport == 445")
    direct = {server for client, server in smb if client == OFFICE}
    assert direct == {SCADA}
    polled = {
        server
        for display_filter in RESPONSES.values()
        for server, client in pairs(tshark, MB2, display_filter)
        if client == SCADA
    }
    assert len(polled) == 29
    found = {h["address"]: h for h in hints(analysed["db"], "--kind", "enterprise-reachable")}
    assert set(found) == direct | polled
    scada = found[SCADA]
    assert scada["severity"] == "high"
    assert scada["reason"] == (
        f"reachable from the enterprise: {OFFICE} (level 4, zone enterprise) talks SMB to it"
    )
    for ip in polled:
        assert found[ip]["severity"] == "medium"
        assert found[ip]["details"]["through"] == [SCADA]
        assert found[ip]["reason"].startswith(
            f"reachable from the enterprise through another asset: {OFFICE} (level 4, zone "
            f"enterprise) talks SMB to {SCADA} (level 2, zone supervisory), which talks "
        )


# -- filters, the table, errors -----------------------------------------------------------


def test_filters_and_table(analysed: dict[str, Any]) -> None:
    db = analysed["db"]
    everything = hints(db)
    high = hints(db, "--min-severity", "high")
    assert high and {h["severity"] for h in high} == {"high"}
    assert len(high) < len(everything)
    one = hints(db, "--asset", "10.1.1.164")
    assert {h["kind"] for h in one} == {"no-authentication", "firmware-behind"}
    two = hints(db, "-k", "firmware-behind", "-k", "enterprise-reachable")
    assert {h["kind"] for h in two} == {"firmware-behind", "enterprise-reachable"}
    table = otm("hints", "--db", db, "--asset", SCADA)
    assert "Exposure hints: 1 on 1 asset (1 judged)" in table
    assert "enterprise-reachable" in table and "talks SMB to it" in table


def test_errors_a_user_meets(analysed: dict[str, Any], tmp_path: Path) -> None:
    db = analysed["db"]
    assert "'loud' is not a kind of hint" in otm("hints", "--db", db, "-k", "loud", code=1)
    assert "'worst' is not a severity" in otm(
        "hints", "--db", db, "--min-severity", "worst", code=1
    )
    assert "no asset '10.9.9.9'" in otm("hints", "--db", db, "-a", "10.9.9.9", code=1)
    assert "unknown format" in otm("hints", "--db", db, "-f", "xml", code=1)
    nowhere = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'otm.db'}"
    broken = otm("hints", "--db", nowhere, code=2)
    assert broken.startswith("error: ") and "Traceback" not in broken
    empty = str(tmp_path / "empty.db")
    assert "no exposure hint (0 assets judged)" in otm("hints", "--db", empty)


# -- an asset's hints in otm show ----------------------------------------------------------


def test_show_lists_the_asset_s_hints(analysed: dict[str, Any]) -> None:
    db = analysed["db"]
    doc = json.loads(otm("show", "10.1.1.164", "--db", db, "-f", "json"))
    assert {h["kind"] for h in doc["hints"]} == {"no-authentication", "firmware-behind"}
    assert all(h["asset"] == doc["id"] for h in doc["hints"])
    table = otm("show", "10.1.1.164", "--db", db)
    assert "Exposure hints: 2 on 1 asset" in table and "1 release behind 4.007" in table
    quiet = json.loads(otm("show", "192.168.1.24", "--db", db, "-f", "json"))
    assert quiet["hints"] == []


# -- vulnerability alerts ------------------------------------------------------------------


def test_analysis_raised_the_vulnerability_alerts(analysed: dict[str, Any], tshark: str) -> None:
    assert "vulnerability alerts" not in analysed["import"]  # no inventory yet
    assert "vulnerability alerts: 2 new, 0 updated, 0 closed as resolved" in (analysed["analysis"])
    enbt = {
        r["ip.src"]
        for capture in ENIP
        for r in tshark_rows(tshark, capture, 'enip.lir.name == "1756-ENBT/A"', ["ip.src"])
    }
    lines = otm("alerts", "list", "--rule", "OTM-KNOWN-VULNERABILITY", "--db", analysed["db"],
                "-f", "json")  # fmt: skip
    alerts = [json.loads(line) for line in lines.splitlines() if line.strip()]
    assert {a["subjects"][0] for a in alerts} == enbt == {"10.1.1.164", "192.168.10.120"}
    for a in alerts:
        assert a["severity"] == "high" and a["technique"] == "T0866"  # CVSS 8.6
        assert a["details"]["advisories"] == ["ICSA-18-310-02"]
        assert a["details"]["cves"] == ["CVE-2018-17924"]
        assert a["evidence"][0]["source"] == "capture"
        assert a["evidence"][1]["ref"] == "ICSA-18-310-02 rev 2"


def test_alerts_show_export_and_a_second_import(db: str, tmp_path: Path) -> None:
    table = otm("alerts", "--db", db)
    assert "OTM-KNOWN-VULNERABILITY" in table
    lines = otm("alerts", "list", "--rule", "OTM-KNOWN-VULNERABILITY", "--db", db, "-f", "json")
    first = json.loads(lines.splitlines()[0])
    shown = otm("alerts", "show", first["id"], "--db", db)
    assert "T0866 Exploitation of Remote Services" in shown
    assert "ICSA-18-310-02 rev 2" in shown and "by catalog number 1756-ENBT" in shown
    for fmt in ("cef", "leef"):
        out = tmp_path / f"alerts.{fmt}"
        otm("alerts", "export", str(out), "--db", db, "-f", fmt)
        rows = out.read_text(encoding="utf-8").splitlines()
        assert sum("|OTM-KNOWN-VULNERABILITY|" in row for row in rows) == 2
    again = otm("vulns", "import", str(ADVISORIES), "--db", db)
    assert "38 unchanged" in again and "vulnerability alerts" not in again  # nothing new


def test_a_scan_raises_them_too(tmp_path: Path) -> None:
    """The inventory changes with a scan: the alerts follow (here a scan of a closed port
    rebuilds the inventory of an S7-300 capture analysed without detection)."""
    db = str(tmp_path / "otm.db")
    otm("analyze", "-q", "--no-detect", str(PCAPS / "snap7_s300_everything.pcapng"), "--db", db)
    off = tmp_path / "off.yaml"
    off.write_text("schema: otm.rules/1\ndisable: [OTM-KNOWN-VULNERABILITY]\n", encoding="utf-8")
    imported = otm("vulns", "import", str(ADVISORIES), "--rules", str(off), "--db", db)
    assert "vulnerability alerts" not in imported  # the site disabled the rule
    bad = otm("scan", "--allow", "127.0.0.1/32", "--rules", str(tmp_path / "none.yaml"),
              "--db", db, code=1)  # fmt: skip
    assert "cannot read" in bad and "Scan" not in bad  # refused before scanning
    scanned = otm("scan", "--allow", "127.0.0.1/32", "--target", "127.0.0.1", "--protocol",
                  "modbus", "--timeout", "0.2", "--retries", "0", "--db", db)  # fmt: skip
    assert "vulnerability alerts: 1 new, 0 updated, 0 closed as resolved" in scanned
    lines = otm("alerts", "list", "--rule", "OTM-KNOWN-VULNERABILITY", "--db", db, "-f", "json")
    (alert,) = [json.loads(line) for line in lines.splitlines() if line.strip()]
    assert alert["subjects"] == ["134.217.61.211"] and alert["count"] == 3
