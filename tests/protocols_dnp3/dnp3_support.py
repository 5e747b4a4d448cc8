"""Test helpers: DNP3 messages as frames, conversations, the engine with one sensor.

``run_dnp3`` runs ``PassiveEngine`` with the DNP3 sensor as its only sensor
(``sensor_support.sense``), so these tests see what the DNP3 sensor alone
learns, wired exactly as in production.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from otm.capture.frames import TcpSession, ethernet, ip_packet, udp
from otm.observations.records import Observation
from otm.protocols.dnp3 import (
    ObjectHeader,
    Request,
    Response,
    application_control,
    encode_application,
    encode_frames,
)
from otm.sensing.dnp3 import Dnp3Sensor
from sensor_support import Frame, sense

MASTER_IP, OUTSTATION_IP = "10.1.1.1", "10.1.1.2"
MASTER, OUTSTATION = 1, 10
FIRST_FINAL = application_control(True, True, False, False, 0)

Frames = list[Frame]


def request(function: int, *headers: ObjectHeader, control: int = FIRST_FINAL) -> bytes:
    """A request fragment."""
    return encode_application(Request(control, function, headers))


def response(
    *headers: ObjectHeader, function: int = 129, iin: int = 0, control: int = FIRST_FINAL
) -> bytes:
    """A response fragment."""
    return encode_application(Response(control, function, iin, headers))


def master_frames(fragment: bytes, master: int = MASTER, outstation: int = OUTSTATION) -> bytes:
    """The link frames of a fragment from a master (DIR=1, PRM=1, unconfirmed user data)."""
    return b"".join(encode_frames(0xC4, outstation, master, fragment))


def outstation_frames(
    fragment: bytes, master: int = MASTER, outstation: int = OUTSTATION, sequence: int = 0
) -> bytes:
    """The link frames of a fragment from an outstation (DIR=0, PRM=1)."""
    return b"".join(encode_frames(0x44, master, outstation, fragment, sequence))


def tcp_conversation(
    payloads: Iterable[tuple[bool, bytes]],
    client_ip: str = MASTER_IP,
    server_ip: str = OUTSTATION_IP,
    server_port: int = 20000,
    client_port: int = 40000,
    segments: int = 1,
) -> Frames:
    """Handshake, each (from_client, payload), close; numbered frames at 10 ms steps."""
    session = TcpSession(client_ip, client_port, server_ip, server_port)
    wires = session.handshake()
    for from_client, payload in payloads:
        if payload:
            wires += session.send(payload, from_client=from_client, segments=segments)
    wires += session.close()
    return [(i + 1, 1000.0 + i * 0.01, 1, w) for i, w in enumerate(wires)]


def udp_datagrams(payloads: Sequence[tuple[bool, bytes]], port: int = 20000) -> Frames:
    """UDP datagrams between the master (port 40000) and the outstation (``port``)."""
    out: Frames = []
    for i, (from_master, payload) in enumerate(payloads):
        if from_master:
            src, dst, sport, dport = MASTER_IP, OUTSTATION_IP, 40000, port
            smac, dmac = "02:00:00:00:00:01", "02:00:00:00:00:02"
        else:
            src, dst, sport, dport = OUTSTATION_IP, MASTER_IP, port, 40000
            smac, dmac = "02:00:00:00:00:02", "02:00:00:00:00:01"
        packet = ip_packet(src, dst, 17, udp(sport, dport, payload), ident=i)
        out.append((i + 1, 1000.0 + i * 0.01, 1, ethernet(dmac, smac, 0x0800, packet)))
    return out


def run_dnp3(frames: Iterable[Frame], ref: str = "test") -> list[Observation]:
    """The passive engine's observations with the DNP3 sensor alone."""
    return sense([Dnp3Sensor()], frames, ref)
