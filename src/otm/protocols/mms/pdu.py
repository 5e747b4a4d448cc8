"""MMS PDU bytes <-> messages (ISO 9506-2 ``MMSpdu``), and the hot-path ``peek``.

``decode_mms`` reads one whole MMSpdu TLV (a presentation single-ASN1-type
value) and never raises; ``encode_mms`` writes it back (raising
``ValueError`` for values that do not fit).  Encoding writes shortest BER
lengths; a decoded PDU re-encodes to the same message.
"""

from __future__ import annotations

from otm.protocols.common import Anomaly
from otm.protocols.mms.anomalies import MmsAnomaly
from otm.protocols.mms.ber import (
    CONSTRUCTED,
    CONTEXT,
    INTEGER,
    SEQUENCE,
    BerError,
    bit_string,
    bit_string_value,
    elements,
    header,
    integer,
    integer_value,
    text,
    tlv,
)
from otm.protocols.mms.messages import (
    CancelError,
    CancelRequest,
    CancelResponse,
    ConcludeError,
    ConcludeRequest,
    ConcludeResponse,
    ConfirmedError,
    ConfirmedRequest,
    ConfirmedResponse,
    InitiateError,
    InitiateRequest,
    InitiateResponse,
    MmsPdu,
    Reject,
    ServiceError,
    Unconfirmed,
)

K = MmsAnomaly

_C = CONTEXT
_CC = CONTEXT | CONSTRUCTED
_SEQ = CONSTRUCTED


def _service_error(buf: bytes, s: int, e: int) -> ServiceError:
    error_class: int | None = None
    code = 0
    additional_code = None
    description = None
    for cls, tag, vs, ve in elements(buf, s, e):
        if (cls, tag) == (_CC, 0):
            ccls, ctag, cs, ce = header(buf, vs, ve)
            if ccls != _C:
                raise BerError(K.UNEXPECTED_TAG, "error class is no context INTEGER", vs)
            error_class, code = ctag, integer(buf, cs, ce)
        elif (cls, tag) == (_C, 1):
            additional_code = integer(buf, vs, ve)
        elif (cls, tag) == (_C, 2):
            description = text(buf, vs, ve)
    if error_class is None:
        raise BerError(K.UNEXPECTED_TAG, "ServiceError without an error class", s)
    return ServiceError(error_class, code, additional_code, description)


def _invoke(buf: bytes, items: list[tuple[int, int, int, int]], at: int) -> int:
    if not items or items[0][:2] != (0, INTEGER):
        raise BerError(K.UNEXPECTED_TAG, "invoke id is no INTEGER", at)
    return integer(buf, items[0][2], items[0][3])


def _service(buf: bytes, item: tuple[int, int, int, int], at: int) -> tuple[int, bytes, bool]:
    cls, tag, vs, ve = item
    if cls & 0xC0 != CONTEXT:
        raise BerError(
            K.UNEXPECTED_TAG, f"service tag 0x{cls:02x}/{tag} is not context-specific", at
        )
    return tag, bytes(buf[vs:ve]), bool(cls & CONSTRUCTED)


def _confirmed(buf: bytes, tag: int, s: int, e: int) -> MmsPdu:
    items = elements(buf, s, e)
    invoke = _invoke(buf, items, s)
    i = 1
    modifiers = None
    if tag == 0 and i < len(items) and items[i][:2] == (_SEQ, SEQUENCE):
        modifiers = bytes(buf[items[i][2] : items[i][3]])
        i += 1
    if i >= len(items):
        raise BerError(K.TRUNCATED, "confirmed PDU without a service", e)
    service, body, constructed = _service(buf, items[i], items[i][2])
    extension = bytes(buf[items[i][3] : e])
    if tag == 0:
        return ConfirmedRequest(invoke, service, body, constructed, modifiers, extension)
    return ConfirmedResponse(invoke, service, body, constructed, extension)


def _initiate(buf: bytes, tag: int, s: int, e: int) -> InitiateRequest | InitiateResponse:
    f: dict[int, int] = {}
    version = cbb = services = None
    for cls, t, vs, ve in elements(buf, s, e):
        if cls == _C and t in (0, 1, 2, 3):
            f[t] = integer(buf, vs, ve)
        elif (cls, t) == (_CC, 4):
            for dcls, dt, ds, de in elements(buf, vs, ve):
                if (dcls, dt) == (_C, 0):
                    version = integer(buf, ds, de)
                elif (dcls, dt) == (_C, 1):
                    cbb = bit_string(buf, ds, de)
                elif (dcls, dt) == (_C, 2):
                    services = bit_string(buf, ds, de)
    if 1 not in f or 2 not in f:
        raise BerError(K.UNEXPECTED_TAG, "initiate PDU without max services outstanding", s)
    cls_ = InitiateRequest if tag == 8 else InitiateResponse
    return cls_(f[1], f[2], f.get(0), f.get(3), version, cbb, services)


