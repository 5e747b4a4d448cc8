"""``otm monitor``, ``otm health``, ``otm alarms`` and ``otm history`` through the real
application (``otm.cli.app.app``, typer's runner), and the health that ``otm assets``,
``otm show`` and ``otm export`` now carry.

The slow half runs ``otm monitor --duration 3`` once against a real Modbus/TCP
device (pymodbus's server in its own process, as the polling tests use) and reads
what it left with every command; tests that act copy that database first.  The
fast half builds the alarm state through the service, as a monitor would leave
it, for the operator actions, their exit codes (0 done, 1 failed or bad option,
2 database error, 3 a running monitor did not answer) and the error lines.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from otm.cli import app as app_cli
from otm.cli import monitor as monitor_cli
from otm.cli.app import app
from otm.historian import Historian
from otm.observations.records import Evidence, TagSample
from otm.services import alarms as alarm_service
from otm.store.monitoring import MonitoringStore

POLLING = Path(__file__).resolve().parents[1] / "polling"
if str(POLLING) not in sys.path:  # the test folders are not packages
    sys.path.insert(0, str(POLLING))

from poll_support import HOST, REAL_DEVICES, DeviceProcess, free_port, python  # noqa: E402

ALARMS = f"""\
schema: otm.alarms/1
shelve_max: 3600
alarms:
  - {{name: level, kind: limit, device: {HOST}, tag: L3.LEVEL, hi: 3, priority: high}}
  - {{name: press, kind: limit, device: {HOST}, tag: L3.PRESS, hi: 100}}
  - {{name: plc-down, kind: device_down, device: {HOST}}}
"""
"""The device's register n holds n: L3.LEVEL (hr 40006) reads 5, above its hi of 3;
L3.PRESS (ir 30020) reads 19, below 100."""


def tags_file(port: int) -> str:
    return f"""\
schema: otm.tags/1
devices:
  - name: line3-plc
    protocol: modbus
    host: {HOST}
    port: {port}
    interval: 0.2
    timeout: 2.0
    health_interval: 0.5
    tags:
      - {{name: L3.LEVEL, address: "hr:40006", type: uint16}}
      - {{name: L3.PRESS, address: "ir:30020", type: uint16}}
"""


def otm(*args: str, db: str | Path, code: int = 0) -> Result:
    result = CliRunner().invoke(app, [*args, "--db", str(db)], catch_exceptions=False)
    assert result.exit_code == code, f"otm {' '.join(args)}: {result.output}"
    return result


def as_json(*args: str, db: str | Path) -> Any:
    return json.loads(otm(*args, "--format", "json", db=db).stdout)


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables wide enough not to fold the values the tests look for."""
    for module in (app_cli, monitor_cli):
        monkeypatch.setattr(module, "console", Console(width=250))
        monkeypatch.setattr(module, "err", Console(width=250, stderr=True, soft_wrap=True))


# -- one real monitoring run -------------------------------------------------------


@dataclass(frozen=True)
class Monitored:
    """What ``otm monitor`` left: the database, when it ran, what it said."""

    db: Path
    started: float
    stopped: float
    run: Result


@pytest.fixture(scope="module")
def monitored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monitored]:
    folder = tmp_path_factory.mktemp("monitor")
    port = free_port()
    (folder / "tags.yaml").write_text(tags_file(port), encoding="utf-8")
    (folder / "alarms.yaml").write_text(ALARMS, encoding="utf-8")
    db = folder / "otm.db"
    device = DeviceProcess(
        python(REAL_DEVICES / "modbus_device.py", HOST, str(port), "Acme", "AC-1", "1.0", "PLC")
    ).start()
    args = ["monitor", str(folder / "tags.yaml"), "--alarms", str(folder / "alarms.yaml")]
    try:
        with pytest.MonkeyPatch.context() as patch:
            for module in (app_cli, monitor_cli):  # no wrapped summary line
                patch.setattr(module, "console", Console(width=250))
                patch.setattr(module, "err", Console(width=250, stderr=True, soft_wrap=True))
            started = time.time()
            run = CliRunner().invoke(
                app, [*args, "--duration", "3", "--db", str(db)], catch_exceptions=False
            )
            stopped = time.time()
    finally:
        device.stop()
    yield Monitored(db, started, stopped, run)


def copy_of(monitored: Monitored, tmp_path: Path) -> Path:
    """The monitored database, to act on without changing what other tests read."""
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{monitored.db}{suffix}")
        if source.exists():
            shutil.copy(source, tmp_path / f"otm.db{suffix}")
    return tmp_path / "otm.db"


