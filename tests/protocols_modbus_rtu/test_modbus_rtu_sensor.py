"""The Modbus sensor on RTU-over-TCP conversations: labelled ``modbus-rtu``, counted with
the Modbus/TCP operation names, while a Modbus/TCP flow beside it stays ``modbus``.

The conversation is the one tshark checks frame by frame in
``test_modbus_rtu_tshark_oracle.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from modbus_rtu_support import (
    CLIENT,
    CONVERSATION,
    GATEWAY,
    MBAP_SERVER,
    frames,
    numbered,
    observe,
    observe_capture,
    rtu,
    write_capture,
)

from otm.inventory.builder import build_inventory
from otm.observations.records import Communication, Identity, Operation, ParseAnomaly
from otm.protocols.modbus import messages as m
from otm.sensing.modbus import ModbusSensor

RTU = "modbus-rtu"


@pytest.fixture(scope="module")
def observations(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    path = tmp_path_factory.mktemp("rtu-sensor") / "rtu.pcap"
    write_capture(path)
    return observe_capture(path, [ModbusSensor()])


def test_the_gateway_link_is_modbus_rtu_and_the_other_stays_modbus(
    observations: list[Any],
) -> None:
    links = {(c.server_ip, c.protocol) for c in observations if isinstance(c, Communication)}
    assert links == {(GATEWAY, RTU), (MBAP_SERVER, "modbus")}
    assert not [a for a in observations if isinstance(a, ParseAnomaly)]


def test_rtu_requests_count_with_the_modbus_tcp_names(observations: list[Any]) -> None:
    ops = {
        (o.protocol, o.name, o.category, o.detail["unit_id"]): o.count
        for o in observations
        if isinstance(o, Operation)
    }
    assert ops == {
        (RTU, "read_holding_registers", "read", 1): 3,
        (RTU, "read_coils", "read", 7): 1,
        (RTU, "read_discrete_inputs", "read", 7): 1,
        (RTU, "write_single_register", "write", 1): 1,
        (RTU, "write_multiple_registers", "write", 1): 1,
        (RTU, "read_input_registers", "read", 2): 1,
        (RTU, "exception_illegal_data_address", "exception", 2): 1,
        (RTU, "read_device_identification", "identify", 1): 1,
        (RTU, "return_query_data", "diagnostic", 1): 1,
        ("modbus", "read_holding_registers", "read", 1): 2,
    }


def test_rtu_responses_teach_addresses_and_device_identification(
    observations: list[Any],
) -> None:
    facts: dict[tuple[str, str], dict[str, Any]] = {}
    units: set[tuple[str, int]] = set()
    for o in observations:
        if isinstance(o, Identity):
            if "modbus_unit_id" in o.fields:
                units.add((o.protocol, int(o.fields["modbus_unit_id"])))
            else:
                facts.setdefault((o.ip, o.protocol), {}).update(o.fields)
    assert units == {(RTU, 1), (RTU, 2), (RTU, 7), ("modbus", 1)}
    assert facts == {
        (GATEWAY, RTU): {"vendor": "Acme Gateways", "product_code": "RTU-GW-8", "firmware": "v2.1"}
    }


def test_the_inventory_has_rtu_client_and_server(observations: list[Any]) -> None:
    inv = build_inventory(observations)
    roles = {
        (ip, s.name, s.role)
        for a in inv.assets.values()
        for s in a.services
        for ip in a.ips
        if s.name in (RTU, "modbus")
    }
    assert roles == {
        (CLIENT, RTU, "client"),
        (GATEWAY, RTU, "server"),
        (CLIENT, "modbus", "client"),
        (MBAP_SERVER, "modbus", "server"),
    }


def test_an_rtu_flow_starting_with_the_ambiguous_request_is_rtu() -> None:
    obs = observe(numbered(frames([(GATEWAY, 42000, CONVERSATION[:2])])), [ModbusSensor()])
    assert [c.protocol for c in obs if isinstance(c, Communication)] == [RTU]
    assert [(o.protocol, o.name) for o in obs if isinstance(o, Operation)] == [
        (RTU, "read_holding_registers")
    ]


def test_a_bad_crc_on_an_rtu_flow_is_unframed_and_the_flow_goes_on() -> None:
    good = rtu(1, m.ReadRequest(4, 1, 1))
    bad = good[:-1] + bytes((good[-1] ^ 0xFF,))
    payloads = [(True, good), (True, bad[:2] + b"\x01" + bad[3:]), (True, good)]
    obs = observe(numbered(frames([(GATEWAY, 42001, payloads)])), [ModbusSensor()])
    assert [a.kind for a in obs if isinstance(a, ParseAnomaly)] == ["unframed_bytes"]
    assert [(o.protocol, o.count) for o in obs if isinstance(o, Operation)] == [(RTU, 2)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.booleans(), st.binary(min_size=1, max_size=80)), max_size=6))
def test_arbitrary_payloads_on_port_502_never_raise(payloads: list[tuple[bool, bytes]]) -> None:
    observe(numbered(frames([(GATEWAY, 42002, payloads)])), [ModbusSensor()])


def test_the_capture_is_written_by_otm(tmp_path: Path) -> None:
    path = tmp_path / "x.pcap"
    write_capture(path)
    assert path.stat().st_size > 1000
