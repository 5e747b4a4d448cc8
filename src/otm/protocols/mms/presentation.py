"""ISO 8823 / X.226 presentation PPDUs (normal mode, BER), as the session layer carries them.

- CP-type (in a session CN): ``SET { mode-selector [0], normal-mode-parameters [2]
  SEQUENCE { protocol-version [0], calling [1] / called [2] presentation selector,
  presentation-context-definition-list [4], presentation-requirements [8],
  user-session-requirements [9], user-data } }``; each context definition is
  ``SEQUENCE { identifier INTEGER, abstract-syntax OID, SEQUENCE OF transfer-syntax OID }``;
- CPA-PPDU (in an AC): the same SET with responding-presentation-selector [3] and
  presentation-context-definition-result-list [5] of ``SEQUENCE { result [0],
  transfer-syntax [1], provider-reason [2] }``;
- CPR-PPDU (in an RF, normal mode: a SEQUENCE), ARU-PPDU ([0], normal mode) and
  ARP-PPDU (a SEQUENCE) in an AB;
- User-data (in DT, FN, DN ...): simply-encoded-data [APPLICATION 0] OCTET STRING or
  fully-encoded-data [APPLICATION 1] SEQUENCE OF PDV-list ``SEQUENCE {
  transfer-syntax OID OPTIONAL, presentation-context-identifier INTEGER,
  single-ASN1-type [0] ANY | octet-aligned [1] OCTET STRING | arbitrary [2] BIT STRING }``.

Elements a decoder does not read (default context, extensions, x.410 mode)
are skipped; encoders write the fields in tag order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, overload

from otm.protocols.common import Anomaly
from otm.protocols.mms.anomalies import MmsAnomaly
from otm.protocols.mms.ber import (
    APPLICATION,
    CONSTRUCTED,
    CONTEXT,
    INTEGER,
    OBJECT_IDENTIFIER,
    SEQUENCE,
    SET,
    BerError,
    BitString,
    bit_string,
    bit_string_value,
    elements,
    expect,
    header,
    integer,
    integer_value,
    oid,
    oid_value,
    only,
    tlv,
)
from otm.protocols.mms.constants import MMS_ABSTRACT_SYNTAX_PREFIX

K = MmsAnomaly

_C = CONTEXT
_CC = CONTEXT | CONSTRUCTED
_SEQ = CONSTRUCTED  # universal constructed

MAX_CONTEXTS = 64
"""Presentation contexts read per CP/CPA.  An MMS association defines two
(ACSE and MMS); a few more occur with other application entities."""

MAX_VALUES = 64
"""PDV-lists read per user data; MMS sends one per PPDU."""

SINGLE_ASN1_TYPE = 0
OCTET_ALIGNED = 1
ARBITRARY = 2


@dataclass(frozen=True, slots=True)
class ContextDefinition:
    """One presentation context a CP proposes."""

    identifier: int
    abstract_syntax: str
    transfer_syntaxes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ContextResult:
    """A CPA's answer to one proposed context (0 acceptance, 1 user, 2 provider rejection)."""

    result: int
    transfer_syntax: str | None = None
    provider_reason: int | None = None


@dataclass(frozen=True, slots=True)
class PresentationValue:
    """One PDV-list: the data of one presentation context.

    ``data`` is the whole TLV of a single-ASN1-type value (an ACSE APDU or an
    MMS PDU), the octets of an octet-aligned value, the bit string value
    (unused-bit count first) of an arbitrary one.
    """

    context_id: int
    data: bytes
    encoding: int = SINGLE_ASN1_TYPE
    transfer_syntax: str | None = None


@dataclass(frozen=True, slots=True)
class UserData:
    """User-data: fully-encoded PDV-lists, or the octets of simply-encoded data."""

    values: tuple[PresentationValue, ...] = ()
    simple: bytes | None = None


