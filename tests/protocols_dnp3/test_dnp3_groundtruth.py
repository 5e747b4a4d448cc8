"""The DNP3 sensor against the ground truth of the shared captures.

Each capture with DNP3 (``groundtruth/<capture>.json`` key ``protocol_frames``)
is walked by the passive engine with the DNP3 sensor alone and turned into
an inventory.  Ground-truth rule: "dnp3: DIR bit 1 => sender is master
(client); 0 => outstation (server)".  Checked:

- every DNP3 endpoint (role, ip, mac) of the ground truth is in the inventory
  (recall 100 %), and every DNP3 endpoint of the inventory is in the ground
  truth;
- every ``dnp3_link_address`` identity: ``master_address`` as otm's
  ``dnp3_master_address``, ``outstation_address`` as ``dnp3_address``, and
  the per-IP address sets of ``protocol_details`` exactly;
- the application function counts of ``protocol_details``: each request
  function a master sent and each unsolicited response (130) an outstation
  sent is an otm operation with the same count (solicited responses are not
  operations);
- the parse anomalies otm counts are exactly the ones named below.
"""

from __future__ import annotations

from collections import Counter

import pytest

from otm.observations.records import Identity, Operation
from otm.protocols.dnp3 import FUNCTION_NAMES
from otm.sensing.dnp3 import Dnp3Sensor
from sensor_support import (
    analysed,
    anomaly_counts,
    captures_with,
    fields_of,
    ground_truth,
    identity_recall,
    missing_endpoints,
    operation_counts,
    truth_endpoints,
    truth_identities,
    unknown_endpoints,
)

CAPTURES = captures_with("dnp3")

IDENTITY_FIELDS = fields_of(
    "dnp3_link_address",
    {"master_address": "dnp3_master_address", "outstation_address": "dnp3_address"},
)
"""Ground-truth (``dnp3_link_address``, field) -> otm identity field."""

EXPECTED_ANOMALIES: dict[str, dict[str, int]] = {
    "dnp3.pcap": {
        # Frames 19 and 21 start 0x05 0x05: not a link frame, tshark does not
        # dissect them either.
        "unframed_bytes": 2,
        # Frames 154 and 156 (disable unsolicited), 163, 166, 174 and 176 (stop
        # application): the last object header has qualifier 0xED (reserved
        # bit and range code).
        "invalid_qualifier": 6,
    },
}
"""capture -> anomaly kind -> count; every other capture must give none."""


def test_the_shared_captures_with_dnp3() -> None:
    assert CAPTURES == [
        "DNP3Value.pcap",
        "cold_restart_and_response.pcap",
        "dnp3.pcap",
        "select_operate_and_responses.pcap",
    ]


@pytest.mark.parametrize("capture", CAPTURES)
def test_every_ground_truth_endpoint_is_found(capture: str) -> None:
    _, inv = analysed(capture, Dnp3Sensor)
    endpoints = truth_endpoints(capture, "dnp3")
    missing = missing_endpoints(inv, endpoints, {"dnp3": "dnp3"}, both=True)
    assert not missing, f"endpoints the ground truth has and otm does not: {missing}"


@pytest.mark.parametrize("capture", CAPTURES)
def test_no_endpoint_the_ground_truth_does_not_know(capture: str) -> None:
    _, inv = analysed(capture, Dnp3Sensor)
    extra = unknown_endpoints(inv, truth_endpoints(capture, "dnp3"), {"dnp3": "dnp3"})
    assert not extra, f"endpoints otm reports that the ground truth does not: {extra}"


@pytest.mark.parametrize("capture", CAPTURES)
def test_every_ground_truth_identity_field_is_found(capture: str) -> None:
    _, inv = analysed(capture, Dnp3Sensor)
    identities = truth_identities(capture, "dnp3")
    recall = identity_recall(inv, identities, IDENTITY_FIELDS, both=True)
    assert not recall.missing, "identity facts otm did not find:\n" + "\n".join(recall.missing)


@pytest.mark.parametrize("capture", CAPTURES)
def test_link_addresses_per_ip_are_exactly_the_ground_truths(capture: str) -> None:
    details = ground_truth(capture)["protocol_details"]["dnp3"]
    observations, _ = analysed(capture, Dnp3Sensor)
    ours: dict[str, dict[str, set[int]]] = {"master": {}, "outstation": {}}
    for obs in observations:
        if isinstance(obs, Identity) and obs.protocol == "dnp3" and obs.ip is not None:
            for name, role in (("dnp3_master_address", "master"), ("dnp3_address", "outstation")):
                value = obs.fields.get(name)
                if isinstance(value, int):
                    ours[role].setdefault(obs.ip, set()).add(value)
    for role in ("master", "outstation"):
        truth = {ip: set(addresses) for ip, addresses in details[f"{role}_addresses"].items()}
        assert ours[role] == truth, role


@pytest.mark.parametrize("capture", CAPTURES)
def test_operations_match_the_application_function_counts(capture: str) -> None:
    truth = ground_truth(capture)["protocol_details"]["dnp3"]["app_functions"]
    expected: Counter[str] = Counter()
    for key, count in truth.items():
        code, sender = key.split("/")
        if sender == "master" or int(code) == 130:
            expected[FUNCTION_NAMES[int(code)]] += count
    observations, _ = analysed(capture, Dnp3Sensor)
    ours = operation_counts(observations, "dnp3")
    link_services = {name: n for name, n in ours.items() if name.startswith("link_")}
    assert Counter({n: c for n, c in ours.items() if n not in link_services}) == expected
    if capture == "DNP3Value.pcap":  # frame 870: the only link-only primary frame
        assert link_services == {"link_reset_link_states": 1}
    else:
        assert not link_services


@pytest.mark.parametrize("capture", CAPTURES)
def test_anomalies_are_the_named_ones(capture: str) -> None:
    observations, _ = analysed(capture, Dnp3Sensor)
    assert dict(anomaly_counts(observations, "dnp3")) == EXPECTED_ANOMALIES.get(capture, {})


def test_unsolicited_responses_are_operations_of_the_outstation_on_the_link() -> None:
    observations, _ = analysed("dnp3.pcap", Dnp3Sensor)
    unsolicited = [
        o for o in observations if isinstance(o, Operation) and o.name == "unsolicited_response"
    ]
    assert {(o.client_ip, o.server_ip) for o in unsolicited} == {
        ("10.0.0.8", "10.0.0.3"),
        ("10.0.0.9", "10.0.0.3"),
    }
    assert {o.category for o in unsolicited} == {"read"}
    by_addresses: Counter[tuple[object, object]] = Counter()
    for o in unsolicited:
        by_addresses[(o.detail["master_address"], o.detail["outstation_address"])] += o.count
    # Frame 77 and 12 more go from outstation 4 to address 6; frame 172 from 6 to 3.
    assert by_addresses == Counter({(3, 4): 16, (6, 4): 13, (3, 6): 1})
