"""otm against the oracle: what tshark finds in the shared captures, otm finds too.

``../shared/pcaps/groundtruth/<capture>.json`` lists, per capture, the
industrial endpoints (protocol, role, ip, mac) and the identity facts that
tshark decodes.  For every protocol mapped in ``PROTOCOLS`` otm must find
every endpoint and every identity field (recall 100 %); every miss is a
named exception below with its reason.  In the other direction, every
endpoint otm reports for these protocols is one the oracle also found, and
every address otm reports occurs in the capture (checked with tshark itself).
Protocols straight on Ethernet have no IP: their endpoints are MACs.
"""

from __future__ import annotations

import json
import subprocess
from functools import cache
from typing import Any

import pytest

from conftest import GROUNDTRUTH, PCAPS
from otm.capture.readers import open_capture
from otm.inventory.builder import build_inventory
from otm.model.assets import Asset, FieldValue, Inventory
from otm.protocols.profinet import device_role_names
from otm.sensing.engine import PassiveEngine

PROTOCOLS = {
    "modbus": "modbus",
    "enip": "enip",
    "s7comm": "s7comm",
    "s7comm_plus": "s7comm-plus",
    "dnp3": "dnp3",
    "profinet_dcp": "profinet-dcp",
    "bacnet": "bacnet",
    "snmp": "snmp",
    "omron_fins": "omron-fins",
    "opcua": "opcua",
    "lldp": "lldp",
    "cdp": "cdp",
    "goose": "goose",
    "sv": "iec61850-sv",
    "iec104": "iec104",
    "mms": "mms",
}
"""Oracle protocol name -> otm protocol name, for the protocols checked so far."""


def _captures() -> list[str]:
    names = []
    for gt in sorted(GROUNDTRUTH.glob("*.json")):
        data = json.loads(gt.read_text())
        if set(data["protocol_frames"]) & set(PROTOCOLS):
            names.append(data["capture"])
    return names


CAPTURES = _captures()

_S7_DOWNLOAD = (
    "during a block download the PLC sends Job PDUs (download block) back to the "
    "programming device over the connection the PG opened; the oracle's per-message rule "
    "makes the PLC a client and the PG a server, otm keeps the connection's roles and "
    "counts those jobs as the PG's download (who changes the program is what matters)"
)

_NEVER_ANSWERED = (
    "every frame of the capture is sent by 10.4.14.102 (one host emitting each FINS command "
    "and response over UDP); 10.130.130.130 never sends one.  The oracle's per-message rule "
    "makes the destination of the 93 commands a server (seen_as_src false); otm makes no host "
    "the server of a UDP protocol unless it answered (a scan's probes reach every host).  "
    "otm still has it as the client the 152 responses were addressed to, as the oracle does"
)

ENDPOINT_EXCEPTIONS: dict[tuple[str, str, str, str | None], str] = {
    ("tia_s300_downloadOb1.pcapng", "s7comm", "client", "134.217.61.211"): _S7_DOWNLOAD,
    ("tia_s300_downloadOb1.pcapng", "s7comm", "server", "134.217.61.131"): _S7_DOWNLOAD,
    ("omron.pcap", "omron-fins", "server", "10.130.130.130"): _NEVER_ANSWERED,
}
"""(capture, protocol, role, ip) -> why otm legitimately differs from the oracle."""

EXTRA_ENDPOINTS: dict[tuple[str, str], str] = {
    ("iedscout.pcap", "mms"): (
        "the capture starts in the middle of an association: without the presentation "
        "context its connect set up, tshark stops at the presentation layer; otm reads the "
        "179 MMS read requests and their responses by their BER tags, with no anomaly "
        "(IEDScout is an IEC 61850 client)"
    ),
}
"""(capture, protocol) whose endpoints otm reports beyond the oracle, and why."""

FIELD_EXCEPTIONS: dict[tuple[str, str], str] = {
    ("s7_szl_0x0011", "bootloader_raw"): (
        "raw Ausbg/Ausbe words of the boot loader record; otm keeps the decoded "
        "boot loader version instead (field 'bootloader')"
    ),
    ("enip_list_identity", "revision_str (derived)"): (
        "a string the oracle derives from 'revision', which is compared instead"
    ),
    ("s7_szl_0x0011", "module_hw_version (derived)"): "compared as 'hardware' below",
    ("s7_szl_0x0011", "firmware_version (derived)"): "compared as 'firmware' below",
}
"""(identity source, oracle field) -> why the field is not compared one to one."""