@pytest.mark.slow
def test_monitor_run_says_what_it_did(monitored: Monitored) -> None:
    run = monitored.run
    assert run.exit_code == 0, run.output
    assert f"monitoring line3-plc (modbus {HOST}); Ctrl-C stops" in run.stderr
    assert f"health {HOST}: up" in run.stderr or f"health {HOST}: degraded" in run.stderr
    assert "alarm level.hi#1 [high] normal -> unacknowledged value=5" in run.stderr
    (line,) = run.stdout.splitlines()
    assert " 0 held, 0 dropped)" in line and line.endswith(", 1 alarms active")
    samples = int(line.split(" samples")[0])
    assert samples >= 10  # two tags every 0.2 s for 3 s, less a slow start
    assert monitored.stopped - monitored.started < 15
    # the run released the engine as it stopped
    store = MonitoringStore(monitored.db)
    try:
        (only,) = store.monitor_runs()
        assert only.stopped_at is not None and only.summary["samples"] == samples
        assert store.live_run(time.time()) is None
    finally:
        store.close()


@pytest.mark.slow
def test_health_in_every_format(monitored: Monitored) -> None:
    db = monitored.db
    (row,) = as_json("health", db=db)
    assert (row["address"], row["protocol"], row["state"]) == (HOST, "modbus", "up")
    assert row["error_rate"] == 0.0 and row["rtt_ms"] is not None and row["rtt_ms"] < 2000
    for key in ("since", "last_good", "reported"):
        moment = datetime.fromisoformat(row[key]).timestamp()
        assert monitored.started <= moment <= monitored.stopped, key

    (from_csv,) = list(csv.DictReader(io.StringIO(otm("health", "-f", "csv", db=db).stdout)))
    assert from_csv == {k: str(v) for k, v in row.items()}

    table = otm("health", db=db).stdout
    assert "Device health" in table
    assert f"│ {HOST} │ modbus   │ up    │ {row['since']} │" in table

    assert as_json("health", "--device", "10.0.0.1", db=db) == []

    changes = as_json("health", "--changes", db=db)
    assert changes
    assert changes[0]["previous"] is None and changes[-1]["state"] == "up"
    assert changes[-1]["time"] == row["since"]
    assert "Health changes" in otm("health", "--changes", db=db).stdout


@pytest.mark.slow
def test_polled_device_has_its_health_in_assets_show_and_export(monitored: Monitored) -> None:
    db = monitored.db
    (health,) = as_json("health", db=db)
    assets = as_json("assets", db=db)
    (polled,) = [a for a in assets if HOST in a["ips"]]
    assert polled["health"]["state"] == "up"
    assert (polled["health"]["address"], polled["health"]["protocol"]) == (HOST, "modbus")
    assert polled["health"]["since"] == health["since"]

    (row,) = list(csv.DictReader(io.StringIO(otm("assets", "-f", "csv", db=db).stdout)))
    assert row["health"] == "up"
    assert "│ health │" in otm("assets", db=db).stdout.replace("┃", "│")

    doc = json.loads(otm("export", "-f", "json", db=db).stdout)
    assert [a["health"]["state"] for a in doc["assets"]] == ["up"]

    shown = otm("show", HOST, db=db).stdout
    assert f"up since {health['since']} (modbus poll of {HOST}, " in shown
    assert "0% errors, last good " in shown
    assert json.loads(otm("show", HOST, "-f", "json", db=db).stdout)["health"] == (polled["health"])


@pytest.mark.slow
def test_alarms_list_and_journal_of_the_run(monitored: Monitored) -> None:
    db = monitored.db
    (active,) = as_json("alarms", "list", db=db)
    assert (active["alarm"], active["state"], active["priority"]) == (
        "level.hi#1",
        "unacknowledged",
        "high",
    )
    assert (active["device"], active["tag"], active["value"]) == (HOST, "L3.LEVEL", 5)
    every = as_json("alarms", "list", "--all", db=db)
    assert [(r["alarm"], r["state"]) for r in every] == [
        ("level.hi#1", "unacknowledged"),
        ("press.hi", "normal"),
        ("plc-down", "normal"),
    ]
    table = otm("alarms", "list", db=db).stdout
    assert "Alarms (1 active of 3 points, as of " in table and "level.hi#1" in table

    (entry,) = as_json("alarms", "journal", db=db)
    assert (entry["alarm"], entry["change"], entry["user"], entry["value"]) == (
        "level.hi#1",
        "normal -> unacknowledged",
        None,
        5,
    )
    assert entry["reason"] == "L3.LEVEL 5 >= hi 3"
    assert entry["time"] == active["raised"]
    assert as_json("alarms", "journal", "--alarm", "press", db=db) == []
    assert len(as_json("alarms", "journal", "--alarm", "level", "--since", "-1h", db=db)) == 1
    bad = otm("alarms", "journal", "--since", "last tuesday", db=db, code=1)
    assert bad.stderr == "error: 'last tuesday' is not a time (ISO 8601, 'now' or '-15m')\n"


