"""How scan requests reach devices: an interface, asyncio sockets, a dry run, and the guard.

Probes never open sockets.  They get a ``Transport``:

- ``connect(host, port, timeout)`` -> a ``Connection`` whose
  ``exchange(request, framer, timeout)`` sends one request and returns one
  whole answer, cut out of the TCP stream by the protocol's framer (the
  codecs' ``frame_length(buf, start)``: a length, ``NEED_DATA`` or
  ``INVALID``), and ``send(request)`` sends one that has no answer
  (ENIP UnRegisterSession);
- ``datagram(host, port, request, timeout, broadcast=, collect=)`` sends one
  UDP datagram and returns the first answer from ``host`` (or, with
  ``collect``, every answer arriving within ``timeout``: broadcast discovery);
- ``ethernet(interface, destination, ethertype, request, timeout)`` sends one
  layer-2 frame and returns every answer of that EtherType within ``timeout``;
- ``neighbour(ip)``: the MAC the kernel's neighbour (ARP) table holds for an
  on-link host the scan talked to, or None.

Failures are ``ScanError`` subclasses: ``UnreachableError`` (refused, no route,
connect timed out), ``NoAnswerError`` (an exchange timed out), ``BadAnswerError`` (the
framer rejected the bytes, or the device closed the connection mid-answer).

Three implementations: ``AsyncioTransport`` (the network; checks every payload
with ``safety.verify`` before it leaves), ``DryRunTransport`` (prints each
request and sends nothing), and ``GuardedTransport``, which the scanner wraps
around either and hands to each probe: it enforces the scope, the catalog,
the probe's own port, the device's slot (``Limits``) and the retry budget,
and counts what happened.  Tests inject fakes of ``Transport``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from otm.scanning.limits import Limits
from otm.scanning.safety import Request, Scope, UnsafeRequest, verify

Framer = Callable[[bytes, int], int]
"""``frame_length(buf, start)`` of a codec: > 0 the PDU length, 0 need data, -1 invalid."""

MAX_ANSWER = 1 << 16
"""Bytes buffered for one TCP answer: every identity answer fits in one PDU
(Modbus 260, S7 PDUs up to 960, ENIP up to 65535 + 24)."""

MAX_DATAGRAMS = 1024
"""Answers kept from one broadcast: a segment with more devices answering
one ListIdentity is not a plant segment anyone should sweep by broadcast."""


class ScanError(Exception):
    """A request that got no usable answer (never a bug: the scan goes on)."""


class UnreachableError(ScanError):
    """No connection: refused, no route, or the connect timed out (``timed_out``)."""

    def __init__(self, message: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class NoAnswerError(ScanError):
    """The device did not answer in time."""


class BadAnswerError(ScanError):
    """The answer could not be framed, or the connection closed before it was whole."""


@dataclass(frozen=True, slots=True)
class Reply:
    """One datagram or frame received: who sent it (IP or MAC) and its payload."""

    source: str
    payload: bytes


class Connection(Protocol):
    """One TCP connection to a device."""

    async def exchange(self, request: Request, framer: Framer, timeout: float) -> bytes:
        """Send ``request`` and return the next whole PDU the device sends."""
        ...

    async def send(self, request: Request) -> None:
        """Send a request that has no answer (ENIP UnRegisterSession)."""
        ...

    async def close(self) -> None:
        """Close the connection (never raises)."""
        ...


class Transport(Protocol):
    """What probes send through (see the module docstring)."""

    async def connect(self, host: str, port: int, timeout: float) -> Connection: ...

    async def datagram(
        self,
        host: str,
        port: int,
        request: Request,
        timeout: float,
        *,
        broadcast: bool = False,
        collect: bool = False,
    ) -> list[Reply]: ...

    async def ethernet(
        self, interface: str, destination: str, ethertype: int, request: Request, timeout: float
    ) -> list[Reply]: ...

    def neighbour(self, ip: str) -> str | None: ...


def describe(protocol: str, target: str, where: str, request: Request) -> str:
    """One line for ``--dry-run``: protocol, target, transport/port, name, category, hex."""
    return (
        f"{protocol:8} {target:15} {where:10} {request.name} ({request.category}) "
        f"{request.payload.hex(' ')}"
    )


# -- asyncio sockets --------------------------------------------------------------------


class _TcpConnection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._buffer = b""

    async def exchange(self, request: Request, framer: Framer, timeout: float) -> bytes:
        verify(request.protocol, request.payload)
        self._writer.write(request.payload)
        try:
            async with asyncio.timeout(timeout):
                await self._writer.drain()
                return await self._read(framer)
        except TimeoutError:
            raise NoAnswerError(f"no answer to {request.name} within {timeout} s") from None
        except (ConnectionError, OSError) as exc:
            raise BadAnswerError(f"connection lost: {exc}") from None

    async def send(self, request: Request) -> None:
        verify(request.protocol, request.payload)
        try:
            self._writer.write(request.payload)
            async with asyncio.timeout(1.0):
                await self._writer.drain()
        except (TimeoutError, ConnectionError, OSError) as exc:
            raise BadAnswerError(f"connection lost: {exc}") from None

    async def _read(self, framer: Framer) -> bytes:
        while True:
            if self._buffer:
                size = framer(self._buffer, 0)
                if size < 0:
                    raise BadAnswerError(f"not a PDU of the protocol: {self._buffer[:16].hex()}")
                if 0 < size <= len(self._buffer):
                    pdu, self._buffer = self._buffer[:size], self._buffer[size:]
                    return pdu
            if len(self._buffer) >= MAX_ANSWER:
                raise BadAnswerError(f"answer longer than {MAX_ANSWER} bytes")
            chunk = await self._reader.read(4096)
            if not chunk:
                raise BadAnswerError("the device closed the connection")
            self._buffer += chunk

    async def close(self) -> None:
        self._writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._writer.wait_closed(), 1.0)


class _Collector(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.replies: asyncio.Queue[Reply] = asyncio.Queue(MAX_DATAGRAMS)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.replies.put_nowait(Reply(str(addr[0]), data))


class AsyncioTransport:
    """The real network, through asyncio; every payload is verified before it leaves."""

    def __init__(self, arp_table: Path = Path("/proc/net/arp")) -> None:
        self._arp_table = arp_table

    async def connect(self, host: str, port: int, timeout: float) -> Connection:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(host, port)
        except TimeoutError:
            raise UnreachableError(f"{host}:{port} connect timed out", timed_out=True) from None
        except ConnectionRefusedError:
            raise UnreachableError(f"{host}:{port} refused the connection") from None
        except OSError as exc:
            raise UnreachableError(f"{host}:{port}: {exc.strerror or exc}") from None
        return _TcpConnection(reader, writer)

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
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            udp, collector = await loop.create_datagram_endpoint(
                _Collector, family=family, allow_broadcast=broadcast
            )
        except OSError as exc:
            raise UnreachableError(f"cannot open a UDP socket: {exc}") from None
        try:
            try:
                udp.sendto(request.payload, (host, port))
            except OSError as exc:
                raise UnreachableError(f"{host}:{port}: {exc.strerror or exc}") from None
            return await _gather(collector.replies, timeout, None if collect else host)
        finally:
            udp.close()

    async def ethernet(
        self, interface: str, destination: str, ethertype: int, request: Request, timeout: float
    ) -> list[Reply]:
        verify(request.protocol, request.payload)
        try:
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ethertype))
        except (OSError, AttributeError) as exc:
            raise UnreachableError(
                f"cannot open a layer-2 socket (root on Linux needed): {exc}"
            ) from None
        with sock:
            try:
                sock.bind((interface, ethertype))
                own = sock.getsockname()[4]
                sock.setblocking(False)
                frame = _mac(destination) + own + ethertype.to_bytes(2, "big") + request.payload
                sock.send(frame.ljust(60, b"\x00"))
            except OSError as exc:
                raise UnreachableError(f"{interface}: {exc.strerror or exc}") from None
            return await _frames(sock, own, ethertype, timeout)

    def neighbour(self, ip: str) -> str | None:
        try:
            lines = self._arp_table.read_text().splitlines()[1:]
        except OSError:
            return None
        for line in lines:
            parts = line.split()
            # IP address, HW type, Flags (0x2 complete), HW address, Mask, Device
            if len(parts) >= 4 and parts[0] == ip and parts[2] != "0x0":
                mac = parts[3].lower()
                return None if mac == "00:00:00:00:00:00" else mac
        return None


async def _gather(queue: asyncio.Queue[Reply], timeout: float, only: str | None) -> list[Reply]:
    """Replies from ``queue`` for ``timeout`` s; with ``only``, the first from that address."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    out: list[Reply] = []
    while len(out) < MAX_DATAGRAMS:
        left = deadline - loop.time()
        if left <= 0:
            break
        try:
            reply = await asyncio.wait_for(queue.get(), left)
        except TimeoutError:
            break
        if only is None:
            out.append(reply)
        elif reply.source == only:
            return [reply]
    return out


