"""Helpers for the capture tests: a toy framed protocol and recording handlers.

The toy protocol keeps these tests independent of the real codecs:
a PDU is ``A5 | length u16 big-endian | body (length bytes)``; a first byte
other than A5 cannot start a PDU (INVALID).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from otm.capture.interfaces import FlowKey
from otm.capture.walker import PacketWalker

MAGIC = 0xA5
PORT = 1502
UDP_PORT = 2502


def toy_framer(buf: bytes, start: int) -> int:
    """Length of the toy PDU at ``start``; 0 NEED_DATA, -1 INVALID."""
    if start >= len(buf):
        return 0
    if buf[start] != MAGIC:
        return -1
    if len(buf) - start < 3:
        return 0
    length: int = struct.unpack_from(">H", buf, start + 1)[0]
    return 3 + length


def pdu(body: bytes) -> bytes:
    """One toy PDU carrying ``body``."""
    return bytes([MAGIC]) + struct.pack(">H", len(body)) + body


def pdus(count: int, size: int = 10, tag: int = 0) -> list[bytes]:
    """``count`` distinct toy PDUs with bodies of ``size`` bytes."""
    return [pdu(bytes([(tag + i) & 0xFF]) * size + struct.pack(">I", i)) for i in range(count)]


@dataclass
class Recorder:
    """Everything the walker told the handlers of one walker, in order."""

    events: list[tuple[object, ...]] = field(default_factory=list)
    keys: list[FlowKey] = field(default_factory=list)
    hosts: list[tuple[str, str | None, int | None, int]] = field(default_factory=list)
    activity: list[tuple[str, str | None, int | None, int, float]] = field(default_factory=list)
    traffic: list[tuple[FlowKey, float, float, int, int, int]] = field(default_factory=list)
    senders: list[tuple[bool, bool]] = field(default_factory=list)  # per report: client, server
    ether: list[tuple[bytes, str, str, int | None, int]] = field(default_factory=list)

    def stream(self, key: FlowKey, ts: float, frame: int) -> StreamRecorder:
        self.keys.append(key)
        self.events.append(("open", key, frame))
        return StreamRecorder(self, len(self.keys) - 1)

    def datagram(self, key: FlowKey, ts: float, frame: int) -> DatagramRecorder:
        self.keys.append(key)
        self.events.append(("open", key, frame))
        return DatagramRecorder(self, len(self.keys) - 1)

    def host(self, mac: str, ip: str | None, vlan: int | None, frame: int, ts: float) -> None:
        self.hosts.append((mac, ip, vlan, frame))

    def host_active(
        self, mac: str, ip: str | None, vlan: int | None, frame: int, ts: float
    ) -> None:
        self.activity.append((mac, ip, vlan, frame, ts))

    def flow_done(
        self,
        key: FlowKey,
        first_ts: float,
        last_ts: float,
        packets: int,
        octets: int,
        first_frame: int,
        final: bool = True,
        client_sent: bool = True,
        server_sent: bool = True,
    ) -> bool:
        self.traffic.append((key, first_ts, last_ts, packets, octets, first_frame))
        self.senders.append((client_sent, server_sent))
        return True

    def ethernet(
        self, payload: bytes, src_mac: str, dst_mac: str, vlan: int | None, frame: int, ts: float
    ) -> None:
        self.ether.append((payload, src_mac, dst_mac, vlan, frame))

    def pdus(self, flow: int | None = None) -> list[tuple[bytes, bool]]:
        """(PDU, from_client) in delivery order, of one flow or all."""
        return [
            (e[2], e[3])  # type: ignore[misc]
            for e in self.events
            if e[0] == "pdu" and (flow is None or e[1] == flow)
        ]

    def kinds(self) -> list[str]:
        return [str(e[0]) for e in self.events]

    def of(self, kind: str) -> list[tuple[object, ...]]:
        return [e for e in self.events if e[0] == kind]


@dataclass
class StreamRecorder:
    rec: Recorder
    flow: int

    def on_pdu(self, pdu: bytes, from_client: bool, frame: int, ts: float) -> None:
        assert isinstance(pdu, bytes)
        self.rec.events.append(("pdu", self.flow, pdu, from_client, frame))

    def on_gap(self, from_client: bool, frame: int, ts: float, missing: int) -> None:
        self.rec.events.append(("gap", self.flow, from_client, missing, frame))

    def on_invalid(self, data: bytes, from_client: bool, frame: int, ts: float) -> None:
        self.rec.events.append(("invalid", self.flow, data, from_client, frame))

    def on_close(self, ts: float) -> None:
        self.rec.events.append(("close", self.flow, ts))


@dataclass
class DatagramRecorder:
    rec: Recorder
    flow: int

    def on_datagram(self, payload: bytes, from_client: bool, frame: int, ts: float) -> None:
        self.rec.events.append(("datagram", self.flow, payload, from_client, frame))

    def on_close(self, ts: float) -> None:
        self.rec.events.append(("close", self.flow, ts))


def recording_walker(
    tcp_ports: Sequence[int] = (PORT,), udp_ports: Sequence[int] = (UDP_PORT,), **kwargs: object
) -> tuple[PacketWalker, Recorder]:
    """A walker with the toy protocol on ``tcp_ports`` and recorders everywhere."""
    walker = PacketWalker(**kwargs)  # type: ignore[arg-type]
    rec = Recorder()
    for port in tcp_ports:
        walker.register_tcp(port, f"toy{port}", toy_framer, rec.stream)
    for port in udp_ports:
        walker.register_udp(port, f"toyudp{port}", rec.datagram)
    walker.on_host(rec.host)
    walker.on_host_activity(rec.host_active)
    walker.on_traffic(rec.flow_done)
    return walker, rec


def numbered(
    frames: Iterable[bytes], linktype: int = 1, t0: float = 1000.0, step: float = 0.01
) -> list[tuple[int, float, int, bytes]]:
    """Frames as a reader yields them: numbered from 1, ``step`` seconds apart."""
    return [(i + 1, t0 + i * step, linktype, f) for i, f in enumerate(frames)]


def run(
    frames: Iterable[bytes], linktype: int = 1, **kwargs: object
) -> tuple[PacketWalker, Recorder]:
    """Walk Ethernet frames through a recording walker (``finish`` included)."""
    walker, rec = recording_walker(**kwargs)  # type: ignore[arg-type]
    walker.walk(numbered(frames, linktype))
    return walker, rec
