"""Alarm definitions: what is an alarm, on which tag, at what limit, how urgent.

A *definition* is one entry of the alarm file (``otm.alarms/1``, see
``otm.alarms.loader``).  It expands into one or more *points*, the things that
have a state: a limit definition with HI and HIHI limits is two points
(``tank1-level.hi`` and ``tank1-level.hihi``), as ISA-18.2 counts each limit
as its own alarm; every other kind is one point named after the definition.

Definitions are frozen pydantic models (validated once, when the file is
read); points are frozen dataclasses the engine indexes by device and tag.
Times and delays are seconds; rates are engineering units per second.
"""

from __future__ import annotations

import ipaddress
import itertools
import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator


class Priority(StrEnum):
    """How soon an operator must act (ISA-18.2 recommends three or four levels).

    ``critical``: act now, safety or large loss; ``high``: act within minutes;
    ``medium``: act within the shift's attention span; ``low``: act when able.
    """

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for the most urgent: sorts an alarm summary most urgent first."""
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {p: i for i, p in enumerate(Priority)}


class AlarmKind(StrEnum):
    """The condition a definition watches."""

    LIMIT = "limit"  # value beyond a HI/HIHI/LO/LOLO limit
    RATE = "rate"  # value changing faster than a rate (units/s)
    DEVIATION = "deviation"  # value too far from a setpoint or another tag
    BAD_QUALITY = "bad_quality"  # the poller could not read a trustworthy value
    DEVICE_DOWN = "device_down"  # DeviceHealth says the device does not answer


class LimitLevel(StrEnum):
    """The four classic absolute limits, in the order a value meets them rising."""

    LOLO = "lolo"
    LO = "lo"
    HI = "hi"
    HIHI = "hihi"

    @property
    def rising(self) -> bool:
        """True for HI/HIHI (alarm above the limit), False for LO/LOLO (below)."""
        return self in (LimitLevel.HI, LimitLevel.HIHI)


class Direction(StrEnum):
    """Which way of change (rate) or of difference (deviation) alarms."""

    RISING = "rising"  # rate: increasing; deviation: value above the reference
    FALLING = "falling"  # rate: decreasing; deviation: value below the reference
    BOTH = "both"


# -- value checks ---------------------------------------------------------------


def _finite(value: object) -> object:
    """A finite number; text that reads as one (YAML 1.1 reads ``1e3`` as text) is one."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"expected a number, got {value!r}") from None
    if isinstance(value, int | float) and not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value!r}")
    return value