async def _frames(sock: socket.socket, own: bytes, ethertype: int, timeout: float) -> list[Reply]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    out: list[Reply] = []
    while len(out) < MAX_DATAGRAMS:
        left = deadline - loop.time()
        if left <= 0:
            break
        try:
            data = await asyncio.wait_for(loop.sock_recv(sock, 2048), left)
        except TimeoutError:
            break
        if len(data) < 14 or data[6:12] == own:
            continue
        kind, at = int.from_bytes(data[12:14], "big"), 14
        if kind == 0x8100 and len(data) >= 18:  # one 802.1Q tag
            kind, at = int.from_bytes(data[16:18], "big"), 18
        if kind == ethertype:
            out.append(Reply(data[6:12].hex(":"), data[at:]))
    return out


def _mac(text: str) -> bytes:
    raw = bytes.fromhex(text.replace(":", "").replace("-", ""))
    if len(raw) != 6:
        raise ValueError(f"not a MAC address: {text!r}")
    return raw


# -- dry run ------------------------------------------------------------------------------


class _DryConnection:
    def __init__(self, transport: DryRunTransport, host: str, port: int) -> None:
        self._t = transport
        self._host = host
        self._port = port

    async def exchange(self, request: Request, framer: Framer, timeout: float) -> bytes:
        verify(request.protocol, request.payload)
        self._t._say(describe(request.protocol, self._host, f"tcp/{self._port}", request))
        raise NoAnswerError("dry run: nothing sent")

    async def send(self, request: Request) -> None:
        verify(request.protocol, request.payload)
        self._t._say(describe(request.protocol, self._host, f"tcp/{self._port}", request))

    async def close(self) -> None:
        return None


