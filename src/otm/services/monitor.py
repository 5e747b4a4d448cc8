"""Use case: ``otm monitor`` - poll the tags, keep their history, raise alarms, track health.

One asyncio loop runs the poller (``otm.polling.poll``) over the tag
document; its observations land in an in-memory inbox.  About once a
second (``flush_interval``) the inbox is handed, in a worker thread so the
poller never waits on the database, to the consumers in this order:

1. the **historian** stores the tag samples (when the database is away it
   holds them in its bounded buffer and they are retried first at the next
   flush: nothing is lost while the outage fits the buffer);
2. **device health** reports update ``device_health``; a change of state is
   also stored as an observation of the ``monitor`` source, next to an
   ``AssetSeen`` for a device answering for the first time, and the
   inventory is rebuilt when that added a device it did not know - so a
   polled device is in the inventory, with its health, even when no capture
   ever saw it;
3. the **alarm engine** (restored from the store, see ``services.alarms``)
   is fed the whole inbox, its clock advanced to now (delays, shelve ends and
   floods fire while no sample comes), operator actions waiting in the store
   are taken, and the state is saved with the new journal rows.

Every part fails on its own: a store error is reported (once per distinct
message) and retried at the next flush; the poller keeps polling.  A clean
stop (``stop`` set: Ctrl-C, SIGTERM, ``duration``) lets the cycles in
flight finish, flushes everything, saves the engine and releases it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import socket
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from otm.alarms import AlarmEvent, AlarmTransition, FloodSummary
from otm.historian import Historian
from otm.historian.historian import HistorianRejectedError, HistorianUnavailableError
from otm.historian.retention import Retention
from otm.model.monitoring import HealthChange
from otm.observations.records import AssetSeen, DeviceHealth, Evidence, Observation, TagSample
from otm.polling import PollSummary, TagDocument, poll
from otm.polling.drivers import DriverFactory
from otm.services.alarms import EngineHome, restore, take_pending
from otm.services.analysis import rebuild_inventory
from otm.store.errors import StoreError
from otm.store.monitoring import MonitoringStore

SOURCE_KIND = "poll"
SOURCE_KEY = "monitor"
"""The store source holding what monitoring observed: devices answering, health changes."""


@dataclass(frozen=True)
class Problem:
    """Something the monitor could not do (``recovered`` once it can again)."""

    part: str
    message: str
    recovered: bool = False


MonitorEvent = HealthChange | AlarmEvent | Problem
"""What the monitor reports as it happens (for the console)."""


@dataclass
class MonitorOptions:
    """Everything ``otm monitor`` takes besides the database."""

    tags: TagDocument
    tags_source: str = "<tags>"
    alarms_text: str | None = None
    alarms_source: str = "<alarms>"
    flush_interval: float = 1.0
    heartbeat: float = 5.0
    retention: Retention = field(default_factory=Retention)
    retention_interval: float = 3600.0
    duration: float | None = None


@dataclass
class MonitorStatus:
    """Counts of a run so far; what the heartbeat stores and the command line prints."""

    devices: int
    samples: int = 0
    stored: int = 0
    pending: int = 0
    dropped: int = 0
    rejected: int = 0
    health: dict[str, str] = field(default_factory=dict)
    health_changes: int = 0
    alarm_events: int = 0
    active_alarms: int = 0
    actions: int = 0
    store_errors: int = 0
    flushes: int = 0
    poll: PollSummary | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the heartbeat row."""
        data = asdict(self)
        data["poll"] = None if self.poll is None else asdict(self.poll)
        return data


