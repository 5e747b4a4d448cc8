"""The demo site's plant file against the demo capture: what the README's first command shows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

OTM = [sys.executable, "-m", "otm"]


def _otm(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*OTM, *args, "--db", str(db)], capture_output=True, text=True, check=False
    )


def test_demo_site_plant_file_names_real_assets_and_impact_is_as_built(tmp_path: Path) -> None:
    db = tmp_path / "otm.db"
    cap, site = tmp_path / "plant.pcap", tmp_path / "site.yaml"
    made = subprocess.run([*OTM, "demo-capture", str(cap), "--plant", str(site)],
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert "plant file" in made.stdout
    assert _otm("analyze", str(cap), "-q", db=db).returncode == 0
    loaded = _otm("plant", "load", str(site), db=db)
    assert loaded.returncode == 0, loaded.stderr
    assert "warning" not in loaded.stderr  # every selector names an asset of the capture
    report = json.loads(_otm("impact", "PLC-3", "--format", "json", db=db).stdout)
    assert [p["process"] for p in report["processes"]] == ["Demo/Site/Packaging/Line3"]
    hit = {a["name"]: a["kind"] for a in report["assets"]}
    assert hit["HMI-1"] == "supervision" and hit["EWS-1"] == "supervision"
    # Line 4's PLC, which the same HMI polls, is not hit when PLC-3 fails.
    assert "PLC-4" not in hit
    svg = tmp_path / "plant.svg"
    assert _otm("map", "--out", str(svg), db=db).returncode == 0
    text = svg.read_text()
    assert text.startswith("<") and "PLC-3" in text and "SCADA-1" in text
