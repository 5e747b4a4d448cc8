"""Benchmark: otm's passive dissection + inventory against tshark on the same capture.

Builds (once, cached under ``bench/out/``) a capture of at least 1,000,000
packets from the shared public captures — mostly Modbus/TCP and
EtherNet/IP, with S7comm and IT traffic — by replaying them many times with
addresses rewritten so that copies do not collide (copy ``k`` moves every
IPv4 address into ``10.k/16``-style space by replacing its second octet and
the MACs' fourth byte) and times shifted to follow each other.  Then runs, each
in its own child process so peak memory is measured apart:

- otm: read + dissect + tally observations + build the inventory;
- tshark: ``tshark -n -r F -q -z conv,ip`` (the peer the issue names).

Prints packets/s, peak resident memory, and the ratio otm/tshark.  Memory
flatness is shown by running otm on a quarter of the file too.  No timing is
asserted anywhere; these are figures for the README.

Usage: ``python bench/passive.py [--packets N] [--rebuild]``
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from otm.capture.readers import open_capture
from otm.capture.writer import PcapWriter

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SHARED = ROOT.parent / "shared" / "pcaps"
OUT = HERE / "out"

SOURCES = (
    "mb2.pcap",  # Modbus, EtherNet/IP, S7comm, IT
    "modbusAnalog.pcap",
    "modicon_test.pcap",
    "enip_cip_example.pcap",
    "EIP-RebootorRestart.pcap",
    "tia_s300_goOnline.pcapng",
)


def build_capture(path: Path, packets: int) -> int:
    """Write a pcap of at least ``packets`` frames; returns the count written."""
    frames: list[tuple[float, bytes]] = []
    offset = 0.0
    for name in SOURCES:
        with open_capture(SHARED / name) as reader:
            source = [(ts, data) for _, ts, linktype, data in reader if linktype == 1]
        if not source:
            continue
        # Each source keeps its own packet spacing (gaps capped at 10 s: some
        # public captures jump by years) and follows the previous one.
        previous = source[0][0]
        for ts, data in source:
            offset += min(10.0, max(0.0, ts - previous))
            previous = ts
            frames.append((offset, data))
        offset += 1.0
    if not frames:
        raise SystemExit("no Ethernet frames in the shared captures")
    span = offset
    written = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("wb") as fh:
        writer = PcapWriter(fh, linktype=1)
        copy = 0
        while written < packets:
            for ts, data in frames:
                writer.write(ts + copy * span + 1_600_000_000.0, rewrite(data, copy))
                written += 1
            copy += 1
    partial.replace(path)  # a crashed build never leaves a short file behind
    return written


def rewrite(frame: bytes, copy: int) -> bytes:
    """Move a frame's addresses into copy-specific space (IPv4 over Ethernet only)."""
    if copy == 0 or len(frame) < 34:
        return frame
    buf = bytearray(frame)
    tag = copy & 0xFF
    buf[3] = tag  # destination MAC, 4th byte
    buf[9] = tag  # source MAC, 4th byte
    off = 12
    ethertype = int.from_bytes(buf[off : off + 2], "big")
    while ethertype in (0x8100, 0x88A8) and off + 6 <= len(buf):
        off += 4
        ethertype = int.from_bytes(buf[off : off + 2], "big")
    ip = off + 2
    if ethertype == 0x0800 and ip + 20 <= len(buf):
        buf[ip + 13] = (buf[ip + 13] + copy) & 0xFF  # source address, 2nd octet
        buf[ip + 17] = (buf[ip + 17] + copy) & 0xFF  # destination address, 2nd octet
    return bytes(buf)


def _child(args: list[str]) -> tuple[float, int, str]:
    """Run a child process; returns (seconds, peak RSS in KiB, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{args[0]} failed: {proc.stderr.strip()[-500:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before), proc.stdout


OTM_CHILD = """
import itertools, resource, sys, time
from otm.capture.readers import open_capture
from otm.inventory.builder import build_inventory
from otm.sensing.engine import PassiveEngine
limit = int(sys.argv[2])
t = time.perf_counter()
with open_capture(sys.argv[1]) as reader:
    frames = reader if limit <= 0 else itertools.islice(reader, limit)
    result = PassiveEngine(ref="bench").run(frames)
inv = build_inventory(result.observations)
elapsed = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(result.stats.frames, len(result.observations), len(inv.assets), len(inv.links), elapsed, peak)
"""


def run_otm(path: Path, limit: int) -> tuple[int, float, int, str]:
    """otm in a child process: (frames, seconds, peak KiB, summary)."""
    _, _, out = _child([sys.executable, "-c", OTM_CHILD, str(path), str(limit)])
    frames, obs, assets, links, elapsed, peak = out.split()
    summary = f"{obs} observations, {assets} assets, {links} links"
    return int(frames), float(elapsed), int(peak), summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    capture = OUT / f"bench-{args.packets}.pcap"
    if args.rebuild or not capture.exists():
        t = time.perf_counter()
        n = build_capture(capture, args.packets)
        print(f"built {capture.name}: {n} frames in {time.perf_counter() - t:.1f} s")
    size_mb = capture.stat().st_size / 1e6

    # tshark first: the children's peak RSS is a running maximum over children.
    tshark = shutil.which("tshark")
    ts_s = ts_kib = None
    if tshark is not None:
        ts_s, ts_kib, _ = _child([tshark, "-n", "-r", str(capture), "-q", "-z", "conv,ip"])
    frames, otm_s, otm_kib, summary = run_otm(capture, 0)
    quarter, q_s, q_kib, _ = run_otm(capture, frames // 4)
    print(f"capture: {frames} frames, {size_mb:.0f} MB")
    print(
        f"otm:     {frames / otm_s:>10,.0f} packets/s  {otm_s:6.2f} s  "
        f"peak {otm_kib / 1024:7.1f} MiB  ({summary})"
    )
    print(
        f"otm 1/4: {quarter / q_s:>10,.0f} packets/s  {q_s:6.2f} s  peak {q_kib / 1024:7.1f} MiB"
        "  (memory is flat in packets when the two peaks are close)"
    )
    if ts_s is None or ts_kib is None:
        print("tshark: not installed, no ratio")
        return
    print(
        f"tshark:  {frames / ts_s:>10,.0f} packets/s  {ts_s:6.2f} s  peak {ts_kib / 1024:7.1f} MiB"
    )
    print(f"ratio otm/tshark: {ts_s / otm_s:.2f}x")


if __name__ == "__main__":
    main()
