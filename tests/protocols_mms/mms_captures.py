"""Test helper: the TPKTs and TSDUs of the shared MMS captures, cut by otm's own capture layer.

The captures are walked with otm's ``PacketWalker`` (TCP reassembly, the
TPKT framer of ``otm.protocols.mms``) with a recording handler on port 102;
COTP DTs are joined into TSDUs with ``TsduReassembler``.  A TPKT or TSDU
belongs to the frame in which its last byte arrived, which is where tshark,
reassembling TCP and COTP, shows it too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache

from conftest import GROUNDTRUTH, PCAPS
from otm.capture.interfaces import FlowKey
from otm.capture.readers import open_capture
from otm.capture.walker import PacketWalker
from otm.protocols.common import Anomaly
from otm.protocols.mms import CotpData, TsduReassembler, decode_tpkt, frame_length


def _mms_captures() -> tuple[str, ...]:
    names = []
    for gt in sorted(GROUNDTRUTH.glob("*.json")):
        data = json.loads(gt.read_text())
        if "mms" in data["protocol_frames"]:
            names.append(data["capture"])
    return tuple(names)


MMS_CAPTURES = _mms_captures()
"""Every shared capture whose ground truth lists MMS frames."""


@dataclass(frozen=True, slots=True)
class Unit:
    """A TPKT or a TSDU of a capture, with the frame its last byte came in."""

    frame: int
    from_client: bool
    data: bytes
    key: FlowKey


@dataclass
class _Recorder:
    key: FlowKey
    tpkts: list[Unit]
    tsdus: list[Unit]
    reassembly: dict[bool, TsduReassembler] = field(
        default_factory=lambda: {True: TsduReassembler(), False: TsduReassembler()}
    )

    def on_pdu(self, pdu: bytes, from_client: bool, frame: int, ts: float) -> None:
        self.tpkts.append(Unit(frame, from_client, pdu, self.key))
        cotp = decode_tpkt(pdu)
        if isinstance(cotp, CotpData):
            tsdu = self.reassembly[from_client].push(cotp.payload, cotp.eot)
            if isinstance(tsdu, bytes):
                self.tsdus.append(Unit(frame, from_client, tsdu, self.key))
            assert not isinstance(tsdu, Anomaly)

    def on_gap(self, from_client: bool, frame: int, ts: float, missing: int) -> None:
        self.reassembly[from_client].reset()

    def on_invalid(self, data: bytes, from_client: bool, frame: int, ts: float) -> None:
        raise AssertionError(f"unframed bytes in frame {frame}")

    def on_close(self, ts: float) -> None:
        """Nothing to hand over."""


@cache
def _walk(name: str) -> tuple[tuple[Unit, ...], tuple[Unit, ...]]:
    tpkts: list[Unit] = []
    tsdus: list[Unit] = []

    def factory(key: FlowKey, ts: float, frame: int) -> _Recorder:
        return _Recorder(key, tpkts, tsdus)

    walker = PacketWalker()
    walker.register_tcp(102, "iso-tsap", frame_length, factory)
    with open_capture(PCAPS / name) as reader:
        walker.walk(reader)
    return tuple(tpkts), tuple(tsdus)


def capture_tpkts(name: str) -> tuple[Unit, ...]:
    """Every TPKT to or from port 102, in the order they completed."""
    return _walk(name)[0]


def capture_tsdus(name: str) -> tuple[Unit, ...]:
    """Every TSDU (joined COTP DTs) to or from port 102, in the order they completed."""
    return _walk(name)[1]
