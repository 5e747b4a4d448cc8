"""Exposure hints on inventories built by hand: each rule fires where it must, with the
reason and evidence it must give, and stays quiet where it must not fire.

Plant maps are written out (levels, zones) rather than inferred, so a test
says exactly which levels a hint rests on.
"""

from __future__ import annotations

from vulns_support import EVIDENCE, make_asset

from otm.model.assets import Asset, Component, FieldValue, Inventory, Link, ServiceUse
from otm.model.plant import (
    ConduitSpec,
    Level,
    LevelAssignment,
    PlantMap,
    Source,
    ZoneAssignment,
    ZoneSpec,
)
from otm.sensing.catalog import CATALOG
from otm.vulns.exposure import (
    NO_AUTHENTICATION,
    Hint,
    HintKind,
    HintSeverity,
    authentication_hints,
    exposure_hints,
    firmware_hints,
    reach_hints,
)


def inventory(*assets: Asset, links: tuple[Link, ...] = ()) -> Inventory:
    return Inventory(
        assets={a.id: a for a in assets},
        links={lk.key: lk for lk in links},
    )


def device(ip: str, vendor: str = "Siemens", **fields: str | int) -> Asset:
    return make_asset(ip, "s7comm", vendor=vendor, **fields)


def host(ip: str, *served: tuple[str, str, int]) -> Asset:
    asset = Asset(id=f"asset-{ip}", ips={ip})
    asset.services = [
        ServiceUse(name, "server", transport, port) for name, transport, port in served
    ]
    return asset


def link(
    client: str,
    server: str,
    protocol: str,
    port: int,
    transport: str = "tcp",
    **categories: int,
) -> Link:
    return Link(client, server, protocol, transport, port, packets=10, categories=dict(categories))


def by_asset(hints: list[Hint]) -> dict[str, Hint]:
    out = {h.label: h for h in hints}
    assert len(out) == len(hints), [h.label for h in hints]
    return out


# -- firmware behind ----------------------------------------------------------------------


def test_firmware_far_behind_the_newest_of_the_same_model() -> None:
    inv = inventory(
        device("10.0.0.5", model="CPU 1214C", firmware="V2.1.3"),
        device("10.0.0.6", model="CPU 1214C", firmware="V3.0"),
        device("10.0.0.7", model="CPU 1214C", firmware="V4.0.1"),
        device("10.0.0.8", model="CPU 1214C", firmware="V4.0.1"),
        device("10.0.0.9", model="CPU 1214C", firmware="V4.0"),
    )
    hints = by_asset(firmware_hints(inv))
    assert set(hints) == {"10.0.0.5", "10.0.0.6", "10.0.0.9"}
    oldest = hints["10.0.0.5"]
    assert oldest.kind is HintKind.FIRMWARE_BEHIND
    assert oldest.reason.startswith(
        "firmware V2.1.3 is 3 releases behind V4.0.1 seen on 10.0.0.7, 10.0.0.8, the same "
        "model (CPU 1214C)"
    )
    assert oldest.severity is HintSeverity.MEDIUM  # a major version behind
    assert oldest.assets == ("asset-10.0.0.5", "asset-10.0.0.7", "asset-10.0.0.8")
    assert oldest.details["releases_behind"] == 3 and oldest.details["newest"] == "V4.0.1"
    assert "is 2 releases behind" in hints["10.0.0.6"].reason
    patch = hints["10.0.0.9"]
    assert "is 1 release behind V4.0.1" in patch.reason
    assert patch.severity is HintSeverity.LOW  # the same major version


def test_versions_compare_as_versions_py_reads_them() -> None:
    # CIP revisions 4.003 and 4.3 are one version; V3.2 is 3.2.0; SP and HF order.
    inv = inventory(
        device("10.0.0.1", vendor="Rockwell Automation", model="1756-ENBT/A", firmware="4.003"),
        device("10.0.0.2", vendor="Allen-Bradley", model="1756-ENBT/A", firmware="4.3"),
        device("10.0.0.3", model="CPU 416", firmware="V3.2"),
        device("10.0.0.4", model="CPU 416", firmware="3.2.0"),
        device("10.0.0.5", model="WinCC", firmware="V7.5 SP2 HF1"),
        device("10.0.0.6", model="WinCC", firmware="V7.5 SP2"),
        device("10.0.0.7", model="WinCC", firmware="V7.5 SP1 HF9"),
    )
    hints = by_asset(firmware_hints(inv))
    assert set(hints) == {"10.0.0.6", "10.0.0.7"}
    assert "behind V7.5 SP2 HF1 seen on 10.0.0.5" in hints["10.0.0.6"].reason
    assert "is 2 releases behind" in hints["10.0.0.7"].reason


