"""IEC 61850 GOOSE (8-1) and Sampled Values (9-2) codec, with a small BER reader.

See README.md in this folder for the specification references and known gaps.
"""

from otm.protocols.goose.anomalies import GooseAnomaly
from otm.protocols.goose.codec import (
    decode_goose,
    decode_sv,
    encode_goose,
    encode_sv,
    peek_goose_state,
    peek_header,
)
from otm.protocols.goose.constants import (
    ETHERTYPE_GOOSE,
    ETHERTYPE_SV,
    OPERATIONS,
    STATE_CHANGE,
    DataKind,
)
from otm.protocols.goose.data import decode_data_list, encode_data
from otm.protocols.goose.messages import (
    Asdu,
    BitString,
    Data,
    GooseFrame,
    GoosePdu,
    SavPdu,
    SvFrame,
    UtcTime,
)

__all__ = [
    "ETHERTYPE_GOOSE",
    "ETHERTYPE_SV",
    "OPERATIONS",
    "STATE_CHANGE",
    "Asdu",
    "BitString",
    "Data",
    "DataKind",
    "GooseAnomaly",
    "GooseFrame",
    "GoosePdu",
    "SavPdu",
    "SvFrame",
    "UtcTime",
    "decode_data_list",
    "decode_goose",
    "decode_sv",
    "encode_data",
    "encode_goose",
    "encode_sv",
    "peek_goose_state",
    "peek_header",
]
