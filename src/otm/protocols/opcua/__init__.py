"""OPC UA binary (opc.tcp) codec: chunks, UA Secure Conversation, the identity services.

Hand-written: the Python OPC UA stacks (asyncua, python-opcua) are client and
server libraries that decode only inside their socket and session machinery
and allocate a full object graph per message, too slow and too coupled to I/O
for the passive hot path.  See README.md in this folder for the specification
references and known gaps.
"""

from otm.protocols.opcua.anomalies import OpcUaAnomaly
from otm.protocols.opcua.codec import (
    check_values,
    decode_build_info,
    decode_chunk,
    decode_error_body,
    decode_sequenced,
    decode_server_status,
    decode_service,
    encode_chunk,
    encode_error_body,
    encode_sequenced,
    encode_service,
    open_secure_channel,
    parse_endpoint_url,
    peek_header,
    peek_service_id,
    peek_service_result,
    secure_message,
    wrap_build_info,
    wrap_server_status,
)
from otm.protocols.opcua.constants import (
    operation_category,
    operation_name,
    response_name,
    security_mode_name,
    security_policy_name,
    status_name,
)
from otm.protocols.opcua.framing import frame_length, looks_like_hello
from otm.protocols.opcua.messages import Chunk, Service
from otm.protocols.opcua.reassembly import ChunkAssembler

__all__ = [
    "Chunk",
    "ChunkAssembler",
    "OpcUaAnomaly",
    "Service",
    "check_values",
    "decode_build_info",
    "decode_chunk",
    "decode_error_body",
    "decode_sequenced",
    "decode_server_status",
    "decode_service",
    "encode_chunk",
    "encode_error_body",
    "encode_sequenced",
    "encode_service",
    "frame_length",
    "looks_like_hello",
    "open_secure_channel",
    "operation_category",
    "operation_name",
    "parse_endpoint_url",
    "peek_header",
    "peek_service_id",
    "peek_service_result",
    "response_name",
    "secure_message",
    "security_mode_name",
    "security_policy_name",
    "status_name",
    "wrap_build_info",
    "wrap_server_status",
]