@dataclass(frozen=True, slots=True)
class ConnectPresentation:
    """CP-type: the presentation connect request of a session CN."""

    mode: int = 1
    protocol_version: BitString | None = None
    calling_selector: bytes | None = None
    called_selector: bytes | None = None
    contexts: tuple[ContextDefinition, ...] = ()
    requirements: BitString | None = None
    session_requirements: BitString | None = None
    user_data: UserData | None = None

    @property
    def mms_context(self) -> int | None:
        """Identifier of the context whose abstract syntax is MMS, None if none is."""
        for c in self.contexts:
            if c.abstract_syntax.startswith(MMS_ABSTRACT_SYNTAX_PREFIX):
                return c.identifier
        return None


@dataclass(frozen=True, slots=True)
class AcceptPresentation:
    """CPA-PPDU: the presentation connect accept of a session AC."""

    mode: int = 1
    protocol_version: BitString | None = None
    responding_selector: bytes | None = None
    results: tuple[ContextResult, ...] = ()
    requirements: BitString | None = None
    session_requirements: BitString | None = None
    user_data: UserData | None = None


@dataclass(frozen=True, slots=True)
class RefusePresentation:
    """CPR-PPDU in normal mode: the refusal of a session RF."""

    responding_selector: bytes | None = None
    results: tuple[ContextResult, ...] = ()
    provider_reason: int | None = None
    user_data: UserData | None = None


@dataclass(frozen=True, slots=True)
class AbortPresentation:
    """ARU-PPDU (``user`` True: an abort by the user, with its user data) or
    ARP-PPDU (by the provider, with a reason and the event that caused it)."""

    user: bool
    context_ids: tuple[int, ...] = ()
    user_data: UserData | None = None
    provider_reason: int | None = None
    event: int | None = None


Ppdu = ConnectPresentation | AcceptPresentation | RefusePresentation | AbortPresentation | UserData


# --- decoding ---------------------------------------------------------------------------------


def _is_user_data(cls: int, tag: int) -> bool:
    """Simply-encoded-data [APPLICATION 0] or fully-encoded-data [APPLICATION 1]."""
    return cls & 0xC0 == APPLICATION and tag in (0, 1)


def _user_data_at(buf: bytes, cls: int, tag: int, s: int, e: int, at: int) -> UserData:
    if cls == APPLICATION and tag == 0:
        return UserData((), bytes(buf[s:e]))
    if cls != APPLICATION | CONSTRUCTED or tag != 1:
        raise BerError(K.UNEXPECTED_TAG, f"user data tag 0x{cls:02x}/{tag}", at)
    values: list[PresentationValue] = []
    for pcls, ptag, ps, pe in elements(buf, s, e):
        if len(values) >= MAX_VALUES:
            raise BerError(K.BAD_VALUE, f"more than {MAX_VALUES} PDV-lists", ps)
        if pcls != _SEQ or ptag != SEQUENCE:
            raise BerError(K.UNEXPECTED_TAG, "PDV-list is no SEQUENCE", ps)
        values.append(_pdv(buf, ps, pe))
    return UserData(tuple(values))


def _pdv(buf: bytes, s: int, e: int) -> PresentationValue:
    items = elements(buf, s, e)
    i = 0
    syntax = None
    if i < len(items) and items[i][:2] == (0, OBJECT_IDENTIFIER):
        syntax = oid(buf, items[i][2], items[i][3])
        i += 1
    if i >= len(items) or items[i][:2] != (0, INTEGER):
        raise BerError(K.UNEXPECTED_TAG, "PDV-list without a context identifier", s)
    context = integer(buf, items[i][2], items[i][3])
    i += 1
    if i + 1 != len(items):
        raise BerError(K.UNEXPECTED_TAG, "PDV-list without exactly one data value", s)
    cls, tag, vs, ve = items[i]
    if cls == _CC and tag == SINGLE_ASN1_TYPE:
        only(buf, vs, ve, "single-ASN1-type value")
        return PresentationValue(context, bytes(buf[vs:ve]), SINGLE_ASN1_TYPE, syntax)
    if cls == _C and tag in (OCTET_ALIGNED, ARBITRARY):
        return PresentationValue(context, bytes(buf[vs:ve]), tag, syntax)
    raise BerError(K.UNEXPECTED_TAG, f"presentation data value tag 0x{cls:02x}/{tag}", vs)


