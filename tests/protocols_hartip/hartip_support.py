"""Test helpers: a HART-IP capture built with otm's own encoders and frame writers.

No shared capture carries HART-IP, so ``write_capture`` builds one: two TCP
connections to HART-IP devices (a HART 7 device polled for identity, tag,
process values, a few writes and a reset, plus a direct PDU, an audit-log
read, an error and a NAK; a HART 5 device answering command 0) and a UDP
conversation with a third device, each message in its own segment or
datagram.  ``MESSAGES`` keeps, per frame, the message bytes and direction,
so tests can decode what they put in.  ``observe`` runs the passive engine
with only the given sensors registered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from unittest.mock import patch

from otm.capture.frames import (
    ETH_IPV4,
    PROTO_UDP,
    TcpSession,
    ethernet,
    ipv4,
    udp,
)
from otm.capture.readers import open_capture
from otm.capture.writer import PcapWriter
from otm.observations.records import Observation
from otm.protocols.hartip import (
    DirectCommand,
    DirectPdu,
    ErrorBody,
    HartIpMessage,
    HartPdu,
    RawBody,
    SessionInitiate,
    TagDescriptorDate,
    UniqueIdentifier,
    encode_long_tag,
    encode_message,
    encode_tag_descriptor_date,
    encode_unique_identifier,
    read_request,
    session_initiate_request,
)
from otm.sensing import engine
from otm.sensing.registry import Sensor

HOST, DEVICE7, DEVICE5, DEVICE_UDP = "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"
HOST_MAC = "02:00:00:00:00:01"
DEVICE7_MAC, DEVICE5_MAC, DEVICE_UDP_MAC = (
    "02:00:00:00:00:02",
    "02:00:00:00:00:03",
    "02:00:00:00:00:04",
)

HART7 = UniqueIdentifier(
    254, 0x2601, 5, 7, 3, 2, (4 << 3) | 1, 0, 0x123456, 5, 4, 7, 0, 0x0026, 0x0026, 1
)
"""Command 0 reply of the HART 7 device: expanded device type 0x2601, manufacturer
0x26, device revision 3, software 2, hardware 4, device id 0x123456."""
HART5 = UniqueIdentifier(254, 0x1A05, 5, 5, 1, 9, (2 << 3), 0, 0x00ABCD)
"""Command 0 reply of a HART 5 device (12 octets): manufacturer 0x1A, type 5."""
HART7_UDP = UniqueIdentifier(
    254, 0x60B2, 5, 7, 1, 4, (1 << 3), 0, 0x000777, 5, 1, 0, 0, 0x0060, 0x0060, 129
)

LONG7 = bytes.fromhex("a601123456")
TAG7 = "FT-1001 feed flow"
RECORD7 = TagDescriptorDate("FT-1001", "FEED FLOW XMTR", 12, 5, 124)


@dataclass(frozen=True, slots=True)
class Sent:
    """One message of the built capture."""

    frame: int
    from_client: bool
    transport: str
    message: bytes


def _rsp(version: int, message_id: int, sequence: int, body: object, kind: int = 1) -> bytes:
    return encode_message(HartIpMessage(version, kind, message_id, 0, sequence, body))  # type: ignore[arg-type]


def _ack(command: int, data: bytes, code: int = 0, address: bytes = LONG7) -> HartPdu:
    return HartPdu(0x86 if len(address) == 5 else 0x06, address, command, data, code, 0x00)


def _stx(command: int, data: bytes = b"", address: bytes = LONG7) -> HartPdu:
    return HartPdu(0x82, bytes((0x80 | address[0] & 0x3F,)) + address[1:], command, data)


DIRECT_REQUEST = DirectPdu(0, 0, (DirectCommand(1, b""), DirectCommand(48, b"")))
DIRECT_REPLY = DirectPdu(
    0, 0, (DirectCommand(1, b"\x20\x41\xa0\x00\x00", 0), DirectCommand(48, bytes(9), 0))
)


def _hart7_exchanges() -> list[tuple[bool, bytes]]:
    cmd = lambda seq, pdu: encode_message(HartIpMessage(1, 0, 3, 0, seq, pdu))  # noqa: E731
    return [
        (True, session_initiate_request(1)),
        (False, _rsp(1, 0, 1, SessionInitiate(0, 30000))),
        (True, encode_message(HartIpMessage(1, 0, 2, 0, 2))),
        (False, encode_message(HartIpMessage(1, 1, 2, 0, 2))),
        (True, read_request(3)),
        (False, _rsp(1, 3, 3, _ack(0, encode_unique_identifier(HART7), address=b"\x80"))),
        (True, read_request(4, 20, LONG7)),
        (False, _rsp(1, 3, 4, _ack(20, encode_long_tag(TAG7)))),
        (True, read_request(5, 13, LONG7)),
        (False, _rsp(1, 3, 5, _ack(13, encode_tag_descriptor_date(RECORD7)))),
        (True, read_request(6, 3, LONG7)),
        (False, _rsp(1, 3, 6, _ack(3, bytes.fromhex("41a00000203f8000000040a00000")))),
        (True, cmd(7, _stx(6, b"\x05\x01"))),
        (False, _rsp(1, 3, 7, _ack(6, b"\x05\x01"))),
        (True, cmd(8, _stx(42))),
        (False, _rsp(1, 3, 8, _ack(42, b"", code=64))),
        (True, cmd(9, _stx(31, b"\x02\x1a"))),  # extended command 538
        (False, _rsp(1, 3, 9, _ack(31, b"\x02\x1a\x13\xc6\x13\xc6"))),
        (True, cmd(10, _stx(17, bytes(24)))),
        (False, _rsp(1, 3, 10, _ack(17, b"", code=7))),  # in write-protect mode
        (True, encode_message(HartIpMessage(2, 0, 4, 0, 11, DIRECT_REQUEST))),
        (False, _rsp(2, 4, 11, DIRECT_REPLY)),
        (True, encode_message(HartIpMessage(2, 0, 128, 0, 12, RawBody(b"\x00\x0a")))),
        (False, encode_message(HartIpMessage(1, 3, 0, 0, 13, ErrorBody(1)))),
        (True, cmd(14, _stx(0))),
        (False, encode_message(HartIpMessage(1, 15, 3, 0, 14, ErrorBody(2)))),
        (True, encode_message(HartIpMessage(1, 0, 1, 0, 15))),
        (False, encode_message(HartIpMessage(1, 1, 1, 0, 15))),
    ]


def _hart5_exchanges() -> list[tuple[bool, bytes]]:
    return [
        (True, session_initiate_request(1)),
        (False, _rsp(1, 0, 1, SessionInitiate(0, 30000))),
        (True, read_request(2)),
        (False, _rsp(1, 3, 2, _ack(0, encode_unique_identifier(HART5), address=b"\x80"))),
    ]


def _udp_exchanges() -> list[tuple[bool, bytes]]:
    return [
        (True, session_initiate_request(1)),
        (False, _rsp(1, 0, 1, SessionInitiate(0, 30000))),
        (True, read_request(2)),
        (False, _rsp(1, 3, 2, _ack(0, encode_unique_identifier(HART7_UDP), address=b"\x80"))),
        (False, _rsp(1, 3, 3, HartPdu(0x01, b"\x80", 1, b"\x20\x41\xa0\x00\x00", 0, 0), kind=2)),
    ]


def _udp_frame(from_client: bool, payload: bytes) -> bytes:
    src, dst = (HOST, DEVICE_UDP) if from_client else (DEVICE_UDP, HOST)
    sport, dport = (50000, 5094) if from_client else (5094, 50000)
    smac, dmac = (HOST_MAC, DEVICE_UDP_MAC) if from_client else (DEVICE_UDP_MAC, HOST_MAC)
    packet = ipv4(src, dst, PROTO_UDP, udp(sport, dport, payload, src, dst))
    return ethernet(dmac, smac, ETH_IPV4, packet)


def build() -> tuple[list[bytes], list[Sent]]:
    """Every frame of the capture, and where each message went."""
    frames: list[bytes] = []
    sent: list[Sent] = []
    for device, mac, port, exchanges in (
        (DEVICE7, DEVICE7_MAC, 40001, _hart7_exchanges()),
        (DEVICE5, DEVICE5_MAC, 40002, _hart5_exchanges()),
    ):
        s = TcpSession(HOST, port, device, 5094, HOST_MAC, mac, checksum=True)
        frames += s.handshake()
        for from_client, message in exchanges:
            frames += s.send(message, from_client=from_client)
            sent.append(Sent(len(frames), from_client, "tcp", message))
        frames += s.close()
    for from_client, message in _udp_exchanges():
        frames.append(_udp_frame(from_client, message))
        sent.append(Sent(len(frames), from_client, "udp", message))
    return frames, sent


def write_capture(path: Path) -> list[Sent]:
    """Write the capture; the messages it holds."""
    frames, sent = build()
    with path.open("wb") as fh:
        writer = PcapWriter(fh)
        for index, frame in enumerate(frames):
            writer.write(1_700_000_000.0 + index * 0.01, frame)
    return sent


def observe(
    frames: Iterable[tuple[int, float, int, bytes]], sensors: Sequence[Sensor], ref: str = "test"
) -> list[Observation]:
    """The passive engine's observations with only ``sensors`` registered."""
    with patch.object(engine, "SENSORS", tuple(sensors)):
        passive = engine.PassiveEngine(ref=ref)
    return passive.run(frames).observations


def observe_capture(path: Path, sensors: Sequence[Sensor]) -> list[Observation]:
    """``observe`` over a capture file."""
    with open_capture(path) as reader:
        return observe(reader, sensors, path.name)
