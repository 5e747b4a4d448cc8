"""MAC-only assets of the shared captures against tshark: who sends without an IP.

tshark (``eth.src`` of the frames that are not IP, or whose source address no
host owns: ``not ip and not ipv6`` plus DHCP/ARP probes from 0.0.0.0) names the
devices heard on layer 2.  otm must make an asset of each, with its vendor
from the OUI, and must not make two assets of one device: a MAC tshark also
shows as the source of a host IP is the asset of that IP (unless the MAC
fronts several IPs: a router's, which stays an asset of its own, see
``otm.inventory.addresses``).
"""

from __future__ import annotations

import subprocess
from functools import cache
from pathlib import Path

import pytest

from conftest import PCAPS
from otm.capture.readers import open_capture
from otm.inventory.addresses import ROUTER_MIN_IPS
from otm.inventory.builder import build_inventory
from otm.model.assets import Inventory
from otm.sensing.engine import PassiveEngine

CAPTURES = (
    "mb2.pcap",
    "PROFINET-RT.pcap",
    "EIP-IPAddressChangeAttempt.pcap",
    "EIP-RebootorRestart.pcap",
    "enip_cip_example.pcap",
    "ChangeIPUsingDCP.pcap",
    "bacnet-ip.pcap",
    "profinet-wireshark-bug.pcap",
    "modbusAnalog.pcap",
)
"""The shared captures whose frames include some without a host IP."""


@cache
def inventory(capture: str) -> Inventory:
    with open_capture(PCAPS / capture) as reader:
        result = PassiveEngine(ref=capture).run(reader)
    return build_inventory(result.observations)


def _host_ip(ip: str) -> bool:
    if ":" in ip:
        return ip != "::" and not ip.lower().startswith("ff")
    return 0 < int(ip.split(".", maxsplit=1)[0]) < 224


def _device_mac(mac: str) -> bool:
    return bool(mac) and mac != "00:00:00:00:00:00" and not int(mac[:2], 16) & 1


def tshark_senders(tshark: str, capture: Path) -> tuple[dict[str, str], dict[str, set[str]]]:
    """(MAC heard without a host IP -> tshark's OUI name, MAC -> host IPs it sent from)."""
    fields = ["eth.src", "eth.src_resolved", "ip.src", "ipv6.src", "arp.src.hw_mac",
              "arp.src.proto_ipv4"]  # fmt: skip
    cmd = [tshark, "-n", "-N", "m", "-r", str(capture), "-T", "fields", "-E", "separator=|"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    layer2: dict[str, str] = {}
    ips: dict[str, set[str]] = {}
    for line in out.splitlines():
        mac, resolved, ip4, ip6, arp_mac, arp_ip = line.split("|")
        ip = (ip4 or ip6).split(",")[0]  # ICMP errors quote an inner header
        if ip and _host_ip(ip):
            ips.setdefault(mac, set()).add(ip)
            continue
        if arp_mac and _host_ip(arp_ip):
            ips.setdefault(arp_mac, set()).add(arp_ip)
        elif _device_mac(mac):
            layer2[mac] = resolved.split("_")[0] if resolved != mac else ""
    return layer2, ips


def _router(ips: set[str]) -> bool:
    """``otm.inventory.addresses.router_macs``'s rule, over tshark's pairs."""
    v4 = {ip for ip in ips if ":" not in ip}
    return len(v4) >= ROUTER_MIN_IPS or len({ip.rsplit(".", 1)[0] for ip in v4}) > 1


@pytest.mark.tshark
@pytest.mark.parametrize("capture", CAPTURES)
def test_every_layer2_sender_is_one_asset(tshark: str, pcaps: Path, capture: str) -> None:
    layer2, ips = tshark_senders(tshark, pcaps / capture)
    inv = inventory(capture)
    wrong = []
    for mac, oui in sorted(layer2.items()):
        holders = [a for a in inv.assets.values() if mac in a.macs]
        if len(holders) != 1:
            wrong.append(f"{mac}: in {len(holders)} assets")
            continue
        (asset,) = holders
        sent_from = ips.get(mac, set())
        if _router(sent_from):
            if asset.ips:
                wrong.append(f"{mac}: a router's MAC, yet tied to {sorted(asset.ips)}")
        elif not sent_from <= asset.ips or bool(asset.ips) != bool(sent_from):
            wrong.append(f"{mac}: tshark shows IPs {sorted(sent_from)}, otm {sorted(asset.ips)}")
        if oui and not asset.value("mac_vendor"):
            wrong.append(f"{mac}: tshark knows its OUI ({oui}), otm has no vendor")
    assert not wrong, "\n".join(wrong)


@pytest.mark.tshark
def test_the_layer2_senders_are_there_to_judge(tshark: str, pcaps: Path) -> None:
    """The captures above hold MAC-only devices and devices heard both ways."""
    only, both = set(), set()
    for capture in CAPTURES:
        layer2, ips = tshark_senders(tshark, pcaps / capture)
        only |= {m for m in layer2 if m not in ips}
        both |= {m for m in layer2 if m in ips}
    assert len(only) >= 10 and len(both) >= 3
