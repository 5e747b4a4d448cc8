"""Declared conduits (IEC 62443): the ``conduits`` section of the plant file, its
mistakes with line and field, the round trip through YAML, which links a conduit
allows, and the observed conduits ``otm zones`` marks allowed or not."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from plant_builder import PlantBuilder

from otm.model.plant import (
    ANY_ZONE,
    ConduitSpec,
    PlantConfig,
    ZoneSpec,
    allowed_by,
    judged,
    why_not_allowed,
)
from otm.services import plantdocs
from otm.services.plant import current_view, load_plant_file
from otm.services.plantfile import (
    PROTOCOLS,
    PlantFileError,
    config_from_document,
    dump_plant,
    parse_plant,
)
from otm.store import SqlStore
from otm.topology.plan import plant_view

SITE = """\
schema: otm.plant/1
zones:
  - name: control
    level: 1
    subnets: [10.1.3.0/24]
  - name: supervisory
    level: 2
    subnets: [10.1.2.0/24]
  - name: enterprise
    level: 4
    subnets: [10.20.0.0/24]
conduits:
  - from: supervisory
    to: control
    protocols: [modbus, S7comm ]
    ports: [502, 102]
    description: HMIs poll the PLCs
  - from: enterprise
    to: supervisory
    protocols: [https]
    bidirectional: true
  - from: any
    to: enterprise
    protocols: [dns]
"""
"""Three zones; HMIs may poll the PLCs, the enterprise and the HMIs may exchange
HTTPS either way, anyone may ask the enterprise DNS."""

CONDUITS = [
    ConduitSpec(
        "supervisory", "control", ("modbus", "s7comm"), (502, 102), description="HMIs poll the PLCs"
    ),
    ConduitSpec("enterprise", "supervisory", ("https",), bidirectional=True),
    ConduitSpec(ANY_ZONE, "enterprise", ("dns",)),
]


def problems(text: str) -> list[str]:
    with pytest.raises(PlantFileError) as info:
        parse_plant(text, "site.yaml")
    return str(info.value).splitlines()


# -- the plant file -------------------------------------------------------------


def test_the_conduits_section_reads_as_meant() -> None:
    doc = parse_plant(SITE, "site.yaml")
    assert doc.sections == {"zones", "conduits"}
    assert doc.config.conduits == CONDUITS


def test_the_documented_example_reads() -> None:
    from otm.services import plantfile

    text = (plantfile.__doc__ or "").split("::\n\n", 1)[1].split("\n\n", 1)[0]
    doc = parse_plant("\n".join(line.removeprefix("    ") for line in text.splitlines()))
    assert [str(c) for c in doc.config.conduits] == [
        "supervisory -> control-line3 (modbus, s7comm on ports 502, 102)"
    ]


def test_every_conduit_mistake_is_reported_with_line_and_field() -> None:
    text = """\
schema: otm.plant/1
zones:
  - name: a
  - name: any
conduits:
  - from: a
    to: b
    protocols: [modbus-tcp]
    ports: [0, "102"]
    bidirectional: maybe
  - from: a
    to: a
  - to: a
    colour: red
"""
    assert problems(text) == [
        "site.yaml:8: conduits[0].protocols[0]: unknown protocol 'modbus-tcp': otm names "
        f"links {', '.join(PROTOCOLS)} (otm protocols)",
        "site.yaml:9: conduits[0].ports[0]: Input should be greater than or equal to 1",
        "site.yaml:9: conduits[0].ports[1]: Input should be a valid integer",
        "site.yaml:10: conduits[0].bidirectional: Input should be a valid boolean",
        "site.yaml:13: conduits[2].from: missing (required)",
        "site.yaml:14: conduits[2].colour: unknown field 'colour'; expected one of from, to, "
        "protocols, ports, bidirectional, description",
    ]


def test_conduits_name_declared_zones_two_different_ones() -> None:
    text = """\
schema: otm.plant/1
zones:
  - name: a
  - name: any
conduits:
  - from: a
    to: b
  - from: a
    to: a
  - from: any
    to: any
