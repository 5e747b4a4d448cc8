"""Test support: frames through otm's passive engine with chosen sensors, held to the ground truth.

Every ``tests/protocols_*`` sensor test does the same few things: walk a
shared capture (or built frames) with only its protocol's sensor, wired
exactly as ``otm.sensing.engine.PassiveEngine`` wires the registry's
sensors (hosts, flow totals, turned-round flows); build the inventory; and
compare it with ``groundtruth/<capture>.json``, what tshark finds (its
``rules`` list says how the oracle's roles were derived).  These functions
are that loop once, so each test keeps only what is its protocol's own:
field names, roles, named exceptions.

Imported as ``sensor_support`` (``tests/`` is on ``sys.path`` as the folder of
``conftest.py``), like ``db_fixtures``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple
from unittest.mock import patch

from conftest import GROUNDTRUTH, PCAPS
from otm.capture.readers import open_capture
from otm.inventory.builder import build_inventory
from otm.model.assets import Asset, FieldValue, Inventory
from otm.observations.records import Observation, Operation, ParseAnomaly
from otm.sensing import engine
from otm.sensing.engine import PassiveEngine
from otm.sensing.registry import Sensor

Frame = tuple[int, float, int, bytes]
"""(frame number, time stamp, link type, bytes): what the walker takes."""

Truth = dict[str, Any]
"""One entry of a ground-truth list (an endpoint or an identity), as JSON gives it."""

ROLES: Mapping[str, tuple[str, ...]] = {
    # Unconfirmed BACnet and implicit I/O have producers on both ends: the
    # oracle calls them peers; otm names a conversation's ends client and server.
    "peer": ("client", "server"),
    # An LLDP/CDP announcer and a GOOSE/SV publisher serve what they send:
    # otm makes them the server of the link to the group address.
    "device": ("server",),
    "publisher": ("server",),
}
"""Oracle role -> the otm service roles that stand for it (any other role is itself)."""


# --- sensing ---------------------------------------------------------------------------------


def numbered(frames: Iterable[bytes], start: float = 1000.0, step: float = 0.01) -> list[Frame]:
    """Ethernet frames (link type 1) as the walker takes them: numbered from 1,
    ``step`` seconds apart from ``start``."""
    return [(i + 1, start + i * step, 1, f) for i, f in enumerate(frames)]


def sense(
    sensors: Iterable[Sensor], frames: Iterable[Frame], ref: str = "test"
) -> list[Observation]:
    """The observations of ``frames`` through the passive engine with only ``sensors``.

    The engine reads the registry's sensors when it is built, so the list is
    swapped for that moment only: the wiring is production's, not a copy."""
    with patch.object(engine, "SENSORS", tuple(sensors)):
        passive = PassiveEngine(ref=ref)
    return passive.run(frames).observations


def sense_capture(sensors: Iterable[Sensor], capture: str | Path) -> list[Observation]:
    """The observations of a capture file through ``sensors``: a shared one by
    name (in ``PCAPS``), or any by path."""
    path = PCAPS / capture
    with open_capture(path) as reader:
        return sense(sensors, reader, path.name)


@cache
def analysed(
    capture: str, *sensors: Callable[[], Sensor]
) -> tuple[tuple[Observation, ...], Inventory]:
    """Observations and inventory of a shared capture through new ``sensors()``; once a session."""
    observations = sense_capture([make() for make in sensors], capture)
    return tuple(observations), build_inventory(observations)


def operation_counts(
    observations: Iterable[Observation], protocol: str | None = None
) -> Counter[str]:
    """Operation name -> how many times ``protocol`` (None: any protocol) saw it."""
    counts: Counter[str] = Counter()
    for o in observations:
        if isinstance(o, Operation) and protocol in (None, o.protocol):
            counts[o.name] += o.count
    return counts


def anomaly_counts(
    observations: Iterable[Observation], protocol: str | None = None
) -> Counter[str]:
    """Anomaly kind -> how many ``protocol`` (None: any protocol) counted."""
    counts: Counter[str] = Counter()
    for o in observations:
        if isinstance(o, ParseAnomaly) and protocol in (None, o.protocol):
            counts[o.kind] += o.count
    return counts


# --- the ground truth ------------------------------------------------------------------------


@cache
def ground_truth(capture: str) -> dict[str, Any]:
    """``groundtruth/<capture>.json`` (read once; do not change it)."""
    data: dict[str, Any] = json.loads((GROUNDTRUTH / f"{capture}.json").read_text())
    return data


def captures_with(*protocols: str) -> list[str]:
    """The shared captures whose ground truth counts frames of any of ``protocols``
    (oracle names, e.g. ``omron_fins``), by file name."""
    names = []
    for path in sorted(GROUNDTRUTH.glob("*.json")):
        data = json.loads(path.read_text())
        if any(data["protocol_frames"].get(p) for p in protocols):
            names.append(data["capture"])
    return names


def truth_endpoints(capture: str, *protocols: str) -> list[Truth]:
    """The ground truth's endpoints (protocol, role, ip, mac ...) of ``protocols``."""
    return [ep for ep in ground_truth(capture)["endpoints"] if ep["protocol"] in protocols]


def truth_identities(capture: str, *protocols: str) -> list[Truth]:
    """The ground truth's identities (protocol, source, ip, mac, fields) of ``protocols``."""
    return [i for i in ground_truth(capture)["identities"] if i["protocol"] in protocols]


