"""OTM-CROSS-ZONE (kind ``cross_zone``): a link between zones that no declared
conduit allows.  It fires on a link with no conduit, on the wrong direction, on
a protocol or port the conduit does not name; it stays quiet on allowed links,
inside a zone, between zones nobody declared, on hosts without a zone, and when
the plant file declares no conduit at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from detection_support import NORMAL, comm, seen

from otm.detection import KINDS, Baseline, DetectionEngine, PlantContext, default_rules
from otm.detection.alerts import Finding
from otm.inventory.builder import build_inventory
from otm.model.plant import ConduitSpec, PlantConfig, ZoneSpec
from otm.observations.records import Communication
from otm.services.detection import plant_context
from otm.store.combined import Store
from otm.topology.plan import plant_view

ZONES = {
    "10.0.1.5": "control",  # PLC
    "10.0.1.6": "control",  # another PLC
    "10.0.2.9": "supervisory",  # HMI
    "10.0.4.7": "enterprise",  # ERP
    "10.9.0.1": "subnet-10.9.0.0/24",  # inferred zones: nobody declared them
    "10.8.0.1": "subnet-10.8.0.0/24",
}
DECLARED = frozenset({"control", "supervisory", "enterprise"})
CONDUITS = (
    ConduitSpec("supervisory", "control", ("modbus", "s7comm"), (502, 102)),
    ConduitSpec("enterprise", "supervisory", ("https",), bidirectional=True),
)


def _found(
    obs: Communication, conduits: tuple[ConduitSpec, ...] = CONDUITS, frozen: bool = True
) -> list[Finding]:
    base = Baseline()
    base.learn(NORMAL)
    base.frozen = frozen
    ctx = PlantContext(zones=ZONES, declared_zones=DECLARED, conduits=conduits)
    found = DetectionEngine(base, default_rules(KINDS), ctx).detect([obs])
    return [f for f in found if f.rule.id == "OTM-CROSS-ZONE"]


def test_the_rule_ships_with_its_technique() -> None:
    rule = next(r for r in default_rules(KINDS).enabled() if r.id == "OTM-CROSS-ZONE")
    assert (rule.kind, rule.severity.value, rule.technique) == ("cross_zone", "high", "T0886")
    assert "conduit" in rule.description


@pytest.mark.parametrize(
    ("obs", "why"),
    [
        (comm("10.0.4.7", "10.0.1.5", "s7comm", 102), "no conduit joins enterprise to control"),
        (
            comm("10.0.1.5", "10.0.2.9", "modbus", 502),
            "the conduits between them run the other way only: supervisory -> control",
        ),
        (
            comm("10.0.2.9", "10.0.1.5", "enip", 44818),
            "the conduits between them allow only supervisory -> control (modbus, s7comm",
        ),
        (
            comm("10.0.2.9", "10.0.1.5", "modbus", 5020),
            "the conduits between them allow only supervisory -> control",
        ),
        (comm("10.9.0.1", "10.0.1.5", "modbus", 502), "no conduit joins subnet-10.9.0.0/24"),
    ],
    ids=["no-conduit", "wrong-direction", "other-protocol", "other-port", "inferred-to-declared"],
)
def test_fires_on_a_link_no_conduit_allows(obs: Communication, why: str) -> None:
    (finding,) = _found(obs)
    client, server = obs.client_ip, obs.server_ip
    assert finding.subjects == (client, server)
    assert finding.message.startswith(
        f"{client} ({ZONES[str(client)]}) -> {server} ({ZONES[str(server)]}) over "
        f"{obs.protocol}/{obs.port}: no declared conduit allows it; "
    )
    assert why in finding.message
    assert finding.details["client_zone"] == ZONES[str(client)]
    assert finding.details["protocol"] == obs.protocol and finding.details["port"] == obs.port
    assert finding.evidence.ref == "test.pcap"


@pytest.mark.parametrize(
    "obs",
    [
        comm("10.0.2.9", "10.0.1.5", "modbus", 502),  # the conduit, its way round
        comm("10.0.2.9", "10.0.1.5", "s7comm", 102),
        comm("10.0.4.7", "10.0.2.9", "https", 443),  # bidirectional: both ways
        comm("10.0.2.9", "10.0.4.7", "https", 443),
        comm("10.0.1.5", "10.0.1.6", "enip", 44818),  # inside one zone
        comm("10.9.0.1", "10.8.0.1", "http", 80),  # between two zones nobody declared
        comm("10.0.99.1", "10.0.1.5", "modbus", 502),  # a host with no zone
    ],
    ids=[
        "allowed",
        "allowed-2",
        "bidirectional",
        "bidirectional-back",
        "same-zone",
        "undeclared-zones",
        "no-zone",
    ],
)
def test_quiet_on_what_is_allowed_or_not_judged(obs: Communication) -> None:
    assert _found(obs) == []


def test_no_declared_conduit_no_policy() -> None:
    assert _found(comm("10.0.4.7", "10.0.1.5", "s7comm", 102), conduits=()) == []


def test_any_zone_and_a_conduit_without_restrictions() -> None:
    conduits = (
        *CONDUITS,
        ConduitSpec("any", "enterprise", ("dns",)),
        ConduitSpec("control", "any"),
    )
    assert _found(comm("10.0.2.9", "10.0.4.7", "dns", 53), conduits) == []
    assert _found(comm("10.0.1.5", "10.0.4.7", "s7comm", 102), conduits) == []  # control -> any
    assert len(_found(comm("10.0.2.9", "10.0.4.7", "ntp", 123), conduits)) == 1


def test_a_policy_rule_fires_while_the_baseline_learns() -> None:
    assert len(_found(comm("10.0.4.7", "10.0.1.5", "s7comm", 102), frozen=False)) == 1


def test_plant_context_carries_the_zones_and_conduits_of_the_plant_file(tmp_path: Path) -> None:
    config = PlantConfig(
        zones=[ZoneSpec("control", subnets=["10.0.1.0/24"]), ZoneSpec("supervisory")],
        conduits=[ConduitSpec("supervisory", "control", ("modbus",))],
    )
    inventory = build_inventory(
        [
            seen("10.0.1.5", "00:80:f4:00:00:05"),
            seen("10.0.2.9", "00:0c:29:00:00:09"),
            comm("10.0.2.9", "10.0.1.5"),
        ]
    )
    with Store(str(tmp_path / "otm.db")) as store:
        store.save_inventory(inventory)
        store.save_plant_config(config)
        ctx = plant_context(store)
    assert ctx.conduits == tuple(config.conduits)
    assert ctx.declared_zones == {"control", "supervisory"}
    membership = plant_view(inventory, config).plant.membership
    for asset in inventory.assets.values():
        for end in [*asset.ips, *asset.macs]:
            assert ctx.zones[end] == membership[asset.id].zone
    assert ctx.zones["10.0.1.5"] == ctx.zones["00:80:f4:00:00:05"] == "control"
    assert ctx.zones["10.0.2.9"] == "subnet-10.0.2.0/24"  # inferred: in no declared zone
