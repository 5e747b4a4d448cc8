"""SNMP bytes <-> messages, without I/O.

``decode_message`` takes one UDP payload and returns a ``CommunityMessage``
(v1, v2c), a ``V3Message`` or an ``Anomaly``; it never raises and reads the
datagram in place, copying only the bytes a message keeps.  ``encode_message``
turns a message back into minimal BER; for every message it accepts,
``decode_message(encode_message(m)) == m``.  Decoding accepts what real
agents send beyond the minimal form (long-form lengths for short contents,
integers with leading zero bytes), so the round trip from bytes is exact
only for minimal encodings.

Hand-written rather than built on pysnmp/pyasn1: those decode through a
generic ASN.1 machine two orders of magnitude slower per message and come
with transport and MIB machinery (I/O) that a codec must not import.

``peek`` is the hot path: version, PDU tag and where the community lies,
from four element headers.
"""

from __future__ import annotations

from collections.abc import Iterable

from otm.protocols import ber
from otm.protocols.common import Anomaly
from otm.protocols.snmp import smi
from otm.protocols.snmp.anomalies import BER_KINDS, SnmpAnomaly
from otm.protocols.snmp.constants import (
    BYTES_TYPES,
    EMPTY_TYPES,
    UNSIGNED_LIMITS,
    PduType,
    SecurityModel,
    ValueType,
)
from otm.protocols.snmp.messages import (
    AnyPdu,
    BulkPdu,
    CommunityMessage,
    Message,
    Pdu,
    ScopedPdu,
    TrapPdu,
    UsmSecurityParameters,
    V3Message,
    Value,
    VarBind,
)

K = SnmpAnomaly

_PDU_TAGS = frozenset(int(t) for t in PduType)
_TIMETICKS_LIMIT = UNSIGNED_LIMITS[ValueType.TIMETICKS]


# --- reading helpers ---------------------------------------------------------------


def _int(buf: bytes, pos: int, end: int, what: str) -> tuple[int, int] | Anomaly:
    """``(value, next position)`` of an INTEGER element at ``pos``."""
    span = smi.expect(buf, pos, end, ber.INTEGER, what)
    if isinstance(span, Anomaly):
        return span
    value = smi.integer(buf, span[0], span[1], what)
    if isinstance(value, Anomaly):
        return value
    return value, span[1]


def _octets(buf: bytes, pos: int, end: int, what: str) -> tuple[bytes, int] | Anomaly:
    """``(contents, next position)`` of an OCTET STRING element at ``pos``."""
    span = smi.expect(buf, pos, end, ber.OCTET_STRING, what)
    if isinstance(span, Anomaly):
        return span
    return bytes(buf[span[0] : span[1]]), span[1]


def _value(buf: bytes, tag: int, start: int, end: int) -> Value | Anomaly:
    if tag == ValueType.INTEGER:
        return smi.integer(buf, start, end, "integer value")
    if tag in BYTES_TYPES:
        return bytes(buf[start:end])
    if tag == ValueType.OBJECT_IDENTIFIER:
        return smi.oid(buf, start, end)
    limit = UNSIGNED_LIMITS.get(tag)
    if limit is not None:
        return smi.unsigned(buf, start, end, limit, f"value of type 0x{tag:02x}")
    if tag in EMPTY_TYPES:
        if end != start:
            return Anomaly(K.INVALID_VALUE, f"type 0x{tag:02x} with {end - start} bytes", start)
        return None
    return Anomaly(K.INVALID_VALUE, f"value tag 0x{tag:02x} is no SMI type", start)


