"""LLDP and CDP advertisements -> observations.

Both run straight on Ethernet (LLDP EtherType 0x88CC; CDP in 802.3 + SNAP
with Cisco's OUI, which the capture layer reports as ``ETHERTYPE_CDP``) and
carry no requests: every frame is a device announcing itself and the port
it sent from.  Each frame counts as traffic from the sender (the server) to
the group address (the client, of which the inventory makes no asset).

A device repeats the same advertisement every 30 s (LLDP) or 60 s (CDP), so
what a frame teaches is cached by (sender MAC, payload bytes): a frame is
decoded once, its repeats only refresh the identity's last-seen time.

Identity (``ip`` is the first usable management address the device names,
else None; ``mac`` the sender's source MAC):

- LLDP: system name -> ``name``, system description -> ``description``,
  chassis id -> ``lldp_chassis_id`` (and ``lldp_chassis_mac`` when it is a
  MAC), enabled (else supported) capabilities -> ``capabilities``,
  ``management_ip``, and the neighbour facts ``lldp_port_id``,
  ``lldp_port_description``, ``vlan_id`` (802.1 port VLAN id); PROFINET's
  alias and chassis MAC -> ``lldp_profinet_alias``,
  ``lldp_profinet_chassis_mac``;
- CDP: device id -> ``name``, platform -> ``model``, first line of the
  software version -> ``firmware``, ``capabilities``, ``management_ip``,
  port id -> ``lldp_port_id`` and native VLAN -> ``vlan_id`` (the same
  neighbour names as LLDP, so topology reads one set), VTP domain ->
  ``cdp_vtp_domain``, duplex -> ``cdp_duplex``, system name ->
  ``cdp_system_name``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from otm.capture.link import ETHERTYPE_CDP
from otm.capture.walker import PacketWalker
from otm.protocols.cdp import codec as cdp
from otm.protocols.cdp import messages as cdp_m
from otm.protocols.common import Anomaly
from otm.protocols.lldp import codec as lldp
from otm.protocols.lldp import messages as lldp_m
from otm.protocols.lldp.constants import ETHERTYPE_LLDP
from otm.sensing.aggregate import Tally
from otm.sensing.labels import FlowLabels

LLDP = "lldp"
CDP = "cdp"

ETHERNET_HEADER = 14
"""Bytes before the payload the walker hands over (no VLAN tag); traffic
counts add it to the payload, an approximation of the frame length."""

MAX_CACHE = 4096
"""Distinct (sender, advertisement) pairs remembered: one per port of every
switch and device in view, which a plant network stays well under.  When
full the cache starts afresh (the cost is a decode per new frame)."""

_Learned = tuple[str | None, dict[str, str | int], str] | tuple[str, str]
"""What one advertisement taught: (ip, identity fields, message), or
(anomaly kind, detail) when it was broken."""


class LldpSensor:
    """Registers the LLDP and CDP handlers."""

    def register(self, walker: PacketWalker, tally: Tally, labels: FlowLabels) -> None:
        """Attach to the walker (no flows: ``labels`` is not needed)."""
        handler = DiscoveryHandler(tally)
        walker.register_ethertype(ETHERTYPE_LLDP, handler.on_lldp, LLDP)
        walker.register_ethertype(ETHERTYPE_CDP, handler.on_cdp, CDP)


class DiscoveryHandler:
    """Turns LLDP and CDP frames into traffic counts, identity and anomalies."""

    __slots__ = ("cache", "tally")

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self.cache: dict[tuple[str, str, bytes], _Learned] = {}

    def on_lldp(
        self, payload: bytes, src_mac: str, dst_mac: str, vlan: int | None, frame: int, ts: float
    ) -> None:
        """One LLDP frame (payload after the EtherType)."""
        self._frame(LLDP, payload, src_mac, dst_mac, frame, ts)

    def on_cdp(
        self, payload: bytes, src_mac: str, dst_mac: str, vlan: int | None, frame: int, ts: float
    ) -> None:
        """One CDP frame (payload after the SNAP header)."""
        self._frame(CDP, payload, src_mac, dst_mac, frame, ts)

    def _frame(
        self, protocol: str, payload: bytes, src: str, dst: str, frame: int, ts: float
    ) -> None:
        tally = self.tally
        octets = len(payload) + ETHERNET_HEADER
        tally.l2_traffic(protocol, dst or None, src or None, octets, ts, frame)
        key = (protocol, src, payload)
        learned = self.cache.get(key)
        if learned is None:
            learned = lldp_identity(payload) if protocol == LLDP else cdp_identity(payload)
            if len(self.cache) >= MAX_CACHE:
                self.cache.clear()
            self.cache[key] = learned
        if len(learned) == 2:
            kind, detail = learned
            tally.anomaly(protocol, kind, None, ts, frame, f"from {src}: {detail}")
            return
        ip, fields, message = learned
        tally.identity(ip, src or None, protocol, fields, ts, frame, message)


def lldp_identity(payload: bytes) -> _Learned:
    """What an LLDPDU says about its sender: (ip, fields, message) or (kind, detail)."""
    decoded = lldp.decode_lldpdu(payload)
    if isinstance(decoded, Anomaly):
        return decoded.kind.value, decoded.detail
    n = lldp.neighbour(decoded)
    fields: dict[str, str | int] = {"lldp_chassis_id": n.chassis, "lldp_port_id": n.port}
    mac = decoded.chassis_id.mac
    if mac is not None:
        fields["lldp_chassis_mac"] = mac
    if n.system_name:
        fields["name"] = n.system_name
    description = decoded.first(lldp_m.SystemDescription)
    if description is not None and description.text:
        fields["description"] = description.text
    if n.capabilities:
        fields["capabilities"] = ",".join(n.capabilities)
    if n.port_description:
        fields["lldp_port_description"] = n.port_description
    if n.vlan_id:
        fields["vlan_id"] = n.vlan_id
    alias = decoded.first(lldp_m.ProfinetAlias)
    if alias is not None and alias.text:
        fields["lldp_profinet_alias"] = alias.text
    chassis_mac = decoded.first(lldp_m.ProfinetChassisMac)
    if chassis_mac is not None:
        fields["lldp_profinet_chassis_mac"] = chassis_mac.text
    ip = _management_ip(a.ip for a in decoded.all(lldp_m.ManagementAddress))
    if ip is not None:
        fields["management_ip"] = ip
    return ip, fields, "lldp advertisement"


def cdp_identity(payload: bytes) -> _Learned:
    """What a CDP packet says about its sender: (ip, fields, message) or (kind, detail).

    A packet whose checksum is wrong is an anomaly (``bad_checksum``): it was
    damaged on the way, and a receiver drops it.
    """
    decoded = cdp.decode_cdp(payload)
    if isinstance(decoded, Anomaly):
        return decoded.kind.value, decoded.detail
    if not cdp.verify_checksum(decoded):
        return "bad_checksum", f"checksum 0x{decoded.checksum:04x}"
    n = cdp.neighbour(decoded)
    fields: dict[str, str | int] = {}
    if n.chassis:
        fields["name"] = n.chassis
    if n.port:
        fields["lldp_port_id"] = n.port
    platform = decoded.first(cdp_m.Platform)
    if platform is not None and platform.text:
        fields["model"] = platform.text
    software = decoded.first(cdp_m.SoftwareVersion)
    if software is not None and software.first_line:
        fields["firmware"] = software.first_line
    if n.capabilities:
        fields["capabilities"] = ",".join(n.capabilities)
    if n.vlan_id is not None:
        fields["vlan_id"] = n.vlan_id
    vtp = decoded.first(cdp_m.VtpManagementDomain)
    if vtp is not None and vtp.text:
        fields["cdp_vtp_domain"] = vtp.text
    duplex = decoded.first(cdp_m.Duplex)
    if duplex is not None:
        fields["cdp_duplex"] = duplex.text
    name = decoded.first(cdp_m.SystemName)
    if name is not None and name.text:
        fields["cdp_system_name"] = name.text
    addresses = decoded.first(cdp_m.ManagementAddresses) or decoded.first(cdp_m.Addresses)
    ip = _management_ip(a.ip for a in addresses.addresses) if addresses else None
    if ip is not None:
        fields["management_ip"] = ip
    return ip, fields, "cdp advertisement"


def _management_ip(candidates: Iterable[str | None]) -> str | None:
    """The first address a host can own (not unspecified, loopback, multicast,
    reserved or the IPv4 broadcast): devices announce 0.0.0.0 when they have none."""
    for text in candidates:
        if text is None:
            continue
        addr = ipaddress.ip_address(text)
        if addr.is_unspecified or addr.is_loopback or addr.is_multicast or addr.is_reserved:
            continue
        return text
    return None
