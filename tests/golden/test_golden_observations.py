"""Golden files: each shared capture's canonical observations, guarded against drift.

``tests/golden/data/<capture>.jsonl`` holds the observations otm emits for a
capture, one canonical JSON line each (``otm.observation/1``).  A change in
what otm extracts shows up here as a diff to review; when it is intended,
``pytest tests/golden --regen-golden`` rewrites the files and the diff is
committed with the change.  The files were produced by otm and checked
against the oracle test (``tests/oracle``), which is what makes them right.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from conftest import PCAPS
from otm.capture.readers import open_capture
from otm.observations.serialization import dumps
from otm.sensing.engine import PassiveEngine

DATA = Path(__file__).parent / "data"

CAPTURES = tuple(
    sorted(p.name for p in PCAPS.iterdir() if p.suffix in (".pcap", ".pcapng") and p.is_file())
)
"""Every shared capture: each has its golden file."""


def observe(capture: str) -> list[str]:
    with open_capture(PCAPS / capture) as reader:
        result = PassiveEngine(ref=capture).run(reader)
    return [dumps(obs) for obs in result.observations]


@pytest.mark.parametrize("capture", CAPTURES)
def test_observations_match_golden_file(capture: str, regen_golden: bool) -> None:
    lines = observe(capture)
    golden = DATA / f"{capture}.jsonl"
    if regen_golden:
        golden.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return
    assert golden.exists(), f"no golden file for {capture}: run pytest --regen-golden"
    expected = golden.read_text(encoding="utf-8").splitlines()
    if lines != expected:
        diff = "\n".join(difflib.unified_diff(expected, lines, "golden", "now", lineterm="", n=0))
        pytest.fail(f"observations of {capture} changed:\n{diff[:5000]}")


def test_analysis_is_deterministic() -> None:
    assert observe("modbus_example.pcap") == observe("modbus_example.pcap")