@pytest.mark.slow
def test_operator_actions_on_the_monitored_database(monitored: Monitored, tmp_path: Path) -> None:
    db = copy_of(monitored, tmp_path)
    done = otm("alarms", "ack", "level.hi#1", "--user", "ana", "-m", "seen", db=db)
    assert done.stdout == (
        "acknowledge level.hi#1 by ana: level.hi: unacknowledged -> acknowledged\n"
    )
    (active,) = as_json("alarms", "list", db=db)
    assert active["state"] == "acknowledged" and active["acknowledged"].startswith("ana ")
    last = as_json("alarms", "journal", db=db)[-1]
    assert (last["alarm"], last["change"], last["user"], last["reason"]) == (
        "level.hi#1",
        "unacknowledged -> acknowledged",
        "ana",
        "seen",
    )

    out = otm(
        "alarms", "shelve", "level.hi", "--for", "2h", "-m", "swap", "-u", "bo", db=db, code=1
    )
    assert out.stderr == (
        "error: shelve level.hi: shelve of level.hi for 7200 s exceeds the 3600 s allowed "
        "(shelve_max)\n"
    )
    out = otm("alarms", "shelve", "level.hi", "--for", "30m", "-m", "swap", "-u", "bo", db=db)
    assert out.stdout == "shelve level.hi by bo: level.hi: acknowledged -> shelved\n"
    (shelved,) = as_json("alarms", "list", db=db)
    assert shelved["state"] == "shelved" and shelved["shelved"].startswith("bo until ")
    out = otm("alarms", "unshelve", "level.hi", "-u", "bo", db=db)
    assert out.stdout == "unshelve level.hi by bo: level.hi: shelved -> unacknowledged\n"


@pytest.mark.slow
def test_history_tags_query_and_export(monitored: Monitored, tmp_path: Path) -> None:
    db = monitored.db
    assert as_json("history", "tags", db=db) == [
        {"device": HOST, "tag": "L3.LEVEL"},
        {"device": HOST, "tag": "L3.PRESS"},
    ]
    low, high = monitored.started - 1, monitored.stopped + 1
    window = ("--from", iso(low), "--to", iso(high))
    with Historian(db) as historian:
        level = historian.query("L3.LEVEL", low, high)
        press = historian.query("L3.PRESS", low, high)
    assert level.samples and press.samples

    rows = as_json("history", "query", "L3.LEVEL", *window, "-a", "raw", db=db)
    assert len(rows) == len(level.samples)
    assert {(r["value"], r["quality"]) for r in rows} == {(5.0, "good")}
    assert [datetime.fromisoformat(r["time"]).timestamp() for r in rows] == pytest.approx(
        [s.time for s in level.samples], abs=1e-6
    )
    table = otm("history", "query", "L3.PRESS", *window, db=db).stdout
    assert f"L3.PRESS on {HOST} (raw, {len(press.samples)})" in table
    assert as_json("history", "query", "L3.NONE", *window, db=db) == []

    total = len(level.samples) + len(press.samples)
    out = tmp_path / "all.csv"
    assert otm("history", "export", str(out), *window, db=db).stdout == (
        f"wrote {total} rows to {out}\n"
    )
    with out.open(encoding="utf-8", newline="") as f:
        exported = list(csv.DictReader(f))
    assert len(exported) == total
    assert list(exported[0]) == ["asset_ip", "tag", "time", "value", "text", "quality"]
    assert sum(1 for r in exported if r["tag"] == "L3.PRESS" and r["value"] == "19.0") == len(
        press.samples
    )

    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "level.parquet"
    otm("history", "export", str(out), *window, "--tag", "L3.LEVEL", db=db)
    table = pq.read_table(out)
    assert table.num_rows == len(level.samples)
    assert set(table.column("tag").to_pylist()) == {"L3.LEVEL"}
    assert table.column("value").to_pylist() == [5.0] * len(level.samples)


