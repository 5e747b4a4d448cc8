"""BACnet traffic -> observations: BACnet/IP on UDP 47808 and BACnet/Ethernet (LLC 0x82).

Per UDP conversation, each request counts as an operation in a small dict
keyed by one integer (which end asked, PDU type, service); names and
categories are resolved once, when the conversation ends.  Operations are
the services of confirmed requests (once per message, not per segment) and
unconfirmed requests, network layer messages and BBMD management functions
(``register_foreign_device`` ...); Error, Reject and Abort PDUs count as
``error_<code>``, ``reject_<reason>``, ``abort_<reason>`` in the
``exception`` category, so a password-guessing run is visible.  A datagram
is fully decoded (tags included) only when its shape -- (direction, BVLL
function, PDU type, service, length) -- is new on the conversation, and
whenever it can teach identity (an RP-ACK is first checked in place to be
about a device object).  Measured on the shared 2-core dev machine with the
sensor alone: about 3 µs a datagram of steady ReadProperty polling, about
12 µs a device-property reply decoded for identity.

Roles follow the messages, not the ports (both ends usually use 47808):
a confirmed request, Who-Is or Who-Has shows its sender a client; an ACK,
Error, Reject, I-Am, I-Have or notification shows it a server; Segment-ACK
and Abort say which by their SRV bit; the rest are peer to peer.  The first
message that shows a role orients the conversation: the walker's guess is
kept or reversed (``labels.reversed``) at once, so that a live capture's
checkpoints already report the right ends.  When the other orientation
shows up too (two devices reading each other, or a broadcast sender that
asks Who-Is and answers I-Am), it is emitted at the end as a second
``Communication`` counting the datagrams that showed it (``bytes``
estimated as UDP payload plus 42 octets of untagged Ethernet, IPv4 and UDP
headers), answered only if its server sent a server's message in it (the
conversation's own report is answered if its server sent anything, as for
every UDP flow).  A Who-Is sent to x.x.x.255 therefore links its sender, as
client, to a broadcast address, of which the inventory makes no asset; a
Who-Is to a host that never answers links them, unanswered.

Identity, only from what a device sends:

- I-Am: device instance -> ``bacnet_device_instance``, vendor id ->
  ``vendor_id`` and ``vendor`` (offline ASHRAE table), max APDU ->
  ``bacnet_max_apdu``, segmentation -> ``bacnet_segmentation``;
- I-Have: ``bacnet_device_instance``, and ``name`` when the object is the
  device object itself;
- ReadProperty-ACK and ReadPropertyMultiple-ACK of a device object (whole
  messages: segmented ACKs are reassembled per client, server, invoke id
  and routed addresses first): see ``DEVICE_PROPERTIES``.

A device that speaks through a BACnet router (SNET/SADR in the NPDU) is a
different device at the router's address: its identity is recorded as the
component ``bacnet network N address XX`` (the SADR in colon hex) of the
router's asset.  A Forwarded-NPDU names the original sender's B/IP address:
identity from it goes to that IP.
"""

from __future__ import annotations

from otm.capture.interfaces import FlowKey
from otm.capture.walker import PacketWalker
from otm.observations.records import Communication, Transport
from otm.protocols.bacnet import codec, services
from otm.protocols.bacnet.constants import (
    BVLC_CATEGORIES,
    ETHERNET_PADDED_PAYLOAD,
    LLC_HEADER,
    UDP_PORT,
    UNCONFIRMED_ROLES,
    WILDCARD_INSTANCE,
    ConfirmedService,
    ObjectType,
    PduType,
    PropertyId,
    Role,
    UnconfirmedService,
    abort_reason_name,
    bvlc_name,
    error_code_name,
    network_message_category,
    network_message_name,
    operation_category,
    operation_name,
    reject_reason_name,
    segmentation_name,
)
from otm.protocols.bacnet.messages import (
    Abort,
    Apdu,
    ComplexAck,
    ConfirmedRequest,
    Error,
    ForwardedNpdu,
    Npdu,
    Reject,
    SegmentAck,
    UnconfirmedRequest,
)
from otm.protocols.bacnet.segmentation import Reassembler
from otm.protocols.bacnet.services import (
    IAm,
    IHave,
    ReadPropertyAck,
    ReadPropertyMultipleAck,
)
from otm.protocols.bacnet.tags import (
    CharacterString,
    Element,
    Enumerated,
    ObjectIdentifier,
    Unsigned,
)
from otm.protocols.bacnet.vendors import vendor_name
from otm.protocols.common import Anomaly
from otm.sensing.aggregate import Tally
from otm.sensing.labels import FlowLabels

