"""The DNP3 sensor on written conversations: roles, identity, operations, anomalies, bounds."""

from __future__ import annotations

from collections import Counter
from itertools import islice
from pathlib import Path
from typing import TypeVar
from unittest.mock import patch

import pytest
from dnp3_support import (
    MASTER,
    MASTER_IP,
    OUTSTATION,
    OUTSTATION_IP,
    master_frames,
    outstation_frames,
    request,
    response,
    run_dnp3,
    tcp_conversation,
    udp_datagrams,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otm.capture.interfaces import FlowKey
from otm.capture.readers import open_capture
from otm.inventory.builder import build_inventory
from otm.observations.records import (
    Communication,
    Identity,
    Observation,
    Operation,
    Transport,
)
from otm.protocols.dnp3 import ObjectHeader, encode_link_frame
from otm.protocols.dnp3.messages import LinkFrame
from otm.sensing import engine as engine_module
from otm.sensing.aggregate import Tally
from otm.sensing.dnp3 import Dnp3Sensor, Dnp3Stream, analyse_request
from otm.sensing.engine import PassiveEngine
from otm.sensing.labels import FlowLabels
from sensor_support import anomaly_counts, operation_counts

T = TypeVar("T")

READ_ATTRIBUTES = ObjectHeader(0, 254, 0x06, None, None, None, b"")
CLASS_0 = ObjectHeader(60, 1, 0x06, None, None, None, b"")


def attribute(variation: int, value: bytes | str, data_type: int = 1) -> ObjectHeader:
    raw = value.encode() if isinstance(value, str) else value
    return ObjectHeader(0, variation, 0x00, 0, 0, None, bytes((data_type, len(raw))) + raw)


ATTRIBUTES = (
    attribute(252, "Acme Grid Automation"),
    attribute(250, "RTU-9000"),
    attribute(242, "3.2.1"),
    attribute(243, "rev B"),
    attribute(248, "SN-00421337"),
    attribute(247, "Feeder 7"),
    attribute(246, "ID-7"),
    attribute(245, "Substation East " * 12),
    attribute(240, b"\x00\x08", data_type=2),
    attribute(233, b"\x20\x00", data_type=2),  # analog input count: not identity
)

EXPECTED_FIELDS = {
    "vendor": "Acme Grid Automation",
    "model": "RTU-9000",
    "firmware": "3.2.1",
    "hardware": "rev B",
    "serial": "SN-00421337",
    "name": "Feeder 7",
    "dnp3_id_code": "ID-7",
    "dnp3_location": ("Substation East " * 12).strip(),
    "dnp3_max_transmit_fragment": 2048,
}


def _of(observations: list[Observation], kind: type[T]) -> list[T]:
    return [o for o in observations if isinstance(o, kind)]


def _fields(observations: list[Observation], ip: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for ident in _of(observations, Identity):
        if ident.ip == ip:
            out.update(ident.fields)
    return out


def _dnp3_links(observations: list[Observation]) -> list[Communication]:
    return [c for c in _of(observations, Communication) if c.protocol == "dnp3"]


# --- identity -----------------------------------------------------------------------------


def test_device_attributes_of_a_multi_segment_response_become_identity() -> None:
    answer = response(*ATTRIBUTES)
    assert len(answer) > 249
    frames = tcp_conversation(
        [(True, master_frames(request(1, READ_ATTRIBUTES))), (False, outstation_frames(answer))],
        segments=3,
    )
    obs = run_dnp3(frames)
    fields = _fields(obs, OUTSTATION_IP)
    assert fields == {**EXPECTED_FIELDS, "dnp3_address": OUTSTATION}
    assert _fields(obs, MASTER_IP) == {"dnp3_master_address": MASTER}
    assert operation_counts(obs) == Counter({"read": 1})
    (op,) = _of(obs, Operation)
    assert op.detail == {"master_address": MASTER, "outstation_address": OUTSTATION}
    assert not anomaly_counts(obs)


def test_attributes_after_other_objects_are_found_when_the_master_asked_for_them() -> None:
    analog = ObjectHeader(30, 1, 0x00, 0, 0, None, bytes(5))
    read = request(1, CLASS_0, READ_ATTRIBUTES)
    frames = tcp_conversation(
        [
            (False, outstation_frames(response(analog))),  # the shape becomes known
            (True, master_frames(read)),
            (False, outstation_frames(response(analog, *ATTRIBUTES[:2]))),
        ]
    )
    fields = _fields(run_dnp3(frames), OUTSTATION_IP)
    assert fields["vendor"] == "Acme Grid Automation"
    assert fields["model"] == "RTU-9000"


def test_unsolicited_attributes_need_no_request() -> None:
    unsolicited = response(*ATTRIBUTES[:1], function=130)
    obs = run_dnp3(tcp_conversation([(False, outstation_frames(unsolicited))]))
    assert _fields(obs, OUTSTATION_IP)["vendor"] == "Acme Grid Automation"
    assert operation_counts(obs) == Counter({"unsolicited_response": 1})
    (op,) = _of(obs, Operation)
    assert (op.client_ip, op.server_ip, op.category) == (MASTER_IP, OUTSTATION_IP, "read")


def test_identity_only_from_what_a_device_says_of_itself() -> None:
    # A master writing attributes (a write of group 0) teaches nothing about anyone.
    write = request(2, attribute(247, "renamed by the master"))
    obs = run_dnp3(tcp_conversation([(True, master_frames(write))]))
    assert "name" not in _fields(obs, OUTSTATION_IP)
    assert "name" not in _fields(obs, MASTER_IP)


def test_reserved_source_address_is_no_identity() -> None:
    frames = tcp_conversation([(True, master_frames(request(1, CLASS_0), master=0xFFFF))])
    obs = run_dnp3(frames)
    assert "dnp3_master_address" not in _fields(obs, MASTER_IP)
    assert anomaly_counts(obs) == Counter({"reserved_source_address": 1})
    assert operation_counts(obs) == Counter({"read": 1})


# --- roles ----------------------------------------------------------------------------------


def test_an_outstation_that_opens_the_connection_is_still_the_server() -> None:
    # The outstation dials out to its master (listening on 20000): the TCP
    # client is the outstation, but DIR says who is who.
    frames = tcp_conversation(
        [
            (True, outstation_frames(response(function=130))),
            (False, master_frames(request(0))),
            (False, master_frames(request(1, CLASS_0))),
        ],
        client_ip=OUTSTATION_IP,
        server_ip=MASTER_IP,
    )
    obs = run_dnp3(frames)
    (link,) = _dnp3_links(obs)
    assert (link.client_ip, link.server_ip) == (MASTER_IP, OUTSTATION_IP)
    assert {(o.client_ip, o.server_ip) for o in _of(obs, Operation)} == {(MASTER_IP, OUTSTATION_IP)}
    assert operation_counts(obs) == Counter({"unsolicited_response": 1, "confirm": 1, "read": 1})
    assert _fields(obs, OUTSTATION_IP) == {"dnp3_address": OUTSTATION}
    roles = {
        s.role
        for asset in build_inventory(obs).assets.values()
        if OUTSTATION_IP in asset.ips
        for s in asset.services
    }
    assert roles == {"server"}
    assert not anomaly_counts(obs)


def test_a_frame_against_the_direction_of_its_side_is_a_direction_conflict() -> None:
    frames = tcp_conversation(
        [(True, master_frames(request(1, CLASS_0))), (True, outstation_frames(response()))]
    )
    obs = run_dnp3(frames)
    assert anomaly_counts(obs) == Counter({"direction_conflict": 1})
    assert _fields(obs, MASTER_IP) == {"dnp3_master_address": MASTER, "dnp3_address": OUTSTATION}


# --- UDP ----------------------------------------------------------------------------------


def test_udp_datagram_with_two_frames_and_a_remainder() -> None:
    two = master_frames(request(1, CLASS_0)) + master_frames(request(2, CLASS_0))
    datagrams = [(True, two + b"\x05\x64"), (False, outstation_frames(response()))]
    obs_list = run_dnp3(udp_datagrams(datagrams))
    assert operation_counts(obs_list) == Counter({"read": 1, "write": 1})
    assert anomaly_counts(obs_list) == Counter({"unframed_bytes": 1})
    (link,) = _dnp3_links(obs_list)
    assert (link.transport, link.client_ip, link.port) == (Transport.UDP, MASTER_IP, 20000)


def test_udp_outstation_speaking_first_between_equal_ports() -> None:
    frames = udp_datagrams(
        [(False, outstation_frames(response(function=130))), (True, master_frames(request(0)))]
    )
    # Rewrite both ports to 20000: the walker takes the first sender for the client.
    same_port = []
    for number, ts, link, wire in frames:
        data = bytearray(wire)
        data[34:38] = (20000).to_bytes(2, "big") * 2
        same_port.append((number, ts, link, bytes(data)))
    obs = run_dnp3(same_port)
    (link,) = _dnp3_links(obs)
    assert (link.client_ip, link.server_ip) == (MASTER_IP, OUTSTATION_IP)
    assert operation_counts(obs) == Counter({"unsolicited_response": 1, "confirm": 1})


# --- broken input ----------------------------------------------------------------------------


def test_bad_crcs_are_anomalies_and_notoperation_counts() -> None:
    good = master_frames(request(1, CLASS_0))
    bad_data = bytearray(good)
    bad_data[12] ^= 0x01
    bad_header = bytearray(good)
    bad_header[5] ^= 0x01
    frames = tcp_conversation([(True, good), (True, bytes(bad_data)), (True, bytes(bad_header))])
    obs = run_dnp3(frames)
    assert operation_counts(obs) == Counter({"read": 1})
    assert anomaly_counts(obs) == Counter({"bad_data_crc": 1, "bad_header_crc": 1})


def test_bytes_that_are_not_dnp3_make_no_dnp3_link() -> None:
    frames = tcp_conversation([(True, b"GET / HTTP/1.0\r\n\r\n"), (False, b"HTTP/1.0 200 OK\r\n")])
    obs = run_dnp3(frames)
    assert not _dnp3_links(obs)
    assert anomaly_counts(obs) == Counter({"unframed_bytes": 2})


def test_link_services_of_a_master_are_operations_and_their_answers_are_not() -> None:
    status = encode_link_frame(LinkFrame(0xC9, OUTSTATION, MASTER, b""))
    answer = encode_link_frame(LinkFrame(0x0B, MASTER, OUTSTATION, b""))
    reset = encode_link_frame(LinkFrame(0xC0, OUTSTATION, MASTER, b""))
    ack = encode_link_frame(LinkFrame(0x00, MASTER, OUTSTATION, b""))
    obs = run_dnp3(tcp_conversation([(True, status), (False, answer), (True, reset), (False, ack)]))
    assert operation_counts(obs) == Counter(
        {"link_request_link_status": 1, "link_reset_link_states": 1}
    )
    assert {o.category for o in _of(obs, Operation)} == {"session"}
    assert len(_dnp3_links(obs)) == 1


def test_segments_out_of_sequence_are_counted() -> None:
    fragment = request(2, ObjectHeader(110, 200, 0x07, None, None, 2, bytes(400)))
    wires = [
        encode_link_frame(LinkFrame(0xC4, OUTSTATION, MASTER, bytes((0x40 | 1,)) + fragment[:249])),
        encode_link_frame(LinkFrame(0xC4, OUTSTATION, MASTER, bytes((0x80 | 3,)) + fragment[249:])),
    ]
    obs = run_dnp3(tcp_conversation([(True, w) for w in wires]))
    assert anomaly_counts(obs) == Counter({"transport_sequence": 1})
    assert not operation_counts(obs)


def test_responses_from_a_master_and_requests_from_an_outstation_areanomaly_counts() -> None:
    frames = tcp_conversation(
        [
            (True, master_frames(response())),
            (False, outstation_frames(request(1, CLASS_0))),
            (True, master_frames(b"\xc0")),
        ]
    )
    obs = run_dnp3(frames)
    assert anomaly_counts(obs) == Counter(
        {"response_from_master": 1, "request_from_outstation": 1, "truncated": 1}
    )
    assert not operation_counts(obs)


def test_malformed_request_is_counted_once_per_occurrence_and_analysed_once() -> None:
    broken = request(1) + b"\x3c\x02\xed"  # reserved qualifier
    assert analyse_request(broken).anomaly is not None
    frames = tcp_conversation([(True, master_frames(broken))] * 3)
    obs = run_dnp3(frames)
    assert anomaly_counts(obs) == Counter({"invalid_qualifier": 3})
    assert operation_counts(obs) == Counter({"read": 3})


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.booleans(), st.binary(min_size=1, max_size=300)), max_size=8))
def test_arbitrary_payloads_never_raise(payloads: list[tuple[bool, bytes]]) -> None:
    run_dnp3(tcp_conversation(payloads))
    run_dnp3(udp_datagrams(payloads))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 400), st.integers(0, 255), st.booleans())
