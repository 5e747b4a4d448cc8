"""The probes ``otm scan --protocol`` can name: one line a protocol.

``PROBES`` maps the command-line name to a factory taking the scan's
``ProbeOptions``.  Probe modules are imported when a probe is made (or by
``load_all``), and each registers its read-only builders and classifier in
``safety`` at import; ``load_all`` is how the safety test sees the whole
catalog.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from otm.scanning.probe import Probe


@dataclass(frozen=True, slots=True)
class ProbeOptions:
    """What the command line may tune in the probes."""

    unit_sweep: bool = False
    """Modbus: sweep every unit id 1-247 (gateways) instead of 0, 1 and 255."""
    communities: tuple[str, ...] = ("public",)
    """SNMP v2c communities, tried in turn."""
    snmp_user: str | None = None
    """SNMP v3 user name for a noAuthNoPriv get, when given."""
    ports: Mapping[str, int] = field(default_factory=dict)
    """Protocol name -> the port its probe asks on instead of the standard one (a device
    on a non-standard port, the loopback demo plant).  Each probe still reaches only its
    one port: the scanner's guard allows the probe's port, whichever it is."""

    def port(self, protocol: str, standard: int) -> int:
        """The port ``protocol``'s probe uses: the one given, else ``standard``."""
        return self.ports.get(protocol, standard)


def _modbus(options: ProbeOptions) -> Probe:
    from otm.scanning.modbus import DEFAULT_UNITS, PORT, SWEEP_UNITS, ModbusProbe  # noqa: PLC0415

    units = SWEEP_UNITS if options.unit_sweep else DEFAULT_UNITS
    return ModbusProbe(units, port=options.port("modbus", PORT))


def _enip(options: ProbeOptions) -> Probe:
    from otm.scanning.enip import PORT, EnipProbe  # noqa: PLC0415

    return EnipProbe(port=options.port("enip", PORT))


def _s7(options: ProbeOptions) -> Probe:
    from otm.scanning.s7 import PORT, S7Probe  # noqa: PLC0415

    return S7Probe(port=options.port("s7", PORT))


def _bacnet(options: ProbeOptions) -> Probe:
    from otm.scanning.bacnet import PORT, BacnetProbe  # noqa: PLC0415

    return BacnetProbe(port=options.port("bacnet", PORT))


def _opcua(options: ProbeOptions) -> Probe:
    from otm.scanning.opcua import PORT, OpcUaProbe  # noqa: PLC0415

    return OpcUaProbe(port=options.port("opcua", PORT))


def _snmp(options: ProbeOptions) -> Probe:
    from otm.scanning.snmp import PORT, SnmpProbe  # noqa: PLC0415

    return SnmpProbe(
        communities=options.communities, user=options.snmp_user, port=options.port("snmp", PORT)
    )


def _profinet(options: ProbeOptions) -> Probe:
    from otm.scanning.profinet import ProfinetProbe  # noqa: PLC0415

    return ProfinetProbe()


PROBES: dict[str, Callable[[ProbeOptions], Probe]] = {
    "modbus": _modbus,
    "enip": _enip,
    "s7": _s7,
    "bacnet": _bacnet,
    "opcua": _opcua,
    "snmp": _snmp,
    "profinet": _profinet,
}
"""Command-line protocol name -> probe factory, in the order scans run them."""

LAYER2 = frozenset({"profinet"})
"""Probes on Ethernet itself: no port to override."""

MODULES = tuple(f"otm.scanning.{name}" for name in PROBES)
"""The probe modules, whose import fills the safety catalog."""


def load_all() -> None:
    """Import every probe module (and so register every catalog entry)."""
    for module in MODULES:
        importlib.import_module(module)


def check_ports(ports: Mapping[str, int]) -> None:
    """``ValueError`` for a port override of an unknown or layer-2 protocol, or out of range."""
    for name, port in ports.items():
        if name not in PROBES:
            known = ", ".join(p for p in PROBES if p not in LAYER2)
            raise ValueError(f"--port {name}={port}: unknown protocol (known: {known})")
        if name in LAYER2:
            raise ValueError(f"--port {name}={port}: {name} is layer 2, it has no port")
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise ValueError(f"--port {name}={port}: a port is 1-65535")


def make_probes(names: Sequence[str], options: ProbeOptions | None = None) -> list[Probe]:
    """Probes for command-line names, in ``PROBES`` order; ``ValueError`` for an unknown name
    or a bad port override."""
    unknown = [n for n in names if n not in PROBES]
    if unknown:
        known = ", ".join(PROBES)
        raise ValueError(f"unknown protocol {', '.join(unknown)} (known: {known})")
    chosen = options or ProbeOptions()
    check_ports(chosen.ports)
    return [PROBES[name](chosen) for name in PROBES if name in names]
