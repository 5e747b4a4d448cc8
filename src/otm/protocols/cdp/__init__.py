"""Cisco Discovery Protocol codec: header, checksum, the identity and
neighbour TLVs, the ``Neighbour`` record.

See README.md in this folder for the sources and known gaps.
"""

from otm.protocols.cdp.anomalies import CdpAnomaly
from otm.protocols.cdp.codec import (
    cdp_checksum,
    decode_cdp,
    decode_tlv,
    encode_cdp,
    encode_tlv,
    neighbour,
    verify_checksum,
)
from otm.protocols.cdp.constants import SNAP_PID_CDP, capability_names, tlv_name
from otm.protocols.cdp.messages import CdpPacket, Tlv
from otm.protocols.neighbours import Neighbour

__all__ = [
    "SNAP_PID_CDP",
    "CdpAnomaly",
    "CdpPacket",
    "Neighbour",
    "Tlv",
    "capability_names",
    "cdp_checksum",
    "decode_cdp",
    "decode_tlv",
    "encode_cdp",
    "encode_tlv",
    "neighbour",
    "tlv_name",
    "verify_checksum",
]
