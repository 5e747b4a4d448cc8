"""Helpers of the poller tests: free ports, device processes, an observation collector."""

from __future__ import annotations

import asyncio
import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from otm.observations.records import DeviceHealth, Observation, TagSample

HERE = Path(__file__).resolve().parent
DEVICES = HERE / "poll_devices.py"
REAL_DEVICES = HERE.parent / "realdevices"
HOST = "127.0.0.1"


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port nothing listens on now (TCP or UDP) on the loopback address."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class DeviceProcess:
    """A device in a child process: waits for ``ready``, sends stdin commands, stops."""

    def __init__(self, argv: list[str], ready: Callable[[], bool] | None = None) -> None:
        self.argv = argv
        self._ready = ready
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> DeviceProcess:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=env,
        )  # fmt: skip
        if self._ready is None:
            assert self.proc.stdout is not None
            line = self.proc.stdout.readline().strip()
            if line != "ready":
                self.stop()
                raise RuntimeError(f"{self.argv[1:3]} did not start: {line!r}")
        else:
            deadline = time.monotonic() + 20
            while not self._ready():
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{self.argv[1:3]} did not start")
                time.sleep(0.1)
        return self

    def send(self, command: str) -> None:
        """One command; waits for the device's ``ok``."""
        assert self.proc is not None and self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        if answer != "ok":
            self.proc.kill()
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise AssertionError(f"device answered {answer!r} to {command!r}: {err[-2000:]}")

    def stop(self) -> None:
        """Terminate the device (a crash, as far as the poller can tell)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        self.proc = None


def python(script: Path, *args: str) -> list[str]:
    return [sys.executable, str(script), *args]


def tcp_open(port: int) -> Callable[[], bool]:
    """A readiness check: something accepts TCP connections on ``port``."""

    def check() -> bool:
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return True
        except OSError:
            return False

    return check


class Collector:
    """The poller's sink in tests: keeps every observation, answers questions about them."""

    def __init__(self) -> None:
        self.observations: list[Observation] = []
        self.calls = 0
        self.mark = 0  # how many health states were seen when a test's story began

    def story(self) -> list[str]:
        """Health states from the last ``up`` before ``mark`` on: a loaded machine
        may see a slow first answer (degraded, then up) before a test starts."""
        return self.states()[max(self.mark - 1, 0) :]

    def __call__(self, batch: list[Observation]) -> None:
        self.calls += 1
        self.observations.extend(batch)

    def samples(self, tag: str | None = None) -> list[TagSample]:
        return [o for o in self.observations
                if isinstance(o, TagSample) and (tag is None or o.tag == tag)]  # fmt: skip

    def last(self, tag: str) -> TagSample | None:
        found = self.samples(tag)
        return found[-1] if found else None

    def value(self, tag: str) -> object:
        sample = self.last(tag)
        return None if sample is None else sample.value

    def quality(self, tag: str) -> str | None:
        sample = self.last(tag)
        return None if sample is None else sample.quality

    def message(self, tag: str) -> str | None:
        sample = self.last(tag)
        return None if sample is None else sample.evidence.message

    def health(self) -> list[DeviceHealth]:
        return [o for o in self.observations if isinstance(o, DeviceHealth)]

    def states(self) -> list[str]:
        """Health states in order, repeats collapsed."""
        out: list[str] = []
        for h in self.health():
            if not out or out[-1] != h.state:
                out.append(h.state)
        return out

    async def wait_for(self, what: str, check: Callable[[], bool], timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                tail = self.observations[-8:]
                raise AssertionError(f"timed out waiting for {what}; last observations: {tail}")
            await asyncio.sleep(0.02)


def close_to(a: object, b: float, tol: float = 1e-6) -> bool:
    return (
        isinstance(a, int | float) and not isinstance(a, bool) and math.isclose(a, b, abs_tol=tol)
    )


def assert_good_unless_lost(got: Collector, tag: str | None = None) -> None:
    """Every sample of a healthy point reads good, except in a cycle whose answer
    was lost (a timeout or error the device's health counted, as happens on a
    loaded machine); the newest sample is good."""
    samples = got.samples(tag)
    assert samples, "no samples"
    if any(s.quality != "good" for s in samples):
        assert any(h.timeouts or h.errors for h in got.health()), "bad samples, no lost answer"
    latest: dict[str, str] = {}
    for s in samples:
        latest[s.tag] = s.quality
    assert set(latest.values()) == {"good"}
