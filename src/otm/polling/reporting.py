"""Readings -> ``TagSample`` observations, with deadband and report-by-exception.

A tag reports every poll unless it reports by exception (its own
``report_by_exception``, else its device's; a deadband above zero implies
it).  Then a sample is emitted when:

- the tag has never been reported;
- its quality changed (good -> bad is news even when the value did not move);
- its value moved by more than the deadband from the last *reported* value
  (numbers; the comparison is with the last report, not the last poll, so a
  slow drift is reported once it adds up) or changed at all (bools, text);
- ``heartbeat`` seconds passed since its last report (the device's setting),
  so a consumer can tell a steady value from a silent poller.

A bad reading carries the tag's last good value, or NaN when it never had
one: ``TagSample.value`` cannot be empty, and a historian keeps the last
known value with a bad quality as SCADA systems do.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from otm.observations.records import Evidence, TagSample
from otm.polling.drivers.base import Reading, Value
from otm.polling.tags import DeviceSpec, Quality


@dataclass(slots=True)
class _Last:
    value: Value | None = None
    quality: Quality | None = None
    time: float = 0.0
    good: Value | None = None


def moved(old: Value | None, new: Value, deadband: float) -> bool:
    """Did ``new`` move from ``old`` by more than ``deadband`` (non-numbers: any change)?"""
    if old is None:
        return True
    if (
        isinstance(old, bool)
        or isinstance(new, bool)
        or isinstance(old, str)
        or isinstance(new, str)
    ):
        return type(old) is not type(new) or old != new
    if isinstance(old, float) and isinstance(new, float) and math.isnan(old) and math.isnan(new):
        return False
    if deadband <= 0:
        return old != new
    return not abs(new - old) <= deadband  # NaN on one side counts as moved


class Reporter:
    """Turns one device's readings into samples, remembering what it last reported per tag."""

    def __init__(self, device: DeviceSpec) -> None:
        self.device = device
        self._last: dict[str, _Last] = {tag.name: _Last() for tag in device.tags}
        self._by_exception = {
            tag.name: bool(
                tag.deadband > 0
                or (
                    tag.report_by_exception
                    if tag.report_by_exception is not None
                    else device.report_by_exception
                )
            )
            for tag in device.tags
        }
        self._evidence: dict[str, Evidence] = {}

    def samples(self, readings: Sequence[Reading], time: float) -> list[TagSample]:
        """The samples to emit for one cycle's readings, taken at ``time``."""
        out: list[TagSample] = []
        heartbeat = self.device.heartbeat
        for reading in readings:
            tag = reading.tag
            last = self._last[tag.name]
            value: Value
            if reading.quality is not Quality.BAD and reading.value is not None:
                value = reading.value
                last.good = value
            elif reading.value is not None:
                value = reading.value
            else:
                value = last.good if last.good is not None else math.nan
            if self._by_exception[tag.name] and last.quality is not None:
                news = (
                    reading.quality is not last.quality
                    or moved(last.value, value, tag.deadband)
                    or (heartbeat is not None and time - last.time >= heartbeat)
                )
                if not news:
                    continue
            last.value, last.quality, last.time = value, reading.quality, time
            out.append(
                TagSample(
                    time=time,
                    asset_ip=self.device.host,
                    tag=tag.name,
                    value=value,
                    quality=str(reading.quality),
                    evidence=self._evidence_for(reading.message),
                )
            )
        return out

    def _evidence_for(self, message: str) -> Evidence:
        evidence = self._evidence.get(message)
        if evidence is None:
            evidence = self._evidence[message] = Evidence("poll", self.device.name, None, message)
        return evidence
