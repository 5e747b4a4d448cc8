"""The passive engine: a capture in, observations out.

Wires the capture layer's packet walker to one sensor per protocol (the
registry in ``otm.sensing.registry``), tallies what they learn and returns
the observations.  Hosts and flow totals come from the walker itself; what
the PDUs mean comes from the sensors.

Hosts are ``AssetSeen``: one per (MAC, IP, VLAN) at its first frame, and one
for its last activity at each flush when it was active since: for an IP host
the end of its latest flow (or the flow's checkpoint), for a MAC-only host
(IP None: a device sending only layer-2 frames, see "Hosts" in
``otm.capture.walker``) its latest frame, which the walker tells at each
checkpoint and at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from otm.capture.interfaces import FlowKey
from otm.capture.walker import PacketWalker, WalkStats
from otm.observations.records import Communication, Observation, Transport
from otm.sensing.aggregate import Tally
from otm.sensing.labels import FlowLabels
from otm.sensing.registry import SENSORS

Progress = Callable[[int, int], None]


@dataclass
class SensingStats:
    """Counts for the analysis summary."""

    frames: int = 0
    bytes: int = 0
    industrial_packets: int = 0
    flows: int = 0
    anomalies: dict[str, int] = field(default_factory=dict)
    malformed: dict[str, int] = field(default_factory=dict)
    gaps: int = 0
    values_skipped: dict[str, int] = field(default_factory=dict)
    """``protocol/reason`` -> writes whose value no ``ValueWritten`` holds."""
    walk: WalkStats | None = None


@dataclass
class SensingResult:
    """The observations one source gave, and its counts."""

    observations: list[Observation]
    stats: SensingStats


def flow_answered(transport: str, server_sent: bool) -> bool:
    """Whether a confirmed flow shows its server end serving the protocol.

    UDP: only an answer does, i.e. the server end sent at least one packet
    of the flow.  The walker counts over the whole flow, so a live capture's
    deltas of a flow turn answered with the first answer and stay so.  A host
    that only received, such as the target of a scanner's BACnet, ListIdentity
    or SNMP probes, serves none of them.

    TCP: the handshake does.  A sensor confirms a TCP flow only after
    accepting payload, which a client sends only once the server's SYN-ACK has
    arrived; so a confirmed connection is answered even when the capture holds
    none of the server's packets (a one-way SPAN port or tap), and
    ``server_sent`` (its SYN-ACK or a later segment captured) is not needed.
    """
    return server_sent or transport != "udp"


class PassiveEngine:
    """Runs every registered sensor over the frames of one source."""

    def __init__(self, ref: str, source: str = "capture") -> None:
        self.tally = Tally(ref, source)
        self.walker = PacketWalker()
        self.labels = FlowLabels()
        for sensor in SENSORS:
            sensor.register(self.walker, self.tally, self.labels)
        self.walker.on_host(self._host)
        self.walker.on_host_activity(self._host_active)
        self.walker.on_traffic(self._traffic)
        self._industrial = 0
        self._flows = 0

    def _host(self, mac: str, ip: str | None, vlan: int | None, frame: int, ts: float) -> None:
        self.tally.host(mac, ip, vlan, ts, frame)

    def _host_active(
        self, mac: str, ip: str | None, vlan: int | None, frame: int, ts: float
    ) -> None:
        self.tally.touch_host(mac, ip, vlan, ts, frame)

    def _traffic(
        self,
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
        """A flow's totals become a ``Communication`` when a sensor confirmed
        its protocol.  ``answered``: see ``flow_answered``."""
        self.tally.touch_host(key.client_mac, key.client_ip, key.vlan, last_ts, 0)
        self.tally.touch_host(key.server_mac, key.server_ip, key.vlan, last_ts, 0)
        labels = self.labels
        protocol = labels.protocol.pop(key, None) if final else labels.protocol.get(key)
        if not protocol:
            return False
        if key in labels.reversed:
            if final:
                labels.reversed.discard(key)
            server_sent = client_sent
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
        self._industrial += packets
        self._flows += 1
        self.tally.communication(
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
                self.tally.evidence(first_frame, f"first {protocol} packet of the flow"),
                flow_answered(key.transport, server_sent),
            )
        )
        return True

    def run(
        self, frames: Iterable[tuple[int, float, int, bytes]], progress: Progress | None = None
    ) -> SensingResult:
        """Walk every frame, then flush the tally."""
        self.walker.walk(frames, progress)
        return self._result(frames)

    def feed(self, frames: Iterable[tuple[int, float, int, bytes]]) -> None:
        """A live source: walk these frames; flows stay open for more."""
        self.walker.advance(frames)

    def checkpoint(self) -> list[Observation]:
        """A live source: what was learnt since the previous checkpoint, open
        flows included (their traffic and counts so far, as deltas)."""
        self.walker.checkpoint()
        return self.tally.flush()

    def finish(self) -> SensingResult:
        """A live source ends: close every flow and flush the rest."""
        self.walker.finish()
        return self._result(None)

    def _result(self, frames: object) -> SensingResult:
        ws = self.walker.stats
        # The reader counts frames exactly as Wireshark numbers them; the
        # walker's own total is the fallback for plain iterables.
        counted = getattr(frames, "frames", None)
        stats = SensingStats(
            frames=counted if isinstance(counted, int) else ws.frames,
            bytes=ws.bytes,
            industrial_packets=self._industrial,
            flows=self._flows,
            anomalies=dict(self.tally.anomaly_totals),
            malformed=dict(ws.malformed),
            gaps=ws.gaps,
            values_skipped=dict(self.tally.values_skipped),
            walk=ws,
        )
        return SensingResult(self.tally.flush(), stats)