def _varbinds(buf: bytes, pos: int, end: int) -> tuple[tuple[VarBind, ...], int] | Anomaly:
    """The VarBindList at ``pos`` and the position after it."""
    span = smi.expect(buf, pos, end, ber.SEQUENCE, "variable-bindings")
    if isinstance(span, Anomaly):
        return span
    at, stop = span
    out: list[VarBind] = []
    # Each pass consumes one element of at least two bytes: bounded by the datagram.
    while at < stop:
        vb = smi.expect(buf, at, stop, ber.SEQUENCE, "varbind")
        if isinstance(vb, Anomaly):
            return vb
        name = smi.expect(buf, vb[0], vb[1], ber.OBJECT_IDENTIFIER, "varbind name")
        if isinstance(name, Anomaly):
            return name
        oid = smi.oid(buf, name[0], name[1])
        if isinstance(oid, Anomaly):
            return oid
        tlv = ber.read_tlv(buf, name[1], vb[1], BER_KINDS)
        if isinstance(tlv, Anomaly):
            return tlv
        tag, v_start, v_end = tlv
        if v_end != vb[1]:
            return Anomaly(K.TRAILING_BYTES, f"{vb[1] - v_end} bytes after a varbind value", v_end)
        value = _value(buf, tag, v_start, v_end)
        if isinstance(value, Anomaly):
            return value
        out.append(VarBind(oid, tag, value))
        at = vb[1]
    return tuple(out), stop


def _pdu(buf: bytes, pos: int, end: int) -> tuple[AnyPdu, int] | Anomaly:
    """The PDU at ``pos`` and the position after it."""
    tlv = ber.read_tlv(buf, pos, end, BER_KINDS)
    if isinstance(tlv, Anomaly):
        return tlv
    tag, at, stop = tlv
    if tag not in _PDU_TAGS:
        return Anomaly(K.UNKNOWN_PDU_TYPE, f"PDU tag 0x{tag:02x}", pos)
    pdu: AnyPdu
    if tag == PduType.TRAP:
        trap = _trap(buf, at, stop)
        if isinstance(trap, Anomaly):
            return trap
        pdu, at = trap
    else:
        numbers: list[int] = []
        for what in ("request-id", "error-status", "error-index"):
            got = _int(buf, at, stop, what)
            if isinstance(got, Anomaly):
                return got
            numbers.append(got[0])
            at = got[1]
        binds = _varbinds(buf, at, stop)
        if isinstance(binds, Anomaly):
            return binds
        varbinds, at = binds
        if tag == PduType.GET_BULK_REQUEST:
            pdu = BulkPdu(numbers[0], numbers[1], numbers[2], varbinds)
        else:
            pdu = Pdu(tag, numbers[0], numbers[1], numbers[2], varbinds)
    if at != stop:
        return Anomaly(K.TRAILING_BYTES, f"{stop - at} bytes after the varbinds", at)
    return pdu, stop


def _trap(buf: bytes, at: int, stop: int) -> tuple[TrapPdu, int] | Anomaly:
    span = smi.expect(buf, at, stop, ber.OBJECT_IDENTIFIER, "enterprise")
    if isinstance(span, Anomaly):
        return span
    enterprise = smi.oid(buf, span[0], span[1])
    if isinstance(enterprise, Anomaly):
        return enterprise
    address = smi.expect(buf, span[1], stop, ValueType.IP_ADDRESS, "agent-addr")
    if isinstance(address, Anomaly):
        return address
    at = address[1]
    numbers: list[int] = []
    for what in ("generic-trap", "specific-trap"):
        got = _int(buf, at, stop, what)
        if isinstance(got, Anomaly):
            return got
        numbers.append(got[0])
        at = got[1]
    ticks = smi.expect(buf, at, stop, ValueType.TIMETICKS, "time-stamp")
    if isinstance(ticks, Anomaly):
        return ticks
    stamp = smi.unsigned(buf, ticks[0], ticks[1], _TIMETICKS_LIMIT, "time-stamp")
    if isinstance(stamp, Anomaly):
        return stamp
    binds = _varbinds(buf, ticks[1], stop)
    if isinstance(binds, Anomaly):
        return binds
    trap = TrapPdu(
        enterprise,
        bytes(buf[address[0] : address[1]]),
        numbers[0],
        numbers[1],
        stamp,
        binds[0],
    )
    return trap, binds[1]


