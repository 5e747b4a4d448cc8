"""The contract every protocol probe meets, and what it is handed.

A probe asks one protocol's read-only identity questions of one target::

    class Probe(Protocol):
        protocol: str                 # "modbus", "enip", "s7comm", "bacnet" ...
        port: int                     # the only port it may reach (0 for layer 2)
        transport: "tcp" | "udp" | "ethernet"
        broadcast: bool               # it can also discover by broadcast
        def plan(self, target) -> list[PlannedRequest]
        async def run(self, target, io: Transport, limits: Limits) -> list[Observation]

- ``target`` is a ``Target``: a host address (``kind == "host"``), the
  directed broadcast address of a broadcast domain the user allowed
  (``"broadcast"``, given only to probes with ``broadcast = True``), or a
  layer-2 interface the user named (``"interface"``, given only to
  ``transport == "ethernet"`` probes).  ``target.ref`` names the scan for
  evidence.
- ``plan(target)`` lists the requests ``run`` would send first, in order,
  built with ``safety.request`` (each ``PlannedRequest.note`` says when a
  request is conditional: a continuation, a second rack/slot).  It is what
  ``--dry-run`` prints and what the safety test enumerates; it sends nothing.
- ``run`` talks only through ``io`` (a ``GuardedTransport``: scope, catalog,
  the probe's own port, one request in flight per device, rates, retries) and
  passes ``limits.timeout`` as each timeout.  It returns ``Identity`` (and,
  for hosts discovered by broadcast or on layer 2, ``AssetSeen``)
  observations with ``Evidence("scan", target.ref, None, message)`` and
  times from ``limits.now()``.  A device that does not answer, refuses or
  answers garbage gives ``[]`` or what was learnt before: ``run`` catches
  ``ScanError``; it lets ``OutOfScope``/``UnsafeRequest`` (bugs) propagate.
- Each probe module registers its read-only builders (``safety.read_only``)
  and its classifier (``safety.classifier``) at import.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from otm.observations.records import Evidence, Observation
from otm.scanning.limits import Limits
from otm.scanning.safety import Request
from otm.scanning.transport import Transport

TransportKind = Literal["tcp", "udp", "ethernet"]
TargetKind = Literal["host", "broadcast", "interface"]

SOURCE = "scan"
"""``Evidence.source`` of every observation a scan makes."""


@dataclass(frozen=True, slots=True)
class Target:
    """What one probe run is aimed at (see the module docstring)."""

    address: str
    kind: TargetKind = "host"
    ref: str = "scan"


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    """One request a probe would send, where to, and when (``note``)."""

    protocol: str
    target: str
    port: int
    transport: TransportKind
    request: Request
    note: str = ""

    @property
    def where(self) -> str:
        """``tcp/502``, ``udp/44818`` or ``ethernet``."""
        return self.transport if self.transport == "ethernet" else f"{self.transport}/{self.port}"


class Probe(Protocol):
    """One protocol's read-only identity questions (see the module docstring)."""

    protocol: str
    port: int
    transport: TransportKind
    broadcast: bool

    def plan(self, target: Target) -> list[PlannedRequest]: ...

    async def run(self, target: Target, io: Transport, limits: Limits) -> list[Observation]: ...


def evidence(target: Target, message: str) -> Evidence:
    """Evidence of what a probe learnt from ``message`` (``enip list_identity reply``)."""
    return Evidence(SOURCE, target.ref, None, message)


def clean_fields(fields: dict[str, str | int]) -> dict[str, str | int]:
    """The fields without empty strings (an unset name on a device is no fact)."""
    return {k: v for k, v in fields.items() if not (isinstance(v, str) and not v.strip())}


def planned(
    protocol: str,
    target: Target,
    port: int,
    transport: TransportKind,
    requests: Sequence[Request],
    note: str = "",
) -> list[PlannedRequest]:
    """Several ``PlannedRequest`` to one target and port with one note."""
    return [PlannedRequest(protocol, target.address, port, transport, r, note) for r in requests]