def test_firmware_quiet_where_devices_are_not_the_same_product() -> None:
    inv = inventory(
        # the newest of its kind, and alone
        device("10.0.0.1", model="CPU 315-2 PN/DP", firmware="V3.2.19"),
        # another vendor's model of the same name
        device("10.0.0.2", vendor="Acme", model="CPU 315-2 PN/DP", firmware="V1.0"),
        # another order number: another hardware generation, never compared
        device("10.0.0.3", model="CPU 1214C", order_number="6ES7 214-1AE30-0XB0", firmware="V2.2"),
        device("10.0.0.4", model="CPU 1214C", order_number="6ES7 214-1AG40-0XB0", firmware="V4.5"),
        # a firmware that is no version is not judged
        device("10.0.0.5", model="SCALANCE X208", firmware="build abc"),
        device("10.0.0.6", model="SCALANCE X208", firmware="V4.1"),
        # no firmware at all
        device("10.0.0.7", model="SCALANCE X208"),
    )
    assert firmware_hints(inv) == []


def test_firmware_of_modules_in_racks() -> None:
    chassis = make_asset(
        "10.0.0.20",
        "enip",
        components={
            "slot 2": {"vendor": "ProSoft Technology", "model": "MVI56", "firmware": "1.002"},
            "slot 3": {"vendor": "ProSoft Technology", "model": "MVI56", "firmware": "1.004"},
        },
        vendor="Rockwell Automation",
        model="1756-L61/B",
        firmware="16.020",
    )
    (hint,) = firmware_hints(inventory(chassis))
    assert hint.label == "10.0.0.20 slot 2" and hint.component == "slot 2"
    assert "behind 1.004 seen on 10.0.0.20 slot 3" in hint.reason


# -- protocols without authentication --------------------------------------------------------


def test_every_row_names_a_protocol_otm_knows_and_says_why() -> None:
    known = {entry.name for entry in CATALOG}
    assert set(NO_AUTHENTICATION) <= known
    for name, row in NO_AUTHENTICATION.items():
        assert row.protocol == name and row.title and row.fact and row.reference
    # secured or authenticated protocols are not in the table
    assert not {"s7comm-plus", "https", "ssh"} & set(NO_AUTHENTICATION)


def test_modbus_served_to_clients_that_write() -> None:
    plc = host("10.0.0.5", ("modbus", "tcp", 502))
    inv = inventory(
        plc,
        host("10.0.0.2"),
        host("10.0.0.3"),
        links=(
            link("10.0.0.2", "10.0.0.5", "modbus", 502, read=40),
            link("10.0.0.3", "10.0.0.5", "modbus", 502, read=4, write=2),
            link("10.0.0.9", "10.0.0.5", "modbus", 502, read=1),  # a client no asset holds
        ),
    )
    (hint,) = authentication_hints(inv)
    assert hint.kind is HintKind.NO_AUTHENTICATION and hint.asset == plc.id
    assert hint.severity is HintSeverity.HIGH
    assert hint.reason.startswith(
        "serves Modbus/TCP on tcp/502 to 3 clients (10.0.0.2, 10.0.0.3, 10.0.0.9), "
        "1 of which write or command it: Modbus/TCP has no authentication"
    )
    assert hint.details["writers"] == ["10.0.0.3"]
    assert len(hint.links) == 3
    assert hint.assets == (plc.id, "asset-10.0.0.2", "asset-10.0.0.3")