@dataclass
class DryRunTransport:
    """Prints every request it is given (``describe``) and sends nothing; no answers."""

    emit: Callable[[str], None] = print
    lines: list[str] = field(default_factory=list)

    def _say(self, line: str) -> None:
        self.lines.append(line)
        self.emit(line)

    async def connect(self, host: str, port: int, timeout: float) -> Connection:
        return _DryConnection(self, host, port)

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
        self._say(describe(request.protocol, host, f"udp/{port}", request))
        return []

    async def ethernet(
        self, interface: str, destination: str, ethertype: int, request: Request, timeout: float
    ) -> list[Reply]:
        verify(request.protocol, request.payload)
        self._say(describe(request.protocol, interface, f"eth/{ethertype:04x}", request))
        return []

    def neighbour(self, ip: str) -> str | None:
        return None


# -- the guard every probe talks through ----------------------------------------------------


@dataclass
class TrafficStats:
    """What a scan sent and got back (all probes, all hosts)."""

    requests: int = 0
    answers: int = 0
    timeouts: int = 0
    unreachable: int = 0
    bad_answers: int = 0
    retries: int = 0
    refused: int = 0
    """Requests the guard refused (out of scope, not in the catalog, wrong port)."""
    dropped: int = 0
    """Answers dropped because their sender was outside the scope."""


