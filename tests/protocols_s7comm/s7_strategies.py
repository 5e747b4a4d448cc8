"""Hypothesis strategies: every TPKT/COTP/S7comm/S7comm-plus message, in canonical form.

Canonical means what a decoder returns for the bytes the encoder writes: a
``RawItem`` never looks like a known syntax, a ``RawBody`` job never starts
with a function that has its own decoder, a version 3 S7comm-plus PDU
without digest never starts its data with the digest length byte.
"""

from __future__ import annotations

from hypothesis import strategies as st

from otm.protocols.s7comm import (
    BlockControlAck,
    BlockControlJob,
    ComponentIdentification,
    ComponentRecord,
    CotpConnect,
    CotpData,
    CotpDisconnect,
    CotpDisconnectConfirm,
    CotpOther,
    CotpParameter,
    CyclicData,
    CyclicRequest,
    DataItem,
    DbReadArea,
    DbReadItem,
    DriveEsAnyItem,
    Item,
    ModuleIdentification,
    ModuleIdentityRecord,
    NckItem,
    PiService,
    PlcStop,
    RawBody,
    RawItem,
    ReadVarRequest,
    ReadVarResponse,
    S7AnyItem,
    S7Body,
    S7Pdu,
    S7PlusPdu,
    SetupCommunication,
    SymbolicItem,
    SzlRequest,
    SzlResponse,
    Tpkt,
    Userdata,
    UserdataData,
    UserdataParameter,
    WriteVarRequest,
    WriteVarResponse,
    data_length_in_bytes,
)

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u24 = st.integers(0, 0xFFFFFF)
u32 = st.integers(0, 0xFFFFFFFF)
ascii_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20)

# --- COTP ------------------------------------------------------------------------

cotp_parameters = st.lists(st.builds(CotpParameter, u8, st.binary(max_size=16)), max_size=4).map(
    tuple
)

cotp_connect = st.builds(
    CotpConnect,
    st.sampled_from((0xE0, 0xD0)),
    st.integers(0, 15),
    u16,
    u16,
    u8,
    cotp_parameters,
)
cotp_disconnect = st.builds(CotpDisconnect, u16, u16, u8, cotp_parameters)
cotp_disconnect_confirm = st.builds(CotpDisconnectConfirm, u16, u16, cotp_parameters)
cotp_data = st.builds(CotpData, st.booleans(), st.integers(0, 0x7F), st.binary(max_size=64))


@st.composite
def cotp_other(draw: st.DrawFn) -> CotpOther:
    code = draw(st.sampled_from((0x10, 0x20, 0x50, 0x60, 0x70, 0x00, 0x30, 0x40, 0x90, 0xF0)))
    code |= draw(st.integers(0, 15))
    header = draw(st.binary(min_size=1, max_size=12))
    if code == 0xF0 and len(header) == 1:
        header += b"\x00"  # a one-byte header with code 0xF0 is a class 0 DT
    return CotpOther(code, header, draw(st.binary(max_size=32)))


cotp_pdus = st.one_of(
    cotp_connect, cotp_disconnect, cotp_disconnect_confirm, cotp_data, cotp_other()
)
tpkts = st.builds(Tpkt, u8, cotp_pdus)

# --- items ------------------------------------------------------------------------

s7any_items = st.builds(S7AnyItem, u8, u16, u16, u8, u24)
dbread_items = st.builds(
    DbReadItem, st.lists(st.builds(DbReadArea, u8, u16, u16), max_size=6).map(tuple)
)
nck_items = st.builds(NckItem, st.sampled_from((0x82, 0x83, 0x84)), u8, u16, u16, u8, u8)
driveesany_items = st.builds(DriveEsAnyItem, u8, u16, u16, u16, u16)
symbolic_items = st.builds(
    SymbolicItem, u8, u16, u16, u32, st.lists(u32, min_size=1, max_size=5).map(tuple)
)


