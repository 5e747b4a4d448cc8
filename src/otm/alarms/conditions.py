"""Is the alarm condition present? One small pure function per kind.

Each returns True (abnormal), False (normal) or None (this input says nothing:
a text value on a limit alarm, a bad-quality sample, the first sample of a
rate).  None holds the previous answer, so a value that cannot be read never
clears an alarm by accident.

The deadband works against the present condition: a HI alarm is raised at
``value >= hi`` and, once raised, stays until ``value < hi - deadband``.  The
on/off delays are the engine's (``otm.alarms.engine``), applied to these
answers.
"""

from __future__ import annotations

import math

from otm.alarms.definitions import Direction

GOOD_ENOUGH = frozenset({"good", "uncertain"})
"""Qualities whose values are compared with limits; a ``bad`` value is not a
measurement (the poller could not read one) and holds the condition."""


def numeric(value: object) -> float | None:
    """The value as a number, or None for text and NaN (booleans count 0/1)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        number = float(value)
        return None if math.isnan(number) else number
    return None


def beyond(x: float, limit: float, *, rising: bool, condition: bool, deadband: float) -> bool:
    """``x`` past ``limit`` (above it when ``rising``); the deadband holds a present condition."""
    if rising:
        return x >= (limit - deadband if condition else limit)
    return x <= (limit + deadband if condition else limit)


def directed(x: float, direction: Direction) -> float:
    """The part of a change or a difference that the direction alarms on."""
    if direction is Direction.RISING:
        return x
    if direction is Direction.FALLING:
        return -x
    return abs(x)


def limit_condition(
    value: object,
    quality: str,
    *,
    limit: float,
    rising: bool,
    condition: bool,
    deadband: float,
) -> bool | None:
    """A HI/HIHI (``rising``) or LO/LOLO limit."""
    x = numeric(value) if quality in GOOD_ENOUGH else None
    if x is None:
        return None
    return beyond(x, limit, rising=rising, condition=condition, deadband=deadband)


def rate_condition(
    rate: float | None, *, limit: float, direction: Direction, condition: bool, deadband: float
) -> bool | None:
    """A rate of change (units/s) at or beyond ``limit`` in the direction watched."""
    if rate is None or math.isnan(rate):
        return None
    return beyond(
        directed(rate, direction), limit, rising=True, condition=condition, deadband=deadband
    )


def deviation_condition(
    value: float | None,
    reference: float | None,
    *,
    limit: float,
    direction: Direction,
    condition: bool,
    deadband: float,
) -> bool | None:
    """The value at least ``limit`` away from its reference (setpoint or tag)."""
    if value is None or reference is None:
        return None
    difference = value - reference
    if math.isnan(difference):  # inf - inf: no answer
        return None
    return beyond(
        directed(difference, direction),
        limit,
        rising=True,
        condition=condition,
        deadband=deadband,
    )


def quality_condition(quality: str, qualities: frozenset[str]) -> bool:
    """The sample's quality is one the definition alarms on."""
    return quality in qualities


def device_condition(state: str, *, degraded: bool) -> bool | None:
    """The device is down (or degraded, when asked); an unknown state says nothing."""
    if state == "down":
        return True
    if state == "degraded":
        return degraded
    if state == "up":
        return False
    return None