def _contexts(buf: bytes, s: int, e: int) -> tuple[ContextDefinition, ...]:
    out: list[ContextDefinition] = []
    for cls, tag, cs, ce in elements(buf, s, e):
        if len(out) >= MAX_CONTEXTS:
            raise BerError(K.BAD_VALUE, f"more than {MAX_CONTEXTS} contexts", cs)
        if (cls, tag) != (_SEQ, SEQUENCE):
            raise BerError(K.UNEXPECTED_TAG, "context definition is no SEQUENCE", cs)
        items = elements(buf, cs, ce)
        if (
            len(items) != 3
            or items[0][:2] != (0, INTEGER)
            or items[1][:2] != (0, OBJECT_IDENTIFIER)
        ):
            raise BerError(K.UNEXPECTED_TAG, "context definition fields", cs)
        if items[2][:2] != (_SEQ, SEQUENCE):
            raise BerError(K.UNEXPECTED_TAG, "transfer syntax list is no SEQUENCE", items[2][2])
        syntaxes = []
        for tcls, ttag, ts, te in elements(buf, items[2][2], items[2][3]):
            if (tcls, ttag) != (0, OBJECT_IDENTIFIER):
                raise BerError(K.UNEXPECTED_TAG, "transfer syntax is no OID", ts)
            syntaxes.append(oid(buf, ts, te))
        out.append(
            ContextDefinition(
                integer(buf, items[0][2], items[0][3]),
                oid(buf, items[1][2], items[1][3]),
                tuple(syntaxes),
            )
        )
    return tuple(out)


def _results(buf: bytes, s: int, e: int) -> tuple[ContextResult, ...]:
    out: list[ContextResult] = []
    for cls, tag, rs, re_ in elements(buf, s, e):
        if len(out) >= MAX_CONTEXTS:
            raise BerError(K.BAD_VALUE, f"more than {MAX_CONTEXTS} results", rs)
        if (cls, tag) != (_SEQ, SEQUENCE):
            raise BerError(K.UNEXPECTED_TAG, "context result is no SEQUENCE", rs)
        result: int | None = None
        syntax = None
        reason = None
        for fcls, ftag, fs, fe in elements(buf, rs, re_):
            if fcls != _C:
                continue
            if ftag == 0:
                result = integer(buf, fs, fe)
            elif ftag == 1:
                syntax = oid(buf, fs, fe)
            elif ftag == 2:
                reason = integer(buf, fs, fe)
        if result is None:
            raise BerError(K.UNEXPECTED_TAG, "context result without a result", rs)
        out.append(ContextResult(result, syntax, reason))
    return tuple(out)


def _mode(buf: bytes, s: int, e: int) -> int:
    for cls, tag, ms, me in elements(buf, s, e):
        if (cls, tag) == (_C, 0):
            return integer(buf, ms, me)
    raise BerError(K.UNEXPECTED_TAG, "mode selector without a mode value", s)


