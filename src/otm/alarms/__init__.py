"""Alarms in the ISA-18.2 sense: definitions, states, floods (pure, deterministic).

Samples and device health in, alarm events out::

    config = parse_alarms(text, "alarms.yaml")
    engine = AlarmEngine(config)
    events = engine.feed(observations)          # AlarmTransition | FloodSummary
    engine.acknowledge("tank1-level.hi", "ana", time)
    engine.shelve("ft7-quality", "ana", time, until=time + 3600, reason="sensor swap")
    engine.active()                             # the alarm summary

No I/O and no clock: times come from the observations and the operator's
acts, so a replay gives the same events.  The state is plain data
(``to_dict`` / ``AlarmEngine.from_dict``) for the store to persist.
"""

from __future__ import annotations

from otm.alarms.definitions import (
    AlarmConfig,
    AlarmKind,
    AlarmPoint,
    Direction,
    FloodSettings,
    LimitLevel,
    Priority,
    definitions_from,
)
from otm.alarms.engine import STATE_SCHEMA, AlarmEngine, AlarmError
from otm.alarms.events import (
    AlarmEvent,
    AlarmStatus,
    AlarmTransition,
    FloodCount,
    FloodSummary,
    event_from_dict,
    event_to_dict,
)
from otm.alarms.loader import SCHEMA, AlarmFileError, config_from_document, parse_alarms
from otm.alarms.states import ANNUNCIATED, TRANSITIONS, Action, AlarmState

__all__ = [
    "ANNUNCIATED",
    "SCHEMA",
    "STATE_SCHEMA",
    "TRANSITIONS",
    "Action",
    "AlarmConfig",
    "AlarmEngine",
    "AlarmError",
    "AlarmEvent",
    "AlarmFileError",
    "AlarmKind",
    "AlarmPoint",
    "AlarmState",
    "AlarmStatus",
    "AlarmTransition",
    "Direction",
    "FloodCount",
    "FloodSettings",
    "FloodSummary",
    "LimitLevel",
    "Priority",
    "config_from_document",
    "definitions_from",
    "event_from_dict",
    "event_to_dict",
    "parse_alarms",
]
