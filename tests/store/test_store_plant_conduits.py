"""The declared conduits in the store (SQLite and PostgreSQL): exact round trips,
their own section, and migration 0007, which lets the section in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otm.model.plant import ConduitSpec, PlantConfig, ZoneSpec
from otm.store import SqlStore, StoreError
from otm.store.migration import alembic_config, current_revisions, head_revision
from otm.store.schema import plant_sections

CONFIG = PlantConfig(
    zones=[ZoneSpec("control"), ZoneSpec("supervisory")],
    conduits=[
        ConduitSpec(
            "supervisory", "control", ("s7comm", "modbus"), (502, 102), False, "HMIs – PLCs"
        ),
        ConduitSpec("any", "supervisory", ("https",), bidirectional=True),
        ConduitSpec("control", "any"),
    ],
)


@pytest.fixture
def store(store_url: str) -> Iterator[SqlStore]:
    with SqlStore(store_url) as opened:
        yield opened


def _check_constraints(store: SqlStore) -> list[dict[str, object]]:
    return list(sa.inspect(store.engine).get_check_constraints("plant_sections"))


def test_conduits_round_trip_exactly(store: SqlStore) -> None:
    store.save_plant_config(CONFIG)
    back = store.load_plant_config()
    assert back == CONFIG
    assert back.conduits[0].protocols == ("s7comm", "modbus")  # order kept
    assert isinstance(back.conduits[0].ports, tuple)


def test_the_conduits_are_a_section_of_their_own(store: SqlStore) -> None:
    store.save_plant_config(CONFIG)
    store.save_plant_config(PlantConfig(conduits=[ConduitSpec("a", "b")]), ["conduits"])
    back = store.load_plant_config()
    assert back.zones == CONFIG.zones and back.conduits == [ConduitSpec("a", "b")]
    store.save_plant_config(PlantConfig(zones=[ZoneSpec("x")]), ["zones"])
    assert store.load_plant_config().conduits == [ConduitSpec("a", "b")]


@pytest.mark.parametrize(
    "body",
    [
        '[{"from": "a", "to": "b", "protocols": [], "ports": [], "bidirectional": "yes", '
        '"description": ""}]',
        '[{"from": "a", "to": "b"}]',
        '{"from": "a"}',
    ],
)
def test_stored_conduits_this_otm_cannot_read_are_a_store_error(store: SqlStore, body: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.insert(plant_sections).values(section="conduits", body=body))
    with pytest.raises(StoreError, match=r"plant configuration \(conduits\).*newer otm"):
        store.load_plant_config()


_names = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=8)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    conduits=st.lists(
        st.builds(
            ConduitSpec,
            from_zone=_names,
            to_zone=_names,
            protocols=st.lists(_names, max_size=3).map(tuple),
            ports=st.lists(st.integers(1, 65535), max_size=3).map(tuple),
            bidirectional=st.booleans(),
            description=_names,
        ),
        max_size=4,
    )
)
def test_any_conduits_round_trip(store: SqlStore, conduits: list[ConduitSpec]) -> None:
    store.save_plant_config(PlantConfig(conduits=conduits), ["conduits"])
    assert store.load_plant_config().conduits == conduits


# -- migration 0007 ----------------------------------------------------------------


def test_the_constraint_has_the_name_and_sections_the_metadata_gives(store: SqlStore) -> None:
    """Autogenerate compares no CHECK constraint: this test does, at head."""
    (check,) = _check_constraints(store)
    assert check["name"] == "ck_plant_sections_section"
    for section in ("zones", "conduits", "processes", "levels", "tags", "names"):
        assert f"'{section}'" in str(check["sqltext"])


def test_down_to_0006_drops_the_conduits_and_refuses_them_then_up_again(
    store: SqlStore,
) -> None:
    store.save_plant_config(CONFIG)
    with store.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0006")
        assert current_revisions(conn) == ("0006",)
    # 0002's state: its (doubly prefixed) name, no conduits section.
    (check,) = _check_constraints(store)
    assert check["name"] == "ck_plant_sections_ck_plant_sections_section"
    assert store.load_plant_config() == PlantConfig(zones=CONFIG.zones)
    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.execute(sa.insert(plant_sections).values(section="conduits", body="[]"))
    with store.engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
        assert current_revisions(conn) == (head_revision(),)
    assert store.load_plant_config() == PlantConfig(zones=CONFIG.zones)  # zones kept
    store.save_plant_config(CONFIG)
    assert store.load_plant_config() == CONFIG


def test_upgrade_from_the_plant_schema_keeps_the_plant_config(store_url: str) -> None:
    with SqlStore(store_url) as store:
        store.save_plant_config(PlantConfig(zones=CONFIG.zones))
        with store.engine.begin() as conn:
            command.downgrade(alembic_config(conn), "0002")
    with SqlStore(store_url) as again:  # opening upgrades to head
        assert again.load_plant_config() == PlantConfig(zones=CONFIG.zones)
        again.save_plant_config(CONFIG)
        assert again.load_plant_config() == CONFIG
