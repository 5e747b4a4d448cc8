"""Test helpers: Modbus RTU over TCP conversations built with otm's own encoders.

``CONVERSATION`` is what an RTU-over-TCP gateway exchanges: reads, writes,
an exception, a Read Device Identification and a diagnostic, each frame in
its own segment, plus one segment carrying two requests back to back and
the ambiguous request ``01 03 00 00 00 02`` + CRC, whose first six octets
also read as an MBAP header announcing exactly its length.  ``MBAP`` is a
Modbus/TCP conversation for the same capture, which must stay ``modbus``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from unittest.mock import patch

from otm.capture.frames import TcpSession
from otm.capture.readers import open_capture
from otm.capture.writer import PcapWriter
from otm.observations.records import Observation
from otm.protocols.modbus import encode_adu
from otm.protocols.modbus import messages as m
from otm.protocols.modbus.rtu import RtuFrame, encode_rtu
from otm.sensing import engine
from otm.sensing.registry import Sensor

GATEWAY, CLIENT, MBAP_SERVER = "10.0.5.2", "10.0.5.1", "10.0.5.3"

DEVICE_ID = m.ReadDeviceIdentificationResponse(
    1,
    0x01,
    0x00,
    0x00,
    (
        m.DeviceIdObject(0, b"Acme Gateways"),
        m.DeviceIdObject(1, b"RTU-GW-8"),
        m.DeviceIdObject(2, b"v2.1"),
    ),
)


def rtu(address: int, pdu: m.Pdu) -> bytes:
    """One RTU frame."""
    return encode_rtu(RtuFrame(address, pdu))


CONVERSATION: list[tuple[bool, bytes]] = [
    (True, rtu(1, m.ReadRequest(3, 0, 2))),  # the ambiguous one
    (False, rtu(1, m.ReadRegistersResponse(3, (0x1234, 0x5678)))),
    (True, rtu(1, m.ReadRequest(3, 100, 10))),
    (False, rtu(1, m.ReadRegistersResponse(3, tuple(range(10))))),
    (True, rtu(7, m.ReadRequest(1, 0, 16))),
    (False, rtu(7, m.ReadBitsResponse(1, b"\xa5\x0f"))),
    (True, rtu(1, m.WriteSingle(6, 5, 7))),
    (False, rtu(1, m.WriteSingle(6, 5, 7))),
    (True, rtu(1, m.WriteMultipleRegistersRequest(10, (1, 2, 3)))),
    (False, rtu(1, m.WriteMultipleResponse(16, 10, 3))),
    (True, rtu(2, m.ReadRequest(4, 0, 1))),
    (False, rtu(2, m.ExceptionResponse(4, 2))),
    (True, rtu(1, m.ReadDeviceIdentificationRequest(1, 0))),
    (False, rtu(1, DEVICE_ID)),
    (True, rtu(1, m.Diagnostics(0, b"\xa5\x37"))),
    (False, rtu(1, m.Diagnostics(0, b"\xa5\x37"))),
    (True, rtu(1, m.ReadRequest(3, 0, 1)) + rtu(7, m.ReadRequest(2, 0, 8))),  # back to back
    (False, rtu(1, m.ReadRegistersResponse(3, (9,)))),
    (False, rtu(7, m.ReadBitsResponse(2, b"\x01"))),
]

MBAP: list[tuple[bool, bytes]] = [
    (True, encode_adu(m.Adu(1, 1, m.ReadRequest(3, 0, 2)))),
    (False, encode_adu(m.Adu(1, 1, m.ReadRegistersResponse(3, (1, 2))))),
    (True, encode_adu(m.Adu(2, 1, m.ReadRequest(3, 0, 10)))),
    (False, encode_adu(m.Adu(2, 1, m.ReadRegistersResponse(3, tuple(range(10)))))),
]


def frames(
    conversations: Sequence[tuple[str, int, list[tuple[bool, bytes]]]],
) -> list[bytes]:
    """Ethernet frames of one TCP connection per (server, client port, payloads)."""
    out: list[bytes] = []
    for server, port, payloads in conversations:
        server_mac = "02:00:00:00:05:" + server.rsplit(".", 1)[1].zfill(2)
        s = TcpSession(CLIENT, port, server, 502, "02:00:00:00:05:01", server_mac, checksum=True)
        out += s.handshake()
        for from_client, payload in payloads:
            out += s.send(payload, from_client=from_client)
        out += s.close()
    return out


def numbered(raw: Iterable[bytes]) -> list[tuple[int, float, int, bytes]]:
    """(frame number, time, link type, frame) as the walker takes them."""
    return [(i + 1, 1_700_000_000.0 + i * 0.01, 1, f) for i, f in enumerate(raw)]


def write_capture(path: Path) -> None:
    """The RTU conversation with the gateway and a Modbus/TCP one, in one pcap."""
    with path.open("wb") as fh:
        writer = PcapWriter(fh)
        for _, ts, _, frame in numbered(
            frames([(GATEWAY, 41000, CONVERSATION), (MBAP_SERVER, 41001, MBAP)])
        ):
            writer.write(ts, frame)


def observe(
    frames_in: Iterable[tuple[int, float, int, bytes]], sensors: Sequence[Sensor]
) -> list[Observation]:
    """The passive engine's observations with only ``sensors`` registered."""
    with patch.object(engine, "SENSORS", tuple(sensors)):
        passive = engine.PassiveEngine(ref="test")
    return passive.run(frames_in).observations


def observe_capture(path: Path, sensors: Sequence[Sensor]) -> list[Observation]:
    """``observe`` over a capture file."""
    with open_capture(path) as reader:
        with patch.object(engine, "SENSORS", tuple(sensors)):
            passive = engine.PassiveEngine(ref=path.name)
        return passive.run(reader).observations
