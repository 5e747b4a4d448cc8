"""S7comm-plus program transfers: blocks downloaded, read out, deleted, and streamed downloads.

tshark 4.0 has no S7comm-plus dissector; the oracle is the bytes of the
shared captures, read as the labels of ``tests/detection/data/labels.yaml``
read them, and the public ids (s7commwireshark, S7CommPlusDriver, Rogue7):

- S7-1200-Uploading-OB1-TIAV12.pcap frame 127: CreateObject of RID
  0x8A320001, class 2647 (ProgramCycleOB), named "Main", inside a
  BeginSequence "DLTransaction": OB1 downloaded; frames 128-129 continue it;
- frame 146 (and hmi.pcap 1405): DeleteObject of the session id: no block;
- frames 57 and 95: Explore of the block list and of the type info, asking
  for names, numbers and CRCs, no code: no upload;
- hmi.pcap 88: a SetVarSubStreamed whose fragments run to 1378 (970 kB).
"""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from s7_captures import capture_pdus

from otm.capture.interfaces import FlowKey
from otm.observations.records import Operation
from otm.protocols.common import Anomaly
from otm.protocols.s7comm import S7PlusPdu, decode_payload, decode_tpkt
from otm.protocols.s7comm.plus import (
    BLOCK_CLASSES,
    CODE_ATTRIBUTES,
    CREATE_OBJECT,
    DELETE_OBJECT,
    EXPLORE,
    GET_VAR_SUBSTREAMED,
    ProgramRequest,
    S7PlusDataHeader,
    block_label,
    decode_create_object,
    encode_data_header,
    encode_s7plus,
    encode_vlq,
    fragment_ends,
    program_request,
)
from otm.sensing.aggregate import Tally
from otm.sensing.labels import FlowLabels
from otm.sensing.s7comm import STREAM_DOWNLOAD_BYTES, S7Stream

S1200 = "S7-1200-Uploading-OB1-TIAV12.pcap"
CAPTURES = (S1200, "hmi.pcap", "s7comm_plus.pcap")


@cache
def _tpkts(capture: str) -> dict[int, tuple[bool, bytes]]:
    """Frame -> (from the server, TPKT) of the S7comm-plus TPKTs of a capture."""
    out = {}
    for unit in capture_pdus(capture):
        tpkt = decode_tpkt(unit.tpkt)
        payload = getattr(getattr(tpkt, "cotp", None), "payload", b"")
        if payload[:1] == b"\x72":
            out[unit.frame] = (unit.from_server, unit.tpkt)
    return out


def _pdu(capture: str, frame: int) -> S7PlusPdu:
    tpkt = _tpkts(capture)[frame][1]
    pdu = decode_payload(tpkt[7:])
    assert isinstance(pdu, S7PlusPdu)
    return pdu


def _request(function: int, body: bytes, version: int = 2) -> S7PlusPdu:
    header = S7PlusDataHeader(0x31, function, 7, 0x34, 0x3C0, 14)
    return S7PlusPdu(version, None, encode_data_header(header) + body, True)


# --- real bytes -------------------------------------------------------------------------------


def test_ob1_download_is_recognised_in_its_first_fragment() -> None:
    pdu = _pdu(S1200, 127)
    assert not pdu.trailer  # the object goes on in 128 and 129
    assert isinstance(decode_create_object(pdu), Anomaly)  # too short for the full object
    found = program_request(pdu)
    assert found == ProgramRequest("download_block", 0x8A32_0001, "OB1", "Main")
    assert found.detail == (("block", "OB1"), ("block_name", "Main"))


@pytest.mark.parametrize("capture", CAPTURES)
def test_no_other_request_of_the_captures_is_a_program_transfer(capture: str) -> None:
    found = {}
    for frame, (from_server, tpkt) in _tpkts(capture).items():
        pdu = decode_payload(tpkt[7:])
        assert isinstance(pdu, S7PlusPdu)
        request = program_request(pdu)
        if request is not None:
            assert not from_server
            found[frame] = request.operation
    assert found == ({127: "download_block"} if capture == S1200 else {})


