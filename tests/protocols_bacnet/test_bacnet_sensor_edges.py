"""Edge cases of the BACnet sensor, named after their edge: who is client and server,
routed devices, BBMD forwarding, segmented identity, broken bytes on port 47808."""

from __future__ import annotations

from otm.capture.interfaces import FlowKey
from otm.observations.records import Communication, Identity, Observation, Operation, ParseAnomaly
from otm.protocols.bacnet import codec, services
from otm.protocols.bacnet import messages as m
from otm.protocols.bacnet import tags as t
from otm.protocols.bacnet.constants import ConfirmedService, UnconfirmedService
from otm.sensing.aggregate import Tally
from otm.sensing.bacnet import BacnetConversation, BacnetEthernetHandler
from otm.sensing.labels import FlowLabels

A_MAC, B_MAC = "00:00:00:00:00:0a", "00:00:00:00:00:0b"
KEY = FlowKey("udp", "10.0.0.1", 47808, "10.0.0.2", 47808, A_MAC, B_MAC, None)
"""The walker's guess: 10.0.0.1 (who spoke first) is the client."""

DEVICE = t.ObjectIdentifier(8, 77)


def _datagram(
    apdu: m.Apdu,
    source: m.NetworkAddress | None = None,
    forwarded_from: m.BipAddress | None = None,
) -> bytes:
    npdu = codec.encode_npdu(m.Npdu(False, 0, None, source, None, None, codec.encode_apdu(apdu)))
    if forwarded_from is not None:
        return codec.encode_bvll(m.ForwardedNpdu(forwarded_from, npdu))
    return codec.encode_bvll(m.NpduCarrier(0x0A, npdu))


def _i_am(instance: int = 77, vendor: int = 42) -> m.Apdu:
    data = services.encode_service(services.IAm(t.ObjectIdentifier(8, instance), 1476, 0, vendor))
    return m.UnconfirmedRequest(UnconfirmedService.I_AM, data)


def _read(invoke: int = 1) -> m.Apdu:
    data = services.encode_service(services.ReadPropertyRequest(DEVICE, 121))
    return m.ConfirmedRequest(False, False, True, 0, 5, invoke, None, None, 12, data)


def _vendor_name_ack(text: str) -> bytes:
    value = (t.CharacterString(0, text.encode()),)
    return services.encode_service(services.ReadPropertyAck(DEVICE, 121, None, value))


def _run(*datagrams: tuple[bytes, bool]) -> tuple[list[Observation], FlowLabels]:
    tally, labels = Tally("test"), FlowLabels()
    conversation = BacnetConversation(KEY, tally, labels)
    for frame, (data, from_client) in enumerate(datagrams, 1):
        conversation.on_datagram(data, from_client, frame, float(frame))
    conversation.on_close(100.0)
    return tally.flush(), labels


def _identities(observations: list[Observation]) -> list[Identity]:
    return [o for o in observations if isinstance(o, Identity)]


def test_i_am_first_reverses_the_walkers_guess_at_once() -> None:
    tally, labels = Tally("test"), FlowLabels()
    conversation = BacnetConversation(KEY, tally, labels)
    conversation.on_datagram(_datagram(_i_am()), True, 1, 1.0)
    # Before the conversation ends: a live checkpoint must see the device as server.
    assert KEY in labels.reversed and labels.protocol[KEY] == "bacnet"
    conversation.on_datagram(_datagram(_read()), False, 2, 2.0)
    conversation.on_close(3.0)
    operations = [o for o in tally.flush() if isinstance(o, Operation)]
    assert {(o.name, o.client_ip, o.server_ip) for o in operations} == {
        ("i_am", "10.0.0.2", "10.0.0.1"),
        ("read_property", "10.0.0.2", "10.0.0.1"),
    }


def test_both_ends_asking_gives_a_second_orientation() -> None:
    observations, labels = _run(
        (_datagram(_read(1)), True),
        (_datagram(m.ComplexAck(False, False, 1, None, None, 12, _vendor_name_ack("A"))), False),
        (_datagram(_read(2)), False),
        (_datagram(m.ComplexAck(False, False, 2, None, None, 12, _vendor_name_ack("B"))), True),
    )
    assert KEY not in labels.reversed
    (second,) = [o for o in observations if isinstance(o, Communication)]
    assert (second.client_ip, second.server_ip, second.packets) == ("10.0.0.2", "10.0.0.1", 2)
    vendors = {(i.ip, i.fields["vendor"]) for i in _identities(observations)}
    assert vendors == {("10.0.0.2", "A"), ("10.0.0.1", "B")}
    reads = {(o.client_ip, o.server_ip) for o in observations if isinstance(o, Operation)}
    assert reads == {("10.0.0.1", "10.0.0.2"), ("10.0.0.2", "10.0.0.1")}


