"""The inventory as documents: the ``otm.inventory/1`` JSON shape and CSV rows.

Shape (fields may be added, these names are kept)::

    {"schema": "otm.inventory/1",
     "assets": [{"id", "ips", "macs", "vendor", "model", "product_code",
                 "firmware", "serial", "name", "role",
                 "protocols": [{"name", "role", "transport", "port"}],
                 "first_seen", "last_seen",
                 "health": null | {"state", "since", "time", "protocol", "rtt_ms",
                            "error_rate", "last_good"}, ...}],
     "links": [{"client", "server", "protocol", "port", "packets", "bytes",
                "first_seen", "last_seen", "operations": {"<name>": count}}]}

Timestamps are ISO 8601 UTC from packet time.  ``vendor`` is what the
device said (or its CIP vendor id means) and falls back to the MAC's OUI
owner, which ``vendor_source`` tells apart.  ``health`` is the latest report
of the monitor for a polled asset (its first polled address), else null.
"""

from __future__ import annotations

import csv
import io
import ipaddress
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from otm.model.assets import Asset, Component, FieldValue, Link
from otm.model.monitoring import HealthStatus

Health = Mapping[str, HealthStatus]
"""Polled devices' health by address (``MonitoringStore.health()``, keyed)."""

SCHEMA = "otm.inventory/1"

CSV_COLUMNS = (
    "id",
    "ips",
    "macs",
    "vendor",
    "model",
    "product_code",
    "firmware",
    "hardware",
    "serial",
    "name",
    "role",
    "protocols",
    "first_seen",
    "last_seen",
    "health",
)


def iso(ts: float | None) -> str | None:
    """ISO 8601 UTC with microseconds, or None."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def ip_sort_key(ip: str) -> tuple[int, int, str]:
    """Numeric order for IP addresses, text order for anything else."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return (9, 0, ip)
    return (addr.version, int(addr), "")


def asset_sort_key(asset: Asset) -> tuple[tuple[int, int, str], str]:
    """Assets by their lowest IP, then MAC-only assets, then id."""
    first = min((ip_sort_key(i) for i in asset.ips), default=(10, 0, min(asset.macs, default="")))
    return (first, asset.id)


def vendor_of(asset: Asset) -> tuple[str | None, str | None]:
    """The asset's vendor and where it came from (protocol name or ``oui``)."""
    said = asset.fields.get("vendor")
    if said:
        best = max(said, key=lambda v: v.last_seen)
        return str(best.value), best.protocol
    oui = asset.value("mac_vendor")
    return (str(oui), "oui") if oui is not None else (None, None)


def _str(value: str | int | None) -> str | None:
    return None if value is None else str(value)


def _fields_doc(fields: dict[str, list[FieldValue]]) -> dict[str, list[dict[str, Any]]]:
    return {
        name: [
            {
                "value": v.value,
                "protocol": v.protocol,
                "first_seen": iso(v.first_seen),
                "last_seen": iso(v.last_seen),
                "evidence": {
                    "source": v.evidence.source,
                    "ref": v.evidence.ref,
                    "packet": v.evidence.packet,
                    "message": v.evidence.message,
                },
            }
            for v in values
        ]
        for name, values in sorted(fields.items())
    }


def _component_doc(comp: Component) -> dict[str, Any]:
    return {
        "key": comp.key,
        "vendor": _str(comp.value("vendor")),
        "model": _str(comp.value("model")),
        "product_code": _str(comp.value("product_code")),
        "firmware": _str(comp.value("firmware")),
        "serial": _str(comp.value("serial")),
        "fields": _fields_doc(comp.fields),
    }


def health_of(asset: Asset, health: Health) -> HealthStatus | None:
    """The health of the asset's first polled address, if any is polled."""
    for ip in sorted(asset.ips, key=ip_sort_key):
        status = health.get(ip)
        if status is not None:
            return status
    return None