def _v3(buf: bytes, at: int, stop: int) -> V3Message | Anomaly:
    glob = smi.expect(buf, at, stop, ber.SEQUENCE, "msgGlobalData")
    if isinstance(glob, Anomaly):
        return glob
    g_at, g_stop = glob
    msg_id = _int(buf, g_at, g_stop, "msgID")
    if isinstance(msg_id, Anomaly):
        return msg_id
    max_size = _int(buf, msg_id[1], g_stop, "msgMaxSize")
    if isinstance(max_size, Anomaly):
        return max_size
    flags = _octets(buf, max_size[1], g_stop, "msgFlags")
    if isinstance(flags, Anomaly):
        return flags
    model = _int(buf, flags[1], g_stop, "msgSecurityModel")
    if isinstance(model, Anomaly):
        return model
    if model[1] != g_stop:
        return Anomaly(K.TRAILING_BYTES, "bytes after msgSecurityModel", model[1])
    params = _octets(buf, g_stop, stop, "msgSecurityParameters")
    if isinstance(params, Anomaly):
        return params
    tlv = ber.read_tlv(buf, params[1], stop, BER_KINDS)
    if isinstance(tlv, Anomaly):
        return tlv
    tag, d_at, d_stop = tlv
    data: ScopedPdu | bytes
    if tag == ber.OCTET_STRING:
        data = bytes(buf[d_at:d_stop])
    elif tag == ber.SEQUENCE:
        engine = _octets(buf, d_at, d_stop, "contextEngineID")
        if isinstance(engine, Anomaly):
            return engine
        context = _octets(buf, engine[1], d_stop, "contextName")
        if isinstance(context, Anomaly):
            return context
        pdu = _pdu(buf, context[1], d_stop)
        if isinstance(pdu, Anomaly):
            return pdu
        if pdu[1] != d_stop:
            return Anomaly(K.TRAILING_BYTES, "bytes after the scoped PDU", pdu[1])
        data = ScopedPdu(engine[0], context[0], pdu[0])
    else:
        return Anomaly(K.UNEXPECTED_TAG, f"msgData tag 0x{tag:02x}", params[1])
    if d_stop != stop:
        return Anomaly(K.TRAILING_BYTES, f"{stop - d_stop} bytes after msgData", d_stop)
    usm = None
    if model[0] == SecurityModel.USM:
        decoded = decode_usm(params[0])
        usm = None if isinstance(decoded, Anomaly) else decoded
    return V3Message(msg_id[0], max_size[0], flags[0], model[0], params[0], usm, data)


# --- public decoding API -----------------------------------------------------------------


def decode_message(datagram: bytes) -> Message | Anomaly:
    """One UDP payload -> ``CommunityMessage`` (v1, v2c), ``V3Message`` or ``Anomaly``."""
    end = len(datagram)
    outer = smi.expect(datagram, 0, end, ber.SEQUENCE, "message")
    if isinstance(outer, Anomaly):
        return outer
    at, stop = outer
    if stop != end:
        return Anomaly(K.TRAILING_BYTES, f"{end - stop} bytes after the message", stop)
    version = _int(datagram, at, stop, "version")
    if isinstance(version, Anomaly):
        return version
    number, at = version
    if number == 3:
        return _v3(datagram, at, stop)
    if number not in (0, 1):
        return Anomaly(K.UNKNOWN_VERSION, f"version {number}", 2)
    community = _octets(datagram, at, stop, "community")
    if isinstance(community, Anomaly):
        return community
    pdu = _pdu(datagram, community[1], stop)
    if isinstance(pdu, Anomaly):
        return pdu
    if pdu[1] != stop:
        return Anomaly(K.TRAILING_BYTES, "bytes after the PDU", pdu[1])
    return CommunityMessage(number, community[0], pdu[0])


