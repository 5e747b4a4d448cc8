"""The alarm engine: observations in, alarm events out; pure and deterministic.

``AlarmEngine(config).feed(observations)`` evaluates every ``TagSample`` and
``DeviceHealth`` against the configured points and returns what changed.
Operators act through ``acknowledge``, ``shelve`` and ``unshelve``; each
takes the time of the act, given by the caller.

Time is the observations' time, never the machine's clock.  The engine keeps
its own clock, the latest time it has seen; on/off delays, shelve expiries
and the end of a flood are timers that fire when the clock passes them
(between two observations, at their exact deadline), so replaying the same
inputs gives the same events to the bit.  Event times never go backwards:
an input older than the clock acts at the clock's time, and a sample older
than the last one of its tag is dropped (counted in ``stale``).  Within one
``feed`` the observations are taken in time order, a DeviceHealth before the
samples of the same instant (so a dead device's bad samples meet its
suppression, not an alarm).

A down device (``DeviceHealth.state == "down"``) suppresses its tags' alarms
by design; suppression forgets the condition and the rate's last value -
while a device does not answer nothing is known of its process - and the
first sample after it comes back decides afresh.

The state is plain data: ``to_dict`` / ``AlarmEngine.from_dict`` carry it
across a restart, and pending delays and shelves resume where they were.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from otm.alarms.conditions import (
    GOOD_ENOUGH,
    deviation_condition,
    device_condition,
    limit_condition,
    numeric,
    quality_condition,
    rate_condition,
)
from otm.alarms.definitions import (
    AlarmConfig,
    AlarmPoint,
    BadQualityAlarm,
    DeviationAlarm,
    DeviceDownAlarm,
    LimitAlarm,
    RateAlarm,
)
from otm.alarms.events import AlarmEvent, AlarmStatus, AlarmTransition, Value
from otm.alarms.flood import FloodFilter
from otm.alarms.states import (
    ANNUNCIATED,
    Action,
    AlarmState,
    next_state,
    opens_occurrence,
)
from otm.observations.records import DeviceHealth, Evidence, Observation, TagSample

STATE_SCHEMA = "otm.alarms.state/1"
"""Version of ``to_dict``'s output; ``from_dict`` refuses others."""

_DELAY = 0  # timer kinds, in the order they fire at one instant
_SHELVE = 1

Tag = tuple[str, str]


class AlarmError(ValueError):
    """An operator action that cannot be done as asked (unknown alarm, bad shelve time)."""


@dataclass
class _Point:
    """The changing part of a point; every field is plain data (see ``to_dict``).

    ``pending_since``: since when the raw condition differs from
    ``condition`` (an on- or off-delay running).  ``occurrences``: how many
    occurrences this point has opened, ever (the number after ``#``).
    ``last``: (time, value) of the previous number, for rates.
    """

    state: AlarmState = AlarmState.NORMAL
    condition: bool = False
    pending_since: float | None = None
    occurrences: int = 0
    since: float | None = None
    raised: float | None = None
    value: Value | None = None
    evidence: Evidence | None = None
    acknowledged_by: str | None = None
    acknowledged_at: float | None = None
    shelved_by: str | None = None
    shelved_until: float | None = None
    shelve_reason: str = ""
    suppressed: bool = False
    last: tuple[float, float] | None = None
    pending_token: int = 0
    shelve_token: int = 0


