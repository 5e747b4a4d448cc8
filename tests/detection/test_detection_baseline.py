"""The baseline learns what observations show and survives a round trip through plain data."""

from __future__ import annotations

import json

from detection_support import NORMAL, comm, ident, op, seen
from hypothesis import given
from hypothesis import strategies as st

from otm.detection import Baseline
from otm.observations.records import Observation

IPS = st.sampled_from(["10.0.0.1", "10.0.0.2", "10.0.0.3", "fe80::1"])
MACS = st.sampled_from(["00:80:f4:00:00:01", "00:1b:1b:00:00:02", None])
OBSERVATIONS = st.one_of(
    st.builds(seen, IPS, MACS),
    st.builds(comm, IPS, IPS, st.sampled_from(["modbus", "s7comm", "dnp3"]),
              st.integers(1, 65535)),
    st.builds(op, IPS, IPS, st.sampled_from(["read_coils", "plc_stop", "write_var"]),
              st.sampled_from(["read", "write", "control", "program"])),
    # reads that make polling samples, with the unit they address
    st.builds(op, IPS, IPS, st.sampled_from(["read_coils", "read_holding_registers"]),
              st.just("read"), count=st.integers(1, 40), t=st.floats(0, 1000),
              span=st.floats(0, 60), unit_id=st.integers(0, 3)),
    st.builds(ident, IPS, st.sampled_from(["modbus", "enip"]),
              firmware=st.text(max_size=8), serial=st.text(max_size=8)),
)  # fmt: skip


def test_learning_records_hosts_links_operations_writers_and_identity() -> None:
    base = Baseline()
    assert base.learn(NORMAL) == len(NORMAL)
    assert base.hosts["10.0.0.5"] == {"00:80:f4:00:00:05"}
    assert ("10.0.0.9", "10.0.0.5", "modbus", 502) in base.links
    assert base.reached("10.0.0.9", "10.0.0.5") and not base.reached("10.0.0.5", "10.0.0.9")
    assert base.operations[("10.0.0.9", "10.0.0.5", "modbus")] == {
        "read_holding_registers",
        "write_single_register",
    }
    assert base.writers[("10.0.0.5", "modbus")] == {"10.0.0.9"}
    assert base.identity[("10.0.0.5", "modbus", "", "firmware")] == "v3.40"
    assert base.protocols["10.0.0.5"] == {"modbus"}
    assert (base.first, base.last) == (100.0, 199.0)


def test_reads_do_not_make_writers() -> None:
    base = Baseline()
    base.learn([op("10.0.0.1", "10.0.0.2", "read_coils", "read")])
    assert base.writers == {}


@given(st.lists(OBSERVATIONS, max_size=30), st.booleans())
def test_round_trip_through_json(observations: list[Observation], frozen: bool) -> None:
    base = Baseline(frozen=frozen)
    base.learn(observations)
    data = json.loads(json.dumps(base.to_dict()))
    again = Baseline.from_dict(data)
    assert again == base
    assert again.to_dict() == base.to_dict()


@given(st.lists(OBSERVATIONS, max_size=20), st.lists(OBSERVATIONS, max_size=20))
def test_learning_only_adds(first: list[Observation], more: list[Observation]) -> None:
    base = Baseline()
    base.learn(first)
    links, hosts = set(base.links), set(base.hosts)
    base.learn(more)
    assert links <= base.links and hosts <= set(base.hosts)
