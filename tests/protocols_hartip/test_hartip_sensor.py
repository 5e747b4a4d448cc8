"""The HART-IP sensor on a capture built with otm's encoders (``hartip_support``).

No shared capture has HART-IP, so the ground truth here is what the capture
was built from: each device's command 0, 13 and 20 replies must become its
identity, each request an operation named after its HART command, and the
inventory must hold the host as client and each device as server, over TCP
and UDP alike.  (tshark checks the same capture's octets in
``test_hartip_tshark_oracle.py``.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hartip_support import (
    DEVICE5,
    DEVICE7,
    DEVICE_UDP,
    HART5,
    HART7,
    HART7_UDP,
    HOST,
    RECORD7,
    TAG7,
    observe,
    observe_capture,
    write_capture,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otm.capture.frames import ETH_IPV4, PROTO_UDP, TcpSession, ethernet, ipv4, udp
from otm.inventory.builder import build_inventory
from otm.observations.records import Identity, Operation, ParseAnomaly
from otm.protocols.hartip import UniqueIdentifier, read_request
from otm.sensing.hartip import HartIpSensor

PROTOCOL = "hart-ip"


@pytest.fixture(scope="module")
def observations(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    path = tmp_path_factory.mktemp("hartip-sensor") / "hartip.pcap"
    write_capture(path)
    return observe_capture(path, [HartIpSensor()])


def _identity(ident: UniqueIdentifier) -> dict[str, Any]:
    return {
        "vendor_id": ident.manufacturer_id,
        "device_type": ident.expanded_device_type,
        "firmware": str(ident.software_revision),
        "hardware": str(ident.hardware_revision),
        "serial": str(ident.device_id),
        "hart_device_revision": ident.device_revision,
        "hart_universal_revision": ident.universal_revision,
        "hart_long_address": ident.long_address,
    }


def test_each_device_says_who_it_is(observations: list[Any]) -> None:
    facts: dict[str, dict[str, Any]] = {}
    for o in observations:
        if isinstance(o, Identity):
            assert o.protocol == PROTOCOL
            facts.setdefault(o.ip, {}).update(o.fields)
    assert facts == {
        DEVICE7: _identity(HART7)
        | {"name": TAG7, "hart_tag": RECORD7.tag, "hart_descriptor": RECORD7.descriptor},
        DEVICE5: _identity(HART5),
        DEVICE_UDP: _identity(HART7_UDP),
    }
    assert facts[DEVICE7]["vendor_id"] == 0x26 and facts[DEVICE5]["vendor_id"] == 0x1A
    assert facts[DEVICE7]["serial"] == str(0x123456)


def test_requests_count_as_named_operations(observations: list[Any]) -> None:
    ops = {
        (o.server_ip, o.name, o.category, o.transport.value): o.count
        for o in observations
        if isinstance(o, Operation)
    }
    tcp7 = {
        (name, category): count for (ip, name, category, _), count in ops.items() if ip == DEVICE7
    }
    assert tcp7 == {
        ("session_initiate", "session"): 1,
        ("keep_alive", "session"): 1,
        ("read_unique_identifier", "identify"): 2,
        ("read_long_tag", "identify"): 1,
        ("read_tag_descriptor_date", "identify"): 1,
        ("read_dynamic_variables_and_loop_current", "read"): 1,
        ("write_polling_address", "write"): 1,
        ("perform_device_reset", "control"): 1,
        ("command_538", "other"): 1,
        ("write_message", "write"): 1,
        ("read_primary_variable", "read"): 1,
        ("read_additional_device_status", "diagnostic"): 1,
        ("read_audit_log", "diagnostic"): 1,
        ("error_session_initiate", "exception"): 1,
        ("nak_token_passing_pdu", "exception"): 1,
        ("session_close", "session"): 1,
    }
    assert ops[(DEVICE_UDP, "read_unique_identifier", "identify", "udp")] == 1
    assert ops[(DEVICE5, "read_unique_identifier", "identify", "tcp")] == 1
    assert not [o for o in observations if isinstance(o, ParseAnomaly)]


def test_the_inventory_has_the_host_as_client_and_each_device_as_server(
    observations: list[Any],
) -> None:
    inv = build_inventory(observations)
    roles: dict[str, set[tuple[str, str]]] = {}
    for asset in inv.assets.values():
        for s in asset.services:
            if s.name == PROTOCOL:
                for ip in asset.ips:
                    roles.setdefault(ip, set()).add((s.role, s.transport))
    assert roles == {
        HOST: {("client", "tcp"), ("client", "udp")},
        DEVICE7: {("server", "tcp")},
        DEVICE5: {("server", "tcp")},
        DEVICE_UDP: {("server", "udp")},
    }


def _frames(payloads: list[tuple[bool, bytes]]) -> list[tuple[int, float, int, bytes]]:
    s = TcpSession("10.0.0.1", 40000, "10.0.0.2", 5094)
    frames = s.handshake()
    for from_client, payload in payloads:
        frames += s.send(payload, from_client=from_client)
    frames += s.close()
    return [(i + 1, 1000.0 + i, 1, f) for i, f in enumerate(frames)]


def test_a_bad_check_byte_is_an_anomaly_and_not_counted() -> None:
    good = read_request(1)
    bad = good[:-1] + bytes((good[-1] ^ 0xFF,))
    obs = observe(_frames([(True, bad), (True, read_request(2))]), [HartIpSensor()])
    assert [(a.kind, a.ip) for a in obs if isinstance(a, ParseAnomaly)] == [
        ("bad_checksum", "10.0.0.1")
    ]
    assert [(o.name, o.count) for o in obs if isinstance(o, Operation)] == [
        ("read_unique_identifier", 1)
    ]


def test_other_bytes_on_port_5094_make_no_hartip_link(tmp_path: Path) -> None:
    obs = observe(_frames([(True, b"\x16\x03\x01\x00\x05hello")]), [HartIpSensor()])
    assert [a.kind for a in obs if isinstance(a, ParseAnomaly)] == ["unframed_bytes"]
    assert not [o for o in obs if isinstance(o, Operation)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.booleans(), st.binary(min_size=1, max_size=120)), max_size=6))
def test_arbitrary_payloads_on_port_5094_never_raise(payloads: list[tuple[bool, bytes]]) -> None:
    obs = observe(_frames(payloads), [HartIpSensor()])
    assert all(o.protocol == PROTOCOL for o in obs if isinstance(o, ParseAnomaly))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=120)), max_size=6))
def test_arbitrary_datagrams_on_udp_5094_never_raise(datagrams: list[tuple[bool, bytes]]) -> None:
    frames = []
    for i, (from_client, payload) in enumerate(datagrams):
        src, dst, sport, dport = ("10.0.0.1", "10.0.0.2", 50000, 5094)
        if not from_client:
            src, dst, sport, dport = dst, src, dport, sport
        packet = ipv4(src, dst, PROTO_UDP, udp(sport, dport, payload))
        frame = ethernet("02:00:00:00:00:02", "02:00:00:00:00:01", ETH_IPV4, packet)
        frames.append((i + 1, 1000.0 + i, 1, frame))
    obs = observe(frames, [HartIpSensor()])
    assert all(o.protocol == PROTOCOL for o in obs if isinstance(o, ParseAnomaly))
