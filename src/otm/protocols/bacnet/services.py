"""BACnet service parameters (ASHRAE 135 clauses 13-16, 21) <-> typed service messages.

An APDU carries its service's parameters as tagged values (``tags``).  For
the services that teach identity or matter to policy, this module reads those
values into a typed message and writes them back:

=========================  ===========================  ===============================
service                     request                      acknowledgement
=========================  ===========================  ===============================
who_is (16.10)              ``WhoIs``                    (I-Am)
i_am (16.10)                ``IAm``                      -
who_has / i_have (16.9)     ``WhoHas`` / ``IHave``       -
(utc_)time_synchronization  ``TimeSynchronization``      -
read_property (15.5)        ``ReadPropertyRequest``      ``ReadPropertyAck``
read_property_multiple      ``ReadPropertyMultipleRequest``  ``ReadPropertyMultipleAck``
write_property (15.9)       ``WritePropertyRequest``     (Simple-ACK)
device_communication_control (16.1)  ``DeviceCommunicationControlRequest``  -
reinitialize_device (16.4)  ``ReinitializeDeviceRequest``  -
any error (18)              -                            ``ErrorInfo``
=========================  ===========================  ===============================

Every other service decodes to ``ServiceElements``: its tagged values,
context tags kept raw.  Decoders never raise; encoders raise ValueError for
values outside their fields' ranges.  For each typed message
``decode_...(encode_service(m)) == m``.  Anomaly offsets are 0 (the start of
the service data) when a parameter is missing or malformed, because the
elements read first no longer know where they lay.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from otm.protocols.bacnet.anomalies import BacnetAnomaly
from otm.protocols.bacnet.constants import ConfirmedService, UnconfirmedService
from otm.protocols.bacnet.tags import (
    CharacterString,
    Constructed,
    ContextPrimitive,
    Date,
    Element,
    Enumerated,
    ObjectIdentifier,
    Time,
    Unsigned,
    character_string_bytes,
    character_string_of,
    decode_elements,
    encode_elements,
    object_identifier_bytes,
    object_identifier_of,
    unsigned_bytes,
    unsigned_of,
)
from otm.protocols.common import Anomaly

K = BacnetAnomaly

# --- messages ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WhoIs:
    """Who-Is (16.10.1): ``[0] low limit, [1] high limit`` (both or neither)."""

    low: int | None = None
    high: int | None = None


@dataclass(frozen=True, slots=True)
class IAm:
    """I-Am (16.10.2): device identifier, max APDU length accepted (octets),
    segmentation supported, vendor identifier; all application tagged."""

    device: ObjectIdentifier
    max_apdu: int
    segmentation: int
    vendor_id: int


@dataclass(frozen=True, slots=True)
class WhoHas:
    """Who-Has (16.9.1): ``[0] low, [1] high`` (optional pair), then the object
    asked for: ``[2] object identifier`` or ``[3] object name``."""

    low: int | None
    high: int | None
    object_id: ObjectIdentifier | None
    object_name: CharacterString | None


@dataclass(frozen=True, slots=True)
class IHave:
    """I-Have (16.9.2): device identifier, object identifier, object name."""

    device: ObjectIdentifier
    object_id: ObjectIdentifier
    object_name: CharacterString


@dataclass(frozen=True, slots=True)
class TimeSynchronization:
    """TimeSynchronization / UTCTimeSynchronization (16.7, 16.8): date, time."""

    date: Date
    time: Time


@dataclass(frozen=True, slots=True)
class ReadPropertyRequest:
    """ReadProperty-Request (15.5.1.1): ``[0] object, [1] property, [2] index?``."""

    object_id: ObjectIdentifier
    property_id: int
    array_index: int | None = None


@dataclass(frozen=True, slots=True)
class ReadPropertyAck:
    """ReadProperty-ACK (15.5.1.3): ``[0] object, [1] property, [2] index?,
    [3] { value }``; ``value`` is the elements between the [3] tags."""

    object_id: ObjectIdentifier
    property_id: int
    array_index: int | None
    value: tuple[Element, ...]


@dataclass(frozen=True, slots=True)
class PropertyReference:
    """BACnetPropertyReference: ``[0] property, [1] array index?``."""

    property_id: int
    array_index: int | None = None


@dataclass(frozen=True, slots=True)
class ReadAccessSpecification:
    """``[0] object identifier, [1] { property references }`` (15.7.1.1)."""

    object_id: ObjectIdentifier
    properties: tuple[PropertyReference, ...]


@dataclass(frozen=True, slots=True)
class ReadPropertyMultipleRequest:
    """ReadPropertyMultiple-Request (15.7.1.1): read access specifications."""

    specifications: tuple[ReadAccessSpecification, ...]


@dataclass(frozen=True, slots=True)
class PropertyResult:
    """One result of an RPM-ACK: ``[2] property, [3] index?`` and either
    ``[4] { value }`` or ``[5] { error class, error code }``."""

    property_id: int
    array_index: int | None
    value: tuple[Element, ...] | None
    error_class: int | None = None
    error_code: int | None = None


@dataclass(frozen=True, slots=True)
class ReadAccessResult:
    """``[0] object identifier, [1] { results }?`` (15.7.1.3)."""

    object_id: ObjectIdentifier
    results: tuple[PropertyResult, ...] | None


@dataclass(frozen=True, slots=True)
class ReadPropertyMultipleAck:
    """ReadPropertyMultiple-ACK (15.7.1.3): read access results."""

    results: tuple[ReadAccessResult, ...]


@dataclass(frozen=True, slots=True)
class WritePropertyRequest:
    """WriteProperty-Request (15.9.1.1): ``[0] object, [1] property, [2] index?,
    [3] { value }, [4] priority?`` (1-16)."""

    object_id: ObjectIdentifier
    property_id: int
    array_index: int | None
    value: tuple[Element, ...]
    priority: int | None = None


@dataclass(frozen=True, slots=True)
class DeviceCommunicationControlRequest:
    """DeviceCommunicationControl-Request (16.1.1): ``[0] minutes?, [1] enable
    (0) / disable (1) / disable-initiation (2), [2] password?``."""

    duration: int | None
    enable_disable: int
    password: CharacterString | None = None


@dataclass(frozen=True, slots=True)
class ReinitializeDeviceRequest:
    """ReinitializeDevice-Request (16.4.1): ``[0] state (0 coldstart, 1 warmstart,
    2-6 backup/restore, 7 activate-changes), [1] password?``."""

    state: int
    password: CharacterString | None = None


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """The error of an Error-PDU or an RPM property access error (clause 18)."""

    error_class: int
    error_code: int


@dataclass(frozen=True, slots=True)
class ServiceElements:
    """A service without a typed decoder: its tagged values."""

    elements: tuple[Element, ...]


ServiceMessage: TypeAlias = (
    WhoIs
    | IAm
    | WhoHas
    | IHave
    | TimeSynchronization
    | ReadPropertyRequest
    | ReadPropertyAck
    | ReadPropertyMultipleRequest
    | ReadPropertyMultipleAck
    | WritePropertyRequest
    | DeviceCommunicationControlRequest
    | ReinitializeDeviceRequest
    | ErrorInfo
    | ServiceElements
)

_Result = ServiceMessage | Anomaly

# --- reading elements ----------------------------------------------------------------------


def _missing(what: str) -> Anomaly:
    return Anomaly(K.MISSING_PARAMETER, what, 0)


def _trailing(count: int, what: str) -> Anomaly:
    return Anomaly(K.TRAILING_BYTES, f"{count} values after the {what}", 0)


def _ctx(items: tuple[Element, ...], at: int, number: int) -> bytes | None:
    """The content of context primitive ``number`` at ``items[at]``, or None."""
    if at < len(items):
        item = items[at]
        if isinstance(item, ContextPrimitive) and item.tag_number == number:
            return item.data
    return None


def _ctx_unsigned(items: tuple[Element, ...], at: int, number: int) -> int | None:
    data = _ctx(items, at, number)
    return None if data is None else unsigned_of(data)


def _ctx_object(items: tuple[Element, ...], at: int, number: int) -> ObjectIdentifier | None:
    data = _ctx(items, at, number)
    return None if data is None else object_identifier_of(data)


def _opened(items: tuple[Element, ...], at: int, number: int) -> tuple[Element, ...] | None:
    if at < len(items):
        item = items[at]
        if isinstance(item, Constructed) and item.tag_number == number:
            return item.elements
    return None


def _elements(data: bytes) -> tuple[Element, ...] | Anomaly:
    return decode_elements(data, 0, len(data))


def _limits(items: tuple[Element, ...]) -> tuple[int | None, int | None, int] | Anomaly:
    """The optional ``[0] low, [1] high`` pair of Who-Is/Who-Has, and where it ended."""
    low = _ctx_unsigned(items, 0, 0)
    if low is None:
        if _ctx(items, 0, 1) is not None:
            return _missing("high limit without low limit")
        return None, None, 0
    high = _ctx_unsigned(items, 1, 1)
    if high is None:
        return _missing("low limit without high limit")
    return low, high, 2


# --- unconfirmed services ----------------------------------------------------------------


def decode_who_is(data: bytes) -> _Result:
    """Who-Is parameters."""
    items = _elements(data)
    if isinstance(items, Anomaly):
        return items
    limits = _limits(items)
    if isinstance(limits, Anomaly):
        return limits
    low, high, used = limits
    if len(items) > used:
        return _trailing(len(items) - used, "who-is limits")
    return WhoIs(low, high)


def decode_i_am(data: bytes) -> _Result:
    """I-Am parameters."""
    items = _elements(data)
    if isinstance(items, Anomaly):
        return items
    if len(items) < 4:
        return _missing(f"i-am has {len(items)} of its 4 parameters")
    device, max_apdu, segmentation, vendor = items[:4]
    if not (
        isinstance(device, ObjectIdentifier)
        and isinstance(max_apdu, Unsigned)
        and isinstance(segmentation, Enumerated)
        and isinstance(vendor, Unsigned)
    ):
        return _missing("i-am parameters of the wrong types")
    if len(items) > 4:
        return _trailing(len(items) - 4, "i-am")
    return IAm(device, max_apdu.value, segmentation.value, vendor.value)


def decode_who_has(data: bytes) -> _Result:
    """Who-Has parameters."""
    items = _elements(data)
    if isinstance(items, Anomaly):
        return items
    limits = _limits(items)
    if isinstance(limits, Anomaly):
        return limits
    low, high, at = limits
    object_id = _ctx_object(items, at, 2)
    name_data = _ctx(items, at, 3)
    name = None if name_data is None else character_string_of(name_data)
    if object_id is None and name is None:
        return _missing("who-has without an object identifier or name")
    if len(items) > at + 1:
        return _trailing(len(items) - at - 1, "who-has")
    return WhoHas(low, high, object_id, name)


def decode_i_have(data: bytes) -> _Result:
    """I-Have parameters."""
    items = _elements(data)
    if isinstance(items, Anomaly):
        return items
    if len(items) < 3:
        return _missing(f"i-have has {len(items)} of its 3 parameters")
    device, object_id, name = items[:3]
    if not (
        isinstance(device, ObjectIdentifier)
        and isinstance(object_id, ObjectIdentifier)
        and isinstance(name, CharacterString)
    ):
        return _missing("i-have parameters of the wrong types")
    if len(items) > 3:
        return _trailing(len(items) - 3, "i-have")
    return IHave(device, object_id, name)


def decode_time_synchronization(data: bytes) -> _Result:
    """(UTC)TimeSynchronization parameters."""
    items = _elements(data)
    if isinstance(items, Anomaly):
        return items
    if len(items) < 2 or not isinstance(items[0], Date) or not isinstance(items[1], Time):
        return _missing("time synchronization needs a date and a time")
    if len(items) > 2:
        return _trailing(len(items) - 2, "time synchronization")
    return TimeSynchronization(items[0], items[1])


# --- confirmed services -------------------------------------------------------------------


def _object_property(
    items: tuple[Element, ...], what: str
) -> tuple[ObjectIdentifier, int, int | None, int] | Anomaly:
    """``[0] object, [1] property, [2] index?`` and the position after them."""
    object_id = _ctx_object(items, 0, 0)
    property_id = _ctx_unsigned(items, 1, 1)
    if object_id is None or property_id is None:
        return _missing(f"{what} without its object and property")
    index = _ctx_unsigned(items, 2, 2)
    return object_id, property_id, index, 2 if index is None else 3


def decode_read_property_request(data: bytes) -> _Result:
    """ReadProperty-Request parameters."""
    items = _elements(data)
    if isinstance(items, Anomaly):
        return items
    head = _object_property(items, "read property")
    if isinstance(head, Anomaly):
        return head
    object_id, property_id, index, at = head
    if len(items) > at:
        return _trailing(len(items) - at, "read property request")
    return ReadPropertyRequest(object_id, property_id, index)


def decode_read_property_ack(data: bytes) -> _Result:
    """ReadProperty-ACK parameters."""
    items = _elements(data)
    if isinstance(items, Anomaly):
        return items
    head = _object_property(items, "read property ack")
    if isinstance(head, Anomaly):
        return head
    object_id, property_id, index, at = head
    value = _opened(items, at, 3)
    if value is None:
        return _missing("read property ack without its value")
    if len(items) > at + 1:
        return _trailing(len(items) - at - 1, "read property ack")
    return ReadPropertyAck(object_id, property_id, index, value)


def decode_read_property_multiple_request(data: bytes) -> _Result:
    """ReadPropertyMultiple-Request parameters."""
    items = _elements(data)
    if isinstance(items, Anomaly):
        return items
    specs: list[ReadAccessSpecification] = []
    at = 0
    # Each turn consumes two elements: bounded by the element count.
    while at < len(items):
        object_id = _ctx_object(items, at, 0)
        refs = _opened(items, at + 1, 1)
        if object_id is None or refs is None:
            return _missing("read access specification without object and properties")
        properties: list[PropertyReference] = []
        i = 0
        while i < len(refs):
            property_id = _ctx_unsigned(refs, i, 0)
            if property_id is None:
                return _missing("property reference without its property")
            index = _ctx_unsigned(refs, i + 1, 1)
            properties.append(PropertyReference(property_id, index))
            i += 1 if index is None else 2
        specs.append(ReadAccessSpecification(object_id, tuple(properties)))
        at += 2
    if not specs:
        return _missing("read property multiple without a specification")
    return ReadPropertyMultipleRequest(tuple(specs))


def _error_pair(items: tuple[Element, ...]) -> ErrorInfo | None:
    if len(items) >= 2 and isinstance(items[0], Enumerated) and isinstance(items[1], Enumerated):
        return ErrorInfo(items[0].value, items[1].value)
    return None


def _property_results(items: tuple[Element, ...]) -> tuple[PropertyResult, ...] | Anomaly:
    results: list[PropertyResult] = []
    i = 0
    # Each turn consumes two or three elements.
    while i < len(items):
        property_id = _ctx_unsigned(items, i, 2)
        if property_id is None:
            return _missing("property result without its property")
        index = _ctx_unsigned(items, i + 1, 3)
        i += 1 if index is None else 2
        value = _opened(items, i, 4)
        if value is not None:
            results.append(PropertyResult(property_id, index, value))
        else:
            failure = _opened(items, i, 5)
            error = None if failure is None else _error_pair(failure)
            if error is None or failure is None or len(failure) != 2:
                return _missing("property result without a value or an error")
            results.append(
                PropertyResult(property_id, index, None, error.error_class, error.error_code)
            )
        i += 1
    return tuple(results)


def decode_read_property_multiple_ack(data: bytes) -> _Result:
    """ReadPropertyMultiple-ACK parameters."""
    items = _elements(data)
    if isinstance(items, Anomaly):
        return items
    out: list[ReadAccessResult] = []
    at = 0
    # Each turn consumes one or two elements.
    while at < len(items):
        object_id = _ctx_object(items, at, 0)
        if object_id is None:
            return _missing("read access result without its object")
        listed = _opened(items, at + 1, 1)
        if listed is None:
            out.append(ReadAccessResult(object_id, None))
            at += 1
            continue
        results = _property_results(listed)
        if isinstance(results, Anomaly):
            return results
        out.append(ReadAccessResult(object_id, results))
        at += 2
    if not out:
        return _missing("read property multiple ack without a result")
    return ReadPropertyMultipleAck(tuple(out))


def decode_write_property_request(data: bytes) -> _Result:
    """WriteProperty-Request parameters."""
    items = _elements(data)
    if isinstance(items, Anomaly):
        return items
    head = _object_property(items, "write property")
    if isinstance(head, Anomaly):
        return head
    object_id, property_id, index, at = head
    value = _opened(items, at, 3)
    if value is None:
        return _missing("write property without its value")
    priority = _ctx_unsigned(items, at + 1, 4)
    used = at + (1 if priority is None else 2)
    if len(items) > used:
        return _trailing(len(items) - used, "write property request")
    return WritePropertyRequest(object_id, property_id, index, value, priority)


def _password(items: tuple[Element, ...], at: int, number: int) -> CharacterString | None:
    data = _ctx(items, at, number)
    return None if data is None else character_string_of(data)


def decode_device_communication_control(data: bytes) -> _Result:
    """DeviceCommunicationControl-Request parameters."""
    items = _elements(data)
    if isinstance(items, Anomaly):
        return items
    duration = _ctx_unsigned(items, 0, 0)
    at = 0 if duration is None else 1
    enable = _ctx_unsigned(items, at, 1)
    if enable is None:
        return _missing("device communication control without enable-disable")
    password = _password(items, at + 1, 2)
    used = at + (1 if password is None else 2)
    if len(items) > used:
        return _trailing(len(items) - used, "device communication control")
    return DeviceCommunicationControlRequest(duration, enable, password)


def decode_reinitialize_device(data: bytes) -> _Result:
    """ReinitializeDevice-Request parameters."""
    items = _elements(data)
    if isinstance(items, Anomaly):
        return items
    state = _ctx_unsigned(items, 0, 0)
    if state is None:
        return _missing("reinitialize device without its state")
    password = _password(items, 1, 1)
    used = 1 if password is None else 2
    if len(items) > used:
        return _trailing(len(items) - used, "reinitialize device")
    return ReinitializeDeviceRequest(state, password)


def decode_error(data: bytes) -> ErrorInfo | Anomaly:
    """The error class and code of an Error-PDU, plain (most services) or inside
    the ``[0]`` of CreateObject-, WritePropertyMultiple-, ChangeList-,
    ConfirmedPrivateTransfer-, VTClose- and SubscribeCOVPropertyMultiple-Error."""
    items = _elements(data)
    if isinstance(items, Anomaly):
        return items
    error = _error_pair(items)
    if error is None:
        inner = _opened(items, 0, 0)
        error = None if inner is None else _error_pair(inner)
    if error is None:
        return _missing("error without its class and code")
    return error


def decode_elements_of(data: bytes) -> ServiceElements | Anomaly:
    """Any service's parameters as tagged values."""
    items = _elements(data)
    if isinstance(items, Anomaly):
        return items
    return ServiceElements(items)


