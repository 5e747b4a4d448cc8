"""The OPC UA sensor against the ground truth of the shared captures.

``../shared/pcaps/groundtruth/<capture>.json`` lists what tshark finds: the
OPC UA endpoints (rule: "HEL sender client, ACK sender server, else TCP
rule"), the server descriptions (application and product URI), and per
capture the message types, service ids, Hello endpoint URLs and security
policies.  Each capture is walked with only the OPC UA sensor; the inventory
must hold every endpoint and identity value (recall 100 %, no exception
needed so far) and no OPC UA endpoint the ground truth lacks.  The protocol
details are recomputed from our codec over the chunks the walker delivers.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from opcua_sensing import assets_at, inventory, sense_capture, values

from conftest import GROUNDTRUTH, PCAPS
from otm.capture.interfaces import FlowKey
from otm.capture.readers import open_capture
from otm.capture.walker import PacketWalker
from otm.protocols.common import Anomaly
from otm.protocols.opcua import (
    decode_chunk,
    decode_sequenced,
    decode_service,
    frame_length,
)
from otm.protocols.opcua import messages as m
from otm.protocols.opcua.datatypes import EndpointDescription

PROTOCOL = "opcua"

IDENTITY_FIELDS = {"application_uri": "opcua_application_uri", "product_uri": "opcua_product_uri"}
"""Ground-truth field of ``opcua_server_description`` -> otm identity field."""

ENDPOINT_EXCEPTIONS: dict[tuple[str, str, str], str] = {}
"""(capture, role, ip) of an endpoint otm may miss, and why: none needed."""

FIELD_EXCEPTIONS: dict[tuple[str, str, str], str] = {}
"""(capture, ip, ground-truth field) otm may miss, and why: none needed."""


def _captures() -> list[str]:
    out = []
    for path in sorted(GROUNDTRUTH.glob("*.json")):
        data = json.loads(path.read_text())
        if PROTOCOL in data["protocol_frames"]:
            out.append(data["capture"])
    return out


CAPTURES = _captures()


def _truth(capture: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GROUNDTRUTH / f"{capture}.json").read_text())
    return data


def test_there_are_opcua_captures() -> None:
    assert len(CAPTURES) == 3


@pytest.mark.parametrize("capture", CAPTURES)
def test_every_ground_truth_endpoint_is_found_and_no_other(capture: str) -> None:
    truth = _truth(capture)
    inv = inventory(sense_capture(PCAPS / capture))
    expected = {(ep["role"], ep["ip"]) for ep in truth["endpoints"] if ep["protocol"] == PROTOCOL}
    missing = [
        (role, ip)
        for role, ip in sorted(expected)
        if (capture, role, ip) not in ENDPOINT_EXCEPTIONS
        and not any(
            s.name == PROTOCOL and s.role == role for a in assets_at(inv, ip) for s in a.services
        )
    ]
    assert not missing, f"endpoints the ground truth has and otm does not: {missing}"
    extra = [
        (s.role, sorted(a.ips))
        for a in inv.assets.values()
        for s in a.services
        if s.name == PROTOCOL and not any((s.role, ip) in expected for ip in a.ips)
    ]
    assert not extra, f"endpoints otm reports that the ground truth does not: {extra}"


@pytest.mark.parametrize("capture", CAPTURES)
def test_every_ground_truth_identity_value_is_found(capture: str) -> None:
    truth = _truth(capture)
    inv = inventory(sense_capture(PCAPS / capture))
    missing = []
    checked = 0
    for ident in truth["identities"]:
        if ident["protocol"] != PROTOCOL:
            continue
        assert ident["source"] == "opcua_server_description"
        assets = assets_at(inv, ident["ip"])
        for key, expected in ident["fields"].items():
            if (capture, ident["ip"], key) in FIELD_EXCEPTIONS:
                continue
            name = IDENTITY_FIELDS[key]
            for value in expected if isinstance(expected, list) else [expected]:
                checked += 1
                if not any(value in values(a, name) for a in assets):
                    missing.append(f"{ident['ip']} {name}={value!r}")
    assert checked
    assert not missing, "identity values the ground truth has and otm does not:\n" + "\n".join(
        missing
    )


@pytest.mark.parametrize("capture", CAPTURES)
def test_no_anomaly_on_the_shared_captures(capture: str) -> None:
    from otm.observations.records import ParseAnomaly

    anomalies = [o for o in sense_capture(PCAPS / capture) if isinstance(o, ParseAnomaly)]
    assert not anomalies


class _Recorder:
    """A stream handler keeping every chunk with its connection and direction."""

    def __init__(self, key: FlowKey, chunks: list[tuple[FlowKey, bool, bytes]]) -> None:
        self.key = key
        self.chunks = chunks

    def on_pdu(self, pdu: bytes, from_client: bool, frame: int, ts: float) -> None:
        self.chunks.append((self.key, from_client, pdu))

    def on_gap(self, from_client: bool, frame: int, ts: float, missing: int) -> None:
        raise AssertionError("the shared OPC UA captures have no gaps")

    def on_invalid(self, data: bytes, from_client: bool, frame: int, ts: float) -> None:
        raise AssertionError(f"unframed bytes in frame {frame}")

    def on_close(self, ts: float) -> None:
        """Nothing to hand over."""


def _chunks(capture: str) -> list[tuple[FlowKey, bool, bytes]]:
    chunks: list[tuple[FlowKey, bool, bytes]] = []
    walker = PacketWalker()
    walker.register_tcp(4840, PROTOCOL, frame_length, lambda key, ts, frame: _Recorder(key, chunks))
    with open_capture(PCAPS / capture) as reader:
        walker.walk(reader)
    return chunks


@pytest.mark.parametrize("capture", CAPTURES)
def test_protocol_details_match_the_ground_truth(capture: str) -> None:
    """Message types, service ids (clear bodies), Hello URLs by server, security policies."""
    truth = _truth(capture)["protocol_details"][PROTOCOL]
    types: Counter[str] = Counter()
    services: Counter[str] = Counter()
    urls: dict[str, set[str]] = {}
    policies: set[str] = set()
    clear: dict[FlowKey, bool] = {}
    for key, _, raw in _chunks(capture):
        chunk = decode_chunk(raw)
        assert not isinstance(chunk, Anomaly), chunk
        types[raw[:3].decode()] += 1
        if isinstance(chunk, m.Hello) and chunk.endpoint_url:
            urls.setdefault(key.server_ip, set()).add(chunk.endpoint_url)
        if isinstance(chunk, m.OpenChannelChunk):
            clear[key] = chunk.clear
            if chunk.security_policy_uri:
                policies.add(chunk.security_policy_uri)
        if not isinstance(chunk, m.OpenChannelChunk | m.SecureChunk) or not clear.get(key):
            continue
        sequenced = decode_sequenced(chunk.payload)
        assert not isinstance(sequenced, Anomaly)
        service = decode_service(sequenced.body)
        assert not isinstance(service, Anomaly), service
        number = getattr(service, "TYPE_ID", None) or getattr(service, "type_id", None)
        services[str(number)] += 1
        endpoints: tuple[EndpointDescription, ...] = ()
        if isinstance(service, m.GetEndpointsResponse):
            endpoints = service.endpoints or ()
        elif isinstance(service, m.CreateSessionResponse):
            endpoints = service.server_endpoints or ()
        for endpoint in endpoints:
            policies.add(endpoint.security_policy_uri or "")
            for token in endpoint.user_identity_tokens or ():
                policies.add(token.security_policy_uri or "")
    assert dict(types) == truth["message_types"]
    assert dict(services) == truth["service_ids"]
    assert {ip: sorted(u) for ip, u in urls.items()} == truth["endpoint_urls_from_hello"]
    expected = {p for p in truth["security_policies"]["all"] if p is not None}
    assert policies - {""} == expected


@pytest.mark.parametrize("capture", CAPTURES)
def test_security_facts_of_the_shared_captures(capture: str) -> None:
    """What each server offers and whether a channel without security carried sessions."""
    expected = {
        "open62541_client-server_encrypted.pcap": {
            "::1": (
                "Basic128Rsa15,Basic256,Basic256Sha256,None",
                {"offered"},
            ),
        },
        "open62541_discover_getendpoints_discover_urls.pcap": {
            # The discovery server accepted RegisterServer2 over policy None (Part 4
            # 5.5.5 wants an authenticated channel); the other server only offers None.
            "127.0.0.1": ("None", {"used"}),
            "192.168.224.105": ("None", {"offered"}),
        },
        "python_opcua-client-server_minimal.pcap": {
            "127.0.0.1": ("None", {"offered", "used"}),
        },
    }[capture]
    inv = inventory(sense_capture(PCAPS / capture))
    for ip, (policies, none) in expected.items():
        (asset,) = assets_at(inv, ip)
        assert values(asset, "opcua_security_policies") == {policies}
        assert values(asset, "opcua_security_mode_none") == none


def test_a_discovery_server_lists_the_server_registered_on_its_host() -> None:
    capture = "open62541_discover_getendpoints_discover_urls.pcap"
    (lds,) = assets_at(inventory(sense_capture(PCAPS / capture)), "127.0.0.1")
    own = {v.value for v in lds.fields["opcua_application_uri"]}
    assert own == {"urn:open62541.example.local_discovery_server"}
    assert {v.value for v in lds.fields["opcua_application_type"]} == {"discovery_server"}
    registered = "urn:open62541.example.server_register"
    assert values(lds, "opcua_application_uri", registered) == {registered}


def test_shared_captures_exist(pcaps: Path) -> None:
    assert all((pcaps / c).is_file() for c in CAPTURES)
