"""The detection use case on a real store: learn, freeze, detect, accept, status, SIEM lines."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from otm.cli.app import app
from otm.services import detection as service
from otm.services import siem
from otm.store.combined import Store

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "pcaps"
GO_ONLINE = SHARED / "tia_s300_goOnline.pcapng"  # TIA Portal goes online with an S7-300
DOWNLOAD = SHARED / "tia_s300_downloadOb1.pcapng"  # ... and downloads OB1 into it
EVERYTHING = SHARED / "snap7_s300_everything.pcapng"  # snap7: upload, stop, cold restart


def otm(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == code, (result.exit_code, result.output)
    return result.output


def _alerts(db: str, *extra: str) -> list[dict[str, object]]:
    out = otm("alerts", "list", "--db", db, "-f", "json", *extra)
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_without_a_baseline_only_the_traffic_rules_fire(tmp_path: Path) -> None:
    db = str(tmp_path / "otm.db")
    otm("analyze", "-q", str(EVERYTHING), "--db", db)
    rules = {a["rule_id"] for a in _alerts(db)}
    assert {"OTM-PLC-STOP", "OTM-DEVICE-RESTART", "OTM-PROGRAM-UPLOAD"} <= rules
    assert not rules & {"OTM-NEW-ASSET", "OTM-NEW-LINK", "OTM-NEW-WRITER"}
    stop = next(a for a in _alerts(db) if a["rule_id"] == "OTM-PLC-STOP")
    assert stop["subjects"] == ["134.217.61.131", "134.217.61.211"]
    assert stop["evidence"][0]["ref"] == EVERYTHING.name  # type: ignore[index]
    table = otm("alerts", "--db", db)  # no subcommand: the open alerts
    assert "OTM-PLC-STOP" in table and "critical" in table


def test_learn_freeze_detect_and_accept(tmp_path: Path) -> None:
    db = str(tmp_path / "otm.db")
    otm("analyze", "-q", str(GO_ONLINE), "--db", db)
    assert "learning:" in otm("baseline", "learn", "--db", db)
    assert "baseline frozen" in otm("baseline", "freeze", "--db", db)
    assert "learn" in otm("baseline", "learn", "--db", db, code=1)  # frozen: refused
    out = otm("analyze", "-q", str(DOWNLOAD), "--db", db)
    assert "new alert(s)" in out
    found = _alerts(db)
    downloads = [a for a in found if a["rule_id"] == "OTM-PROGRAM-DOWNLOAD"]
    assert downloads and all(a["severity"] == "critical" for a in downloads)
    # the same capture again: re-analysed, not re-detected (counts stay)
    otm("analyze", "-q", str(DOWNLOAD), "--db", db)
    assert _alerts(db) == found
    # accept a new-operation style alert: the same traffic is then normal
    novel = [a for a in found if a["rule_id"] in ("OTM-NEW-OPERATION", "OTM-NEW-WRITER")]
    assert novel, [a["rule_id"] for a in found]
    otm("baseline", "accept", str(novel[0]["id"]), "--db", db, "-u", "ana")
    with Store(db) as store:
        stored = store.alert(str(novel[0]["id"]))
        assert stored is not None and stored.status == "accepted"
        notes = store.alert_notes(stored.id)
        assert notes[-1].user == "ana" and notes[-1].action == "accepted"
        session = service.DetectionSession(store)
        again = session.process("x", list(store.observations_of(store.sources()[-1].key)), 9e9)
        assert novel[0]["id"] not in {a.id for a in again.alerts}


def test_status_changes_notes_and_reopening(tmp_path: Path) -> None:
    db = str(tmp_path / "otm.db")
    otm("analyze", "-q", str(EVERYTHING), "--db", db)
    stop = next(a for a in _alerts(db) if a["rule_id"] == "OTM-PLC-STOP")
    alert_id = str(stop["id"])
    otm("alerts", "ack", alert_id[:16], "--db", db, "-u", "ana", "-m", "on it")
    otm("alerts", "comment", alert_id, "called the plant", "--db", db, "-u", "ana")
    otm("alerts", "close", alert_id, "--db", db, "-u", "bob")
    assert alert_id not in {a["id"] for a in _alerts(db)}  # closed: not listed by default
    assert alert_id in {a["id"] for a in _alerts(db, "--all")}
    with Store(db) as store:
        session = service.DetectionSession(store)
        session.process("again", store.observations_of(store.sources()[0].key), 1e10)
        reopened = store.alert(alert_id)
        assert reopened is not None and reopened.status == "open"
        assert reopened.data["count"] == 2
        actions = [n.action for n in store.alert_notes(alert_id)]
        assert actions == ["acknowledged", "comment", "closed", "reopen"]
    shown = otm("alerts", "show", alert_id, "--db", db)
    assert "T0858" in shown and "called the plant" in shown
    otm("alerts", "show", "NOPE", "--db", db, code=1)
    otm("alerts", "list", "--status", "weird", "--db", db, code=1)


def test_siem_lines_escape_and_carry_the_fields(tmp_path: Path) -> None:
    db = str(tmp_path / "otm.db")
    otm("analyze", "-q", str(EVERYTHING), "--db", db)
    with Store(db) as store:
        alerts = store.alerts()
    cef = list(siem.lines(alerts, "cef"))
    leef = list(siem.lines(alerts, "leef"))
    assert all(line.startswith("CEF:0|otm|otm|") for line in cef)
    stop = next(line for line in cef if "|OTM-PLC-STOP|" in line)
    assert "|10|" in stop and "src=134.217.61.131" in stop and "dst=134.217.61.211" in stop
    assert all(line.startswith("LEEF:2.0|otm|otm|") and "|^|" in line for line in leef)
    # escaping, on an alert made awkward on purpose
    odd = alerts[0]
    odd.data["message"] = "a=b \\ c\nnext | pipe ^ caret"
    odd.data["name"] = "x|y"
    line = siem.cef_line(odd)
    assert "msg=a\\=b \\\\ c\\nnext | pipe ^ caret" in line and "|x\\|y|" in line
    assert "\n" not in line
    leef_line = siem.leef_line(odd)
    assert "caret" in leef_line and "^ caret" not in leef_line
    out = tmp_path / "alerts.cef"
    otm("alerts", "export", str(out), "-f", "cef", "--db", db)
    assert out.read_text().splitlines() == cef
    otm("alerts", "export", str(out), "-f", "syslog", "--db", db, code=1)


def test_a_bad_rules_file_is_one_line(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("schema: otm.rules/1\ndisable: [NOPE]\n")
    out = otm("analyze", "-q", str(EVERYTHING), "--db", str(tmp_path / "o.db"),
              "--rules", str(rules), code=1)  # fmt: skip
    assert "disable: no rule 'NOPE'" in out