# --- dispatch ------------------------------------------------------------------------------

_Decoder = Callable[[bytes], _Result]

UNCONFIRMED_DECODERS: dict[int, _Decoder] = {
    UnconfirmedService.WHO_IS: decode_who_is,
    UnconfirmedService.I_AM: decode_i_am,
    UnconfirmedService.WHO_HAS: decode_who_has,
    UnconfirmedService.I_HAVE: decode_i_have,
    UnconfirmedService.TIME_SYNCHRONIZATION: decode_time_synchronization,
    UnconfirmedService.UTC_TIME_SYNCHRONIZATION: decode_time_synchronization,
}
"""Unconfirmed service choice -> typed decoder."""

REQUEST_DECODERS: dict[int, _Decoder] = {
    ConfirmedService.READ_PROPERTY: decode_read_property_request,
    ConfirmedService.READ_PROPERTY_MULTIPLE: decode_read_property_multiple_request,
    ConfirmedService.WRITE_PROPERTY: decode_write_property_request,
    ConfirmedService.DEVICE_COMMUNICATION_CONTROL: decode_device_communication_control,
    ConfirmedService.REINITIALIZE_DEVICE: decode_reinitialize_device,
}
"""Confirmed service choice -> typed request decoder."""

ACK_DECODERS: dict[int, _Decoder] = {
    ConfirmedService.READ_PROPERTY: decode_read_property_ack,
    ConfirmedService.READ_PROPERTY_MULTIPLE: decode_read_property_multiple_ack,
}
"""Confirmed service choice -> typed Complex-ACK decoder."""


