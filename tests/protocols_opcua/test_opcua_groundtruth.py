"""The OPC UA sensor against the ground truth of the shared captures.

``../shared/pcaps/groundtruth/<capture>.json`` lists what tshark finds: the
OPC UA endpoints (rule: "HEL sender client, ACK sender server, else TCP
rule"), the server descriptions (application and product URI), and per
capture the message types, service ids, Hello endpoint URLs and security
policies.  Each capture is walked by the passive engine with only the OPC UA
sensor (``sensor_support``); the inventory
must hold every endpoint and identity value (recall 100 %, no exception
needed so far) and no OPC UA endpoint the ground truth lacks.  The protocol
details are recomputed from our codec over the chunks the walker delivers.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from conftest import PCAPS
from otm.capture.interfaces import FlowKey
from otm.capture.readers import open_capture
from otm.capture.walker import PacketWalker
from otm.model.assets import Inventory
from otm.observations.records import ParseAnomaly
from otm.protocols.common import Anomaly
from otm.protocols.opcua import (
    decode_chunk,
    decode_sequenced,
    decode_service,
    frame_length,
)
from otm.protocols.opcua import messages as m
from otm.protocols.opcua.datatypes import EndpointDescription
from otm.sensing.opcua import OpcUaSensor
from sensor_support import (
    all_values,
    analysed,
    assets_at,
    captures_with,
    fields_of,
    ground_truth,
    identity_recall,
    missing_endpoints,
    truth_endpoints,
    truth_identities,
    unknown_endpoints,
    values,
)

PROTOCOL = "opcua"

IDENTITY_FIELDS = fields_of(
    "opcua_server_description",
    {"application_uri": "opcua_application_uri", "product_uri": "opcua_product_uri"},
)
"""Ground-truth (``opcua_server_description``, field) -> otm identity field."""

ENDPOINT_EXCEPTIONS: dict[tuple[str, str, str], str] = {}
"""(capture, role, ip) of an endpoint otm may miss, and why: none needed."""

FIELD_EXCEPTIONS: dict[tuple[str, str, str], str] = {}
"""(capture, ip, ground-truth field) otm may miss, and why: none needed."""

CAPTURES = captures_with(PROTOCOL)


def inventory(capture: str) -> Inventory:
    return analysed(capture, OpcUaSensor)[1]


def test_there_are_opcua_captures() -> None:
    assert len(CAPTURES) == 3


@pytest.mark.parametrize("capture", CAPTURES)
def test_every_ground_truth_endpoint_is_found_and_no_other(capture: str) -> None:
    inv = inventory(capture)
    endpoints = truth_endpoints(capture, PROTOCOL)
    expected = [
        ep for ep in endpoints if (capture, ep["role"], ep["ip"]) not in ENDPOINT_EXCEPTIONS
    ]
    missing = missing_endpoints(inv, expected, {PROTOCOL: PROTOCOL})
    assert not missing, f"endpoints the ground truth has and otm does not: {missing}"
    extra = unknown_endpoints(inv, endpoints, {PROTOCOL: PROTOCOL})
    assert not extra, f"endpoints otm reports that the ground truth does not: {extra}"


@pytest.mark.parametrize("capture", CAPTURES)
def test_every_ground_truth_identity_value_is_found(capture: str) -> None:
    recall = identity_recall(
        inventory(capture),
        truth_identities(capture, PROTOCOL),
        IDENTITY_FIELDS,
        read=all_values,
        skip=lambda ident, key: (capture, ident["ip"], key) in FIELD_EXCEPTIONS,
    )
    assert recall.compared
    missing = "\n".join(recall.missing)
    assert not missing, f"identity values the ground truth has and otm does not:\n{missing}"


@pytest.mark.parametrize("capture", CAPTURES)
def test_no_anomaly_on_the_shared_captures(capture: str) -> None:
    observations, _ = analysed(capture, OpcUaSensor)
    assert not [o for o in observations if isinstance(o, ParseAnomaly)]


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
    truth = ground_truth(capture)["protocol_details"][PROTOCOL]
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
    inv = inventory(capture)
    for ip, (policies, none) in expected.items():
        (asset,) = assets_at(inv, ip)
        assert all_values(asset, "opcua_security_policies") == {policies}
        assert all_values(asset, "opcua_security_mode_none") == none


def test_a_discovery_server_lists_the_server_registered_on_its_host() -> None:
    capture = "open62541_discover_getendpoints_discover_urls.pcap"
    (lds,) = assets_at(inventory(capture), "127.0.0.1")
    own = {v.value for v in lds.fields["opcua_application_uri"]}
    assert own == {"urn:open62541.example.local_discovery_server"}
    assert {v.value for v in lds.fields["opcua_application_type"]} == {"discovery_server"}
    registered = "urn:open62541.example.server_register"
    assert values(lds, "opcua_application_uri", registered) == {registered}


def test_shared_captures_exist(pcaps: Path) -> None:
    assert all((pcaps / c).is_file() for c in CAPTURES)
