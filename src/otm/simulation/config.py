"""otm's configuration for a running plant, as YAML text: the tag file and the alarm file.

``tags_yaml`` writes an ``otm.tags/1`` document (``otm.polling.tags``): one
device entry per device with its real address and port, each point as a
tag (address, type, scale, unit, description from the plant's point table).
``alarms_yaml`` writes an ``otm.alarms/1`` document (``otm.alarms.loader``)
over those tags: a rule exists only when the plant has a point to hang it
on, so a plant of one's own gets the rules that fit it.

Text rather than otm's models, because this package is a leaf: the demo
command loads the text with otm's own loaders, which is also what proves it
valid (the tests do the same).  No timestamps: the same plant at the same
addresses gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from otm.simulation.network import Slot
from otm.simulation.spec import DemoDevice, Point

Placed = Sequence[tuple[DemoDevice, Slot]]
"""The plant's devices with where each one runs."""

QUALITY_KINDS = ("opcua", "bacnet")
"""Stacks whose values can carry a bad quality (the bad-quality alarm goes on one of them)."""


def _tag(point: Point) -> dict[str, Any]:
    tag: dict[str, Any] = {"name": point.tag, "address": point.address}
    if point.type is not None:
        tag["type"] = point.type
    if point.scale != 1.0:
        tag["scale"] = point.scale
    if point.unit:
        tag["unit"] = point.unit
    if point.description:
        tag["description"] = point.description
    return tag


def tags_document(
    placed: Placed, bacnet_address: str | None, interval: float = 1.0, timeout: float = 2.0
) -> dict[str, Any]:
    """The ``otm.tags/1`` document as data (see ``tags_yaml``)."""
    devices = []
    for device, slot in placed:
        if not device.points:
            continue
        entry: dict[str, Any] = {
            "name": device.name,
            "protocol": device.kind,
            "host": slot.ip,
            "port": slot.port,
            "interval": interval,
            "timeout": timeout,
        }
        if device.kind == "modbus":
            entry["unit_id"] = 1
        elif device.kind == "s7":
            entry["rack"], entry["slot"] = 0, 2  # an S7-300 CPU in slot 2
        entry["tags"] = [_tag(p) for p in device.points]
        devices.append(entry)
    document: dict[str, Any] = {"schema": "otm.tags/1"}
    if bacnet_address and any(d.kind == "bacnet" for d, _ in placed):
        document["bacnet_address"] = bacnet_address
    document["devices"] = devices
    return document


def tags_yaml(
    placed: Placed, bacnet_address: str | None, interval: float = 1.0, timeout: float = 2.0
) -> str:
    """The tag file of the running plant.

    ``bacnet_address`` is where otm's own BACnet client binds (bacpypes3
    syntax): on the plant network, on a port other than the devices' 47808
    (bacpypes3 would deliver its requests to itself on loopback otherwise).
    """
    header = "# otm demo plant: every device's tags (otm.tags/1)\n"
    return header + _dump(tags_document(placed, bacnet_address, interval, timeout))


def _first(placed: Placed, variable: str, kinds: Sequence[str] = ()) -> tuple[str, Point] | None:
    """(device address, point) of the first point showing ``variable`` (on ``kinds``, if given)."""
    for device, slot in placed:
        if kinds and device.kind not in kinds:
            continue
        for point in device.points:
            if point.variable == variable:
                return slot.ip, point
    return None


def alarms_document(placed: Placed) -> dict[str, Any]:
    """The ``otm.alarms/1`` document as data (see ``alarms_yaml``)."""
    alarms: list[dict[str, Any]] = []
    if found := _first(placed, "tank_level"):
        ip, point = found
        alarms.append({
            "name": "tank-level", "kind": "limit", "device": ip, "tag": point.tag,
            "description": "tank T1 level high (natural cycle stays within 20-80 %)",
            "priority": "high", "hi": 85, "hihi": {"limit": 95, "priority": "critical"},
            "lo": 10, "deadband": 1.0,
        })  # fmt: skip
    if found := _first(placed, "line_temperature", ("s7",)) or _first(placed, "line_temperature"):
        ip, point = found
        alarms.append({
            "name": "line-temp-low", "kind": "limit", "device": ip, "tag": point.tag,
            "description": "line 1 product temperature low (natural 58-66 degC)",
            "priority": "medium", "lo": 50, "deadband": 0.5, "on_delay": 2,
        })  # fmt: skip
    room, setpoint = _first(placed, "room_temperature"), _first(placed, "room_setpoint")
    if room and setpoint:
        alarms.append({
            "name": "room-temp-deviation", "kind": "deviation", "device": room[0],
            "tag": room[1].tag, "reference": {"device": setpoint[0], "tag": setpoint[1].tag},
            "limit": 3.0, "deadband": 0.2, "priority": "low",
            "description": "control room more than 3 degC off its setpoint",
        })  # fmt: skip
    quality = _first(placed, "line_temperature", QUALITY_KINDS)
    if quality is None:
        quality = next(((s.ip, d.points[0]) for d, s in placed
                        if d.kind in QUALITY_KINDS and d.points), None)  # fmt: skip
    if quality:
        ip, point = quality
        alarms.append({
            "name": f"{point.tag.lower().replace('.', '-')}-quality", "kind": "bad_quality",
            "device": ip, "tag": point.tag, "priority": "medium",
            "description": f"{point.tag} cannot be trusted (sensor failure)",
        })  # fmt: skip
    for device, slot in placed:
        alarms.append({
            "name": f"{device.name}-down", "kind": "device_down", "device": slot.ip,
            "priority": "high", "description": f"{device.name} does not answer",
        })  # fmt: skip
    return {"schema": "otm.alarms/1", "alarms": alarms}


def alarms_yaml(placed: Placed) -> str:
    """The alarm file of the running plant.

    Rules: HI 85 / HIHI 95 (critical) / LO 10 on the tank level, LO 50 on the
    line temperature, a deviation of 3 degC between room temperature and
    setpoint, bad quality on a temperature of a stack that carries quality,
    and a ``device_down`` per device.  The process never reaches a limit by
    itself: ``set`` on a device (``set TK1.LEVEL 96``) makes one fire.
    """
    header = "# otm demo plant: alarms over its tags (otm.alarms/1)\n"
    return header + _dump(alarms_document(placed))


def _dump(document: dict[str, Any]) -> str:
    text: str = yaml.safe_dump(document, sort_keys=False, default_flow_style=False, width=100)
    return text