def test_session_deletes_are_not_block_deletes() -> None:
    for capture, frame, session in ((S1200, 146, 0x3C0), ("hmi.pcap", 1405, 0x3BE)):
        pdu = _pdu(capture, frame)
        assert pdu.function_code == DELETE_OBJECT and pdu.session_id == session
        assert program_request(pdu) is None
        data = bytearray(pdu.data)
        data[14:18] = (0x8A0E_0005).to_bytes(4, "big")  # the same request on DB5
        patched = S7PlusPdu(pdu.version, None, bytes(data), True)
        assert program_request(patched) == ProgramRequest("delete_block", 0x8A0E_0005, "DB5")


def test_going_online_explores_are_no_upload_until_they_ask_for_code() -> None:
    pdu = _pdu(S1200, 57)  # the block list: 38 attributes, names, numbers, CRCs
    assert pdu.function_code == EXPLORE and program_request(pdu) is None
    data = bytearray(pdu.data)
    at = data.index(encode_vlq(2532))  # Block.CRC -> FunctionalObject.Code
    data[at : at + 2] = encode_vlq(2580)
    patched = S7PlusPdu(pdu.version, None, bytes(data), True)
    assert program_request(patched) == ProgramRequest("upload_block", 3, "program")


def test_fragments_end_where_the_trailer_is() -> None:
    ends = {f: fragment_ends(t, 7) for f, (_, t) in _tpkts(S1200).items()}
    assert [ends[f] for f in (127, 128, 129, 130)] == [False, False, True, True]
    assert sum(not e for e in ends.values()) == 2
    hmi = {f: fragment_ends(t, 7) for f, (_, t) in _tpkts("hmi.pcap").items()}
    assert not hmi[51] and hmi[53]  # a 300-byte stream in two fragments
    assert not hmi[88]
    assert all(fragment_ends(t, 7) for _, t in _tpkts("s7comm_plus.pcap").values())


# --- synthetic requests, from the public layouts -------------------------------------------


def _explore(object_id: int, attributes: list[int], filters: int = 0) -> bytes:
    ids = b"".join(encode_vlq(a) for a in attributes)
    head = object_id.to_bytes(4, "big") + b"\x00\x01\x00\x00" + bytes((filters,))
    return head + encode_vlq(len(attributes)) + ids + b"\x00\x00\x00\x00\x00"


def _substreamed(object_id: int, attributes: list[int]) -> bytes:
    ids = b"".join(encode_vlq(a) for a in attributes)
    return object_id.to_bytes(4, "big") + b"\x20\x04" + encode_vlq(len(attributes)) + ids


def _delete(object_id: int) -> bytes:
    return object_id.to_bytes(4, "big") + b"\x00"


UL, DL = "upload_block", "download_block"


def _create(relation: int, class_id: int, name: str | None) -> bytes:
    body = b"\x00\x00\x00\x03" + b"\x00\x04\x00" + b"\x00\x00\x00\x00"
    body += b"\xa1" + relation.to_bytes(4, "big") + encode_vlq(class_id) + b"\x20\x00"
    if name is not None:
        raw = name.encode()
        body += b"\xa3" + encode_vlq(233) + b"\x00\x15" + encode_vlq(len(raw)) + raw
    return body + b"\xa2\x00\x00\x00\x00"


