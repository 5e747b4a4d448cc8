"""Test helper: walk frames through a packet walker with only the given sensors.

Wired like ``otm.sensing.engine.PassiveEngine`` (hosts into the tally), but
with no other sensor registered, so every observation about a protocol
comes from the sensor under test.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from otm.capture.readers import open_capture
from otm.capture.walker import PacketWalker
from otm.inventory.builder import build_inventory
from otm.model.assets import Inventory
from otm.observations.records import Observation
from otm.sensing.aggregate import Tally
from otm.sensing.labels import FlowLabels
from otm.sensing.registry import Sensor


def walk(
    sensors: Iterable[Sensor], frames: Iterable[tuple[int, float, int, bytes]], ref: str = "test"
) -> list[Observation]:
    """Observations of the sensors over (frame number, time, linktype, bytes) frames."""
    tally = Tally(ref)
    walker = PacketWalker()
    labels = FlowLabels()
    for sensor in sensors:
        sensor.register(walker, tally, labels)

    def host(mac: str, ip: str | None, vlan: int | None, frame: int, ts: float) -> None:
        tally.host(mac, ip, vlan, ts, frame)

    walker.on_host(host)
    walker.walk(frames)
    return tally.flush()


def walk_capture(sensors: Iterable[Sensor], path: Path) -> list[Observation]:
    """Observations of the sensors over one capture file."""
    with open_capture(path) as reader:
        return walk(sensors, reader, path.name)


def inventory(observations: list[Observation]) -> Inventory:
    """The inventory otm builds from these observations."""
    return build_inventory(observations)


def frames_of(
    payloads: Iterable[bytes], start: float = 1000.0
) -> list[tuple[int, float, int, bytes]]:
    """Ethernet frames (linktype 1) numbered from 1, 10 ms apart."""
    return [(i + 1, start + i * 0.01, 1, f) for i, f in enumerate(payloads)]
