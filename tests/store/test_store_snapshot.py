"""The inventory snapshot: exact round trips, replacement, and the read helpers."""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_samples import big_inventory, ev, observations, sample_inventory

from otm.model.assets import (
    AnomalyCount,
    Asset,
    Component,
    FieldValue,
    Inventory,
    Link,
    Role,
    ServiceUse,
)
from otm.observations.records import Evidence
from otm.store import SqlStore


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    with SqlStore(store_url) as opened:
        yield opened


def test_empty_database_has_an_empty_inventory(store: SqlStore) -> None:
    assert store.load_inventory() == Inventory()
    assert store.assets() == []
    assert store.links() == []
    assert store.asset("10.0.0.1") is None


def test_round_trip_is_exact(store: SqlStore) -> None:
    inv = sample_inventory()
    store.save_inventory(inv)
    back = store.load_inventory()
    assert back == inv
    # Order of dicts is kept too (dataclass equality ignores it).
    assert list(back.assets) == list(inv.assets)
    assert list(back.links) == list(inv.links)
    assert list(back.anomalies) == list(inv.anomalies)
    plc = back.assets["mac:00:1b:1b:00:00:01"]
    want = inv.assets["mac:00:1b:1b:00:00:01"]
    assert list(plc.fields) == list(want.fields)
    assert list(plc.components) == list(want.components)
    assert [list(c.fields) for c in plc.components.values()] == [
        list(c.fields) for c in want.components.values()
    ]
    modbus = ("10.0.0.9", "10.0.0.10", "modbus", "tcp", 502)
    assert list(back.links[modbus].operations) == list(inv.links[modbus].operations)
    assert type(plc.fields["vendor_id"][0].value) is int
    assert type(plc.fields["serial"][0].value) is str


def test_round_trip_survives_reopening(store_url: str) -> None:
    inv = sample_inventory()
    with SqlStore(store_url) as store:
        store.save_inventory(inv)
    with SqlStore(store_url) as store:
        assert store.load_inventory() == inv


def test_save_replaces_the_whole_snapshot(store: SqlStore) -> None:
    store.save_inventory(sample_inventory())
    smaller = sample_inventory()
    del smaller.assets["ip:10.0.0.9"]
    smaller.links.clear()
    smaller.assets["ip:fe80::1"].fields["name"] = [FieldValue("renamed", ev(99), 20.0, 21.0)]
    store.save_inventory(smaller)
    assert store.load_inventory() == smaller
    assert store.asset("ip:10.0.0.9") is None
    store.save_inventory(Inventory())
    assert store.load_inventory() == Inventory()


def test_saving_does_not_change_the_inventory(store: SqlStore) -> None:
    inv = sample_inventory()
    before = copy.deepcopy(inv)
    store.save_inventory(inv)
    assert inv == before


def test_assets_ordered_by_lowest_ip_numerically_then_id(store: SqlStore) -> None:
    inv = sample_inventory()
    extra = [
        Asset(id="b", ips={"10.0.0.9"}),  # same lowest IP as ip:10.0.0.9: id decides
        Asset(id="v6", ips={"2001:db8::1"}),
        Asset(id="two", ips={"192.168.0.200", "10.0.0.100"}),
        Asset(id="odd", ips={"not-an-ip"}),
    ]
    for asset in extra:
        inv.assets[asset.id] = asset
    store.save_inventory(inv)
    assert [a.id for a in store.assets()] == [
        "b",  # 10.0.0.9, same as the next: the id decides
        "ip:10.0.0.9",
        "mac:00:1b:1b:00:00:01",  # 10.0.0.10: after .9 numerically, before it as text
        "two",  # 10.0.0.100, its lowest
        "v6",  # IPv6 after every IPv4, 2001:db8::1 < fe80::1
        "ip:fe80::1",
        "odd",  # no parseable IP
        "mac:00:00:bc:01:02:03",  # no IP at all
    ]
    assert [a for a in store.assets() if a.id == "two"] == [inv.assets["two"]]


def test_asset_by_id_ip_or_mac(store: SqlStore) -> None:
    inv = sample_inventory()
    store.save_inventory(inv)
    plc = inv.assets["mac:00:1b:1b:00:00:01"]
    assert store.asset("mac:00:1b:1b:00:00:01") == plc
    assert store.asset("192.168.1.10") == plc
    assert store.asset("00:1b:1b:00:00:01") == plc
    assert store.asset("00:1B:1B:00:00:01") == plc
    assert store.asset("FE80::1") == inv.assets["ip:fe80::1"]
    assert store.asset("10.0.0.1") is None
    assert store.asset("10") is None  # a VLAN id is not an address
    for ref in ("192.168.1.10", "00:1B:1B:00:00:01", "ip:10.0.0.9", "nothing"):
        assert store.asset(ref) == inv.find(ref)


def test_links_in_inventory_order(store: SqlStore) -> None:
    inv = sample_inventory()
    store.save_inventory(inv)
    assert store.links() == list(inv.links.values())


def test_key_disagreeing_with_its_object_is_refused(store: SqlStore) -> None:
    store.save_inventory(sample_inventory())
    bad = sample_inventory()
    bad.assets["someone-else"] = bad.assets.pop("ip:10.0.0.9")
    with pytest.raises(ValueError, match="someone-else"):
        store.save_inventory(bad)
    assert store.load_inventory() == sample_inventory()


# -- property: any inventory survives the trip ----------------------------------

