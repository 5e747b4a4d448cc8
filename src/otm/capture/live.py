"""Frames from a live interface, through libpcap (pcapy-ng).

libpcap is the maintained way to read an interface on Linux (TPACKET_V3
memory-mapped ring, kernel BPF filters, drop counters) and elsewhere; pcapy-ng
is its maintained binding and ships wheels with libpcap inside.  Reading runs
in its own thread so that a slow consumer never stalls the kernel ring: the
thread moves batches of frames into a bounded queue and, when the queue is
full, drops the batch and counts it (``own_drops``), which is the honest
thing to do on a SPAN port; the kernel's own drops come from libpcap's
statistics (``kernel_drops``, ``interface_drops``).

Frames are handed out as the readers of capture files give them, numbered
from 1: ``(frame number, time stamp, link type, bytes)``.
"""

from __future__ import annotations

import queue
import select
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

DEFAULT_BUFFER = 64 << 20
"""Kernel ring size: a burst of ~100 ms at 1 Gbit/s fits."""
BATCH = 1024
"""Frames read from libpcap per call (one crossing into Python per batch)."""
QUEUE_BATCHES = 256
"""Batches waiting for the consumer before the reader starts dropping."""
TIMEOUT_MS = 100
"""libpcap read timeout: how often the reader looks at the stop flag when idle."""

_META = struct.Struct("=IIII")


class LiveError(Exception):
    """The interface cannot be opened or read (no such device, no permission, bad filter)."""


@dataclass
class LiveStats:
    """Counters of a live capture so far."""

    received: int = 0  # frames handed to the consumer
    own_drops: int = 0  # frames dropped because the consumer fell behind
    kernel_drops: int = 0  # frames the kernel dropped (ring full)
    interface_drops: int = 0  # frames the interface/driver dropped


class LiveCapture:
    """Reads one interface in a background thread; iterate ``batches()``."""

    def __init__(
        self,
        interface: str,
        bpf: str | None = None,
        snaplen: int = 65535,
        promiscuous: bool = True,
        buffer_size: int = DEFAULT_BUFFER,
        queue_batches: int = QUEUE_BATCHES,
    ) -> None:
        try:
            import pcapy  # noqa: PLC0415 - optional at import time: file analysis needs no libpcap
        except ImportError as exc:  # pragma: no cover - installed with otm
            raise LiveError(f"live capture needs pcapy-ng: {exc}") from exc
        self.interface = interface
        self.stats = LiveStats()
        self._queue: queue.Queue[tuple[bytes, bytes] | None] = queue.Queue(queue_batches)
        self._stop = threading.Event()
        self._error: str | None = None
        try:
            handle: Any = pcapy.create(interface)
            handle.set_snaplen(snaplen)
            handle.set_promisc(promiscuous)
            handle.set_timeout(TIMEOUT_MS)
            handle.set_buffer_size(buffer_size)
            handle.activate()
            if bpf:
                handle.setfilter(bpf)
            # Non-blocking reads, woken by poll on the capture's descriptor: a
            # blocking read with a filter set can wait forever in pcapy-ng 2.1
            # (seen on veth), and polling also lets ``stop`` act within a timeout.
            handle.setnonblock(True)
            self._fd = int(handle.getfd())
        except Exception as exc:  # pcapy raises PcapError/BPFError/ValueError
            raise LiveError(f"cannot capture on {interface}: {exc}") from exc
        self._handle = handle
        self.linktype = int(handle.datalink())
        self._thread = threading.Thread(target=self._read, name=f"otm-live-{interface}")
        self._thread.daemon = True

    def start(self) -> LiveCapture:
        """Start reading."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the reader to stop; ``batches`` ends once what was read is consumed."""
        self._stop.set()

    @property
    def error(self) -> str | None:
        """Why reading stopped early, if it did."""
        return self._error

    def _read(self) -> None:
        handle, q, stats = self._handle, self._queue, self.stats
        try:
            poller = select.poll()
            poller.register(self._fd, select.POLLIN)
            while not self._stop.is_set():
                packets, meta = handle.next_batch(BATCH)
                if not meta:
                    poller.poll(TIMEOUT_MS)
                    continue
                try:
                    q.put_nowait((packets, bytes(meta)))
                except queue.Full:
                    stats.own_drops += len(meta) // _META.size
        except Exception as exc:  # the interface went away, or libpcap failed
            self._error = f"capture on {self.interface} stopped: {exc}"
        finally:
            self._update_kernel_stats()
            q.put(None)  # always room eventually: the consumer drains until None

    def _update_kernel_stats(self) -> None:
        try:
            _received, dropped, ifdropped = self._handle.stats()
        except Exception:  # stats are best effort (some devices have none)
            return
        self.stats.kernel_drops = int(dropped)
        self.stats.interface_drops = int(ifdropped)

    def batches(self, wait: float = 0.5) -> Iterator[list[tuple[int, float, int, bytes]]]:
        """Batches of frames as they come; an empty batch every ``wait`` seconds
        of silence (so the caller can take checkpoints); ends after ``stop``."""
        linktype = self.linktype
        number = self.stats.received
        while True:
            try:
                item = self._queue.get(timeout=wait)
            except queue.Empty:
                self._update_kernel_stats()
                yield []
                continue
            if item is None:
                return
            packets, meta = item
            batch = []
            for sec, usec, off, caplen in _META.iter_unpack(meta):
                number += 1
                batch.append((number, sec + usec / 1e6, linktype, packets[off : off + caplen]))
            self.stats.received = number
            yield batch
