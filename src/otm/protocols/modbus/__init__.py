"""Modbus/TCP codec: MBAP framing, every public function code, UMAS recognised.

See README.md in this folder for the specification references and known gaps.
"""

from otm.protocols.modbus.anomalies import ModbusAnomaly
from otm.protocols.modbus.codec import (
    check_values,
    decode_request,
    decode_request_pdu,
    decode_response,
    decode_response_pdu,
    encode_adu,
    encode_pdu,
    peek,
    peek_sub_code,
    request_operation,
)
from otm.protocols.modbus.constants import (
    OBJECT_NAMES,
    diagnostic_operation_category,
    diagnostic_operation_name,
    exception_name,
    object_name,
    operation_category,
    operation_name,
    umas_operation_category,
    umas_operation_name,
)
from otm.protocols.modbus.framing import frame_length
from otm.protocols.modbus.messages import Adu, Pdu, RequestPdu, ResponsePdu

__all__ = [
    "OBJECT_NAMES",
    "Adu",
    "ModbusAnomaly",
    "Pdu",
    "RequestPdu",
    "ResponsePdu",
    "check_values",
    "decode_request",
    "decode_request_pdu",
    "decode_response",
    "decode_response_pdu",
    "diagnostic_operation_category",
    "diagnostic_operation_name",
    "encode_adu",
    "encode_pdu",
    "exception_name",
    "frame_length",
    "object_name",
    "operation_category",
    "operation_name",
    "peek",
    "peek_sub_code",
    "request_operation",
    "umas_operation_category",
    "umas_operation_name",
]