@pytest.mark.parametrize(
    ("function", "body", "expected"),
    [
        (EXPLORE, _explore(0x8A32_0001, [233, 2580]), ("upload_block", 0x8A32_0001, "OB1")),
        (EXPLORE, _explore(0x8A0E_0007, [2533]), ("upload_block", 0x8A0E_0007, "DB7")),
        (EXPLORE, _explore(0x8A0C_0002, [2537]), ("upload_block", 0x8A0C_0002, "0x8a0c0002")),
        (EXPLORE, _explore(3, [233, 2521, 2532]), None),  # the block list
        (EXPLORE, _explore(0x8A0E_0007, [2550]), None),  # a DB's values: an HMI's read
        (EXPLORE, _explore(3, [2580], filters=1), None),  # a filter: not read
        (GET_VAR_SUBSTREAMED, _substreamed(0x8A32_0001, [2580]), (UL, 0x8A32_0001, "OB1")),
        (GET_VAR_SUBSTREAMED, _substreamed(0x32, [3451]), None),  # CPU common: TIA's poll
        (DELETE_OBJECT, _delete(0x8A32_0023), ("delete_block", 0x8A32_0023, "OB35")),
        (DELETE_OBJECT, _delete(0x7000_0E51), None),  # a subscription
        (CREATE_OBJECT, _create(0x8A0E_0005, 2574, "Recipes"), (DL, 0x8A0E_0005, "DB5")),
        (CREATE_OBJECT, _create(0x8A32_0064, 2651, None), ("download_block", 0x8A32_0064, "OB100")),
        (CREATE_OBJECT, _create(211, 2579, "Calc"), ("download_block", 211, "FC")),
        (CREATE_OBJECT, _create(211, 1001, None), None),  # a subscription
        (CREATE_OBJECT, _create(211, 287, None), None),  # a session
    ],
)  # fmt: skip
def test_program_requests(
    function: int, body: bytes, expected: tuple[str, int, str] | None
) -> None:
    found = program_request(_request(function, body))
    if expected is None:
        assert found is None
    else:
        assert found is not None
        assert (found.operation, found.object_id, found.block) == expected


def test_responses_and_other_functions_are_no_program_request() -> None:
    body = _explore(0x8A32_0001, [2580])
    response = S7PlusDataHeader(0x32, EXPLORE, 7, 0x34)
    assert program_request(S7PlusPdu(2, None, encode_data_header(response) + body, True)) is None
    assert program_request(_request(0x054C, body)) is None
    assert program_request(S7PlusPdu(2, None, b"\x00\x82\x3f", False)) is None  # a fragment


@pytest.mark.parametrize(
    ("object_id", "class_id", "label"),
    [
        (0x8A32_0001, 2647, "OB1"),
        (0x8A32_0001, None, "OB1"),
        (0x8A0E_0010, None, "DB16"),
        (0x8A11_0001, None, "0x8a110001"),
        (0x8A0C_0001, 2578, "FB1"),
        (211, 2578, "FB"),
        (3, None, "program"),
        (0x0262_5AC9, None, "0x02625ac9"),
    ],
)
def test_block_labels(object_id: int, class_id: int | None, label: str) -> None:
    assert block_label(object_id, class_id) == label


def test_block_classes_are_the_public_ones() -> None:
    assert BLOCK_CLASSES[2647] == "OB" and BLOCK_CLASSES[2574] == "DB"
    assert {BLOCK_CLASSES[c] for c in (2578, 2579, 3932)} == {"FB", "FC", "UDT"}
    assert set(CODE_ATTRIBUTES) == {2533, 2537, 2580}


# --- never raises, never hangs ----------------------------------------------------------------

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(
    st.sampled_from((CREATE_OBJECT, DELETE_OBJECT, EXPLORE, GET_VAR_SUBSTREAMED)),
    st.binary(max_size=200),
    st.sampled_from((1, 2, 3)),
)
def test_fuzz_program_request_never_raises(function: int, body: bytes, version: int) -> None:
    found = program_request(_request(function, body, version))
    assert found is None or found.operation in ("download_block", "upload_block", "delete_block")


@FUZZ
@given(st.data())
def test_fuzz_mutated_real_requests(data: st.DataObject) -> None:
    frame = data.draw(st.sampled_from((57, 95, 127, 146, 13)))
    pdu = _pdu(S1200, frame)
    raw = bytearray(pdu.data)
    at = data.draw(st.integers(14, len(raw) - 1))
    raw[at] = data.draw(st.integers(0, 255))
    del raw[data.draw(st.integers(at, len(raw))) :]
    found = program_request(S7PlusPdu(pdu.version, None, bytes(raw), False))
    if found is not None:
        assert isinstance(found.block, str) and len(found.name) <= 64


@FUZZ
@given(st.binary(max_size=64), st.integers(0, 70))
def test_fuzz_fragment_ends_never_raises(data: bytes, start: int) -> None:
    assert isinstance(fragment_ends(data, start), bool)