_plain = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    max_size=8,
)
_times = st.floats(allow_nan=False, allow_infinity=False, width=64)
_counts = st.integers(min_value=0, max_value=2**63 - 1)
_evidence = st.builds(
    Evidence,
    source=_plain,
    ref=_plain,
    packet=st.none() | st.integers(min_value=0, max_value=2**63 - 1),
    message=_plain,
)
_values = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | _plain
    | st.text(alphabet=st.sampled_from(["\x00", "\udcff", "a", "é", '"']), max_size=5)
)
_field_values = st.builds(
    FieldValue,
    value=_values,
    evidence=_evidence,
    first_seen=_times,
    last_seen=_times,
    protocol=_plain,
)
_fields = st.dictionaries(_plain, st.lists(_field_values, min_size=1, max_size=3), max_size=3)


@st.composite
def _assets(draw: st.DrawFn) -> Asset:
    components = draw(
        st.dictionaries(
            _plain,
            st.builds(
                Component, key=st.just(""), fields=_fields, first_seen=_times, last_seen=_times
            ),
            max_size=2,
        )
    )
    for key, comp in components.items():
        comp.key = key
    return Asset(
        id=draw(_plain),
        ips=draw(st.sets(st.ip_addresses().map(str) | _plain, max_size=3)),
        macs=draw(st.sets(_plain, max_size=2)),
        vlans=draw(st.sets(st.integers(min_value=0, max_value=4095), max_size=2)),
        fields=draw(_fields),
        role=draw(st.sampled_from(Role)),
        role_reason=draw(_plain),
        services=draw(
            st.lists(
                st.builds(
                    ServiceUse,
                    name=_plain,
                    role=st.sampled_from(["server", "client"]),
                    transport=st.sampled_from(["tcp", "udp", "ethernet"]),
                    port=st.integers(min_value=0, max_value=65535),
                ),
                max_size=3,
            )
        ),
        components=components,
        first_seen=draw(_times),
        last_seen=draw(_times),
        evidence=draw(st.none() | _evidence),
    )


_links = st.builds(
    Link,
    client=_plain,
    server=_plain,
    protocol=_plain,
    transport=st.sampled_from(["tcp", "udp", "ethernet"]),
    port=st.integers(min_value=0, max_value=65535),
    packets=_counts,
    bytes=_counts,
    first_seen=_times,
    last_seen=_times,
    operations=st.dictionaries(_plain, _counts, max_size=3),
    categories=st.dictionaries(_plain, _counts, max_size=3),
    evidence=st.none() | _evidence,
)
_anomalies = st.builds(
    AnomalyCount,
    protocol=_plain,
    kind=_plain,
    count=_counts,
    first_seen=_times,
    last_seen=_times,
    ip=st.none() | _plain,
    evidence=_evidence,
    detail=_plain,
)
_inventories = st.builds(
    Inventory,
    assets=st.lists(_assets(), max_size=4).map(lambda xs: {a.id: a for a in xs}),
    links=st.lists(_links, max_size=4).map(lambda xs: {x.key: x for x in xs}),
    anomalies=st.lists(_anomalies, max_size=3).map(
        lambda xs: {(a.protocol, a.kind, a.ip): a for a in xs}
    ),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(inv=_inventories)
def test_any_inventory_round_trips(store: SqlStore, inv: Inventory) -> None:
    """One store for all examples: each save replaces the previous snapshot."""
    store.save_inventory(inv)
    back = store.load_inventory()
    assert back == inv
    assert list(back.assets) == list(inv.assets)
    assert list(back.links) == list(inv.links)


FULL_SIZE = bool(os.environ.get("OTM_STORE_FULL_SIZE"))
"""Run the bulk checks at the target sizes (slow: tens of seconds on two cores)."""


@pytest.mark.parametrize(
    ("n_assets", "n_links"),
    [
        (2_000, 20_000),
        pytest.param(
            10_000,
            100_000,
            marks=[
                pytest.mark.slow,
                pytest.mark.skipif(not FULL_SIZE, reason="set OTM_STORE_FULL_SIZE=1"),
            ],
        ),
    ],
)
def test_bulk_snapshot(
    store: SqlStore, n_assets: int, n_links: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """Sanity of the bulk path (target: 10k assets, 100k links); replacing a big one too."""
    inv = big_inventory(n_assets, n_links)
    start = time.perf_counter()
    store.save_inventory(inv)
    saved = time.perf_counter() - start
    start = time.perf_counter()
    back = store.load_inventory()
    loaded = time.perf_counter() - start
    assert back == inv
    store.save_inventory(inv)
    assert len(store.links()) == n_links
    with capsys.disabled():
        print(f"\n[{store.url}] {n_assets} assets, {n_links} links: ", end="")
        print(f"save {saved:.2f}s, load {loaded:.2f}s")


def test_replay_from_the_store_rebuilds_the_same_inventory(store: SqlStore) -> None:
    """The pipeline's use: stored observations replayed give the inventory saved."""
    from otm.inventory.builder import InventoryBuilder

    first, second = observations(900, "a.pcap"), observations(300, "b.pcap")
    store.put_source("capture", "a", "a.pcap", 900, first, 1.0)
    store.put_source("capture", "b", "b.pcap", 300, second, 2.0)
    built = InventoryBuilder().apply_all(first + second).build()
    replayed = InventoryBuilder().apply_all(store.observations()).build()
    assert replayed == built
    store.save_inventory(replayed)
    assert store.load_inventory() == built