def test_read_only_clients_make_it_medium_and_no_client_is_said() -> None:
    plc = host("10.0.0.5", ("s7comm", "tcp", 102))
    lonely = host("10.0.0.6", ("bacnet", "udp", 47808))
    inv = inventory(
        plc, lonely, host("10.0.0.2"), links=(link("10.0.0.2", "10.0.0.5", "s7comm", 102, read=5),)
    )
    hints = by_asset(authentication_hints(inv))
    assert hints["10.0.0.5"].severity is HintSeverity.MEDIUM
    assert "serves S7comm on tcp/102 to 1 client (10.0.0.2):" in hints["10.0.0.5"].reason
    assert hints["10.0.0.6"].reason.startswith("answers BACnet/IP on udp/47808; no client seen")


def test_quiet_for_authenticated_protocols_and_clients() -> None:
    inv = inventory(
        host("10.0.0.5", ("s7comm-plus", "tcp", 102), ("https", "tcp", 443), ("ssh", "tcp", 22)),
        # a Modbus *client* serves nothing
        Asset(id="hmi", ips={"10.0.0.2"}, services=[ServiceUse("modbus", "client", "tcp", 502)]),
        links=(link("10.0.0.2", "10.0.0.5", "s7comm-plus", 102, write=3),),
    )
    assert authentication_hints(inv) == []


def test_dnp3_with_secure_authentication_seen_is_not_judged() -> None:
    with_sa = host("10.0.0.5", ("dnp3", "tcp", 20000))
    without = host("10.0.0.6", ("dnp3", "tcp", 20000))
    challenged = link("10.0.0.2", "10.0.0.5", "dnp3", 20000, control=1)
    challenged.operations = {"authenticate_req": 2, "direct_operate": 1}
    inv = inventory(
        with_sa,
        without,
        links=(challenged, link("10.0.0.2", "10.0.0.6", "dnp3", 20000, control=1)),
    )
    (hint,) = authentication_hints(inv)
    assert hint.label == "10.0.0.6" and "Secure Authentication" in hint.reason


def test_opc_ua_only_when_security_mode_none_is_offered_or_used() -> None:
    secure = host("10.0.0.5", ("opcua", "tcp", 4840))
    offered = host("10.0.0.6", ("opcua", "tcp", 4840))
    offered.fields["opcua_security_mode_none"] = [FieldValue("offered", EVIDENCE, 1, 1, "opcua")]
    used = host("10.0.0.7", ("opcua", "tcp", 4840))
    used.fields["opcua_security_mode_none"] = [FieldValue("used", EVIDENCE, 1, 1, "opcua")]
    hints = by_asset(authentication_hints(inventory(secure, offered, used)))
    assert set(hints) == {"10.0.0.6", "10.0.0.7"}
    assert "offers SecurityMode None" in hints["10.0.0.6"].reason
    assert hints["10.0.0.7"].reason.endswith("and a client used it for more than discovery")


# -- reachable from the enterprise ----------------------------------------------------------


def placed(levels: dict[str, Level], zones: dict[str, str] | None = None) -> PlantMap:
    """A plant map with these (declared) levels and zones by asset id."""
    plant = PlantMap(
        levels={
            a: LevelAssignment(lv, "declared by the test", Source.DECLARED)
            for a, lv in levels.items()
        }
    )
    for asset, zone in (zones or {}).items():
        plant.membership[asset] = ZoneAssignment(zone, "the test", Source.DECLARED)
        plant.zones.setdefault(zone, ZoneSpec(zone, levels.get(asset)))
    return plant


ERP = "asset-10.1.0.5"
HIST = "asset-10.0.3.10"
PLC = "asset-10.0.1.20"
HMI = "asset-10.0.2.30"


def plant_network(*links: Link) -> Inventory:
    return inventory(
        host("10.1.0.5"), host("10.0.3.10"), host("10.0.1.20"), host("10.0.2.30"), links=links
    )


def test_direct_link_from_the_enterprise_is_high() -> None:
    inv = plant_network(link("10.1.0.5", "10.0.1.20", "s7comm", 102, read=3))
    plant = placed(
        {ERP: Level.ENTERPRISE, PLC: Level.BASIC_CONTROL}, {ERP: "corporate", PLC: "cell"}
    )
    (hint,) = reach_hints(inv, plant)
    assert hint.kind is HintKind.ENTERPRISE_REACHABLE and hint.asset == PLC
    assert hint.severity is HintSeverity.HIGH
    assert hint.reason == (
        "reachable from the enterprise: 10.1.0.5 (level 4, zone corporate) talks S7comm to it"
    )
    assert hint.links == (("10.1.0.5", "10.0.1.20", "s7comm", "tcp", 102),)
    assert hint.details["direct"] == ["10.1.0.5"]


