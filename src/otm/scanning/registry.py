"""The probes ``otm scan --protocol`` can name: one line a protocol.

``PROBES`` maps the command-line name to a factory taking the scan's
``ProbeOptions``.  Probe modules are imported when a probe is made (or by
``load_all``), and each registers its read-only builders and classifier in
``safety`` at import; ``load_all`` is how the safety test sees the whole
catalog.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

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


def _modbus(options: ProbeOptions) -> Probe:
    from otm.scanning.modbus import DEFAULT_UNITS, SWEEP_UNITS, ModbusProbe  # noqa: PLC0415

    return ModbusProbe(SWEEP_UNITS if options.unit_sweep else DEFAULT_UNITS)


def _enip(options: ProbeOptions) -> Probe:
    from otm.scanning.enip import EnipProbe  # noqa: PLC0415

    return EnipProbe()


def _s7(options: ProbeOptions) -> Probe:
    from otm.scanning.s7 import S7Probe  # noqa: PLC0415

    return S7Probe()


def _bacnet(options: ProbeOptions) -> Probe:
    from otm.scanning.bacnet import BacnetProbe  # noqa: PLC0415

    return BacnetProbe()


def _opcua(options: ProbeOptions) -> Probe:
    from otm.scanning.opcua import OpcUaProbe  # noqa: PLC0415

    return OpcUaProbe()


def _snmp(options: ProbeOptions) -> Probe:
    from otm.scanning.snmp import SnmpProbe  # noqa: PLC0415

    return SnmpProbe(communities=options.communities, user=options.snmp_user)


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

MODULES = tuple(f"otm.scanning.{name}" for name in PROBES)
"""The probe modules, whose import fills the safety catalog."""


def load_all() -> None:
    """Import every probe module (and so register every catalog entry)."""
    for module in MODULES:
        importlib.import_module(module)


def make_probes(names: Sequence[str], options: ProbeOptions | None = None) -> list[Probe]:
    """Probes for command-line names, in ``PROBES`` order; ``ValueError`` for an unknown name."""
    unknown = [n for n in names if n not in PROBES]
    if unknown:
        known = ", ".join(PROBES)
        raise ValueError(f"unknown protocol {', '.join(unknown)} (known: {known})")
    chosen = options or ProbeOptions()
    return [PROBES[name](chosen) for name in PROBES if name in names]
