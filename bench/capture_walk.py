"""Benchmark: the capture layer alone (read + link/IP/TCP + flows + reassembly).

Generates (once, cached under ``bench/out/``) a pcap of polling traffic as
a plant's SPAN port shows it: Modbus/TCP clients polling servers on 502 and
EtherNet/IP explicit messaging on 44818 (request, response, bare ACK), a few
PDUs split over two segments, some UDP and ARP.  Then measures, in this
process:

- read: iterating ``open_capture`` alone;
- walk: ``PacketWalker.walk`` over frames already in memory, with framers
  and handlers that do nothing (the walk's own cost);
- read + walk: ``PacketWalker.walk(open_capture(...))``.

Prints packets/s and µs/packet; no figure is asserted anywhere.

Usage: ``python bench/capture_walk.py [--packets N] [--rebuild] [--repeat R]``
"""

from __future__ import annotations

import argparse
import random
import struct
import time
from pathlib import Path

from otm.capture.frames import ETH_ARP, TcpSession, arp, ethernet, ipv4, udp
from otm.capture.interfaces import FlowKey
from otm.capture.readers import open_capture
from otm.capture.walker import PacketWalker
from otm.capture.writer import PcapWriter

OUT = Path(__file__).resolve().parent / "out"


def mbap(buf: bytes, start: int) -> int:
    """Modbus/TCP framer: 7-byte MBAP header, length at offset 4 counts from the unit id."""
    if len(buf) - start < 7:
        return 0
    proto, length = struct.unpack_from(">HH", buf, start + 2)
    return 6 + length if proto == 0 and 2 <= length <= 254 else -1


def enip(buf: bytes, start: int) -> int:
    """EtherNet/IP framer: 24-byte encapsulation header, little-endian length at 2."""
    if len(buf) - start < 24:
        return 0
    return 24 + int.from_bytes(buf[start + 2 : start + 4], "little")


class _Null:
    """A stream handler that only counts."""

    pdus = 0

    def on_pdu(self, pdu: bytes, from_client: bool, frame: int, ts: float) -> None:
        _Null.pdus += 1

    def on_gap(self, from_client: bool, frame: int, ts: float, missing: int) -> None:
        pass

    def on_invalid(self, data: bytes, from_client: bool, frame: int, ts: float) -> None:
        pass

    def on_close(self, ts: float) -> None:
        pass


class _NullDatagram:
    def on_datagram(self, payload: bytes, from_client: bool, frame: int, ts: float) -> None:
        pass

    def on_close(self, ts: float) -> None:
        pass


def _stream(key: FlowKey, ts: float, frame: int) -> _Null:
    return _Null()


def _datagram(key: FlowKey, ts: float, frame: int) -> _NullDatagram:
    return _NullDatagram()


def build(path: Path, packets: int) -> int:
    """Write the generated capture; returns its frame count."""
    rng = random.Random(7)
    sessions: list[tuple[str, TcpSession]] = []
    for i in range(24):
        s = TcpSession(f"10.1.0.{10 + i % 4}", 40000 + i, f"10.1.1.{20 + i}", 502,
                       f"00:1d:9c:00:00:{10 + i % 4:02x}", f"00:80:f4:00:01:{20 + i:02x}",
                       client_isn=rng.getrandbits(32), server_isn=rng.getrandbits(32))  # fmt: skip
        sessions.append(("modbus", s))
    for i in range(8):
        s = TcpSession(f"10.1.0.{30 + i % 2}", 50000 + i, f"10.1.2.{20 + i}", 44818,
                       f"00:1d:9c:00:00:{30 + i % 2:02x}", f"00:00:bc:00:02:{20 + i:02x}",
                       client_isn=rng.getrandbits(32), server_isn=rng.getrandbits(32))  # fmt: skip
        sessions.append(("enip", s))
    written = 0
    ts = 1_700_000_000.0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        writer = PcapWriter(fh)

        def put(frames: list[bytes]) -> None:
            nonlocal written, ts
            for frame in frames:
                ts += 0.0002
                writer.write(ts, frame)
                written += 1

        for _, s in sessions:
            put(s.handshake())
        tid = 0
        while written < packets:
            kind, s = sessions[rng.randrange(len(sessions))]
            tid = (tid + 1) & 0xFFFF
            if kind == "modbus":
                count = rng.choice((1, 2, 10, 50))
                req = struct.pack(">HHHBBHH", tid, 0, 6, 1, 3, 0, count)
                resp = struct.pack(">HHHBBB", tid, 0, 3 + 2 * count, 1, 3, 2 * count)
                resp += bytes(2 * count)
            else:
                body = bytes(16) + bytes(rng.randrange(8, 120))
                req = struct.pack("<HHI", 0x6F, len(body), 0x1234) + bytes(16) + body
                resp = (
                    struct.pack("<HHI", 0x6F, len(body) + 4, 0x1234) + bytes(16) + body + bytes(4)
                )
            put(s.send(req, True))
            split = 2 if rng.random() < 0.02 else 1
            put(s.send(resp, False, segments=split))
            put([s.ack(True)])
            if rng.random() < 0.01:
                io = udp(2222, 2222, bytes(rng.randrange(20, 200)))
                packet = ipv4("10.1.0.40", "239.192.1.1", 17, io)
                put([ethernet("01:00:5e:00:00:01", "00:1d:9c:00:00:40", 0x0800, packet)])
            if rng.random() < 0.002:
                who = arp(1, "00:1d:9c:00:00:41", "10.1.0.41", bytes(6), "10.1.0.1")
                put([ethernet("ff:ff:ff:ff:ff:ff", "00:1d:9c:00:00:41", ETH_ARP, who)])
        for _, s in sessions:
            put(s.close())
    return written


def walker() -> PacketWalker:
    w = PacketWalker()
    w.register_tcp(502, "modbus", mbap, _stream)
    w.register_tcp(44818, "enip", enip, _stream)
    w.register_udp(2222, "enip-io", _datagram)
    w.on_host(lambda mac, ip, vlan, frame, ts: None)
    w.on_traffic(lambda key, first, last, packets, octets, frame, final, sent, answered: True)
    return w


def best(repeat: int, fn: object) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--packets", type=int, default=250_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path = OUT / f"capture-walk-{args.packets}.pcap"
    if args.rebuild or not path.exists():
        t = time.perf_counter()
        n = build(path, args.packets)
        print(f"built {path.name}: {n} frames in {time.perf_counter() - t:.1f} s")
    with open_capture(path) as reader:
        frames = list(reader)
    n = len(frames)

    def read() -> None:
        with open_capture(path) as reader:
            for _ in reader:
                pass

    def walk() -> None:
        walker().walk(frames)

    def both() -> None:
        with open_capture(path) as reader:
            walker().walk(reader)

    _Null.pdus = 0
    walk()
    print(f"capture: {n} frames, {path.stat().st_size / 1e6:.1f} MB, {_Null.pdus} PDUs delivered")
    for label, fn in (("read", read), ("walk", walk), ("read + walk", both)):
        seconds = best(args.repeat, fn)
        print(f"{label:12} {n / seconds:>10,.0f} packets/s  {seconds / n * 1e6:6.2f} µs/packet")


if __name__ == "__main__":
    main()