@st.composite
def raw_items(draw: st.DrawFn) -> RawItem:
    spec = draw(st.sampled_from((0x12, 0x12, 0x11, 0x00, 0xFF)))
    syntax = draw(u8)
    body = draw(st.binary(max_size=20))
    if spec == 0x12 and syntax in (0x10, 0xA2, 0xB0, 0xB2, 0x82, 0x83, 0x84):
        syntax = 0x11  # the known syntaxes decode to their own item classes
    return RawItem(spec, syntax, body)


items: st.SearchStrategy[Item] = st.one_of(
    s7any_items, dbread_items, nck_items, driveesany_items, symbolic_items, raw_items()
)
item_lists = st.lists(items, max_size=6).map(tuple)


@st.composite
def data_items(draw: st.DrawFn) -> DataItem:
    rc = draw(st.sampled_from((0x00, 0xFF, 0xFF, 0x05, 0x0A, 0x03)))
    ts = draw(st.sampled_from((0x00, 0x03, 0x04, 0x05, 0x06, 0x07, 0x09)))
    if rc not in (0x00, 0xFF):
        return DataItem(rc, ts, draw(u16), b"")
    length = draw(st.integers(0, 200) if ts in (3, 4, 5) else st.integers(0, 25))  # bits or bytes
    n = data_length_in_bytes(ts, length)
    return DataItem(rc, ts, length, draw(st.binary(min_size=n, max_size=n)))


data_item_lists = st.lists(data_items(), max_size=6).map(tuple)

# --- bodies -------------------------------------------------------------------------

setups = st.builds(SetupCommunication, u8, u16, u16, u16)
read_requests = st.builds(ReadVarRequest, item_lists)


@st.composite
def read_responses(draw: st.DrawFn) -> ReadVarResponse:
    values = draw(data_item_lists)
    if values:
        return ReadVarResponse(len(values), values)
    return ReadVarResponse(draw(u8), ())


@st.composite
def write_requests(draw: st.DrawFn) -> WriteVarRequest:
    its = draw(item_lists)
    values = tuple(draw(data_items()) for _ in its)
    return WriteVarRequest(its, values)


@st.composite
def write_responses(draw: st.DrawFn) -> WriteVarResponse:
    codes = draw(st.lists(u8, max_size=8).map(tuple))
    if codes:
        return WriteVarResponse(len(codes), codes)
    return WriteVarResponse(draw(u8), ())


@st.composite
def block_jobs(draw: st.DrawFn) -> BlockControlJob:
    function = draw(st.integers(0x1A, 0x1F))
    filename = draw(ascii_text) if function <= 0x1D else None
    return BlockControlJob(
        function, draw(u8), draw(u16), draw(u32), filename, draw(st.binary(max_size=16)), b""
    )


block_acks = st.builds(
    BlockControlAck,
    st.integers(0x1A, 0x1F),
    st.binary(max_size=16),
    st.binary(max_size=32),
)


@st.composite
def pi_services(draw: st.DrawFn) -> PiService:
    unknown = draw(st.binary(min_size=7, max_size=7))
    if draw(st.booleans()):
        return PiService(unknown, None, None)
    service = draw(st.sampled_from(("P_PROGRAM", "_INSE", "_DELE", "_GARB", "_MODU", "_N_SELECT")))
    return PiService(unknown, draw(st.binary(max_size=30)), service)


plc_stops = st.builds(PlcStop, st.binary(min_size=5, max_size=5), ascii_text)


@st.composite
def raw_job_bodies(draw: st.DrawFn) -> RawBody:
    function = draw(
        u8.filter(lambda f: f not in (0x04, 0x05, 0x28, 0x29, 0xF0, *range(0x1A, 0x20)))
    )
    return RawBody(bytes((function,)) + draw(st.binary(max_size=16)), draw(st.binary(max_size=16)))


@st.composite
def raw_ack_data_bodies(draw: st.DrawFn) -> RawBody:
    if draw(st.booleans()):
        return RawBody(b"", draw(st.binary(max_size=16)))
    function = draw(u8.filter(lambda f: f not in (0x04, 0x05, 0xF0, *range(0x1A, 0x20))))
    return RawBody(bytes((function,)) + draw(st.binary(max_size=16)), draw(st.binary(max_size=16)))


