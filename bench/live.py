"""Benchmark: how many packets per second ``otm sensor``'s pipeline sustains live.

Two network namespaces joined by a veth pair: a sender namespace replays
Modbus/TCP polling frames (many connections, request and response) through an
AF_PACKET socket at a set rate; the sensor namespace runs otm's live capture
(libpcap through pcapy-ng, reader thread, bounded queue) feeding the passive
engine, exactly as ``otm sensor`` does minus the database writes.  Each rate
runs for a few seconds; the sensor reports frames received, its own drops
(queue full: the engine fell behind) and the kernel's drops (ring full).

Prints, per offered rate, the rate achieved by the sender, frames received,
drops, and the sensor's CPU time per frame; then the ceiling: the highest
offered rate with zero drops.  The sender is plain Python and shares the
machine (two cores here) with the sensor, so at high rates it is the sender
that limits; the figure printed is what this machine sustains, not a bound
of otm.  Needs root (namespaces).  No timing is asserted anywhere.

Usage: ``sudo python bench/live.py [--rates 25000,50000,...] [--seconds 5]``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from otm.capture.frames import TcpSession
from otm.capture.live import LiveCapture
from otm.protocols.modbus import codec
from otm.protocols.modbus.messages import Adu, ReadRegistersResponse, ReadRequest
from otm.sensing.engine import PassiveEngine

HERE = Path(__file__).resolve().parent
SENSOR_MAC, SENDER_MAC = "00:80:f4:00:00:01", "00:1b:1b:00:00:02"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def polling_frames(connections: int = 64, polls: int = 200) -> list[bytes]:
    """Modbus/TCP read-holding-registers polls and responses on many connections."""
    frames: list[bytes] = []
    sessions = []
    for c in range(connections):
        s = TcpSession(f"10.9.{c // 200}.{c % 200 + 1}", 40000 + c, f"10.8.0.{c % 50 + 1}", 502,
                       client_mac="02:00:00:00:01:01", server_mac="02:00:00:00:02:02")  # fmt: skip
        frames += s.handshake()
        sessions.append(s)
    for i in range(polls):
        for s in sessions:
            req = codec.encode_adu(Adu(i & 0xFFFF, 1, ReadRequest(3, 0, 10)))
            resp = codec.encode_adu(Adu(i & 0xFFFF, 1, ReadRegistersResponse(3, tuple(range(10)))))
            frames += s.send(req, from_client=True) + s.send(resp, from_client=False)
    return frames


def run_sensor(interface: str, seconds: float) -> None:
    """Sensor role: capture for ``seconds`` after the first frame, print JSON figures."""
    capture = LiveCapture(interface, "tcp port 502").start()
    engine = PassiveEngine(ref=interface, source="live")
    print("ready", flush=True)
    frames = 0
    first = None
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    for batch in capture.batches(wait=0.2):
        if batch:
            if first is None:
                first = time.monotonic()
            engine.feed(batch)
            frames += len(batch)
        if first is not None and time.monotonic() - first > seconds + 1.5:
            capture.stop()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    engine.finish()
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    s = capture.stats
    figures = {
        "frames": frames,
        "own_drops": s.own_drops,
        "kernel_drops": s.kernel_drops,
        "interface_drops": s.interface_drops,
        "cpu_us_per_frame": 1e6 * cpu / frames if frames else 0.0,
    }
    print(json.dumps(figures), flush=True)


def run_sender(interface: str, rate: int, seconds: float) -> None:
    """Sender role: replay the polling frames at ``rate`` frames/s for ``seconds``."""
    frames = polling_frames()
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((interface, 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
    send = sock.send
    total = int(rate * seconds)
    burst = max(1, rate // 1000)  # one burst a millisecond
    sent = 0
    start = time.monotonic()
    n = len(frames)
    while sent < total:
        for _ in range(burst):
            with contextlib.suppress(BlockingIOError):
                send(frames[sent % n])
            sent += 1
        ahead = sent / rate - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
    elapsed = time.monotonic() - start
    print(json.dumps({"sent": sent, "achieved": sent / elapsed}), flush=True)


def measure(rates: list[int], seconds: float) -> None:
    tag = uuid.uuid4().hex[:6]
    a, b = f"otmb-{tag}-tx", f"otmb-{tag}-rx"
    try:
        for ns in (a, b):
            _ip("netns", "add", ns)
        _ip("link", "add", "name", f"tx{tag}", "type", "veth", "peer", "name", f"rx{tag}")
        _ip("link", "set", f"tx{tag}", "netns", a)
        _ip("link", "set", f"rx{tag}", "netns", b)
        for ns, dev, mac in ((a, f"tx{tag}", SENDER_MAC), (b, f"rx{tag}", SENSOR_MAC)):
            subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw",
                            "net.ipv6.conf.all.disable_ipv6=1"], check=False)  # fmt: skip
            _ip("-n", ns, "link", "set", dev, "address", mac)
            _ip("-n", ns, "link", "set", dev, "up")
        print(f"{'offered/s':>10} {'sent/s':>10} {'received':>10} {'own drop':>9} "
              f"{'kernel drop':>11} {'µs cpu/frame':>13}")  # fmt: skip
        ceiling = 0
        for rate in rates:
            me = [sys.executable, __file__]
            sensor = subprocess.Popen(
                ["ip", "netns", "exec", b, *me, "--role", "sensor", "--interface", f"rx{tag}",
                 "--seconds", str(seconds)],
                stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            assert sensor.stdout is not None
            assert sensor.stdout.readline().strip() == "ready"
            sender = subprocess.run(
                ["ip", "netns", "exec", a, *me, "--role", "sender", "--interface", f"tx{tag}",
                 "--rate", str(rate), "--seconds", str(seconds)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            tx = json.loads(sender.stdout)
            rx = json.loads(sensor.stdout.read())
            sensor.wait()
            drops = rx["own_drops"] + rx["kernel_drops"] + rx["interface_drops"]
            print(f"{rate:>10,} {tx['achieved']:>10,.0f} {rx['frames']:>10,} "
                  f"{rx['own_drops']:>9,} {rx['kernel_drops']:>11,} "
                  f"{rx['cpu_us_per_frame']:>13.1f}")  # fmt: skip
            if drops == 0 and rx["frames"] >= tx["sent"]:
                ceiling = max(ceiling, int(tx["achieved"]))
        print(f"ceiling: {ceiling:,} frames/s with zero drops "
              f"(sender and sensor sharing {os.cpu_count()} CPUs)")  # fmt: skip
    finally:
        for ns in (a, b):
            subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--role", choices=("measure", "sensor", "sender"), default="measure")
    parser.add_argument("--interface", default="")
    parser.add_argument("--rate", type=int, default=50_000)
    parser.add_argument("--rates", default="25000,50000,75000,100000,150000")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    if args.role == "sensor":
        run_sensor(args.interface, args.seconds)
    elif args.role == "sender":
        run_sender(args.interface, args.rate, args.seconds)
    else:
        measure([int(r) for r in args.rates.split(",")], args.seconds)


if __name__ == "__main__":
    main()
