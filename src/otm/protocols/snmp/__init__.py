"""SNMP v1/v2c codec with SNMPv3 recognised: its own small BER reader and writer.

See README.md in this folder for the specification references and known gaps.
"""

from otm.protocols.snmp.anomalies import SnmpAnomaly
from otm.protocols.snmp.codec import (
    decode_message,
    decode_usm,
    encode_message,
    encode_pdu,
    encode_usm,
    encode_value,
    encode_varbinds,
    peek,
)
from otm.protocols.snmp.constants import (
    AGENT_PDUS,
    AGENT_PORT,
    MANAGER_PDUS,
    TRAP_PORT,
    ErrorStatus,
    GenericTrap,
    PduType,
    ValueType,
    error_status_name,
    generic_trap_name,
    pdu_category,
    pdu_name,
)
from otm.protocols.snmp.enterprises import ENTERPRISE_VENDORS, enterprise_number, enterprise_vendor
from otm.protocols.snmp.messages import (
    AnyPdu,
    BulkPdu,
    CommunityMessage,
    Message,
    Pdu,
    ScopedPdu,
    TrapPdu,
    UsmSecurityParameters,
    V3Message,
    VarBind,
)

__all__ = [
    "AGENT_PDUS",
    "AGENT_PORT",
    "ENTERPRISE_VENDORS",
    "MANAGER_PDUS",
    "TRAP_PORT",
    "AnyPdu",
    "BulkPdu",
    "CommunityMessage",
    "ErrorStatus",
    "GenericTrap",
    "Message",
    "Pdu",
    "PduType",
    "ScopedPdu",
    "SnmpAnomaly",
    "TrapPdu",
    "UsmSecurityParameters",
    "V3Message",
    "ValueType",
    "VarBind",
    "decode_message",
    "decode_usm",
    "encode_message",
    "encode_pdu",
    "encode_usm",
    "encode_value",
    "encode_varbinds",
    "enterprise_number",
    "enterprise_vendor",
    "error_status_name",
    "generic_trap_name",
    "pdu_category",
    "pdu_name",
    "peek",
]
