"""The SNMP codec against tshark, the oracle, message by message.

Two sources: every shared capture whose ground truth counts SNMP frames
(``groundtruth/<capture>.json`` key ``protocol_frames``), and a capture
generated here from ``snmp_strategies.sample_messages`` (every PDU type in
v1 and v2c, v3 plaintext and encrypted, every value type), written with
otm's pcap writer.  tshark lists each SNMP frame's UDP payload with the
fields it dissected, by their Wireshark filter names; the test decodes the
payload with ``decode_message`` and derives, from our message alone, the
values tshark shows: version, community, PDU type, request id, error status
and index, get-bulk and v1 trap fields, every variable name and value (by
type: ``snmp.value.int``, ``.octets``, ``.oid``, ``.counter`` ...), the
exceptions, and for v3 the global data, the USM parameters, the context and
the encrypted PDU.  Per frame the lists must be equal.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from snmp_strategies import sample_messages

from conftest import GROUNDTRUTH, PCAPS
from otm.capture.frames import ethernet, ipv4, udp
from otm.capture.writer import PcapWriter
from otm.protocols.common import Anomaly
from otm.protocols.snmp import (
    BulkPdu,
    CommunityMessage,
    Message,
    Pdu,
    TrapPdu,
    V3Message,
    ValueType,
    decode_message,
    encode_message,
)
from tshark_support import AGGREGATOR, tshark_rows

pytestmark = pytest.mark.tshark

FIELDS = [
    "snmp.version",
    "snmp.community",
    "snmp.data",
    "snmp.request_id",
    "snmp.error_status",
    "snmp.error_index",
    "snmp.non_repeaters",
    "snmp.max_repetitions",
    "snmp.enterprise",
    "snmp.agent_addr",
    "snmp.generic_trap",
    "snmp.specific_trap",
    "snmp.time_stamp",
    "snmp.name",
    "snmp.value.int",
    "snmp.value.octets",
    "snmp.value.null",
    "snmp.value.oid",
    "snmp.value.ipv4",
    "snmp.value.counter",
    "snmp.value.g32",
    "snmp.value.u32",
    "snmp.value.timeticks",
    "snmp.value.opaque",
    "snmp.value.nsap",
    "snmp.noSuchObject",
    "snmp.noSuchInstance",
    "snmp.endOfMibView",
    "snmp.msgVersion",
    "snmp.msgID",
    "snmp.msgMaxSize",
    "snmp.msgFlags",
    "snmp.msgSecurityModel",
    "snmp.msgAuthoritativeEngineID",
    "snmp.msgAuthoritativeEngineBoots",
    "snmp.msgAuthoritativeEngineTime",
    "snmp.msgUserName",
    "snmp.msgAuthenticationParameters",
    "snmp.msgPrivacyParameters",
    "snmp.msgData",
    "snmp.encryptedPDU",
    "snmp.contextEngineID",
    "snmp.contextName",
]


VALUE_FIELDS = {
    ValueType.INTEGER: "snmp.value.int",
    ValueType.OCTET_STRING: "snmp.value.octets",
    ValueType.NULL: "snmp.value.null",
    ValueType.OBJECT_IDENTIFIER: "snmp.value.oid",
    ValueType.IP_ADDRESS: "snmp.value.ipv4",
    ValueType.COUNTER32: "snmp.value.counter",
    ValueType.GAUGE32: "snmp.value.g32",
    ValueType.TIMETICKS: "snmp.value.timeticks",
    ValueType.OPAQUE: "snmp.value.opaque",
    ValueType.NSAP_ADDRESS: "snmp.value.nsap",
    ValueType.COUNTER64: "snmp.value.counter",
    ValueType.UINTEGER32: "snmp.value.u32",
    ValueType.NO_SUCH_OBJECT: "snmp.noSuchObject",
    ValueType.NO_SUCH_INSTANCE: "snmp.noSuchInstance",
    ValueType.END_OF_MIB_VIEW: "snmp.endOfMibView",
}
"""Value type -> the field tshark shows it in (present-only fields show ``1``)."""


def _shown(value: object, value_type: int) -> str:
    if value is None:
        return "1"
    if isinstance(value, bytes):
        if value_type == ValueType.IP_ADDRESS:
            return ".".join(str(b) for b in value)
        if value_type == ValueType.NSAP_ADDRESS:
            return str(int.from_bytes(value, "big"))
        return value.hex()
    return str(value)


def expected(message: Message) -> dict[str, list[str]]:
    """What tshark 4.0 shows for one message, derived from our decoded message."""
    out: dict[str, list[str]] = defaultdict(list)
    pdu = message.pdu
    if isinstance(message, CommunityMessage):
        out["snmp.version"].append(str(message.version))
        out["snmp.community"].append(message.community.decode("latin-1"))
    else:
        assert isinstance(message, V3Message)
        out["snmp.msgVersion"].append("3")
        out["snmp.msgID"].append(str(message.msg_id))
        out["snmp.msgMaxSize"].append(str(message.max_size))
        out["snmp.msgFlags"].append(message.flags.hex())
        out["snmp.msgSecurityModel"].append(str(message.security_model))
        usm = message.usm
        if usm is not None:
            out["snmp.msgAuthoritativeEngineID"].append(usm.engine_id.hex())
            out["snmp.msgAuthoritativeEngineBoots"].append(str(usm.engine_boots))
            out["snmp.msgAuthoritativeEngineTime"].append(str(usm.engine_time))
            out["snmp.msgUserName"].append(usm.user_name.decode("latin-1"))
            out["snmp.msgAuthenticationParameters"].append(usm.authentication_parameters.hex())
            out["snmp.msgPrivacyParameters"].append(usm.privacy_parameters.hex())
        if isinstance(message.data, bytes):
            out["snmp.msgData"].append("1")
            out["snmp.encryptedPDU"].append(message.data.hex())
        else:
            out["snmp.msgData"].append("0")
            out["snmp.contextEngineID"].append(message.data.context_engine_id.hex())
            out["snmp.contextName"].append(message.data.context_name.decode("latin-1"))
    if pdu is None:
        return out
    out["snmp.data"].append(str(pdu.pdu_type - 0xA0))
    match pdu:
        case Pdu():
            out["snmp.request_id"].append(str(pdu.request_id))
            out["snmp.error_status"].append(str(pdu.error_status))
            out["snmp.error_index"].append(str(pdu.error_index))
        case BulkPdu():
            out["snmp.request_id"].append(str(pdu.request_id))
            out["snmp.non_repeaters"].append(str(pdu.non_repeaters))
            out["snmp.max_repetitions"].append(str(pdu.max_repetitions))
        case TrapPdu():
            out["snmp.enterprise"].append(pdu.enterprise)
            out["snmp.agent_addr"].append(pdu.agent_address_text)
            out["snmp.generic_trap"].append(str(pdu.generic_trap))
            out["snmp.specific_trap"].append(str(pdu.specific_trap))
            out["snmp.time_stamp"].append(str(pdu.time_stamp))
    for vb in pdu.varbinds:
        out["snmp.name"].append(vb.oid)
        out[VALUE_FIELDS[ValueType(vb.value_type)]].append(_shown(vb.value, vb.value_type))
    return out


def _shared_captures() -> list[str]:
    names = []
    for path in sorted(GROUNDTRUTH.glob("*.json")):
        data = json.loads(path.read_text())
        if data["protocol_frames"].get("snmp"):
            names.append(data["capture"])
    return names


SHARED = _shared_captures()


def _rows(tshark: str, capture: Path) -> list[dict[str, str]]:
    return tshark_rows(tshark, capture, "snmp", ["frame.number", "udp.payload", *FIELDS])


def _values(text: str) -> list[str]:
    """A field's values; empty ones (an empty community, empty USM parameters) dropped."""
    return [v for v in text.split(AGGREGATOR) if v and v != "<MISSING>"]