PROTOCOL = "bacnet"

MAX_SHAPES = 256
"""Distinct datagram shapes validated per conversation; a supervisor polling
a controller repeats a few dozen."""

HEADER_OCTETS = 42
"""Untagged Ethernet (14) + IPv4 (20) + UDP (8): the estimate added to a UDP
payload for the bytes of a second-orientation ``Communication``."""

DEVICE_PROPERTIES: dict[int, str] = {
    PropertyId.VENDOR_NAME: "vendor",
    PropertyId.VENDOR_IDENTIFIER: "vendor_id",
    PropertyId.MODEL_NAME: "model",
    PropertyId.FIRMWARE_REVISION: "firmware",
    PropertyId.APPLICATION_SOFTWARE_VERSION: "software_version",
    PropertyId.OBJECT_NAME: "name",
    PropertyId.LOCATION: "location",
    PropertyId.DESCRIPTION: "description",
    PropertyId.SERIAL_NUMBER: "serial",
    PropertyId.PROTOCOL_VERSION: "bacnet_protocol_version",
    PropertyId.PROTOCOL_REVISION: "bacnet_protocol_revision",
    PropertyId.MAX_APDU_LENGTH_ACCEPTED: "bacnet_max_apdu",
    PropertyId.SEGMENTATION_SUPPORTED: "bacnet_segmentation",
}
"""Device object property -> otm identity field."""

_EXCEPTION = "exception"
"""Category of Error/Reject/Abort counts, as the Modbus sensor names its exceptions."""

# Operation codes: one int per (orientation, kind, type, service) so the hot
# path counts into a dict without building names.
_APDU, _NETWORK, _BVLC, _ERROR, _REJECT, _ABORT = range(6)
_REVERSED_BIT = 1 << 24
_PEER_BIT = 1 << 25

_IDENTITY_ACKS = frozenset(
    {ConfirmedService.READ_PROPERTY, ConfirmedService.READ_PROPERTY_MULTIPLE}
)
_SERVER_TYPES = frozenset({PduType.SIMPLE_ACK, PduType.COMPLEX_ACK, PduType.ERROR, PduType.REJECT})
_DEVICE_ID_PREFIX = b"\x0c\x02"
"""Context tag [0] of 4 octets holding an object identifier whose type is 8
(device): what an RP/RPM-ACK about a device object contains."""


def component_of(npdu: Npdu | None) -> str | None:
    """``bacnet network N address XX`` for a message a router relayed from a
    device on network N (SNET/SADR present), else None."""
    if npdu is None or npdu.source is None:
        return None
    return f"bacnet network {npdu.source.network} address {npdu.source.mac.hex(':')}"


def sender_role(buf: bytes, apdu_at: int, pdu_type: int, service: int | None) -> Role:
    """What a message shows its sender to be (see the module docstring)."""
    if pdu_type == PduType.CONFIRMED_REQUEST:
        return Role.CLIENT
    if pdu_type == PduType.UNCONFIRMED_REQUEST:
        return UNCONFIRMED_ROLES.get(service if service is not None else -1, Role.PEER)
    if pdu_type in _SERVER_TYPES:
        return Role.SERVER
    if pdu_type in (PduType.SEGMENT_ACK, PduType.ABORT):
        return Role.SERVER if buf[apdu_at] & 0x01 else Role.CLIENT
    return Role.PEER


def role_of(apdu: Apdu) -> Role:
    """``sender_role`` of a decoded APDU."""
    if isinstance(apdu, SegmentAck | Abort):
        return Role.SERVER if apdu.server else Role.CLIENT
    if isinstance(apdu, UnconfirmedRequest):
        return UNCONFIRMED_ROLES.get(apdu.service, Role.PEER)
    if isinstance(apdu, ConfirmedRequest):
        return Role.CLIENT
    return Role.SERVER