def test_one_hop_through_an_intermediate_asset_is_medium() -> None:
    inv = plant_network(
        link("10.1.0.5", "10.0.3.10", "smb", 445),
        link("10.0.3.10", "10.0.1.20", "modbus", 502, read=10),
        link("10.0.3.10", "10.0.2.30", "opcua", 4840, read=10),
    )
    plant = placed(
        {
            ERP: Level.ENTERPRISE,
            HIST: Level.OPERATIONS,
            PLC: Level.BASIC_CONTROL,
            HMI: Level.SUPERVISORY,
        }
    )
    hints = by_asset(reach_hints(inv, plant))
    assert set(hints) == {"10.0.1.20", "10.0.2.30"}  # not the level-3 historian itself
    plc = hints["10.0.1.20"]
    assert plc.severity is HintSeverity.MEDIUM
    assert plc.reason == (
        "reachable from the enterprise through another asset: 10.1.0.5 (level 4) talks SMB "
        "to 10.0.3.10 (level 3), which talks Modbus/TCP to it"
    )
    assert plc.assets == (PLC, ERP, HIST)
    assert plc.details["through"] == ["10.0.3.10"]


def test_a_conduit_that_allows_the_first_link_lowers_it() -> None:
    inv = plant_network(
        link("10.1.0.5", "10.0.3.10", "https", 443),
        link("10.0.3.10", "10.0.1.20", "modbus", 502, read=10),
    )
    plant = placed(
        {ERP: Level.ENTERPRISE, HIST: Level.OPERATIONS, PLC: Level.BASIC_CONTROL},
        {ERP: "corporate", HIST: "dmz", PLC: "cell"},
    )
    conduits = (ConduitSpec("corporate", "dmz", ("https",)),)
    (hint,) = reach_hints(inv, plant, conduits)
    assert hint.severity is HintSeverity.LOW
    assert "(allowed by the conduit corporate -> dmz (https))" in hint.reason
    (unlisted,) = reach_hints(inv, plant, (ConduitSpec("corporate", "dmz", ("smb",)),))
    assert unlisted.severity is HintSeverity.MEDIUM


def test_the_worst_path_rates_the_hint() -> None:
    # Two enterprise hosts reach the PLC directly: one through the conduit, one not.
    inv = inventory(
        host("10.1.0.5"),
        host("10.1.0.6"),
        host("10.0.1.20"),
        links=(
            link("10.1.0.5", "10.0.1.20", "opcua", 4840),
            link("10.1.0.6", "10.0.1.20", "s7comm", 102),
        ),
    )
    plant = placed(
        {
            "asset-10.1.0.5": Level.ENTERPRISE,
            "asset-10.1.0.6": Level.ENTERPRISE,
            PLC: Level.BASIC_CONTROL,
        },
        {"asset-10.1.0.5": "corporate", "asset-10.1.0.6": "corporate", PLC: "cell"},
    )
    (hint,) = reach_hints(inv, plant, (ConduitSpec("corporate", "cell", ("opcua",)),))
    assert hint.severity is HintSeverity.HIGH
    assert hint.reason == (
        "reachable from the enterprise: 10.1.0.6 (level 4, zone corporate) talks S7comm to it; "
        "2 paths from 2 hosts in all"
    )
    assert hint.details["paths"] == [
        "10.1.0.6 (level 4, zone corporate) talks S7comm to it",
        "10.1.0.5 (level 4, zone corporate) talks OPC UA to it (allowed by the conduit "
        "corporate -> cell (opcua))",
    ]