raw_ack_bodies = st.builds(RawBody, st.binary(max_size=16), st.binary(max_size=16))


@st.composite
def userdata_parameters(draw: st.DrawFn) -> UserdataParameter:
    method, kind, group, sub, seq = draw(
        st.tuples(
            st.sampled_from((0x11, 0x12)),
            st.sampled_from((0, 4, 8, 3, 7, 11)),
            st.integers(0, 15),
            u8,
            u8,
        )
    )
    if draw(st.booleans()):
        return UserdataParameter(
            method,
            kind,
            group,
            sub,
            seq,
            draw(u8),
            draw(u8),
            draw(u16),
            draw(st.binary(max_size=4)),
        )
    return UserdataParameter(
        method, kind, group, sub, seq, None, None, None, draw(st.binary(max_size=3))
    )


userdata_data = st.builds(UserdataData, u8, u8, st.binary(max_size=64))
userdata_bodies = st.builds(Userdata, userdata_parameters(), st.none() | userdata_data)


@st.composite
def raw_userdata_bodies(draw: st.DrawFn) -> RawBody:
    param = draw(st.binary(max_size=16).filter(lambda p: p[:3] != b"\x00\x01\x12"))
    return RawBody(param, draw(st.binary(max_size=16)))


@st.composite
def s7_pdus(draw: st.DrawFn) -> S7Pdu:
    rosctr = draw(st.sampled_from((1, 2, 3, 7)))
    body: S7Body
    if rosctr == 1:
        body = draw(
            st.one_of(
                setups,
                read_requests,
                write_requests(),
                block_jobs(),
                pi_services(),
                plc_stops,
                raw_job_bodies(),
            )
        )
    elif rosctr == 3:
        body = draw(
            st.one_of(
                setups, read_responses(), write_responses(), block_acks, raw_ack_data_bodies()
            )
        )
    elif rosctr == 2:
        body = draw(raw_ack_bodies)
    else:
        body = draw(st.one_of(userdata_bodies, raw_userdata_bodies()))
    error_class = error_code = None
    if rosctr in (2, 3):
        error_class, error_code = draw(u8), draw(u8)
    return S7Pdu(rosctr, draw(u16), draw(u16), error_class, error_code, body)


# --- SZL, cyclic, S7comm-plus ---------------------------------------------------------------

szl_requests = st.builds(SzlRequest, u16, u16)


@st.composite
def szl_responses(draw: st.DrawFn) -> SzlResponse:
    size = draw(st.integers(1, 40))
    records = draw(st.lists(st.binary(min_size=size, max_size=size), max_size=8).map(tuple))
    return SzlResponse(draw(u16), draw(u16), size, records)


mlfbs = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=20, max_size=20)
module_identifications = st.builds(
    ModuleIdentification,
    st.sampled_from((0x0011, 0x0111)),
    u16,
    st.lists(st.builds(ModuleIdentityRecord, u16, mlfbs, u16, u16, u16), max_size=5).map(tuple),
)
component_identifications = st.builds(
    ComponentIdentification,
    st.sampled_from((0x001C, 0x011C)),
    u16,
    st.lists(st.builds(ComponentRecord, u16, st.binary(min_size=32, max_size=32)), max_size=10).map(
        tuple
    ),
)

cyclic_requests = st.builds(CyclicRequest, u8, u8, u8, item_lists)
cyclic_data = st.builds(CyclicData, u8, data_item_lists)


@st.composite
def s7plus_pdus(draw: st.DrawFn) -> S7PlusPdu:
    version = draw(st.sampled_from((1, 2, 3, 0xFF)))
    digest = None
    if version == 3 and draw(st.booleans()):
        digest = draw(st.binary(min_size=32, max_size=32))
    data = draw(st.binary(max_size=80))
    if version == 3 and digest is None and data[:1] == b"\x20" and len(data) >= 33:
        data = b"\x31" + data[1:]
    return S7PlusPdu(version, digest, data, draw(st.booleans()))