def _ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address (the device's asset_ip)") from None


def _name(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValueError("must not be empty")
    if "#" in text:
        raise ValueError(f"{text!r}: '#' separates an alarm from its occurrence number")
    return text


Number = Annotated[float, BeforeValidator(_finite)]
NonNegative = Annotated[float, BeforeValidator(_finite), Field(ge=0)]
Seconds = NonNegative
Positive = Annotated[float, BeforeValidator(_finite), Field(gt=0)]
DeviceIp = Annotated[str, AfterValidator(_ip)]
Name = Annotated[str, AfterValidator(_name)]
TagName = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TagRef(_Strict):
    """A tag of a device, as the poller names it in ``TagSample(asset_ip, tag)``."""

    device: DeviceIp
    tag: TagName


class LimitSpec(_Strict):
    """One limit with its own priority (``hihi: {limit: 95, priority: critical}``)."""

    limit: Number
    priority: Priority | None = None


def _limit_shorthand(value: object) -> object:
    """``hi: 90`` means ``hi: {limit: 90}``."""
    if isinstance(value, dict | LimitSpec):
        return value
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        return {"limit": value}
    raise ValueError(f"expected a number or {{limit: ..., priority: ...}}, got {value!r}")


LimitValue = Annotated[LimitSpec, BeforeValidator(_limit_shorthand)]


class _Common(_Strict):
    """Fields every definition has.

    ``on_delay``: the condition must hold that long before the alarm is raised
    (filters chatter); ``off_delay``: it must be gone that long before the
    alarm returns to normal.
    """

    name: Name
    description: str = ""
    priority: Priority = Priority.MEDIUM
    on_delay: Seconds = 0.0
    off_delay: Seconds = 0.0


class _TagAlarm(_Common):
    """A definition on one tag of one device.

    ``suppress_when_down``: while the device's DeviceHealth says ``down`` the
    alarm is suppressed by design (its values are not known, and a dead
    device's bad-quality samples must not flood the operator).
    """

    device: DeviceIp
    tag: TagName
    suppress_when_down: bool = True


class LimitAlarm(_TagAlarm):
    """Absolute limits: HI/HIHI above, LO/LOLO below; ``deadband`` in units.

    Raised when the value reaches a limit (``>=`` HI, ``<=`` LO); returns to
    normal only when it is back inside by more than the deadband (below
    ``hi - deadband``, above ``lo + deadband``), so noise at the limit does
    not chatter.
    """

    kind: Literal["limit"]
    hihi: LimitValue | None = None
    hi: LimitValue | None = None
    lo: LimitValue | None = None
    lolo: LimitValue | None = None
    deadband: NonNegative = 0.0

    @model_validator(mode="after")
    def _ordered(self) -> LimitAlarm:
        given = [(level, spec.limit) for level, spec in self.limits()]
        if not given:
            raise ValueError("a limit alarm needs at least one of hihi, hi, lo, lolo")
        for (low_level, low), (high_level, high) in itertools.pairwise(given):
            if low > high or (low == high and low_level.rising != high_level.rising):
                raise ValueError(
                    f"limits out of order: {low_level} {low:g} must be below "
                    f"{high_level} {high:g} (lolo <= lo < hi <= hihi)"
                )
        return self

    def limits(self) -> list[tuple[LimitLevel, LimitSpec]]:
        """The limits given, lowest first."""
        specs = {
            LimitLevel.LOLO: self.lolo,
            LimitLevel.LO: self.lo,
            LimitLevel.HI: self.hi,
            LimitLevel.HIHI: self.hihi,
        }
        return [(level, spec) for level, spec in specs.items() if spec is not None]


class RateAlarm(_TagAlarm):
    """Rate of change between consecutive samples, in units per second.

    The rate is re-evaluated only when a sample arrives: with report-by-exception
    polling a value that stops changing sends nothing, so the poller should
    report at least every few intervals for tags with a rate alarm.
    """

    kind: Literal["rate"]
    rate: Positive
    direction: Direction = Direction.BOTH
    deadband: NonNegative = 0.0


class DeviationAlarm(_TagAlarm):
    """The value differs from a fixed setpoint, or from another tag, by ``limit`` or more."""

    kind: Literal["deviation"]
    limit: Positive
    setpoint: Number | None = None
    reference: TagRef | None = None
    direction: Direction = Direction.BOTH
    deadband: NonNegative = 0.0

    @model_validator(mode="after")
    def _one_reference(self) -> DeviationAlarm:
        if (self.setpoint is None) == (self.reference is None):
            raise ValueError("a deviation alarm needs exactly one of setpoint, reference")
        return self


class BadQualityAlarm(_TagAlarm):
    """The tag's samples carry a quality in ``qualities`` (default: only ``bad``)."""

    kind: Literal["bad_quality"]
    qualities: frozenset[Literal["bad", "uncertain"]] = frozenset({"bad"})


class DeviceDownAlarm(_Common):
    """The device's DeviceHealth state is ``down`` (or also ``degraded`` when asked)."""

    kind: Literal["device_down"]
    device: DeviceIp
    degraded: bool = False


AlarmDefinition = Annotated[
    LimitAlarm | RateAlarm | DeviationAlarm | BadQualityAlarm | DeviceDownAlarm,
    Field(discriminator="kind"),
]
"""One entry of the alarm file."""

TagDefinition = LimitAlarm | RateAlarm | DeviationAlarm | BadQualityAlarm
"""The definitions that watch a tag's samples."""


class FloodSettings(_Strict):
    """When the alarm rate is a flood, and when the flood is over.

    ISA-18.2 (and EEMUA 191) call more than 10 alarms in 10 minutes for one
    operator a flood, and the flood over when the rate falls below 5 in 10
    minutes: the defaults.  During a flood new alarms still enter the state
    (``active()`` lists them) but the event stream carries one flood summary
    instead of a row per alarm.
    """

    max_alarms: int = Field(default=10, ge=1)
    window: Positive = 600.0
    clear_below: int = Field(default=5, ge=1)

    @model_validator(mode="after")
    def _hysteresis(self) -> FloodSettings:
        if self.clear_below > self.max_alarms:
            raise ValueError(
                f"clear_below ({self.clear_below}) must not exceed max_alarms ({self.max_alarms})"
            )
        return self


DEFAULT_SHELVE_MAX = 8 * 3600.0
"""Longest shelve allowed (one shift): ISA-18.2 wants shelving time-limited,
so a forgotten shelve cannot hide an alarm for ever."""


@dataclass(frozen=True, slots=True)
class AlarmPoint:
    """One alarm with a state: a definition, or one limit of a limit definition.

    ``key`` is unique in a configuration: the definition's name, with
    ``.hi``/``.hihi``/``.lo``/``.lolo`` for limits.  ``tag`` is None for device
    alarms.  ``limit`` is the threshold the point compares with (limit value,
    rate, or deviation), None for quality and device alarms.
    """

    key: str
    definition: LimitAlarm | RateAlarm | DeviationAlarm | BadQualityAlarm | DeviceDownAlarm
    priority: Priority
    device: str
    tag: str | None
    level: LimitLevel | None = None
    limit: float | None = None

    @property
    def kind(self) -> AlarmKind:
        """The definition's kind."""
        return AlarmKind(self.definition.kind)

    @property
    def delays(self) -> tuple[float, float]:
        """(on-delay, off-delay) in seconds."""
        return self.definition.on_delay, self.definition.off_delay

    @property
    def suppress_when_down(self) -> bool:
        """Whether a down device suppresses this point by design."""
        return isinstance(self.definition, _TagAlarm) and self.definition.suppress_when_down


@dataclass(frozen=True)
class AlarmConfig:
    """A validated alarm file: the points to watch and the engine's settings.

    ``flood`` None disables flood handling (every transition is a row).
    """

    definitions: tuple[
        LimitAlarm | RateAlarm | DeviationAlarm | BadQualityAlarm | DeviceDownAlarm, ...
    ] = ()
    flood: FloodSettings | None = field(default_factory=FloodSettings)
    shelve_max: float = DEFAULT_SHELVE_MAX

    def points(self) -> list[AlarmPoint]:
        """Every point of every definition, in file order."""
        out: list[AlarmPoint] = []
        for d in self.definitions:
            if isinstance(d, LimitAlarm):
                for level, spec in reversed(d.limits()):
                    out.append(
                        AlarmPoint(
                            key=f"{d.name}.{level}",
                            definition=d,
                            priority=spec.priority or d.priority,
                            device=d.device,
                            tag=d.tag,
                            level=level,
                            limit=spec.limit,
                        )
                    )
            elif isinstance(d, DeviceDownAlarm):
                out.append(AlarmPoint(d.name, d, d.priority, d.device, None))
            else:
                limit = (
                    d.rate
                    if isinstance(d, RateAlarm)
                    else d.limit
                    if isinstance(d, DeviationAlarm)
                    else None
                )
                out.append(AlarmPoint(d.name, d, d.priority, d.device, d.tag, limit=limit))
        return out


def definitions_from(items: list[dict[str, Any]]) -> tuple[Any, ...]:
    """Definitions from plain data (tests and code building a configuration).

    Raises pydantic's ``ValidationError``; files go through
    ``otm.alarms.loader`` for messages with line numbers.
    """
    return tuple(_Definitions.model_validate({"alarms": items}).alarms)


class _Definitions(_Strict):
    alarms: list[AlarmDefinition]
