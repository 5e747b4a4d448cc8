"""``value_written`` lines: they round-trip exactly and their values are finite numbers."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otm.observations.records import Evidence, Transport, ValueWritten
from otm.observations.serialization import SchemaError, dumps, loads, to_dict

times = st.floats(min_value=0, max_value=4e9, allow_nan=False)
text = st.text(max_size=20)
ips = st.one_of(st.none(), st.ip_addresses().map(str))
evidence = st.builds(Evidence, text, text, st.one_of(st.none(), st.integers(1, 10**9)), text)
numbers = st.one_of(st.integers(-(2**63), 2**64), st.floats(allow_nan=False, allow_infinity=False))

values_written = st.builds(
    ValueWritten,
    times,
    times,
    ips,
    ips,
    text,
    text,
    st.sampled_from([1, 8, 16, 32, 64]),
    st.integers(1, 10**9),
    numbers,
    numbers,
    numbers,
    evidence,
    st.sampled_from(Transport),
    st.integers(0, 65535),
)


@given(values_written)
def test_value_written_round_trips_through_json(obs: ValueWritten) -> None:
    back = loads(dumps(obs))
    assert back == obs
    assert isinstance(back, ValueWritten)
    for name in ("minimum", "maximum", "last_value"):
        assert type(getattr(back, name)) is type(getattr(obs, name))  # an int stays an int


def _line() -> dict[str, object]:
    obs = ValueWritten(
        10.0, 12.5, "10.0.0.9", "10.0.0.5", "modbus", "u1:hr:4", 16, 3, 10, 1500, 1200,
        Evidence("capture", "plant.pcap", 7, "modbus write_single_register request"),
        Transport.TCP, 502,
    )  # fmt: skip
    return to_dict(obs)


def test_value_written_line_has_its_own_type_and_plain_numbers() -> None:
    line = _line()
    assert line["type"] == "value_written"
    assert json.loads(json.dumps(line))["maximum"] == 1500
    assert (line["minimum"], line["maximum"], line["last_value"]) == (10, 1500, 1200)


@pytest.mark.parametrize("bad", ["12", True, None, [1], {"v": 1}])
@pytest.mark.parametrize("name", ["minimum", "maximum", "last_value"])
def test_a_value_that_is_not_a_number_is_refused(name: str, bad: object) -> None:
    line = _line()
    line[name] = bad
    with pytest.raises(SchemaError, match=name):
        loads(json.dumps(line))


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity"])
def test_a_value_that_is_not_finite_is_refused(bad: str) -> None:
    text = json.dumps(_line()).replace('"maximum": 1500', f'"maximum": {bad}')
    assert bad in text
    with pytest.raises(SchemaError, match="maximum"):
        loads(text)


def test_a_value_written_line_without_its_values_is_refused() -> None:
    line = _line()
    del line["last_value"]
    with pytest.raises(SchemaError):
        loads(json.dumps(line))
