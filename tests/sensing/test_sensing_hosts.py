"""Hosts as the passive engine reports them: IP hosts and MAC-only hosts.

A device heard only on layer 2 (STP, LLDP, DCP before it has an address) is
an ``AssetSeen`` with IP None at its first frame, and again with its last
activity; a MAC already heard with an IP is that host, not a second one.
"""

from __future__ import annotations

from otm.capture import frames as fb
from otm.observations.records import AssetSeen, Observation
from otm.sensing.engine import PassiveEngine

SWITCH, PLC, HMI = "00:1b:1b:02:e6:1f", "00:1b:1b:35:84:10", "00:0c:29:00:00:01"
LLDP_DST = "01:80:c2:00:00:0e"
BPDU = b"\x42\x42\x03" + bytes(35)


def _stp(src: str) -> bytes:
    return fb.ethernet("01:80:c2:00:00:00", src, len(BPDU), BPDU)


def _seen(observations: list[Observation]) -> list[tuple[str | None, str | None, int | None, str]]:
    return [
        (o.mac, o.ip, o.evidence.packet, o.evidence.message)
        for o in observations
        if isinstance(o, AssetSeen)
    ]


def _frames(frames: list[bytes]) -> list[tuple[int, float, int, bytes]]:
    return [(i + 1, 100.0 + i, 1, f) for i, f in enumerate(frames)]


def test_a_layer2_only_device_is_seen_first_and_last() -> None:
    result = PassiveEngine("t.pcap").run(_frames([_stp(SWITCH), _stp(SWITCH), _stp(SWITCH)]))
    assert _seen(result.observations) == [
        (SWITCH, None, 1, "frame source"),
        (SWITCH, None, 3, "last activity of the host"),
    ]


def test_a_device_known_by_its_ip_is_not_seen_again_by_its_mac() -> None:
    s = fb.TcpSession("10.0.0.9", 40000, "10.0.0.5", 502, HMI, PLC)
    frames = [*s.handshake(), fb.ethernet(LLDP_DST, PLC, 0x88CC, bytes(40)), _stp(SWITCH)]
    seen = _seen(PassiveEngine("t.pcap").run(_frames(frames)).observations)
    assert [(mac, ip) for mac, ip, _, why in seen if why == "frame source"] == [
        (HMI, "10.0.0.9"),
        (PLC, "10.0.0.5"),
        (SWITCH, None),
    ]


def test_live_checkpoints_carry_the_last_activity_of_layer2_devices() -> None:
    engine = PassiveEngine("eth0", source="live")
    frames = _frames([_stp(SWITCH)] * 4)
    engine.feed(frames[:1])
    assert _seen(engine.checkpoint()) == [(SWITCH, None, 1, "frame source")]
    engine.feed(frames[1:3])
    assert _seen(engine.checkpoint()) == [(SWITCH, None, 3, "last activity of the host")]
    assert _seen(engine.checkpoint()) == []
    engine.feed(frames[3:])
    assert _seen(engine.finish().observations) == [(SWITCH, None, 4, "last activity of the host")]
