"""A live source reports as it goes: checkpoints must add up to the whole.

The live sensor feeds frames in batches and, every few seconds, takes a
checkpoint (open flows report their traffic and counts so far, as deltas).
Walking a real capture that way, with a checkpoint after every few frames,
must give the same inventory as analysing the file in one go: the same
assets with the same facts, the same links with the same packet, byte and
operation counts.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import pytest

from otm.capture.readers import open_capture
from otm.inventory.builder import build_inventory
from otm.model.assets import Inventory
from otm.observations.records import Observation
from otm.sensing.engine import PassiveEngine

CAPTURES = [
    "mb2.pcap",
    "EIP-IPAddressChangeAttempt.pcap",
    "snap7_s300_everything.pcapng",
    "modbusSmall.pcap",
    "SNMP_NTP_SysLog_00000_20060404163209.pcap",
    "snmp.pcap",
    "dnp3.pcap",
    "104deneme.pcap",
    "bacnet-ip.pcap",
    "omron.pcap",
    "python_opcua-client-server_minimal.pcap",
    "mmsy.pcap",
    "ChangeIPUsingDCP.pcap",
    "PROFINET-RT.pcap",  # MAC-only hosts: their last activity comes at checkpoints too
]


def _summary(inv: Inventory) -> tuple[object, object]:
    assets = {
        a.id: (
            sorted(a.ips), sorted(a.macs), a.first_seen, a.last_seen,
            sorted((s.name, s.role, s.transport, s.port) for s in a.services),
            {k: sorted(str(v.value) for v in vs) for k, vs in a.fields.items()},
        )
        for a in inv.assets.values()
    }  # fmt: skip
    links = {
        key: (link.packets, link.bytes, link.first_seen, link.last_seen, dict(link.operations))
        for key, link in inv.links.items()
    }
    return assets, links


@pytest.mark.parametrize("capture", CAPTURES)
@pytest.mark.parametrize("every", [3, 40])
def test_checkpoints_add_up_to_the_whole(pcaps: Path, capture: str, every: int) -> None:
    with open_capture(pcaps / capture) as reader:
        whole = PassiveEngine(ref=capture).run(reader).observations
    engine = PassiveEngine(ref=capture)
    pieces: list[Observation] = []
    checkpoints = 0
    with open_capture(pcaps / capture) as reader:
        frames = iter(reader)
        while batch := list(islice(frames, every)):
            engine.feed(batch)
            pieces += engine.checkpoint()
            checkpoints += 1
    pieces += engine.finish().observations
    frames = engine.walker.stats.frames
    assert checkpoints == -(-frames // every)  # every batch was followed by a checkpoint
    assert _summary(build_inventory(pieces)) == _summary(build_inventory(whole))
