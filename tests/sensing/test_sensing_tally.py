"""The tally's layer-2 bookkeeping: frames straight on Ethernet become links by MAC."""

from __future__ import annotations

from otm.inventory.builder import build_inventory
from otm.observations.records import Communication, Operation, Transport
from otm.sensing.aggregate import Tally

DEVICE = "00:0e:8c:aa:bb:01"
TOOL = "00:1b:1b:02:e6:1f"
GROUP = "01:0e:cf:00:00:00"


def test_l2_frames_are_one_communication_per_pair_and_protocol() -> None:
    tally = Tally("plant.pcap")
    tally.l2_traffic("profinet-dcp", TOOL, GROUP, 60, 10.0, 1)
    tally.l2_traffic("profinet-dcp", TOOL, DEVICE, 90, 11.0, 3)
    tally.l2_traffic("profinet-dcp", TOOL, DEVICE, 70, 12.5, 7)
    tally.l2_traffic("lldp", GROUP, DEVICE, 120, 9.0, 2)
    comms = [o for o in tally.flush() if isinstance(o, Communication)]
    by_key = {(c.client_mac, c.server_mac, c.protocol): c for c in comms}
    assert set(by_key) == {
        (TOOL, GROUP, "profinet-dcp"),
        (TOOL, DEVICE, "profinet-dcp"),
        (GROUP, DEVICE, "lldp"),
    }
    pair = by_key[(TOOL, DEVICE, "profinet-dcp")]
    assert (pair.packets, pair.bytes, pair.first_seen, pair.last_seen) == (2, 160, 11.0, 12.5)
    assert pair.transport is Transport.ETHERNET and pair.port == 0
    assert pair.client_ip is None and pair.server_ip is None
    assert pair.evidence.packet == 3
    # Emitted once: a second flush has nothing left.
    assert not [o for o in tally.flush() if isinstance(o, Communication)]


def test_l2_operations_land_on_the_link_between_macs_and_group_macs_make_no_asset() -> None:
    tally = Tally("plant.pcap")
    tally.l2_traffic("profinet-dcp", TOOL, DEVICE, 90, 11.0, 3)
    tally.l2_traffic("profinet-dcp", TOOL, GROUP, 60, 10.0, 1)
    tally.operation(
        None, None, "profinet-dcp", Transport.ETHERNET, 0, "set_ip", "write", 2, 11.0, 12.0, 3,
        client_mac=TOOL, server_mac=DEVICE,
    )  # fmt: skip
    observations = tally.flush()
    ops = [o for o in observations if isinstance(o, Operation)]
    assert [(o.client_mac, o.server_mac, o.count) for o in ops] == [(TOOL, DEVICE, 2)]
    inv = build_inventory(observations)
    link = inv.links[(TOOL, DEVICE, "profinet-dcp", "ethernet", 0)]
    assert link.operations == {"set_ip": 2} and link.packets == 1
    macs = {m for a in inv.assets.values() for m in a.macs}
    assert DEVICE in macs and TOOL in macs and GROUP not in macs
    device = next(a for a in inv.assets.values() if DEVICE in a.macs)
    assert [(s.name, s.role) for s in device.services] == [("profinet-dcp", "server")]
