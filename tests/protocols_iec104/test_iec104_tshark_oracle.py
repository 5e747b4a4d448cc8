"""The IEC 104 codec against tshark, the oracle, frame by frame on the shared captures.

For every frame in which tshark dissects IEC 104 (``090813_diverse.pcap``,
``104deneme.pcap``, ``vinci104.pcap``), the values of ``FIELDS`` (APCI
length, format, U function, send/receive sequence numbers; ASDU type, SQ,
number, cause, P/N and test bits, originator and common address, every
information object address; and the information elements tshark decodes:
SIQ, DIQ, QDS, VTI, SCO, DCO, RCO, QOS, QPM, QOI, QCC, COI, QRP, normalized,
scaled, float and bitstring values, counter readings, CP56Time2a and
CP24Time2a fields, raw data of the types it leaves raw) must be equal, in
APDU and object order, to what otm's decoded messages say.

Display conventions of tshark 4.0 are mirrored here, not excepted: hex
octets as ``0x%02x``, the 32-bit APCI type/U-type fields as ``0x%08x``,
floats with six significant digits, the bitstring read big-endian from the
wire (the standard transmits BSI least significant octet first), and only
the first address (plus the rest as raw data) for the types tshark does not
dissect (``TSHARK_RAW_TYPES``).  Named exceptions: none.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from iec104_support import IEC104_CAPTURES, capture_apdus, tshark_lines

from conftest import PCAPS
from otm.protocols.common import Anomaly
from otm.protocols.iec104 import IFrame, SFrame, UFrame, decode_apdu
from otm.protocols.iec104 import messages as m

pytestmark = pytest.mark.tshark

FIELDS = [
    "iec60870_104.apdulen",
    "iec60870_104.type",
    "iec60870_104.utype",
    "iec60870_104.tx",
    "iec60870_104.rx",
    "iec60870_asdu.typeid",
    "iec60870_asdu.sq",
    "iec60870_asdu.numix",
    "iec60870_asdu.causetx",
    "iec60870_asdu.nega",
    "iec60870_asdu.test",
    "iec60870_asdu.oa",
    "iec60870_asdu.addr",
    "iec60870_asdu.ioa",
    "iec60870_asdu.siq",
    "iec60870_asdu.diq",
    "iec60870_asdu.qds",
    "iec60870_asdu.vti",
    "iec60870_asdu.sco",
    "iec60870_asdu.dco",
    "iec60870_asdu.rco",
    "iec60870_asdu.qos",
    "iec60870_asdu.qpm",
    "iec60870_asdu.qoi",
    "iec60870_asdu.qcc",
    "iec60870_asdu.coi",
    "iec60870_asdu.qrp",
    "iec60870_asdu.normval",
    "iec60870_asdu.scalval",
    "iec60870_asdu.float",
    "iec60870_asdu.bitstring",
    "iec60870_asdu.bcr.count",
    "iec60870_asdu.cp56time.ms",
    "iec60870_asdu.cp56time.min",
    "iec60870_asdu.cp56time.hour",
    "iec60870_asdu.cp56time.day",
    "iec60870_asdu.cp56time.dow",
    "iec60870_asdu.cp56time.month",
    "iec60870_asdu.cp56time.year",
    "iec60870_asdu.cp56time.iv",
    "iec60870_asdu.cp56time.su",
    "iec60870_asdu.cp56time.gen",
    "iec60870_asdu.cp24time.ms",
    "iec60870_asdu.cp24time.min",
    "iec60870_asdu.cp24time.iv",
    "iec60870_asdu.rawdata",
]

TSHARK_DISSECTED_TYPES = (
    frozenset(range(1, 17))
    | frozenset(range(30, 38))
    | frozenset(range(45, 52))
    | frozenset(range(58, 65))
    | {21, 70, 100, 101, 103, 105, 107, 110, 111, 112}
)
"""Types whose elements tshark 4.0 dissects; for the others it shows the first
address and the rest of the ASDU as raw data."""

NEVER_IN_CAPTURES = {
    "iec60870_asdu.coi": "no end of initialization (70) in the shared captures",
    "iec60870_asdu.qrp": "no reset process command (105) in the shared captures",
    "iec60870_asdu.cp24time.ms": "no CP24Time2a-tagged type in the shared captures",
    "iec60870_asdu.cp24time.min": "no CP24Time2a-tagged type in the shared captures",
    "iec60870_asdu.cp24time.iv": "no CP24Time2a-tagged type in the shared captures",
}
"""Compared fields no shared capture carries a value for (their layouts are covered
by the round-trip and edge tests)."""

_QDS_TYPES = frozenset((*range(5, 15), 32, 33, 34, 35, 36))
_QOS_TYPES = frozenset((48, 49, 50, 61, 62, 63))
_QPM_TYPES = frozenset((110, 111, 112))


def _bool(flag: bool) -> str:
    return "1" if flag else "0"


def _time(out: dict[str, list[str]], time: m.Cp24Time | m.Cp56Time | None) -> None:
    if isinstance(time, m.Cp56Time):
        p = "iec60870_asdu.cp56time."
        out[p + "ms"].append(str(time.milliseconds))
        out[p + "min"].append(str(time.minute))
        out[p + "hour"].append(str(time.hour))
        out[p + "day"].append(str(time.day))
        out[p + "dow"].append(str(time.day_of_week))
        out[p + "month"].append(str(time.month))
        out[p + "year"].append(str(time.year))
        out[p + "iv"].append(_bool(time.invalid))
        out[p + "su"].append(_bool(time.summer_time))
        out[p + "gen"].append(_bool(time.substituted))
    elif isinstance(time, m.Cp24Time):
        p = "iec60870_asdu.cp24time."
        out[p + "ms"].append(str(time.milliseconds))
        out[p + "min"].append(str(time.minute))
        out[p + "iv"].append(_bool(time.invalid))


def _qualifier(out: dict[str, list[str]], type_id: int, qualifier: int | None) -> None:
    if qualifier is None:
        return
    name = "qds" if type_id in _QDS_TYPES else "qos" if type_id in _QOS_TYPES else "qpm"
    out[f"iec60870_asdu.{name}"].append(f"0x{qualifier:02x}")


def _element(out: dict[str, list[str]], type_id: int, e: m.Element) -> None:
    a = "iec60870_asdu."
    match e:
        case m.SinglePoint(siq, time):
            out[a + "siq"].append(f"0x{siq:02x}")
            _time(out, time)
        case m.DoublePoint(diq, time):
            out[a + "diq"].append(f"0x{diq:02x}")
            _time(out, time)
        case m.StepPosition(vti, qds, time):
            out[a + "vti"].append(f"0x{vti:02x}")
            out[a + "qds"].append(f"0x{qds:02x}")
            _time(out, time)
        case m.Bitstring(bsi, qds, time):
            wire = int.from_bytes(bsi.to_bytes(4, "little"), "big")
            out[a + "bitstring"].append(f"0x{wire:08x}")
            if qds is not None:
                out[a + "qds"].append(f"0x{qds:02x}")
            _time(out, time)
        case m.Normalized(raw, qualifier, time):
            out[a + "normval"].append(f"{raw / 32768:g}")
            _qualifier(out, type_id, qualifier)
            _time(out, time)
        case m.Scaled(value, qualifier, time):
            out[a + "scalval"].append(str(value))
            _qualifier(out, type_id, qualifier)
            _time(out, time)
        case m.ShortFloat(_, qualifier, time):
            out[a + "float"].append(f"{e.value:g}")
            _qualifier(out, type_id, qualifier)
            _time(out, time)
        case m.IntegratedTotal(counter, _, time):
            out[a + "bcr.count"].append(str(counter))
            _time(out, time)
        case m.SingleCommand(sco, time):
            out[a + "sco"].append(f"0x{sco:02x}")
            _time(out, time)
        case m.DoubleCommand(dco, time):
            out[a + "dco"].append(f"0x{dco:02x}")
            _time(out, time)
        case m.RegulatingStep(rco, time):
            out[a + "rco"].append(f"0x{rco:02x}")
            _time(out, time)
        case m.EndOfInitialization(coi):
            out[a + "coi"].append(f"0x{coi:02x}")
        case m.Interrogation(qoi):
            out[a + "qoi"].append(str(qoi))
        case m.CounterInterrogation(qcc):
            out[a + "qcc"].append(f"0x{qcc:02x}")
        case m.ClockSync(time):
            _time(out, time)
        case m.ResetProcess(qrp):
            out[a + "qrp"].append(str(qrp))
        case m.TestCommandTimeTagged(_, time):
            _time(out, time)


def _expect(apdu: IFrame | SFrame | UFrame, length: int, out: dict[str, list[str]]) -> None:
    """What tshark 4.0 shows for one APDU, derived from our decoded message."""
    p = "iec60870_104."
    out[p + "apdulen"].append(str(length))
    if isinstance(apdu, UFrame):
        out[p + "type"].append("0x00000003")
        out[p + "utype"].append(f"0x{apdu.function >> 2:08x}")
        return
    if isinstance(apdu, SFrame):
        out[p + "type"].append("0x00000001")
        out[p + "rx"].append(str(apdu.recv_seq))
        return
    out[p + "type"].append("0x00000000")
    out[p + "tx"].append(str(apdu.send_seq))
    out[p + "rx"].append(str(apdu.recv_seq))
    asdu = apdu.asdu
    a = "iec60870_asdu."
    out[a + "typeid"].append(str(asdu.type_id))
    out[a + "sq"].append(_bool(asdu.sequence))
    out[a + "numix"].append(str(asdu.number))
    out[a + "causetx"].append(str(asdu.cause))
    out[a + "nega"].append(_bool(asdu.negative))
    out[a + "test"].append(_bool(asdu.test))
    out[a + "oa"].append(str(asdu.originator))
    out[a + "addr"].append(str(asdu.common_address))
    if asdu.type_id in TSHARK_DISSECTED_TYPES:
        for obj in asdu.objects:
            out[a + "ioa"].append(str(obj.address))
            _element(out, asdu.type_id, obj.element)
        return
    # Raw for tshark: the first address, then every following octet.
    body = asdu.raw
    if not body:
        from otm.protocols.iec104 import encode_asdu

        body = encode_asdu(asdu)[6:]
    out[a + "ioa"].append(str(int.from_bytes(body[:3], "little")))
    if body[3:]:
        out[a + "rawdata"].append(body[3:].hex())


def ours(capture: str) -> tuple[dict[int, dict[str, list[str]]], list[tuple[int, Anomaly]]]:
    """Per frame, the field values otm's decoded APDUs give; and any anomaly."""
    frames: dict[int, dict[str, list[str]]] = {}
    anomalies: list[tuple[int, Anomaly]] = []
    for captured in capture_apdus(capture):
        decoded = decode_apdu(captured.apdu)
        if isinstance(decoded, Anomaly):
            anomalies.append((captured.frame, decoded))
            continue
        out = frames.setdefault(captured.frame, defaultdict(list))
        _expect(decoded, captured.apdu[1], out)
    return frames, anomalies


