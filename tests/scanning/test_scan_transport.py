"""Transports: asyncio sockets on loopback, the dry run, and the guard's counting and retries."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from scan_support import FakeNetwork

from otm.protocols.modbus import frame_length
from otm.scanning import modbus  # noqa: F401 - registers the Modbus catalog entries
from otm.scanning.limits import Limits, VirtualClock
from otm.scanning.safety import OutOfScope, Scope, request
from otm.scanning.transport import (
    AsyncioTransport,
    BadAnswerError,
    DryRunTransport,
    GuardedTransport,
    NoAnswerError,
    Reply,
    UnreachableError,
    describe,
)

REQ = request("modbus", "report_server_id", transaction_id=7, unit_id=1)
ANSWER = bytes.fromhex("0007 0000 0006 01 11 03 41 42 ff".replace(" ", ""))


async def _server(handler) -> tuple[asyncio.Server, int]:  # type: ignore[no-untyped-def]
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def test_tcp_exchange_reassembles_split_answers_and_keeps_the_next() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readexactly(len(REQ.payload))
        writer.write(ANSWER[:5])
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(ANSWER[5:] + ANSWER)  # the rest, then a second whole PDU
        await writer.drain()
        await reader.read()

    async def main() -> list[bytes]:
        server, port = await _server(handler)
        async with server:
            conn = await AsyncioTransport().connect("127.0.0.1", port, 1.0)
            first = await conn.exchange(REQ, frame_length, 1.0)
            second = await conn.exchange(REQ, frame_length, 1.0)
            await conn.close()
            return [first, second]

    assert asyncio.run(main()) == [ANSWER, ANSWER]


def test_tcp_silence_garbage_and_close_are_scan_errors() -> None:
    behaviour: list[bytes | None] = [None, b"\xff" * 12, b""]

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readexactly(len(REQ.payload))
        what = behaviour.pop(0)
        if what is None:
            await asyncio.sleep(1)
        elif what:
            writer.write(what)
            await writer.drain()
        writer.close()

    async def main() -> list[type[Exception]]:
        server, port = await _server(handler)
        raised: list[type[Exception]] = []
        async with server:
            for _ in range(3):
                conn = await AsyncioTransport().connect("127.0.0.1", port, 1.0)
                try:
                    await conn.exchange(REQ, frame_length, 0.2)
                except (NoAnswerError, BadAnswerError) as exc:
                    raised.append(type(exc))
                await conn.close()
        return raised

    assert asyncio.run(main()) == [NoAnswerError, BadAnswerError, BadAnswerError]


def test_connect_refused_is_unreachable_not_timed_out() -> None:
    async def main() -> None:
        server, port = await _server(lambda r, w: None)
        server.close()
        await server.wait_closed()
        with pytest.raises(UnreachableError) as info:
            await AsyncioTransport().connect("127.0.0.1", port, 1.0)
        assert not info.value.timed_out

    asyncio.run(main())


def test_udp_unicast_takes_the_first_answer_from_the_target_only() -> None:
    class Echo(asyncio.DatagramProtocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.t: Any = transport

        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            self.t.sendto(ANSWER, addr)
            self.t.sendto(ANSWER[::-1], addr)

    async def main() -> tuple[list[Reply], list[Reply], list[Reply]]:
        loop = asyncio.get_running_loop()
        udp, _ = await loop.create_datagram_endpoint(Echo, local_addr=("127.0.0.1", 0))
        port = udp.get_extra_info("sockname")[1]
        t = AsyncioTransport()
        try:
            one = await t.datagram("127.0.0.1", port, REQ, 0.5)
            every = await t.datagram("127.0.0.1", port, REQ, 0.3, collect=True)
            other = await t.datagram("127.0.0.2", port, REQ, 0.2)
        finally:
            udp.close()
        return one, every, other

    one, every, other = asyncio.run(main())
    assert one == [Reply("127.0.0.1", ANSWER)]
    assert [r.payload for r in every] == [ANSWER, ANSWER[::-1]]
    assert other == []


def test_neighbour_reads_complete_entries_of_the_arp_table(tmp_path: Path) -> None:
    table = tmp_path / "arp"
    table.write_text(
        "IP address       HW type     Flags       HW address            Mask     Device\n"
        "10.77.0.10       0x1         0x2         00:80:F4:00:00:10     *        eth0\n"
        "10.77.0.11       0x1         0x0         00:00:00:00:00:00     *        eth0\n"
    )
    t = AsyncioTransport(table)
    assert t.neighbour("10.77.0.10") == "00:80:f4:00:00:10"
    assert t.neighbour("10.77.0.11") is None
    assert t.neighbour("10.77.0.12") is None
    assert AsyncioTransport(tmp_path / "missing").neighbour("10.77.0.10") is None


def test_dry_run_prints_every_request_and_answers_nothing() -> None:
    lines: list[str] = []
    dry = DryRunTransport(emit=lines.append)

    async def main() -> None:
        assert await dry.datagram("10.0.0.5", 502, REQ, 1.0) == []
        conn = await dry.connect("10.0.0.5", 502, 1.0)
        with pytest.raises(NoAnswerError):
            await conn.exchange(REQ, frame_length, 1.0)

    asyncio.run(main())
    assert lines == [
        describe("modbus", "10.0.0.5", "udp/502", REQ),
        describe("modbus", "10.0.0.5", "tcp/502", REQ),
    ]
    assert "report_server_id (identify) 00 07 00 00 00 02 01 11" in lines[0]


def _guard(net: FakeNetwork, retries: int = 1) -> GuardedTransport:
    limits = Limits(retries=retries, clock=VirtualClock())
    scope = Scope.parse(["10.0.0.0/24"], ["10.0.0.0/24"])
    return GuardedTransport(net, scope, limits, "modbus", frozenset({502}))


def test_guard_retries_a_silent_datagram_and_a_timed_out_connect_once() -> None:
    net = FakeNetwork(silent={("10.0.0.5", 502)})
    guard = _guard(net)

    async def main() -> None:
        assert await guard.datagram("10.0.0.5", 502, REQ, 1.0) == []
        with pytest.raises(UnreachableError):
            await guard.connect("10.0.0.5", 502, 1.0)
        with pytest.raises(UnreachableError):
            await guard.connect("10.0.0.6", 502, 1.0)  # refused: no retry

    asyncio.run(main())
    assert len(net.sent) == 2
    assert net.connects == [("10.0.0.5", 502)] * 2 + [("10.0.0.6", 502)]
    s = guard.stats
    assert (s.requests, s.retries, s.timeouts, s.unreachable) == (5, 2, 2, 3)


def test_guard_drops_answers_from_outside_the_scope_and_refuses_outside_targets() -> None:
    def answers(payload: bytes, host: str) -> list[Reply]:
        return [Reply("10.0.0.9", ANSWER), Reply("172.16.0.1", ANSWER)]

    net = FakeNetwork(udp={("10.0.0.255", 502): answers})
    guard = _guard(net)

    async def main() -> list[Reply]:
        with pytest.raises(OutOfScope):
            await guard.datagram("10.0.1.5", 502, REQ, 1.0)
        with pytest.raises(OutOfScope):
            await guard.connect("192.168.0.1", 502, 1.0)
        return await guard.datagram("10.0.0.255", 502, REQ, 1.0)

    kept = asyncio.run(main())
    assert kept == [Reply("10.0.0.9", ANSWER)]
    assert guard.stats.dropped == 1 and guard.stats.refused == 2
    assert net.connects == [] and len(net.sent) == 1
