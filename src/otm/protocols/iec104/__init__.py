"""IEC 60870-5-104 codec: APCI framing, I/S/U frames, the ASDU and every sized type's elements.

Hand-written: the Python IEC 104 libraries (c104, lib60870 bindings) run a
station with sockets and threads, and none decodes a captured APDU without
I/O at the speed the passive sensor needs.  See README.md in this folder for
the specification references and known gaps.
"""

from otm.protocols.iec104.anomalies import Iec104Anomaly
from otm.protocols.iec104.codec import (
    decode_apdu,
    decode_asdu,
    encode_apdu,
    encode_asdu,
    peek,
)
from otm.protocols.iec104.constants import (
    CAUSE_NAMES,
    TYPE_CATEGORIES,
    TYPE_NAMES,
    U_NAMES,
    Cause,
    FrameFormat,
    TypeId,
    UFunction,
    cause_name,
    type_category,
    type_mnemonic,
    type_name,
)
from otm.protocols.iec104.elements import ELEMENT_SIZES, LAYOUTS
from otm.protocols.iec104.framing import frame_length
from otm.protocols.iec104.messages import (
    Apdu,
    Asdu,
    Cp24Time,
    Cp56Time,
    Element,
    IFrame,
    InformationObject,
    SFrame,
    UFrame,
)

__all__ = [
    "CAUSE_NAMES",
    "ELEMENT_SIZES",
    "LAYOUTS",
    "TYPE_CATEGORIES",
    "TYPE_NAMES",
    "U_NAMES",
    "Apdu",
    "Asdu",
    "Cause",
    "Cp24Time",
    "Cp56Time",
    "Element",
    "FrameFormat",
    "IFrame",
    "Iec104Anomaly",
    "InformationObject",
    "SFrame",
    "TypeId",
    "UFrame",
    "UFunction",
    "cause_name",
    "decode_apdu",
    "decode_asdu",
    "encode_apdu",
    "encode_asdu",
    "frame_length",
    "peek",
    "type_category",
    "type_mnemonic",
    "type_name",
]
