"""The plant configuration in the store: exact round trips, per-section replacement,
independence from the inventory snapshot, and the migration that adds it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_samples import sample_inventory

from otm.model.plant import Level, PlantConfig, ProcessSpec, Selector, Source, ZoneSpec
from otm.model.repository import PLANT_SECTIONS
from otm.store import SqlStore, StoreError
from otm.store.migration import alembic_config, current_revisions, head_revision


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    with SqlStore(store_url) as opened:
        yield opened


def sample_config() -> PlantConfig:
    """Every section, with values that could be mangled on the way: a level 3.5,
    an int-looking trust, a selector with a colon in its value (a MAC), text
    with spaces and non-ASCII, declared order that is not sorted."""
    return PlantConfig(
        zones=[
            ZoneSpec(
                name="control-line3",
                level=Level.BASIC_CONTROL,
                trust=1.0,
                subnets=["10.1.3.0/24"],
                vlans=[13, 3],
                selectors=[
                    Selector("name", "PLC-3"),
                    Selector("ip", "10.1.3.9"),
                    Selector("pattern", "RIO-*"),
                    Selector("mac", "00:1b:1b:00:00:05"),
                ],
                description="Line 3 – control",
            ),
            ZoneSpec(name="dmz", level=Level.DMZ, trust=2.5),
            ZoneSpec(name="vlan-10", vlans=[10], source=Source.INFERRED),
        ],
        processes=[
            ProcessSpec(("Acme", "Plant1", "Packaging", "Line3"), 5, [Selector("name", "PLC-3")]),
            ProcessSpec(
                ("Acme", "Plant1", "Packaging", "Line3", "Filler"),
                3,
                [Selector("cidr", "10.1.3.32/28")],
                description="filler cell",
            ),
        ],
        levels={Selector("ip", "10.1.3.20"): Level.SUPERVISORY, Selector("id", "a b"): Level.DMZ},
        tags={"line3": [Selector("cidr", "10.1.3.0/24")], "empty": []},
        names={Selector("ip", "10.1.3.5"): "PLC-3", Selector("mac", "00:1b:1b:00:00:40"): "Ø-IO"},
    )


def test_empty_database_has_an_empty_plant_config(store: SqlStore) -> None:
    assert store.load_plant_config() == PlantConfig()


def test_round_trip_is_exact_and_keeps_order(store: SqlStore) -> None:
    config = sample_config()
    store.save_plant_config(config)
    back = store.load_plant_config()
    assert back == config
    assert list(back.levels) == list(config.levels)
    assert list(back.tags) == list(config.tags)
    assert list(back.names) == list(config.names)
    assert back.zones[0].trust is not None and isinstance(back.zones[0].trust, float)
    assert back.zones[1].level is Level.DMZ


def test_saving_again_replaces_everything(store: SqlStore) -> None:
    store.save_plant_config(sample_config())
    smaller = PlantConfig(zones=[ZoneSpec(name="only")])
    store.save_plant_config(smaller)
    assert store.load_plant_config() == smaller


def test_saving_one_section_keeps_the_others(store: SqlStore) -> None:
    config = sample_config()
    store.save_plant_config(config)
    new_zones = PlantConfig(zones=[ZoneSpec(name="cell-a", subnets=["10.9.0.0/16"])])
    store.save_plant_config(new_zones, sections=["zones"])
    back = store.load_plant_config()
    assert back.zones == new_zones.zones
    assert back.processes == config.processes
    assert back.levels == config.levels
    assert back.tags == config.tags
    assert back.names == config.names


def test_an_unknown_section_is_refused_before_writing(store: SqlStore) -> None:
    store.save_plant_config(sample_config())
    with pytest.raises(ValueError, match="unknown plant configuration section"):
        store.save_plant_config(PlantConfig(), sections=["zones", "firewalls"])
    assert store.load_plant_config() == sample_config()


def test_the_inventory_snapshot_leaves_the_plant_config_alone(store: SqlStore) -> None:
    store.save_plant_config(sample_config())
    store.save_inventory(sample_inventory())
    store.save_inventory(sample_inventory())
    assert store.load_plant_config() == sample_config()


def test_stored_data_this_otm_cannot_read_is_a_store_error(store: SqlStore) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO plant_sections (section, body) VALUES ('levels', :b)"),
            {"b": '{"ip:10.0.0.1": "7"}'},
        )
    with pytest.raises(StoreError, match=r"plant configuration \(levels\).*newer otm"):
        store.load_plant_config()


def test_the_database_refuses_an_unknown_section(store: SqlStore) -> None:
    with (
        pytest.raises(sa.exc.IntegrityError),
        store.engine.begin() as conn,
    ):
        conn.execute(sa.text("INSERT INTO plant_sections (section, body) VALUES ('x', '[]')"))


def test_upgrade_from_the_first_schema_keeps_the_inventory(store_url: str) -> None:
    with SqlStore(store_url) as store:
        store.save_inventory(sample_inventory())
        with store.engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0001")
        assert "plant_sections" not in sa.inspect(store.engine).get_table_names()
    with SqlStore(store_url) as again:
        with again.engine.connect() as conn:
            assert current_revisions(conn) == (head_revision(),)
        assert again.load_inventory() == sample_inventory()
        assert again.load_plant_config() == PlantConfig()
        again.save_plant_config(sample_config())
        assert again.load_plant_config() == sample_config()


_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)
_selectors = st.builds(Selector, st.sampled_from(["id", "name", "ip", "tag", "pattern"]), _text)
_zones = st.builds(
    ZoneSpec,
    name=_text,
    level=st.none() | st.sampled_from(list(Level)),
    trust=st.none() | st.floats(allow_nan=False, allow_infinity=False),
    subnets=st.lists(_text, max_size=3),
    vlans=st.lists(st.integers(1, 4094), max_size=3),
    selectors=st.lists(_selectors, max_size=3),
    description=_text,
    source=st.sampled_from(list(Source)),
)
_processes = st.builds(
    ProcessSpec,
    path=st.lists(_text.filter(lambda s: "/" not in s), min_size=1, max_size=6).map(tuple),
    criticality=st.integers(1, 5),
    selectors=st.lists(_selectors, max_size=3),
    description=_text,
)
_configs = st.builds(
    PlantConfig,
    zones=st.lists(_zones, max_size=3),
    processes=st.lists(_processes, max_size=3),
    levels=st.dictionaries(_selectors, st.sampled_from(list(Level)), max_size=3),
    tags=st.dictionaries(_text, st.lists(_selectors, max_size=2), max_size=3),
    names=st.dictionaries(_selectors, _text, max_size=3),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(config=_configs, sections=st.sets(st.sampled_from(PLANT_SECTIONS)))
def test_any_config_round_trips_section_by_section(
    store: SqlStore, config: PlantConfig, sections: set[str]
) -> None:
    store.save_plant_config(PlantConfig())
    store.save_plant_config(config, sections=sections)
    back = store.load_plant_config()
    for section in PLANT_SECTIONS:
        want = getattr(config, section) if section in sections else getattr(PlantConfig(), section)
        assert getattr(back, section) == want, section
