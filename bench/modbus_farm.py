"""Simulated Modbus devices for the benchmarks: pymodbus servers in child processes.

``farm(addresses, processes)`` starts ``processes`` children of this script
sharing the ``(host, port)`` addresses between them, one pymodbus TCP server
each, 400 holding registers of fixed values, and stops them on exit.
``free_base`` finds consecutive free ports on one host (``bench/polling.py``),
``free_port`` one port free on several hosts (``bench/monitor.py`` gives each
device its own loopback address, 127.1.x.y, so health and alarms, keyed by
address, are per device).  ``children_cpu`` is the CPU the servers used.

Run as a script it is a child: ``python bench/modbus_farm.py HOST:PORT ...``
prints ``ready`` once every server listens, and serves until terminated.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import ModbusTcpServer

HOST = "127.0.0.1"


async def serve(addresses: list[tuple[str, int]]) -> None:
    """Child process: a pymodbus server at each address."""
    servers = []
    for i, address in enumerate(addresses):
        block = ModbusSequentialDataBlock(1, [(i * 7 + n) & 0xFFFF for n in range(400)])
        context = ModbusServerContext(devices=ModbusDeviceContext(hr=block), single=True)
        servers.append(ModbusTcpServer(context, address=address))
    tasks = [asyncio.create_task(s.serve_forever()) for s in servers]
    await asyncio.sleep(0.5)
    print("ready", flush=True)
    await asyncio.gather(*tasks)


def _bindable(host: str, port: int) -> bool:
    try:
        with socket.socket() as s:
            s.bind((host, port))
    except OSError:
        return False
    return True


def free_base(count: int, host: str = HOST) -> int:
    """A base port with ``count`` free ports after it (checked, not reserved)."""
    for base in range(20000, 60000, 1000):
        if all(_bindable(host, port) for port in range(base, base + count)):
            return base
    raise SystemExit("no free port range")


def free_port(hosts: list[str]) -> int:
    """A port free on every one of ``hosts`` (checked, not reserved)."""
    for port in range(20000, 60000, 1000):
        if all(_bindable(host, port) for host in hosts):
            return port
    raise SystemExit("no port free on every address")


def loopback_hosts(count: int) -> list[str]:
    """``count`` distinct loopback addresses, 127.1.0.1 onwards (Linux routes all of 127/8)."""
    return [f"127.1.{i // 250}.{i % 250 + 1}" for i in range(count)]


@contextlib.contextmanager
def farm(addresses: list[tuple[str, int]], processes: int) -> Iterator[list[int]]:
    """Servers at ``addresses`` in up to ``processes`` children; yields the children's pids."""
    per = -(-len(addresses) // processes)
    children: list[subprocess.Popen[str]] = []
    try:
        for start in range(0, len(addresses), per):
            where = [f"{host}:{port}" for host, port in addresses[start : start + per]]
            children.append(
                subprocess.Popen(
                    [sys.executable, str(Path(__file__).resolve()), *where],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.DEVNULL,
                    text=True,
                )
            )
        for child in children:
            assert child.stdout is not None
            if child.stdout.readline().strip() != "ready":
                raise SystemExit("a server process did not start")
        yield [child.pid for child in children]
    finally:
        for child in children:
            child.terminate()
        for child in children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=10)


def children_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes used so far; NaN off Linux."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def main() -> None:
    addresses = []
    for arg in sys.argv[1:]:
        host, port = arg.rsplit(":", 1)
        addresses.append((host, int(port)))
    asyncio.run(serve(addresses))


if __name__ == "__main__":
    main()
