"""Test helper: walk Ethernet frames through a packet walker with only the given sensors."""

from __future__ import annotations

from collections.abc import Iterable

from otm.capture.walker import PacketWalker
from otm.observations.records import Observation
from otm.sensing.aggregate import Tally
from otm.sensing.labels import FlowLabels
from otm.sensing.registry import Sensor


def walk(sensors: Iterable[Sensor], frames: Iterable[bytes]) -> list[Observation]:
    """Observations of the sensors over Ethernet frames numbered from 1, 1 ms apart."""
    tally = Tally("test")
    walker = PacketWalker()
    labels = FlowLabels()
    for sensor in sensors:
        sensor.register(walker, tally, labels)
    walker.walk((i + 1, 1000.0 + i * 0.001, 1, f) for i, f in enumerate(frames))
    return tally.flush()
