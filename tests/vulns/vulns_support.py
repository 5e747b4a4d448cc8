"""Test support for ``otm.vulns``: the shared advisories, inventories built from the
shared captures, and hand-made assets and advisories for edge cases.

Imported as ``vulns_support`` (the test folders are not packages).
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from conftest import PCAPS, SHARED
from otm.capture.readers import open_capture
from otm.inventory.builder import InventoryBuilder
from otm.model.assets import Asset, Component, FieldValue, Inventory
from otm.observations.records import Evidence
from otm.sensing.engine import PassiveEngine
from otm.vulns.csaf import advisory_from_json, parse_advisory
from otm.vulns.records import Advisory

ADVISORIES = SHARED / "advisories" / "csaf"
"""The 38 CISA advisories of ../shared/advisories/csaf."""

EVIDENCE = Evidence("test", "hand-made", None, "built by the test")


def advisory_paths() -> list[Path]:
    """Every shared advisory file, sorted."""
    return sorted(ADVISORIES.glob("*.json"))


@lru_cache(maxsize=1)
def shared_advisories() -> tuple[Advisory, ...]:
    """The shared advisories, parsed once per test session."""
    return tuple(parse_advisory(p.read_bytes(), p.name) for p in advisory_paths())


def shared_advisory(advisory_id: str) -> Advisory:
    """One shared advisory by id (``ICSA-22-104-06``)."""
    return next(a for a in shared_advisories() if a.id == advisory_id)


@lru_cache(maxsize=1)
def shared_documents() -> dict[str, dict[str, Any]]:
    """The shared advisories as decoded JSON, by file name."""
    return {p.name: json.loads(p.read_bytes()) for p in advisory_paths()}


@lru_cache(maxsize=16)
def capture_inventory(capture: str) -> Inventory:
    """The inventory otm builds from one shared capture alone."""
    with open_capture(PCAPS / capture) as reader:
        sensed = PassiveEngine(ref=capture).run(reader)
    return InventoryBuilder().apply_all(sensed.observations).build()


def _fields(values: dict[str, str | int], protocol: str) -> dict[str, list[FieldValue]]:
    return {
        name: [FieldValue(value, EVIDENCE, 1.0, 1.0, "oui" if name == "mac_vendor" else protocol)]
        for name, value in values.items()
    }


def make_asset(
    ip: str,
    protocol: str = "test",
    components: dict[str, dict[str, str | int]] | None = None,
    **fields: str | int,
) -> Asset:
    """An asset at ``ip`` whose identity fields were all said over ``protocol``."""
    asset = Asset(id=f"asset-{ip}", ips={ip}, fields=_fields(fields, protocol))
    for key, values in (components or {}).items():
        asset.components[key] = Component(key, _fields(values, protocol))
    return asset


def make_advisory(
    products: list[dict[str, Any]],
    vulnerabilities: list[dict[str, Any]],
    tracking_id: str = "TEST-0001",
    revision: str = "1",
) -> Advisory:
    """A minimal CSAF 2.0 advisory: product entries are ``{"id", "vendor", "name",
    "version", "category"?, "helper"?}`` branch leaves; vulnerabilities are
    CSAF vulnerability objects."""
    return advisory_from_json(csaf_document(products, vulnerabilities, tracking_id, revision))


def csaf_document(
    products: list[dict[str, Any]],
    vulnerabilities: list[dict[str, Any]],
    tracking_id: str = "TEST-0001",
    revision: str = "1",
) -> dict[str, Any]:
    """The JSON document ``make_advisory`` parses."""
    vendors: dict[str, list[dict[str, Any]]] = {}
    for p in products:
        leaf: dict[str, Any] = {"name": p["name"], "product_id": p["id"]}
        if "helper" in p:
            leaf["product_identification_helper"] = p["helper"]
        branch = {
            "category": "product_name",
            "name": p["name"],
            "branches": [
                {
                    "category": p.get("category", "product_version_range"),
                    "name": p["version"],
                    "product": leaf,
                }
            ],
        }
        vendors.setdefault(p["vendor"], []).append(branch)
    return {
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "title": f"Test advisory {tracking_id}",
            "publisher": {
                "category": "coordinator",
                "name": "Test",
                "namespace": "https://t.example",
            },
            "tracking": {
                "id": tracking_id,
                "version": revision,
                "status": "final",
                "initial_release_date": "2024-01-01T00:00:00Z",
                "current_release_date": f"2024-01-{int(revision) + 1:02d}T00:00:00Z"
                if revision.isdigit()
                else "2024-02-01T00:00:00Z",
                "revision_history": [
                    {"date": "2024-01-01T00:00:00Z", "number": "1", "summary": "x"}
                ],
            },
        },
        "product_tree": {
            "branches": [
                {"category": "vendor", "name": vendor, "branches": branches}
                for vendor, branches in vendors.items()
            ]
        },
        "vulnerabilities": copy.deepcopy(vulnerabilities),
    }


def vulnerability(
    cve: str,
    affected: list[str],
    score: float = 7.5,
    remediations: list[dict[str, Any]] | None = None,
    **statuses: list[str],
) -> dict[str, Any]:
    """A CSAF vulnerability with a CVSS v3.1 score for the affected products."""
    status: dict[str, list[str]] = {"known_affected": affected} if affected else {}
    status.update(statuses)
    named = sorted({p for ids in status.values() for p in ids})
    return {
        "cve": cve,
        "product_status": status,
        "scores": [
            {
                "cvss_v3": {
                    "version": "3.1",
                    "baseScore": score,
                    "baseSeverity": "HIGH",
                    "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                },
                "products": named,
            }
        ],
        "remediations": remediations
        or [{"category": "vendor_fix", "details": "Update.", "product_ids": named}],
    }