ORACLE_ROLES = {
    # Implicit I/O (UDP 2222) and unconfirmed BACnet have producers on both ends:
    # the oracle calls them peers; otm names a conversation's ends client and server.
    "peer": ("client", "server"),
    # An LLDP/CDP announcer and a GOOSE/SV publisher serve what they send:
    # otm makes them the server of the link to the group address.
    "device": ("server",),
    "publisher": ("server",),
}
"""Oracle role -> the otm service roles that stand for it."""

BACNET_FIELDS = {
    "device_instance": "bacnet_device_instance",
    "vendor_id": "vendor_id",
    "vendor_name": "vendor",
    "model_name": "model",
    "firmware_revision": "firmware",
    "application_software_version": "software_version",
    "location": "location",
    "description": "description",
    "object_name": "name",
    "serial_number": "serial",
}
"""BACnet oracle field -> otm identity field (a routed device's facts are on the
router asset's component ``bacnet network N address XX``, which ``_values`` reads)."""


@cache
def analysed(capture: str) -> Inventory:
    with open_capture(PCAPS / capture) as reader:
        result = PassiveEngine(ref=capture).run(reader)
    return build_inventory(result.observations)


def _assets_at(inv: Inventory, ip: str | None, mac: str | None) -> list[Asset]:
    out = []
    for asset in inv.assets.values():
        if (ip is not None and ip in asset.ips) or (ip is None and mac in asset.macs):
            out.append(asset)
    return out


def _values(asset: Asset, name: str) -> set[Any]:
    """Every value of a field on the asset and on its components."""
    lists: list[list[FieldValue]] = [asset.fields.get(name, [])]
    lists += [c.fields.get(name, []) for c in asset.components.values()]
    return {v.value for values in lists for v in values}


def _expected(source: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Oracle fields -> otm field names and representations."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if (source, key) in FIELD_EXCEPTIONS and key not in (
            "module_hw_version (derived)",
            "firmware_version (derived)",
        ):
            continue
        if source == "modbus_read_device_id":
            out[{"vendor_name": "vendor", "revision": "firmware"}.get(key, key)] = value
        elif source == "modbus_unit_id":
            out["modbus_unit_id"] = value
        elif source in ("enip_list_identity", "cip_identity_object"):
            if key == "serial_number":
                out["serial"] = f"0x{value:08x}"
            elif key == "revision":  # tshark reads the two USINTs as one big-endian word
                out["revision_major"], out["revision_minor"] = value >> 8, value & 0xFF
            elif key == "major_rev":
                out["revision_major"] = value
            elif key == "minor_rev":
                out["revision_minor"] = value
            elif key == "socket_addr":
                out["socket_address"] = value
            else:
                out[key] = value
        elif source == "s7_szl_0x0011":
            names = {
                "szl11_idx1_order_number": "order_number",
                "szl11_idx6_order_number": "hardware_order_number",
                "module_hw_version (derived)": "hardware",
                "firmware_version (derived)": "firmware",
                "bgtyp": "module_type_id",
            }
            out[names[key]] = value
        elif source in ("bacnet_i_am", "bacnet_read_property_ack"):
            out[BACNET_FIELDS[key]] = value
        elif source == "snmp_system_group":
            names = {
                "sysDescr": "description",
                "sysObjectID": "snmp_sys_object_id",
                "sysName": "name",
                "sysLocation": "location",
                "sysContact": "contact",
            }
            out[names[key]] = value
        elif source == "fins_controller_data_read":
            out[{"controller_model": "model", "controller_version": "firmware"}[key]] = value
        elif source == "opcua_server_description":
            out[
                {"application_uri": "opcua_application_uri", "product_uri": "opcua_product_uri"}[
                    key
                ]
            ] = value
        elif source in ("lldp", "cdp"):
            names = {"chassis_mac": "lldp_chassis_mac", "system_name": "name", "device_id": "name"}
            out[names[key]] = value
        elif source == "goose_publisher":
            names = {
                "appid": "goose_appid",
                "gocbRef": "goose_gocb_ref",
                "datSet": "goose_dataset",
                "goID": "goose_id",
            }
            out[names[key]] = value
        elif source == "mms_identify":
            names = {"vendor_name": "vendor", "model_name": "model", "revision": "firmware"}
            out[names[key]] = value
        elif source == "iec104_common_address":
            out["iec104_common_address"] = value
        elif source == "dnp3_link_address":
            out[
                {"master_address": "dnp3_master_address", "outstation_address": "dnp3_address"}[key]
            ] = value
        elif source == "dcp_identify":
            names = {
                "name_of_station": "name",
                "type_of_station": "profinet_type_of_station",
                "device_role": "profinet_device_role",
                "ip": "profinet_ip",
                "netmask": "profinet_netmask",
                "gateway": "profinet_gateway",
            }
            shown = device_role_names(value) if key == "device_role" else value
            out[names.get(key, key)] = shown.strip() if isinstance(shown, str) else shown
        elif source == "s7_szl_0x001c":
            names = {
                "plc_name": "name",
                "serial_number": "serial",
                "module_type_name": "model",
            }
            out[names.get(key, key)] = value
        else:
            out[key] = value
    return out


