"""Hypothesis strategies that build every Modbus message shape, sized to fit one PDU.

Sizes follow the layouts in ``otm.protocols.modbus.messages``: a PDU is at
most 254 bytes here (``MAX_PDU_LENGTH``), so each strategy caps its
variable part at what is left after the fixed fields.
"""

from __future__ import annotations

from hypothesis import strategies as st

from otm.protocols.modbus import messages as m
from otm.protocols.modbus.constants import MAX_PDU_LENGTH, ExceptionCode

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)

DECODED_FUNCTION_CODES = frozenset(
    (1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 15, 16, 17, 20, 21, 22, 23, 24, 43, 90)
)
"""Function codes with a typed decoder; every other code in 1-127 decodes raw."""


def registers(max_count: int) -> st.SearchStrategy[tuple[int, ...]]:
    return st.lists(u16, max_size=max_count).map(tuple)


def room(fixed: int) -> int:
    """Bytes left in a largest PDU after ``fixed`` bytes (function code included)."""
    return MAX_PDU_LENGTH - fixed


def _coils() -> st.SearchStrategy[m.WriteMultipleCoilsRequest]:
    # 6 fixed bytes, so at most 248 output bytes, i.e. 1984 coils.
    return st.tuples(u16, st.integers(0, 8 * room(6))).flatmap(
        lambda aq: st.binary(min_size=(aq[1] + 7) // 8, max_size=(aq[1] + 7) // 8).map(
            lambda data: m.WriteMultipleCoilsRequest(aq[0], aq[1], data)
        )
    )


def _file_responses() -> st.SearchStrategy[m.ReadFileRecordResponse]:
    sub = st.builds(m.FileSubResponse, u8, registers(20))
    return (
        st.lists(sub, max_size=12)
        .filter(lambda subs: sum(2 + 2 * len(s.record_data) for s in subs) <= room(2))
        .map(lambda subs: m.ReadFileRecordResponse(tuple(subs)))
    )


def _file_writes() -> st.SearchStrategy[m.WriteFileRecord]:
    record = st.builds(m.FileRecord, u8, u16, u16, registers(20))
    return (
        st.lists(record, max_size=10)
        .filter(lambda rs: sum(7 + 2 * len(r.record_data) for r in rs) <= room(2))
        .map(lambda rs: m.WriteFileRecord(tuple(rs)))
    )


def _device_id_response() -> st.SearchStrategy[m.ReadDeviceIdentificationResponse]:
    obj = st.builds(m.DeviceIdObject, u8, st.binary(max_size=40))
    return st.builds(
        m.ReadDeviceIdentificationResponse,
        u8,
        u8,
        u8,
        u8,
        st.lists(obj, max_size=12)
        .filter(lambda objs: sum(2 + len(o.value) for o in objs) <= room(7))
        .map(tuple),
    )


RAW_CODES = st.integers(1, 127).filter(lambda c: c not in DECODED_FUNCTION_CODES)

# Shapes both directions share.
WRITE_SINGLE = st.builds(m.WriteSingle, st.sampled_from((5, 6)), u16, u16)
DIAGNOSTICS = st.builds(m.Diagnostics, u16, st.binary(max_size=room(3)))
WRITE_FILE_RECORD = _file_writes()
MASK_WRITE_REGISTER = st.builds(m.MaskWriteRegister, u16, u16, u16)
ENCAPSULATED = st.builds(
    m.EncapsulatedInterfaceTransport, u8.filter(lambda mei: mei != 14), st.binary(max_size=room(2))
)
RAW_PDU = st.one_of(
    st.builds(m.RawPdu, RAW_CODES, st.binary(max_size=room(1))),
    st.builds(m.RawPdu, st.just(90), st.binary(max_size=1)),
)

