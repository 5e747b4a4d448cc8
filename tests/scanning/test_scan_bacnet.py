"""The BACnet probe: Who-Is and ReadProperty of the device object, nothing else.

Unit tests run the probe on a scripted transport (answers from a real
bacpypes3 device recorded as hex, and otm-encoded ones for the variations);
the live tests run it in a namespaced plant against bacpypes3 (slow, root).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from scan_fake_io import FakeIo
from scan_netns_support import bacnet_device, devices, identity, run_probe

from live.plant_netns import namespaces_available, plant
from otm.observations.records import AssetSeen, Identity, Observation
from otm.protocols.bacnet import (
    decode_bacnet_ip,
    decode_confirmed_request,
    encode_apdu,
    encode_bvll,
    encode_npdu,
    encode_service,
)
from otm.protocols.bacnet.constants import (
    BvlcFunction,
    ConfirmedService,
    PropertyId,
    UnconfirmedService,
)
from otm.protocols.bacnet.messages import (
    ComplexAck,
    ConfirmedRequest,
    Npdu,
    NpduCarrier,
    UnconfirmedRequest,
)
from otm.protocols.bacnet.services import (
    DeviceCommunicationControlRequest,
    IAm,
    ReadPropertyAck,
    ReadPropertyRequest,
    ReinitializeDeviceRequest,
    WritePropertyRequest,
)
from otm.protocols.bacnet.tags import CharacterString, ObjectIdentifier, Real
from otm.protocols.common import Anomaly
from otm.scanning import bacnet
from otm.scanning.bacnet import BacnetProbe, i_am_fields, read_property_answer
from otm.scanning.limits import Limits, VirtualClock
from otm.scanning.probe import Target
from otm.scanning.safety import OutOfScope, Scope, UnsafeRequest, build, verify
from otm.scanning.transport import GuardedTransport, Reply

# Recorded from bacpypes3 0.0.110 (tests/realdevices/bacnet_device.py, instance
# 1001, vendor 999) answering otm's requests in a namespaced plant.
BACPYPES3_I_AM = bytes.fromhex("810a001501001000c4020003e922040091002203e7")
BACPYPES3_VENDOR_NAME_ACK = bytes.fromhex(
    "810a002b010030010c0c020003e919793e75170041636d65204275696c64696e6720436f6e74726f6c733f"
)
BACPYPES3_WILDCARD_ERROR = bytes.fromhex("810a000d010050020c9101911f")

DEVICE = {
    PropertyId.VENDOR_NAME: "Acme Building Controls",
    PropertyId.MODEL_NAME: "AHU-500",
    PropertyId.FIRMWARE_REVISION: "3.1.4",
    PropertyId.APPLICATION_SOFTWARE_VERSION: "app 1.4",
    PropertyId.OBJECT_NAME: "AHU-1001",
    PropertyId.LOCATION: "Roof AHU room",
    PropertyId.DESCRIPTION: "air handling unit controller",
}


def _datagram(apdu: bytes) -> bytes:
    npdu = encode_npdu(Npdu(False, 0, None, None, None, None, apdu))
    return encode_bvll(NpduCarrier(BvlcFunction.ORIGINAL_UNICAST_NPDU, npdu))


def _i_am(instance: int, vendor: int = 999) -> bytes:
    i_am = IAm(ObjectIdentifier(8, instance), 1476, 0, vendor)
    return _datagram(encode_apdu(UnconfirmedRequest(UnconfirmedService.I_AM, encode_service(i_am))))


def _ack(invoke_id: int, instance: int, prop: int, value: object) -> bytes:
    ack = ReadPropertyAck(ObjectIdentifier(8, instance), prop, None, (value,))  # type: ignore[arg-type]
    return _datagram(
        encode_apdu(
            ComplexAck(False, False, invoke_id, None, None, ConfirmedService.READ_PROPERTY,
                       encode_service(ack))
        )
    )  # fmt: skip


def _read_of(payload: bytes) -> tuple[int, ReadPropertyRequest]:
    decoded = decode_bacnet_ip(payload)
    assert not isinstance(decoded, Exception) and isinstance(decoded.apdu, ConfirmedRequest)
    request = decode_confirmed_request(decoded.apdu.service, decoded.apdu.data)
    assert isinstance(request, ReadPropertyRequest)
    return decoded.apdu.invoke_id, request


def device_answers(
    instances: dict[str, int], *, answers_who_is: bool = True
) -> Callable[[str, int, object], list[Reply]]:
    """A scripted BACnet network: ``instances`` maps IP -> device instance."""

    def answer(host: str, port: int, request: object) -> list[Reply]:
        assert port == 47808
        payload: bytes = request.payload  # type: ignore[attr-defined]
        name: str = request.name  # type: ignore[attr-defined]
        if name == "who_is":
            if not answers_who_is:
                return []
            hosts = list(instances) if host.endswith(".255") else [host]
            return [Reply(h, _i_am(instances[h])) for h in hosts if h in instances]
        invoke, read = _read_of(payload)
        instance = instances.get(host)
        if instance is None:
            return []
        if read.object_id.instance == 0x3FFFFF and read.property_id == 75:
            return [Reply(host, _ack(invoke, instance, 75, ObjectIdentifier(8, instance)))]
        if read.object_id.instance != instance:
            return [Reply(host, BACPYPES3_WILDCARD_ERROR)]
        text = DEVICE.get(read.property_id)
        if text is None:
            return [Reply(host, BACPYPES3_WILDCARD_ERROR)]
        return [
            Reply(host, _ack(invoke, instance, read.property_id, CharacterString(0, text.encode())))
        ]

    return answer


def _run(probe: BacnetProbe, target: Target, io: FakeIo) -> list[Observation]:
    limits = Limits(clock=VirtualClock())
    return asyncio.run(probe.run(target, io, limits))


# --- reading real answers ------------------------------------------------------------------


def test_i_am_of_a_real_bacpypes3_device() -> None:
    assert i_am_fields(BACPYPES3_I_AM) == {
        "bacnet_device_instance": 1001,
        "vendor_id": 999,
        "bacnet_max_apdu": 1024,
        "bacnet_segmentation": "segmented_both",
    }


def test_read_property_ack_of_a_real_bacpypes3_device() -> None:
    answer = read_property_answer(BACPYPES3_VENDOR_NAME_ACK)
    assert answer is not None
    assert (answer.invoke_id, answer.value, answer.error) == (1, "Acme Building Controls", None)


def test_error_answer_is_named() -> None:
    answer = read_property_answer(BACPYPES3_WILDCARD_ERROR)
    assert answer is not None and answer.value is None
    assert answer.invoke_id == 2 and answer.error == "unknown_object"


@pytest.mark.parametrize("garbage", [b"", b"\x81", BACPYPES3_I_AM[:-3], b"\x00" * 40])
def test_garbage_is_no_answer(garbage: bytes) -> None:
    assert i_am_fields(garbage) is None
    assert read_property_answer(garbage) is None


# --- the catalog -------------------------------------------------------------------------------


def test_catalog_requests_read_back_as_identify_and_read() -> None:
    assert verify("bacnet", build("bacnet", "who_is")) == ("who_is", "identify")
    assert verify("bacnet", build("bacnet", "who_is", broadcast=True)) == ("who_is", "identify")
    for prop in (*DEVICE, 75):
        payload = build("bacnet", "read_property", invoke_id=9, instance=1001, property_id=prop)
        assert verify("bacnet", payload) == ("read_property", "read")
        invoke, read = _read_of(payload)
        assert (invoke, read.object_id, read.property_id) == (9, ObjectIdentifier(8, 1001), prop)


def test_broadcast_who_is_stays_on_the_local_network() -> None:
    decoded = decode_bacnet_ip(build("bacnet", "who_is", broadcast=True))
    assert not isinstance(decoded, Anomaly) and decoded.npdu is not None
    assert decoded.bvll.function == BvlcFunction.ORIGINAL_BROADCAST_NPDU  # type: ignore[union-attr]
    assert decoded.npdu.destination is None  # no DNET: routers keep it on this network
    unicast = decode_bacnet_ip(build("bacnet", "who_is"))
    assert not isinstance(unicast, Anomaly)
    assert unicast.bvll.function == BvlcFunction.ORIGINAL_UNICAST_NPDU  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "params",
    [
        {"invoke_id": 256, "instance": 1, "property_id": 77},
        {"invoke_id": 1, "instance": 0x400000, "property_id": 77},
        {"invoke_id": 1, "instance": 1, "property_id": -1},
    ],
)
def test_read_property_refuses_out_of_range(params: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        build("bacnet", "read_property", **params)


def _confirmed(service: int, message: object) -> bytes:
    apdu = ConfirmedRequest(False, False, True, 0, 5, 1, None, None, service,
                            encode_service(message))  # type: ignore[arg-type]  # fmt: skip
    return _datagram(encode_apdu(apdu))


@pytest.mark.parametrize(
    ("service", "message"),
    [
        (
            ConfirmedService.WRITE_PROPERTY,
            WritePropertyRequest(ObjectIdentifier(2, 1), 85, None, (Real(21.5),)),
        ),
        (ConfirmedService.REINITIALIZE_DEVICE, ReinitializeDeviceRequest(0)),
        (ConfirmedService.DEVICE_COMMUNICATION_CONTROL, DeviceCommunicationControlRequest(None, 1)),
    ],
    ids=["write_property", "reinitialize_device", "device_communication_control"],
)
def test_writes_and_controls_are_refused_by_the_classifier(service: int, message: object) -> None:
    with pytest.raises(UnsafeRequest):
        verify("bacnet", _confirmed(service, message))


def test_answers_are_not_requests() -> None:
    for answer in (BACPYPES3_VENDOR_NAME_ACK, BACPYPES3_WILDCARD_ERROR, b"\x81\x0a"):
        with pytest.raises(UnsafeRequest):
            verify("bacnet", answer)


def test_plan_is_catalog_requests_only() -> None:
    plan = BacnetProbe().plan(Target("10.0.0.5"))
    assert [r.request.name for r in plan] == ["who_is"] + ["read_property"] * len(DEVICE)
    assert {(r.target, r.port, r.transport) for r in plan} == {("10.0.0.5", 47808, "udp")}
    assert all(verify("bacnet", r.request.payload)[1] in ("identify", "read") for r in plan)
    assert BacnetProbe().plan(Target("eth0", "interface")) == []
    (broadcast,) = BacnetProbe().plan(Target("10.0.0.255", "broadcast"))
    assert (broadcast.target, broadcast.request.name) == ("10.0.0.255", "who_is")


# --- the probe on a scripted network -----------------------------------------------------


def test_probe_reads_the_device_object() -> None:
    io = FakeIo(device_answers({"10.0.0.5": 1001}), macs={"10.0.0.5": "00:e0:4c:00:00:13"})
    out = _run(BacnetProbe(), Target("10.0.0.5", ref="scan-1"), io)
    assert all(isinstance(o, Identity) for o in out)
    fields = identity(out, ip="10.0.0.5")
    assert fields == {
        "bacnet_device_instance": 1001,
        "vendor_id": 999,
        "bacnet_max_apdu": 1476,
        "bacnet_segmentation": "segmented_both",
        "vendor": "Acme Building Controls",
        "model": "AHU-500",
        "firmware": "3.1.4",
        "software_version": "app 1.4",
        "name": "AHU-1001",
        "location": "Roof AHU room",
        "description": "air handling unit controller",
    }
    assert {o.mac for o in out if isinstance(o, Identity)} == {"00:e0:4c:00:00:13"}
    assert {o.evidence.source for o in out} == {"scan"}
    assert {o.evidence.ref for o in out} == {"scan-1"}
    assert [s.operation for s in io.sent] == ["who_is"] + ["read_property"] * 7
    assert {s.where for s in io.sent} == {"10.0.0.5:47808"}


def test_vendor_table_name_gives_way_to_the_device_vendor_name() -> None:
    io = FakeIo(device_answers({"10.0.0.5": 7}))
    io.datagram_fn = _with_vendor(io.datagram_fn, 5)  # vendor 5: Johnson Controls in the table
    fields = identity(_run(BacnetProbe(), Target("10.0.0.5"), io))
    assert fields["vendor"] == "Acme Building Controls"


def _with_vendor(inner: Callable[..., list[Reply]], vendor: int) -> Callable[..., list[Reply]]:
    def answer(host: str, port: int, request: object) -> list[Reply]:
        if getattr(request, "name", "") == "who_is":
            return [Reply(host, _i_am(7, vendor))]
        return inner(host, port, request)

    return answer


def test_no_i_am_falls_back_to_the_wildcard_instance() -> None:
    io = FakeIo(device_answers({"10.0.0.5": 1234}, answers_who_is=False))
    fields = identity(_run(BacnetProbe(), Target("10.0.0.5"), io))
    assert fields["bacnet_device_instance"] == 1234 and fields["model"] == "AHU-500"
    assert "vendor_id" not in fields
    first_read = _read_of(io.sent[1].request.payload)[1]
    assert (first_read.object_id.instance, first_read.property_id) == (0x3FFFFF, 75)


def test_silent_host_gives_nothing() -> None:
    io = FakeIo()
    assert _run(BacnetProbe(), Target("10.0.0.9"), io) == []
    assert [s.operation for s in io.sent] == ["who_is", "read_property"]


def test_broadcast_finds_every_device_then_reads_each() -> None:
    io = FakeIo(device_answers({"10.0.0.5": 5, "10.0.0.6": 6}))
    out = _run(BacnetProbe(), Target("10.0.0.255", "broadcast"), io)
    seen = {o.ip for o in out if isinstance(o, AssetSeen)}
    assert seen == {"10.0.0.5", "10.0.0.6"}
    assert identity(out, ip="10.0.0.6")["bacnet_device_instance"] == 6
    assert identity(out, ip="10.0.0.5")["name"] == "AHU-1001"
    assert io.sent[0].where == "10.0.0.255:47808"


def test_broadcast_outside_the_scope_is_refused_before_sending() -> None:
    inner = FakeIo(device_answers({"10.0.0.5": 5}))
    limits = Limits(clock=VirtualClock())
    scope = Scope.parse(["10.0.0.0/24"])  # no broadcast domain named
    io = GuardedTransport(inner, scope, limits, "bacnet", frozenset({47808}))
    with pytest.raises(OutOfScope):
        asyncio.run(BacnetProbe().run(Target("10.0.0.255", "broadcast"), io, limits))
    assert inner.sent == []


def test_guard_drops_answers_from_outside_the_scope() -> None:
    inner = FakeIo(device_answers({"10.0.0.5": 5, "10.0.1.7": 7}))
    inner.datagram_fn = _also_from(inner.datagram_fn, "10.0.1.7")
    limits = Limits(clock=VirtualClock())
    scope = Scope.parse(["10.0.0.0/24"], ["10.0.0.0/24"])
    io = GuardedTransport(inner, scope, limits, "bacnet", frozenset({47808}))
    out = asyncio.run(BacnetProbe().run(Target("10.0.0.255", "broadcast"), io, limits))
    assert {o.ip for o in out} == {"10.0.0.5"}
    assert all(s.where.startswith(("10.0.0.5", "10.0.0.255")) for s in inner.sent)


def _also_from(inner: Callable[..., list[Reply]], stranger: str) -> Callable[..., list[Reply]]:
    def answer(host: str, port: int, request: object) -> list[Reply]:
        replies = inner(host, port, request)
        if getattr(request, "name", "") == "who_is":
            replies.append(Reply(stranger, _i_am(7)))
        return replies

    return answer


def test_the_probe_matches_the_registry_protocol() -> None:
    probe = BacnetProbe()
    assert (probe.protocol, probe.port, probe.transport, probe.broadcast) == (
        "bacnet", 47808, "udp", True
    )  # fmt: skip
    assert bacnet.PROTOCOL == "bacnet"


# --- live, against bacpypes3 in a namespaced plant -----------------------------------------------

live = pytest.mark.skipif(namespaces_available() is not None, reason=str(namespaces_available()))


@pytest.mark.slow
@live
def test_live_bacpypes3_device_unicast_and_broadcast() -> None:
    macs = {"ahu": "00:e0:4c:00:00:13", "scanner": "02:00:00:00:00:20"}
    with plant(macs) as p, devices() as procs:
        bacnet_device(procs, p, "ahu")
        spec = {
            "protocol": "bacnet",
            "allow": ["10.77.0.0/24"],
            "broadcast": ["10.77.0.0/24"],
            "targets": [[p.ip("ahu"), "host"], ["10.77.0.255", "broadcast"]],
        }
        out, stats = run_probe(p, "scanner", spec)
    fields = identity(out, ip=p.ip("ahu"))
    assert fields["vendor"] == "Acme Building Controls"
    assert (fields["model"], fields["firmware"]) == ("AHU-500", "3.1.4")
    assert fields["software_version"] == "app 1.4" and fields["name"] == "AHU-1001"
    assert fields["location"] == "Roof AHU room"
    assert fields["description"] == "air handling unit controller"
    assert (fields["bacnet_device_instance"], fields["vendor_id"]) == (1001, 999)
    assert {o.mac for o in out if isinstance(o, Identity)} == {macs["ahu"]}
    assert [o.ip for o in out if isinstance(o, AssetSeen)] == [p.ip("ahu")]
    assert stats["refused"] == 0 and stats["requests"] == 16
