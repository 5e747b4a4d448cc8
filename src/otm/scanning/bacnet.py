"""BACnet/IP identity probe: Who-Is, then ReadProperty of the device object.

Exchange (ASHRAE 135 clauses 16.10, 15.5, Annex J), each request a UDP
datagram to port 47808 answered from there::

    scanner                                   device
      Who-Is (unicast; or broadcast when     ->
              the scope allows it)
                                             <- I-Am (device instance, vendor id,
                                                      max APDU, segmentation)
      ReadProperty device,N vendorName ...   ->
                                             <- ReadProperty-ACK | Error | Reject

A device that answers no Who-Is (some answer I-Am only as a broadcast to port
47808, which a scanner on an ephemeral port does not hear) is asked for the
object-identifier of ``device,4194303`` (the wildcard instance, clause 12.11.1)
as nmap's bacnet-info does; a device that accepts neither is left unnamed.
Only the device object is read, one property per request, and nothing but
Who-Is and ReadProperty can be built here (the ``read_only`` catalog entries).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from otm.observations.records import AssetSeen, Identity, Observation
from otm.protocols.bacnet import (
    UDP_PORT,
    decode_bacnet_ip,
    encode_apdu,
    encode_bvll,
    encode_npdu,
    encode_service,
    read_property_datagram,
    who_is_datagram,
)
from otm.protocols.bacnet.constants import (
    BvlcFunction,
    ConfirmedService,
    ObjectType,
    PduType,
    PropertyId,
    UnconfirmedService,
    error_code_name,
    operation_category,
    operation_name,
    segmentation_name,
)
from otm.protocols.bacnet.messages import (
    Abort,
    ComplexAck,
    ConfirmedRequest,
    Error,
    Npdu,
    NpduCarrier,
    Reject,
    UnconfirmedRequest,
)
from otm.protocols.bacnet.services import (
    IAm,
    ReadPropertyAck,
    WhoIs,
    decode_complex_ack,
    decode_error,
    decode_unconfirmed,
)
from otm.protocols.bacnet.tags import (
    CharacterString,
    Element,
    Enumerated,
    ObjectIdentifier,
    Unsigned,
)
from otm.protocols.bacnet.vendors import vendor_name
from otm.protocols.common import IDENTIFY, READ, Anomaly
from otm.scanning.limits import Limits
from otm.scanning.probe import (
    PlannedRequest,
    Target,
    TransportKind,
    clean_fields,
    evidence,
    planned,
)
from otm.scanning.safety import classifier, read_only, request
from otm.scanning.transport import ScanError, Transport

PROTOCOL = "bacnet"
PORT = UDP_PORT

WILDCARD_INSTANCE = 0x3FFFFF
"""Device instance 4194303: "the device I am talking to" (clause 12.11.1)."""

OBJECT_IDENTIFIER = 75
"""Property object-identifier (clause 21, BACnetPropertyIdentifier)."""

DEVICE_PROPERTIES: Mapping[int, str] = MappingProxyType(
    {
        PropertyId.VENDOR_NAME: "vendor",
        PropertyId.MODEL_NAME: "model",
        PropertyId.FIRMWARE_REVISION: "firmware",
        PropertyId.APPLICATION_SOFTWARE_VERSION: "software_version",
        PropertyId.OBJECT_NAME: "name",
        PropertyId.LOCATION: "location",
        PropertyId.DESCRIPTION: "description",
    }
)
"""Device object properties read, in order, and the otm identity field of
each (the passive sensor's names, so both evidences land on one field)."""


# --- the read-only requests (registered in the scanner's request catalog) -------------


@read_only(PROTOCOL, "who_is", IDENTIFY, examples=({}, {"broadcast": True}))
def build_who_is(*, broadcast: bool = False) -> bytes:
    """A Who-Is for every instance: Original-Unicast-NPDU to one device, or
    Original-Broadcast-NPDU to the subnet's directed broadcast.

    The broadcast is *local* (no DNET): BACnet routers do not pass it on to
    other networks, as they would a global broadcast (DNET 0xFFFF).  A BBMD on
    the subnet still forwards it to its peers (Annex J.4.5); their devices'
    answers come from outside the scope and the transport drops them.
    """
    if not broadcast:
        return who_is_datagram(broadcast=False)
    apdu = encode_apdu(
        UnconfirmedRequest(UnconfirmedService.WHO_IS, encode_service(WhoIs(None, None)))
    )
    npdu = encode_npdu(Npdu(False, 0, None, None, None, None, apdu))
    return encode_bvll(NpduCarrier(BvlcFunction.ORIGINAL_BROADCAST_NPDU, npdu))


@read_only(
    PROTOCOL,
    "read_property",
    READ,
    examples=tuple(
        {"invoke_id": 1, "instance": 1001, "property_id": p} for p in (*DEVICE_PROPERTIES, 75)
    ),
)
def build_read_property(*, invoke_id: int, instance: int, property_id: int) -> bytes:
    """ReadProperty of one property of the device object ``device,instance``.

    Only the device object can be named: the scanner reads who a device is,
    never its points.
    """
    if not 0 <= invoke_id <= 0xFF:
        raise ValueError(f"invoke id {invoke_id} outside 0..255")
    if not 0 <= instance <= WILDCARD_INSTANCE:
        raise ValueError(f"device instance {instance} outside 0..4194303")
    if not 0 <= property_id <= 0x3FFFFF:
        raise ValueError(f"property {property_id} outside 0..4194303")
    return read_property_datagram(
        invoke_id, ObjectIdentifier(ObjectType.DEVICE, instance), property_id
    )


# --- reading the answers ---------------------------------------------------------------


def i_am_fields(datagram: bytes) -> dict[str, str | int] | None:
    """Identity fields of an I-Am datagram, None if the datagram is not one."""
    decoded = decode_bacnet_ip(datagram)
    if isinstance(decoded, Anomaly) or not isinstance(decoded.apdu, UnconfirmedRequest):
        return None
    if decoded.apdu.service != UnconfirmedService.I_AM:
        return None
    i_am = decode_unconfirmed(UnconfirmedService.I_AM, decoded.apdu.data)
    if not isinstance(i_am, IAm) or i_am.device.object_type != ObjectType.DEVICE:
        return None
    fields: dict[str, str | int] = {
        "bacnet_device_instance": i_am.device.instance,
        "vendor_id": i_am.vendor_id,
        "bacnet_max_apdu": i_am.max_apdu,
        "bacnet_segmentation": segmentation_name(i_am.segmentation),
    }
    vendor = vendor_name(i_am.vendor_id)
    if vendor and not vendor.startswith("Reserved"):  # 999: "Reserved for ASHRAE"
        fields["vendor"] = vendor
    return fields


@classifier(PROTOCOL)
def classify(payload: bytes) -> tuple[str, str] | None:
    """(operation, category) of a BACnet/IP request as otm's codec reads it; None
    for anything but one whole confirmed or unconfirmed request."""
    decoded = decode_bacnet_ip(payload)
    if isinstance(decoded, Anomaly) or decoded.npdu is None:
        return None
    apdu = decoded.apdu
    if isinstance(apdu, ConfirmedRequest) and not apdu.segmented:
        pdu_type = PduType.CONFIRMED_REQUEST
    elif isinstance(apdu, UnconfirmedRequest):
        pdu_type = PduType.UNCONFIRMED_REQUEST
    else:
        return None
    return operation_name(pdu_type, apdu.service), operation_category(pdu_type, apdu.service)


@dataclass(frozen=True, slots=True)
class PropertyAnswer:
    """What a device said to one ReadProperty: a value, or why it has none."""

    invoke_id: int
    value: str | int | None
    error: str | None = None


def _scalar(value: tuple[Element, ...]) -> str | int | None:
    if len(value) != 1:
        return None
    element = value[0]
    if isinstance(element, CharacterString):
        return element.text.strip()
    if isinstance(element, Unsigned | Enumerated):
        return element.value
    if isinstance(element, ObjectIdentifier):
        return element.instance
    return None


def read_property_answer(datagram: bytes) -> PropertyAnswer | None:
    """The answer a datagram carries to a ReadProperty, None if it carries none."""
    decoded = decode_bacnet_ip(datagram)
    if isinstance(decoded, Anomaly) or decoded.apdu is None:
        return None
    apdu = decoded.apdu
    if isinstance(apdu, ComplexAck) and apdu.service == ConfirmedService.READ_PROPERTY:
        if apdu.segmented:
            return PropertyAnswer(apdu.invoke_id, None, "segmented answer")
        ack = decode_complex_ack(apdu.service, apdu.data)
        if not isinstance(ack, ReadPropertyAck):
            return PropertyAnswer(apdu.invoke_id, None, "malformed answer")
        return PropertyAnswer(apdu.invoke_id, _scalar(ack.value))
    if isinstance(apdu, Error) and apdu.service == ConfirmedService.READ_PROPERTY:
        info = decode_error(apdu.data)
        reason = "error" if isinstance(info, Anomaly) else error_code_name(info.error_code)
        return PropertyAnswer(apdu.invoke_id, None, reason)
    if isinstance(apdu, Reject | Abort):
        return PropertyAnswer(apdu.invoke_id, None, type(apdu).__name__.lower())
    return None


# --- the probe ---------------------------------------------------------------------------


@dataclass
class BacnetProbe:
    """Who-Is then ReadProperty of the device object's identity properties.

    A host target gets a unicast Who-Is; a broadcast target (a broadcast domain
    the user allowed) a broadcast Who-Is, and every device that answers with an
    I-Am from inside the scope is then read like a host.
    """

    protocol: str = PROTOCOL
    port: int = PORT
    transport: TransportKind = "udp"
    broadcast: bool = True
    properties: tuple[int, ...] = tuple(DEVICE_PROPERTIES)

    def plan(self, target: Target) -> list[PlannedRequest]:
        """Who-Is, then (for each device that answers) one ReadProperty a property."""
        if target.kind == "interface":
            return []
        broadcast = target.kind == "broadcast"
        who_is = [request(PROTOCOL, "who_is", broadcast=broadcast)]
        if broadcast:
            note = "then each device that answers from inside the scope is read as a host is"
            return planned(PROTOCOL, target, self.port, "udp", who_is, note)
        first = planned(PROTOCOL, target, self.port, "udp", who_is)
        reads = [
            request(PROTOCOL, "read_property", invoke_id=n + 1, instance=WILDCARD_INSTANCE,
                    property_id=p)
            for n, p in enumerate(self.properties)
        ]  # fmt: skip
        note = "each device that answers, with the instance of its I-Am"
        return first + planned(PROTOCOL, target, self.port, "udp", reads, note)

    async def run(self, target: Target, io: Transport, limits: Limits) -> list[Observation]:
        """Ask; a device that does not answer gives []."""
        if target.kind == "interface":
            return []
        out: list[Observation] = []
        broadcast = target.kind == "broadcast"
        who_is = request(PROTOCOL, "who_is", broadcast=broadcast)
        try:
            replies = await io.datagram(
                target.address, self.port, who_is, limits.timeout, broadcast=broadcast,
                collect=broadcast,
            )  # fmt: skip
        except ScanError:
            replies = []
        devices: dict[str, dict[str, str | int]] = {}
        for reply in replies:
            fields = i_am_fields(reply.payload)
            if fields is not None and reply.source not in devices:
                devices[reply.source] = fields
        if broadcast:
            for ip in devices:
                mac = io.neighbour(ip)
                out.append(AssetSeen(limits.now(), mac, ip, evidence(target, "bacnet i_am")))
        elif target.address not in devices:
            instance = await self._instance(target.address, io, limits)
            if instance is None:
                return out
            devices[target.address] = {"bacnet_device_instance": instance}
        for ip, i_am in devices.items():
            out.extend(await self._device(target, ip, i_am, io, limits))
        return out

    async def _instance(self, ip: str, io: Transport, limits: Limits) -> int | None:
        """The device instance a device gives for ``device,4194303`` (no I-Am heard)."""
        answer = await self._read(ip, 1, WILDCARD_INSTANCE, OBJECT_IDENTIFIER, io, limits)
        if answer is None or not isinstance(answer.value, int):
            return None
        return answer.value

    async def _device(
        self, target: Target, ip: str, i_am: dict[str, str | int], io: Transport, limits: Limits
    ) -> list[Observation]:
        instance = i_am.get("bacnet_device_instance")
        mac = io.neighbour(ip)
        read: dict[str, str | int] = {}
        if isinstance(instance, int):
            for n, property_id in enumerate(self.properties):
                answer = await self._read(ip, n + 1, instance, property_id, io, limits)
                value = None if answer is None else answer.value
                if value is not None and value != "":
                    name = DEVICE_PROPERTIES.get(property_id, f"bacnet_property_{property_id}")
                    read[name] = value
        if "vendor" in read:
            i_am.pop("vendor", None)  # the device's own name beats otm's vendor table
        out: list[Observation] = []
        now = limits.now()
        message = "bacnet i_am" if "vendor_id" in i_am else "bacnet read_property ack"
        out.append(Identity(now, ip, mac, PROTOCOL, clean_fields(i_am), evidence(target, message)))
        if read:
            if isinstance(instance, int):
                read["bacnet_device_instance"] = instance
            out.append(
                Identity(
                    now, ip, mac, PROTOCOL, clean_fields(read),
                    evidence(target, "bacnet read_property ack (device object)"),
                )
            )  # fmt: skip
        return out

    async def _read(
        self, ip: str, invoke_id: int, instance: int, property_id: int, io: Transport,
        limits: Limits,
    ) -> PropertyAnswer | None:  # fmt: skip
        rp = request(
            PROTOCOL, "read_property", invoke_id=invoke_id, instance=instance,
            property_id=property_id,
        )  # fmt: skip
        try:
            replies = await io.datagram(ip, self.port, rp, limits.timeout)
        except ScanError:
            return None
        for reply in replies:
            answer = read_property_answer(reply.payload)
            if answer is not None and answer.invoke_id == invoke_id:
                return answer
        return None
