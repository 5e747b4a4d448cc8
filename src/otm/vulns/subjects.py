"""What is checked against advisories: a device's identity as the inventory knows it.

A ``Subject`` is an asset, or one module behind it (a ControlLogix
backplane slot, an S7 rack/slot), reduced to the fields a matcher reads:
vendor (with where it came from), model, product name, product code, order
number, firmware, hardware.  Values are the most recently confirmed ones
(``Asset.value``).

The vendor is, in order: what the device said (an identity field ``vendor``:
Modbus VendorName, the ODVA name of a CIP vendor id, Siemens for an S7
order number, as ``otm.services.export.vendor_of`` reads it); else the
vendor a proprietary protocol implies (``vendors.PROTOCOL_VENDORS``: the
FINS sensor reports an Omron CPU's model without a vendor); else the owner
of the MAC's OUI, the weakest (a router's MAC fronts routed devices).  A
module without a vendor of its own takes its asset's.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum

from otm.model.assets import Asset, Component, FieldValue
from otm.vulns.vendors import PROTOCOL_VENDORS


class VendorSource(StrEnum):
    """Where a subject's vendor came from, strongest first."""

    DEVICE = "device"
    PROTOCOL = "protocol"
    OUI = "oui"
    PARENT = "parent"


IDENTITY = ("model", "product_name", "product_code", "order_number", "firmware", "hardware")
"""The identity fields a subject carries (text; a numeric CIP product code is not one)."""


@dataclass(frozen=True)
class Subject:
    """One device or module to match: where it is and who it says it is."""

    asset_id: str
    component: str | None
    address: str
    vendor: str | None
    vendor_source: VendorSource | None
    vendor_via: str
    model: str | None = None
    product_name: str | None = None
    product_code: str | None = None
    order_number: str | None = None
    firmware: str | None = None
    hardware: str | None = None

    @property
    def designations(self) -> list[str]:
        """Model, product name, product code and order number, without repeats."""
        out: list[str] = []
        for value in (self.model, self.product_name, self.product_code, self.order_number):
            if value and value not in out:
                out.append(value)
        return out

    @property
    def identity_key(self) -> tuple[str | None, ...]:
        """What matching depends on: equal keys give equal matches (a cache key)."""
        return (
            self.vendor,
            self.vendor_source,
            self.vendor_via,
            self.model,
            self.product_name,
            self.product_code,
            self.order_number,
            self.firmware,
            self.hardware,
        )

    @property
    def device_key(self) -> tuple[str | None, ...]:
        """The identity without the firmware: what decides which products name it."""
        return (
            self.vendor,
            self.vendor_source,
            self.model,
            self.product_name,
            self.product_code,
            self.order_number,
            self.hardware,
        )

    @property
    def label(self) -> str:
        """The subject for people: address, and the module when it is one."""
        return f"{self.address} {self.component}" if self.component else self.address


def _text(values: list[FieldValue] | None) -> str | None:
    """The latest value as text, or None (numbers are codes, not designations)."""
    if not values:
        return None
    best = max(values, key=lambda v: (v.last_seen, v.first_seen))
    if isinstance(best.value, str) and best.value.strip():
        return best.value.strip()
    return None


def _vendor(fields: dict[str, list[FieldValue]]) -> tuple[str | None, VendorSource | None, str]:
    said = fields.get("vendor")
    if said:
        best = max(said, key=lambda v: (v.last_seen, v.first_seen))
        return str(best.value), VendorSource.DEVICE, best.protocol or "device"
    for name in ("model", "firmware", "order_number", "product_name"):
        for value in fields.get(name, ()):
            implied = PROTOCOL_VENDORS.get(value.protocol)
            if implied:
                return implied, VendorSource.PROTOCOL, value.protocol
    oui = _text(fields.get("mac_vendor"))
    if oui:
        return oui, VendorSource.OUI, "MAC OUI"
    return None, None, ""


def _identity(fields: dict[str, list[FieldValue]]) -> dict[str, str | None]:
    return {name: _text(fields.get(name)) for name in IDENTITY}


def ip_sort_key(ip: str) -> tuple[int, int, str]:
    """Numeric order for IP addresses, text order for anything else."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return (9, 0, ip)
    return (addr.version, int(addr), "")


def _address(asset: Asset) -> str:
    ips = sorted(asset.ips, key=ip_sort_key)
    return ips[0] if ips else min(asset.macs, default=asset.id)


def _identifies(identity: dict[str, str | None]) -> bool:
    return any(identity[n] for n in ("model", "product_name", "product_code", "order_number"))


def subjects_of(asset: Asset) -> list[Subject]:
    """The asset and each of its modules that say what they are.

    A module identical to the asset (same model, firmware and serial: the
    communication module the asset is reached through) is the asset, not a
    second subject.
    """
    address = _address(asset)
    vendor, source, via = _vendor(asset.fields)
    own = _identity(asset.fields)
    out: list[Subject] = []
    if _identifies(own):
        out.append(Subject(asset.id, None, address, vendor, source, via, **own))
    serial = asset.value("serial")
    for key, component in sorted(asset.components.items()):
        identity = _identity(component.fields)
        if not _identifies(identity) or _same_device(asset, component, own, identity, serial):
            continue
        c_vendor, c_source, c_via = _vendor(component.fields)
        if c_vendor is None or c_source is VendorSource.OUI:
            c_vendor, c_source, c_via = vendor, VendorSource.PARENT, f"asset ({source}, {via})"
        out.append(Subject(asset.id, key, address, c_vendor, c_source, c_via, **identity))
    return out


def _same_device(
    asset: Asset,
    component: Component,
    own: dict[str, str | None],
    identity: dict[str, str | None],
    serial: str | int | None,
) -> bool:
    if serial is None or component.value("serial") != serial:
        return False
    return own["model"] == identity["model"] and own["firmware"] == identity["firmware"]