def decode_usm(parameters: bytes) -> UsmSecurityParameters | Anomaly:
    """The contents of a USM ``msgSecurityParameters`` OCTET STRING (RFC 3414 2.4)."""
    end = len(parameters)
    outer = smi.expect(parameters, 0, end, ber.SEQUENCE, "UsmSecurityParameters")
    if isinstance(outer, Anomaly):
        return outer
    at, stop = outer
    if stop != end:
        return Anomaly(K.TRAILING_BYTES, "bytes after UsmSecurityParameters", stop)
    engine = _octets(parameters, at, stop, "msgAuthoritativeEngineID")
    if isinstance(engine, Anomaly):
        return engine
    boots = _int(parameters, engine[1], stop, "msgAuthoritativeEngineBoots")
    if isinstance(boots, Anomaly):
        return boots
    clock = _int(parameters, boots[1], stop, "msgAuthoritativeEngineTime")
    if isinstance(clock, Anomaly):
        return clock
    user = _octets(parameters, clock[1], stop, "msgUserName")
    if isinstance(user, Anomaly):
        return user
    auth = _octets(parameters, user[1], stop, "msgAuthenticationParameters")
    if isinstance(auth, Anomaly):
        return auth
    priv = _octets(parameters, auth[1], stop, "msgPrivacyParameters")
    if isinstance(priv, Anomaly):
        return priv
    if priv[1] != stop:
        return Anomaly(K.TRAILING_BYTES, "bytes after msgPrivacyParameters", priv[1])
    return UsmSecurityParameters(engine[0], boots[0], clock[0], user[0], auth[0], priv[0])


def peek(datagram: bytes) -> tuple[int, int, int, int] | None:
    """``(version, PDU tag, community start, community end)`` read in place, or None.

    None when the first elements are not an SNMP message header (then
    ``decode_message`` returns an anomaly for it too).  For v3 the
    PDU tag is -1 and the community span empty (the scoped PDU may be
    encrypted; decode the message to learn more).  Four element headers are
    read; nothing is copied.
    """
    end = len(datagram)
    outer = ber.read_tlv(datagram, 0, end, BER_KINDS)
    if isinstance(outer, Anomaly) or outer[0] != ber.SEQUENCE:
        return None
    stop = outer[2]
    version = ber.read_tlv(datagram, outer[1], stop, BER_KINDS)
    if isinstance(version, Anomaly) or version[0] != ber.INTEGER:
        return None
    number = smi.integer(datagram, version[1], version[2], "version")
    if isinstance(number, Anomaly) or number not in (0, 1, 3):
        return None
    if number == 3:
        return 3, -1, 0, 0
    community = ber.read_tlv(datagram, version[2], stop, BER_KINDS)
    if isinstance(community, Anomaly) or community[0] != ber.OCTET_STRING:
        return None
    if community[2] >= stop:
        return None
    tag = datagram[community[2]]
    if tag not in _PDU_TAGS:
        return None
    return number, tag, community[1], community[2]


# --- encoding ------------------------------------------------------------------------------


def _join(tag: int, parts: Iterable[bytes]) -> bytes:
    return ber.encode_tlv(tag, b"".join(parts))


def encode_value(value_type: int, value: Value) -> bytes:
    """One varbind value element; ``ValueError`` when the value does not fit its type."""
    if value_type == ValueType.INTEGER and isinstance(value, int):
        return smi.encode_integer(value)
    if value_type in BYTES_TYPES and isinstance(value, bytes):
        return ber.encode_tlv(value_type, value)
    if value_type == ValueType.OBJECT_IDENTIFIER and isinstance(value, str):
        return smi.encode_oid(value)
    limit = UNSIGNED_LIMITS.get(value_type)
    if limit is not None and isinstance(value, int):
        return smi.encode_unsigned(value, value_type, limit)
    if value_type in EMPTY_TYPES and value is None:
        return bytes((value_type, 0))
    raise ValueError(f"value {value!r} does not fit type 0x{value_type:02x}")


def encode_varbinds(varbinds: Iterable[VarBind]) -> bytes:
    """A VarBindList element."""
    return _join(
        ber.SEQUENCE,
        (
            ber.encode_tlv(
                ber.SEQUENCE, smi.encode_oid(vb.oid) + encode_value(vb.value_type, vb.value)
            )
            for vb in varbinds
        ),
    )