def test_a_huge_address_count_is_cut_not_looped() -> None:
    body = (3).to_bytes(4, "big") + b"\x00\x01\x00\x00\x00" + encode_vlq(2**32 - 1)
    body += encode_vlq(233) * 2000
    assert program_request(_request(EXPLORE, body)) is None


# --- the sensor: counted under their names, continuation fragments skipped --------------------

KEY = FlowKey(
    "tcp", "10.0.0.9", 50000, "10.0.0.5", 102, "aa:aa:aa:aa:aa:09", "aa:aa:aa:aa:aa:05", None
)


def _tpkt(s7plus: bytes) -> bytes:
    """TPKT (version 3, length) and a COTP DT with EOT around an S7comm-plus PDU."""
    return b"\x03\x00" + (7 + len(s7plus)).to_bytes(2, "big") + b"\x02\xf0\x80" + s7plus


def _stream_operations(feed: list[tuple[bool, bytes, bool]]) -> dict[str, Operation]:
    """Feed (from the client, TPKT, gap before it) to one S7Stream; operations by name."""
    tally = Tally("test", "capture")
    stream = S7Stream(KEY, tally, FlowLabels())
    for frame, (from_client, tpkt, gap) in enumerate(feed, 1):
        if gap:
            stream.on_gap(from_client, frame, float(frame), 10)
        stream.on_pdu(tpkt, from_client, frame, float(frame))
    stream.on_close(float(len(feed) + 1))
    return {o.name: o for o in tally.flush() if isinstance(o, Operation)}


def _set_var_substreamed(chunk: bytes, last: bool) -> list[bytes]:
    header = encode_data_header(S7PlusDataHeader(0x31, 0x057C, 9, 0x34, 0x3BE, 14))
    first = encode_s7plus(S7PlusPdu(2, None, header + b"\x02\x62\x5a\xc9" + chunk, False))
    return [first] + (
        [encode_s7plus(S7PlusPdu(2, None, b"\x00\x05\x00\x00\x00\x00", True))] if last else []
    )


def test_a_large_streamed_write_is_one_download_stream_at_its_first_frame() -> None:
    chunk = bytes(1000)
    continuation = encode_s7plus(S7PlusPdu(2, None, b"\x87\x6f" + chunk, False))
    pieces = _set_var_substreamed(chunk, last=False)
    n = STREAM_DOWNLOAD_BYTES // 1000 + 5
    feed = [(True, _tpkt(p), False) for p in pieces]
    feed += [(True, _tpkt(continuation), False)] * n
    feed += [
        (True, _tpkt(encode_s7plus(S7PlusPdu(2, None, b"\x00\x05\x00\x00\x00\x00", True))), False)
    ]
    ops = _stream_operations(feed)
    stream = ops["download_stream"]
    assert (stream.count, stream.category, stream.evidence.packet) == (1, "program", 1)
    assert stream.last_seen == float(len(feed))  # lasts to the end of the stream
    assert ops["set_var_substreamed"].count == 1  # fragments are no requests


def test_a_small_stream_and_a_broken_one_are_no_download() -> None:
    small = [(True, _tpkt(p), False) for p in _set_var_substreamed(bytes(200), last=True)]
    chunk = encode_s7plus(S7PlusPdu(2, None, b"\x87\x6f" + bytes(1000), False))
    big = [(True, _tpkt(p), False) for p in _set_var_substreamed(bytes(1000), last=False)]
    # lost bytes in the middle: the PDU is given up; what follows counts as requests again
    broken = big + [(True, _tpkt(chunk), False)] * 10 + [(True, _tpkt(chunk), True)] * 80
    for feed in (small, broken):
        assert "download_stream" not in _stream_operations(feed)


def test_the_ob1_download_through_the_sensor() -> None:
    feed = [(not s, t, False) for _, (s, t) in sorted(_tpkts(S1200).items())]
    ops = _stream_operations(feed)
    download = ops["download_block"]
    assert download.detail == {"block": "OB1", "block_name": "Main"}
    assert (download.count, download.category, download.protocol) == (1, "program", "s7comm-plus")
    assert ops["create_object"].count == 1  # the session; the block is download_block
    assert "delete_block" not in ops and ops["delete_object"].count == 1
