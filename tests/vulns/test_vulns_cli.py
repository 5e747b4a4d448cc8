"""``otm vulns`` through typer's runner: import the shared advisories (again, newer,
older, broken), list the affected devices of analysed shared captures in each
format, and the errors a user meets (one line, exit 1; database, exit 2).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner, Result
from vulns_support import ADVISORIES

from conftest import PCAPS
from otm.cli import vulns as vulns_cli
from otm.cli.app import app as otm_app
from otm.services.analysis import analyze_captures
from otm.store.vulns import VulnStore

app = typer.Typer()
vulns_cli.register(app)


@app.callback()
def _root() -> None:
    """otm (test application)."""


CAPTURES = ("snap7_s300_everything.pcapng", "omron_test.pcap", "S7-1200-Uploading-OB1-TIAV12.pcap")


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file with the inventory of three shared captures (analysed once)."""
    path = tmp_path_factory.mktemp("vulns") / "template.db"
    with closing(VulnStore(f"sqlite:///{path}")) as store:
        analyze_captures([PCAPS / c for c in CAPTURES], store, 0.0)
    return path


@pytest.fixture
def db(analysed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A copy of that database for one test; wide tables."""
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{analysed}{suffix}").exists():
            shutil.copy(f"{analysed}{suffix}", tmp_path / f"otm.db{suffix}")
    monkeypatch.setattr(vulns_cli, "console", Console(width=300, soft_wrap=True))
    monkeypatch.setattr(vulns_cli, "err", Console(width=300, stderr=True, soft_wrap=True))
    yield f"sqlite:///{tmp_path / 'otm.db'}"


def otm(*args: str, db: str, code: int = 0) -> Result:
    result = CliRunner().invoke(app, ["vulns", *args, "--db", db], catch_exceptions=False)
    assert result.exit_code == code, f"otm vulns {' '.join(args)}: {result.output}"
    return result


def _with_revision(tmp_path: Path, name: str, revision: str, date: str) -> Path:
    doc = json.loads((ADVISORIES / name).read_bytes())
    doc["document"]["tracking"]["version"] = revision
    doc["document"]["tracking"]["current_release_date"] = date
    path = tmp_path / f"rev{revision}" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_import_list_and_formats(db: str, tmp_path: Path) -> None:
    first = otm("import", str(ADVISORIES), db=db)
    assert "38 files: 38 imported" in first.stdout
    assert first.stderr == ""
    again = otm("import", str(ADVISORIES), db=db)
    assert "38 files: 38 unchanged" in again.stdout

    table = otm(db=db).stdout
    assert "Known vulnerabilities: 7 matches on 3 devices (6 assets, 38 advisories)" in table
    for text in (
        "ICSA-22-104-06",
        "CVE-2022-25622",
        "5.3 medium",
        "high",
        "ICSA-23-073-01",
        "9.1 critical",
        "Update to V3.2.19 or later version",
    ):
        assert text in table
    assert "[" not in table.replace("[CSAF", "")  # markup rendered, not shown

    doc = json.loads(otm("--format", "json", db=db).stdout)
    assert doc["schema"] == "otm.vulns/1"
    assert (doc["advisories"], doc["assets"], len(doc["matches"])) == (38, 6, 7)
    s7 = next(m for m in doc["matches"] if m["advisory"]["id"] == "ICSA-22-104-06")
    assert s7["address"] == "134.217.61.211"
    assert s7["product"] == {
        "id": "CSAFPID-00028",
        "name": "SIMATIC S7-300 CPU 315-2 PN/DP (6ES7315-2EH14-0AB0)",
        "vendor": "Siemens",
        "version": "vers:all/<V3.2.19",
    }
    assert s7["confidence"] == "high" and s7["cves"] == ["CVE-2022-25622"]
    assert s7["cvss"]["score"] == 5.3 and s7["cvss"]["vector"].startswith("CVSS:3.1/")
    fix = s7["remediations"][0]
    assert (fix["category"], fix["details"]) == ("vendor_fix", "Update to V3.2.19 or later version")
    assert "order number 6ES7315-2EH14-0AB0" in s7["reason"]

    rows = list(csv.DictReader(io.StringIO(otm("-f", "csv", db=db).stdout)))
    assert len(rows) == 7
    assert rows[0]["confidence"] == "high"
    assert {r["advisory"] for r in rows} >= {"ICSA-22-104-06", "ICSA-22-179-02"}

    only = json.loads(otm("--asset", "10.1.1.164", "-f", "json", db=db).stdout)
    assert {m["advisory"]["id"] for m in only["matches"]} == {"ICSA-23-073-01", "ICSA-22-179-02"}
    high = json.loads(otm("--min-confidence", "high", "-f", "json", db=db).stdout)
    assert {m["confidence"] for m in high["matches"]} == {"high"} and len(high["matches"]) == 4

    listed = json.loads(otm("advisories", "--format", "json", db=db).stdout)["advisories"]
    assert len(listed) == 38
    assert listed[0]["id"] == "ICSA-18-065-01" and listed[0]["current_release"] == (
        "2018-03-06T00:00:00Z"
    )
    assert "ICSA-24-284-20" in otm("advisories", db=db).stdout


def test_newer_revision_replaces_older_is_kept(db: str, tmp_path: Path) -> None:
    name = "icsa-22-179-02.json"
    otm("import", str(ADVISORIES / name), db=db)
    newer = _with_revision(tmp_path, name, "2", "2023-01-01T00:00:00Z")
    out = otm("import", str(newer), db=db).stdout
    assert "updated" in out and "ICSA-22-179-02 rev 2" in out
    out = otm("import", str(ADVISORIES / name), db=db).stdout
    assert "kept" in out and "the stored revision 2 of 2023-01-01 is newer" in out
    rows = json.loads(otm("advisories", "-f", "json", db=db).stdout)["advisories"]
    assert [(r["id"], r["revision"]) for r in rows] == [("ICSA-22-179-02", "2")]


def test_broken_files_are_rejected_one_line_each(db: str, tmp_path: Path) -> None:
    folder = tmp_path / "feed"
    folder.mkdir()
    shutil.copy(ADVISORIES / "icsa-22-104-06.json", folder)
    (folder / "provider-metadata.json").write_text('{"canonical_url": "x"}', encoding="utf-8")
    (folder / "truncated.json").write_bytes((ADVISORIES / "icsa-18-310-02.json").read_bytes()[:500])
    (folder / "notes.txt").write_text("not looked at", encoding="utf-8")
    result = otm("import", str(folder), str(tmp_path / "missing.json"), db=db, code=1)
    assert "4 files: 1 imported, 3 rejected" in result.stdout
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 3
    assert any("provider-metadata.json: $: not a CSAF document" in e for e in errors)
    assert any("truncated.json: $: not JSON" in e for e in errors)
    assert any("missing.json: no such file or directory" in e for e in errors)
    assert "Traceback" not in result.output
    assert otm("import", str(tmp_path / "empty-dir"), db=db, code=1)


def test_errors_a_user_meets(db: str, tmp_path: Path) -> None:
    assert "no advisories imported" in otm(db=db).stdout
    otm("import", str(ADVISORIES), db=db)
    unknown = otm("--asset", "10.9.9.9", db=db, code=1)
    assert "no asset '10.9.9.9'" in unknown.stderr
    bad = otm("--min-confidence", "certain", db=db, code=1)
    assert "'certain' is not a confidence" in bad.stderr
    assert "unknown format" in otm("-f", "xml", db=db, code=1).stderr
    assert (
        "no device matches"
        in otm("--asset", "192.168.1.191", "--min-confidence", "high", db=db).stdout
    )
    nowhere = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'otm.db'}"
    broken = otm("advisories", db=nowhere, code=2)
    assert broken.stderr.startswith("error: ")
    assert len(broken.stderr.strip().splitlines()) == 1


def test_the_otm_application_has_the_commands(tmp_path: Path) -> None:
    db = str(tmp_path / "otm.db")
    result = CliRunner().invoke(otm_app, ["vulns", "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    for command in ("import", "advisories", "--min-confidence", "--asset"):
        assert command in result.output
    listed = CliRunner().invoke(otm_app, ["vulns", "advisories", "--db", db])
    assert listed.exit_code == 0 and "no advisories imported" in listed.output