@overload
def _connect_or_accept(ppdu: bytes, accept: Literal[False]) -> ConnectPresentation: ...
@overload
def _connect_or_accept(ppdu: bytes, accept: Literal[True]) -> AcceptPresentation: ...
def _connect_or_accept(ppdu: bytes, accept: bool) -> ConnectPresentation | AcceptPresentation:
    end = len(ppdu)
    _, _, s, e = expect(ppdu, 0, end, _SEQ, SET, "CP/CPA")
    if e != end:
        raise BerError(K.TRAILING_BYTES, f"{end - e} bytes after the CP/CPA", e)
    mode: int | None = None
    normal: tuple[int, int] | None = None
    for ecls, etag, es, ee in elements(ppdu, s, e):
        if (ecls, etag) == (_CC, 0):
            mode = _mode(ppdu, es, ee)
        elif (ecls, etag) == (_CC, 2):
            normal = (es, ee)
    if mode is None:
        raise BerError(K.UNEXPECTED_TAG, "CP/CPA without a mode selector", s)
    version = calling = called = responding = None
    requirements = session_requirements = None
    contexts: tuple[ContextDefinition, ...] = ()
    results: tuple[ContextResult, ...] = ()
    user_data = None
    if normal is not None:
        for ecls, etag, es, ee in elements(ppdu, normal[0], normal[1]):
            if ecls == _C and etag == 0:
                version = bit_string(ppdu, es, ee)
            elif ecls == _C and etag == 1:
                calling = bytes(ppdu[es:ee])
            elif ecls == _C and etag == 2:
                called = bytes(ppdu[es:ee])
            elif ecls == _C and etag == 3:
                responding = bytes(ppdu[es:ee])
            elif ecls == _CC and etag == 4:
                contexts = _contexts(ppdu, es, ee)
            elif ecls == _CC and etag == 5:
                results = _results(ppdu, es, ee)
            elif ecls == _C and etag == 8:
                requirements = bit_string(ppdu, es, ee)
            elif ecls == _C and etag == 9:
                session_requirements = bit_string(ppdu, es, ee)
            elif _is_user_data(ecls, etag):
                user_data = _user_data_at(ppdu, ecls, etag, es, ee, es)
    if accept:
        return AcceptPresentation(
            mode, version, responding, results, requirements, session_requirements, user_data
        )
    return ConnectPresentation(
        mode, version, calling, called, contexts, requirements, session_requirements, user_data
    )


def decode_connect(ppdu: bytes) -> ConnectPresentation | Anomaly:
    """CP-type (the user data of a session CN)."""
    try:
        return _connect_or_accept(ppdu, False)
    except BerError as error:
        return error.anomaly()


def decode_accept(ppdu: bytes) -> AcceptPresentation | Anomaly:
    """CPA-PPDU (the user data of a session AC)."""
    try:
        return _connect_or_accept(ppdu, True)
    except BerError as error:
        return error.anomaly()


def _user_data(ppdu: bytes) -> UserData:
    cls, tag, s, e = header(ppdu, 0, len(ppdu))
    if e != len(ppdu):
        raise BerError(K.TRAILING_BYTES, f"{len(ppdu) - e} bytes after the user data", e)
    return _user_data_at(ppdu, cls, tag, s, e, 0)


def decode_user_data(ppdu: bytes) -> UserData | Anomaly:
    """User-data (the PPDU of a DT, FN, DN ...)."""
    try:
        return _user_data(ppdu)
    except BerError as error:
        return error.anomaly()


def _refuse(ppdu: bytes) -> RefusePresentation:
    end = len(ppdu)
    _, _, s, e = expect(ppdu, 0, end, _SEQ, SEQUENCE, "CPR-PPDU (normal mode)")
    if e != end:
        raise BerError(K.TRAILING_BYTES, f"{end - e} bytes after the CPR", e)
    responding = reason = user_data = None
    results: tuple[ContextResult, ...] = ()
    for cls, tag, es, ee in elements(ppdu, s, e):
        if (cls, tag) == (_C, 3):
            responding = bytes(ppdu[es:ee])
        elif (cls, tag) == (_CC, 5):
            results = _results(ppdu, es, ee)
        elif (cls, tag) == (_C, 10):
            reason = integer(ppdu, es, ee)
        elif _is_user_data(cls, tag):
            user_data = _user_data_at(ppdu, cls, tag, es, ee, es)
    return RefusePresentation(responding, results, reason, user_data)


def decode_refuse(ppdu: bytes) -> RefusePresentation | Anomaly:
    """CPR-PPDU in normal mode (the user data of a session RF)."""
    try:
        return _refuse(ppdu)
    except BerError as error:
        return error.anomaly()


