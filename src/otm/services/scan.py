"""Use case: scan the networks the user allows, store what devices say, rebuild the inventory.

``scan_network`` builds the scope, the probes and the limits from
``ScanOptions``, runs ``otm.scanning.scanner.scan`` over the real network (or
an injected transport), stores the observations as a source of kind
``scan`` (a new source per scan, key ``scan-<uuid>``, its ``ref`` the
scan's start time and scope) and rebuilds the inventory from every stored
source, so facts a scan learnt sit next to those captures taught, each with
its evidence.  ``dry_run`` lists what a scan would send and sends nothing.
``found_rows`` summarises a scan per device for the command line.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from otm.model.assets import Inventory
from otm.model.repository import InventoryRepository
from otm.observations.records import AssetSeen, Identity
from otm.scanning.limits import Clock, Limits, SystemClock
from otm.scanning.probe import PlannedRequest, Probe
from otm.scanning.registry import PROBES, ProbeOptions, make_probes
from otm.scanning.safety import Scope
from otm.scanning.scanner import ScanResult, plan, scan
from otm.scanning.transport import AsyncioTransport, Transport, describe
from otm.services.analysis import rebuild_inventory
from otm.services.export import ip_sort_key, iso

SOURCE_KIND = "scan"

IP_PROTOCOLS = tuple(name for name in PROBES if name != "profinet")
"""What a scan asks by default; PROFINET DCP joins when an interface is named."""


@dataclass
class ScanOptions:
    """Everything ``otm scan`` takes (see ``otm.cli.scan``)."""

    allow: list[str]
    targets: list[str] = field(default_factory=list)
    protocols: list[str] | None = None
    broadcast: list[str] = field(default_factory=list)
    interface: str | None = None
    rate: float = 5.0
    device_rate: float = 2.0
    timeout: float = 2.0
    retries: int = 1
    unit_sweep: bool = False
    communities: tuple[str, ...] = ("public",)
    snmp_user: str | None = None
    ports: dict[str, int] = field(default_factory=dict)
    """Protocol -> port, for devices off their standard port (``--port modbus=5020``)."""

    def scope(self) -> Scope:
        """The scope; ``ValueError`` for a malformed network or broadcast domain."""
        interfaces = (self.interface,) if self.interface else ()
        return Scope.parse(self.allow, self.broadcast, interfaces)

    def protocol_names(self) -> list[str]:
        """The protocols asked for, or the default set."""
        if self.protocols:
            return self.protocols
        return [*IP_PROTOCOLS, "profinet"] if self.interface else list(IP_PROTOCOLS)

    def probes(self) -> list[Probe]:
        """The probes; ``ValueError`` for an unknown protocol name."""
        options = ProbeOptions(self.unit_sweep, self.communities, self.snmp_user, dict(self.ports))
        return make_probes(self.protocol_names(), options)

    def limits(self, clock: Clock | None = None) -> Limits:
        """The limits; ``ValueError`` for a rate, timeout or retry budget out of range."""
        return Limits(
            self.rate, self.device_rate, self.timeout, self.retries, clock or SystemClock()
        )


@dataclass
class ScanOutcome:
    """A stored scan: its source key and ref, the result and the rebuilt inventory."""

    key: str
    ref: str
    result: ScanResult
    inventory: Inventory


@dataclass(frozen=True, slots=True)
class FoundRow:
    """One device a scan heard from, for the summary table."""

    ip: str
    mac: str | None
    protocols: tuple[str, ...]
    fields: dict[str, str | int]


def dry_run(options: ScanOptions, emit: Callable[[str], None]) -> list[PlannedRequest]:
    """Print (through ``emit``) and return every request the scan would send first."""
    items = plan(options.scope(), options.targets, options.probes())
    for item in items:
        line = describe(item.protocol, item.target, item.where, item.request)
        emit(f"{line}  # {item.note}" if item.note else line)
    return items


def run_scan(
    options: ScanOptions,
    io: Transport | None = None,
    clock: Clock | None = None,
    ref: str | None = None,
) -> ScanResult:
    """Scan (no store); ``OutOfScope``/``ValueError`` before anything is sent when misused."""
    scope = options.scope()
    probes = options.probes()
    limits = options.limits(clock)
    name = ref or f"scan {iso(limits.now())} {' '.join(options.allow)}"
    return asyncio.run(
        scan(scope, options.targets, probes, io or AsyncioTransport(), limits, ref=name)
    )


def scan_network(
    options: ScanOptions,
    repo: InventoryRepository,
    io: Transport | None = None,
    clock: Clock | None = None,
) -> ScanOutcome:
    """Scan, store the observations as a new ``scan`` source, rebuild the inventory."""
    limits = options.limits(clock)
    started = limits.now()
    ref = f"scan {iso(started)} {' '.join(options.allow)}"
    result = run_scan(options, io, clock, ref)
    key = f"scan-{uuid.uuid4().hex}"
    error = "; ".join(result.errors) if result.errors else None
    repo.put_source(
        SOURCE_KIND,
        key,
        ref,
        result.stats.traffic.requests,
        result.observations,
        started,
        error,
    )
    return ScanOutcome(key, ref, result, rebuild_inventory(repo))


SUMMARY_FIELDS = ("vendor", "model", "firmware", "serial", "name")


def found_rows(result: ScanResult, inventory: Inventory | None = None) -> list[FoundRow]:
    """Per device that answered: MAC, protocols and identity fields.

    With the rebuilt ``inventory``, fields are the asset's current values
    (passive and active facts merged, ``vendor`` named from CIP vendor ids);
    without, the first value each field had in the scan.
    """
    macs: dict[str, str | None] = {}
    protocols: dict[str, list[str]] = {}
    fields: dict[str, dict[str, str | int]] = {}
    for obs in result.observations:
        if isinstance(obs, AssetSeen) and obs.ip:
            if obs.mac or obs.ip not in macs:
                macs[obs.ip] = obs.mac
        elif isinstance(obs, Identity) and obs.ip:
            names = protocols.setdefault(obs.ip, [])
            if obs.protocol not in names:
                names.append(obs.protocol)
            if obs.component is None:
                known = fields.setdefault(obs.ip, {})
                for name, value in obs.fields.items():
                    known.setdefault(name, value)
    rows = []
    for ip in sorted(protocols, key=ip_sort_key):
        values = fields.get(ip, {})
        asset = inventory.find(ip) if inventory is not None else None
        if asset is not None:
            values = {n: v for n in asset.fields if (v := asset.value(n)) is not None}
        rows.append(FoundRow(ip, macs.get(ip), tuple(protocols[ip]), values))
    return rows