def test_mutated_conversations_never_raise(index: int, value: int, udp: bool) -> None:
    wires = [
        (True, master_frames(request(1, READ_ATTRIBUTES))),
        (False, outstation_frames(response(*ATTRIBUTES))),
    ]
    payload = bytearray(wires[1][1])
    payload[index % len(payload)] = value
    mutated = [wires[0], (False, bytes(payload))]
    observations = run_dnp3(udp_datagrams(mutated) if udp else tcp_conversation(mutated))
    assert operation_counts(observations)["read"] == 1


# --- checkpoints and per-flow handover ---------------------------------------------------------


@pytest.mark.parametrize("capture", ["dnp3.pcap", "DNP3Value.pcap"])
def test_checkpoints_add_up_to_the_whole(pcaps: Path, capture: str) -> None:
    with open_capture(pcaps / capture) as reader:
        whole = run_dnp3(reader, ref=capture)
    with patch.object(engine_module, "SENSORS", (Dnp3Sensor(),)):
        engine = PassiveEngine(ref=capture)
    pieces: list[Observation] = []
    with open_capture(pcaps / capture) as reader:
        frames = iter(reader)
        while batch := list(islice(frames, 25)):
            engine.feed(batch)
            pieces += engine.checkpoint()
    pieces += engine.finish().observations

    def summary(observations: list[Observation]) -> object:
        inv = build_inventory(observations)
        links = {k: (v.packets, dict(v.operations)) for k, v in inv.links.items()}
        assets = {
            a.id: (sorted(a.ips), sorted((s.name, s.role) for s in a.services), sorted(a.fields))
            for a in inv.assets.values()
        }
        return links, assets

    assert summary(pieces) == summary(whole)


def test_stream_hands_over_its_counts_at_checkpoint_and_close() -> None:
    tally = Tally("unit")
    labels = FlowLabels()
    key = FlowKey("tcp", MASTER_IP, 40000, OUTSTATION_IP, 20000, "", "", None)
    stream = Dnp3Stream(key, tally, labels, {}, Transport.TCP)
    wire = master_frames(request(1, CLASS_0))
    stream.on_pdu(wire, True, 1, 1.0)
    stream.on_checkpoint(1.5)
    stream.on_pdu(wire, True, 2, 2.0)
    stream.on_close(3.0)
    ops = _of(tally.flush(), Operation)
    assert sum(o.count for o in ops) == 2
    assert labels.protocol == {key: "dnp3"}
