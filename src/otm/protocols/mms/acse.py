"""ISO 8650 / X.227 ACSE APDUs: the association that carries MMS initiate and conclude.

::

    AARQ [APPLICATION 0] { protocol-version [0] BIT STRING, application-context-name [1] OID,
         called AP-title [2] / AE-qualifier [3] / AP- [4] and AE-invocation-id [5],
         calling AP-title [6] / AE-qualifier [7] / AP- [8] and AE-invocation-id [9],
         sender-acse-requirements [10], mechanism-name [11], calling-authentication-value [12],
         implementation-information [29], user-information [30] SEQUENCE OF EXTERNAL }
    AARE [APPLICATION 1] { protocol-version [0], application-context-name [1], result [2],
         result-source-diagnostic [3] { service-user [1] | service-provider [2] },
         responding AP-title [4] / AE-qualifier [5] / AP- [6] and AE-invocation-id [7],
         responder-acse-requirements [8], mechanism-name [9], responding-authentication-value [10],
         implementation-information [29], user-information [30] }
    RLRQ [APPLICATION 2] / RLRE [APPLICATION 3] { reason [0], user-information [30] }
    ABRT [APPLICATION 4] { abort-source [0], abort-diagnostic [1], user-information [30] }

AP titles are kept as dotted object identifiers (form 2, what MMS stacks
send); other forms keep their TLV as ``raw:<hex>``.  AE qualifiers are kept
when they are integers (form 2).  An authentication value (an IEC 61850
password travels there in clear) is never kept: ``authenticated`` only says
that one was sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from otm.protocols.common import Anomaly
from otm.protocols.mms.anomalies import MmsAnomaly
from otm.protocols.mms.ber import (
    APPLICATION,
    CONSTRUCTED,
    CONTEXT,
    EXTERNAL,
    INTEGER,
    OBJECT_DESCRIPTOR,
    OBJECT_IDENTIFIER,
    BerError,
    BitString,
    bit_string,
    bit_string_value,
    elements,
    header,
    integer,
    integer_value,
    oid,
    oid_value,
    only,
    text,
    tlv,
)

K = MmsAnomaly

_C = CONTEXT
_CC = CONTEXT | CONSTRUCTED

MAX_EXTERNALS = 16
"""EXTERNALs read from user-information; MMS puts exactly one there."""


@dataclass(frozen=True, slots=True)
class External:
    """One EXTERNAL of user-information (for MMS: the initiate or conclude PDU).

    ``data`` is the whole TLV of a single-ASN1-type value (``encoding`` 0), the
    octets of an octet-aligned one (1) or the bit string value of an arbitrary one (2).
    """

    data: bytes
    encoding: int = 0
    direct_reference: str | None = None
    indirect_reference: int | None = None


@dataclass(frozen=True, slots=True)
class AssociationRequest:
    """AARQ-apdu."""

    context_name: str | None = None
    protocol_version: BitString | None = None
    called_ap_title: str | None = None
    called_ae_qualifier: int | None = None
    called_ap_invocation: int | None = None
    called_ae_invocation: int | None = None
    calling_ap_title: str | None = None
    calling_ae_qualifier: int | None = None
    calling_ap_invocation: int | None = None
    calling_ae_invocation: int | None = None
    requirements: BitString | None = None
    mechanism_name: str | None = None
    authenticated: bool = False
    implementation_information: str | None = None
    user_information: tuple[External, ...] = ()


@dataclass(frozen=True, slots=True)
class AssociationResponse:
    """AARE-apdu; ``diagnostic_source`` 1 service user, 2 service provider."""

    context_name: str | None = None
    result: int | None = None
    diagnostic_source: int | None = None
    diagnostic: int | None = None
    protocol_version: BitString | None = None
    responding_ap_title: str | None = None
    responding_ae_qualifier: int | None = None
    responding_ap_invocation: int | None = None
    responding_ae_invocation: int | None = None
    requirements: BitString | None = None
    mechanism_name: str | None = None
    authenticated: bool = False
    implementation_information: str | None = None
    user_information: tuple[External, ...] = ()


@dataclass(frozen=True, slots=True)
class ReleaseRequest:
    """RLRQ-apdu."""

    reason: int | None = None
    user_information: tuple[External, ...] = ()


@dataclass(frozen=True, slots=True)
class ReleaseResponse:
    """RLRE-apdu."""

    reason: int | None = None
    user_information: tuple[External, ...] = ()


@dataclass(frozen=True, slots=True)
class Abort:
    """ABRT-apdu; ``source`` 0 service user, 1 service provider."""

    source: int | None = None
    diagnostic: int | None = None
    user_information: tuple[External, ...] = ()


Apdu = AssociationRequest | AssociationResponse | ReleaseRequest | ReleaseResponse | Abort


# --- decoding ------------------------------------------------------------------------------


def _explicit_oid(buf: bytes, s: int, e: int) -> str:
    cls, tag, vs, ve = only(buf, s, e, "explicit OBJECT IDENTIFIER")
    if (cls, tag) != (0, OBJECT_IDENTIFIER):
        raise BerError(K.UNEXPECTED_TAG, "expected an OBJECT IDENTIFIER", s)
    return oid(buf, vs, ve)


def _explicit_int(buf: bytes, s: int, e: int) -> int:
    cls, tag, vs, ve = only(buf, s, e, "explicit INTEGER")
    if (cls, tag) != (0, INTEGER):
        raise BerError(K.UNEXPECTED_TAG, "expected an INTEGER", s)
    return integer(buf, vs, ve)


def _ap_title(buf: bytes, s: int, e: int) -> str:
    cls, tag, vs, ve = only(buf, s, e, "AP-title")
    if (cls, tag) == (0, OBJECT_IDENTIFIER):
        return oid(buf, vs, ve)
    return "raw:" + buf[s:e].hex()


def _ae_qualifier(buf: bytes, s: int, e: int) -> int | None:
    cls, tag, vs, ve = only(buf, s, e, "AE-qualifier")
    return integer(buf, vs, ve) if (cls, tag) == (0, INTEGER) else None


def _externals(buf: bytes, s: int, e: int) -> tuple[External, ...]:
    out: list[External] = []
    for cls, tag, xs, xe in elements(buf, s, e):
        if len(out) >= MAX_EXTERNALS:
            raise BerError(K.BAD_VALUE, f"more than {MAX_EXTERNALS} EXTERNALs", xs)
        if (cls, tag) != (CONSTRUCTED, EXTERNAL):
            raise BerError(K.UNEXPECTED_TAG, "user-information item is no EXTERNAL", xs)
        direct = None
        indirect = None
        found: External | None = None
        for fcls, ftag, fs, fe in elements(buf, xs, xe):
            if (fcls, ftag) == (0, OBJECT_IDENTIFIER):
                direct = oid(buf, fs, fe)
            elif (fcls, ftag) == (0, INTEGER):
                indirect = integer(buf, fs, fe)
            elif (fcls, ftag) == (0, OBJECT_DESCRIPTOR):
                continue
            elif (fcls, ftag) == (_CC, 0):
                only(buf, fs, fe, "single-ASN1-type value")
                found = External(bytes(buf[fs:fe]), 0)
            elif (fcls, ftag) in ((_C, 1), (_C, 2)):
                found = External(bytes(buf[fs:fe]), ftag)
            else:
                raise BerError(K.UNEXPECTED_TAG, f"EXTERNAL field 0x{fcls:02x}/{ftag}", fs)
        if found is None:
            raise BerError(K.UNEXPECTED_TAG, "EXTERNAL without an encoding", xs)
        out.append(External(found.data, found.encoding, direct, indirect))
    return tuple(out)


def _request(buf: bytes, s: int, e: int) -> AssociationRequest:
    f: dict[str, object] = {}
    for cls, tag, vs, ve in elements(buf, s, e):
        if cls == _C and tag == 0:
            f["protocol_version"] = bit_string(buf, vs, ve)
        elif cls == _CC and tag == 1:
            f["context_name"] = _explicit_oid(buf, vs, ve)
        elif cls == _CC and tag in (2, 6):
            f["called_ap_title" if tag == 2 else "calling_ap_title"] = _ap_title(buf, vs, ve)
        elif cls == _CC and tag in (3, 7):
            f["called_ae_qualifier" if tag == 3 else "calling_ae_qualifier"] = _ae_qualifier(
                buf, vs, ve
            )
        elif cls == _CC and tag in (4, 5, 8, 9):
            name = {4: "called_ap", 5: "called_ae", 8: "calling_ap", 9: "calling_ae"}[tag]
            f[name + "_invocation"] = _explicit_int(buf, vs, ve)
        elif cls == _C and tag == 10:
            f["requirements"] = bit_string(buf, vs, ve)
        elif cls == _C and tag == 11:
            f["mechanism_name"] = oid(buf, vs, ve)
        elif cls == _CC and tag == 12:
            f["authenticated"] = True
        elif cls == _C and tag == 29:
            f["implementation_information"] = text(buf, vs, ve)
        elif cls == _CC and tag == 30:
            f["user_information"] = _externals(buf, vs, ve)
    return AssociationRequest(**f)  # type: ignore[arg-type]


def _response(buf: bytes, s: int, e: int) -> AssociationResponse:
    f: dict[str, object] = {}
    for cls, tag, vs, ve in elements(buf, s, e):
        if cls == _C and tag == 0:
            f["protocol_version"] = bit_string(buf, vs, ve)
        elif cls == _CC and tag == 1:
            f["context_name"] = _explicit_oid(buf, vs, ve)
        elif cls == _CC and tag == 2:
            f["result"] = _explicit_int(buf, vs, ve)
        elif cls == _CC and tag == 3:
            dcls, dtag, ds, de = only(buf, vs, ve, "result-source-diagnostic")
            if dcls == _CC and dtag in (1, 2):
                f["diagnostic_source"] = dtag
                f["diagnostic"] = _explicit_int(buf, ds, de)
        elif cls == _CC and tag == 4:
            f["responding_ap_title"] = _ap_title(buf, vs, ve)
        elif cls == _CC and tag == 5:
            f["responding_ae_qualifier"] = _ae_qualifier(buf, vs, ve)
        elif cls == _CC and tag in (6, 7):
            f["responding_ap_invocation" if tag == 6 else "responding_ae_invocation"] = (
                _explicit_int(buf, vs, ve)
            )
        elif cls == _C and tag == 8:
            f["requirements"] = bit_string(buf, vs, ve)
        elif cls == _C and tag == 9:
            f["mechanism_name"] = oid(buf, vs, ve)
        elif cls == _CC and tag == 10:
            f["authenticated"] = True
        elif cls == _C and tag == 29:
            f["implementation_information"] = text(buf, vs, ve)
        elif cls == _CC and tag == 30:
            f["user_information"] = _externals(buf, vs, ve)
    return AssociationResponse(**f)  # type: ignore[arg-type]


def _release_or_abort(buf: bytes, tag: int, s: int, e: int) -> Apdu:
    first: int | None = None
    second: int | None = None
    info: tuple[External, ...] = ()
    for fcls, ftag, vs, ve in elements(buf, s, e):
        if fcls == _C and ftag == 0:
            first = integer(buf, vs, ve)
        elif fcls == _C and ftag == 1 and tag == 4:
            second = integer(buf, vs, ve)
        elif fcls == _CC and ftag == 30:
            info = _externals(buf, vs, ve)
    if tag == 2:
        return ReleaseRequest(first, info)
    if tag == 3:
        return ReleaseResponse(first, info)
    return Abort(first, second, info)


def decode_acse(apdu: bytes) -> Apdu | Anomaly:
    """One ACSE APDU (a whole TLV, as a PDV carries it) -> message."""
    try:
        cls, tag, s, e = header(apdu, 0, len(apdu))
        if e != len(apdu):
            return Anomaly(K.TRAILING_BYTES, f"{len(apdu) - e} bytes after the APDU", e)
        if cls != APPLICATION | CONSTRUCTED or tag > 4:
            return Anomaly(K.UNEXPECTED_TAG, f"ACSE APDU tag 0x{cls:02x}/{tag}", 0)
        if tag == 0:
            return _request(apdu, s, e)
        if tag == 1:
            return _response(apdu, s, e)
        return _release_or_abort(apdu, tag, s, e)
    except BerError as error:
        return error.anomaly()


# --- encoding -------------------------------------------------------------------------------


def _enc_externals(items: tuple[External, ...]) -> bytes:
    body = b""
    for x in items:
        fields = b""
        if x.direct_reference is not None:
            fields += tlv(0, OBJECT_IDENTIFIER, oid_value(x.direct_reference))
        if x.indirect_reference is not None:
            fields += tlv(0, INTEGER, integer_value(x.indirect_reference))
        if x.encoding == 0:
            fields += tlv(_CC, 0, x.data)
        elif x.encoding in (1, 2):
            fields += tlv(_C, x.encoding, x.data)
        else:
            raise ValueError(f"EXTERNAL encoding {x.encoding}")
        body += tlv(CONSTRUCTED, EXTERNAL, fields)
    return tlv(_CC, 30, body)


def _enc_ap_title(tag: int, title: str | None) -> bytes:
    if title is None:
        return b""
    if title.startswith("raw:"):
        return tlv(_CC, tag, bytes.fromhex(title[4:]))
    return tlv(_CC, tag, tlv(0, OBJECT_IDENTIFIER, oid_value(title)))


def _enc_int(tag: int, value: int | None) -> bytes:
    """An explicitly tagged INTEGER ([tag] { INTEGER }), or nothing."""
    if value is None:
        return b""
    return tlv(_CC, tag, tlv(0, INTEGER, integer_value(value)))


def _enc_common_head(version: BitString | None, context: str | None) -> bytes:
    out = b""
    if version is not None:
        out += tlv(_C, 0, bit_string_value(version))
    if context is not None:
        out += tlv(_CC, 1, tlv(0, OBJECT_IDENTIFIER, oid_value(context)))
    return out


def _enc_tail(
    requirements: tuple[int, BitString | None],
    mechanism: tuple[int, str | None],
    authenticated: tuple[int, bool],
    implementation: str | None,
    info: tuple[External, ...],
) -> bytes:
    out = b""
    if requirements[1] is not None:
        out += tlv(_C, requirements[0], bit_string_value(requirements[1]))
    if mechanism[1] is not None:
        out += tlv(_C, mechanism[0], oid_value(mechanism[1]))
    if authenticated[1]:
        out += tlv(_CC, authenticated[0], tlv(_C, 0, b""))  # an empty charstring: no secret
    if implementation is not None:
        out += tlv(_C, 29, implementation.encode("latin-1"))
    if info:
        out += _enc_externals(info)
    return out


def encode_acse(apdu: Apdu) -> bytes:
    """An ACSE message -> the APDU's TLV."""
    if isinstance(apdu, AssociationRequest):
        body = _enc_common_head(apdu.protocol_version, apdu.context_name)
        body += _enc_ap_title(2, apdu.called_ap_title)
        body += _enc_int(3, apdu.called_ae_qualifier)
        body += _enc_int(4, apdu.called_ap_invocation) + _enc_int(5, apdu.called_ae_invocation)
        body += _enc_ap_title(6, apdu.calling_ap_title)
        body += _enc_int(7, apdu.calling_ae_qualifier)
        body += _enc_int(8, apdu.calling_ap_invocation) + _enc_int(9, apdu.calling_ae_invocation)
        body += _enc_tail(
            (10, apdu.requirements),
            (11, apdu.mechanism_name),
            (12, apdu.authenticated),
            apdu.implementation_information,
            apdu.user_information,
        )
        return tlv(APPLICATION | CONSTRUCTED, 0, body)
    if isinstance(apdu, AssociationResponse):
        body = _enc_common_head(apdu.protocol_version, apdu.context_name)
        body += _enc_int(2, apdu.result)
        if apdu.diagnostic_source is not None and apdu.diagnostic is not None:
            if apdu.diagnostic_source not in (1, 2):
                raise ValueError(f"diagnostic source {apdu.diagnostic_source}")
            body += tlv(_CC, 3, _enc_int(apdu.diagnostic_source, apdu.diagnostic))
        body += _enc_ap_title(4, apdu.responding_ap_title)
        body += _enc_int(5, apdu.responding_ae_qualifier)
        body += _enc_int(6, apdu.responding_ap_invocation)
        body += _enc_int(7, apdu.responding_ae_invocation)
        body += _enc_tail(
            (8, apdu.requirements),
            (9, apdu.mechanism_name),
            (10, apdu.authenticated),
            apdu.implementation_information,
            apdu.user_information,
        )
        return tlv(APPLICATION | CONSTRUCTED, 1, body)
    if isinstance(apdu, Abort):
        body = b"" if apdu.source is None else tlv(_C, 0, integer_value(apdu.source))
        if apdu.diagnostic is not None:
            body += tlv(_C, 1, integer_value(apdu.diagnostic))
        if apdu.user_information:
            body += _enc_externals(apdu.user_information)
        return tlv(APPLICATION | CONSTRUCTED, 4, body)
    tag = 2 if isinstance(apdu, ReleaseRequest) else 3
    body = b"" if apdu.reason is None else tlv(_C, 0, integer_value(apdu.reason))
    if apdu.user_information:
        body += _enc_externals(apdu.user_information)
    return tlv(APPLICATION | CONSTRUCTED, tag, body)