@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES)
def test_every_oracle_endpoint_is_found(capture: str) -> None:
    gt = json.loads((GROUNDTRUTH / f"{capture}.json").read_text())
    inv = analysed(capture)
    missing = []
    for ep in gt["endpoints"]:
        if ep["protocol"] not in PROTOCOLS:
            continue
        name = PROTOCOLS[ep["protocol"]]
        key = (capture, name, ep["role"], ep["ip"])
        if key in ENDPOINT_EXCEPTIONS:
            continue
        roles = ORACLE_ROLES.get(ep["role"], (ep["role"],))
        found = any(
            any(s.name == name and s.role in roles for s in asset.services)
            for asset in _assets_at(inv, ep["ip"], ep["mac"])
        )
        if not found:
            missing.append(key)
    assert not missing, f"endpoints the oracle found and otm did not: {missing}"


@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES)
def test_no_endpoint_the_oracle_does_not_know(capture: str) -> None:
    gt = json.loads((GROUNDTRUTH / f"{capture}.json").read_text())
    # Ethernet-only protocols have no IP in the oracle: their endpoints are MACs.
    known = {
        (PROTOCOLS[ep["protocol"]], role, ep["ip"] if ep["ip"] is not None else ep["mac"])
        for ep in gt["endpoints"]
        if ep["protocol"] in PROTOCOLS
        for role in ORACLE_ROLES.get(ep["role"], (ep["role"],))
    }
    extra = []
    for asset in analysed(capture).assets.values():
        for s in asset.services:
            if s.name not in PROTOCOLS.values() or (capture, s.name) in EXTRA_ENDPOINTS:
                continue
            if not any((s.name, s.role, a) in known for a in asset.ips | asset.macs):
                extra.append((s.name, s.role, sorted(asset.ips)))
    assert not extra, f"endpoints otm reports that the oracle does not: {extra}"


@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES)
def test_every_oracle_identity_field_is_found(capture: str) -> None:
    gt = json.loads((GROUNDTRUTH / f"{capture}.json").read_text())
    inv = analysed(capture)
    missing = []
    for ident in gt["identities"]:
        if ident["protocol"] not in PROTOCOLS:
            continue
        assets = _assets_at(inv, ident["ip"], ident["mac"])
        for name, value in _expected(ident["source"], ident["fields"]).items():
            # A field the device sent several values of (OPC UA discovery) is a list.
            for one in value if isinstance(value, list) else [value]:
                if not any(one in _values(a, name) for a in assets):
                    got = sorted({str(v) for a in assets for v in _values(a, name)})
                    missing.append(f"{ident['ip']} {ident['source']}.{name}={one!r} (otm: {got})")
    assert not missing, "identity facts the oracle found and otm did not:\n" + "\n".join(missing)


@cache
def _capture_addresses(capture: str, tshark: str) -> set[str]:
    fields = [
        "eth.src",
        "eth.dst",
        "sll.src.eth",
        "ip.src",
        "ip.dst",
        "ipv6.src",
        "ipv6.dst",
        "arp.src.proto_ipv4",
    ]
    cmd = [tshark, "-n", "-r", str(PCAPS / capture), "-T", "fields", "-E", "separator=,"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return {a for line in out.splitlines() for a in line.split(",") if a}


@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES)
def test_every_reported_address_occurs_in_the_capture(capture: str, tshark: str) -> None:
    seen = _capture_addresses(capture, tshark)
    inv = analysed(capture)
    invented = [a for asset in inv.assets.values() for a in asset.ips | asset.macs if a not in seen]
    for link in inv.links.values():
        invented += [a for a in (link.client, link.server) if a not in seen]
    assert not invented, f"addresses otm reports that are not in the capture: {invented}"


NOT_IN_SHARED = {
    "sv": "no shared capture carries Sampled Values; tests/protocols_goose checks the SV "
    "codec against tshark on frames it builds",
}
"""Oracle protocols otm maps but the shared captures do not exercise, and why."""


def test_the_oracle_covers_every_mapped_protocol() -> None:
    """Guard: the shared set must keep exercising every protocol mapped here."""
    protos = set()
    for capture in CAPTURES:
        gt = json.loads((GROUNDTRUTH / f"{capture}.json").read_text())
        protos |= set(gt["protocol_frames"]) & set(PROTOCOLS)
    assert protos == set(PROTOCOLS) - set(NOT_IN_SHARED)