"""
    assert problems(text) == [
        "site.yaml:4: zones[1].name: 'any' stands for every zone in conduits; give this zone "
        "another name",
        "site.yaml:7: conduits[0].to: no zone 'b' under zones (declared: a, any); name a "
        "declared zone, or any",
        "site.yaml:9: conduits[1].to: a conduit joins two zones; from and to are both 'a'",
    ]


def test_conduits_without_zones_say_so() -> None:
    assert problems("schema: otm.plant/1\nconduits:\n  - {from: x, to: any}\n") == [
        "site.yaml:3: conduits[0].from: no zone 'x' under zones (declared: none: add a zones "
        "section); name a declared zone, or any"
    ]


def test_a_zone_called_any_is_fine_without_conduits() -> None:
    assert parse_plant("schema: otm.plant/1\nzones:\n  - name: any\n").config.zones[0].name == "any"


def test_conduits_given_as_data_are_checked_the_same_without_lines() -> None:
    with pytest.raises(PlantFileError) as info:
        config_from_document(
            {"schema": "otm.plant/1", "zones": [{"name": "a"}], "conduits": [{"from": "a"}]}, "api"
        )
    assert str(info.value) == "api: conduits[0].to: missing (required)"


def test_conduits_survive_the_export() -> None:
    config = parse_plant(SITE).config
    text = dump_plant(config)
    assert "conduits:\n- from: supervisory\n  to: control\n" in text
    assert "bidirectional: true" in text and "bidirectional: false" not in text
    assert parse_plant(text).config == config
    only = parse_plant(dump_plant(config, ["zones", "conduits"]))
    assert only.sections == {"zones", "conduits"} and only.config.conduits == CONDUITS


_zone_names = st.sampled_from(["a", "b", "c d", "Ø-zone", ANY_ZONE])


@given(
    conduits=st.lists(
        st.builds(
            ConduitSpec,
            from_zone=_zone_names,
            to_zone=_zone_names,
            protocols=st.lists(st.sampled_from(PROTOCOLS), max_size=3).map(tuple),
            ports=st.lists(st.integers(1, 65535), max_size=3).map(tuple),
            bidirectional=st.booleans(),
            description=st.text(max_size=20),
        ).filter(lambda c: c.from_zone != c.to_zone or c.from_zone == ANY_ZONE),
        max_size=4,
    )
)
def test_any_conduits_survive_a_trip_through_yaml(conduits: list[ConduitSpec]) -> None:
    zones = [ZoneSpec(name) for name in ("a", "b", "c d", "Ø-zone")]
    config = PlantConfig(zones=zones, conduits=conduits)
    assert parse_plant(dump_plant(config)).config == config


# -- which links a conduit allows ----------------------------------------------


@pytest.mark.parametrize(
    ("client", "server", "protocol", "port", "allowed"),
    [
        ("supervisory", "control", "modbus", 502, True),
        ("supervisory", "control", "s7comm", 102, True),
        ("supervisory", "control", "s7comm", 502, True),  # protocol and port each allowed
        ("supervisory", "control", "modbus", 503, False),  # a port the conduit does not name
        ("supervisory", "control", "enip", 44818, False),  # a protocol it does not name
        ("control", "supervisory", "modbus", 502, False),  # the wrong way round
        ("enterprise", "supervisory", "https", 443, True),
        ("supervisory", "enterprise", "https", 443, True),  # bidirectional
        ("enterprise", "control", "https", 443, False),  # no conduit for that pair
        ("control", "enterprise", "dns", 53, True),  # from any zone
        ("subnet-10.9.0.0/24", "enterprise", "dns", 53, True),  # any includes inferred zones
        ("enterprise", "control", "dns", 53, False),  # only *to* enterprise
    ],
)
def test_what_the_declared_conduits_allow(
    client: str, server: str, protocol: str, port: int, allowed: bool
) -> None:
    assert (allowed_by(CONDUITS, client, server, protocol, port) is not None) is allowed


def test_the_policy_speaks_only_about_declared_zones_once_there_are_conduits() -> None:
    declared = {"control", "supervisory"}
    assert judged(CONDUITS, declared, "supervisory", "control")
    assert judged(CONDUITS, declared, "subnet-10.9.0.0/24", "control")
    assert not judged(CONDUITS, declared, "subnet-10.9.0.0/24", "vlan-20")  # both inferred
    assert not judged(CONDUITS, declared, "control", "control")
    assert not judged([], declared, "supervisory", "control")  # no declarations, no policy


def test_why_a_link_is_not_allowed() -> None:
    assert why_not_allowed(CONDUITS, "supervisory", "control") == (
        "the conduits between them allow only supervisory -> control "
        "(modbus, s7comm on ports 502, 102)"
    )
    assert why_not_allowed(CONDUITS, "control", "supervisory") == (
        "the conduits between them run the other way only: supervisory -> control "
        "(modbus, s7comm on ports 502, 102)"
    )
    assert why_not_allowed(CONDUITS, "supervisory", "enterprise") == (
        "the conduits between them allow only enterprise <-> supervisory (https); "
        "any -> enterprise (dns)"
    )
    assert why_not_allowed(CONDUITS, "control", "supervisory-2") == (
        "no conduit joins control to supervisory-2"
    )


# -- observed conduits marked -------------------------------------------------------


def plant() -> PlantBuilder:
    """HMI polls the PLC (allowed) and also speaks EtherNet/IP to it (not allowed);
    the PLC writes to the HMI (wrong way round); ERP and an IoT box in two
    undeclared subnets talk to each other (not judged)."""
    return (
        PlantBuilder()
        .host("PLC-3", "10.1.3.5")
        .host("HMI-3", "10.1.2.20")
        .host("ERP", "10.20.0.5")
        .host("IOT", "10.9.0.7")
        .host("CAM", "10.8.0.7")
        .talk("HMI-3", "PLC-3", "modbus", {"read": 90})
        .talk("HMI-3", "PLC-3", "enip", {"read": 1})
        .talk("PLC-3", "HMI-3", "modbus", {"write": 1})
        .talk("ERP", "HMI-3", "https")
        .talk("IOT", "CAM", "http")
    )


def test_observed_conduits_are_marked_allowed_or_not() -> None:
    config = parse_plant(SITE).config
    conduits = plant_view(plant().build(config).inventory, config).plant.conduits
    hmi = conduits["supervisory", "control"]
    assert hmi.judged and hmi.policy == "partly allowed"
    assert [link[2] for link in hmi.disallowed] == ["enip"]
    back = conduits["control", "supervisory"]
    assert back.policy == "not allowed" and len(back.disallowed) == 1
    assert conduits["enterprise", "supervisory"].policy == "allowed"
    between_inferred = conduits["subnet-10.9.0.0/24", "subnet-10.8.0.0/24"]
    assert not between_inferred.judged and between_inferred.policy == ""


def test_without_declared_conduits_nothing_is_judged() -> None:
    config = parse_plant(SITE).config
    config.conduits = []
    conduits = plant_view(plant().build(config).inventory, config).plant.conduits
    assert conduits and all(not c.judged and not c.disallowed for c in conduits.values())


# -- loading ----------------------------------------------------------------------


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_zones_load_brings_the_conduits_of_the_file_and_the_zones_doc_marks_them(
    store_url: str, tmp_path: Path
) -> None:
    with SqlStore(store_url) as store:
        store.save_inventory(plant().build().inventory)
        result = load_plant_file(store, _write(tmp_path, "site.yaml", SITE), "zones")
        assert result.sections == ("zones", "conduits")
        assert result.counts["conduits"] == 3 and result.warnings == []
        assert store.load_plant_config().conduits == CONDUITS
        doc = plantdocs.zones_doc(current_view(store))
    by_pair = {(c["from"], c["to"]): c for c in doc["conduits"]}
    hmi = by_pair["supervisory", "control"]
    assert hmi["policy"] == "partly allowed"
    assert hmi["disallowed"] == [
        {
            "client": hmi["disallowed"][0]["client"],
            "server": hmi["disallowed"][0]["server"],
            "client_name": "HMI-3",
            "server_name": "PLC-3",
            "protocol": "enip",
            "port": "tcp/44818",
        }
    ]
    assert by_pair["subnet-10.9.0.0/24", "subnet-10.8.0.0/24"]["policy"] is None


def test_zones_loaded_alone_warn_of_conduits_left_without_their_zone(
    store_url: str, tmp_path: Path
) -> None:
    with SqlStore(store_url) as store:
        load_plant_file(store, _write(tmp_path, "site.yaml", SITE))
        zones = "schema: otm.plant/1\nzones:\n  - name: control\n  - name: supervisory\n"
        result = load_plant_file(store, _write(tmp_path, "zones.yaml", zones), "zones")
        assert result.sections == ("zones",)
        assert store.load_plant_config().conduits == CONDUITS  # kept as stored
    assert result.warnings == [
        "conduit 2 (enterprise <-> supervisory (https)): zone enterprise is no longer "
        "declared; the conduit allows nothing until it is (otm plant load)",
        "conduit 3 (any -> enterprise (dns)): zone enterprise is no longer declared; the "
        "conduit allows nothing until it is (otm plant load)",
    ]
