"""Hypothesis strategies for GOOSE and Sampled Values frames and every dataset value kind."""

from __future__ import annotations

from hypothesis import strategies as st

from otm.protocols.goose import (
    Asdu,
    BitString,
    Data,
    DataKind,
    GooseFrame,
    GoosePdu,
    SavPdu,
    SvFrame,
    UtcTime,
)

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFFFFFF)

VISIBLE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40)
"""VisibleString-ish text; Latin-1, so any of it encodes."""

UTC_TIME = st.builds(UtcTime, u32, st.integers(0, 0xFFFFFF), u8)


def _bits() -> st.SearchStrategy[BitString]:
    return st.one_of(
        st.builds(BitString, st.just(0), st.binary(max_size=8)),
        st.builds(BitString, st.integers(1, 7), st.binary(min_size=1, max_size=8)),
    )


def _raw_float() -> st.SearchStrategy[bytes]:
    """FloatingPoint octets that are neither IEEE single nor double: kept raw."""
    return st.binary(max_size=12).filter(
        lambda b: not ((len(b) == 5 and b[0] == 8) or (len(b) == 9 and b[0] == 11))
    )


LEAVES: dict[DataKind, st.SearchStrategy[object]] = {
    DataKind.BOOLEAN: st.booleans(),
    DataKind.BIT_STRING: _bits(),
    DataKind.INTEGER: st.integers(-(2**63), 2**63),
    DataKind.UNSIGNED: st.integers(0, 2**32),
    DataKind.FLOATING_POINT: st.one_of(st.floats(allow_nan=False), _raw_float()),
    DataKind.REAL: st.binary(max_size=10),
    DataKind.OCTET_STRING: st.binary(max_size=20),
    DataKind.VISIBLE_STRING: VISIBLE,
    DataKind.GENERALIZED_TIME: st.binary(max_size=20),
    DataKind.BINARY_TIME: st.binary(max_size=6),
    DataKind.BCD: st.integers(0, 10**8),
    DataKind.BOOLEAN_ARRAY: _bits(),
    DataKind.OBJ_ID: st.binary(max_size=10),
    DataKind.MMS_STRING: st.text(max_size=20),
    DataKind.UTC_TIME: UTC_TIME,
}
"""Every primitive data kind -> its values."""


def leaf(kind: DataKind) -> st.SearchStrategy[Data]:
    return LEAVES[kind].map(lambda value: Data(kind, value))


LEAF = st.one_of(*(leaf(k) for k in LEAVES))


def data(depth: int = 3) -> st.SearchStrategy[Data]:
    """Dataset values nested up to ``depth`` arrays/structures."""
    if depth == 0:
        return LEAF
    members = st.lists(data(depth - 1), max_size=4).map(tuple)
    return st.one_of(
        LEAF,
        st.builds(Data, st.sampled_from((DataKind.ARRAY, DataKind.STRUCTURE)), members),
    )


def goose_pdus(values: st.SearchStrategy[Data] | None = None) -> st.SearchStrategy[GoosePdu]:
    return st.builds(
        GoosePdu,
        gocb_ref=VISIBLE,
        time_allowed_to_live=u32,
        dat_set=VISIBLE,
        go_id=st.none() | VISIBLE,
        t=UTC_TIME,
        st_num=u32,
        sq_num=u32,
        simulation=st.booleans(),
        conf_rev=u32,
        nds_com=st.booleans(),
        num_dat_set_entries=u16,
        all_data=st.lists(values if values is not None else data(), max_size=8).map(tuple),
        security=st.none() | st.binary(max_size=16),
    )


def goose_frames(values: st.SearchStrategy[Data] | None = None) -> st.SearchStrategy[GooseFrame]:
    return st.builds(GooseFrame, u16, u16, u16, goose_pdus(values))


ASDU = st.builds(
    Asdu,
    sv_id=VISIBLE,
    dat_set=st.none() | VISIBLE,
    smp_cnt=u16,
    conf_rev=u32,
    refr_tm=st.none() | UTC_TIME,
    smp_synch=u8,
    smp_rate=st.none() | u16,
    samples=st.binary(max_size=64),
    smp_mod=st.none() | u16,
    gm_identity=st.none() | st.binary(min_size=8, max_size=8),
)

SV_FRAMES = st.builds(
    SvFrame,
    u16,
    u16,
    u16,
    st.builds(
        SavPdu, u16, st.lists(ASDU, max_size=4).map(tuple), st.none() | st.binary(max_size=8)
    ),
)
