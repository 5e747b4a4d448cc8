"""A scripted ``Transport`` for probe unit tests: answers come from functions.

``FakeIo(datagram=fn, exchange=fn, ethernet=fn)``: each function gets what
the probe sent and returns the answer (replies, bytes, or raises a
``ScanError``); every request is recorded in ``sent`` after ``safety.verify``
read it back, so a test can assert what a probe put on the wire.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from otm.scanning.safety import Request, verify
from otm.scanning.transport import (
    Connection,
    Framer,
    NoAnswerError,
    Reply,
    UnreachableError,
)

DatagramFn = Callable[[str, int, Request], list[Reply]]
ExchangeFn = Callable[[str, int, Request], bytes]
EthernetFn = Callable[[str, str, int, Request], list[Reply]]


@dataclass
class Sent:
    """One request a probe handed the transport, with the codec's reading of it."""

    where: str
    request: Request
    operation: str
    category: str


def _silent_datagram(host: str, port: int, request: Request) -> list[Reply]:
    return []


@dataclass
class FakeIo:
    """The scripted transport (see the module docstring)."""

    datagram_fn: DatagramFn = _silent_datagram
    exchange_fn: ExchangeFn | None = None
    ethernet_fn: EthernetFn | None = None
    macs: dict[str, str] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    closed: int = 0

    def _record(self, where: str, request: Request) -> None:
        operation, category = verify(request.protocol, request.payload)
        self.sent.append(Sent(where, request, operation, category))

    async def connect(self, host: str, port: int, timeout: float) -> Connection:
        if self.exchange_fn is None:
            raise UnreachableError(f"{host}:{port} refused the connection")
        return _FakeConnection(self, host, port)

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
        self._record(f"{host}:{port}", request)
        return self.datagram_fn(host, port, request)

    async def ethernet(
        self, interface: str, destination: str, ethertype: int, request: Request, timeout: float
    ) -> list[Reply]:
        self._record(f"{interface}>{destination}", request)
        if self.ethernet_fn is None:
            return []
        return self.ethernet_fn(interface, destination, ethertype, request)

    def neighbour(self, ip: str) -> str | None:
        return self.macs.get(ip)


class _FakeConnection:
    def __init__(self, io: FakeIo, host: str, port: int) -> None:
        self.io, self.host, self.port = io, host, port

    async def exchange(self, request: Request, framer: Framer, timeout: float) -> bytes:
        self.io._record(f"{self.host}:{self.port}", request)
        assert self.io.exchange_fn is not None
        answer = self.io.exchange_fn(self.host, self.port, request)
        if not answer:
            raise NoAnswerError("scripted silence")
        assert framer(answer, 0) == len(answer), "the fake answered a partial PDU"
        return answer

    async def send(self, request: Request) -> None:
        self.io._record(f"{self.host}:{self.port}", request)

    async def close(self) -> None:
        self.io.closed += 1
