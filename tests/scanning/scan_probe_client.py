"""Run one otm probe against real devices, from inside a plant namespace.

``python scan_probe_client.py SPEC`` where SPEC is JSON::

    {"protocol": "bacnet", "allow": ["10.77.0.0/24"], "broadcast": [],
     "interfaces": [], "targets": [["10.77.0.10", "host"]],
     "options": {"communities": ["public"], "snmp_user": null},
     "rate": 50, "device_rate": 20, "timeout": 1.0}

prints the observations as JSON lines (otm's serialisation) and, last, one
line ``{"stats": {...}}`` with the guarded transport's counts.  The probe is
made by otm's registry and talks through ``GuardedTransport`` around the real
``AsyncioTransport``, as a scan does, without the scanner around it.

With ``"protocols": [...]`` and ``"hosts": [...]`` instead of ``protocol`` and
``targets``, the whole scanner runs (``otm.scanning.scanner.scan``: every
probe, broadcast domains and interfaces of the scope included) and the stats
line carries ``ScanStats`` and the probes' errors.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sys

from otm.observations.serialization import dumps
from otm.scanning.limits import Limits
from otm.scanning.probe import Target
from otm.scanning.registry import ProbeOptions, make_probes
from otm.scanning.safety import Scope
from otm.scanning.scanner import scan
from otm.scanning.transport import AsyncioTransport, GuardedTransport


async def main(spec: dict[str, object]) -> None:
    scope = Scope.parse(
        spec["allow"],  # type: ignore[arg-type]
        spec.get("broadcast", []),  # type: ignore[arg-type]
        spec.get("interfaces", []),  # type: ignore[arg-type]
    )
    raw = dict(spec.get("options", {}))  # type: ignore[call-overload]
    if "communities" in raw:
        raw["communities"] = tuple(raw["communities"])
    options = ProbeOptions(**raw)
    limits = Limits(
        rate=float(spec.get("rate", 50)),  # type: ignore[arg-type]
        device_rate=float(spec.get("device_rate", 20)),  # type: ignore[arg-type]
        timeout=float(spec.get("timeout", 1.0)),  # type: ignore[arg-type]
    )
    if "protocols" in spec:
        probes = make_probes([str(x) for x in spec["protocols"]], options)  # type: ignore[attr-defined]
        hosts = [str(h) for h in spec.get("hosts", [])]  # type: ignore[attr-defined]
        result = await scan(scope, hosts, probes, AsyncioTransport(), limits, ref="netns-test")
        for obs in result.observations:
            print(dumps(obs), flush=True)
        summary = {"stats": dataclasses.asdict(result.stats), "errors": result.errors}
        print(json.dumps(summary), flush=True)
        return
    (probe,) = make_probes([str(spec["protocol"])], options)
    io = GuardedTransport(
        AsyncioTransport(), scope, limits, probe.protocol, frozenset({probe.port})
    )
    for address, kind in spec["targets"]:  # type: ignore[attr-defined]
        for obs in await probe.run(Target(address, kind, "netns-test"), io, limits):
            print(dumps(obs), flush=True)
    print(json.dumps({"stats": dataclasses.asdict(io.stats)}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