def _value(element: Element) -> str | int | None:
    if isinstance(element, CharacterString):
        return element.text.strip()
    if isinstance(element, Unsigned | Enumerated):
        return element.value
    return None


def _device_fields(
    object_id: ObjectIdentifier, property_id: int, value: tuple[Element, ...]
) -> dict[str, str | int]:
    """Identity fields of one property of a device object, {} if not identity."""
    name = DEVICE_PROPERTIES.get(property_id)
    if name is None or object_id.object_type != ObjectType.DEVICE or len(value) != 1:
        return {}
    found = _value(value[0])
    if found is None or found == "":
        return {}
    if property_id == PropertyId.SEGMENTATION_SUPPORTED and isinstance(found, int):
        found = segmentation_name(found)
    fields: dict[str, str | int] = {name: found}
    if object_id.instance != WILDCARD_INSTANCE:
        fields["bacnet_device_instance"] = object_id.instance
    return fields


def identity_facts(
    pdu_type: int, service: int, data: bytes
) -> tuple[list[tuple[dict[str, str | int], str]], Anomaly | None]:
    """The identity facts (fields, message) of a whole identity-bearing message:
    I-Am, I-Have, or the service data of an RP/RPM-ACK; and any anomaly."""
    out: list[tuple[dict[str, str | int], str]] = []
    if pdu_type == PduType.UNCONFIRMED_REQUEST:
        decoded = services.decode_unconfirmed(service, data)
    else:
        decoded = services.decode_complex_ack(service, data)
    if isinstance(decoded, Anomaly):
        return out, decoded
    if isinstance(decoded, IAm):
        fields: dict[str, str | int] = {
            "bacnet_device_instance": decoded.device.instance,
            "vendor_id": decoded.vendor_id,
            "bacnet_max_apdu": decoded.max_apdu,
            "bacnet_segmentation": segmentation_name(decoded.segmentation),
        }
        vendor = vendor_name(decoded.vendor_id)
        # Ids ASHRAE keeps ("Reserved for ASHRAE", 999 is what test stacks use)
        # name no manufacturer: the device's own vendorName, if read, says more.
        if vendor and not vendor.startswith("Reserved"):
            fields["vendor"] = vendor
        out.append((fields, "bacnet i_am"))
    elif isinstance(decoded, IHave):
        fields = {"bacnet_device_instance": decoded.device.instance}
        if decoded.object_id == decoded.device and decoded.object_name.text.strip():
            fields["name"] = decoded.object_name.text.strip()
        out.append((fields, "bacnet i_have"))
    elif isinstance(decoded, ReadPropertyAck):
        fields = _device_fields(decoded.object_id, decoded.property_id, decoded.value)
        if fields:
            out.append((fields, "bacnet read_property ack"))
    elif isinstance(decoded, ReadPropertyMultipleAck):
        for result in decoded.results:
            merged: dict[str, str | int] = {}
            for r in result.results or ():
                if r.value is not None:
                    merged.update(_device_fields(result.object_id, r.property_id, r.value))
            if merged:
                out.append((merged, "bacnet read_property_multiple ack"))
    return out, None


def _validate(apdu: Apdu) -> Anomaly | None:
    """Decode an unsegmented PDU's service parameters; the anomaly if they are broken."""
    if isinstance(apdu, UnconfirmedRequest):
        result = services.decode_unconfirmed(apdu.service, apdu.data)
    elif isinstance(apdu, ConfirmedRequest) and not apdu.segmented:
        result = services.decode_confirmed_request(apdu.service, apdu.data)
    elif isinstance(apdu, ComplexAck) and not apdu.segmented:
        result = services.decode_complex_ack(apdu.service, apdu.data)
    elif isinstance(apdu, Error):
        error = services.decode_error(apdu.data)
        return error if isinstance(error, Anomaly) else None
    else:
        return None
    return result if isinstance(result, Anomaly) else None