def test_a_routed_device_is_a_component_of_the_router() -> None:
    behind = m.NetworkAddress(5, b"\x21")
    ack = m.ComplexAck(False, False, 1, None, None, 12, _vendor_name_ack("Routed Inc"))
    observations, _ = _run((_datagram(_read()), True), (_datagram(ack, source=behind), False))
    (identity,) = _identities(observations)
    assert (identity.ip, identity.mac) == ("10.0.0.2", B_MAC)
    assert identity.component == "bacnet network 5 address 21"
    assert identity.fields == {"vendor": "Routed Inc", "bacnet_device_instance": 77}


def test_a_forwarded_i_am_belongs_to_its_original_sender() -> None:
    original = m.BipAddress(bytes((192, 168, 7, 9)), 47808)
    observations, _ = _run((_datagram(_i_am(), forwarded_from=original), False))
    (identity,) = _identities(observations)
    assert (identity.ip, identity.mac) == ("192.168.7.9", None)
    assert identity.fields["vendor"] == "Acuity Brands Lighting, Inc."


def test_segmented_identity_is_decoded_once_whole() -> None:
    data = _vendor_name_ack("Segmented Vendor GmbH")
    first = m.ComplexAck(True, True, 3, 0, 2, 12, data[:9])
    last = m.ComplexAck(True, False, 3, 1, 2, 12, data[9:])
    observations, _ = _run(
        (_datagram(_read(3)), True), (_datagram(first), False), (_datagram(last), False)
    )
    (identity,) = _identities(observations)
    assert identity.fields["vendor"] == "Segmented Vendor GmbH"
    assert identity.evidence.packet == 3


def test_a_lost_segment_is_an_anomaly_not_an_identity() -> None:
    data = _vendor_name_ack("Lost")
    observations, _ = _run(
        (_datagram(m.ComplexAck(True, True, 3, 0, 2, 12, data[:9])), False),
        (_datagram(m.ComplexAck(True, False, 3, 2, 2, 12, data[9:])), False),
    )
    assert not _identities(observations)
    kinds = {o.kind for o in observations if isinstance(o, ParseAnomaly)}
    assert kinds == {"segment_out_of_order"}


def test_an_ack_about_another_object_teaches_nothing() -> None:
    value = (t.CharacterString(0, b"AI-1"),)
    data = services.encode_service(
        services.ReadPropertyAck(t.ObjectIdentifier(0, 1), 77, None, value)
    )
    ack = m.ComplexAck(False, False, 1, None, None, ConfirmedService.READ_PROPERTY, data)
    observations, _ = _run((_datagram(_read()), True), (_datagram(ack), False))
    assert not _identities(observations)


def test_other_bytes_on_port_47808_are_anomalies_not_bacnet() -> None:
    observations, labels = _run((b"\x00\x01garbage", True), (b"\x81\x0a\x00\x06\x02\x00", True))
    assert not labels.protocol
    kinds = {o.kind for o in observations if isinstance(o, ParseAnomaly)}
    assert kinds == {"bad_bvlc_type", "bad_npdu_version"}


def test_errors_rejects_and_aborts_are_counted_as_exceptions() -> None:
    error = services.encode_service(services.ErrorInfo(5, 26))
    observations, _ = _run(
        (_datagram(_read()), True),
        (_datagram(m.Error(1, 20, error)), False),
        (_datagram(m.Reject(2, 9)), False),
        (_datagram(m.Abort(True, 3, 4)), False),
    )
    names = {o.name: o.category for o in observations if isinstance(o, Operation)}
    assert names == {
        "read_property": "read",
        "error_password_failure": "exception",
        "reject_unrecognized_service": "exception",
        "abort_segmentation_not_supported": "exception",
    }


def test_ethernet_ignores_other_llc_and_reads_bacnet() -> None:
    tally = Tally("test")
    handler = BacnetEthernetHandler(tally)
    handler(b"\x42\x42\x03\x00\x00", "00:00:00:00:00:01", "01:80:c2:00:00:00", None, 1, 1.0)  # STP
    assert tally.flush() == []
    npdu = m.Npdu(False, 0, None, None, None, None, codec.encode_apdu(_i_am(9)))
    handler(codec.encode_ethernet(npdu), A_MAC, "ff:ff:ff:ff:ff:ff", None, 2, 2.0)
    observations = tally.flush()
    (identity,) = _identities(observations)
    assert (identity.ip, identity.mac, identity.fields["bacnet_device_instance"]) == (
        None,
        A_MAC,
        9,
    )
    (link,) = [o for o in observations if isinstance(o, Communication)]
    assert (link.client_mac, link.server_mac, link.transport) == (
        "ff:ff:ff:ff:ff:ff",
        A_MAC,
        "ethernet",
    )


def test_a_reserved_vendor_id_names_no_vendor() -> None:
    observations, _ = _run((_datagram(_i_am(vendor=999)), True), (_datagram(_i_am()), True))
    fields = [i.fields for i in _identities(observations)]
    reserved = [f for f in fields if f.get("vendor_id") == 999]
    assert reserved and all("vendor" not in f for f in reserved)
    assigned = [f for f in fields if f.get("vendor_id") == 42]
    assert assigned and all(f["vendor"] for f in assigned)
