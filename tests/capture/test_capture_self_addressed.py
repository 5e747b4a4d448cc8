"""A host sending UDP to itself, from and to one port, is one conversation counted once."""

from __future__ import annotations

from otm.capture.frames import ETH_IPV4, PROTO_UDP, ethernet, ipv4, udp
from otm.capture.interfaces import FlowKey
from otm.capture.walker import PacketWalker

MAC = "02:00:00:00:00:09"
IP = "169.254.255.42"


def test_self_addressed_udp_is_one_flow_counted_once() -> None:
    walker = PacketWalker()
    reports: list[tuple[FlowKey, int]] = []

    def traffic(
        key: FlowKey,
        first_ts: float,
        last_ts: float,
        packets: int,
        octets: int,
        first_frame: int,
        final: bool,
        client_sent: bool,
        server_sent: bool,
    ) -> bool:
        assert client_sent and server_sent  # the host is both ends
        reports.append((key, packets))
        return True

    walker.on_traffic(traffic)
    frame = ethernet(MAC, MAC, ETH_IPV4, ipv4(IP, IP, PROTO_UDP, udp(1740, 1740, b"x" * 12)))
    for n in range(1, 4):
        walker.feed(n, 100.0 + n, 1, frame)
    assert walker.stats.frames == 3
    walker.finish()
    assert walker.stats.frames == 3
    assert [packets for _, packets in reports] == [3]
