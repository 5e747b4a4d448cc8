"""Hypothesis strategies that build every IEC 104 APDU shape, sized to fit one APDU.

Elements are generated from the codec's own layout table (field codec ->
value range), so every sized type is covered by one strategy; the ASDU's
object count is capped so that the ASDU stays within 249 octets.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from otm.protocols.iec104 import messages as m
from otm.protocols.iec104.constants import MAX_ASDU_LENGTH, UFunction
from otm.protocols.iec104.elements import (
    CP24,
    CP56,
    ELEMENT_SIZES,
    I16,
    I32,
    LAYOUTS,
    SEG,
    U8,
    U16,
    U24,
    U32,
)

u8 = st.integers(0, 0xFF)
seq15 = st.integers(0, 0x7FFF)

CP24_TIMES = st.builds(
    m.Cp24Time, st.integers(0, 0xFFFF), st.integers(0, 0x3F), st.booleans(), st.booleans()
)
CP56_TIMES = st.builds(
    m.Cp56Time,
    milliseconds=st.integers(0, 0xFFFF),
    minute=st.integers(0, 0x3F),
    hour=st.integers(0, 0x1F),
    day=st.integers(0, 0x1F),
    month=st.integers(0, 0x0F),
    year=st.integers(0, 0x7F),
    day_of_week=st.integers(0, 7),
    summer_time=st.booleans(),
    substituted=st.booleans(),
    invalid=st.booleans(),
    reserved=st.integers(0, 0x7F),
)

_VALUES: dict[int, st.SearchStrategy[Any]] = {
    U8: u8,
    U16: st.integers(0, 0xFFFF),
    I16: st.integers(-0x8000, 0x7FFF),
    U24: st.integers(0, 0xFFFFFF),
    U32: st.integers(0, 0xFFFFFFFF),
    I32: st.integers(-0x80000000, 0x7FFFFFFF),
    CP24: CP24_TIMES,
    CP56: CP56_TIMES,
    SEG: st.binary(max_size=40),
}

SIZED_TYPES = sorted(LAYOUTS)
RAW_TYPES = [t for t in range(1, 256) if t not in LAYOUTS]


def elements(type_id: int) -> st.SearchStrategy[m.Element]:
    """Any element of ``type_id`` (which has a layout)."""
    cls, spec = LAYOUTS[type_id]
    return st.fixed_dictionaries({name: _VALUES[codec] for name, codec in spec}).map(
        lambda values: cls(**values)
    )


def _objects(type_id: int, sequence: bool) -> st.SearchStrategy[tuple[m.InformationObject, ...]]:
    size = ELEMENT_SIZES[type_id]
    per = (size if size is not None else 45) + (0 if sequence else 3)
    room = MAX_ASDU_LENGTH - 6 - (3 if sequence else 0)
    most = min(127, room // max(per, 1), 12)
    items = st.lists(elements(type_id), max_size=most)
    if sequence:
        return st.tuples(st.integers(0, 0xFFFFFF), items).map(
            lambda ai: tuple(
                m.InformationObject((ai[0] + i) & 0xFFFFFF, e) for i, e in enumerate(ai[1])
            )
        )
    return st.lists(
        st.builds(m.InformationObject, st.integers(0, 0xFFFFFF), elements(type_id)),
        max_size=most,
    ).map(tuple)


def _fits(asdu: m.Asdu) -> bool:
    from otm.protocols.iec104 import encode_asdu

    try:
        encode_asdu(asdu)
    except ValueError:
        return False
    return True


def _sized_asdu(type_id: int) -> st.SearchStrategy[m.Asdu]:
    return st.booleans().flatmap(
        lambda sequence: st.builds(
            lambda objects, cause, neg, test, oa, ca: m.Asdu(
                type_id, sequence, len(objects), cause, neg, test, oa, ca, objects
            ),
            _objects(type_id, sequence),
            st.integers(1, 63),
            st.booleans(),
            st.booleans(),
            u8,
            st.integers(0, 0xFFFF),
        )
    )


SIZED_ASDUS = st.sampled_from(SIZED_TYPES).flatmap(_sized_asdu).filter(_fits)

RAW_ASDUS = st.builds(
    m.Asdu,
    type_id=st.sampled_from(RAW_TYPES),
    sequence=st.booleans(),
    number=st.integers(0, 127),
    cause=st.integers(1, 63),
    negative=st.booleans(),
    test=st.booleans(),
    originator=u8,
    common_address=st.integers(0, 0xFFFF),
    raw=st.binary(max_size=MAX_ASDU_LENGTH - 6),
)

ASDUS = st.one_of(SIZED_ASDUS, RAW_ASDUS)

APDUS: st.SearchStrategy[m.Apdu] = st.one_of(
    st.builds(m.IFrame, seq15, seq15, ASDUS),
    st.builds(m.SFrame, seq15),
    st.builds(m.UFrame, st.sampled_from([int(f) for f in UFunction])),
)