class Monitor:
    """One monitoring run over one database (see the module docstring)."""

    def __init__(
        self,
        url: str,
        options: MonitorOptions,
        *,
        drivers: DriverFactory | None = None,
        clock: Callable[[], float] = time.time,
        on_event: Callable[[MonitorEvent], None] | None = None,
    ) -> None:
        self.options = options
        self._drivers = drivers
        self._clock = clock
        self._on_event = on_event or (lambda _event: None)
        self.status = MonitorStatus(devices=len(options.tags.devices))
        self._url = url
        self._inbox: list[Observation] = []
        self._health_retry: dict[str, DeviceHealth] = {}
        self._answered: set[str] = set()
        self._last_good: dict[str, DeviceHealth] = {}
        self._registered: set[str] = set()
        self._seen_unsaved: list[Observation] = []
        self._failing: dict[str, str] = {}
        self._last_beat = 0.0
        self._last_save = 0.0
        self._last_retention = 0.0
        self._home: EngineHome | None = None

    async def run(self, stop: asyncio.Event) -> MonitorStatus:
        """Monitor until ``stop`` is set (or ``duration`` passes); the final counts.

        Raises ``AlarmFileError`` for an alarm file that does not parse,
        ``EngineBusyError`` when another monitor runs on the database and
        ``StoreError`` when the database cannot be opened; all before any
        device is polled.
        """
        store = MonitoringStore(self._url)
        historian: Historian | None = None
        run_id: int | None = None
        try:
            self._home = restore(store, self.options.alarms_text, self.options.alarms_source)
            historian = Historian(self._url, retention=self.options.retention)
            run_id = store.claim_engine(
                socket.gethostname(), os.getpid(), self.options.tags_source, self._clock()
            )
            self._registered = {ip for ip in self._polled_ips() if store.asset(ip) is not None}
            await self._loop(store, historian, run_id, stop)
        finally:
            if run_id is not None:
                await asyncio.to_thread(self._close, store, historian, run_id)
            if historian is not None:
                historian.close()
            store.close()
        return self.status

    def _polled_ips(self) -> list[str]:
        return [device.host for device in self.options.tags.devices]

    async def _loop(
        self, store: MonitoringStore, historian: Historian, run_id: int, stop: asyncio.Event
    ) -> None:
        poll_stop = asyncio.Event()
        poller = asyncio.create_task(
            poll(
                self.options.tags,
                self._inbox.extend,
                poll_stop,
                drivers=self._drivers,
                clock=self._clock,
            )
        )
        loop = asyncio.get_running_loop()
        ends = None if self.options.duration is None else loop.time() + self.options.duration
        try:
            while not stop.is_set() and not poller.done():
                wait = self.options.flush_interval
                if ends is not None:
                    wait = min(wait, ends - loop.time())
                    if wait <= 0:
                        break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), wait)
                await self._flush_now(store, historian, run_id)
        finally:
            poll_stop.set()
            try:
                self.status.poll = await poller
            finally:
                await self._flush_now(store, historian, run_id, final=True)

    async def _flush_now(
        self, store: MonitoringStore, historian: Historian, run_id: int, final: bool = False
    ) -> None:
        batch, self._inbox[:] = list(self._inbox), []
        await asyncio.to_thread(self._flush, store, historian, run_id, batch, final)

    # -- one flush (worker thread) -------------------------------------------

    def _flush(
        self,
        store: MonitoringStore,
        historian: Historian,
        run_id: int,
        batch: list[Observation],
        final: bool,
    ) -> None:
        now = self._clock()
        samples = [o for o in batch if isinstance(o, TagSample)]
        reports = [o for o in batch if isinstance(o, DeviceHealth)]
        self.status.samples += len(samples)
        self.status.flushes += 1
        self._historian(historian, samples)
        self._health(store, reports, now)
        if final:
            self._last_seen(store, now)
        self._alarms(store, batch, now, final)
        if final or now - self._last_beat >= self.options.heartbeat:
            self._guard("heartbeat", lambda: store.beat(run_id, now, self.status.to_dict()))
            self._last_beat = now
        retention_due = now - self._last_retention >= self.options.retention_interval
        if (
            not final
            and retention_due
            and self._guard("retention", lambda: historian.apply_retention(now))
        ):
            self._last_retention = now

    def _historian(self, historian: Historian, samples: list[TagSample]) -> None:
        try:
            if samples:
                self.status.stored += historian.write(samples)
            elif historian.pending:
                self.status.stored += historian.flush()
        except (HistorianUnavailableError, HistorianRejectedError) as exc:
            self._trouble("historian", str(exc))
        else:
            self._recover("historian")
        self.status.pending = historian.pending
        self.status.dropped = historian.dropped
        self.status.rejected = historian.rejected

    def _health(self, store: MonitoringStore, reports: list[DeviceHealth], now: float) -> None:
        for report in reports:
            self.status.health[report.asset_ip] = report.state
            if report.last_good is not None:
                self._last_good[report.asset_ip] = report
            if report.state != "down" and report.asset_ip not in self._answered:
                self._answered.add(report.asset_ip)
                if report.asset_ip not in self._registered:
                    self._seen_unsaved.append(_answering(report))
        pending = [*self._health_retry.values(), *reports]
        if not pending:
            return
        try:
            changes = store.record_health(pending)
        except StoreError as exc:
            for report in pending:
                self._health_retry[report.asset_ip] = report
            self._trouble("health", str(exc))
            return
        self._recover("health")
        self._health_retry.clear()
        by_ip = {r.asset_ip: r for r in pending}
        for change in changes:
            self.status.health_changes += 1
            self._on_event(change)
            changed = by_ip.get(change.asset_ip)
            if changed is not None:
                self._seen_unsaved.append(changed)
        self._register(store, now)

    def _last_seen(self, store: MonitoringStore, now: float) -> None:
        """At the end of a run: each device was last seen at its last good answer."""
        for report in self._last_good.values():
            seen = _answering(report)
            self._seen_unsaved.append(dataclasses.replace(seen, time=report.last_good or seen.time))
        if self._seen_unsaved:
            self._registered.clear()  # rebuild: last seen moved
        self._register(store, now)

    def _register(self, store: MonitoringStore, now: float) -> None:
        """Store the monitor's observations; rebuild the inventory for new devices."""
        if not self._seen_unsaved:
            return
        new = {o.ip for o in self._seen_unsaved if isinstance(o, AssetSeen) and o.ip}
        try:
            store.append_observations(
                SOURCE_KIND, SOURCE_KEY, self.options.tags_source, 0, self._seen_unsaved, now
            )
            self._seen_unsaved = []
            if new - self._registered:
                rebuild_inventory(store)
                self._registered |= new
        except StoreError as exc:
            self._trouble("inventory", str(exc))
        else:
            self._recover("inventory")

    def _alarms(
        self, store: MonitoringStore, batch: list[Observation], now: float, final: bool
    ) -> None:
        home = self._home
        if home is None:
            return
        events = home.engine.feed(batch)
        events += home.engine.advance(now)
        home.record(events)
        for event in events:
            self.status.alarm_events += 1
            self._on_event(event)
        due = final or now - self._last_save >= self.options.heartbeat
        try:
            taken = take_pending(store, home, now)
            if home.unsaved or due:
                home.save(store, now)
                self._last_save = now
        except StoreError as exc:
            self._trouble("alarms", str(exc))
            return
        self._recover("alarms")
        self.status.actions += len(taken)
        self.status.active_alarms = len(home.engine.active())

    # -- problems ---------------------------------------------------------

    def _guard(self, part: str, work: Callable[[], object]) -> bool:
        try:
            work()
        except StoreError as exc:
            self._trouble(part, str(exc))
            return False
        self._recover(part)
        return True

    def _trouble(self, part: str, message: str) -> None:
        self.status.store_errors += 1
        if self._failing.get(part) != message:
            self._failing[part] = message
            self._on_event(Problem(part, message))

    def _recover(self, part: str) -> None:
        if self._failing.pop(part, None) is not None:
            self._on_event(Problem(part, "working again", recovered=True))

    def _close(self, store: MonitoringStore, historian: Historian | None, run_id: int) -> None:
        now = self._clock()
        if historian is not None and historian.pending:
            try:
                self.status.stored += historian.flush()
            except (HistorianUnavailableError, HistorianRejectedError) as exc:
                self._trouble("historian", str(exc))
            self.status.pending = historian.pending
        self._guard("heartbeat", lambda: store.release_engine(run_id, now, self.status.to_dict()))


def _answering(report: DeviceHealth) -> AssetSeen:
    """A polled device answered: it exists at that address (no MAC: polled over IP)."""
    evidence = Evidence(
        report.evidence.source,
        report.evidence.ref,
        None,
        f"answered {report.protocol or 'a'} poll",
    )
    return AssetSeen(report.time, None, report.asset_ip, evidence)


def describe(event: MonitorEvent) -> str:
    """One line for the console."""
    if isinstance(event, HealthChange):
        was = f" (was {event.previous})" if event.previous else ""
        return f"health {event.asset_ip}: {event.state}{was}"
    if isinstance(event, AlarmTransition):
        who = f" by {event.user}" if event.user else ""
        value = f" value={event.value}" if event.value is not None else ""
        return (
            f"alarm {event.occurrence or event.alarm} [{event.priority}] "
            f"{event.before} -> {event.after}{who}{value}"
        )
    if isinstance(event, FloodSummary):
        if event.ended is None:
            return f"alarm flood #{event.flood} started"
        return f"alarm flood #{event.flood} ended: {event.alarms} alarm(s) summarised"
    if event.recovered:
        return f"{event.part}: {event.message}"
    return f"{event.part} problem: {event.message}"
