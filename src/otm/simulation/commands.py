"""The device processes' command protocol: one command a line on stdin, one answer a line on stdout.

::

    set TAG VALUE   force TAG's process variable to VALUE             -> ok
    set TAG bad     give TAG a bad quality (OPC UA, BACnet only)     -> ok
    release TAG     back to the process model (value and quality)    -> ok
    quit            stop serving and exit (the end of stdin too)

``TAG`` is a point's tag name (``TK1.LEVEL``) or its process variable
(``tank_level``).  Forcing a variable forces every point of the device that
shows it, and what the process model computes from it (the pump follows a
forced level).  Anything that cannot be done is answered ``error WHY`` on
one line, never by exiting: a typo in a demo must not kill a device.  The
first line a device prints is ``ready`` (see ``serve``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from otm.simulation.process import Value, coerce
from otm.simulation.spec import DemoDevice

QUIT = "quit"
OK = "ok"
BAD_WORD = "bad"


@dataclass
class Forcing:
    """What commands changed on one device: forced variables, points with a bad quality."""

    overrides: dict[str, Value] = field(default_factory=dict)
    bad: set[str] = field(default_factory=set)


def execute(line: str, device: DemoDevice, forcing: Forcing, quality: bool) -> str:
    """Apply one command line to ``forcing``; the answer line (``QUIT`` to stop).

    ``quality``: whether the device's stack can carry a bad quality.
    """
    parts = line.split(maxsplit=2)
    if not parts:
        return "error empty command (set TAG VALUE, release TAG, quit)"
    verb = parts[0].lower()
    if verb == QUIT and len(parts) == 1:
        return QUIT
    if verb == "set" and len(parts) == 3:
        return _set(parts[1], parts[2].strip(), device, forcing, quality)
    if verb == "release" and len(parts) == 2:
        try:
            point = device.point(parts[1])
        except KeyError as exc:
            return f"error {exc.args[0]}"
        forcing.overrides.pop(point.variable, None)
        forcing.bad.discard(point.tag)
        return OK
    return f"error unknown command {line.strip()!r} (set TAG VALUE, release TAG, quit)"


def _set(name: str, text: str, device: DemoDevice, forcing: Forcing, quality: bool) -> str:
    try:
        point = device.point(name)
    except KeyError as exc:
        return f"error {exc.args[0]}"
    if text.lower() == BAD_WORD:
        if not quality:
            return f"error {device.kind} carries no quality: {point.tag} cannot be bad"
        forcing.bad.add(point.tag)
        return OK
    try:
        forcing.overrides[point.variable] = coerce(point.variable, text)
    except ValueError as exc:
        return f"error {exc}"
    return OK
