"""The passive engine never raises on hostile traffic, and loses nothing it should count.

Real TCP conversations (handshake, segments, FIN) on every registered
industrial port carry arbitrary or mutated payloads; the engine must turn
them into observations and counted anomalies, never an exception or a hang.
"""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otm.capture import frames as fb
from otm.capture.frames import TcpSession
from otm.capture.readers import open_capture
from otm.observations.records import Identity, Operation, ParseAnomaly
from otm.protocols.modbus import codec as modbus
from otm.protocols.modbus.messages import Adu, ReadRequest
from otm.sensing.engine import PassiveEngine


def _registered() -> tuple[list[int], list[int]]:
    """Every TCP port (reassembled or probed) and UDP port the sensors registered."""
    regs = PassiveEngine(ref="ports").walker.registrations()
    tcp = sorted({n for _, kind, n in regs if kind in ("tcp", "tcp-probe")})
    return tcp, sorted({n for _, kind, n in regs if kind == "udp"})


PORTS, UDP_PORTS = _registered()


def conversation(
    port: int, payloads: list[tuple[bool, bytes]]
) -> list[tuple[int, float, int, bytes]]:
    s = TcpSession("10.0.0.1", 40000, "10.0.0.2", port)
    frames = s.handshake()
    for from_client, payload in payloads:
        if payload:
            frames += s.send(payload, from_client=from_client)
    frames += s.close()
    return [(i + 1, 1000.0 + i * 0.01, 1, f) for i, f in enumerate(frames)]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(PORTS),
    st.lists(st.tuples(st.booleans(), st.binary(min_size=1, max_size=300)), max_size=8),
)
def test_arbitrary_payloads_on_industrial_ports_never_raise(
    port: int, payloads: list[tuple[bool, bytes]]
) -> None:
    result = PassiveEngine(ref="fuzz").run(conversation(port, payloads))
    assert result.stats.frames == 3 + sum(1 for _, p in payloads if p) + 3


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(UDP_PORTS),
    st.lists(st.tuples(st.booleans(), st.binary(max_size=600)), min_size=1, max_size=8),
)
def test_arbitrary_datagrams_on_registered_udp_ports_never_raise(
    port: int, payloads: list[tuple[bool, bytes]]
) -> None:
    frames = []
    for i, (from_client, payload) in enumerate(payloads):
        src, dst = ("10.0.0.1", "10.0.0.2") if from_client else ("10.0.0.2", "10.0.0.1")
        sport, dport = (40000, port) if from_client else (port, 40000)
        datagram = fb.udp(sport, dport, payload)
        frame = fb.ethernet("02:00:00:00:00:02", "02:00:00:00:00:01",
                            0x0800, fb.ipv4(src, dst, 17, datagram))  # fmt: skip
        frames.append((i + 1, 1000.0 + i, 1, frame))
    result = PassiveEngine(ref="fuzz").run(frames)
    assert result.stats.frames == len(payloads)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 259), st.integers(0, 255))
def test_corrupted_modbus_request_is_counted_not_fatal(index: int, value: int) -> None:
    good = modbus.encode_adu(Adu(1, 1, ReadRequest(3, 0, 10)))
    bad = bytearray(good)
    if index < len(bad):
        bad[index] = value
    frames = conversation(502, [(True, good), (True, bytes(bad)), (True, good)])
    obs = PassiveEngine(ref="fuzz").run(frames).observations
    reads = sum(
        o.count for o in obs if isinstance(o, Operation) and o.name == "read_holding_registers"
    )
    anomalies = [o for o in obs if isinstance(o, ParseAnomaly)]
    # The two good requests are always counted; the damaged one is either
    # still a valid request, or an anomaly, or makes the stream lose framing.
    assert reads >= 2 or anomalies


def test_truncated_capture_gives_a_prefix_of_the_whole(pcaps: Path) -> None:
    path = pcaps / "modbus_example.pcap"
    data = path.read_bytes()
    with open_capture(path) as reader:
        whole = PassiveEngine(ref="whole").run(reader)
    assert any(
        isinstance(o, Identity) and o.fields.get("vendor") == "Zeek Modbus Test"
        for o in whole.observations
    )
    previous = 0
    for cut in range(24, len(data), 397):
        with open_capture(io.BytesIO(data[:cut])) as reader:
            result = PassiveEngine(ref="cut").run(reader)
        assert previous <= result.stats.frames <= whole.stats.frames
        previous = result.stats.frames
