"""Hypothesis strategies: every ISO-on-TCP/MMS message of otm's codec, in canonical form.

Canonical means what the decoders return: a message built here encodes to
bytes that decode to an equal message (session parameter groups carry the
encoding of their children, presentation values hold whole TLVs ...).
"""

from __future__ import annotations

from hypothesis import strategies as st

from otm.protocols.mms import (
    Abort,
    AbortPresentation,
    AcceptPresentation,
    AssociationRequest,
    AssociationResponse,
    BitString,
    CancelError,
    CancelRequest,
    CancelResponse,
    ConcludeError,
    ConcludeRequest,
    ConcludeResponse,
    ConfirmedError,
    ConfirmedRequest,
    ConfirmedResponse,
    ConnectPresentation,
    ContextDefinition,
    ContextResult,
    CotpConnect,
    CotpData,
    CotpDisconnect,
    External,
    GetNameListRequest,
    GetNameListResponse,
    IdentifyResponse,
    InitiateError,
    InitiateRequest,
    InitiateResponse,
    MmsPdu,
    ObjectName,
    Parameter,
    PresentationValue,
    RefusePresentation,
    Reject,
    ReleaseRequest,
    ReleaseResponse,
    ServiceError,
    SessionPdu,
    Spdu,
    Unconfirmed,
    UserData,
)
from otm.protocols.mms.ber import CONSTRUCTED, CONTEXT, tlv
from otm.protocols.mms.constants import (
    PARAMETER_GROUPS,
    SPDU_TYPES,
    TOKEN_SPDUS,
    USER_INFORMATION_SPDUS,
)
from otm.protocols.mms.session import group

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)
i32 = st.integers(-(2**31), 2**31 - 1)
small_bytes = st.binary(max_size=40)
text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=24)


@st.composite
def oids(draw: st.DrawFn) -> str:
    first = draw(st.integers(0, 2))
    second = draw(st.integers(0, 39 if first < 2 else 2000))
    rest = draw(st.lists(st.integers(0, 2**32), max_size=6))
    return ".".join(str(a) for a in [first, second, *rest])


@st.composite
def bit_strings(draw: st.DrawFn) -> BitString:
    data = draw(st.binary(max_size=12))
    unused = draw(st.integers(0, 7)) if data else 0
    return BitString(unused, data)


@st.composite
def tlvs(draw: st.DrawFn, context_only: bool = False) -> bytes:
    """One BER TLV (a primitive or a constructed of primitives)."""
    if context_only:
        cls = draw(st.sampled_from((CONTEXT, CONTEXT | CONSTRUCTED)))
    else:
        cls = draw(st.sampled_from((0, CONTEXT, 0x40, CONSTRUCTED, CONTEXT | CONSTRUCTED)))
    tag = draw(st.integers(0, 100))
    if cls & CONSTRUCTED:
        inner = b"".join(draw(st.lists(st.builds(lambda v: tlv(CONTEXT, 1, v), small_bytes))))
        return tlv(cls, tag, inner)
    return tlv(cls, tag, draw(small_bytes))


# --- COTP ---------------------------------------------------------------------------------


@st.composite
def cotp_pdus(draw: st.DrawFn) -> CotpConnect | CotpData | CotpDisconnect:
    kind = draw(st.integers(0, 2))
    params = tuple(draw(st.lists(st.tuples(u8, st.binary(max_size=8)), max_size=4).map(tuple)))
    if kind == 0:
        return CotpData(draw(st.booleans()), draw(st.integers(0, 127)), draw(small_bytes))
    if kind == 1:
        code = draw(st.sampled_from((0xE0, 0xD0)))
        return CotpConnect(code, draw(st.integers(0, 15)), draw(u16), draw(u16), draw(u8), params)
    code = draw(st.sampled_from((0x80, 0xC0)))
    return CotpDisconnect(code, draw(u16), draw(u16), draw(u8) if code == 0x80 else 0, params)


# --- session ------------------------------------------------------------------------------


@st.composite
def parameters(draw: st.DrawFn) -> tuple[Parameter, ...]:
    out = []
    for _ in range(draw(st.integers(0, 4))):
        code = draw(u8)
        if code in PARAMETER_GROUPS:
            children = tuple(
                Parameter(c, v)
                for c, v in draw(st.lists(st.tuples(u8, st.binary(max_size=300)), max_size=3))
            )
            out.append(group(code, children))
        else:
            out.append(Parameter(code, draw(st.binary(max_size=300))))
    return tuple(out)


