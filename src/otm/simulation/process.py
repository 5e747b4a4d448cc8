"""The demo plant's process: every value a pure function of (plant time, seed, overrides).

Why pure functions and not a stepped simulation: each device of the demo
plant is its own process, and they must agree without talking to each other
(the Modbus tank PLC and the S7 line PLC both show the tank level).  Every
device evaluates ``evaluate(t, seed, overrides)`` with the same plant epoch
and seed, so they agree to the bit; a device that is killed and restarted
continues where the plant is, not from the start; tests assert exact values.

The plant, one tank feeding one packaging line, a room with an air handler::

    pump P1 ──▶ tank T1 ──▶ outlet valve ──▶ line 1 (motor M1, counter) ──▶ packer
                level 20..80 %                 temperature ~62 °C

- **Tank T1** (``tank_level``, %): the inlet pump runs below ``PUMP_ON_BELOW``
  (20 %) and stops above ``PUMP_OFF_ABOVE`` (80 %), the outlet drains all the
  time.  With constant rates the level is a triangle wave: it rises at
  ``FILL_RATE`` while the pump runs (40 s) and falls at ``DRAIN_RATE`` while
  it is stopped (60 s), so one cycle takes ``TANK_CYCLE`` = 100 s.  Inside
  the band the pump keeps its state (the hysteresis): which half of the cycle
  the plant is in is that memory.  A forced level decides the pump outside
  the band (forced to 95 %, the pump stops; forced to 5 %, it runs).
- **Temperatures** follow slow sines plus seeded noise (``noise``: a
  Gaussian held for one second, drawn from a generator seeded with
  ``(seed, variable, second)``, so the same inputs give the same noise).
- **Line 1** runs ``LINE_RUN`` (165 s) of every ``LINE_CYCLE`` (180 s): a
  short stop each cycle makes the motor speed and the counters visibly stop.
  It makes one part every 2 s while running; the packer packs six parts a
  pack.  Counters follow this schedule (they are closed forms of time), so
  forcing ``motor_running`` does not change them.
- **Room** (BACnet): temperature around 21.5 °C, setpoint 21.0 °C, the fan
  cools while the room is above its setpoint.

``seed`` shifts the tank's phase and draws the noise; ``overrides`` force
variables (``set TAG VALUE`` on a device): a forced variable takes the given
value and the variables computed from it react (the pump to the level, the
inlet flow to the pump, the fan to the room temperature and setpoint).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Value = bool | int | float | str
"""A process value: what a device publishes."""

Kind = Literal["bool", "int", "float", "str"]


@dataclass(frozen=True, slots=True)
class Variable:
    """One process variable: its type, unit and meaning."""

    name: str
    kind: Kind
    unit: str
    description: str


_TABLE: tuple[Variable, ...] = (
    Variable("tank_level", "float", "%", "tank T1 level"),
    Variable("pump_running", "bool", "", "inlet pump P1 running"),
    Variable("inlet_flow", "float", "m3/h", "inlet flow FT1 (pump P1)"),
    Variable("outlet_valve", "int", "%", "outlet valve opening"),
    Variable("high_level_switch", "bool", "", "tank T1 high level switch LSH1 (90 %)"),
    Variable("pump_starts", "int", "", "pump P1 starts since commissioning"),
    Variable("tank_temperature", "float", "degC", "tank T1 temperature"),
    Variable("line_temperature", "float", "degC", "line 1 product temperature"),
    Variable("motor_running", "bool", "", "line 1 motor M1 running"),
    Variable("motor_speed", "float", "rpm", "line 1 motor M1 speed"),
    Variable("motor_current", "float", "A", "line 1 motor M1 current"),
    Variable("parts_count", "int", "", "parts made on line 1"),
    Variable("line_auto", "bool", "", "line 1 in automatic mode"),
    Variable("conveyor_speed", "float", "m/min", "packer conveyor speed"),
    Variable("packs_count", "int", "", "packs made by the packer"),
    Variable("batch_name", "str", "", "current batch on line 1"),
    Variable("room_temperature", "float", "degC", "control room temperature"),
    Variable("room_setpoint", "float", "degC", "control room temperature setpoint"),
    Variable("fan_running", "bool", "", "air handler supply fan running"),
    Variable("outside_temperature", "float", "degC", "outside air temperature"),
)

VARIABLES: Mapping[str, Variable] = {v.name: v for v in _TABLE}
"""Every process variable by name, in the order ``evaluate`` returns them."""

PUMP_ON_BELOW = 20.0
"""% level at or below which the inlet pump starts."""
PUMP_OFF_ABOVE = 80.0
"""% level at or above which the inlet pump stops."""
FILL_RATE = 1.5
"""%/s the level rises while the pump runs (inflow minus outflow)."""
DRAIN_RATE = 1.0
"""%/s the level falls while the pump is stopped (outflow)."""
RISE_SECONDS = (PUMP_OFF_ABOVE - PUMP_ON_BELOW) / FILL_RATE
TANK_CYCLE = RISE_SECONDS + (PUMP_OFF_ABOVE - PUMP_ON_BELOW) / DRAIN_RATE
"""Seconds of one pump cycle (100 s): short enough to watch, long enough to poll."""
HIGH_SWITCH = 90.0
"""% level at which the high level switch closes (above every natural level)."""
PUMP_FLOW = 18.0
"""m3/h the inlet pump delivers."""
LINE_CYCLE = 180.0
LINE_RUN = 165.0
"""Line 1 runs the first 165 s of every 180 s."""
PART_SECONDS = 2.0
PARTS_PER_PACK = 6
BATCH_SECONDS = 600.0
"""A new batch every ten minutes."""


def noise(seed: int, name: str, t: float, sigma: float) -> float:
    """Gaussian noise for ``name``, held for each second of ``t``: same inputs, same noise.

    ``random.Random`` seeded with a string hashes it with SHA-512 (not
    ``hash()``), so the draw does not depend on ``PYTHONHASHSEED``.
    """
    return random.Random(f"{seed}/{name}/{math.floor(t)}").gauss(0.0, sigma)


def tank_offset(seed: int) -> float:
    """Seconds the seed shifts the tank's cycle by (in ``[0, TANK_CYCLE)``)."""
    return random.Random(f"{seed}/tank-phase").random() * TANK_CYCLE


