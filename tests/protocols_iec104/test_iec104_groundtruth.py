"""otm's IEC 104 sensor against the ground truth of the shared captures.

Each capture with IEC 104 (``groundtruth/<capture>.json``, key
``protocol_frames``) is walked with only ``Iec104Sensor`` registered and the
inventory is built from the observations.  Then:

- every ``iec104`` endpoint of the ground truth (role, ip, mac) is a service
  of an asset at that address (recall 100 %), and every ``iec104`` service
  otm reports is one the ground truth lists;
- every ground-truth identity of source ``iec104_common_address`` (the
  common addresses the controlled station used) is an
  ``iec104_common_address`` of the asset;
- the ground truth's protocol details — type ids per direction, causes,
  U-frame functions, common addresses used by and requested of each server —
  equal what otm's codec decodes from the same frames.

Named exceptions: none.  The ground truth derives roles from the TCP
handshake, else the well-known port (its ``rules``): the same rule as the
walker's.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from functools import cache
from typing import Any

import pytest
from iec104_support import IEC104_CAPTURES, capture_apdus, observe_capture

from conftest import GROUNDTRUTH, PCAPS
from otm.inventory.builder import build_inventory
from otm.model.assets import Asset, Inventory
from otm.observations.records import Operation, ParseAnomaly
from otm.protocols.common import Anomaly
from otm.protocols.iec104 import IFrame, UFrame, decode_apdu
from otm.sensing.iec104 import Iec104Sensor

PROTOCOL = "iec104"


def _truth(capture: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GROUNDTRUTH / f"{capture}.json").read_text())
    return data


def test_the_captures_are_those_the_ground_truth_marks_as_iec104() -> None:
    marked = sorted(
        json.loads(p.read_text())["capture"]
        for p in GROUNDTRUTH.glob("*.json")
        if PROTOCOL in json.loads(p.read_text())["protocol_frames"]
    )
    assert marked == sorted(IEC104_CAPTURES)


@cache
def _observed(capture: str) -> tuple[Inventory, tuple[Any, ...]]:
    observations = observe_capture(PCAPS / capture, [Iec104Sensor()])
    return build_inventory(observations), tuple(observations)


def _assets_at(inv: Inventory, ip: str | None, mac: str | None) -> list[Asset]:
    return [
        a
        for a in inv.assets.values()
        if (ip is not None and ip in a.ips) or (ip is None and mac in a.macs)
    ]


@pytest.mark.parametrize("capture", IEC104_CAPTURES)
def test_every_ground_truth_endpoint_is_found(capture: str) -> None:
    inv, _ = _observed(capture)
    missing = []
    for ep in _truth(capture)["endpoints"]:
        if ep["protocol"] != PROTOCOL:
            continue
        assets = _assets_at(inv, ep["ip"], ep["mac"])
        if not any(
            s.name == PROTOCOL and s.role == ep["role"] and ep["mac"] in a.macs
            for a in assets
            for s in a.services
        ):
            missing.append((ep["role"], ep["ip"], ep["mac"]))
    assert not missing


@pytest.mark.parametrize("capture", IEC104_CAPTURES)
def test_no_endpoint_the_ground_truth_does_not_know(capture: str) -> None:
    known = {
        (ep["role"], ep["ip"]) for ep in _truth(capture)["endpoints"] if ep["protocol"] == PROTOCOL
    }
    inv, _ = _observed(capture)
    extra = [
        (s.role, sorted(a.ips))
        for a in inv.assets.values()
        for s in a.services
        if s.name == PROTOCOL and not any((s.role, ip) in known for ip in a.ips)
    ]
    assert not extra


@pytest.mark.parametrize("capture", IEC104_CAPTURES)
def test_every_ground_truth_common_address_is_an_identity(capture: str) -> None:
    inv, _ = _observed(capture)
    identities = [i for i in _truth(capture)["identities"] if i["protocol"] == PROTOCOL]
    assert identities
    for ident in identities:
        assert ident["source"] == "iec104_common_address"
        values = {
            v.value
            for a in _assets_at(inv, ident["ip"], ident["mac"])
            for v in a.fields.get("iec104_common_address", [])
        }
        assert ident["fields"]["common_address"] in values


@pytest.mark.parametrize("capture", IEC104_CAPTURES)
def test_the_sensor_reports_no_anomaly_on_the_shared_captures(capture: str) -> None:
    _, observations = _observed(capture)
    assert not [o for o in observations if isinstance(o, ParseAnomaly)]
    assert any(isinstance(o, Operation) and o.protocol == PROTOCOL for o in observations)


def _details(capture: str) -> dict[str, Any]:
    """The ground truth's detail keys, computed from otm's decoding of each APDU."""
    type_ids: Counter[str] = Counter()
    causes: Counter[str] = Counter()
    u_frames: Counter[str] = Counter()
    by_server: dict[str, set[int]] = defaultdict(set)
    requested: dict[str, set[int]] = defaultdict(set)
    server_ip = {ep["ip"] for ep in _truth(capture)["endpoints"] if ep["role"] == "server"}
    (ip,) = server_ip
    for captured in capture_apdus(capture):
        apdu = decode_apdu(captured.apdu)
        assert not isinstance(apdu, Anomaly)
        if isinstance(apdu, UFrame):
            u_frames[f"0x{apdu.function >> 2:02x}"] += 1
        if not isinstance(apdu, IFrame):
            continue
        side = "from_server" if captured.from_server else "from_client"
        asdu = apdu.asdu
        type_ids[f"{asdu.type_id}/{side}"] += 1
        causes[str(asdu.cause)] += 1
        (by_server if captured.from_server else requested)[ip].add(asdu.common_address)
    out: dict[str, Any] = {
        "type_ids": dict(type_ids),
        "causes": dict(causes),
        "u_frames": dict(u_frames),
        "common_addresses_by_server": {k: sorted(v) for k, v in by_server.items()},
    }
    if requested:
        out["common_addresses_requested"] = {k: sorted(v) for k, v in requested.items()}
    return out


@pytest.mark.parametrize("capture", IEC104_CAPTURES)
def test_type_ids_causes_and_addresses_match_the_ground_truth(capture: str) -> None:
    truth = _truth(capture)["protocol_details"][PROTOCOL]
    assert _details(capture) == truth
