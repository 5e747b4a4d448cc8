"""Helpers of the demo plant tests: polling a running plant, finding what a run left behind."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from otm.observations.records import DeviceHealth, Observation, TagSample
from otm.polling import poll
from otm.polling.tags import TagDocument, tags_from_document
from otm.simulation import RunningPlant


def tag_document(
    plant: RunningPlant, devices: Sequence[str] | None = None, **settings: Any
) -> TagDocument:
    """The plant's own tag file, for some devices only, with quicker settings for tests."""
    data = yaml.safe_load(plant.tags_yaml(interval=0.25, timeout=1.0))
    if devices is not None:
        data["devices"] = [d for d in data["devices"] if d["name"] in devices]
    for device in data["devices"]:
        device.update(settings)
    return tags_from_document(data)


class Watch:
    """Observations the poller delivered, with the questions the tests ask of them."""

    def __init__(self) -> None:
        self.observations: list[Observation] = []

    def __call__(self, batch: list[Observation]) -> None:
        self.observations.extend(batch)

    def samples(self, tag: str | None = None) -> list[TagSample]:
        return [o for o in self.observations
                if isinstance(o, TagSample) and (tag is None or o.tag == tag)]  # fmt: skip

    def last(self, tag: str) -> TagSample | None:
        found = self.samples(tag)
        return found[-1] if found else None

    def states(self, ip: str) -> list[str]:
        """Health states of the device at ``ip`` in order, repeats collapsed."""
        out: list[str] = []
        for o in self.observations:
            if isinstance(o, DeviceHealth) and o.asset_ip == ip and (not out or out[-1] != o.state):
                out.append(o.state)
        return out


async def polling(
    document: TagDocument,
    until: Callable[[Watch], bool],
    what: str,
    timeout: float = 15.0,
    during: Callable[[Watch], object] | None = None,
) -> Watch:
    """Poll until ``until(watch)`` holds (AssertionError after ``timeout`` seconds)."""
    watch = Watch()
    stop = asyncio.Event()
    task = asyncio.create_task(poll(document, watch, stop))
    try:
        deadline = time.monotonic() + timeout
        while not until(watch):
            if task.done():
                task.result()
                raise AssertionError(f"the poller stopped before {what}")
            if time.monotonic() > deadline:
                tail = watch.observations[-6:]
                raise AssertionError(f"timed out waiting for {what}; last: {tail}")
            await asyncio.sleep(0.05)
        if during is not None:
            await asyncio.to_thread(during, watch)
    finally:
        stop.set()
        await task
    return watch


def namespaces() -> list[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    return [line.split()[0] for line in out.stdout.splitlines() if line.strip()]


def links() -> list[str]:
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=False)
    return [line.split(":")[1].strip().split("@")[0] for line in out.stdout.splitlines()]


def running(pid: int) -> bool:
    """True while process ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def wait_gone(pids: Sequence[int], seconds: float = 10.0) -> list[int]:
    """The pids still running after up to ``seconds``."""
    deadline = time.monotonic() + seconds
    alive = [p for p in pids if running(p)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [p for p in alive if running(p)]
    return alive


def leftovers(run_id: str) -> list[str]:
    """Namespaces and host links of run ``run_id`` that still exist."""
    return [n for n in namespaces() + links() if n.startswith(f"otmdemo-{run_id}")]


def is_root() -> bool:
    return os.geteuid() == 0
