"""The GOOSE and Sampled Values codec against tshark, the oracle, field by field.

Every GOOSE frame of the shared captures that hold GOOSE (per
``groundtruth/<capture>.json``), GOOSE frames built here with every dataset
value kind (nested structures and arrays, edge integers, both float
widths), and Sampled Values frames built here (no shared capture holds
SV) are decoded by the codec; from the decoded frame alone the test derives
what tshark 4.0 shows for each field (by Wireshark filter name) and
compares them frame by frame.

Where tshark 4.0 shows things its own way the test follows it and says so:
it has no field for generated-time values (they are left out of
``goose.Data`` too), shows single-precision floats both raw
(``goose.floating_point``) and as ``goose.float_value``, and shows the SV
samples as raw ``sv.seqData`` unless told the 9-2 LE layout.
"""

from __future__ import annotations

import datetime
import json
import struct
from pathlib import Path

import pytest
from goose_frames import SV_GROUP, ethernet, mismatches, write_pcap

from conftest import GROUNDTRUTH, PCAPS
from otm.protocols.goose import (
    ETHERTYPE_GOOSE,
    ETHERTYPE_SV,
    Asdu,
    BitString,
    Data,
    DataKind,
    GooseFrame,
    GoosePdu,
    SavPdu,
    SvFrame,
    UtcTime,
    decode_goose,
    decode_sv,
    encode_data,
    encode_goose,
    encode_sv,
    peek_header,
)
from tshark_support import payloads, tshark_fields

pytestmark = pytest.mark.tshark

CAPTURES = [
    json.loads(p.read_text())["capture"]
    for p in sorted(GROUNDTRUTH.glob("*.json"))
    if "goose" in json.loads(p.read_text())["protocol_frames"]
]

GOOSE_FIELDS = [
    "goose.appid",
    "goose.length",
    "goose.reserve1",
    "goose.reserve2",
    "goose.gocbRef",
    "goose.timeAllowedtoLive",
    "goose.datSet",
    "goose.goID",
    "goose.t",
    "goose.stNum",
    "goose.sqNum",
    "goose.simulation",
    "goose.confRev",
    "goose.ndsCom",
    "goose.numDatSetEntries",
    "goose.allData",
    "goose.Data",
    "goose.array",
    "goose.structure",
    "goose.boolean",
    "goose.bit_string",
    "goose.integer",
    "goose.unsigned",
    "goose.floating_point",
    "goose.float_value",
    "goose.real",
    "goose.octet_string",
    "goose.visible_string",
    "goose.binary_time",
    "goose.bcd",
    "goose.booleanArray",
    "goose.objId",
    "goose.mMSString",
    "goose.utc_time",
]

SV_FIELDS = [
    "sv.appid",
    "sv.length",
    "sv.reserve1",
    "sv.reserve2",
    "sv.noASDU",
    "sv.seqASDU",
    "sv.svID",
    "sv.datSet",
    "sv.smpCnt",
    "sv.confRev",
    "sv.refrTm",
    "sv.smpSynch",
    "sv.smpRate",
    "sv.seqData",
    "sv.smpMod",
    "sv.gmidentity",
]

_DATA_FIELDS = {
    DataKind.BOOLEAN: "goose.boolean",
    DataKind.BIT_STRING: "goose.bit_string",
    DataKind.INTEGER: "goose.integer",
    DataKind.UNSIGNED: "goose.unsigned",
    DataKind.REAL: "goose.real",
    DataKind.OCTET_STRING: "goose.octet_string",
    DataKind.VISIBLE_STRING: "goose.visible_string",
    DataKind.BINARY_TIME: "goose.binary_time",
    DataKind.BCD: "goose.bcd",
    DataKind.BOOLEAN_ARRAY: "goose.booleanArray",
    DataKind.OBJ_ID: "goose.objId",
    DataKind.MMS_STRING: "goose.mMSString",
    DataKind.UTC_TIME: "goose.utc_time",
    DataKind.ARRAY: "goose.array",
    DataKind.STRUCTURE: "goose.structure",
}


def utc_text(t: UtcTime) -> str:
    """A UtcTime as Wireshark prints absolute times: ``Jan 28, 2019 09:51:40.119407415 UTC``."""
    d = datetime.datetime.fromtimestamp(t.seconds, datetime.UTC)
    return f"{d:%b} {d.day:2d}, {d.year} {d:%H:%M:%S}.{t.nanoseconds:09d} UTC"