REQUESTS: dict[str, st.SearchStrategy[m.RequestPdu]] = {
    "ReadRequest": st.builds(m.ReadRequest, st.sampled_from((1, 2, 3, 4)), u16, u16),
    "WriteSingle": WRITE_SINGLE,
    "NoDataRequest": st.builds(m.NoDataRequest, st.sampled_from((7, 11, 12, 17))),
    "Diagnostics": DIAGNOSTICS,
    "WriteMultipleCoilsRequest": _coils(),
    "WriteMultipleRegistersRequest": st.builds(
        m.WriteMultipleRegistersRequest, u16, registers(room(6) // 2)
    ),
    "ReadFileRecordRequest": st.builds(
        m.ReadFileRecordRequest,
        st.lists(st.builds(m.FileSubRequest, u8, u16, u16, u16), max_size=room(2) // 7).map(tuple),
    ),
    "WriteFileRecord": WRITE_FILE_RECORD,
    "MaskWriteRegister": MASK_WRITE_REGISTER,
    "ReadWriteMultipleRequest": st.builds(
        m.ReadWriteMultipleRequest, u16, u16, u16, registers(room(10) // 2)
    ),
    "ReadFifoQueueRequest": st.builds(m.ReadFifoQueueRequest, u16),
    "ReadDeviceIdentificationRequest": st.builds(m.ReadDeviceIdentificationRequest, u8, u8),
    "EncapsulatedInterfaceTransport": ENCAPSULATED,
    "UmasRequest": st.builds(m.UmasRequest, u8, u8, st.binary(max_size=room(3))),
    "RawPdu": RAW_PDU,
}
"""Message class name -> strategy, for every class ``decode_request_pdu`` returns."""

RESPONSES: dict[str, st.SearchStrategy[m.ResponsePdu]] = {
    "ReadBitsResponse": st.builds(
        m.ReadBitsResponse, st.sampled_from((1, 2)), st.binary(max_size=room(2))
    ),
    "ReadRegistersResponse": st.builds(
        m.ReadRegistersResponse, st.sampled_from((3, 4, 23)), registers(room(2) // 2)
    ),
    "WriteSingle": WRITE_SINGLE,
    "ReadExceptionStatusResponse": st.builds(m.ReadExceptionStatusResponse, u8),
    "Diagnostics": DIAGNOSTICS,
    "CommEventCounterResponse": st.builds(m.CommEventCounterResponse, u16, u16),
    "CommEventLogResponse": st.builds(
        m.CommEventLogResponse, u16, u16, u16, st.binary(max_size=room(8))
    ),
    "WriteMultipleResponse": st.builds(
        m.WriteMultipleResponse, st.sampled_from((15, 16)), u16, u16
    ),
    "ReportServerIdResponse": st.builds(m.ReportServerIdResponse, st.binary(max_size=room(2))),
    "ReadFileRecordResponse": _file_responses(),
    "WriteFileRecord": WRITE_FILE_RECORD,
    "MaskWriteRegister": MASK_WRITE_REGISTER,
    "ReadFifoQueueResponse": st.builds(m.ReadFifoQueueResponse, registers(room(5) // 2)),
    "ReadDeviceIdentificationResponse": _device_id_response(),
    "EncapsulatedInterfaceTransport": ENCAPSULATED,
    "UmasResponse": st.builds(m.UmasResponse, u8, u8, st.binary(max_size=room(3))),
    "RawPdu": RAW_PDU,
    "ExceptionResponse": st.builds(
        m.ExceptionResponse, st.integers(1, 127), st.sampled_from(list(ExceptionCode))
    ),
}
"""Message class name -> strategy, for every class ``decode_response_pdu`` returns."""


def adus(pdus: st.SearchStrategy[m.Pdu]) -> st.SearchStrategy[m.Adu]:
    return st.builds(m.Adu, u16, u8, pdus)


def framed_pdu_bytes() -> st.SearchStrategy[bytes]:
    """ADUs with a consistent MBAP header around a function code and random body.

    Most arbitrary bytes fail at the protocol id; these reach the PDU decoders.
    """
    codes = st.one_of(st.sampled_from(sorted(DECODED_FUNCTION_CODES)), u8)
    return st.builds(
        lambda tid, unit, code, body: (
            tid.to_bytes(2, "big")
            + b"\x00\x00"
            + (len(body) + 2).to_bytes(2, "big")
            + bytes((unit, code))
            + body
        ),
        u16,
        u8,
        codes,
        st.binary(max_size=room(1)),
    )
