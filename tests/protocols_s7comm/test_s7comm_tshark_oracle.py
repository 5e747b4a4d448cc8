"""otm against the oracle, frame by frame: every S7comm field tshark shows, otm finds alike.

For each capture of ``S7_CAPTURES`` and every frame in which tshark dissects
S7comm, the values of ``s7_oracle_fields.FIELDS`` (ROSCTR, function codes,
read/write and cyclic item counts, userdata type/group/subfunction, SZL ids
and indexes, block file names, block types and numbers, PI service names,
and the SZL 0x0011/0x001C identity records) must be equal, in PDU order.
TPKTs are cut by otm's framer from tshark's TCP segments; userdata fragments
are reassembled by otm's ``UserdataReassembler``.

Named exceptions: none.  Two display conventions of tshark are mirrored in
``s7_oracle_fields`` rather than excepted: hex formatting of some fields,
and no value at all for an empty 0x001C text.  Outside this comparison:
userdata subfunctions otm keeps raw (alarm, diagnostic, TIS payloads) and
S7comm-plus, which tshark 4.0 does not dissect (see test_s7comm_groundtruth).
"""

from __future__ import annotations

from collections import Counter

import pytest
from s7_captures import S7_CAPTURES
from s7_oracle_fields import FIELDS, otm_fields, tshark_fields

FIELD_EXCEPTIONS: dict[tuple[str, str], str] = {}
"""(capture, tshark field) -> why otm legitimately differs.  Empty: none needed."""

NEVER_IN_CAPTURES: dict[str, str] = {
    "s7comm.szl.001c.0003.tag": "the CPUs of the shared captures have no plant designation",
}
"""Compared fields that no shared capture carries a value for."""


@pytest.mark.tshark
@pytest.mark.parametrize("capture", S7_CAPTURES)
def test_every_s7_frame_matches_tshark_field_by_field(capture: str, tshark: str) -> None:
    theirs = tshark_fields(capture)
    ours, anomalies = otm_fields(capture)
    assert not anomalies, anomalies[:5]
    assert sorted(ours) == sorted(theirs), "frames with S7comm differ"
    mismatches = []
    for frame in sorted(theirs):
        for field in FIELDS:
            if (capture, field) in FIELD_EXCEPTIONS:
                continue
            want = theirs[frame].get(field, [])
            got = list(ours[frame].get(field, []))
            if want != got:
                mismatches.append((frame, field, want, got))
    assert not mismatches, mismatches[:10]


@pytest.mark.tshark
def test_the_oracle_comparison_covers_every_field(tshark: str) -> None:
    """Each compared field carries values somewhere, so each comparison can fail."""
    seen: Counter[str] = Counter()
    for capture in S7_CAPTURES:
        for values in tshark_fields(capture).values():
            for field, found in values.items():
                seen[field] += len(found)
    missing = [field for field in FIELDS if not seen[field]]
    assert sorted(missing) == sorted(NEVER_IN_CAPTURES)
