"""Record loopback traffic with dumpcap (installed with tshark) while a test talks to a device."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def recording(capture_filter: str, out: Path) -> Iterator[Path]:
    """Capture on ``lo`` with a BPF filter into ``out`` until the block ends.

    Waits for dumpcap to say it is capturing before the block runs, and for it
    to finish writing afterwards.  Skips the test where capturing is impossible.
    """
    dumpcap = shutil.which("dumpcap")
    if dumpcap is None or os.geteuid() != 0:
        pytest.skip("needs dumpcap and root to capture on the loopback interface")
    proc = subprocess.Popen(
        [dumpcap, "-i", "lo", "-f", capture_filter, "-w", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        if not line.startswith("Capturing on"):
            pytest.fail(f"dumpcap did not start: {line}{proc.stderr.read()}")
        yield out
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