class AlarmEngine:
    """Alarm points of one configuration, their states, and the flood filter."""

    def __init__(self, config: AlarmConfig) -> None:
        self.config = config
        self._points: dict[str, AlarmPoint] = {p.key: p for p in config.points()}
        self._state: dict[str, _Point] = {key: _Point() for key in self._points}
        self._by_tag: dict[Tag, list[str]] = {}
        self._by_device: dict[str, list[str]] = {}
        for key, point in self._points.items():
            d = point.definition
            if point.tag is not None:
                self._index(self._by_tag, (point.device, point.tag), key)
            if isinstance(d, DeviationAlarm) and d.reference is not None:
                self._index(self._by_tag, (d.reference.device, d.reference.tag), key)
            if isinstance(d, DeviceDownAlarm) or point.suppress_when_down:
                self._index(self._by_device, point.device, key)
        self._latest: dict[Tag, float] = {}
        self._tag_time: dict[Tag, float] = {}
        self._devices: dict[str, str] = {}
        self._clock: float | None = None
        self._timers: list[tuple[float, int, str, int]] = []
        self._flood = FloodFilter(config.flood)
        self.stale = 0
        """Samples dropped because their tag had a newer one."""

    @staticmethod
    def _index(index: dict[Any, list[str]], where: Any, key: str) -> None:
        keys = index.setdefault(where, [])
        if key not in keys:
            keys.append(key)

    # -- inputs -----------------------------------------------------------------

    @property
    def clock(self) -> float | None:
        """The latest time the engine has seen (None before the first input)."""
        return self._clock

    def feed(self, observations: Iterable[Observation]) -> list[AlarmEvent]:
        """Evaluate samples and device health; the events they cause, in time order."""
        # Only what some point watches is evaluated: a monitor hands over every
        # polled tag, most without an alarm, and sorting them all was a tenth of
        # its flush time (bench/monitor.py).  Every sample still is a time: the
        # clock ends at the latest, and timers fire at their own deadlines
        # whichever inputs move the clock, so the events are the same.
        by_tag = self._by_tag
        watched: list[tuple[float, int, int, Observation]] = []
        latest: float | None = None
        for i, obs in enumerate(observations):
            if isinstance(obs, DeviceHealth):
                watched.append((obs.time, 0, i, obs))
            elif isinstance(obs, TagSample):
                if (obs.asset_ip, obs.tag) in by_tag:
                    watched.append((obs.time, 1, i, obs))
                elif latest is None or obs.time > latest:
                    latest = obs.time
        batch = sorted(watched, key=lambda item: item[:3])
        out: list[AlarmEvent] = []
        for time, _, _, obs in batch:
            now = self._advance(time, out)
            if isinstance(obs, TagSample):
                self._sample(obs, now, out)
            elif isinstance(obs, DeviceHealth):
                self._health(obs, now, out)
        if latest is not None:
            self._advance(latest, out)
        return out

    def advance(self, time: float) -> list[AlarmEvent]:
        """Move the clock to ``time`` without an observation (delays, shelves, floods)."""
        out: list[AlarmEvent] = []
        self._advance(time, out)
        return out

    def acknowledge(
        self, alarm_id: str, user: str, time: float, comment: str = ""
    ) -> list[AlarmEvent]:
        """Acknowledge the alarm's current occurrence.

        ``alarm_id`` is a point (``tank1-level.hi``: whatever occurrence is
        current) or one occurrence (``tank1-level.hi#3``: nothing happens if
        that one has already ended, so an operator never acknowledges an
        alarm they have not seen).  Acknowledging twice does nothing.
        """
        key, occurrence = self._resolve(alarm_id)
        _need_user(user)
        out: list[AlarmEvent] = []
        now = self._advance(time, out)
        if occurrence is None or occurrence == self._occurrence(key):
            self._move(key, Action.ACKNOWLEDGE, now, out, user=user, reason=comment)
        return out

    def shelve(
        self, alarm_id: str, user: str, time: float, until: float, reason: str = ""
    ) -> list[AlarmEvent]:
        """Hide the alarm until ``until`` (at most ``shelve_max`` seconds ahead).

        Shelving a shelved alarm sets a new end; a suppressed alarm cannot be
        shelved (nothing of it shows).
        """
        key, _ = self._resolve(alarm_id)
        _need_user(user)
        start = time if self._clock is None else max(time, self._clock)
        if not until > start:
            raise AlarmError(f"shelve of {key} must end after {start:g}, not at {until:g}")
        if until - start > self.config.shelve_max:
            raise AlarmError(
                f"shelve of {key} for {until - start:g} s exceeds the "
                f"{self.config.shelve_max:g} s allowed (shelve_max)"
            )
        out: list[AlarmEvent] = []
        now = self._advance(time, out)
        self._move(key, Action.SHELVE, now, out, user=user, reason=reason, until=float(until))
        return out

    def unshelve(self, alarm_id: str, user: str, time: float, reason: str = "") -> list[AlarmEvent]:
        """End a shelve now: the alarm shows again if its condition is present."""
        key, _ = self._resolve(alarm_id)
        _need_user(user)
        out: list[AlarmEvent] = []
        now = self._advance(time, out)
        self._move(key, Action.UNSHELVE, now, out, user=user, reason=reason)
        return out

    # -- views ------------------------------------------------------------------

    def active(self) -> list[AlarmStatus]:
        """The alarm summary: unacknowledged, acknowledged and returned-unacknowledged
        alarms, most urgent first, then oldest first."""
        return self._listed(ANNUNCIATED)

    def shelved(self) -> list[AlarmStatus]:
        """Alarms an operator has shelved."""
        return self._listed({AlarmState.SHELVED})

    def suppressed(self) -> list[AlarmStatus]:
        """Alarms suppressed by design (their device is down)."""
        return self._listed({AlarmState.SUPPRESSED})

    def status(self, alarm_id: str) -> AlarmStatus:
        """One point as it stands now."""
        key, _ = self._resolve(alarm_id)
        return self._status(key)

    def statuses(self) -> list[AlarmStatus]:
        """Every point, in configuration order."""
        return [self._status(key) for key in self._points]

    @property
    def in_flood(self) -> bool:
        """Whether a flood is running."""
        return self._flood.current is not None

    def _listed(self, states: Iterable[AlarmState]) -> list[AlarmStatus]:
        wanted = set(states)
        rows = [self._status(k) for k, p in self._state.items() if p.state in wanted]
        return sorted(
            rows,
            key=lambda s: (s.priority.rank, s.raised if s.raised is not None else 0.0, s.alarm),
        )

    def _status(self, key: str) -> AlarmStatus:
        point, p = self._points[key], self._state[key]
        return AlarmStatus(
            alarm=key,
            state=p.state,
            occurrence=self._occurrence(key),
            priority=point.priority,
            kind=point.kind,
            device=point.device,
            tag=point.tag,
            condition=p.condition,
            since=p.since,
            raised=p.raised,
            value=p.value,
            description=point.definition.description,
            acknowledged_by=p.acknowledged_by,
            acknowledged_at=p.acknowledged_at,
            shelved_by=p.shelved_by,
            shelved_until=p.shelved_until,
            shelve_reason=p.shelve_reason,
        )

    def _occurrence(self, key: str) -> str | None:
        p = self._state[key]
        return f"{key}#{p.occurrences}" if p.state in ANNUNCIATED else None

    def _resolve(self, alarm_id: str) -> tuple[str, str | None]:
        key, sep, _ = alarm_id.partition("#")
        if key not in self._points:
            raise AlarmError(f"no alarm {key!r}")
        return key, alarm_id if sep else None

    # -- time -------------------------------------------------------------------

    def _advance(self, time: float, out: list[AlarmEvent]) -> float:
        """Fire every timer due by ``time``, each at its own deadline; the new clock."""
        time = float(time)
        now = time if self._clock is None else max(self._clock, time)
        while True:
            flood_at = self._flood.next_deadline()
            timer_at = self._timers[0][0] if self._timers else None
            if (
                flood_at is not None
                and flood_at <= now
                and (timer_at is None or flood_at <= timer_at)
            ):
                self._clock = flood_at if self._clock is None else max(self._clock, flood_at)
                out.extend(self._flood.expire(flood_at))
            elif timer_at is not None and timer_at <= now:
                deadline, kind, key, token = heapq.heappop(self._timers)
                self._clock = deadline if self._clock is None else max(self._clock, deadline)
                self._fire(kind, key, token, self._clock, out)
            else:
                break
        self._clock = now
        return now

    def _fire(self, kind: int, key: str, token: int, now: float, out: list[AlarmEvent]) -> None:
        p = self._state[key]
        if kind == _DELAY:
            if p.pending_since is not None and p.pending_token == token:
                self._set_condition(key, not p.condition, now, out)
        elif p.shelve_token == token and p.shelved_until is not None:
            if p.state is AlarmState.SHELVED:
                self._move(key, Action.UNSHELVE, now, out, reason="shelve expired")
            else:  # expired under a suppression: nothing shows, nothing to say
                p.shelved_by, p.shelved_until, p.shelve_reason = None, None, ""

    # -- evaluation -------------------------------------------------------------

    def _sample(self, obs: TagSample, now: float, out: list[AlarmEvent]) -> None:
        tag = (obs.asset_ip, obs.tag)
        keys = self._by_tag.get(tag)
        if not keys:
            return
        last = self._tag_time.get(tag)
        if last is not None and obs.time < last:
            self.stale += 1
            return
        self._tag_time[tag] = obs.time
        x = numeric(obs.value) if obs.quality in GOOD_ENOUGH else None
        if x is not None:
            self._latest[tag] = x
        for key in keys:
            point, p = self._points[key], self._state[key]
            d = point.definition
            own = point.tag == obs.tag and point.device == obs.asset_ip
            if own:
                p.value, p.evidence = obs.value, obs.evidence
            raw: bool | None
            if isinstance(d, LimitAlarm):
                assert point.limit is not None and point.level is not None
                raw = limit_condition(
                    obs.value,
                    obs.quality,
                    limit=point.limit,
                    rising=point.level.rising,
                    condition=p.condition,
                    deadband=d.deadband,
                )
            elif isinstance(d, RateAlarm):
                raw = rate_condition(
                    self._rate(p, obs.time, x),
                    limit=d.rate,
                    direction=d.direction,
                    condition=p.condition,
                    deadband=d.deadband,
                )
            elif isinstance(d, DeviationAlarm):
                reference = (
                    d.setpoint
                    if d.reference is None
                    else self._latest.get((d.reference.device, d.reference.tag))
                )
                raw = (
                    None
                    if x is None
                    else deviation_condition(
                        self._latest.get((point.device, d.tag)),
                        reference,
                        limit=d.limit,
                        direction=d.direction,
                        condition=p.condition,
                        deadband=d.deadband,
                    )
                )
            elif isinstance(d, BadQualityAlarm):
                raw = quality_condition(obs.quality, d.qualities) if own else None
            else:  # pragma: no cover - device alarms are not indexed by tag
                raw = None
            self._input(key, raw, now, out)

    @staticmethod
    def _rate(p: _Point, time: float, x: float | None) -> float | None:
        if x is None:
            return None
        rate = None
        if p.last is not None and time > p.last[0]:
            rate = (x - p.last[1]) / (time - p.last[0])
        if p.last is None or time > p.last[0]:
            p.last = (time, x)
        return rate

    def _health(self, obs: DeviceHealth, now: float, out: list[AlarmEvent]) -> None:
        device = obs.asset_ip
        self._devices[device] = obs.state
        for key in self._by_device.get(device, ()):
            point, p = self._points[key], self._state[key]
            d = point.definition
            if isinstance(d, DeviceDownAlarm):
                p.value, p.evidence = obs.state, obs.evidence
                self._input(key, device_condition(obs.state, degraded=d.degraded), now, out)
                continue
            down = obs.state == "down"
            if down and not p.suppressed:
                p.suppressed = True
                p.condition, p.pending_since, p.last = False, None, None
                self._move(key, Action.SUPPRESS, now, out, reason=f"device {device} down")
            elif not down and p.suppressed:
                p.suppressed = False
                self._move(key, Action.UNSUPPRESS, now, out, reason=f"device {device} {obs.state}")

    def _input(self, key: str, raw: bool | None, now: float, out: list[AlarmEvent]) -> None:
        """Debounce: the condition follows ``raw`` once it has differed for the delay."""
        if raw is None:
            return
        p = self._state[key]
        if raw == p.condition:
            p.pending_since = None
            return
        if p.pending_since is not None:
            return
        on_delay, off_delay = self._points[key].delays
        delay = on_delay if raw else off_delay
        if delay <= 0:
            self._set_condition(key, raw, now, out)
            return
        p.pending_since = now
        p.pending_token += 1
        heapq.heappush(self._timers, (now + delay, _DELAY, key, p.pending_token))

    def _set_condition(self, key: str, condition: bool, now: float, out: list[AlarmEvent]) -> None:
        p = self._state[key]
        p.condition, p.pending_since = condition, None
        action = Action.ACTIVATE if condition else Action.CLEAR
        self._move(key, action, now, out, reason=self._why(key))

    def _why(self, key: str) -> str:
        point, p = self._points[key], self._state[key]
        d = point.definition
        state = "present" if p.condition else "gone"
        if isinstance(d, LimitAlarm) and point.level is not None:
            sign = (">=" if point.level.rising else "<=") if p.condition else "within"
            return f"{d.tag} {p.value!r} {sign} {point.level.value} {point.limit:g}"
        if isinstance(d, RateAlarm):
            return f"{d.tag} rate of change {state} (limit {d.rate:g}/s {d.direction})"
        if isinstance(d, DeviationAlarm):
            ref = f"{d.setpoint:g}" if d.reference is None else d.reference.tag
            return f"{d.tag} deviation from {ref} {state} (limit {d.limit:g})"
        if isinstance(d, BadQualityAlarm):
            return f"{d.tag} quality {state}"
        return f"device {point.device} {p.value}"

    # -- the state machine --------------------------------------------------------

    def _move(
        self,
        key: str,
        action: Action,
        now: float,
        out: list[AlarmEvent],
        *,
        user: str | None = None,
        reason: str = "",
        until: float | None = None,
    ) -> None:
        point, p = self._points[key], self._state[key]
        shelved = p.shelved_until is not None and p.shelved_until > now
        before = p.state
        after = next_state(before, action, condition=p.condition, shelved=shelved)
        if after is None:
            return
        occurrence = self._occurrence(key)
        ended = None
        if opens_occurrence(before, after):
            ended = occurrence
            p.occurrences += 1
            occurrence = f"{key}#{p.occurrences}"
            p.raised = now
            p.acknowledged_by = p.acknowledged_at = None
        if action is Action.ACKNOWLEDGE:
            p.acknowledged_by, p.acknowledged_at = user, now
        if action is Action.SHELVE:
            p.shelved_by, p.shelved_until, p.shelve_reason = user, until, reason
            p.shelve_token += 1
            assert until is not None
            heapq.heappush(self._timers, (until, _SHELVE, key, p.shelve_token))
        elif action is Action.UNSHELVE:
            p.shelved_by, p.shelved_until, p.shelve_reason = None, None, ""
        if after not in ANNUNCIATED:
            p.raised = None
            p.acknowledged_by = p.acknowledged_at = None
        p.state, p.since = after, now
        event = AlarmTransition(
            time=now,
            alarm=key,
            occurrence=occurrence,
            action=action,
            before=before,
            after=after,
            priority=point.priority,
            kind=point.kind,
            device=point.device,
            tag=point.tag,
            user=user,
            reason=reason,
            value=p.value if action in (Action.ACTIVATE, Action.CLEAR) else None,
            evidence=p.evidence if action in (Action.ACTIVATE, Action.CLEAR) else None,
            shelved_until=until,
            ended=ended,
        )
        out.extend(self._flood.offer(event))

    # -- plain dicts ------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The whole state as JSON-ready data (points by key; timers are derived)."""
        points: dict[str, Any] = {}
        for key, p in self._state.items():
            data = dataclasses.asdict(p)
            del data["pending_token"], data["shelve_token"]
            data["state"] = str(p.state)
            data["last"] = list(p.last) if p.last is not None else None
            points[key] = data
        return {
            "schema": STATE_SCHEMA,
            "clock": self._clock,
            "points": points,
            "devices": dict(sorted(self._devices.items())),
            "latest": [[d, t, x] for (d, t), x in sorted(self._latest.items())],
            "tag_times": [[d, t, x] for (d, t), x in sorted(self._tag_time.items())],
            "flood": self._flood.to_dict(),
            "stale": self.stale,
        }

    @classmethod
    def from_dict(cls, config: AlarmConfig, data: dict[str, Any]) -> AlarmEngine:
        """An engine for ``config`` in the state ``to_dict`` wrote.

        Points the configuration no longer has are dropped; new points start
        normal.  Raises ``ValueError`` for another schema.
        """
        if data.get("schema") != STATE_SCHEMA:
            raise ValueError(f"not an alarm state of {STATE_SCHEMA}: {data.get('schema')!r}")
        engine = cls(config)
        engine._clock = data["clock"]
        for key, saved in data["points"].items():
            if key not in engine._state:
                continue
            evidence = saved["evidence"]
            last = saved["last"]
            fields = {
                **saved,
                "state": AlarmState(saved["state"]),
                "evidence": Evidence(**evidence) if evidence is not None else None,
                "last": (float(last[0]), float(last[1])) if last is not None else None,
            }
            p = engine._state[key] = _Point(**fields)
            on_delay, off_delay = engine._points[key].delays
            if p.pending_since is not None:
                p.pending_token = 1
                delay = off_delay if p.condition else on_delay
                engine._timers.append((p.pending_since + delay, _DELAY, key, 1))
            if p.shelved_until is not None:
                p.shelve_token = 1
                engine._timers.append((p.shelved_until, _SHELVE, key, 1))
        heapq.heapify(engine._timers)
        engine._devices = dict(data["devices"])
        engine._latest = {(d, t): float(x) for d, t, x in data["latest"]}
        engine._tag_time = {(d, t): float(x) for d, t, x in data["tag_times"]}
        engine._flood.restore(data["flood"])
        engine.stale = int(data["stale"])
        return engine


def _need_user(user: str) -> None:
    if not user.strip():
        raise AlarmError("an operator action names who took it (user)")
