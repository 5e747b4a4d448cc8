"""The PROFINET sensor against the ground truth of the shared captures.

Each capture with PROFINET DCP frames (``groundtruth/<capture>.json`` key
``protocol_frames``) is walked with only ``ProfinetSensor`` registered and
turned into an inventory.  Then:

- every oracle endpoint (protocol ``profinet_dcp``, role, MAC; DCP has no
  IP) is an asset of otm offering ``profinet-dcp`` in that role (recall
  100 %), and every ``profinet-dcp`` service otm reports is an oracle
  endpoint (the rule: Identify/Get/Set request sender client, response or
  Hello sender server);
- every identity field of the oracle's ``dcp_identify`` source is on the
  device's asset under otm's name;
- otm's operations count the oracle's requests per service, and every Set
  request's new IP or name of station is in an operation's detail.

No exception is needed on these captures.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from profinet_strategies import DCP_CAPTURES
from profinet_walk import inventory, walk_capture

from conftest import GROUNDTRUTH, PCAPS
from otm.model.assets import Asset, Inventory
from otm.observations.records import Observation, Operation
from otm.protocols.profinet import device_role_names
from otm.sensing.profinet import DCP, ProfinetSensor

ORACLE = "profinet_dcp"

FIELD_NAMES = {
    "name_of_station": "name",
    "type_of_station": "profinet_type_of_station",
    "vendor_id": "vendor_id",
    "device_id": "device_id",
    "device_role": "profinet_device_role",
    "ip": "profinet_ip",
    "netmask": "profinet_netmask",
    "gateway": "profinet_gateway",
}
"""Oracle field of ``dcp_identify`` -> otm identity field."""

ENDPOINT_EXCEPTIONS: dict[tuple[str, str, str], str] = {}
"""(capture, role, mac) -> why otm may miss or add it; none needed."""


def _truth(capture: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GROUNDTRUTH / f"{capture}.json").read_text())
    return data


@cache
def _observed(capture: str) -> tuple[list[Observation], Inventory]:
    observations = walk_capture([ProfinetSensor()], PCAPS / capture)
    return observations, inventory(observations)


def _assets(inv: Inventory, mac: str) -> list[Asset]:
    return [a for a in inv.assets.values() if mac in a.macs]


def test_the_captures_are_those_the_ground_truth_names() -> None:
    named = set()
    for path in GROUNDTRUTH.glob("*.json"):
        data = json.loads(path.read_text())
        if ORACLE in data["protocol_frames"]:
            named.add(data["capture"])
    assert named == set(DCP_CAPTURES)


@pytest.mark.parametrize("capture", DCP_CAPTURES)
def test_every_oracle_endpoint_is_found(capture: str) -> None:
    _, inv = _observed(capture)
    missing = []
    for ep in _truth(capture)["endpoints"]:
        if ep["protocol"] != ORACLE or (capture, ep["role"], ep["mac"]) in ENDPOINT_EXCEPTIONS:
            continue
        assert ep["ip"] is None
        found = any(
            any(s.name == DCP and s.role == ep["role"] for s in a.services)
            for a in _assets(inv, ep["mac"])
        )
        if not found:
            missing.append((ep["role"], ep["mac"]))
    assert not missing


@pytest.mark.parametrize("capture", DCP_CAPTURES)
def test_no_endpoint_the_oracle_does_not_know(capture: str) -> None:
    _, inv = _observed(capture)
    known = {
        (ep["role"], ep["mac"]) for ep in _truth(capture)["endpoints"] if ep["protocol"] == ORACLE
    }
    extra = [
        (s.role, sorted(a.macs))
        for a in inv.assets.values()
        for s in a.services
        if s.name == DCP
        and not any((s.role, mac) in known for mac in a.macs)
        and not any((capture, s.role, mac) in ENDPOINT_EXCEPTIONS for mac in a.macs)
    ]
    assert not extra


def _expected_value(name: str, value: Any) -> Any:
    if name == "device_role":
        return device_role_names(value)
    if isinstance(value, str):
        return value.strip()
    return value


@pytest.mark.parametrize("capture", DCP_CAPTURES)
def test_every_oracle_identity_field_is_found(capture: str) -> None:
    _, inv = _observed(capture)
    missing = []
    identities = [i for i in _truth(capture)["identities"] if i["protocol"] == ORACLE]
    for ident in identities:
        assert ident["source"] == "dcp_identify"
        assets = _assets(inv, ident["mac"])
        for name, value in ident["fields"].items():
            ours, want = FIELD_NAMES[name], _expected_value(name, value)
            got = {v.value for a in assets for v in a.fields.get(ours, [])}
            if want not in got:
                missing.append(f"{ident['mac']} {ours}={want!r} (otm: {sorted(map(str, got))})")
    assert not missing


@pytest.mark.parametrize("capture", DCP_CAPTURES)
def test_requests_are_counted_as_operations(capture: str) -> None:
    observations, _ = _observed(capture)
    ops = [o for o in observations if isinstance(o, Operation) and o.protocol == DCP]
    services = _truth(capture)["protocol_details"][ORACLE]["services"]
    identify = sum(o.count for o in ops if o.name == "identify")
    assert identify == services.get("identify/request", 0)
    assert sum(o.count for o in ops if o.name == "get") == services.get("get/request", 0)
    set_requests = {(o.client_mac, o.evidence.packet) for o in ops if o.category == "write"}
    assert len(set_requests) == services.get("set/request", 0)
    for op in ops:
        assert op.client_ip is op.server_ip is None and op.client_mac and op.server_mac


@pytest.mark.parametrize("capture", DCP_CAPTURES)
def test_every_set_request_shows_the_new_ip_or_name(capture: str) -> None:
    observations, _ = _observed(capture)
    writes = [o for o in observations if isinstance(o, Operation) and o.category == "write"]
    for req in _truth(capture)["protocol_details"][ORACLE].get("set_requests", []):
        mine = [o for o in writes if (o.client_mac, o.server_mac) == (req["from"], req["to"])]
        if req["ip"] is not None:
            assert any(o.name == "set_ip" and o.detail["ip"] == req["ip"] for o in mine)
        if req["name_of_station"] is not None:
            names = {str(o.detail.get("name_of_station", "")).strip() for o in mine}
            assert req["name_of_station"] in names