def _operation(code: int) -> tuple[str, str]:
    """(name, category) of an operation code (orientation bits ignored)."""
    kind, first, second = (code >> 16) & 0xFF, (code >> 8) & 0xFF, code & 0xFF
    if kind == _APDU:
        return operation_name(first, second), operation_category(first, second)
    if kind == _NETWORK:
        return network_message_name(second), network_message_category(second)
    if kind == _BVLC:
        return bvlc_name(second), BVLC_CATEGORIES.get(second, "other")
    if kind == _ERROR:
        return "error_" + error_code_name((first << 8) | second), _EXCEPTION
    if kind == _REJECT:
        return "reject_" + reject_reason_name(second), _EXCEPTION
    return "abort_" + abort_reason_name(second), _EXCEPTION


def _apdu_code(buf: bytes, apdu_at: int, pdu_type: int, service: int | None) -> int | None:
    """The operation code of an APDU, None when it is no operation (an ACK, a
    later segment of a confirmed request)."""
    if pdu_type == PduType.CONFIRMED_REQUEST:
        first = buf[apdu_at]
        if first & 0x08 and apdu_at + 3 < len(buf) and buf[apdu_at + 3]:
            return None  # a later segment: the request was counted with segment 0
        return (_APDU << 16) | (pdu_type << 8) | (service or 0) if service is not None else None
    if pdu_type == PduType.UNCONFIRMED_REQUEST and service is not None:
        return (_APDU << 16) | (pdu_type << 8) | service
    if pdu_type in (PduType.REJECT, PduType.ABORT) and apdu_at + 2 < len(buf):
        return ((_REJECT if pdu_type == PduType.REJECT else _ABORT) << 16) | buf[apdu_at + 2]
    return None


def _error_code(apdu: Error) -> int | None:
    error = services.decode_error(apdu.data)
    if isinstance(error, Anomaly) or error.error_code > 0xFFFF:
        return None
    return (_ERROR << 16) | error.error_code


def _about_a_device(buf: bytes, apdu_at: int, service: int) -> bool:
    """Whether a Complex-ACK may carry device properties, read in place: a segment
    (its content is known once whole), an RP-ACK whose object identifier ([0],
    right after the header) is a device's, an RPM-ACK naming a device anywhere.
    Saves decoding the present-value replies that make most BACnet traffic."""
    first = buf[apdu_at]
    if first & 0x08:
        return True
    if service == ConfirmedService.READ_PROPERTY:
        at = apdu_at + 3
        return buf[at : at + 2] == _DEVICE_ID_PREFIX and len(buf) > at + 2 and buf[at + 2] < 0x40
    return _DEVICE_ID_PREFIX in buf


def _swap(key: FlowKey) -> FlowKey:
    return FlowKey(
        key.transport,
        key.server_ip,
        key.server_port,
        key.client_ip,
        key.client_port,
        key.server_mac,
        key.client_mac,
        key.vlan,
    )


class BacnetSensor:
    """Registers BACnet/IP on UDP 47808 and BACnet/Ethernet on ISO 8802-2 LLC frames."""

    def register(self, walker: PacketWalker, tally: Tally, labels: FlowLabels) -> None:
        """Attach to the walker."""

        def factory(key: FlowKey, ts: float, frame: int) -> BacnetConversation:
            return BacnetConversation(key, tally, labels)

        walker.register_udp(UDP_PORT, PROTOCOL, factory)
        # 802.3 frames whose LLC is not SNAP reach handlers as EtherType 0.
        walker.register_ethertype(0, BacnetEthernetHandler(tally), PROTOCOL)


