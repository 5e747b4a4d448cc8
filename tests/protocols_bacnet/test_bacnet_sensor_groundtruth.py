"""The BACnet sensor against the ground truth of every shared capture with BACnet.

Each capture is walked with the BACnet sensor alone (hosts and flow totals
wired as ``otm.sensing.engine`` does), the inventory is built from the
observations, and compared with ``groundtruth/<capture>.json``:

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

import json
from functools import cache
from typing import Any

import pytest

from conftest import GROUNDTRUTH, PCAPS
from otm.capture.interfaces import FlowKey
from otm.capture.readers import open_capture
from otm.capture.walker import PacketWalker
from otm.inventory.builder import build_inventory
from otm.model.assets import Asset, Inventory
from otm.observations.records import Communication, Observation, ParseAnomaly, Transport
from otm.sensing.aggregate import Tally
from otm.sensing.bacnet import PROTOCOL, BacnetSensor
from otm.sensing.labels import FlowLabels


def _captures() -> list[str]:
    names = []
    for gt in sorted(GROUNDTRUTH.glob("*.json")):
        data = json.loads(gt.read_text())
        if PROTOCOL in data["protocol_frames"]:
            names.append(data["capture"])
    return names


CAPTURES = _captures()

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


class _Engine:
    """``PassiveEngine`` with the BACnet sensor only."""

    def __init__(self, ref: str) -> None:
        self.tally = Tally(ref)
        self.labels = FlowLabels()
        self.walker = PacketWalker()
        BacnetSensor().register(self.walker, self.tally, self.labels)
        self.walker.on_host(self._host)
        self.walker.on_traffic(self._traffic)

    def _host(self, mac: str, ip: str | None, vlan: int | None, frame: int, ts: float) -> None:
        self.tally.host(mac, ip, vlan, ts, frame)

    def _traffic(
        self,
        key: FlowKey,
        first_ts: float,
        last_ts: float,
        packets: int,
        octets: int,
        first_frame: int,
        final: bool = True,
    ) -> bool:
        protocol = self.labels.protocol.pop(key, None) if final else self.labels.protocol.get(key)
        if not protocol:
            return False
        if key in self.labels.reversed:
            if final:
                self.labels.reversed.discard(key)
            key = FlowKey(
                key.transport,
                key.server_ip,
                key.server_port,
                key.client_ip,
                key.client_port,
                key.server_mac,
                key.client_mac,
                key.vlan,
            )
        self.tally.communication(
            Communication(
                first_ts,
                last_ts,
                key.client_ip,
                key.server_ip,
                key.client_mac,
                key.server_mac,
                protocol,
                Transport(key.transport),
                key.server_port,
                packets,
                octets,
                self.tally.evidence(first_frame, f"first {protocol} packet of the flow"),
            )
        )
        return True

    def run(self, capture: str) -> list[Observation]:
        with open_capture(PCAPS / capture) as reader:
            self.walker.walk(reader)
        return self.tally.flush()


@cache
def observed(capture: str) -> tuple[Observation, ...]:
    return tuple(_Engine(capture).run(capture))


@cache
def inventory(capture: str) -> Inventory:
    return build_inventory(observed(capture))


def _truth(capture: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GROUNDTRUTH / f"{capture}.json").read_text())
    return data


def _assets_at(inv: Inventory, ip: str | None, mac: str | None) -> list[Asset]:
    return [
        a
        for a in inv.assets.values()
        if (ip is not None and ip in a.ips) or (ip is None and mac in a.macs)
    ]


def _component(snet: int, sadr: str) -> str:
    return f"bacnet network {snet} address {sadr}"


@pytest.mark.parametrize("capture", CAPTURES)
def test_every_oracle_endpoint_is_found(capture: str) -> None:
    inv = inventory(capture)
    missing = []
    for ep in _truth(capture)["endpoints"]:
        if ep["protocol"] != PROTOCOL:
            continue
        roles = ("client", "server") if ep["role"] == "peer" else (ep["role"],)
        transport = "ethernet" if ep["ip"] is None else "udp"
        found = any(
            s.name == PROTOCOL and s.role in roles and s.transport == transport
            for asset in _assets_at(inv, ep["ip"], ep["mac"])
            for s in asset.services
        )
        if not found:
            missing.append((ep["role"], ep["ip"], ep["mac"]))
    assert not missing, f"endpoints the oracle found and otm did not: {missing}"


@pytest.mark.parametrize("capture", CAPTURES)
def test_no_endpoint_the_oracle_does_not_know(capture: str) -> None:
    known = set()
    for ep in _truth(capture)["endpoints"]:
        if ep["protocol"] == PROTOCOL:
            known.add((ep["role"], ep["ip"] or ep["mac"]))
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
    for ident in _truth(capture)["identities"]:
        if ident["protocol"] != PROTOCOL:
            continue
        assets = _assets_at(inv, ident["ip"], ident["mac"])
        routed = "bacnet_snet" in ident
        for key, value in ident["fields"].items():
            name = FIELDS[key]
            compared += 1
            values = set()
            for asset in assets:
                if routed:
                    component = asset.components.get(
                        _component(ident["bacnet_snet"], ident["bacnet_sadr"])
                    )
                    lists = [component.fields.get(name, [])] if component else []
                else:
                    lists = [asset.fields.get(name, [])]
                values |= {v.value for values_ in lists for v in values_}
            if value not in values:
                missing.append(f"{ident['ip']} {ident['source']}.{name}={value!r} (otm: {values})")
    assert compared > 0
    assert not missing, "identity facts the oracle found and otm did not:\n" + "\n".join(missing)


@pytest.mark.parametrize("capture", CAPTURES)
def test_anomalies_are_the_known_ones(capture: str) -> None:
    counts: dict[str, int] = {}
    for obs in observed(capture):
        if isinstance(obs, ParseAnomaly):
            counts[obs.kind] = counts.get(obs.kind, 0) + obs.count
    assert counts == EXPECTED_ANOMALIES.get(capture, {})


def test_vendor_is_resolved_from_the_vendor_id() -> None:
    """I-Am's vendor id 42 is named from the offline table; the device's own
    vendorName (ReadProperty-ACK) is kept beside it."""
    inv = inventory("bacnet-ip.pcap")
    (device,) = _assets_at(inv, "192.168.0.13", None)
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
    assert not _assets_at(inv, "172.20.32.255", None)
    (asker,) = _assets_at(inv, "172.20.32.200", None)
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
