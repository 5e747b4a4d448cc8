"""HART-IP codec: header, session messages, token-passing and direct PDUs, identity replies.

Hand-written: the available HART-IP code is either a device/host stack with
sockets (FieldComm's hipserver, vendor SDKs) or a display dissector; none
decodes captured bytes without I/O.  See README.md in this folder for the
specification references and known gaps.
"""

from otm.protocols.hartip.anomalies import HartIpAnomaly
from otm.protocols.hartip.codec import (
    decode_direct_pdu,
    decode_hart_pdu,
    decode_message,
    encode_direct_pdu,
    encode_hart_pdu,
    encode_message,
    peek,
    peek_command,
    split_datagram,
)
from otm.protocols.hartip.constants import (
    COMMAND_CATEGORIES,
    COMMAND_NAMES,
    FrameType,
    HostType,
    MessageId,
    MessageType,
    command_category,
    command_name,
    message_name,
)
from otm.protocols.hartip.framing import frame_length
from otm.protocols.hartip.messages import (
    Body,
    DirectCommand,
    DirectPdu,
    ErrorBody,
    HartIpMessage,
    HartPdu,
    RawBody,
    SessionInitiate,
    TagDescriptorDate,
    UniqueIdentifier,
)
from otm.protocols.hartip.queries import read_request, session_initiate_request
from otm.protocols.hartip.replies import (
    decode_long_tag,
    decode_tag_descriptor_date,
    decode_unique_identifier,
    encode_long_tag,
    encode_tag_descriptor_date,
    encode_unique_identifier,
    pack_ascii,
    unpack_ascii,
)

__all__ = [
    "COMMAND_CATEGORIES",
    "COMMAND_NAMES",
    "Body",
    "DirectCommand",
    "DirectPdu",
    "ErrorBody",
    "FrameType",
    "HartIpAnomaly",
    "HartIpMessage",
    "HartPdu",
    "HostType",
    "MessageId",
    "MessageType",
    "RawBody",
    "SessionInitiate",
    "TagDescriptorDate",
    "UniqueIdentifier",
    "command_category",
    "command_name",
    "decode_direct_pdu",
    "decode_hart_pdu",
    "decode_long_tag",
    "decode_message",
    "decode_tag_descriptor_date",
    "decode_unique_identifier",
    "encode_direct_pdu",
    "encode_hart_pdu",
    "encode_long_tag",
    "encode_message",
    "encode_tag_descriptor_date",
    "encode_unique_identifier",
    "frame_length",
    "message_name",
    "pack_ascii",
    "peek",
    "peek_command",
    "read_request",
    "session_initiate_request",
    "split_datagram",
    "unpack_ascii",
]
