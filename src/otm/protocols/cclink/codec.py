"""CC-Link IE bytes <-> frames, without I/O.

``decode_frame`` takes the payload after the EtherType 0x890F and returns a
``CcLinkFrame`` or an ``Anomaly``; it never raises and reads no further than
the header, so ``encode_frame(decode_frame(b)) == b`` for every accepted
``b``.  Nothing past the header is decoded (see README.md).
"""

from __future__ import annotations

from otm.protocols.cclink.anomalies import CcLinkAnomaly
from otm.protocols.cclink.constants import FRAME_TYPES, HEADER_LENGTH
from otm.protocols.cclink.messages import CcLinkFrame
from otm.protocols.common import Anomaly

K = CcLinkAnomaly


def decode_frame(payload: bytes) -> CcLinkFrame | Anomaly:
    """Frame type, and for the known types the 13 header bytes after it."""
    if not payload:
        return Anomaly(K.TRUNCATED, "empty frame, no frame type", 0)
    frame_type = payload[0]
    if frame_type not in FRAME_TYPES:
        return CcLinkFrame(frame_type, b"", bytes(payload[1:]))
    if len(payload) < HEADER_LENGTH:
        return Anomaly(
            K.TRUNCATED, f"{len(payload)} bytes, the header needs {HEADER_LENGTH}", len(payload)
        )
    return CcLinkFrame(frame_type, bytes(payload[1:HEADER_LENGTH]), bytes(payload[HEADER_LENGTH:]))


def encode_frame(frame: CcLinkFrame) -> bytes:
    """Type byte, header and payload as they are."""
    return bytes((frame.frame_type,)) + frame.header + frame.payload


def field_header(
    data_type: int = 0,
    node_id: int = 0,
    connection_info: int = 0,
    source_node: int = 0,
    protocol_version: int = 1,
    hec: int = 0,
) -> bytes:
    """The 13 header bytes after the type of a field-family frame (tests, scanner)."""
    return (
        bytes((data_type,))
        + node_id.to_bytes(2, "big")
        + bytes((connection_info, 0))
        + source_node.to_bytes(2, "big")
        + bytes((protocol_version, 0))
        + hec.to_bytes(4, "big")
    )


def control_header(
    priority: int = 0, scan_number: int = 0, source_node: int = 0, hec: int = 0
) -> bytes:
    """The 13 header bytes after the type of a control-family frame."""
    return (
        bytes((priority,))
        + scan_number.to_bytes(3, "big")
        + b"\0"
        + source_node.to_bytes(2, "big")
        + b"\0\0"
        + hec.to_bytes(4, "big")
    )
