"""A demo plant leaves nothing behind: no process, no namespace, no host interface.

Whatever ends it: ``stop``, an exception in the ``with`` block, a device
that cannot start, SIGTERM of the process that runs it, or that process
being killed outright (then the next start sweeps what it left).  The
plants here are one Modbus device, the quickest stack to start.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sim_support import is_root, leftovers, links, namespaces, running, wait_gone

from otm.simulation import DemoPlant, PlantError, RunningPlant
from otm.simulation.netns import sweep_leftovers
from otm.simulation.spec import TANK_PLC

pytestmark = pytest.mark.slow

MODES = [
    pytest.param("netns", marks=pytest.mark.skipif(not is_root(), reason="netns mode needs root")),
    "loopback",
]
ONE_DEVICE = DemoPlant((TANK_PLC,))
PARENT = Path(__file__).with_name("sim_parent.py")
ALONE = "PYTEST_XDIST_WORKER" not in os.environ
"""Under xdist another worker's plant may start (and sweep a leftover) between two lines."""


class BoomError(Exception):
    """Raised inside a ``with`` block on purpose."""


@pytest.mark.parametrize("mode", MODES)
def test_nothing_is_left_after_an_exception_inside_the_with_block(mode: str) -> None:
    with pytest.raises(BoomError), RunningPlant(ONE_DEVICE, mode=mode) as plant:  # type: ignore[arg-type]
        pids = list(plant.pids().values())
        run_id, interface = plant.run_id, plant.capture_interface
        assert pids and all(running(p) for p in pids)
        if mode == "netns":
            assert interface in links() and f"otmdemo-{run_id}-tank-plc" in namespaces()
        raise BoomError
    assert not any(running(p) for p in pids)
    if run_id is not None:
        assert leftovers(run_id) == []
    plant.stop()  # idempotent
    with pytest.raises(PlantError, match="not running"):
        plant.set("tank-plc", "TK1.LEVEL", 1)


@pytest.mark.parametrize("mode", MODES)
def test_a_device_that_cannot_start_is_named_with_its_stderr(mode: str) -> None:
    broken = dataclasses.replace(
        TANK_PLC, name="broken-plc", host=20, mac="00:80:f4:4d:00:20", points=(),
        identity={"colour": "red"},
    )  # fmt: skip
    plant = RunningPlant(DemoPlant((TANK_PLC, broken)), mode=mode)  # type: ignore[arg-type]
    with pytest.raises(PlantError) as caught:
        plant.start()
    text = str(caught.value)
    assert "broken-plc" in text and "unknown Modbus identity keys: colour" in text
    assert "exit status 1" in text
    assert plant.pids() == {}
    if plant.run_id is not None:
        assert leftovers(plant.run_id) == []


def test_a_second_start_and_an_unknown_device_are_refused() -> None:
    with RunningPlant(ONE_DEVICE, mode="loopback") as plant:
        with pytest.raises(PlantError, match="starts once"):
            plant.start()
        with pytest.raises(PlantError, match="no device 'nope'"):
            plant.kill("nope")


def _parent(mode: str) -> tuple[subprocess.Popen[str], dict[str, object]]:
    proc = subprocess.Popen([sys.executable, str(PARENT), mode], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise AssertionError(f"the parent did not start: {proc.communicate()[1][-2000:]}")
    facts: dict[str, object] = json.loads(line)
    return proc, facts


@pytest.mark.skipif(not is_root(), reason="netns mode needs root")
def test_sigterm_of_the_parent_removes_everything() -> None:
    proc, facts = _parent("netns")
    run_id, pids = str(facts["run_id"]), [int(p) for p in facts["pids"]]  # type: ignore[attr-defined]
    assert leftovers(run_id)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    proc.communicate()
    assert leftovers(run_id) == []
    assert wait_gone(pids, 1.0) == []


@pytest.mark.skipif(not is_root(), reason="netns mode needs root")
def test_what_a_killed_parent_left_is_swept_at_the_next_start() -> None:
    proc, facts = _parent("netns")
    run_id, pids = str(facts["run_id"]), [int(p) for p in facts["pids"]]  # type: ignore[attr-defined]
    proc.kill()
    proc.communicate(timeout=30)
    assert wait_gone(pids) == []  # its devices read the end of their stdin and left
    left = leftovers(run_id)  # but its network stayed
    with RunningPlant(ONE_DEVICE, mode="netns") as plant:
        assert leftovers(run_id) == []
        assert leftovers(str(plant.run_id))  # its own network is there, of course
        if ALONE:
            assert f"otmdemo-{run_id}-tank-plc" in left
            assert f"otmdemo-{run_id}" in plant.swept
    assert leftovers(str(plant.run_id)) == []
    assert sweep_leftovers() == [] or not ALONE


def test_loopback_parent_killed_leaves_no_device_running() -> None:
    proc, facts = _parent("loopback")
    pids = [int(p) for p in facts["pids"]]  # type: ignore[attr-defined]
    assert all(running(p) for p in pids)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    started = time.monotonic()
    assert wait_gone(pids) == []
    assert time.monotonic() - started < 10


def test_auto_mode_falls_back_to_loopback_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine where this process is not root (``netns.unavailable`` says why)."""
    monkeypatch.setattr("otm.simulation.netns.unavailable", lambda: "network namespaces need root")
    with pytest.raises(PlantError, match=r"netns mode is not possible here: .*need root"):
        RunningPlant(ONE_DEVICE, mode="netns").start()
    with RunningPlant(ONE_DEVICE, mode="auto") as plant:
        assert plant.mode == "loopback"
        assert plant.mode_reason == "loopback: network namespaces need root"
        assert plant.devices["tank-plc"].ip.startswith("127.77.")
