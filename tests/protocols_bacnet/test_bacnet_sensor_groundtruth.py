"""The BACnet sensor against the ground truth of every shared capture with BACnet.

Each capture is walked by the passive engine with the BACnet sensor alone
(``sensor_support``), the inventory is built from the observations, and
compared with ``groundtruth/<capture>.json``:

- every BACnet endpoint the oracle lists (role, ip, or the MAC of a
  BACnet/Ethernet sender) is a service of an otm asset at that address
  (a ``peer`` may be either end, as in the central oracle test);
- every identity field the oracle lists is on that asset, or, for a device
  behind a BACnet router (``bacnet_snet``/``bacnet_sadr``), on the router
  asset's component ``bacnet network N address XX``;
- no BACnet endpoint otm reports is unknown to the oracle.

No exception is needed: recall is 100 % on these captures.
"""

from __future__ import annotations

import pytest

from otm.model.assets import Inventory
from otm.observations.records import Observation, ParseAnomaly
from otm.sensing.bacnet import PROTOCOL, BacnetSensor
from sensor_support import analysed as _analysed
from sensor_support import (
    anomaly_counts,
    assets_at,
    captures_with,
    offers,
    truth_endpoints,
    truth_identities,
    values,
)

CAPTURES = captures_with(PROTOCOL)

FIELDS = {
    "device_instance": "bacnet_device_instance",
    "vendor_id": "vendor_id",
    "vendor_name": "vendor",
    "model_name": "model",
    "firmware_revision": "firmware",
    "application_software_version": "software_version",
    "location": "location",
    "description": "description",
    "object_name": "name",
    "serial_number": "serial",
}
"""Oracle field -> otm identity field."""

EXPECTED_ANOMALIES = {
    "bacnet_example.pcap": {"bad_bvlc_length": 240},
}
"""Parse anomalies each capture really has (others have none): bacnet_example.pcap's
generator kept a BVLC length of 17 for every ReinitializeDevice exchange."""


def observed(capture: str) -> tuple[Observation, ...]:
    return _analysed(capture, BacnetSensor)[0]


def inventory(capture: str) -> Inventory:
    return _analysed(capture, BacnetSensor)[1]


def _component(snet: int, sadr: str) -> str:
    return f"bacnet network {snet} address {sadr}"


@pytest.mark.parametrize("capture", CAPTURES)
def test_every_oracle_endpoint_is_found(capture: str) -> None:
    inv = inventory(capture)
    missing = []
    for ep in truth_endpoints(capture, PROTOCOL):
        roles = ("client", "server") if ep["role"] == "peer" else (ep["role"],)
        transport = "ethernet" if ep["ip"] is None else "udp"
        if not offers(assets_at(inv, ep["ip"], ep["mac"]), PROTOCOL, roles, transport):
            missing.append((ep["role"], ep["ip"], ep["mac"]))
    assert not missing, f"endpoints the oracle found and otm did not: {missing}"


@pytest.mark.parametrize("capture", CAPTURES)
def test_no_endpoint_the_oracle_does_not_know(capture: str) -> None:
    known = {(ep["role"], ep["ip"] or ep["mac"]) for ep in truth_endpoints(capture, PROTOCOL)}
    extra = []
    for asset in inventory(capture).assets.values():
        for s in asset.services:
            if s.name != PROTOCOL:
                continue
            addresses = asset.macs if s.transport == "ethernet" else asset.ips
            if not any((r, a) in known for a in addresses for r in (s.role, "peer")):
                extra.append((s.role, s.transport, sorted(addresses)))
    assert not extra, f"endpoints otm reports that the oracle does not: {extra}"


@pytest.mark.parametrize("capture", CAPTURES)
def test_every_oracle_identity_field_is_found(capture: str) -> None:
    inv = inventory(capture)
    missing = []
    compared = 0
    for ident in truth_identities(capture, PROTOCOL):
        assets = assets_at(inv, ident["ip"], ident["mac"])
        # A device behind a BACnet router: its facts are on the router's component.
        routed = "bacnet_snet" in ident
        component = _component(ident["bacnet_snet"], ident["bacnet_sadr"]) if routed else None
        for key, value in ident["fields"].items():
            name = FIELDS[key]
            compared += 1
            got = set().union(*(values(asset, name, component) for asset in assets))
            if value not in got:
                missing.append(f"{ident['ip']} {ident['source']}.{name}={value!r} (otm: {got})")
    assert compared > 0
    assert not missing, "identity facts the oracle found and otm did not:\n" + "\n".join(missing)


@pytest.mark.parametrize("capture", CAPTURES)
def test_anomalies_are_the_known_ones(capture: str) -> None:
    assert anomaly_counts(observed(capture)) == EXPECTED_ANOMALIES.get(capture, {})


def test_vendor_is_resolved_from_the_vendor_id() -> None:
    """I-Am's vendor id 42 is named from the offline table; the device's own
    vendorName (ReadProperty-ACK) is kept beside it."""
    inv = inventory("bacnet-ip.pcap")
    (device,) = assets_at(inv, "192.168.0.13")
    vendors = {v.value for v in device.fields["vendor"]}
    assert vendors == {"Acuity Brands Lighting, Inc.", "Lithonia Lighting"}


def test_password_guessing_is_counted() -> None:
    """bacnet_example.pcap: ReinitializeDevice with wrong passwords, answered by errors."""
    links = inventory("bacnet_example.pcap").links.values()
    reinit = sum(link.operations.get("reinitialize_device", 0) for link in links)
    failures = sum(link.operations.get("error_password_failure", 0) for link in links)
    assert (reinit, failures) == (120, 90)
    categories: dict[str, int] = {}
    for link in links:
        for cat, n in link.categories.items():
            categories[cat] = categories.get(cat, 0) + n
    assert categories["control"] == 120


def test_a_broadcast_who_is_makes_no_server() -> None:
    """bacnet_example.pcap: Who-Is from 172.20.32.200 to 172.20.32.255 makes the sender a
    client and the broadcast address no asset at all."""
    inv = inventory("bacnet_example.pcap")
    assert not assets_at(inv, "172.20.32.255")
    (asker,) = assets_at(inv, "172.20.32.200")
    assert {s.role for s in asker.services} == {"client"}
    who_is = [link for link in inv.links.values() if "who_is" in link.operations]
    assert {(link.client, link.server) for link in who_is} == {("172.20.32.200", "172.20.32.255")}


def test_passwords_never_leave_the_sensor() -> None:
    """ReinitializeDevice carries passwords in clear; no observation repeats them."""
    text = repr(observed("bacnet_example.pcap"))
    assert "Delcatty70" not in text and "Shroomi24" not in text


def test_segmented_object_list_is_reassembled() -> None:
    """bacnet_segmented_data.pcap frames 15, 17, 18: one object-list of 426 entries,
    decoded once whole (no out-of-order or oversize anomaly)."""
    assert not any(isinstance(o, ParseAnomaly) for o in observed("bacnet_segmented_data.pcap"))
