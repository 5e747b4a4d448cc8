"""The PROFINET sensor against the ground truth of the shared captures.

Each capture with PROFINET DCP frames (``groundtruth/<capture>.json`` key
``protocol_frames``) is walked by the passive engine with only
``ProfinetSensor`` registered (``sensor_support``) and turned into an
inventory.  Then:

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

from collections.abc import Iterable
from typing import Any

import pytest
from profinet_strategies import DCP_CAPTURES

from otm.observations.records import Operation
from otm.protocols.profinet import device_role_names
from otm.sensing.profinet import DCP, ProfinetSensor
from sensor_support import (
    analysed,
    captures_with,
    fields_of,
    ground_truth,
    identity_recall,
    missing_endpoints,
    truth_endpoints,
    truth_identities,
    unknown_endpoints,
)

ORACLE = "profinet_dcp"

FIELD_NAMES = fields_of(
    "dcp_identify",
    {
        "name_of_station": "name",
        "type_of_station": "profinet_type_of_station",
        "vendor_id": "vendor_id",
        "device_id": "device_id",
        "device_role": "profinet_device_role",
        "ip": "profinet_ip",
        "netmask": "profinet_netmask",
        "gateway": "profinet_gateway",
    },
)
"""Oracle (``dcp_identify``, field) -> otm identity field."""

ENDPOINT_EXCEPTIONS: dict[tuple[str, str, str], str] = {}
"""(capture, role, mac) -> why otm may miss or add it; none needed."""


def test_the_captures_are_those_the_ground_truth_names() -> None:
    assert set(captures_with(ORACLE)) == set(DCP_CAPTURES)


def _excepted(capture: str, role: str, macs: Iterable[str | None]) -> bool:
    return any((capture, role, mac) in ENDPOINT_EXCEPTIONS for mac in macs)


@pytest.mark.parametrize("capture", DCP_CAPTURES)
def test_every_oracle_endpoint_is_found(capture: str) -> None:
    endpoints = truth_endpoints(capture, ORACLE)
    assert all(ep["ip"] is None for ep in endpoints)
    expected = [ep for ep in endpoints if not _excepted(capture, ep["role"], [ep["mac"]])]
    assert not missing_endpoints(analysed(capture, ProfinetSensor)[1], expected, {ORACLE: DCP})


@pytest.mark.parametrize("capture", DCP_CAPTURES)
def test_no_endpoint_the_oracle_does_not_know(capture: str) -> None:
    inv = analysed(capture, ProfinetSensor)[1]
    extra = unknown_endpoints(inv, truth_endpoints(capture, ORACLE), {ORACLE: DCP})
    assert not [e for e in extra if not _excepted(capture, e[1], e[2])]


def _expected_value(name: str, value: Any) -> Any:
    if name == "device_role":
        return device_role_names(value)
    if isinstance(value, str):
        return value.strip()
    return value


@pytest.mark.parametrize("capture", DCP_CAPTURES)
def test_every_oracle_identity_field_is_found(capture: str) -> None:
    inv = analysed(capture, ProfinetSensor)[1]
    identities = truth_identities(capture, ORACLE)
    recall = identity_recall(inv, identities, FIELD_NAMES, want=_expected_value)
    assert not recall.missing


@pytest.mark.parametrize("capture", DCP_CAPTURES)
def test_requests_are_counted_as_operations(capture: str) -> None:
    observations, _ = analysed(capture, ProfinetSensor)
    ops = [o for o in observations if isinstance(o, Operation) and o.protocol == DCP]
    services = ground_truth(capture)["protocol_details"][ORACLE]["services"]
    identify = sum(o.count for o in ops if o.name == "identify")
    assert identify == services.get("identify/request", 0)
    assert sum(o.count for o in ops if o.name == "get") == services.get("get/request", 0)
    set_requests = {(o.client_mac, o.evidence.packet) for o in ops if o.category == "write"}
    assert len(set_requests) == services.get("set/request", 0)
    for op in ops:
        assert op.client_ip is op.server_ip is None and op.client_mac and op.server_mac


@pytest.mark.parametrize("capture", DCP_CAPTURES)
def test_every_set_request_shows_the_new_ip_or_name(capture: str) -> None:
    observations, _ = analysed(capture, ProfinetSensor)
    writes = [o for o in observations if isinstance(o, Operation) and o.category == "write"]
    for req in ground_truth(capture)["protocol_details"][ORACLE].get("set_requests", []):
        mine = [o for o in writes if (o.client_mac, o.server_mac) == (req["from"], req["to"])]
        if req["ip"] is not None:
            assert any(o.name == "set_ip" and o.detail["ip"] == req["ip"] for o in mine)
        if req["name_of_station"] is not None:
            names = {str(o.detail.get("name_of_station", "")).strip() for o in mine}
            assert req["name_of_station"] in names
