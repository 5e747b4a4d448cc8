"""DNP3 (IEEE 1815) codec: link frames with their CRCs, transport reassembly, application layer.

See README.md in this folder for the specification references and known gaps.
"""

from otm.protocols.dnp3.anomalies import Dnp3Anomaly
from otm.protocols.dnp3.codec import (
    application_control,
    check_link_function,
    decode_application,
    decode_link_frame,
    decode_transport,
    device_attributes_request,
    encode_application,
    encode_frames,
    encode_link_frame,
    encode_transport,
    frame_size,
    peek,
    segment_fragment,
    strip_crcs,
    transport_header,
    verify_frame,
)
from otm.protocols.dnp3.constants import (
    DEVICE_ATTRIBUTE_NAMES,
    FUNCTION_CATEGORIES,
    FUNCTION_NAMES,
    FunctionCode,
    device_attribute_name,
    iin_names,
    link_function_name,
    link_operation_name,
    operation_category,
    operation_name,
)
from otm.protocols.dnp3.crc import crc16
from otm.protocols.dnp3.framing import frame_length
from otm.protocols.dnp3.messages import (
    DeviceAttribute,
    Fragment,
    LinkFrame,
    ObjectHeader,
    Request,
    Response,
    TransportSegment,
)
from otm.protocols.dnp3.objects import device_attributes, encode_object_header, walk_objects
from otm.protocols.dnp3.reassembly import MAX_FRAGMENT, TransportReassembler

__all__ = [
    "DEVICE_ATTRIBUTE_NAMES",
    "FUNCTION_CATEGORIES",
    "FUNCTION_NAMES",
    "MAX_FRAGMENT",
    "DeviceAttribute",
    "Dnp3Anomaly",
    "Fragment",
    "FunctionCode",
    "LinkFrame",
    "ObjectHeader",
    "Request",
    "Response",
    "TransportReassembler",
    "TransportSegment",
    "application_control",
    "check_link_function",
    "crc16",
    "decode_application",
    "decode_link_frame",
    "decode_transport",
    "device_attribute_name",
    "device_attributes",
    "device_attributes_request",
    "encode_application",
    "encode_frames",
    "encode_link_frame",
    "encode_object_header",
    "encode_transport",
    "frame_length",
    "frame_size",
    "iin_names",
    "link_function_name",
    "link_operation_name",
    "operation_category",
    "operation_name",
    "peek",
    "segment_fragment",
    "strip_crcs",
    "transport_header",
    "verify_frame",
    "walk_objects",
]