@pytest.mark.slow
def test_history_bad_options_are_one_line(monitored: Monitored, tmp_path: Path) -> None:
    db = monitored.db
    out = otm("history", "query", "L3.LEVEL", "--from", "noon", db=db, code=1)
    assert out.stderr == "error: 'noon' is not a time (ISO 8601, 'now' or '-15m')\n"
    out = otm("history", "query", "L3.LEVEL", "-a", "5m", db=db, code=1)
    assert out.stderr == "error: unknown aggregate '5m': use raw, 1m, 1h or auto\n"
    out = otm("history", "export", str(tmp_path / "x.csv"), "--from", "-1x", db=db, code=1)
    assert len(out.stderr.splitlines()) == 1 and "'1x' is not a duration" in out.stderr
    out = otm("history", "export", str(tmp_path / "x.txt"), db=db, code=1)
    assert (
        out.stderr
        == f"error: cannot tell the format of {tmp_path / 'x.txt'}: name it .csv or .parquet\n"
    )
    out = otm("history", "export", str(tmp_path / "no" / "x.csv"), db=db, code=1)
    assert out.stderr.startswith(f"error: cannot write {tmp_path / 'no' / 'x.csv'}: ")
    assert not (tmp_path / "x.csv").exists()


# -- operator actions on a state built through the service (no device) -------------------

PLC = "10.77.0.5"


@pytest.fixture
def alarmed(tmp_path: Path) -> Path:
    """A database whose stored engine has tank.hi raised, as a monitor leaves it."""
    db = tmp_path / "otm.db"
    text = f"""\
schema: otm.alarms/1
flood: null
shelve_max: 600
alarms:
  - {{name: tank, kind: limit, device: {PLC}, tag: level, hi: 90}}
"""
    store = MonitoringStore(db)
    try:
        home = alarm_service.restore(store, text, "alarms.yaml")
        assert home is not None
        evidence = Evidence("poll", "tags.yaml", None, "modbus read_holding_registers")
        now = time.time()
        home.record(home.engine.feed([TagSample(now - 60, PLC, "level", 95.0, "good", evidence)]))
        home.save(store, now - 60)
    finally:
        store.close()
    return db


def test_ack_and_its_failures(alarmed: Path) -> None:
    out = otm("alarms", "ack", "tank.hi", "-u", "ana", db=alarmed)
    assert out.stdout == "acknowledge tank.hi by ana: tank.hi: unacknowledged -> acknowledged\n"
    again = otm("alarms", "ack", "tank.hi", "-u", "ana", db=alarmed)
    assert again.stdout == "acknowledge tank.hi by ana: nothing to do: tank.hi is acknowledged\n"
    out = otm("alarms", "ack", "tank.lo", "-u", "ana", db=alarmed, code=1)
    assert out.stderr == "error: acknowledge tank.lo: no alarm 'tank.lo'\n"
    out = otm("alarms", "ack", "tank.hi", "-u", " ", db=alarmed, code=1)
    assert out.stderr == "error: say who acts (--user)\n"


def test_shelve_for_a_bad_duration_is_one_line(alarmed: Path) -> None:
    out = otm(
        "alarms", "shelve", "tank.hi", "--for", "10x", "-m", "swap", "-u", "ana", db=alarmed, code=1
    )
    assert out.stderr == "error: '10x' is not a duration (90s, 15m, 8h, 2d)\n"
    out = otm(
        "alarms", "shelve", "tank.hi", "--for", "11m", "-m", "swap", "-u", "ana", db=alarmed, code=1
    )
    assert out.stderr == (
        "error: shelve tank.hi: shelve of tank.hi for 660 s exceeds the 600 s allowed "
        "(shelve_max)\n"
    )
    out = otm("alarms", "shelve", "tank.hi", "--for", "90s", "-m", "swap", "-u", "ana", db=alarmed)
    assert out.stdout == "shelve tank.hi by ana: tank.hi: unacknowledged -> shelved\n"
    store = MonitoringStore(alarmed)
    try:
        actions = [store.alarm_action(i) for i in (1, 2)]
        assert [(a.action, a.status) for a in actions if a is not None] == [
            ("shelve", "failed"),
            ("shelve", "done"),
        ]
    finally:
        store.close()