def _abort(ppdu: bytes) -> AbortPresentation:
    end = len(ppdu)
    cls, tag, s, e = header(ppdu, 0, end)
    if e != end:
        raise BerError(K.TRAILING_BYTES, f"{end - e} bytes after the abort", e)
    if (cls, tag) == (_CC, 0):
        ids: list[int] = []
        user_data = None
        for ecls, etag, es, ee in elements(ppdu, s, e):
            if (ecls, etag) == (_CC, 0):
                # SEQUENCE OF SEQUENCE { context identifier, transfer syntax }
                for _, _, is_, ie in elements(ppdu, es, ee)[:MAX_CONTEXTS]:
                    icls, itag, vs, ve = header(ppdu, is_, ie)
                    if (icls, itag) == (0, INTEGER):
                        ids.append(integer(ppdu, vs, ve))
            elif _is_user_data(ecls, etag):
                user_data = _user_data_at(ppdu, ecls, etag, es, ee, es)
        return AbortPresentation(True, tuple(ids), user_data)
    if (cls, tag) == (_SEQ, SEQUENCE):
        reason = event = None
        for ecls, etag, es, ee in elements(ppdu, s, e):
            if (ecls, etag) == (_C, 0):
                reason = integer(ppdu, es, ee)
            elif (ecls, etag) == (_C, 1):
                event = integer(ppdu, es, ee)
        return AbortPresentation(False, provider_reason=reason, event=event)
    raise BerError(K.UNEXPECTED_TAG, f"abort PPDU tag 0x{cls:02x}/{tag}", 0)


def decode_abort(ppdu: bytes) -> AbortPresentation | Anomaly:
    """ARU-PPDU (normal mode) or ARP-PPDU (the user data of a session AB)."""
    try:
        return _abort(ppdu)
    except BerError as error:
        return error.anomaly()


def mms_values(user_data: UserData | None) -> tuple[PresentationValue, ...]:
    """The single-ASN1-type values of the user data whose first tag is context-specific.

    Without the CP at hand (a capture that starts mid-association) the
    context identifier does not say which context is MMS; the tag does:
    ACSE APDUs are [APPLICATION 0-4], MMS PDUs context-specific [0]-[13].
    """
    if user_data is None:
        return ()
    return tuple(
        v
        for v in user_data.values
        if v.encoding == SINGLE_ASN1_TYPE and v.data and v.data[0] & 0xC0 == CONTEXT
    )


def acse_values(user_data: UserData | None) -> tuple[PresentationValue, ...]:
    """The single-ASN1-type values of the user data that are APPLICATION-class (ACSE)."""
    if user_data is None:
        return ()
    return tuple(
        v
        for v in user_data.values
        if v.encoding == SINGLE_ASN1_TYPE and v.data and v.data[0] & 0xC0 == APPLICATION
    )


# --- encoding ------------------------------------------------------------------------------


def encode_user_data(user_data: UserData) -> bytes:
    """User-data -> bytes (simply-encoded when ``simple`` is set)."""
    if user_data.simple is not None:
        return tlv(APPLICATION, 0, user_data.simple)
    body = b""
    for v in user_data.values:
        fields = b""
        if v.transfer_syntax is not None:
            fields += tlv(0, OBJECT_IDENTIFIER, oid_value(v.transfer_syntax))
        fields += tlv(0, INTEGER, integer_value(v.context_id))
        if v.encoding == SINGLE_ASN1_TYPE:
            fields += tlv(_CC, 0, v.data)
        elif v.encoding in (OCTET_ALIGNED, ARBITRARY):
            fields += tlv(_C, v.encoding, v.data)
        else:
            raise ValueError(f"presentation data encoding {v.encoding}")
        body += tlv(_SEQ, SEQUENCE, fields)
    return tlv(APPLICATION | CONSTRUCTED, 1, body)


def _encode_results(results: tuple[ContextResult, ...]) -> bytes:
    body = b""
    for r in results:
        fields = tlv(_C, 0, integer_value(r.result))
        if r.transfer_syntax is not None:
            fields += tlv(_C, 1, oid_value(r.transfer_syntax))
        if r.provider_reason is not None:
            fields += tlv(_C, 2, integer_value(r.provider_reason))
        body += tlv(_SEQ, SEQUENCE, fields)
    return body