def line_running_seconds(t: float) -> float:
    """Seconds line 1 has run between plant time 0 and ``t`` (its schedule, closed form)."""
    cycles = math.floor(t / LINE_CYCLE)
    return cycles * LINE_RUN + min(t - cycles * LINE_CYCLE, LINE_RUN)


def coerce(name: str, value: Value | str) -> Value:
    """``value`` as the type of variable ``name`` (text from a command line too).

    Booleans read ``true/false``, ``1/0``, ``on/off``, ``yes/no``,
    ``active/inactive``; ``ValueError`` for an unknown variable or a value
    that does not read as its type.
    """
    variable = VARIABLES.get(name)
    if variable is None:
        raise ValueError(f"unknown process variable {name!r}")
    if variable.kind == "str":
        return str(value)
    if variable.kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1", "on", "yes", "active"):
            return True
        if text in ("false", "0", "off", "no", "inactive"):
            return False
        raise ValueError(f"{name} is a bool: {value!r} is not true or false")
    if isinstance(value, bool):
        raise ValueError(f"{name} is a number, not {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name} is a number: {value!r} is not one") from None
    if not math.isfinite(number):
        raise ValueError(f"{name}: {value!r} is not a finite number")
    if variable.kind == "int":
        if number != int(number):
            raise ValueError(f"{name} is an integer, not {value!r}")
        return int(number)
    return number


def evaluate(
    t: float, seed: int = 0, overrides: Mapping[str, Value] | None = None
) -> dict[str, Value]:
    """Every process variable at plant time ``t`` (seconds since the plant started).

    ``overrides`` maps variable names to forced values (already of the
    variable's type: see ``coerce``); unknown names raise ``ValueError``.
    """
    forced = dict(overrides or {})
    unknown = sorted(set(forced) - set(VARIABLES))
    if unknown:
        raise ValueError(f"unknown process variables: {', '.join(unknown)}")
    out: dict[str, Value] = {}

    def put(name: str, natural: Value) -> Value:
        value = forced.get(name, natural)
        out[name] = value
        return value

    # Tank T1: a triangle between the pump's switching levels (see the module docstring).
    shifted = t + tank_offset(seed)
    phase = shifted % TANK_CYCLE
    if phase < RISE_SECONDS:
        natural_level, natural_pump = PUMP_ON_BELOW + FILL_RATE * phase, True
    else:
        natural_level = PUMP_OFF_ABOVE - DRAIN_RATE * (phase - RISE_SECONDS)
        natural_pump = False
    level = float(put("tank_level", round(natural_level, 3)))
    if level <= PUMP_ON_BELOW:
        natural_pump = True
    elif level >= PUMP_OFF_ABOVE:
        natural_pump = False
    pump = bool(put("pump_running", natural_pump))
    flow = PUMP_FLOW + noise(seed, "inlet_flow", t, 0.3) if pump else 0.0
    put("inlet_flow", round(flow, 3))
    put("outlet_valve", 60)
    put("high_level_switch", level >= HIGH_SWITCH)
    put("pump_starts", 1200 + math.floor(shifted / TANK_CYCLE))
    tank_temp = 45.0 + 3.0 * math.sin(2 * math.pi * t / 600.0) + noise(seed, "tank_temp", t, 0.1)
    put("tank_temperature", round(tank_temp, 3))

    # Line 1 and the packer.
    line_temp = 62.0 + 4.0 * math.sin(2 * math.pi * t / 240.0) + noise(seed, "line_temp", t, 0.15)
    put("line_temperature", round(line_temp, 3))
    running = bool(put("motor_running", (t % LINE_CYCLE) < LINE_RUN))
    speed = 1450.0 + 12.0 * math.sin(2 * math.pi * t / 90.0) + noise(seed, "speed", t, 2.0)
    speed = float(put("motor_speed", round(speed, 1) if running else 0.0))
    current = 4.0 + speed / 200.0 + noise(seed, "current", t, 0.05) if speed > 0 else 0.0
    put("motor_current", round(current, 2))
    parts = math.floor(line_running_seconds(t) / PART_SECONDS)
    parts = int(put("parts_count", parts))
    put("line_auto", True)
    conveyor = 24.0 + noise(seed, "conveyor", t, 0.2) if running else 0.0
    put("conveyor_speed", round(conveyor, 2))
    put("packs_count", parts // PARTS_PER_PACK)
    put("batch_name", f"B{1000 + math.floor(t / BATCH_SECONDS) + 1:05d}")

    # The room and its air handler.
    room = 21.5 + 1.2 * math.sin(2 * math.pi * t / 900.0) + noise(seed, "room", t, 0.05)
    room = float(put("room_temperature", round(room, 2)))
    setpoint = float(put("room_setpoint", 21.0))
    put("fan_running", room > setpoint)
    outside = 8.0 + 3.0 * math.sin(2 * math.pi * t / 3600.0) + noise(seed, "outside", t, 0.1)
    put("outside_temperature", round(outside, 2))
    return out