def _decode(pdu: bytes) -> MmsPdu:
    cls, tag, s, e = header(pdu, 0, len(pdu))
    if e != len(pdu):
        raise BerError(K.TRAILING_BYTES, f"{len(pdu) - e} bytes after the MMS PDU", e)
    if cls & 0xC0 != CONTEXT or tag > 13:
        raise BerError(K.UNEXPECTED_TAG, f"MMS PDU tag 0x{cls:02x}/{tag}", 0)
    constructed = bool(cls & CONSTRUCTED)
    primitive_kinds = (5, 6, 11, 12)
    if constructed == (tag in primitive_kinds):
        raise BerError(K.UNEXPECTED_TAG, f"MMS PDU [{tag}] in the wrong form", 0)
    if tag in (0, 1):
        return _confirmed(pdu, tag, s, e)
    if tag == 2:
        items = elements(pdu, s, e)
        invoke = position = None
        error = None
        for icls, itag, vs, ve in items:
            if (icls, itag) == (_C, 0):
                invoke = integer(pdu, vs, ve)
            elif (icls, itag) == (_C, 1):
                position = integer(pdu, vs, ve)
            elif (icls, itag) == (_CC, 2):
                error = _service_error(pdu, vs, ve)
        if invoke is None or error is None:
            raise BerError(K.UNEXPECTED_TAG, "confirmed error without invoke id or error", s)
        return ConfirmedError(invoke, error, position)
    if tag == 3:
        items = elements(pdu, s, e)
        if not items:
            raise BerError(K.TRUNCATED, "unconfirmed PDU without a service", e)
        service, body, form = _service(pdu, items[0], s)
        return Unconfirmed(service, body, form, bytes(pdu[items[0][3] : e]))
    if tag == 4:
        original = None
        for icls, itag, vs, ve in elements(pdu, s, e):
            if (icls, itag) == (_C, 0):
                original = integer(pdu, vs, ve)
            elif icls == _C and 1 <= itag <= 11:
                return Reject(itag, integer(pdu, vs, ve), original)
        raise BerError(K.UNEXPECTED_TAG, "reject without a reason", s)
    if tag in (5, 6):
        invoke = integer(pdu, s, e)
        return CancelRequest(invoke) if tag == 5 else CancelResponse(invoke)
    if tag == 7:
        invoke = None
        error = None
        for icls, itag, vs, ve in elements(pdu, s, e):
            if (icls, itag) == (_C, 0):
                invoke = integer(pdu, vs, ve)
            elif (icls, itag) == (_CC, 1):
                error = _service_error(pdu, vs, ve)
        if invoke is None or error is None:
            raise BerError(K.UNEXPECTED_TAG, "cancel error without invoke id or error", s)
        return CancelError(invoke, error)
    if tag in (8, 9):
        return _initiate(pdu, tag, s, e)
    if tag in (11, 12):
        if e != s:
            raise BerError(K.BAD_VALUE, "conclude PDU is not an empty NULL", s)
        return ConcludeRequest() if tag == 11 else ConcludeResponse()
    error = _service_error(pdu, s, e)
    return InitiateError(error) if tag == 10 else ConcludeError(error)


def decode_mms(pdu: bytes) -> MmsPdu | Anomaly:
    """One MMSpdu (a whole TLV) -> message."""
    try:
        return _decode(pdu)
    except BerError as error:
        return error.anomaly()


# --- encoding ---------------------------------------------------------------------------------


def _enc_service_error(error: ServiceError) -> bytes:
    out = tlv(_CC, 0, tlv(_C, error.error_class, integer_value(error.code)))
    if error.additional_code is not None:
        out += tlv(_C, 1, integer_value(error.additional_code))
    if error.additional_description is not None:
        out += tlv(_C, 2, error.additional_description.encode("latin-1"))
    return out


def _enc_initiate(pdu: InitiateRequest | InitiateResponse) -> bytes:
    body = b""
    if pdu.local_detail is not None:
        body += tlv(_C, 0, integer_value(pdu.local_detail))
    body += tlv(_C, 1, integer_value(pdu.max_serv_outstanding_calling))
    body += tlv(_C, 2, integer_value(pdu.max_serv_outstanding_called))
    if pdu.nesting_level is not None:
        body += tlv(_C, 3, integer_value(pdu.nesting_level))
    detail = b""
    if pdu.version is not None:
        detail += tlv(_C, 0, integer_value(pdu.version))
    if pdu.parameter_cbb is not None:
        detail += tlv(_C, 1, bit_string_value(pdu.parameter_cbb))
    if pdu.services_supported is not None:
        detail += tlv(_C, 2, bit_string_value(pdu.services_supported))
    body += tlv(_CC, 4, detail)
    return tlv(_CC, 8 if isinstance(pdu, InitiateRequest) else 9, body)