# --- the inventory ---------------------------------------------------------------------------


def assets_at(
    inv: Inventory, ip: str | None = None, mac: str | None = None, *, both: bool = False
) -> list[Asset]:
    """The assets at an address: at ``ip`` when given, else at ``mac`` (layer 2);
    with ``both``, at ``ip`` and also carrying ``mac``."""
    if both:
        return [a for a in inv.assets.values() if ip in a.ips and mac in a.macs]
    if ip is not None:
        return [a for a in inv.assets.values() if ip in a.ips]
    return [a for a in inv.assets.values() if mac in a.macs]


def values(asset: Asset, name: str, component: str | None = None) -> set[Any]:
    """Every value of field ``name`` on the asset itself, or on its named component."""
    if component is None:
        return {v.value for v in asset.fields.get(name, [])}
    part = asset.components.get(component)
    return {v.value for v in part.fields.get(name, [])} if part else set()


def all_values(asset: Asset, name: str) -> set[Any]:
    """Every value of field ``name`` on the asset and on all its components."""
    lists: list[list[FieldValue]] = [asset.fields.get(name, [])]
    lists += [c.fields.get(name, []) for c in asset.components.values()]
    return {v.value for vs in lists for v in vs}


def offers(
    assets: Iterable[Asset], service: str, roles: Collection[str], transport: str | None = None
) -> bool:
    """Whether one of ``assets`` offers ``service`` in one of ``roles`` (over ``transport``)."""
    return any(
        s.name == service and s.role in roles and transport in (None, s.transport)
        for a in assets
        for s in a.services
    )


def roles_by_ip(inv: Inventory, service: str) -> set[tuple[str, str]]:
    """(role, ip) of every asset address that offers ``service``."""
    return {
        (s.role, ip)
        for a in inv.assets.values()
        for s in a.services
        if s.name == service
        for ip in a.ips
    }


# --- the inventory against the ground truth --------------------------------------------------


def _roles(role: str) -> tuple[str, ...]:
    return ROLES.get(role, (role,))


def missing_endpoints(
    inv: Inventory, endpoints: Iterable[Truth], services: Mapping[str, str], *, both: bool = False
) -> list[tuple[str, str, str | None, str | None]]:
    """(service, oracle role, ip, mac) of each ground-truth endpoint no asset at its
    address offers; ``services`` maps the oracle's protocol names to otm's."""
    return [
        (services[ep["protocol"]], ep["role"], ep["ip"], ep["mac"])
        for ep in endpoints
        if not offers(
            assets_at(inv, ep["ip"], ep["mac"], both=both),
            services[ep["protocol"]],
            _roles(ep["role"]),
        )
    ]


def unknown_endpoints(
    inv: Inventory, endpoints: Iterable[Truth], services: Mapping[str, str]
) -> list[tuple[str, str, list[str]]]:
    """(service, role, addresses) of each otm service among ``services`` (oracle name ->
    otm name) that no ground-truth endpoint has at one of the asset's addresses.

    A ground-truth endpoint's address is its ip, or its mac for layer 2."""
    known = {
        (services[ep["protocol"]], role, ep["ip"] if ep["ip"] is not None else ep["mac"])
        for ep in endpoints
        for role in _roles(ep["role"])
    }
    ours = set(services.values())
    return [
        (s.name, s.role, sorted(a.ips | a.macs))
        for a in inv.assets.values()
        for s in a.services
        if s.name in ours and not any((s.name, s.role, x) in known for x in a.ips | a.macs)
    ]


class Recall(NamedTuple):
    """How many ground-truth facts were compared, and the ones otm lacks (as text)."""

    compared: int
    missing: list[str]


def identity_recall(
    inv: Inventory,
    identities: Iterable[Truth],
    fields: Mapping[tuple[str, str], str],
    *,
    read: Callable[[Asset, str], set[Any]] = values,
    want: Callable[[str, Any], Any] | None = None,
    skip: Callable[[Truth, str], bool] | None = None,
    both: bool = False,
) -> Recall:
    """Each ground-truth identity fact against the assets at the identity's address.

    ``fields`` maps (identity source, oracle field) to otm's field name (a
    pair it lacks is a ``KeyError``: every fact must be mapped); ``want``
    turns an oracle value into otm's form; ``read`` reads a field off an
    asset (``values``, ``all_values``); ``skip(identity, field)`` names the
    facts a test excepts, with its reason.  A list value is several facts."""
    compared = 0
    missing = []
    for ident in identities:
        assets = assets_at(inv, ident["ip"], ident["mac"], both=both)
        for key, value in ident["fields"].items():
            if skip is not None and skip(ident, key):
                continue
            name = fields[(ident["source"], key)]
            expected = want(key, value) if want is not None else value
            for one in expected if isinstance(expected, list) else [expected]:
                compared += 1
                if not any(one in read(a, name) for a in assets):
                    got = sorted({str(v) for a in assets for v in read(a, name)})
                    where = ident["ip"] or ident["mac"]
                    missing.append(f"{where} {ident['source']}.{key}={one!r} (otm {name}: {got})")
    return Recall(compared, missing)


def fields_of(source: str, names: Mapping[str, str]) -> dict[tuple[str, str], str]:
    """``identity_recall``'s field map for one identity source."""
    return {(source, key): name for key, name in names.items()}