class _GuardedConnection:
    def __init__(self, guard: GuardedTransport, inner: Connection, host: str) -> None:
        self._guard = guard
        self._inner = inner
        self._host = host

    async def exchange(self, request: Request, framer: Framer, timeout: float) -> bytes:
        guard = self._guard
        guard.allow(request)
        stats = guard.stats
        async with guard.limits.slot(self._host):
            stats.requests += 1
            try:
                answer = await self._inner.exchange(request, framer, timeout)
            except NoAnswerError:
                stats.timeouts += 1
                raise
            except BadAnswerError:
                stats.bad_answers += 1
                raise
        stats.answers += 1
        return answer

    async def send(self, request: Request) -> None:
        guard = self._guard
        guard.allow(request)
        async with guard.limits.slot(self._host):
            guard.stats.requests += 1
            await self._inner.send(request)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._inner.close()


class GuardedTransport:
    """The ``Transport`` a probe gets: scope, catalog, its own port, slots, retries, counts.

    ``ports`` are the only ports the probe may reach (its own); ``protocol``
    is the only protocol whose requests it may send.
    """

    def __init__(
        self,
        inner: Transport,
        scope: Scope,
        limits: Limits,
        protocol: str,
        ports: frozenset[int],
        stats: TrafficStats | None = None,
    ) -> None:
        self.inner = inner
        self.scope = scope
        self.limits = limits
        self.protocol = protocol
        self.ports = ports
        self.stats = stats if stats is not None else TrafficStats()

    def allow(self, request: Request, port: int | None = None) -> None:
        """Raise ``UnsafeRequest`` unless the request is the probe's and safe (counted)."""
        try:
            if request.protocol != self.protocol:
                raise _refusal(f"a {self.protocol} probe may not send {request.protocol}")
            verify(request.protocol, request.payload)
            if port is not None and port not in self.ports:
                raise _refusal(f"a {self.protocol} probe may not reach port {port}")
        except ValueError:
            self.stats.refused += 1
            raise

    def _target(self, host: str) -> None:
        try:
            self.scope.check(host)
        except ValueError:
            self.stats.refused += 1
            raise

    async def connect(self, host: str, port: int, timeout: float) -> Connection:
        self._target(host)
        if port not in self.ports:
            self.stats.refused += 1
            raise _refusal(f"a {self.protocol} probe may not reach port {port}")
        stats = self.stats
        for attempt in range(self.limits.retries + 1):
            async with self.limits.slot(host):
                stats.requests += 1
                if attempt:
                    stats.retries += 1
                try:
                    inner = await self.inner.connect(host, port, timeout)
                except UnreachableError as exc:
                    stats.unreachable += 1
                    if not exc.timed_out or attempt == self.limits.retries:
                        raise
                    continue
            return _GuardedConnection(self, inner, host)
        raise UnreachableError(f"{host}:{port} unreachable")  # not reached: the loop raises

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
        self._target(host)
        self.allow(request, port)
        broadcast = self.scope.is_broadcast(host)
        collect = collect or broadcast
        stats = self.stats
        replies: list[Reply] = []
        for attempt in range(self.limits.retries + 1):
            async with self.limits.slot(host):
                stats.requests += 1
                if attempt:
                    stats.retries += 1
                replies = await self.inner.datagram(
                    host, port, request, timeout, broadcast=broadcast, collect=collect
                )
            if replies or broadcast:
                break
            stats.timeouts += 1
        kept = [r for r in replies if self.scope.contains(r.source)]
        stats.dropped += len(replies) - len(kept)
        stats.answers += len(kept)
        return kept

    async def ethernet(
        self, interface: str, destination: str, ethertype: int, request: Request, timeout: float
    ) -> list[Reply]:
        try:
            self.scope.check_interface(interface)
        except ValueError:
            self.stats.refused += 1
            raise
        self.allow(request)
        async with self.limits.slot(interface):
            self.stats.requests += 1
            replies = await self.inner.ethernet(interface, destination, ethertype, request, timeout)
        self.stats.answers += len(replies)
        return replies

    def neighbour(self, ip: str) -> str | None:
        return self.inner.neighbour(ip)


def _refusal(message: str) -> UnsafeRequest:
    return UnsafeRequest(message)