def _form(constructed: bool) -> int:
    return _CC if constructed else _C


def encode_mms(pdu: MmsPdu) -> bytes:
    """An MMS message -> the MMSpdu TLV."""
    if isinstance(pdu, ConfirmedRequest):
        body = tlv(0, INTEGER, integer_value(pdu.invoke_id))
        if pdu.modifiers is not None:
            body += tlv(_SEQ, SEQUENCE, pdu.modifiers)
        body += tlv(_form(pdu.constructed), pdu.service, pdu.body) + pdu.extension
        return tlv(_CC, 0, body)
    if isinstance(pdu, ConfirmedResponse):
        body = tlv(0, INTEGER, integer_value(pdu.invoke_id))
        body += tlv(_form(pdu.constructed), pdu.service, pdu.body) + pdu.extension
        return tlv(_CC, 1, body)
    if isinstance(pdu, ConfirmedError):
        body = tlv(_C, 0, integer_value(pdu.invoke_id))
        if pdu.modifier_position is not None:
            body += tlv(_C, 1, integer_value(pdu.modifier_position))
        return tlv(_CC, 2, body + tlv(_CC, 2, _enc_service_error(pdu.error)))
    if isinstance(pdu, Unconfirmed):
        return tlv(_CC, 3, tlv(_form(pdu.constructed), pdu.service, pdu.body) + pdu.extension)
    if isinstance(pdu, Reject):
        if not 1 <= pdu.reason <= 11:
            raise ValueError(f"reject reason {pdu.reason}")
        body = b""
        if pdu.original_invoke_id is not None:
            body += tlv(_C, 0, integer_value(pdu.original_invoke_id))
        return tlv(_CC, 4, body + tlv(_C, pdu.reason, integer_value(pdu.code)))
    if isinstance(pdu, CancelRequest | CancelResponse):
        return tlv(_C, 5 if isinstance(pdu, CancelRequest) else 6, integer_value(pdu.invoke_id))
    if isinstance(pdu, CancelError):
        body = tlv(_C, 0, integer_value(pdu.invoke_id))
        return tlv(_CC, 7, body + tlv(_CC, 1, _enc_service_error(pdu.error)))
    if isinstance(pdu, InitiateRequest | InitiateResponse):
        return _enc_initiate(pdu)
    if isinstance(pdu, ConcludeRequest):
        return tlv(_C, 11, b"")
    if isinstance(pdu, ConcludeResponse):
        return tlv(_C, 12, b"")
    return tlv(_CC, 10 if isinstance(pdu, InitiateError) else 13, _enc_service_error(pdu.error))


# --- hot path -----------------------------------------------------------------------------


def peek_mms(buf: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """``(PDU kind, service tag, invoke id)`` of the MMSpdu at ``buf[pos:end]``, -1 where absent.

    Confirmed requests and responses give their service and invoke id,
    unconfirmed PDUs their service; errors, cancels and rejects their invoke
    id when it is the first field.  A handful of header reads, no message
    object; raises ``BerError`` on broken headers (the caller decodes fully
    to report them).
    """
    cls, tag, s, e = header(buf, pos, end)
    if tag in (0, 1) and cls == _CC:
        icls, itag, vs, ve = header(buf, s, e)
        if (icls, itag) != (0, INTEGER):
            raise BerError(K.UNEXPECTED_TAG, "invoke id is no INTEGER", s)
        invoke = integer(buf, vs, ve)
        q = ve
        if q >= e:
            return tag, -1, invoke
        scls, stag, _, se = header(buf, q, e)
        if tag == 0 and (scls, stag) == (_SEQ, SEQUENCE):  # listOfModifier
            if se >= e:
                return tag, -1, invoke
            scls, stag, _, se = header(buf, se, e)
        return tag, stag, invoke
    if tag == 3 and cls == _CC:
        if s >= e:
            return tag, -1, -1
        return tag, header(buf, s, e)[1], -1
    if tag in (2, 7) and cls == _CC and s < e:
        icls, itag, vs, ve = header(buf, s, e)
        return tag, -1, integer(buf, vs, ve) if (icls, itag) == (_C, 0) else -1
    if tag in (5, 6) and cls == _C and s < e:
        return tag, -1, integer(buf, s, e)
    return tag, -1, -1
