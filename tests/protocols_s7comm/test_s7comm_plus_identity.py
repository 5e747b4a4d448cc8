"""S7comm-plus: data header, the CreateObject object model and the identity of the session setup.

tshark 4.0 has no S7comm-plus dissector, so the oracle here is twofold:

- the ground truth (request function counts; endpoints of the sensor);
- the bytes themselves: the strings a ``strings``-like scan finds in the
  capture file (``1;6ES7 214-1HE30-0XB0 ;V2.2``, ``TIA Portal`` ...) are
  exactly the attribute values the decoder reads, at the attribute ids the
  public S7comm-plus work names (319 ``LID_SessionVersionSystemPAOMString``,
  296-301 ``ServerSessionUser/Application/Host/ClientComment``).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from s7_captures import capture_pdus

from conftest import GROUNDTRUTH, PCAPS
from otm.capture.interfaces import FlowKey
from otm.capture.readers import open_capture
from otm.capture.walker import PacketWalker
from otm.inventory.builder import build_inventory
from otm.model.assets import Inventory
from otm.observations.records import Communication, Observation, Transport
from otm.protocols.common import Anomaly
from otm.protocols.s7comm import S7PlusPdu, decode_payload, decode_tpkt
from otm.protocols.s7comm.plus import (
    SERVER_SESSION_APPLICATION,
    SERVER_SESSION_CLIENT_COMMENT,
    SERVER_SESSION_HOST,
    SERVER_SESSION_USER,
    SESSION_VERSION_SYSTEM_PAOM_STRING,
    CreateObjectRequest,
    CreateObjectResponse,
    S7PlusDataHeader,
    S7PlusObject,
    S7PlusValue,
    decode_create_object,
    decode_data_header,
    decode_vlq,
    encode_create_object,
    encode_data_header,
    encode_object,
    encode_value,
    encode_vlq,
    s7_model,
    s7plus_session_identity,
)
from otm.sensing.aggregate import Tally
from otm.sensing.labels import FlowLabels
from otm.sensing.s7comm import S7Sensor

PLUS_CAPTURES = ("S7-1200-Uploading-OB1-TIAV12.pcap", "hmi.pcap", "s7comm_plus.pcap")


@cache
def _plus_pdus(capture: str) -> list[tuple[int, bool, S7PlusPdu]]:
    out = []
    for unit in capture_pdus(capture):
        tpkt = decode_tpkt(unit.tpkt)
        payload = getattr(getattr(tpkt, "cotp", None), "payload", b"")
        if payload[:1] == b"\x72":
            pdu = decode_payload(payload)
            assert isinstance(pdu, S7PlusPdu)
            out.append((unit.frame, unit.from_server, pdu))
    return out


def _create_objects(capture: str) -> list[tuple[int, CreateObjectRequest | CreateObjectResponse]]:
    out = []
    for frame, _, pdu in _plus_pdus(capture):
        message = decode_create_object(pdu)
        if message is not None and not isinstance(message, Anomaly):
            out.append((frame, message))
    return out


def _strings(capture: str) -> set[str]:
    """Printable ASCII runs of 4 characters or more in the capture file, as ``strings`` shows."""
    raw = (PCAPS / capture).read_bytes()
    return {m.decode("ascii") for m in re.findall(rb"[\x20-\x7e]{4,}", raw)}


# --- data header ------------------------------------------------------------------------------


@pytest.mark.parametrize("capture", PLUS_CAPTURES)
def test_request_functions_match_the_ground_truth(capture: str) -> None:
    truth = json.loads((GROUNDTRUTH / f"{capture}.json").read_text())
    expected = truth["protocol_details"]["s7comm_plus"]["request_functions"]
    counts: Counter[str] = Counter()
    for _, from_server, pdu in _plus_pdus(capture):
        header = decode_data_header(pdu)
        if pdu.opcode in (0x31, 0x32):
            assert header is not None
            assert header.opcode_name == ("request" if pdu.opcode == 0x31 else "response")
            assert from_server == (pdu.opcode == 0x32)
            assert header.sequence_number == pdu.sequence_number
        if header is not None and header.opcode == 0x31:
            counts[f"0x{header.function_code:04x}"] += 1
            assert header.session_id == pdu.session_id
    assert dict(counts) == expected


def test_function_names_and_categories() -> None:
    names = {
        0x04CA: ("create_object", "session"),
        0x04D4: ("delete_object", "session"),
        0x04F2: ("set_variable", "write"),
        0x04FC: ("get_variable", "read"),
        0x0542: ("set_multi_variables", "write"),
        0x054C: ("get_multi_variables", "read"),
        0x04BB: ("explore", "read"),
        0x056B: ("invoke", "control"),
        0x0524: ("get_link", "read"),
        0x0556: ("begin_sequence", "session"),
        0x0560: ("end_sequence", "session"),
    }
    for code, (name, category) in names.items():
        header = S7PlusDataHeader(0x31, code, 1, 0x36, 0x120, 14)
        assert (header.function_name, header.category) == (name, category)


@given(
    st.sampled_from((0x31, 0x32, 0x02)),
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFF),
    st.integers(0, 0xFFFF_FFFF),
)
def test_data_header_round_trip(
    opcode: int, function: int, sequence: int, flags: int, session: int
) -> None:
    request = opcode == 0x31
    header = S7PlusDataHeader(
        opcode, function, sequence, flags, session if request else None, 14 if request else 10
    )
    decoded = decode_data_header(S7PlusPdu(2, None, encode_data_header(header), False))
    assert decoded == header


def test_notifications_and_fragments_have_no_data_header() -> None:
    for capture in PLUS_CAPTURES:
        for _, _, pdu in _plus_pdus(capture):
            if pdu.opcode not in (0x31, 0x32, 0x02):
                assert decode_data_header(pdu) is None


# --- CreateObject and the identity strings of the captures ------------------------------------


def test_s7_1200_session_setup_identity_is_the_visible_string() -> None:
    visible = _strings("S7-1200-Uploading-OB1-TIAV12.pcap")
    messages = dict(_create_objects("S7-1200-Uploading-OB1-TIAV12.pcap"))
    response = messages[8]
    assert isinstance(response, CreateObjectResponse) and response.object is not None
    paom = response.object.attribute(SESSION_VERSION_SYSTEM_PAOM_STRING)
    assert paom is not None and paom.value == "1;6ES7 214-1HE30-0XB0 ;V2.2"
    assert paom.value in visible
    assert s7plus_session_identity(response) == {
        "order_number": "6ES7 214-1HE30-0XB0",
        "firmware": "V2.2",
        "model": "S7-1200 CPU 1214C DC/DC/Rly",
        "vendor": "Siemens",
    }
    request = messages[6]
    assert isinstance(request, CreateObjectRequest)
    host = request.object.attribute(SERVER_SESSION_HOST)
    assert host is not None and host.value == "VORTEX_21032491" and host.value in visible
    assert s7plus_session_identity(request)["s7plus_client_host"] == "VORTEX_21032491"


def test_hmi_session_setup_identity_is_the_visible_string() -> None:
    visible = _strings("hmi.pcap")
    messages = dict(_create_objects("hmi.pcap"))
    request, response = messages[12], messages[13]
    assert isinstance(request, CreateObjectRequest)
    assert isinstance(response, CreateObjectResponse) and response.object is not None
    for attribute, text in (
        (SERVER_SESSION_USER, "TIA Portal"),
        (SERVER_SESSION_APPLICATION, "WinCC ES"),
        (SERVER_SESSION_HOST, "DESKTOP-M5C7L14"),
    ):
        value = request.object.attribute(attribute)
        assert value is not None and value.value == text and text in visible
    comment = response.object.attribute(SERVER_SESSION_CLIENT_COMMENT)
    assert comment is not None and comment.value == "OMSP.REL.8089.14"
    assert comment.value in visible
    assert s7plus_session_identity(response) == {"s7plus_oms_version": "OMSP.REL.8089.14"}
    fields = s7plus_session_identity(request)
    assert fields["s7plus_client_software"] == "TIA Portal / WinCC ES"


@pytest.mark.parametrize("capture", ("S7-1200-Uploading-OB1-TIAV12.pcap", "hmi.pcap"))
def test_session_create_objects_reencode_byte_for_byte(capture: str) -> None:
    seen = 0
    for frame, _, pdu in _plus_pdus(capture):
        message = decode_create_object(pdu)
        if isinstance(message, CreateObjectRequest | CreateObjectResponse) and frame < 20:
            assert encode_create_object(message) == pdu.data
            seen += 1
    assert seen == 2


@pytest.mark.parametrize("capture", ("S7-1200-Uploading-OB1-TIAV12.pcap", "hmi.pcap"))
def test_session_create_objects_truncated_at_every_byte(capture: str) -> None:
    for frame, _, pdu in _plus_pdus(capture):
        if frame >= 20 or decode_create_object(pdu) is None:
            continue
        end = len(pdu.data) - 4  # the object ends before a zero u32
        for cut in range(15, end):
            result = decode_create_object(S7PlusPdu(pdu.version, None, pdu.data[:cut], False))
            assert isinstance(result, Anomaly) or (
                isinstance(result, CreateObjectResponse) and result.object is None
            ), (frame, cut)


def test_a_download_create_object_split_over_fragments_is_truncated_not_raised() -> None:
    # S7-1200-Uploading-OB1-TIAV12.pcap frame 127: a program object continued in frame 129
    by_frame = {f: pdu for f, _, pdu in _plus_pdus("S7-1200-Uploading-OB1-TIAV12.pcap")}
    result = decode_create_object(by_frame[127])
    assert isinstance(result, Anomaly) and result.kind.value == "truncated"
    answer = decode_create_object(by_frame[132])
    assert isinstance(answer, CreateObjectResponse) and answer.object is None
    assert s7plus_session_identity(answer) == {}


def test_the_briefs_example_string() -> None:
    value = S7PlusValue(0x15, "1;6ES7 214-1AG40-0XB0 ;V4.2")
    struct = S7PlusValue(0x17, ((SESSION_VERSION_SYSTEM_PAOM_STRING, value),), 0, 314)
    obj = S7PlusObject(0x120, 287, 0, 0, ((306, struct),))
    message = CreateObjectResponse(S7PlusDataHeader(0x32, 0x04CA, 1, 0x36), 0, (0x3C0,), obj)
    assert s7plus_session_identity(message) == {
        "order_number": "6ES7 214-1AG40-0XB0",
        "firmware": "V4.2",
        "model": "S7-1200 CPU 1214C DC/DC/DC",
        "vendor": "Siemens",
    }
    data = encode_create_object(message)
    assert decode_create_object(S7PlusPdu(1, None, data, True)) == message


@pytest.mark.parametrize(
    ("order", "model"),
    [
        ("6ES7 214-1HE30-0XB0", "S7-1200 CPU 1214C DC/DC/Rly"),
        ("6ES7 212-1BE40-0XB0", "S7-1200 CPU 1212C AC/DC/Rly"),
        ("6ES7 215-1AF40-0XB0", "S7-1200 CPU 1215FC DC/DC/DC"),
        ("6ES7516-3AN01-0AB0", "S7-1500 CPU 1516"),
        ("6ES7 511-1FK01-0AB0", "S7-1500 CPU 1511F"),
        ("6ES7 315-2EH14-0AB0", None),
        ("", None),
    ],
)
def test_model_from_the_order_number(order: str, model: str | None) -> None:
    assert s7_model(order) == model


# --- properties ------------------------------------------------------------------------------

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@given(st.integers(0, 2**32 - 1))
def test_vlq_round_trip_unsigned_32(value: int) -> None:
    raw = encode_vlq(value)
    assert decode_vlq(raw) == (value, len(raw))


@given(st.integers(-(2**63), 2**63 - 1))
def test_vlq_round_trip_signed_64(value: int) -> None:
    raw = encode_vlq(value, 9, signed=True)
    assert decode_vlq(raw, 0, 9, signed=True) == (value, len(raw))
    assert len(raw) <= 9


@given(st.integers(0, 2**64 - 1))
def test_vlq_round_trip_unsigned_64(value: int) -> None:
    raw = encode_vlq(value, 9)
    assert decode_vlq(raw, 0, 9) == (value, len(raw))
    assert len(raw) <= 9


scalars = st.one_of(
    st.tuples(st.just(0x02), st.integers(0, 255)),
    st.tuples(st.just(0x03), st.integers(0, 0xFFFF)),
    st.tuples(st.just(0x07), st.integers(-(2**15), 2**15 - 1)),
    st.tuples(st.just(0x04), st.integers(0, 2**32 - 1)),
    st.tuples(st.just(0x08), st.integers(-(2**31), 2**31 - 1)),
    st.tuples(st.just(0x05), st.integers(0, 2**64 - 1)),
    st.tuples(st.just(0x12), st.integers(0, 2**32 - 1)),
    st.tuples(st.just(0x15), st.text(max_size=20)),
    st.tuples(st.just(0x14), st.binary(max_size=20)),
)


@st.composite
def values(draw: st.DrawFn, depth: int = 0) -> S7PlusValue:
    if depth < 2 and draw(st.integers(0, 4)) == 0:
        members = draw(st.lists(st.integers(1, 5000), max_size=3, unique=True))
        return S7PlusValue(
            0x17,
            tuple((m, draw(values(depth + 1))) for m in members),
            0,
            draw(st.integers(0, 2**32 - 1)),
        )
    datatype, value = draw(scalars)
    if draw(st.booleans()):
        return S7PlusValue(datatype, value)
    items = tuple(draw(scalars.filter(lambda s: s[0] == datatype))[1] for _ in range(2))
    return S7PlusValue(datatype, items, 0x10)


@st.composite
def objects(draw: st.DrawFn, depth: int = 0) -> S7PlusObject:
    attributes = tuple(
        (a, draw(values())) for a in draw(st.lists(st.integers(1, 5000), max_size=4))
    )
    children = tuple(draw(st.lists(objects(depth + 1), max_size=2))) if depth < 2 else ()
    return S7PlusObject(
        draw(st.integers(0, 2**32 - 1)),
        draw(st.integers(0, 2**32 - 1)),
        draw(st.integers(0, 2**32 - 1)),
        draw(st.integers(0, 2**32 - 1)),
        attributes,
        children,
    )


@FUZZ
@given(objects(), st.integers(0, 2**32 - 1), values())
def test_create_object_round_trip(obj: S7PlusObject, request_id: int, value: S7PlusValue) -> None:
    request = CreateObjectRequest(
        S7PlusDataHeader(0x31, 0x04CA, 1, 0x36, 0x120, 14), request_id, value, obj
    )
    assert decode_create_object(S7PlusPdu(1, None, encode_create_object(request), False)) == request
    response = CreateObjectResponse(S7PlusDataHeader(0x32, 0x04CA, 1, 0x36), -17, (1, 960), obj)
    assert (
        decode_create_object(S7PlusPdu(2, None, encode_create_object(response), False)) == response
    )
    assert encode_object(obj)[:1] == b"\xa1" and encode_value(value)[1] == value.datatype


@FUZZ
@given(st.sampled_from((0x31, 0x32)), st.binary(max_size=200))
def test_fuzz_create_object_never_raises(opcode: int, body: bytes) -> None:
    header = S7PlusDataHeader(opcode, 0x04CA, 1, 0x36, 0x120 if opcode == 0x31 else None,
                              14 if opcode == 0x31 else 10)  # fmt: skip
    result = decode_create_object(S7PlusPdu(2, None, encode_data_header(header) + body, False))
    if isinstance(result, CreateObjectRequest | CreateObjectResponse):
        assert isinstance(s7plus_session_identity(result), dict)


@FUZZ
@given(st.data())
def test_fuzz_mutated_session_create_objects(data: st.DataObject) -> None:
    frames = {f: p for f, _, p in _plus_pdus("hmi.pcap")}
    pdu = frames[data.draw(st.sampled_from((12, 13)))]
    raw = bytearray(pdu.data)
    at = data.draw(st.integers(14, len(raw) - 1))
    raw[at] = data.draw(st.integers(0, 255))
    del raw[data.draw(st.integers(at, len(raw))) :]
    result = decode_create_object(S7PlusPdu(pdu.version, None, bytes(raw), False))
    if isinstance(result, CreateObjectRequest | CreateObjectResponse):
        s7plus_session_identity(result)


# --- the sensor --------------------------------------------------------------------------------


def _observe(capture: str) -> list[Observation]:
    """A capture through a walker with only the port 102 sensor, wired like the engine."""
    tally = Tally(capture, "capture")
    walker = PacketWalker()
    labels = FlowLabels()
    S7Sensor().register(walker, tally, labels)

    def host(mac: str, ip: str | None, vlan: int | None, frame: int, ts: float) -> None:
        tally.host(mac, ip, vlan, ts, frame)

    def traffic(
        key: FlowKey,
        first: float,
        last: float,
        packets: int,
        octets: int,
        frame: int,
        final: bool,
        client_sent: bool,
        server_sent: bool,
    ) -> bool:
        protocol = labels.protocol.pop(key, None)
        if not protocol:
            return False
        tally.communication(
            Communication(
                first, last, key.client_ip, key.server_ip, key.client_mac, key.server_mac,
                protocol, Transport(key.transport), key.server_port, packets, octets,
                tally.evidence(frame, f"first {protocol} packet of the flow"),
            )
        )  # fmt: skip
        return True

    walker.on_host(host)
    walker.on_traffic(traffic)
    with open_capture(PCAPS / capture) as reader:
        walker.walk(reader)
    return tally.flush()


@cache
def _inventory(capture: str) -> Inventory:
    return build_inventory(_observe(capture))


def _fields(inv: Inventory, ip: str) -> dict[str, set[object]]:
    out: dict[str, set[object]] = {}
    for asset in inv.assets.values():
        if ip in asset.ips:
            for name, values_ in asset.fields.items():
                out.setdefault(name, set()).update(v.value for v in values_)
    return out


@pytest.mark.parametrize("capture", PLUS_CAPTURES)
def test_sensor_endpoints_match_the_ground_truth(capture: str) -> None:
    truth = json.loads((GROUNDTRUTH / f"{capture}.json").read_text())
    expected = {
        (ep["role"], ep["ip"]) for ep in truth["endpoints"] if ep["protocol"] == "s7comm_plus"
    }
    got = {
        (s.role, ip)
        for asset in _inventory(capture).assets.values()
        for s in asset.services
        if s.name == "s7comm-plus"
        for ip in asset.ips
    }
    assert got == expected


def test_sensor_identity_of_the_session_setups() -> None:
    s1200 = _inventory("S7-1200-Uploading-OB1-TIAV12.pcap")
    cpu = _fields(s1200, "192.168.1.191")
    assert cpu["order_number"] == {"6ES7 214-1HE30-0XB0"}
    assert cpu["firmware"] == {"V2.2"}
    assert cpu["model"] == {"S7-1200 CPU 1214C DC/DC/Rly"}
    assert "Siemens" in cpu["vendor"]
    assert _fields(s1200, "192.168.1.10")["s7plus_client_host"] == {"VORTEX_21032491"}
    hmi = _inventory("hmi.pcap")
    assert _fields(hmi, "192.168.1.20")["s7plus_client_software"] == {"TIA Portal / WinCC ES"}
    assert _fields(hmi, "192.168.1.5")["s7plus_oms_version"] == {"OMSP.REL.8089.14"}
    # the V3 capture starts after the session setup: nothing to learn there
    v3 = _inventory("s7comm_plus.pcap")
    assert "order_number" not in _fields(v3, "192.168.0.1")