def decode_unconfirmed(service: int, data: bytes) -> _Result:
    """The parameters of an unconfirmed request, typed where a decoder exists."""
    decoder = UNCONFIRMED_DECODERS.get(service)
    return decoder(data) if decoder is not None else decode_elements_of(data)


def decode_confirmed_request(service: int, data: bytes) -> _Result:
    """The parameters of a (whole, reassembled) confirmed request."""
    decoder = REQUEST_DECODERS.get(service)
    return decoder(data) if decoder is not None else decode_elements_of(data)


def decode_complex_ack(service: int, data: bytes) -> _Result:
    """The parameters of a (whole, reassembled) Complex-ACK."""
    decoder = ACK_DECODERS.get(service)
    return decoder(data) if decoder is not None else decode_elements_of(data)


# --- encoding ------------------------------------------------------------------------------


def _c(number: int, data: bytes) -> ContextPrimitive:
    return ContextPrimitive(number, data)


def _cu(number: int, value: int) -> ContextPrimitive:
    return ContextPrimitive(number, unsigned_bytes(value))


def _co(number: int, oid: ObjectIdentifier) -> ContextPrimitive:
    return ContextPrimitive(number, object_identifier_bytes(oid))


def _limits_out(low: int | None, high: int | None) -> list[Element]:
    if (low is None) != (high is None):
        raise ValueError("low and high limits go together")
    if low is None or high is None:
        return []
    return [_cu(0, low), _cu(1, high)]