def _encode_connect(p: ConnectPresentation | AcceptPresentation) -> bytes:
    normal = b""
    if p.protocol_version is not None:
        normal += tlv(_C, 0, bit_string_value(p.protocol_version))
    if isinstance(p, ConnectPresentation):
        if p.calling_selector is not None:
            normal += tlv(_C, 1, p.calling_selector)
        if p.called_selector is not None:
            normal += tlv(_C, 2, p.called_selector)
        if p.contexts:
            body = b""
            for c in p.contexts:
                syntaxes = b"".join(
                    tlv(0, OBJECT_IDENTIFIER, oid_value(t)) for t in c.transfer_syntaxes
                )
                body += tlv(
                    _SEQ,
                    SEQUENCE,
                    tlv(0, INTEGER, integer_value(c.identifier))
                    + tlv(0, OBJECT_IDENTIFIER, oid_value(c.abstract_syntax))
                    + tlv(_SEQ, SEQUENCE, syntaxes),
                )
            normal += tlv(_CC, 4, body)
    else:
        if p.responding_selector is not None:
            normal += tlv(_C, 3, p.responding_selector)
        if p.results:
            normal += tlv(_CC, 5, _encode_results(p.results))
    if p.requirements is not None:
        normal += tlv(_C, 8, bit_string_value(p.requirements))
    if p.session_requirements is not None:
        normal += tlv(_C, 9, bit_string_value(p.session_requirements))
    if p.user_data is not None:
        normal += encode_user_data(p.user_data)
    mode = tlv(_CC, 0, tlv(_C, 0, integer_value(p.mode)))
    return tlv(_SEQ, SET, mode + tlv(_CC, 2, normal))


def encode_connect(p: ConnectPresentation) -> bytes:
    """CP-type -> bytes."""
    return _encode_connect(p)


def encode_accept(p: AcceptPresentation) -> bytes:
    """CPA-PPDU -> bytes."""
    return _encode_connect(p)


def encode_refuse(p: RefusePresentation) -> bytes:
    """CPR-PPDU (normal mode) -> bytes."""
    body = b""
    if p.responding_selector is not None:
        body += tlv(_C, 3, p.responding_selector)
    if p.results:
        body += tlv(_CC, 5, _encode_results(p.results))
    if p.provider_reason is not None:
        body += tlv(_C, 10, integer_value(p.provider_reason))
    if p.user_data is not None:
        body += encode_user_data(p.user_data)
    return tlv(_SEQ, SEQUENCE, body)


def encode_abort(p: AbortPresentation) -> bytes:
    """ARU-PPDU (normal mode) or ARP-PPDU -> bytes."""
    if p.user:
        body = b""
        if p.context_ids:
            body += tlv(
                _CC,
                0,
                b"".join(
                    tlv(_SEQ, SEQUENCE, tlv(0, INTEGER, integer_value(i))) for i in p.context_ids
                ),
            )
        if p.user_data is not None:
            body += encode_user_data(p.user_data)
        return tlv(_CC, 0, body)
    body = b""
    if p.provider_reason is not None:
        body += tlv(_C, 0, integer_value(p.provider_reason))
    if p.event is not None:
        body += tlv(_C, 1, integer_value(p.event))
    return tlv(_SEQ, SEQUENCE, body)


__all__ = [
    "ARBITRARY",
    "OCTET_ALIGNED",
    "SINGLE_ASN1_TYPE",
    "AbortPresentation",
    "AcceptPresentation",
    "ConnectPresentation",
    "ContextDefinition",
    "ContextResult",
    "Ppdu",
    "PresentationValue",
    "RefusePresentation",
    "UserData",
    "acse_values",
    "decode_abort",
    "decode_accept",
    "decode_connect",
    "decode_refuse",
    "decode_user_data",
    "encode_abort",
    "encode_accept",
    "encode_connect",
    "encode_refuse",
    "encode_user_data",
    "mms_values",
]
