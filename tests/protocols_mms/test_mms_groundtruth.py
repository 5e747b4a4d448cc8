"""The MMS sensor against the ground truth of the shared captures (``groundtruth/<capture>.json``).

Each capture with MMS is walked through a ``PacketWalker`` with only the port
102 sensor registered (``S7Sensor``, which hands ISO session traffic to the
MMS handler), wired to a ``Tally`` the way ``otm.sensing.engine`` does; the
observations go through ``build_inventory``.  Then:

- every MMS endpoint of the ground truth (protocol, role, ip, mac) is an
  asset with that service (recall 100 %, no named exception needed), and
  otm reports no MMS endpoint the ground truth lacks;
- every ``mms_identify`` field is on the asset (vendor_name -> ``vendor``,
  model_name -> ``model``, revision -> ``firmware``);
- the confirmed requests counted on the MMS links equal the ground truth's
  per-service counts;
- the logical devices (``iec61850_logical_devices``) are the identifiers
  tshark decodes in the answers to get name list requests of class domain.
"""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from functools import cache
from typing import Any

import pytest
from mms_captures import MMS_CAPTURES

from conftest import GROUNDTRUTH, PCAPS
from otm.capture.interfaces import FlowKey
from otm.capture.readers import open_capture
from otm.capture.walker import PacketWalker
from otm.inventory.builder import build_inventory
from otm.model.assets import Asset, Inventory
from otm.observations.records import Communication, Observation, Transport
from otm.protocols.mms import service_name
from otm.sensing.aggregate import Tally
from otm.sensing.labels import FlowLabels
from otm.sensing.s7comm import S7Sensor

IDENTIFY_FIELDS = {"vendor_name": "vendor", "model_name": "model", "revision": "firmware"}
"""Ground truth ``mms_identify`` field -> otm identity field."""

ENDPOINT_EXCEPTIONS: dict[tuple[str, str, str | None], str] = {}
"""(capture, role, ip) -> why otm differs from the oracle (none needed)."""


def observe(capture: str) -> list[Observation]:
    """The observations of a capture with only the port 102 sensor registered."""
    tally = Tally(capture, "capture")
    walker = PacketWalker()
    labels = FlowLabels()
    S7Sensor().register(walker, tally, labels)

    def host(mac: str, ip: str | None, vlan: int | None, frame: int, ts: float) -> None:
        tally.host(mac, ip, vlan, ts, frame)

    def traffic(
        key: FlowKey,
        first: float,
        last: float,
        packets: int,
        octets: int,
        frame: int,
        final: bool,
        client_sent: bool,
        server_sent: bool,
    ) -> bool:
        tally.touch_host(key.client_mac, key.client_ip, key.vlan, last, 0)
        tally.touch_host(key.server_mac, key.server_ip, key.vlan, last, 0)
        protocol = labels.protocol.pop(key, None)
        if not protocol:
            return False
        tally.communication(
            Communication(
                first,
                last,
                key.client_ip,
                key.server_ip,
                key.client_mac,
                key.server_mac,
                protocol,
                Transport(key.transport),
                key.server_port,
                packets,
                octets,
                tally.evidence(frame, f"first {protocol} packet of the flow"),
            )
        )
        return True

    walker.on_host(host)
    walker.on_traffic(traffic)
    with open_capture(PCAPS / capture) as reader:
        walker.walk(reader)
    return tally.flush()


@cache
def inventory(capture: str) -> Inventory:
    return build_inventory(observe(capture))


def _truth(capture: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GROUNDTRUTH / f"{capture}.json").read_text())
    return data


def _assets(inv: Inventory, ip: str | None, mac: str | None) -> list[Asset]:
    return [
        a
        for a in inv.assets.values()
        if (ip is not None and ip in a.ips) or (ip is None and mac in a.macs)
    ]


@pytest.mark.parametrize("capture", MMS_CAPTURES)
def test_every_ground_truth_endpoint_is_found(capture: str) -> None:
    inv = inventory(capture)
    missing = []
    for ep in _truth(capture)["endpoints"]:
        if ep["protocol"] != "mms" or (capture, ep["role"], ep["ip"]) in ENDPOINT_EXCEPTIONS:
            continue
        assets = _assets(inv, ep["ip"], ep["mac"])
        if not any(
            s.name == "mms" and s.role == ep["role"] for a in assets for s in a.services
        ) or not any(ep["mac"] in a.macs for a in assets):
            missing.append((ep["role"], ep["ip"], ep["mac"]))
    assert not missing


@pytest.mark.parametrize("capture", MMS_CAPTURES)
def test_no_endpoint_the_ground_truth_lacks(capture: str) -> None:
    known = {
        (ep["role"], ep["ip"]) for ep in _truth(capture)["endpoints"] if ep["protocol"] == "mms"
    }
    extra = [
        (s.role, sorted(a.ips))
        for a in inventory(capture).assets.values()
        for s in a.services
        if s.name == "mms" and not any((s.role, ip) in known for ip in a.ips)
    ]
    assert not extra


@pytest.mark.parametrize("capture", MMS_CAPTURES)
def test_every_identify_field_is_found(capture: str) -> None:
    inv = inventory(capture)
    missing = []
    expected_any = False
    for ident in _truth(capture)["identities"]:
        if ident["source"] != "mms_identify":
            continue
        expected_any = True
        assets = _assets(inv, ident["ip"], ident["mac"])
        for key, value in ident["fields"].items():
            name = IDENTIFY_FIELDS[key]
            values = {v.value for a in assets for v in a.fields.get(name, [])}
            if value not in values:
                missing.append((ident["ip"], name, value, sorted(map(str, values))))
    assert not missing
    if capture.startswith("8d7c"):
        assert expected_any


@pytest.mark.parametrize("capture", MMS_CAPTURES)
def test_request_counts_on_the_links_match_the_ground_truth(capture: str) -> None:
    expected = _truth(capture)["protocol_details"]["mms"]["confirmed_service_requests"]
    counts: dict[str, int] = defaultdict(int)
    for link in inventory(capture).links.values():
        if link.protocol != "mms":
            continue
        for tag in expected:
            counts[tag] += link.operations.get(service_name(int(tag)), 0)
    assert dict(counts) == expected


def _tshark_logical_devices(capture: str) -> dict[str, set[str]]:
    """server ip -> identifiers tshark decodes in answers to get name list of class domain."""
    cmd = ["tshark", "-n", "-r", str(PCAPS / capture), "-Y", "mms", "-T", "fields"]
    for f in ("ip.src", "mms.invokeID", "mms.objectClass", "mms.Identifier", "mms.moreFollows"):
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    asked: set[str] = set()
    devices: dict[str, set[str]] = defaultdict(set)
    for line in out.splitlines():
        src, invoke, object_class, identifiers, _ = (line.split("\t") + [""] * 5)[:5]
        if object_class == "9":
            asked.add(invoke)
        elif identifiers and invoke in asked:
            devices[src].update(identifiers.split(","))
    return devices


@pytest.mark.tshark
@pytest.mark.parametrize("capture", MMS_CAPTURES)
def test_logical_devices_are_the_domains_tshark_decodes(capture: str) -> None:
    expected = _tshark_logical_devices(capture)
    inv = inventory(capture)
    got: dict[str, set[str]] = {}
    for asset in inv.assets.values():
        for value in asset.fields.get("iec61850_logical_devices", []):
            for ip in asset.ips:
                got[ip] = set(str(value.value).split(","))
    assert got == dict(expected)
    if capture in ("simens.pcap", "mmsy.pcap"):
        assert got  # both IEC 61850 captures list their logical devices