def health_doc(status: HealthStatus | None) -> dict[str, Any] | None:
    """A health report in the export shape."""
    if status is None:
        return None
    return {
        "address": status.asset_ip,
        "state": status.state,
        "since": iso(status.since),
        "time": iso(status.time),
        "protocol": status.protocol,
        "rtt_ms": status.rtt_ms,
        "error_rate": round(status.error_rate, 4),
        "last_good": iso(status.last_good),
    }


def asset_doc(asset: Asset, health: Health | None = None) -> dict[str, Any]:
    """One asset in the export shape, with evidence of every field."""
    vendor, vendor_source = vendor_of(asset)
    return {
        "id": asset.id,
        "ips": sorted(asset.ips, key=ip_sort_key),
        "macs": sorted(asset.macs),
        "vlans": sorted(asset.vlans),
        "vendor": vendor,
        "vendor_source": vendor_source,
        "model": _str(asset.value("model")),
        "product_code": _str(asset.value("product_code")),
        "firmware": _str(asset.value("firmware")),
        "hardware": _str(asset.value("hardware")),
        "serial": _str(asset.value("serial")),
        "name": _str(asset.value("name")),
        "role": asset.role.value,
        "role_reason": asset.role_reason,
        "protocols": [
            {"name": s.name, "role": s.role, "transport": s.transport, "port": s.port}
            for s in asset.services
        ],
        "components": [_component_doc(c) for _, c in sorted(asset.components.items())],
        "fields": _fields_doc(asset.fields),
        "first_seen": iso(asset.first_seen),
        "last_seen": iso(asset.last_seen),
        "health": health_doc(health_of(asset, health or {})),
    }


def link_doc(link: Link) -> dict[str, Any]:
    """One link in the export shape."""
    return {
        "client": link.client,
        "server": link.server,
        "protocol": link.protocol,
        "transport": link.transport,
        "port": link.port,
        "packets": link.packets,
        "bytes": link.bytes,
        "first_seen": iso(link.first_seen),
        "last_seen": iso(link.last_seen),
        "operations": dict(sorted(link.operations.items())),
        "categories": dict(sorted(link.categories.items())),
    }


def link_sort_key(link: Link) -> tuple[Any, ...]:
    """Links by client, server (numerically), protocol, port."""
    return (ip_sort_key(link.client), ip_sort_key(link.server), link.protocol, link.port)


def inventory_doc(
    assets: list[Asset], links: list[Link], health: Health | None = None
) -> dict[str, Any]:
    """The whole ``otm.inventory/1`` document."""
    return {
        "schema": SCHEMA,
        "assets": [asset_doc(a, health) for a in sorted(assets, key=asset_sort_key)],
        "links": [link_doc(lk) for lk in sorted(links, key=link_sort_key)],
    }


def assets_csv(assets: list[Asset], health: Health | None = None) -> str:
    """Assets as CSV text, one row each, the columns of ``CSV_COLUMNS``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for asset in sorted(assets, key=asset_sort_key):
        doc = asset_doc(asset, health)
        writer.writerow(
            [
                doc["id"],
                " ".join(doc["ips"]),
                " ".join(doc["macs"]),
                doc["vendor"] or "",
                doc["model"] or "",
                doc["product_code"] or "",
                doc["firmware"] or "",
                doc["hardware"] or "",
                doc["serial"] or "",
                doc["name"] or "",
                doc["role"],
                " ".join(f"{p['name']}/{p['role']}" for p in doc["protocols"]),
                doc["first_seen"] or "",
                doc["last_seen"] or "",
                doc["health"]["state"] if doc["health"] else "",
            ]
        )
    return out.getvalue()


def links_csv(links: list[Link]) -> str:
    """Links as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "client",
            "server",
            "protocol",
            "transport",
            "port",
            "packets",
            "bytes",
            "first_seen",
            "last_seen",
            "operations",
        ]
    )
    for link in sorted(links, key=link_sort_key):
        ops = " ".join(f"{k}={v}" for k, v in sorted(link.operations.items()))
        writer.writerow(
            [
                link.client,
                link.server,
                link.protocol,
                link.transport,
                link.port,
                link.packets,
                link.bytes,
                iso(link.first_seen),
                iso(link.last_seen),
                ops,
            ]
        )
    return out.getvalue()
