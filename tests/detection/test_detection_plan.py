"""Learning bounded in time (``otm baseline learn --for``) and scoped to zones
(``--zone``), on real captures through the command line; times from tshark."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from otm.cli.app import app
from otm.services import detection as service
from otm.store.combined import Store

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "pcaps"
EVERYTHING = SHARED / "snap7_s300_everything.pcapng"  # setup + SZL reads, then uploads from 17
GO_ONLINE = SHARED / "tia_s300_goOnline.pcapng"  # TIA Portal goes online with an S7-300
DOWNLOAD = SHARED / "tia_s300_downloadOb1.pcapng"  # ... and downloads OB1 into it
NOVELTY = {"OTM-NEW-OPERATION", "OTM-NEW-WRITER", "OTM-NEW-LINK", "OTM-NEW-ASSET"}


def otm(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == code, (result.exit_code, result.output)
    return result.output


def _alerts(db: str) -> list[dict[str, object]]:
    out = otm("alerts", "list", "--db", db, "-f", "json", "--all")
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def _frame_time(capture: Path, frame: int) -> float:
    out = subprocess.run(
        ["tshark", "-r", str(capture), "-Y", f"frame.number=={frame}", "-T", "fields",
         "-e", "frame.time_epoch"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return float(out.split()[0])


def test_learning_for_a_time_freezes_by_itself_in_the_traffic_s_own_clock(tmp_path: Path) -> None:
    db = str(tmp_path / "otm.db")
    start, cut = _frame_time(EVERYTHING, 1), _frame_time(EVERYTHING, 17)
    span = cut - start  # the setup and identity reads; the uploads start at frame 17
    otm("baseline", "learn", "--for", f"{span:.6f}s", "--db", db)
    out = otm("analyze", "-q", str(EVERYTHING), "--db", db)
    assert "the baseline is frozen now" in out
    with Store(db) as store:
        status = service.baseline_status(store)
        assert status.frozen and not status.plan.scopes  # the plan is done
        base = status.baseline
        assert base is not None and base.first is not None and base.first >= start
        # The setup is learnt, the block uploads that start at frame 17 are not.
        learnt = set().union(*base.operations.values())
        assert "setup_communication" in learnt or "read_szl" in learnt, learnt
        assert not {n for n in learnt if "upload" in n}, learnt
    found = _alerts(db)
    novel = [a for a in found if a["rule_id"] in NOVELTY]
    assert novel, "the uploads after the cut are new to a baseline of the setup"
    assert all(float(str(a["first_seen"])) >= cut for a in novel)


def test_without_a_time_limit_the_same_capture_is_all_learnt(tmp_path: Path) -> None:
    db = str(tmp_path / "otm.db")
    otm("baseline", "learn", "--db", db)
    out = otm("analyze", "-q", str(EVERYTHING), "--db", db)
    assert "frozen now" not in out
    assert not [a for a in _alerts(db) if a["rule_id"] in NOVELTY]


def _plant(tmp_path: Path, zone_subnet: str) -> Path:
    plant = tmp_path / "plant.yaml"
    plant.write_text(
        f"schema: otm.plant/1\nzones:\n  - {{name: cell-2, level: 1, subnets: [{zone_subnet}]}}\n",
        encoding="utf-8",
    )
    return plant


@pytest.mark.parametrize("zone_learns", [True, False], ids=["zone-learning", "zone-frozen"])
def test_a_learning_zone_is_learnt_while_the_site_stays_frozen(
    tmp_path: Path, zone_learns: bool
) -> None:
    db = str(tmp_path / "otm.db")
    otm("analyze", "-q", str(GO_ONLINE), "--db", db)
    otm("baseline", "learn", "--db", db)
    otm("baseline", "freeze", "--db", db)
    # Both hosts of the captures are in 134.217.61.0/24 (tshark: ip.src/ip.dst).
    otm("plant", "load", str(_plant(tmp_path, "134.217.61.0/24")), "--db", db)
    if zone_learns:
        assert "cell-2" in otm("baseline", "learn", "--zone", "cell-2", "--db", db)
        assert "zone cell-2 until frozen" in otm("baseline", "show", "--db", db)
    otm("analyze", "-q", str(DOWNLOAD), "--db", db)
    rules = {str(a["rule_id"]) for a in _alerts(db)}
    assert "OTM-PROGRAM-DOWNLOAD" in rules  # judged in any phase
    if zone_learns:
        assert not rules & NOVELTY
        # What the zone learnt is normal once it is frozen too: the same capture again.
        otm("baseline", "freeze", "--zone", "cell-2", "--db", db)
        with Store(db) as store:
            baseline, _ = service.load_baseline(store)
            assert baseline is not None and baseline.frozen
            assert ("134.217.61.131", "134.217.61.211") in {
                (c, s) for c, s, _p, _port in baseline.links
            }
    else:
        assert rules & NOVELTY


def test_zone_learning_needs_a_frozen_site_and_a_known_zone(tmp_path: Path) -> None:
    db = str(tmp_path / "otm.db")
    otm("analyze", "-q", str(GO_ONLINE), "--db", db)
    otm("baseline", "learn", "--db", db)
    assert "still learning" in otm("baseline", "learn", "--zone", "cell-2", "--db", db, code=1)
    otm("baseline", "freeze", "--db", db)
    assert "no zone nowhere" in otm("baseline", "learn", "--zone", "nowhere", "--db", db, code=1)
    assert "not a duration" in otm("baseline", "learn", "--for", "soon", "--db", db, code=1)
    assert "is not learning" in otm("baseline", "freeze", "--zone", "cell-2", "--db", db, code=1)
