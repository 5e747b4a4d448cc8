"""Test support for the scanner: a fake network of scripted devices, and paths to the plant.

``FakeNetwork`` implements ``otm.scanning.transport.Transport`` without
sockets: each (host, port) may hold a TCP device (an object answering one
request's bytes with the answer's bytes, or None for silence) or a UDP
responder; everything sent is recorded, so tests can enumerate exactly what a
probe emitted.  Imported as ``scan_support`` (this folder is on ``sys.path``
as the folder of the test modules); it also puts ``tests/live`` and
``tests/realdevices`` on the path so the plant helpers are reused, not copied.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from otm.scanning.safety import Request, verify
from otm.scanning.transport import (
    BadAnswerError,
    Connection,
    Framer,
    NoAnswerError,
    Reply,
    UnreachableError,
)

TESTS = Path(__file__).resolve().parents[1]
for _folder in (TESTS / "live", TESTS / "realdevices"):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))


class TcpDevice(Protocol):
    """A scripted TCP device: one answer (or None: silence) per request; fresh per connection."""

    def answer(self, payload: bytes) -> bytes | None: ...


UdpDevice = Callable[[bytes, str], list[Reply]]
"""(payload, destination) -> the datagrams answering it."""


@dataclass
class Sent:
    """One request a probe handed to the network."""

    host: str
    port: int
    transport: str
    request: Request


@dataclass
class FakeNetwork:
    """Scripted devices keyed by (host, port); records every connect and request."""

    tcp: dict[tuple[str, int], Callable[[], TcpDevice]] = field(default_factory=dict)
    udp: dict[tuple[str, int], UdpDevice] = field(default_factory=dict)
    silent: set[tuple[str, int]] = field(default_factory=set)
    macs: dict[str, str] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    connects: list[tuple[str, int]] = field(default_factory=list)

    async def connect(self, host: str, port: int, timeout: float) -> Connection:
        self.connects.append((host, port))
        if (host, port) in self.silent:
            raise UnreachableError(f"{host}:{port} timed out", timed_out=True)
        factory = self.tcp.get((host, port))
        if factory is None:
            raise UnreachableError(f"{host}:{port} refused")
        return _FakeConnection(self, host, port, factory())

    async def datagram(
        self,
        host: str,
        port: int,
        request: Request,
        timeout: float,
        *,
        broadcast: bool = False,
        collect: bool = False,
    ) -> list[Reply]:
        verify(request.protocol, request.payload)
        self.sent.append(Sent(host, port, "udp", request))
        device = self.udp.get((host, port))
        return device(request.payload, host) if device else []

    async def ethernet(
        self, interface: str, destination: str, ethertype: int, request: Request, timeout: float
    ) -> list[Reply]:
        verify(request.protocol, request.payload)
        self.sent.append(Sent(interface, 0, "ethernet", request))
        return []

    def neighbour(self, ip: str) -> str | None:
        return self.macs.get(ip)

    def requests(self, protocol: str | None = None) -> list[Request]:
        return [s.request for s in self.sent if protocol in (None, s.request.protocol)]


class _FakeConnection:
    def __init__(self, net: FakeNetwork, host: str, port: int, device: TcpDevice) -> None:
        self.net = net
        self.host = host
        self.port = port
        self.device = device
        self.closed = False

    async def exchange(self, request: Request, framer: Framer, timeout: float) -> bytes:
        verify(request.protocol, request.payload)
        if self.closed:
            raise BadAnswerError("closed")
        self.net.sent.append(Sent(self.host, self.port, "tcp", request))
        answer = self.device.answer(request.payload)
        if answer is None:
            raise NoAnswerError("silence")
        if framer(answer, 0) <= 0:
            raise BadAnswerError("not framed")
        return answer[: framer(answer, 0)]

    async def send(self, request: Request) -> None:
        verify(request.protocol, request.payload)
        self.net.sent.append(Sent(self.host, self.port, "tcp", request))
        self.device.answer(request.payload)

    async def close(self) -> None:
        self.closed = True
