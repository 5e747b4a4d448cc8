"""PROFINET codec: real-time frame classes (RT, alarms, PTCP) and DCP in full.

Hand-written: the layouts are fixed big-endian fields that ``struct`` reads
in place, and the one Python library that speaks DCP (Scapy's ``pnio_dcp``)
would pull a packet-I/O stack into the hot path.  See README.md for the
specification references and known gaps.
"""

from otm.protocols.profinet.anomalies import ProfinetAnomaly
from otm.protocols.profinet.codec import (
    block_value,
    carries_info,
    carries_qualifier,
    decode_dcp,
    decode_rt,
    device_id_value,
    encode_block,
    encode_dcp,
    encode_rt,
    get_request,
    identify_request,
    ip_value,
    text,
)
from otm.protocols.profinet.constants import (
    DCP_FRAME_IDS,
    ETHERTYPE_PROFINET,
    FrameId,
    Option,
    ServiceId,
    ServiceType,
    device_role_names,
    frame_class,
    is_cyclic,
    set_operation,
    suboption_name,
)
from otm.protocols.profinet.messages import (
    BlockValue,
    ControlResponse,
    DcpBlock,
    DcpPdu,
    DeviceId,
    DeviceInstance,
    DeviceRole,
    FullIpSuite,
    IpParameter,
    OemDeviceId,
    RtFrame,
)

__all__ = [
    "DCP_FRAME_IDS",
    "ETHERTYPE_PROFINET",
    "BlockValue",
    "ControlResponse",
    "DcpBlock",
    "DcpPdu",
    "DeviceId",
    "DeviceInstance",
    "DeviceRole",
    "FrameId",
    "FullIpSuite",
    "IpParameter",
    "OemDeviceId",
    "Option",
    "ProfinetAnomaly",
    "RtFrame",
    "ServiceId",
    "ServiceType",
    "block_value",
    "carries_info",
    "carries_qualifier",
    "decode_dcp",
    "decode_rt",
    "device_id_value",
    "device_role_names",
    "encode_block",
    "encode_dcp",
    "encode_rt",
    "frame_class",
    "get_request",
    "identify_request",
    "ip_value",
    "is_cyclic",
    "set_operation",
    "suboption_name",
    "text",
]