def test_a_monitor_that_does_not_answer_exits_3_and_leaves_it_pending(
    alarmed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kwdefaults = alarm_service.act.__kwdefaults__
    assert kwdefaults is not None
    monkeypatch.setitem(kwdefaults, "wait", 0.3)  # the command line's 10 s, shortened
    store = MonitoringStore(alarmed)
    try:
        store.claim_engine("plc-host", 4242, "tags.yaml", time.time())
        out = otm("alarms", "ack", "tank.hi", "-u", "ana", db=alarmed, code=3)
        assert len(out.stderr.splitlines()) == 1
        assert "has not taken action 1 within 0.3 s; it stays pending" in out.stderr
        assert [a.alarm for a in store.pending_alarm_actions()] == ["tank.hi"]
    finally:
        store.close()


def test_without_alarms_the_commands_say_so(tmp_path: Path) -> None:
    db = tmp_path / "otm.db"
    out = otm("alarms", "list", db=db, code=1)
    assert out.stderr == "error: no alarms are configured: run otm monitor with --alarms FILE\n"
    out = otm("alarms", "ack", "tank.hi", "-u", "ana", db=db, code=1)
    assert out.stderr == (
        "error: acknowledge tank.hi: no alarms are configured (run otm monitor with --alarms "
        "first)\n"
    )
    assert as_json("alarms", "journal", db=db) == []
    assert as_json("health", db=db) == []
    assert as_json("health", "--changes", db=db) == []
    assert as_json("history", "tags", db=db) == []
    assert "health" not in otm("assets", db=db).stdout


def test_a_database_error_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_text("not a database\n", encoding="utf-8")
    for args in (
        ("health",),
        ("alarms", "list"),
        ("alarms", "journal"),
        ("alarms", "ack", "tank.hi", "-u", "ana"),
        ("history", "tags"),
        ("history", "query", "L3.LEVEL"),
    ):
        out = otm(*args, db=bad, code=2)
        assert out.stderr.startswith("error: cannot open the database in "), args
        assert len(out.stderr.splitlines()) == 1


def test_bad_formats_exit_1(tmp_path: Path) -> None:
    db = tmp_path / "otm.db"
    for args in (("health",), ("alarms", "list"), ("alarms", "journal"), ("history", "tags")):
        out = otm(*args, "-f", "xml", db=db, code=1)
        assert out.stderr == "error: unknown format 'xml': use table, json or csv\n", args


def test_brackets_in_names_and_texts_are_printed_as_they_are(tmp_path: Path) -> None:
    """Rich reads ``[word]`` as markup: alarm names, descriptions and results must not be."""
    db = tmp_path / "otm.db"
    text = f"""\
schema: otm.alarms/1
flood: null
alarms:
  - {{name: "tank[b]", kind: bad_quality, device: {PLC}, tag: level,
     description: "[spare] feed tank"}}
"""
    store = MonitoringStore(db)
    try:
        home = alarm_service.restore(store, text, "alarms.yaml")
        assert home is not None
        evidence = Evidence("poll", "tags.yaml", None, "modbus read_holding_registers")
        bad = TagSample(time.time() - 60, PLC, "level", 0, "bad", evidence)
        home.record(home.engine.feed([bad]))
        home.save(store, time.time() - 60)
    finally:
        store.close()
    table = otm("alarms", "list", db=db).stdout
    assert "tank[b]#1" in table and "[spare] feed tank" in table
    out = otm("alarms", "ack", "tank[b]", "-u", "[ana]", db=db)
    assert out.stdout == "acknowledge tank[b] by [ana]: tank[b]: unacknowledged -> acknowledged\n"
    out = otm("alarms", "ack", "tank[i]", "-u", "ana", db=db, code=1)
    assert out.stderr == "error: acknowledge tank[i]: no alarm 'tank[i]'\n"
    assert "│ [ana] │" in otm("alarms", "journal", db=db).stdout


def test_monitor_refuses_bad_files_and_a_busy_engine(tmp_path: Path) -> None:
    """All before any device is polled: no device runs here."""
    db = tmp_path / "otm.db"
    tags = tmp_path / "tags.yaml"
    tags.write_text(tags_file(free_port()), encoding="utf-8")
    alarms = tmp_path / "alarms.yaml"
    alarms.write_text("schema: otm.alarms/1\nalarms:\n  - {name: x, kind: limit}\n")
    out = otm("monitor", str(tags), "--alarms", str(alarms), "--duration", "1", db=db, code=1)
    assert out.stderr.startswith(f"error: {alarms}:3: alarms[0].")  # before any banner
    assert "monitoring" not in out.stderr
    out = otm("monitor", str(tags), "--alarms", str(tmp_path / "none.yaml"), db=db, code=1)
    assert len(out.stderr.splitlines()) == 1 and "none.yaml" in out.stderr
    alarms.write_text(ALARMS, encoding="utf-8")
    store = MonitoringStore(db)
    try:
        store.claim_engine("plc-host", 4242, "other.yaml", time.time())
        out = otm("monitor", str(tags), "--alarms", str(alarms), "--duration", "1", db=db, code=2)
        assert "\nerror: a monitor already runs on " in out.stderr
        assert "(pid 4242 on plc-host" in out.stderr
        assert len(store.monitor_runs()) == 1
    finally:
        store.close()