class BacnetConversation:
    """One BACnet/IP UDP conversation (both directions)."""

    __slots__ = (
        "key",
        "labels",
        "main",
        "ops",
        "reassembly",
        "shapes",
        "tally",
        "traffic",
        "valid",
    )

    def __init__(self, key: FlowKey, tally: Tally, labels: FlowLabels) -> None:
        self.key = key
        self.tally = tally
        self.labels = labels
        self.ops: dict[int, list[float]] = {}  # code -> [count, first, last, frame]
        # Per orientation (0: the walker's, 1: reversed):
        # [count, first, last, frame, bytes, 1 once its server sent a server's message].
        self.traffic: list[list[float] | None] = [None, None]
        self.shapes: set[tuple[bool, int, int, int, int]] = set()
        self.reassembly: Reassembler | None = None
        self.valid = False
        self.main = -1  # orientation of the conversation: -1 undecided, 0 walker's, 1 reversed

    # -- per datagram ------------------------------------------------------------------

    def on_datagram(self, payload: bytes, from_client: bool, frame: int, ts: float) -> None:
        """One BACnet/IP datagram."""
        head = codec.peek(payload)
        if head is None:
            full = codec.decode_bacnet_ip(payload)
            kind = full.kind.value if isinstance(full, Anomaly) else "truncated"
            detail = full.detail if isinstance(full, Anomaly) else f"{len(payload)} bytes"
            self._anomaly(kind, from_client, frame, ts, detail)
            return
        function, _, apdu_at, pdu_type = head
        if (payload[2] << 8) | payload[3] != len(payload):
            bad = codec.check_bvlc_length(payload)
            if bad is not None:  # counted, and decoded by the datagram's length
                self._anomaly(bad.kind.value, from_client, frame, ts, bad.detail)
        service = codec.apdu_service(payload, apdu_at) if apdu_at >= 0 else None
        shape = (from_client, function, pdu_type, -1 if service is None else service, len(payload))
        if shape not in self.shapes:
            if not self._validate(payload, from_client, frame, ts):
                return
            if len(self.shapes) < MAX_SHAPES:
                self.shapes.add(shape)
        if not self.valid:
            self.valid = True
            self.labels.protocol[self.key] = PROTOCOL
        role = Role.PEER
        code: int | None
        if pdu_type >= 0:
            role = sender_role(payload, apdu_at, pdu_type, service)
            code = _apdu_code(payload, apdu_at, pdu_type, service)
            if pdu_type == PduType.ERROR:
                code = self._error(payload)
            elif (pdu_type == PduType.UNCONFIRMED_REQUEST and service in (0, 1)) or (
                pdu_type == PduType.COMPLEX_ACK
                and service in _IDENTITY_ACKS
                and _about_a_device(payload, apdu_at, service)
            ):
                self._identity(payload, from_client, frame, ts)
        elif pdu_type == codec.NETWORK_MESSAGE:
            code = self._network_code(payload)
        else:
            code = (_BVLC << 16) | function if function in BVLC_CATEGORIES else None
        if role == Role.PEER:
            orientation = -1
        else:
            serving = role == Role.SERVER
            orientation = int(from_client == serving)
            entry = self.traffic[orientation]
            size = len(payload) + HEADER_OCTETS
            if entry is None:
                self.traffic[orientation] = [1, ts, ts, frame, size, serving]
                if self.main < 0:
                    # The first message that shows a role orients the conversation.
                    self.main = orientation
                    if orientation:
                        self.labels.reversed.add(self.key)
            else:
                entry[0] += 1
                entry[2] = ts
                entry[4] += size
                if serving:
                    entry[5] = 1
        if code is None:
            return
        if orientation == 1:
            code |= _REVERSED_BIT
        elif orientation < 0:
            code |= _PEER_BIT
        op = self.ops.get(code)
        if op is None:
            self.ops[code] = [1, ts, ts, frame]
        else:
            op[0] += 1
            op[2] = ts

    def _validate(self, payload: bytes, from_client: bool, frame: int, ts: float) -> bool:
        decoded = codec.decode_bacnet_ip(payload)
        bad = decoded if isinstance(decoded, Anomaly) else None
        if bad is None and not isinstance(decoded, Anomaly) and decoded.apdu is not None:
            bad = _validate(decoded.apdu)
        if bad is not None:
            self._anomaly(bad.kind.value, from_client, frame, ts, bad.detail)
            return False
        return True

    def _error(self, payload: bytes) -> int | None:
        decoded = codec.decode_bacnet_ip(payload)
        if isinstance(decoded, Anomaly) or not isinstance(decoded.apdu, Error):
            return None
        return _error_code(decoded.apdu)

    @staticmethod
    def _network_code(payload: bytes) -> int | None:
        decoded = codec.decode_bacnet_ip(payload)
        if isinstance(decoded, Anomaly) or decoded.npdu is None:
            return None
        message = decoded.npdu.network_message
        if message is None:
            return None
        return (_NETWORK << 16) | message.message_type

    def _identity(self, payload: bytes, from_client: bool, frame: int, ts: float) -> None:
        """Decode an I-Am, I-Have or RP/RPM-ACK (reassembling segments) and record identity."""
        decoded = codec.decode_bacnet_ip(payload)
        if isinstance(decoded, Anomaly) or decoded.apdu is None or decoded.npdu is None:
            return
        apdu, npdu = decoded.apdu, decoded.npdu
        data: bytes | None
        if isinstance(apdu, ComplexAck):
            if apdu.segmented:
                if self.reassembly is None:
                    self.reassembly = Reassembler()
                key = (from_client, apdu.invoke_id, npdu.source, npdu.destination)
                whole = self.reassembly.add(key, apdu)
                if isinstance(whole, Anomaly):
                    self._anomaly(whole.kind.value, from_client, frame, ts, whole.detail)
                    return
                data = whole
            else:
                data = apdu.data
        elif isinstance(apdu, UnconfirmedRequest):
            data = apdu.data
        else:
            return
        if data is None:
            return
        facts, bad = identity_facts(apdu.pdu_type, apdu.service, data)
        if bad is not None:
            self._anomaly(bad.kind.value, from_client, frame, ts, bad.detail)
            return
        k = self.key
        ip = k.client_ip if from_client else k.server_ip
        mac: str | None = k.client_mac if from_client else k.server_mac
        if isinstance(decoded.bvll, ForwardedNpdu):
            # A BBMD relayed it: the device is at the original source address.
            original = str(decoded.bvll.original_source).rsplit(":", 1)[0]
            if original != ip:
                ip, mac = original, None
        component = component_of(npdu)
        for fields, message in facts:
            self.tally.identity(ip, mac, PROTOCOL, fields, ts, frame, message, component)

    def _anomaly(self, kind: str, from_client: bool, frame: int, ts: float, detail: str) -> None:
        ip = self.key.client_ip if from_client else self.key.server_ip
        self.tally.anomaly(PROTOCOL, kind, ip, ts, frame, detail)

    # -- end of the conversation ---------------------------------------------------------

    def on_close(self, ts: float) -> None:
        """Hand over operations, and the second orientation if both were seen."""
        self.on_checkpoint(ts)
        if self.reassembly is not None:
            self.reassembly.clear()

    def on_checkpoint(self, ts: float) -> None:
        """Live capture: hand over operations and the second orientation's traffic so far,
        as deltas (the conversation goes on; segments being reassembled stay)."""
        walker_key = self.key
        keys = (walker_key, _swap(walker_key))
        main = keys[max(self.main, 0)]
        second = self.traffic[1 - self.main] if self.main >= 0 else None
        if self.valid and second is not None:
            self._second_orientation(keys[1 - self.main], second)
            self.traffic[1 - self.main] = None  # handed over: the next is a delta
        for code, entry in self.ops.items():
            key = main if code & _PEER_BIT else keys[1 if code & _REVERSED_BIT else 0]
            name, category = _operation(code & 0xFFFFFF)
            self.tally.flow_operation(key, PROTOCOL, Transport.UDP, name, category, entry)
        self.ops.clear()

    def _second_orientation(self, key: FlowKey, entry: list[float]) -> None:
        """The orientation the conversation's report does not cover, as its own
        ``Communication``: answered when its server sent a server's message
        (an ACK, an I-Am ...), not merely anything (its own requests)."""
        count, first, last, frame, size, served = entry
        evidence = self.tally.evidence(int(frame), f"first {PROTOCOL} datagram of this orientation")
        self.tally.communication(
            Communication(
                first,
                last,
                key.client_ip,
                key.server_ip,
                key.client_mac,
                key.server_mac,
                PROTOCOL,
                Transport.UDP,
                key.server_port,
                int(count),
                int(size),
                evidence,
                bool(served),
            )
        )


