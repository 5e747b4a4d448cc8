"""Property tests: arbitrary bytes never break a decoder or the sensor; encode then
decode is the identity for generated messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bacnet_strategies import (
    ack_messages,
    apdus,
    bvlls,
    complex_acks,
    element_tuples,
    npdus,
    request_messages,
    unconfirmed_messages,
)
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from otm.capture.interfaces import FlowKey
from otm.protocols.bacnet import codec, services
from otm.protocols.bacnet import messages as m
from otm.protocols.bacnet import services as s
from otm.protocols.bacnet import tags as t
from otm.protocols.bacnet.anomalies import BacnetAnomaly
from otm.protocols.bacnet.constants import ConfirmedService, UnconfirmedService
from otm.protocols.bacnet.segmentation import MAX_PENDING, Reassembler
from otm.protocols.common import Anomaly
from otm.sensing.aggregate import Tally
from otm.sensing.bacnet import BacnetConversation, BacnetEthernetHandler
from otm.sensing.labels import FlowLabels

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND_TRIP = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Datagrams from the shared captures (bacnet-ip.pcap, bacnet_example.pcap,
# bacnet_segmented_data.pcap), seeding the fuzzers with real traffic.
CAPTURED = [
    bytes.fromhex(h)
    for h in (
        "810b00170120ffff00ff1000c40200006f21329103212a",  # I-Am, global broadcast
        "810a0017010c000d013d0203c90c0c0200006f194c2900",  # RP request from a routed client
        "810a001b0120000d013dff30c90c0c0200006f194c29003e21213f",  # RP-ACK to it
        "810a001101040005011409061d0b0044656c63617474793730",  # reinitialize, BVLC length 17
        "810a001101045001149105911a",  # error password-failure
        "810b001d01001001c4020000fec405c0000475090103a489b793788251",  # I-Have, DBCS name
        "810b000c0100100209b04a",
        "810b00080120ffff00ff1008",  # who-is
        "810a0011010402345e0c0c020000fe194c",  # RP request, segmented response accepted
        "810a00120100405e0003",  # segment-ack
    )
]
ETHERNET = bytes.fromhex("8282030128ffff00000106c0a8000dbac0fe1000c40200006f21329103212a") + (
    b"\x7e" * 15
)
"""bacnet-ip.pcap frame 2: a routed I-Am on BACnet/Ethernet, padded with 0x7e."""


def _seeded(test: Callable[..., None]) -> Callable[..., None]:
    for datagram in CAPTURED:
        test = example(datagram)(test)
    return test


def _check(result: Any, size: int) -> None:
    if isinstance(result, Anomaly):
        assert isinstance(result.kind, BacnetAnomaly)
        assert 0 <= result.offset <= size
        assert result.detail


# --- fuzz: arbitrary bytes --------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=300))
@_seeded
def test_datagram_decoders_never_raise(data: bytes) -> None:
    whole = codec.decode_bacnet_ip(data)
    _check(whole, len(data))
    _check(codec.decode_bvll(data), len(data))
    _check(codec.decode_npdu(data), len(data))
    _check(codec.decode_apdu(data), len(data))
    _check(codec.check_bvlc_length(data), len(data))
    head = codec.peek(data)
    if head is not None:
        _, npdu_at, apdu_at, _ = head
        assert -1 <= npdu_at <= len(data) and -1 <= apdu_at < len(data)
        if apdu_at >= 0:
            codec.apdu_service(data, apdu_at)
    if isinstance(whole, m.BacnetIp):
        # Whatever decodes re-encodes to bytes that decode to the same message.
        again = codec.decode_bvll(codec.encode_bvll(whole.bvll))
        assert again == whole.bvll
        if whole.npdu is not None:
            assert codec.decode_npdu(codec.encode_npdu(whole.npdu)) == whole.npdu
        if whole.apdu is not None:
            assert codec.decode_apdu(codec.encode_apdu(whole.apdu)) == whole.apdu
            assert head is not None and head[2] >= 0


@FUZZ
@given(st.binary(max_size=200))
@example(ETHERNET)
def test_ethernet_decoder_never_raises(data: bytes) -> None:
    _check(codec.decode_ethernet(data), len(data))
    _check(codec.decode_ethernet(b"\x82\x82\x03" + data), len(data) + 3)


@FUZZ
@given(st.binary(max_size=300))
def test_tag_and_service_decoders_never_raise(data: bytes) -> None:
    elements = t.decode_elements(data)
    _check(elements, len(data))
    if not isinstance(elements, Anomaly):
        assert t.decode_elements(t.encode_elements(elements)) == elements
    for service in range(40):
        for result in (
            services.decode_unconfirmed(service, data),
            services.decode_confirmed_request(service, data),
            services.decode_complex_ack(service, data),
        ):
            _check(result, len(data))
            if not isinstance(result, Anomaly):
                assert services.encode_service(result) is not None
    _check(services.decode_error(data), len(data))


@FUZZ
@given(st.lists(complex_acks(), max_size=40), st.lists(st.integers(0, 6), max_size=40))
def test_reassembler_never_raises_and_stays_bounded(
    acks: list[m.ComplexAck], keys: list[int]
) -> None:
    reassembler = Reassembler()
    for ack, key in zip(acks, keys, strict=False):
        result = reassembler.add(key, ack)
        assert result is None or isinstance(result, bytes | Anomaly)
        assert len(reassembler) <= MAX_PENDING


_KEY = FlowKey(
    "udp", "10.0.0.1", 47808, "10.0.0.2", 47808, "00:00:00:00:00:11", "00:00:00:00:00:22", None
)


@FUZZ
@given(st.lists(st.tuples(st.binary(max_size=120), st.booleans()), max_size=12))
def test_sensor_never_raises(datagrams: list[tuple[bytes, bool]]) -> None:
    tally, labels = Tally("fuzz"), FlowLabels()
    conversation = BacnetConversation(_KEY, tally, labels)
    handler = BacnetEthernetHandler(tally)
    for frame, (data, from_client) in enumerate(datagrams, 1):
        conversation.on_datagram(data, from_client, frame, float(frame))
        conversation.on_datagram(
            b"\x81\x0a" + len(data).to_bytes(2, "big") + data, from_client, frame, 1.0
        )
        handler(b"\x82\x82\x03" + data, "00:00:00:00:00:11", "ff:ff:ff:ff:ff:ff", None, frame, 1.0)
    conversation.on_close(99.0)
    tally.flush()


@settings(max_examples=30, deadline=None)
@given(st.sampled_from([b"\x0e", b"\x00", b"\x1e", b"\x2f", b"\x0c"]))
def test_pathological_inputs_are_answered(unit: bytes) -> None:
    """64 KiB of nested opening tags, NULLs, or half tags: the decoders answer
    (a value or an anomaly) instead of recursing or looping; the speed of such
    input is measured in bench/, never asserted here."""
    data = unit * 65536
    elements = t.decode_elements(data)
    assert isinstance(elements, tuple | Anomaly)
    ack = services.decode_complex_ack(ConfirmedService.READ_PROPERTY_MULTIPLE, data)
    assert ack is not None


# --- round trips of generated messages ------------------------------------------------------


@ROUND_TRIP
@given(element_tuples)
def test_elements_round_trip(elements: tuple[t.Element, ...]) -> None:
    assert t.decode_elements(t.encode_elements(elements)) == elements


@ROUND_TRIP
@given(bvlls)
def test_bvll_round_trip(bvll: m.Bvll) -> None:
    assert codec.decode_bvll(codec.encode_bvll(bvll)) == bvll


@ROUND_TRIP
@given(npdus())
def test_npdu_round_trip(npdu: m.Npdu) -> None:
    assert codec.decode_npdu(codec.encode_npdu(npdu)) == npdu


@ROUND_TRIP
@given(apdus)
def test_apdu_round_trip(apdu: m.Apdu) -> None:
    assert codec.decode_apdu(codec.encode_apdu(apdu)) == apdu


@ROUND_TRIP
@given(npdus(), apdus, st.booleans())
def test_datagram_round_trip(npdu: m.Npdu, apdu: m.Apdu, broadcast: bool) -> None:
    if npdu.network_message is None:
        npdu = m.Npdu(
            npdu.expecting_reply, npdu.priority, npdu.destination, npdu.source,
            npdu.hop_count, None, codec.encode_apdu(apdu), npdu.reserved,
        )  # fmt: skip
    function = 0x0B if broadcast else 0x0A
    datagram = codec.encode_bvll(m.NpduCarrier(function, codec.encode_npdu(npdu)))
    decoded = codec.decode_bacnet_ip(datagram)
    assert isinstance(decoded, m.BacnetIp)
    assert decoded.npdu == npdu
    assert decoded.apdu == (apdu if npdu.network_message is None else None)
    assert codec.check_bvlc_length(datagram) is None


_UNCONFIRMED_CHOICE = {
    s.WhoIs: UnconfirmedService.WHO_IS,
    s.IAm: UnconfirmedService.I_AM,
    s.WhoHas: UnconfirmedService.WHO_HAS,
    s.IHave: UnconfirmedService.I_HAVE,
    s.TimeSynchronization: UnconfirmedService.TIME_SYNCHRONIZATION,
}
_REQUEST_CHOICE = {
    s.ReadPropertyRequest: ConfirmedService.READ_PROPERTY,
    s.ReadPropertyMultipleRequest: ConfirmedService.READ_PROPERTY_MULTIPLE,
    s.WritePropertyRequest: ConfirmedService.WRITE_PROPERTY,
    s.DeviceCommunicationControlRequest: ConfirmedService.DEVICE_COMMUNICATION_CONTROL,
    s.ReinitializeDeviceRequest: ConfirmedService.REINITIALIZE_DEVICE,
}
_ACK_CHOICE = {
    s.ReadPropertyAck: ConfirmedService.READ_PROPERTY,
    s.ReadPropertyMultipleAck: ConfirmedService.READ_PROPERTY_MULTIPLE,
}


@ROUND_TRIP
@given(unconfirmed_messages)
def test_unconfirmed_services_round_trip(message: s.ServiceMessage) -> None:
    choice = _UNCONFIRMED_CHOICE[type(message)]
    assert services.decode_unconfirmed(choice, services.encode_service(message)) == message


@ROUND_TRIP
@given(request_messages)
def test_request_services_round_trip(message: s.ServiceMessage) -> None:
    choice = _REQUEST_CHOICE[type(message)]
    assert services.decode_confirmed_request(choice, services.encode_service(message)) == message


@ROUND_TRIP
@given(ack_messages)
def test_ack_services_round_trip(message: s.ServiceMessage) -> None:
    choice = _ACK_CHOICE[type(message)]
    assert services.decode_complex_ack(choice, services.encode_service(message)) == message


@ROUND_TRIP
@given(st.integers(0, 0xFFFF), st.integers(0, 0xFFFF))
def test_error_round_trip(error_class: int, error_code: int) -> None:
    error = s.ErrorInfo(error_class, error_code)
    assert services.decode_error(services.encode_service(error)) == error


@ROUND_TRIP
@given(st.binary(min_size=1, max_size=3000), st.integers(1, 1476), st.integers(0, 255))
def test_segments_reassemble_to_the_message(data: bytes, size: int, invoke: int) -> None:
    parts = [data[i : i + size] for i in range(0, len(data), size)]
    reassembler = Reassembler()
    result: bytes | Anomaly | None = None
    for sequence, part in enumerate(parts):
        more = sequence < len(parts) - 1
        ack = m.ComplexAck(True, more, invoke, sequence & 0xFF, 4, 12, part)
        # A retransmission of the previous segment changes nothing.
        if sequence:
            previous = m.ComplexAck(
                True, True, invoke, (sequence - 1) & 0xFF, 4, 12, parts[sequence - 1]
            )
            assert reassembler.add("k", previous) is None
        result = reassembler.add("k", ack)
    if len(parts) <= 128:
        assert result == data
    else:
        assert isinstance(result, Anomaly) or result is None
