"""Test helper: frames through a walker with only the OPC UA sensor, like the engine.

``sense`` wires a ``PacketWalker`` to ``OpcUaSensor`` and to the host and
traffic handlers the way ``otm.sensing.engine.PassiveEngine`` does (a flow a
sensor confirmed becomes a ``Communication``, turned round when the sensor
said the walker had the roles wrong), so a test sees exactly what the sensor
contributes to an inventory.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from otm.capture.interfaces import FlowKey
from otm.capture.readers import open_capture
from otm.capture.walker import PacketWalker
from otm.inventory.builder import build_inventory
from otm.model.assets import Asset, Inventory
from otm.observations.records import Communication, Observation, Transport
from otm.sensing.aggregate import Tally
from otm.sensing.labels import FlowLabels
from otm.sensing.opcua import OpcUaSensor

Frame = tuple[int, float, int, bytes]


def sense(
    frames: Iterable[Frame], ref: str = "test", ports: tuple[int, ...] = (4840,)
) -> list[Observation]:
    """The observations of ``frames`` with the OPC UA sensor alone."""
    tally, labels, walker = Tally(ref), FlowLabels(), PacketWalker()
    OpcUaSensor(ports).register(walker, tally, labels)

    def host(mac: str, ip: str | None, vlan: int | None, frame: int, ts: float) -> None:
        tally.host(mac, ip, vlan, ts, frame)

    def traffic(
        key: FlowKey,
        first_ts: float,
        last_ts: float,
        packets: int,
        octets: int,
        first_frame: int,
        final: bool = True,
    ) -> bool:
        protocol = labels.protocol.pop(key, None)
        if not protocol:
            return False
        if key in labels.reversed:
            labels.reversed.discard(key)
            key = FlowKey(
                key.transport,
                key.server_ip,
                key.server_port,
                key.client_ip,
                key.client_port,
                key.server_mac,
                key.client_mac,
                key.vlan,
            )
        tally.communication(
            Communication(
                first_ts,
                last_ts,
                key.client_ip,
                key.server_ip,
                key.client_mac,
                key.server_mac,
                protocol,
                Transport(key.transport),
                key.server_port,
                packets,
                octets,
                tally.evidence(first_frame, f"first {protocol} packet of the flow"),
            )
        )
        return True

    walker.on_host(host)
    walker.on_traffic(traffic)
    walker.walk(frames)
    return tally.flush()


def sense_capture(path: Path) -> list[Observation]:
    with open_capture(path) as reader:
        return sense(reader, path.name)


def inventory(observations: Iterable[Observation]) -> Inventory:
    return build_inventory(observations)


def assets_at(inv: Inventory, ip: str) -> list[Asset]:
    return [a for a in inv.assets.values() if ip in a.ips]


def values(asset: Asset, name: str, component: str | None = None) -> set[object]:
    """Every value of a field on the asset (or on one of its components, or all)."""
    if component is not None:
        comp = asset.components.get(component)
        return {v.value for v in comp.fields.get(name, [])} if comp else set()
    lists = [asset.fields.get(name, [])]
    lists += [c.fields.get(name, []) for c in asset.components.values()]
    return {v.value for vs in lists for v in vs}
