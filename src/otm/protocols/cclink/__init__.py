"""CC-Link IE codec (EtherType 0x890F): recognises the frame type and its header.

Hand-written: one type byte and a fixed 13-byte header; no Python library
decodes CC-Link IE layer-2 frames.  See README.md for the sources and gaps.
"""

from otm.protocols.cclink.anomalies import CcLinkAnomaly
from otm.protocols.cclink.codec import control_header, decode_frame, encode_frame, field_header
from otm.protocols.cclink.constants import (
    ETHERTYPE_CCLINK_IE,
    FRAME_TYPES,
    Family,
    Kind,
    frame_type_name,
)
from otm.protocols.cclink.messages import CcLinkFrame

__all__ = [
    "ETHERTYPE_CCLINK_IE",
    "FRAME_TYPES",
    "CcLinkAnomaly",
    "CcLinkFrame",
    "Family",
    "Kind",
    "control_header",
    "decode_frame",
    "encode_frame",
    "field_header",
    "frame_type_name",
]