def _index(number: int, index: int | None) -> list[Element]:
    return [] if index is None else [_cu(number, index)]


def _results_out(results: tuple[PropertyResult, ...]) -> list[Element]:
    out: list[Element] = []
    for r in results:
        out.append(_cu(2, r.property_id))
        out += _index(3, r.array_index)
        if r.value is not None:
            out.append(Constructed(4, r.value))
        else:
            if r.error_class is None or r.error_code is None:
                raise ValueError("a property result needs a value or an error")
            failure = (Enumerated(r.error_class), Enumerated(r.error_code))
            out.append(Constructed(5, failure))
    return out


def service_elements(message: ServiceMessage) -> list[Element]:
    """The tagged values of a typed service message, in wire order."""
    match message:
        case WhoIs(low, high):
            return _limits_out(low, high)
        case IAm(device, max_apdu, segmentation, vendor_id):
            return [device, Unsigned(max_apdu), Enumerated(segmentation), Unsigned(vendor_id)]
        case WhoHas(low, high, object_id, name):
            if object_id is not None and name is None:
                target = _co(2, object_id)
            elif name is not None and object_id is None:
                target = _c(3, character_string_bytes(name))
            else:
                raise ValueError("who-has asks for an object identifier or a name")
            return [*_limits_out(low, high), target]
        case IHave(device, object_id, name):
            return [device, object_id, name]
        case TimeSynchronization(date, time):
            return [date, time]
        case ReadPropertyRequest(object_id, property_id, index):
            return [_co(0, object_id), _cu(1, property_id), *_index(2, index)]
        case ReadPropertyAck(object_id, property_id, index, value):
            return [
                _co(0, object_id),
                _cu(1, property_id),
                *_index(2, index),
                Constructed(3, value),
            ]
        case ReadPropertyMultipleRequest(specs):
            out: list[Element] = []
            for spec in specs:
                refs: list[Element] = []
                for ref in spec.properties:
                    refs += [_cu(0, ref.property_id), *_index(1, ref.array_index)]
                out += [_co(0, spec.object_id), Constructed(1, tuple(refs))]
            return out
        case ReadPropertyMultipleAck(results):
            out = []
            for result in results:
                out.append(_co(0, result.object_id))
                if result.results is not None:
                    out.append(Constructed(1, tuple(_results_out(result.results))))
            return out
        case WritePropertyRequest(object_id, property_id, index, value, priority):
            tail = [] if priority is None else [_cu(4, priority)]
            head = [_co(0, object_id), _cu(1, property_id), *_index(2, index)]
            return [*head, Constructed(3, value), *tail]
        case DeviceCommunicationControlRequest(duration, enable, password):
            out = [] if duration is None else [_cu(0, duration)]
            out.append(_cu(1, enable))
            if password is not None:
                out.append(_c(2, character_string_bytes(password)))
            return out
        case ReinitializeDeviceRequest(state, password):
            out = [_cu(0, state)]
            if password is not None:
                out.append(_c(1, character_string_bytes(password)))
            return out
        case ErrorInfo(error_class, error_code):
            return [Enumerated(error_class), Enumerated(error_code)]
        case ServiceElements(elements):
            return list(elements)
    raise TypeError(f"not a service message: {message!r}")


def encode_service(message: ServiceMessage) -> bytes:
    """The service data of a typed message (what follows the service choice)."""
    return encode_elements(service_elements(message))