def _oid(raw: bytes) -> str:
    arcs, value = [], 0
    for byte in raw:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs += [value // 40, value % 40] if not arcs else [value]
            value = 0
    return ".".join(map(str, arcs))


def _expect_data(item: Data, out: dict[str, list[str]]) -> None:
    """One dataset value (and its members, depth first), as tshark lists them."""
    kind, value = item.kind, item.value

    def add(name: str, shown: object) -> None:
        out.setdefault(name, []).append(str(shown))

    if kind == DataKind.GENERALIZED_TIME:
        return  # tshark 4.0 has no field for it
    add("goose.Data", int(kind))
    if isinstance(value, tuple):
        add(_DATA_FIELDS[DataKind(kind)], len(value))
        for member in value:
            _expect_data(member, out)
        return
    if kind == DataKind.FLOATING_POINT:
        raw = encode_data(item)[2:]
        add("goose.floating_point", raw.hex())
        if raw[0] == 8 and len(raw) == 5:
            add("goose.float_value", struct.unpack(">f", raw[1:])[0])
        return
    name = _DATA_FIELDS[DataKind(kind)]
    if isinstance(value, bool):
        add(name, int(value))
    elif isinstance(value, BitString):
        add(name, value.data.hex())
    elif isinstance(value, UtcTime):
        add(name, utc_text(value))
    elif kind == DataKind.OBJ_ID and isinstance(value, bytes):
        add(name, _oid(value))
    elif kind == DataKind.REAL:
        assert value == b"", "only REAL zero is built: tshark reads REAL its own way"
        add(name, 0)
    elif isinstance(value, bytes):
        add(name, value.hex())
    else:
        add(name, value)


def _expect_goose(frame: GooseFrame, length: int) -> dict[str, list[str]]:
    pdu = frame.pdu
    out: dict[str, list[str]] = {
        "goose.appid": [f"0x{frame.appid:04x}"],
        "goose.length": [str(length)],
        "goose.reserve1": [f"0x{frame.reserved1:04x}"],
        "goose.reserve2": [f"0x{frame.reserved2:04x}"],
        "goose.gocbRef": [pdu.gocb_ref],
        "goose.timeAllowedtoLive": [str(pdu.time_allowed_to_live)],
        "goose.datSet": [pdu.dat_set],
        "goose.t": [utc_text(pdu.t)],
        "goose.stNum": [str(pdu.st_num)],
        "goose.sqNum": [str(pdu.sq_num)],
        "goose.simulation": [str(int(pdu.simulation))],
        "goose.confRev": [str(pdu.conf_rev)],
        "goose.ndsCom": [str(int(pdu.nds_com))],
        "goose.numDatSetEntries": [str(pdu.num_dat_set_entries)],
        "goose.allData": [str(len(pdu.all_data))],
    }
    if pdu.go_id is not None:
        out["goose.goID"] = [pdu.go_id]
    for item in pdu.all_data:
        _expect_data(item, out)
    return out


def _expect_sv(frame: SvFrame, length: int) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {
        "sv.appid": [f"0x{frame.appid:04x}"],
        "sv.length": [str(length)],
        "sv.reserve1": [f"0x{frame.reserved1:04x}"],
        "sv.reserve2": [f"0x{frame.reserved2:04x}"],
        "sv.noASDU": [str(frame.pdu.no_asdu)],
        "sv.seqASDU": [str(len(frame.pdu.asdus))],
    }

    def add(name: str, value: object) -> None:
        out.setdefault(name, []).append(str(value))

    for asdu in frame.pdu.asdus:
        add("sv.svID", asdu.sv_id)
        if asdu.dat_set is not None:
            add("sv.datSet", asdu.dat_set)
        add("sv.smpCnt", asdu.smp_cnt)
        add("sv.confRev", asdu.conf_rev)
        if asdu.refr_tm is not None:
            add("sv.refrTm", utc_text(asdu.refr_tm))
        add("sv.smpSynch", asdu.smp_synch)
        if asdu.smp_rate is not None:
            add("sv.smpRate", asdu.smp_rate)
        add("sv.seqData", asdu.samples.hex())
        if asdu.smp_mod is not None:
            add("sv.smpMod", asdu.smp_mod)
        if asdu.gm_identity is not None:
            add("sv.gmidentity", f"0x{int.from_bytes(asdu.gm_identity, 'big'):016x}")
    return out


def _compare(capture: Path, tshark: str, sv: bool = False) -> tuple[int, int, list[str]]:
    fields = SV_FIELDS if sv else GOOSE_FIELDS
    shown = tshark_fields(tshark, capture, "sv" if sv else "goose", fields)
    frames = payloads(capture, ETHERTYPE_SV if sv else ETHERTYPE_GOOSE)
    assert set(shown) == set(frames), "tshark and otm see different frames"
    problems: list[str] = []
    values = 0
    for number, payload in sorted(frames.items()):
        header = peek_header(payload)
        assert header is not None
        if sv:
            decoded_sv = decode_sv(payload)
            assert isinstance(decoded_sv, SvFrame), (number, decoded_sv)
            expected = _expect_sv(decoded_sv, header[1])
        else:
            decoded = decode_goose(payload)
            assert isinstance(decoded, GooseFrame), (number, decoded)
            expected = _expect_goose(decoded, header[1])
        values += sum(len(v) for v in shown[number].values())
        problems += [f"frame {number} {p}" for p in mismatches(expected, shown[number])]
    return len(frames), values, problems


@pytest.mark.parametrize("capture", CAPTURES)
def test_goose_decoder_agrees_with_tshark_on_shared_captures(capture: str, tshark: str) -> None:
    frames, values, problems = _compare(PCAPS / capture, tshark)
    assert frames > 0 and values > 0
    assert not problems, "\n".join(problems[:20])


T = UtcTime(1_548_669_100, 2_003_324, 0x0A)


def _every_kind() -> tuple[Data, ...]:
    k = DataKind
    return (
        Data(k.BOOLEAN, True),
        Data(k.BOOLEAN, False),
        Data(k.BIT_STRING, BitString(6, b"\x40")),
        Data(k.BIT_STRING, BitString(3, b"\x00\x00")),
        *(Data(k.INTEGER, v) for v in (0, -1, 127, 128, -128, -129, 2**31 - 1, -(2**31))),
        *(Data(k.UNSIGNED, v) for v in (0, 200, 65_535, 2**31 - 1)),
        Data(k.FLOATING_POINT, 1.5),
        Data(k.FLOATING_POINT, -0.25),
        Data(k.FLOATING_POINT, 0.1),
        Data(k.REAL, b""),
        Data(k.OCTET_STRING, b"\x01\x02\xff"),
        Data(k.VISIBLE_STRING, "Q0.Pos"),
        Data(k.GENERALIZED_TIME, b"20200101120000Z"),
        Data(k.BINARY_TIME, bytes.fromhex("000102030004")),
        Data(k.BCD, 42),
        Data(k.BOOLEAN_ARRAY, BitString(0, b"\xa0")),
        Data(k.OBJ_ID, bytes.fromhex("2b0601")),
        Data(k.MMS_STRING, "breaker open"),
        Data(k.UTC_TIME, T),
        Data(
            k.STRUCTURE,
            (
                Data(k.BIT_STRING, BitString(6, b"\x80")),
                Data(k.ARRAY, (Data(k.INTEGER, 1), Data(k.STRUCTURE, ()), Data(k.INTEGER, 2))),
                Data(k.UTC_TIME, UtcTime(0, 0, 0)),
            ),
        ),
    )


def _goose_frames() -> list[GooseFrame]:
    values = _every_kind()
    full = GoosePdu(
        "IED1LD0/LLN0$GO$gcb1",
        2000,
        "IED1LD0/LLN0$DS1",
        "gcb1",
        T,
        7,
        3,
        False,
        2,
        True,
        len(values),
        values,
    )
    minimal = GoosePdu(
        "LD/LLN0$GO$g", 1, "LD/LLN0$DS", None, UtcTime(1, 1, 0), 0, 0, True, 0, False, 0, ()
    )
    big = GoosePdu(
        "LD/LLN0$GO$big",
        2**31 - 1,
        "LD/LLN0$DS",
        "g",
        T,
        2**31 - 1,
        2**31 - 1,
        False,
        2**31 - 1,
        False,
        3,
        (Data(DataKind.INTEGER, 5),) * 3,
    )
    return [
        GooseFrame(0x1001, 0, 0, full),
        GooseFrame(0x0000, 0x8000, 0x1234, minimal),
        GooseFrame(0x3FFF, 0, 0, big),
    ]


def test_goose_decoder_agrees_with_tshark_on_built_frames(tmp_path: Path, tshark: str) -> None:
    frames = _goose_frames()
    wires = [
        ethernet(encode_goose(f), ETHERTYPE_GOOSE, vlan=i if i else None)
        for i, f in enumerate(frames)
    ]
    count, values, problems = _compare(write_pcap(tmp_path / "goose.pcap", wires), tshark)
    assert count == len(frames) and values > 100
    assert not problems, "\n".join(problems[:20])


def _sv_frames() -> list[SvFrame]:
    le = struct.pack(">" + "iI" * 8, *[v for i in range(8) for v in (-100 * i, i << 11)])
    first = Asdu("MU01", None, 3999, 1, None, 2, None, le)
    full = Asdu(
        "MU0101",
        "MU01LD0/LLN0$PhsMeas1",
        0x8000,
        0x12345678,
        T,
        1,
        4000,
        le,
        1,
        bytes.fromhex("0050c2fffe000001"),
    )
    return [
        SvFrame(0x4000, 0, 0, SavPdu(1, (first,))),
        SvFrame(0x4001, 0x8000, 0, SavPdu(2, (first, full))),
        SvFrame(
            0x7FFF,
            0,
            0xABCD,
            SavPdu(8, tuple(Asdu("MU02", None, i, 1, None, 0, None, le) for i in range(8))),
        ),
    ]


def test_sv_decoder_agrees_with_tshark_on_built_frames(tmp_path: Path, tshark: str) -> None:
    frames = _sv_frames()
    wires = [ethernet(encode_sv(f), ETHERTYPE_SV, dst=SV_GROUP, vlan=0) for f in frames]
    count, values, problems = _compare(write_pcap(tmp_path / "sv.pcap", wires), tshark, sv=True)
    assert count == len(frames) and values > 60
    assert not problems, "\n".join(problems[:20])