def compare(tshark: str, capture: Path) -> tuple[int, int]:
    """(frames, field values) compared; fails on the first frames that differ."""
    rows = _rows(tshark, capture)
    mismatches: list[str] = []
    values = 0
    for row in rows:
        message = decode_message(bytes.fromhex(row["udp.payload"]))
        assert not isinstance(message, Anomaly), (row["frame.number"], message)
        ours = expected(message)
        for name in FIELDS:
            want = [v for v in ours.get(name, []) if v]
            shown = _values(row[name])
            values += len(shown)
            if want != shown:
                mismatches.append(f"frame {row['frame.number']} {name}: ours {want} tshark {shown}")
    assert not mismatches, "\n".join(mismatches[:20])
    return len(rows), values


def test_the_shared_captures_with_snmp_are_found() -> None:
    assert SHARED == ["SNMP_NTP_SysLog_00000_20060404163209.pcap", "snmp.pcap"]


@pytest.mark.parametrize("capture", SHARED)
def test_decoder_agrees_with_tshark_on_shared_captures(capture: str, tshark: str) -> None:
    truth = json.loads((GROUNDTRUTH / f"{capture}.json").read_text())
    frames, values = compare(tshark, PCAPS / capture)
    assert frames == truth["protocol_frames"]["snmp"]
    assert values > frames


def write_capture(path: Path, messages: list[Message]) -> None:
    """One UDP datagram per message, manager 10.0.0.1 to agent 10.0.0.2:161."""
    with path.open("wb") as fh:
        writer = PcapWriter(fh)
        for index, message in enumerate(messages):
            datagram = udp(40000 + index, 161, encode_message(message), "10.0.0.1", "10.0.0.2")
            packet = ipv4("10.0.0.1", "10.0.0.2", 17, datagram, ident=index)
            frame = ethernet("02:00:00:00:00:02", "02:00:00:00:00:01", 0x0800, packet)
            writer.write(1_700_000_000 + index, frame)


def test_decoder_agrees_with_tshark_on_every_pdu_and_value_type(
    tmp_path: Path, tshark: str
) -> None:
    messages = sample_messages()
    path = tmp_path / "snmp_generated.pcap"
    write_capture(path, messages)
    frames, values = compare(tshark, path)
    assert frames == len(messages)
    covered = {vb.value_type for m in messages if m.pdu for vb in m.pdu.varbinds}
    assert covered == set(ValueType)
    assert {m.pdu.pdu_type for m in messages if m.pdu} == set(range(0xA0, 0xA9))
    assert any(isinstance(m, V3Message) and m.encrypted for m in messages)
    assert values > 10 * frames
