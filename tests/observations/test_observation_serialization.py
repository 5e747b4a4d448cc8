"""The observation schema: canonical JSON lines that round-trip exactly."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from otm.observations.records import (
    AssetSeen,
    Communication,
    DeviceHealth,
    Evidence,
    Identity,
    Observation,
    Operation,
    ParseAnomaly,
    TagSample,
    Transport,
)
from otm.observations.serialization import (
    SCHEMA,
    SchemaError,
    dumps,
    loads,
    read_lines,
    write_lines,
)

times = st.floats(min_value=0, max_value=4e9, allow_nan=False)
text = st.text(max_size=20)
ips = st.one_of(st.none(), st.ip_addresses().map(str))
macs = st.one_of(
    st.none(),
    st.binary(min_size=6, max_size=6).map(lambda b: ":".join(f"{x:02x}" for x in b)),
)
evidence = st.builds(Evidence, text, text, st.one_of(st.none(), st.integers(1, 10**9)), text)
field_values = st.dictionaries(text, st.one_of(text, st.integers(-(2**40), 2**40)), max_size=5)

observations: st.SearchStrategy[Observation] = st.one_of(
    st.builds(AssetSeen, times, macs, ips, evidence, st.one_of(st.none(), st.integers(0, 4095))),
    st.builds(Identity, times, ips, macs, text, field_values, evidence, st.one_of(st.none(), text)),
    st.builds(
        Communication,
        times,
        times,
        ips,
        ips,
        macs,
        macs,
        text,
        st.sampled_from(Transport),
        st.integers(0, 65535),
        st.integers(0, 10**9),
        st.integers(0, 10**12),
        evidence,
        st.booleans(),
    ),
    st.builds(
        Operation,
        times,
        times,
        ips,
        ips,
        text,
        text,
        text,
        st.integers(0, 10**9),
        evidence,
        st.sampled_from(Transport),
        st.integers(0, 65535),
        field_values,
        macs,
        macs,
    ),
    st.builds(ParseAnomaly, times, times, text, text, st.integers(1, 10**6), evidence, ips, text),
    st.builds(
        TagSample,
        times,
        st.ip_addresses().map(str),
        text,
        st.one_of(st.integers(), st.booleans(), text),
        text,
        evidence,
    ),
    st.builds(
        DeviceHealth,
        times,
        st.ip_addresses().map(str),
        st.sampled_from(["up", "degraded", "down"]),
        st.integers(0, 10**6),
        st.integers(0, 10**6),
        st.integers(0, 10**6),
        st.one_of(st.none(), st.floats(0, 1e6, allow_nan=False)),
        st.one_of(st.none(), times),
        evidence,
        text,
    ),
)


@settings(max_examples=300, deadline=None)
@given(observations)
def test_every_observation_round_trips_through_json(obs: Observation) -> None:
    assert loads(dumps(obs)) == obs


@settings(max_examples=100, deadline=None)
@given(st.lists(observations, max_size=10))
def test_json_lines_stream_round_trips(batch: list[Observation]) -> None:
    buf = io.StringIO()
    assert write_lines(batch, buf) == len(batch)
    buf.seek(0)
    assert list(read_lines(buf)) == batch


def test_serialisation_is_canonical() -> None:
    ev = Evidence("capture", "plant.pcap", 7, "modbus read_device_identification response")
    a = Identity(1.5, "10.0.0.5", None, "modbus", {"vendor": "X", "model": "Y"}, ev)
    b = Identity(1.5, "10.0.0.5", None, "modbus", {"model": "Y", "vendor": "X"}, ev)
    assert dumps(a) == dumps(b)
    assert json.loads(dumps(a))["schema"] == SCHEMA


def _communication(answered: bool) -> Communication:
    ev = Evidence("capture", "scan.pcap", 3, "first bacnet packet of the flow")
    return Communication(
        1.0, 1.0, "10.0.0.5", "10.0.0.30", None, None, "bacnet", Transport.UDP, 47808, 1, 60, ev,
        answered,
    )  # fmt: skip


OLDER_LINE = (
    '{"bytes":60,"client_ip":"10.0.0.5","client_mac":null,"evidence":{"message":'
    '"first bacnet packet of the flow","packet":3,"ref":"scan.pcap","source":"capture"},'
    '"first_seen":1.0,"last_seen":1.0,"packets":1,"port":47808,"protocol":"bacnet",'
    '"schema":"otm.observation/1","server_ip":"10.0.0.30","server_mac":null,'
    '"transport":"udp","type":"communication"}'
)
"""A communication as otm wrote it before ``answered`` existed."""


def test_answered_is_written_only_when_false() -> None:
    # Every answered flow serialises as it did before the field existed.
    answered = dumps(_communication(True))
    assert answered == OLDER_LINE
    assert loads(OLDER_LINE) == _communication(True)
    unanswered = dumps(_communication(False))
    assert json.loads(unanswered)["answered"] is False
    assert loads(unanswered) == _communication(False)
    assert unanswered == answered.replace('"bytes":60,', '"answered":false,"bytes":60,')


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        "[1, 2]",
        '{"schema": "otm.observation/99", "type": "identity"}',
        '{"schema": "otm.observation/1", "type": "unknown"}',
        '{"schema": "otm.observation/1", "type": "asset_seen", "bogus": 1}',
        '{"schema": "otm.observation/1", "type": "asset_seen", "time": 1}',
        '{"schema": "otm.observation/1", "type": "communication", "transport": "carrier-pigeon"}',
        '{"schema": "otm.observation/1", "type": "asset_seen", "evidence": 3}',
        '{"schema": "otm.observation/1", "type": "communication", "answered": "no"}',
        '{"schema": "otm.observation/1", "type": "communication", "answered": 0}',
    ],
)
def test_bad_lines_raise_schema_error(line: str) -> None:
    with pytest.raises(SchemaError):
        loads(line)