class BacnetEthernetHandler:
    """BACnet/Ethernet frames (clause 7): ISO 8802-2 LLC, DSAP/SSAP 0x82, UI.

    There is no flow below them: roles come from each message (as for UDP),
    traffic is tallied per MAC pair (``Tally.l2_traffic``), operations with
    MAC ends.  A frame of the minimum Ethernet size may carry padding after
    its APDU; the identity decoders then take the longest prefix of the
    service data that decodes without trailing values.  Segmented ACKs are
    not reassembled on Ethernet.
    """

    __slots__ = ("tally",)

    def __init__(self, tally: Tally) -> None:
        self.tally = tally

    def __call__(
        self, payload: bytes, src_mac: str, dst_mac: str, vlan: int | None, frame: int, ts: float
    ) -> None:
        """One LLC frame: BACnet when DSAP and SSAP are 0x82."""
        if payload[:3] != LLC_HEADER:
            return
        decoded = codec.decode_ethernet(payload)
        if isinstance(decoded, Anomaly):
            self.tally.anomaly(PROTOCOL, decoded.kind.value, None, ts, frame, decoded.detail)
            return
        npdu, apdu = decoded.npdu, decoded.apdu
        if apdu is None:
            role = Role.PEER
            message = npdu.network_message
            op = None
            if message is not None:
                t = message.message_type
                op = (network_message_name(t), network_message_category(t))
        else:
            role = role_of(apdu)
            op = self._operation(apdu)
        src, dst = src_mac, dst_mac
        client, server = (dst, src) if role == Role.SERVER else (src, dst)
        self.tally.l2_traffic(PROTOCOL, client, server, len(payload) + 14, ts, frame)
        if op is not None:
            name, category = op
            self.tally.operation(
                None, None, PROTOCOL, Transport.ETHERNET, 0, name, category, 1, ts, ts, frame,
                (), client, server,
            )  # fmt: skip
        if apdu is not None:
            self._identity(apdu, npdu, src, len(payload), frame, ts)

    @staticmethod
    def _operation(apdu: Apdu) -> tuple[str, str] | None:
        if isinstance(apdu, ConfirmedRequest):
            if apdu.segmented and apdu.sequence_number:
                return None
            return operation_name(0, apdu.service), operation_category(0, apdu.service)
        if isinstance(apdu, UnconfirmedRequest):
            return operation_name(1, apdu.service), operation_category(1, apdu.service)
        if isinstance(apdu, Error):
            code = _error_code(apdu)
            return _operation(code) if code is not None else None
        if isinstance(apdu, Reject):
            return "reject_" + reject_reason_name(apdu.reason), _EXCEPTION
        if isinstance(apdu, Abort):
            return "abort_" + abort_reason_name(apdu.reason), _EXCEPTION
        return None

    def _identity(self, apdu: Apdu, npdu: Npdu, src: str, size: int, frame: int, ts: float) -> None:
        if isinstance(apdu, UnconfirmedRequest) and apdu.service in (
            UnconfirmedService.I_AM,
            UnconfirmedService.I_HAVE,
        ):
            pass
        elif not (
            isinstance(apdu, ComplexAck) and not apdu.segmented and apdu.service in _IDENTITY_ACKS
        ):
            return
        data = apdu.data
        facts, bad = identity_facts(apdu.pdu_type, apdu.service, data)
        # Padding after the APDU (minimum-size frame): the longest clean prefix.
        # Bounded: the service data of a 46-byte payload is under 46 bytes.
        end = len(data)
        while bad is not None and size == ETHERNET_PADDED_PAYLOAD and end > 0:
            end -= 1
            facts, bad = identity_facts(apdu.pdu_type, apdu.service, data[:end])
        if bad is not None:
            self.tally.anomaly(PROTOCOL, bad.kind.value, None, ts, frame, bad.detail)
            return
        component = component_of(npdu)
        for fields, message in facts:
            self.tally.identity(None, src, PROTOCOL, fields, ts, frame, message, component)


__all__ = ["PROTOCOL", "BacnetEthernetHandler", "BacnetSensor", "component_of", "identity_facts"]