def theirs(capture: str) -> dict[int, dict[str, list[str]]]:
    """Per frame, the field values tshark shows."""
    rows = tshark_lines(PCAPS / capture, "iec60870_104", ["frame.number", *FIELDS])
    frames: dict[int, dict[str, list[str]]] = {}
    for row in rows:
        values = {name: cell.split("|") for name, cell in zip(FIELDS, row[1:], strict=True) if cell}
        frames[int(row[0])] = values
    return frames


@pytest.mark.parametrize("capture", IEC104_CAPTURES)
def test_every_iec104_frame_matches_tshark_field_by_field(capture: str, tshark: str) -> None:
    want = theirs(capture)
    got, anomalies = ours(capture)
    assert not anomalies, anomalies[:5]
    assert sorted(got) == sorted(want), "frames with IEC 104 differ"
    mismatches = []
    for frame in sorted(want):
        for name in FIELDS:
            if want[frame].get(name, []) != got[frame].get(name, []):
                mismatches.append((frame, name, want[frame].get(name), got[frame].get(name)))
    assert not mismatches, mismatches[:10]


def test_the_oracle_comparison_covers_the_fields(tshark: str) -> None:
    """Each compared field carries values somewhere (so each comparison can fail),
    except those listed as never present."""
    seen: Counter[str] = Counter()
    for capture in IEC104_CAPTURES:
        for values in theirs(capture).values():
            for name, found in values.items():
                seen[name] += len(found)
    missing = {name for name in FIELDS if not seen[name]}
    assert missing == set(NEVER_IN_CAPTURES)
    # 288 APDUs in 280 frames; 3,896 field values compared with tshark 4.0.
    assert sum(seen.values()) >= 3800
