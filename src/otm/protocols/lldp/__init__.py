"""LLDP codec (IEEE 802.1AB): every basic TLV, IEEE 802.1/802.3 and PROFINET
organisation TLVs, the ``Neighbour`` record.

See README.md in this folder for the specification references and known gaps.
"""

from otm.protocols.lldp.anomalies import LldpAnomaly
from otm.protocols.lldp.codec import (
    decode_lldpdu,
    decode_optional,
    decode_org,
    encode_lldpdu,
    encode_tlv,
    neighbour,
)
from otm.protocols.lldp.constants import ETHERTYPE_LLDP, capability_names, tlv_type_name
from otm.protocols.lldp.messages import Lldpdu, Tlv
from otm.protocols.neighbours import Neighbour

__all__ = [
    "ETHERTYPE_LLDP",
    "LldpAnomaly",
    "Lldpdu",
    "Neighbour",
    "Tlv",
    "capability_names",
    "decode_lldpdu",
    "decode_optional",
    "decode_org",
    "encode_lldpdu",
    "encode_tlv",
    "neighbour",
    "tlv_type_name",
]