@st.composite
def session_pdus(draw: st.DrawFn) -> SessionPdu:
    form = draw(st.integers(0, 3))
    if form == 0:  # token + data transfer + user information
        token = Spdu(draw(st.sampled_from(sorted(TOKEN_SPDUS))), draw(parameters()))
        return SessionPdu((token, Spdu(1, draw(parameters()))), draw(st.binary(max_size=60)))
    if form == 1:  # a lone token SPDU
        return SessionPdu((Spdu(draw(st.sampled_from(sorted(TOKEN_SPDUS))), draw(parameters())),))
    if form == 2:  # expedited / typed data with user information
        si = draw(st.sampled_from(sorted(USER_INFORMATION_SPDUS - {1})))
        return SessionPdu((Spdu(si, draw(parameters())),), draw(st.binary(max_size=60)))
    si = draw(st.sampled_from(sorted(SPDU_TYPES - TOKEN_SPDUS - USER_INFORMATION_SPDUS)))
    return SessionPdu((Spdu(si, draw(parameters())),))


# --- presentation -------------------------------------------------------------------------


@st.composite
def presentation_values(draw: st.DrawFn) -> PresentationValue:
    encoding = draw(st.integers(0, 2))
    syntax = draw(st.none() | oids())
    if encoding == 0:
        data = draw(tlvs())
    elif encoding == 1:
        data = draw(small_bytes)
    else:
        bits = draw(bit_strings())
        data = bytes((bits.unused,)) + bits.data
    return PresentationValue(draw(i32), data, encoding, syntax)


@st.composite
def user_data(draw: st.DrawFn) -> UserData:
    if draw(st.booleans()):
        return UserData((), draw(small_bytes))
    return UserData(tuple(draw(st.lists(presentation_values(), max_size=3))))


opt = st.none


@st.composite
def ppdus(
    draw: st.DrawFn,
) -> ConnectPresentation | AcceptPresentation | RefusePresentation | AbortPresentation | UserData:
    kind = draw(st.integers(0, 5))
    ud = draw(opt() | user_data())
    if kind == 0:
        contexts = tuple(
            draw(
                st.lists(
                    st.builds(
                        ContextDefinition, i32, oids(), st.lists(oids(), max_size=3).map(tuple)
                    ),
                    max_size=3,
                )
            )
        )
        return ConnectPresentation(
            draw(i32),
            draw(opt() | bit_strings()),
            draw(opt() | small_bytes),
            draw(opt() | small_bytes),
            contexts,
            draw(opt() | bit_strings()),
            draw(opt() | bit_strings()),
            ud,
        )
    results = tuple(
        draw(
            st.lists(
                st.builds(ContextResult, i32, opt() | oids(), opt() | i32),
                max_size=3,
            )
        )
    )
    if kind == 1:
        return AcceptPresentation(
            draw(i32),
            draw(opt() | bit_strings()),
            draw(opt() | small_bytes),
            results,
            draw(opt() | bit_strings()),
            draw(opt() | bit_strings()),
            ud,
        )
    if kind == 2:
        return RefusePresentation(draw(opt() | small_bytes), results, draw(opt() | i32), ud)
    if kind == 3:
        ids = tuple(draw(st.lists(i32, max_size=3)))
        return AbortPresentation(True, ids, ud)
    if kind == 4:
        return AbortPresentation(False, provider_reason=draw(opt() | i32), event=draw(opt() | i32))
    return draw(user_data())


# --- ACSE ----------------------------------------------------------------------------------


@st.composite
def externals(draw: st.DrawFn) -> External:
    encoding = draw(st.integers(0, 2))
    data = draw(tlvs()) if encoding == 0 else draw(small_bytes)
    if encoding == 2:
        bits = draw(bit_strings())
        data = bytes((bits.unused,)) + bits.data
    return External(data, encoding, draw(opt() | oids()), draw(opt() | i32))


ap_titles = opt() | oids()
infos = st.lists(externals(), max_size=2).map(tuple)


