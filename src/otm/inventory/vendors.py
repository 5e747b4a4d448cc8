"""Vendor names from offline tables shipped by registry packages.

Nothing is fetched at run time (the plant network is air-gapped):

- MAC OUI -> organisation comes from the IEEE registry copy that the
  ``netaddr`` package installs (``netaddr/eui/oui.txt`` with its index).
- CIP vendor id -> vendor name comes from the ODVA vendor list that the
  ``pycomm3`` package ships (about 2,900 entries).

Lookups are cached; a miss returns None.  Locally administered MACs (bit 1
of the first octet) and multicast MACs have no vendor by definition.
"""

from __future__ import annotations

from functools import lru_cache

import netaddr
from pycomm3.cip.status_info import VENDORS as _CIP_VENDORS

NULL_MAC = "00:00:00:00:00:00"


def mac_vendor(mac: str) -> str | None:
    """The organisation the IEEE assigned this MAC's OUI to, or None."""
    if mac == NULL_MAC:  # loopback captures and placeholder addresses
        return None
    try:
        first = int(mac[:2], 16)
    except ValueError:
        return None
    if first & 0x03:  # multicast or locally administered: no OUI owner
        return None
    return _oui_owner(mac[:8].lower())


@lru_cache(maxsize=4096)
def _oui_owner(oui: str) -> str | None:
    """Owner of a 24-bit OUI (``aa:bb:cc``); cached per OUI, as netaddr reads
    its registry file on every lookup."""
    try:
        org: str = netaddr.OUI(oui.replace(":", "-")).registration().org
    except (netaddr.NotRegisteredError, netaddr.AddrFormatError, IndexError, ValueError):
        return None
    # The registry writes some owners with a trailing comma ("Siemens AG,") beside the
    # same owner without one: one vendor, not two, in the inventory's facets.
    return " ".join(org.split()).rstrip(",;").strip() or None


def cip_vendor(vendor_id: int) -> str | None:
    """The ODVA vendor name for a CIP vendor id, or None if unassigned."""
    name = _CIP_VENDORS.get(vendor_id)
    if not isinstance(name, str) or not name.strip() or name.lower().startswith("reserved"):
        return None
    return name.strip()
