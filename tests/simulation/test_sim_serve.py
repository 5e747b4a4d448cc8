"""One device as a process: ``ready``, commands, and a clean exit however it is told to stop."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _device(port: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "otm.simulation.serve", "modbus", "--name", "t-plc",
         "--host", HOST, "--port", str(port)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _say(proc: subprocess.Popen[str], line: str) -> str:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(line + "\n")
    proc.stdin.flush()
    return proc.stdout.readline().strip()


@pytest.mark.parametrize("how", ["quit", "end of stdin", "SIGTERM", "SIGINT"])
def test_a_device_stops_cleanly_however_it_is_told(how: str) -> None:
    port = _free_port()
    proc = _device(port)
    assert _say(proc, "set TK1.LEVEL 50") == "ok"
    assert _say(proc, "set TK1.LEVEL high").startswith("error tank_level is a number")
    assert proc.stdin is not None
    if how == "quit":
        proc.stdin.write("quit\n")
        proc.stdin.flush()
    elif how == "end of stdin":
        proc.stdin.close()
        proc.stdin = None  # communicate() would flush it
    else:
        proc.send_signal(signal.SIGTERM if how == "SIGTERM" else signal.SIGINT)
    _out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    with socket.socket() as s:  # its port is free again
        s.bind((HOST, port))


def test_a_device_that_cannot_bind_says_so_and_exits_1() -> None:
    with socket.socket() as taken:
        taken.bind((HOST, 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        done = subprocess.run(
            [sys.executable, "-m", "otm.simulation.serve", "s7", "--name", "t-s7", "--host",
             HOST, "--port", str(port)],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stdout == ""
    assert f"t-s7: cannot serve s7 on {HOST}:{port}" in done.stderr