@st.composite
def apdus(
    draw: st.DrawFn,
) -> AssociationRequest | AssociationResponse | ReleaseRequest | ReleaseResponse | Abort:
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return AssociationRequest(
            draw(opt() | oids()),
            draw(opt() | bit_strings()),
            draw(ap_titles),
            draw(opt() | i32),
            draw(opt() | i32),
            draw(opt() | i32),
            draw(ap_titles),
            draw(opt() | i32),
            draw(opt() | i32),
            draw(opt() | i32),
            draw(opt() | bit_strings()),
            draw(opt() | oids()),
            draw(st.booleans()),
            draw(opt() | text),
            draw(infos),
        )
    if kind == 1:
        has_diagnostic = draw(st.booleans())
        return AssociationResponse(
            draw(opt() | oids()),
            draw(opt() | i32),
            draw(st.sampled_from((1, 2))) if has_diagnostic else None,
            draw(i32) if has_diagnostic else None,
            draw(opt() | bit_strings()),
            draw(ap_titles),
            draw(opt() | i32),
            draw(opt() | i32),
            draw(opt() | i32),
            draw(opt() | bit_strings()),
            draw(opt() | oids()),
            draw(st.booleans()),
            draw(opt() | text),
            draw(infos),
        )
    if kind == 2:
        return ReleaseRequest(draw(opt() | i32), draw(infos))
    if kind == 3:
        return ReleaseResponse(draw(opt() | i32), draw(infos))
    return Abort(draw(opt() | i32), draw(opt() | i32), draw(infos))


# --- MMS -----------------------------------------------------------------------------------


service_errors = st.builds(ServiceError, st.integers(0, 30), i32, opt() | i32, opt() | text)


@st.composite
def services(draw: st.DrawFn) -> tuple[int, bytes, bool]:
    """(tag, body, constructed): a constructed body is a list of TLVs."""
    constructed = draw(st.booleans())
    body = b"".join(draw(st.lists(tlvs(), max_size=3))) if constructed else draw(small_bytes)
    return draw(st.integers(0, 100)), body, constructed


extensions = st.lists(
    st.builds(lambda v: tlv(CONTEXT | CONSTRUCTED, 79, v), small_bytes), max_size=1
).map(b"".join)


@st.composite
def mms_pdus(draw: st.DrawFn) -> MmsPdu:
    kind = draw(st.integers(0, 13))
    if kind in (0, 1):
        service, body, constructed = draw(services())
        if kind == 0:
            modifiers = draw(opt() | st.lists(tlvs(), max_size=2).map(b"".join))
            return ConfirmedRequest(
                draw(u32), service, body, constructed, modifiers, draw(extensions)
            )
        return ConfirmedResponse(draw(u32), service, body, constructed, draw(extensions))
    if kind == 2:
        return ConfirmedError(draw(u32), draw(service_errors), draw(opt() | u32))
    if kind == 3:
        service, body, constructed = draw(services())
        return Unconfirmed(service, body, constructed, draw(extensions))
    if kind == 4:
        return Reject(draw(st.integers(1, 11)), draw(i32), draw(opt() | u32))
    if kind == 5:
        return CancelRequest(draw(u32))
    if kind == 6:
        return CancelResponse(draw(u32))
    if kind == 7:
        return CancelError(draw(u32), draw(service_errors))
    if kind in (8, 9):
        cls = InitiateRequest if kind == 8 else InitiateResponse
        return cls(
            draw(i32),
            draw(i32),
            draw(opt() | i32),
            draw(opt() | i32),
            draw(opt() | i32),
            draw(opt() | bit_strings()),
            draw(opt() | bit_strings()),
        )
    if kind == 10:
        return InitiateError(draw(service_errors))
    if kind == 11:
        return ConcludeRequest()
    if kind == 12:
        return ConcludeResponse()
    return ConcludeError(draw(service_errors))


identifiers = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=32
)


@st.composite
def object_names(draw: st.DrawFn) -> ObjectName:
    scope = draw(st.integers(0, 2))
    return ObjectName(draw(identifiers), draw(identifiers) if scope == 1 else None, scope)


get_name_list_requests = st.builds(
    GetNameListRequest,
    st.integers(0, 13),
    st.integers(0, 2),
    st.none(),
    opt() | identifiers,
    st.booleans(),
).map(
    lambda r: GetNameListRequest(
        r.object_class, r.scope, "LD0" if r.scope == 1 else None, r.continue_after, r.cs_class
    )
)

get_name_list_responses = st.builds(
    GetNameListResponse, st.lists(identifiers, max_size=8).map(tuple), st.booleans()
)

identify_responses = st.builds(
    IdentifyResponse, text, text, text, st.lists(oids(), max_size=3).map(tuple)
)
