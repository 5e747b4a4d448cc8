"""Use case: a live sensor that keeps the stored inventory up to date.

Frames from a live interface go through the same passive engine as capture
files.  Every ``interval`` seconds (wall clock: it paces the work, it never
dates a fact) the engine takes a checkpoint: what was learnt since the last
one, open flows included, is appended to the interface's source in the store
and the inventory snapshot is rebuilt, so ``otm assets`` in another terminal
shows devices while traffic flows.  A clean stop (``stop()``, which the CLI
wires to Ctrl-C and SIGTERM) drains what was captured, closes every flow and
stores the rest: nothing read is lost.  With a ``DetectionSession``, each
checkpoint's observations are also checked (or learnt, while a baseline
learns) and the alerts stored, one engine across checkpoints.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from otm.capture.live import DEFAULT_BUFFER, LiveCapture, LiveError, LiveStats
from otm.inventory.builder import InventoryBuilder
from otm.model.assets import Inventory
from otm.model.repository import InventoryRepository
from otm.observations.records import Observation
from otm.sensing.engine import PassiveEngine
from otm.services.detection import DetectionSession

DEFAULT_INTERVAL = 5.0


@dataclass
class SensorStatus:
    """Where a running sensor stands, after each checkpoint and at the end."""

    interface: str
    frames: int = 0
    observations: int = 0
    checkpoints: int = 0
    assets: int = 0
    links: int = 0
    capture: LiveStats = field(default_factory=LiveStats)
    error: str | None = None
    alerts: int = 0  # alerts created or updated by detection


class Sensor:
    """One interface, one source in the store, one running inventory."""

    def __init__(
        self,
        capture: LiveCapture,
        repo: InventoryRepository,
        interval: float = DEFAULT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        detection: DetectionSession | None = None,
    ) -> None:
        self.capture = capture
        self.detection = detection
        self.repo = repo
        self.interval = interval
        self._clock = clock
        self._wall = wall
        self.key = f"live:{capture.interface}"
        self.engine = PassiveEngine(ref=capture.interface, source="live")
        self.status = SensorStatus(capture.interface)
        self._builder = InventoryBuilder().apply_all(repo.observations())
        self.inventory: Inventory = self._builder.build()

    def stop(self) -> None:
        """Stop capturing; ``run`` returns once what was captured is stored."""
        self.capture.stop()

    def run(
        self,
        on_checkpoint: Callable[[SensorStatus], None] | None = None,
        max_frames: int | None = None,
        duration: float | None = None,
    ) -> SensorStatus:
        """Capture until stopped (or ``max_frames``/``duration``), checkpointing."""
        started = self._clock()
        due = started + self.interval
        self.capture.start()
        try:
            for batch in self.capture.batches(wait=min(0.5, self.interval)):
                if batch:
                    self.engine.feed(batch)
                    self.status.frames += len(batch)
                now = self._clock()
                if (max_frames is not None and self.status.frames >= max_frames) or (
                    duration is not None and now - started >= duration
                ):
                    self.capture.stop()
                if now >= due:
                    due = now + self.interval
                    self._store(self.engine.checkpoint())
                    if on_checkpoint is not None:
                        on_checkpoint(self.status)
        finally:
            self.capture.stop()
            self.status.error = self.capture.error
            self._store(self.engine.finish().observations)
        return self.status

    def _store(self, obs: list[Observation]) -> None:
        self.status.checkpoints += 1
        self.status.capture = self.capture.stats
        if obs:
            self.repo.append_observations(
                "live", self.key, self.capture.interface, self.status.frames, obs, self._wall(),
                self.capture.error,
            )  # fmt: skip
            self.status.observations += len(obs)
            self._builder.apply_all(obs)
            self.inventory = self._builder.build()
            self.repo.save_inventory(self.inventory)
            if self.detection is not None:
                outcome = self.detection.process(self.key, obs, self._wall())
                self.status.alerts += outcome.new + outcome.updated
        self.status.assets = len(self.inventory.assets)
        self.status.links = len(self.inventory.links)


def open_sensor(
    interface: str,
    repo: InventoryRepository,
    bpf: str | None = None,
    interval: float = DEFAULT_INTERVAL,
    buffer_size: int | None = None,
    detection: DetectionSession | None = None,
) -> Sensor:
    """A sensor on ``interface`` (raises ``LiveError`` if it cannot be opened)."""
    size = DEFAULT_BUFFER if buffer_size is None else buffer_size
    capture = LiveCapture(interface, bpf, buffer_size=size)
    return Sensor(capture, repo, interval, detection=detection)


__all__ = ["LiveError", "Sensor", "SensorStatus", "open_sensor"]