def encode_pdu(pdu: AnyPdu) -> bytes:
    """A PDU element (tag 0xA0-0xA8)."""
    match pdu:
        case Pdu(pdu_type, request_id, status, index, varbinds):
            if pdu_type not in _PDU_TAGS or pdu_type in (PduType.TRAP, PduType.GET_BULK_REQUEST):
                raise ValueError(f"Pdu with tag 0x{pdu_type:02x}")
            body = [smi.encode_integer(v) for v in (request_id, status, index)]
            return _join(pdu_type, (*body, encode_varbinds(varbinds)))
        case BulkPdu(request_id, non_repeaters, max_repetitions, varbinds):
            body = [smi.encode_integer(v) for v in (request_id, non_repeaters, max_repetitions)]
            return _join(PduType.GET_BULK_REQUEST, (*body, encode_varbinds(varbinds)))
        case TrapPdu(enterprise, address, generic, specific, stamp, varbinds):
            return _join(
                PduType.TRAP,
                (
                    smi.encode_oid(enterprise),
                    ber.encode_tlv(ValueType.IP_ADDRESS, address),
                    smi.encode_integer(generic),
                    smi.encode_integer(specific),
                    smi.encode_unsigned(stamp, ValueType.TIMETICKS, _TIMETICKS_LIMIT),
                    encode_varbinds(varbinds),
                ),
            )
    raise TypeError(f"not an SNMP PDU: {type(pdu).__name__}")


def encode_usm(usm: UsmSecurityParameters) -> bytes:
    """The contents of a USM ``msgSecurityParameters`` OCTET STRING."""
    return _join(
        ber.SEQUENCE,
        (
            ber.encode_tlv(ber.OCTET_STRING, usm.engine_id),
            smi.encode_integer(usm.engine_boots),
            smi.encode_integer(usm.engine_time),
            ber.encode_tlv(ber.OCTET_STRING, usm.user_name),
            ber.encode_tlv(ber.OCTET_STRING, usm.authentication_parameters),
            ber.encode_tlv(ber.OCTET_STRING, usm.privacy_parameters),
        ),
    )


def encode_message(message: Message) -> bytes:
    """A whole message, ready to be a UDP payload.

    ``ValueError`` for a message no decoder returns (a version other than
    0/1 in a ``CommunityMessage``, a value outside its type, an OID BER
    cannot carry).  A ``V3Message`` is written with its raw
    ``security_parameters``; ``usm`` is not re-encoded.
    """
    match message:
        case CommunityMessage(version, community, pdu):
            if version not in (0, 1):
                raise ValueError(f"community message with version {version}")
            return _join(
                ber.SEQUENCE,
                (
                    smi.encode_integer(version),
                    ber.encode_tlv(ber.OCTET_STRING, community),
                    encode_pdu(pdu),
                ),
            )
        case V3Message(msg_id, max_size, flags, model, parameters, _, data):
            glob = _join(
                ber.SEQUENCE,
                (
                    smi.encode_integer(msg_id),
                    smi.encode_integer(max_size),
                    ber.encode_tlv(ber.OCTET_STRING, flags),
                    smi.encode_integer(model),
                ),
            )
            if isinstance(data, bytes):
                body = ber.encode_tlv(ber.OCTET_STRING, data)
            else:
                body = _join(
                    ber.SEQUENCE,
                    (
                        ber.encode_tlv(ber.OCTET_STRING, data.context_engine_id),
                        ber.encode_tlv(ber.OCTET_STRING, data.context_name),
                        encode_pdu(data.pdu),
                    ),
                )
            return _join(
                ber.SEQUENCE,
                (smi.encode_integer(3), glob, ber.encode_tlv(ber.OCTET_STRING, parameters), body),
            )
    raise TypeError(f"not an SNMP message: {type(message).__name__}")