def test_a_declared_enterprise_zone_makes_its_members_enterprise() -> None:
    inv = plant_network(link("10.1.0.5", "10.0.1.20", "enip", 44818))
    plant = placed({PLC: Level.BASIC_CONTROL}, {PLC: "cell"})
    plant.membership[ERP] = ZoneAssignment("office", "cidr", Source.DECLARED)
    plant.zones["office"] = ZoneSpec("office", Level.ENTERPRISE)
    (hint,) = reach_hints(inv, plant)
    assert "10.1.0.5 (zone office) talks EtherNet/IP (CIP) to it" in hint.reason


def test_reach_stays_quiet_where_it_must() -> None:
    links = (
        link("10.0.1.20", "10.1.0.5", "http", 80),  # the PLC opens towards the enterprise
        link("10.0.3.10", "10.0.1.20", "modbus", 502),  # the historian is no enterprise host
        link("10.1.0.5", "10.0.3.10", "smb", 445),  # ... but two hops: DMZ host -> ... no
    )
    inv = plant_network(*links)
    dmz = placed({ERP: Level.DMZ, HIST: Level.OPERATIONS, PLC: Level.BASIC_CONTROL})
    assert reach_hints(inv, dmz) == []
    # the enterprise host reaches the historian, which is level 3: not a control device;
    # the PLC behind it is one hop away and is found, but nothing two hops away is
    far = plant_network(
        link("10.1.0.5", "10.0.3.10", "smb", 445),
        link("10.0.3.10", "10.0.2.30", "https", 443),
        link("10.0.2.30", "10.0.1.20", "s7comm", 102),
    )
    levels = {
        ERP: Level.ENTERPRISE,
        HIST: Level.OPERATIONS,
        HMI: Level.SUPERVISORY,
        PLC: Level.BASIC_CONTROL,
    }
    assert {h.asset for h in reach_hints(far, placed(levels))} == {HMI}
    # a level otm only guessed is not used
    guessed = placed({PLC: Level.BASIC_CONTROL})
    guessed.levels[ERP] = LevelAssignment(
        Level.ENTERPRISE, "unknown: default level 4 (review)", Source.INFERRED
    )
    assert reach_hints(plant_network(link("10.1.0.5", "10.0.1.20", "s7comm", 102)), guessed) == []
    # no plant map, no levels, no hint
    assert reach_hints(plant_network(link("10.1.0.5", "10.0.1.20", "s7comm", 102)), None) == []


def test_a_direct_path_hides_the_same_hosts_detour() -> None:
    inv = plant_network(
        link("10.1.0.5", "10.0.1.20", "s7comm", 102),
        link("10.1.0.5", "10.0.2.30", "rdp", 3389),
        link("10.0.2.30", "10.0.1.20", "s7comm", 102, write=1),
    )
    plant = placed({ERP: Level.INTERNET, HMI: Level.SUPERVISORY, PLC: Level.BASIC_CONTROL})
    hints = by_asset(reach_hints(inv, plant))
    plc = hints["10.0.1.20"]
    assert plc.reason == "reachable from the internet: 10.1.0.5 (level 5) talks S7comm to it"
    assert plc.details["path_count"] == 1
    assert hints["10.0.2.30"].severity is HintSeverity.HIGH


def test_all_hints_most_severe_first() -> None:
    plc = host("10.0.1.20", ("modbus", "tcp", 502))
    plc.fields["model"] = [FieldValue("M580", EVIDENCE, 1, 1, "modbus")]
    plc.fields["vendor"] = [FieldValue("Schneider Electric", EVIDENCE, 1, 1, "modbus")]
    plc.fields["firmware"] = [FieldValue("2.1", EVIDENCE, 1, 1, "modbus")]
    newer = device("10.0.1.21", vendor="Schneider Electric", model="M580", firmware="2.9")
    newer.components["cpu"] = Component("cpu")
    inv = inventory(
        host("10.1.0.5"), plc, newer, links=(link("10.1.0.5", "10.0.1.20", "modbus", 502, write=1),)
    )
    plant = placed({"asset-10.1.0.5": Level.ENTERPRISE, plc.id: Level.BASIC_CONTROL})
    kinds = [(h.severity.value, h.kind.value) for h in exposure_hints(inv, plant)]
    assert kinds == [
        ("high", "no-authentication"),
        ("high", "enterprise-reachable"),
        ("low", "firmware-behind"),
    ]
