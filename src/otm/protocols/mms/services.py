"""The parameters of the MMS services otm reads, decoded from a PDU's raw ``body`` on demand.

- Identify-Response ``{ vendorName [0], modelName [1], revision [2],
  listOfAbstractSyntaxes [3] OPTIONAL }`` (VisibleStrings, OIDs);
- GetNameList-Request / -Response (the logical devices of an IEC 61850
  server are the domains a ``get_name_list`` of class domain lists);
- the object names of read, write, get variable access attributes, get /
  define / delete named variable list requests and information reports
  (``ObjectName ::= CHOICE { vmd-specific [0], domain-specific [1] SEQUENCE
  { domainId, itemId }, aa-specific [2] }``).

Builders return whole messages for the requests a read-only scanner sends
(identify, status, get name list, get capability list, read, get variable
access / named variable list attributes) and the responses tests need.
"""

from __future__ import annotations

from otm.protocols.common import Anomaly
from otm.protocols.mms.anomalies import MmsAnomaly
from otm.protocols.mms.ber import (
    CONSTRUCTED,
    CONTEXT,
    OBJECT_IDENTIFIER,
    SEQUENCE,
    VISIBLE_STRING,
    BerError,
    boolean,
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
from otm.protocols.mms.messages import (
    ConfirmedRequest,
    ConfirmedResponse,
    GetNameListRequest,
    GetNameListResponse,
    IdentifyResponse,
    ObjectName,
    Unconfirmed,
)

K = MmsAnomaly

_C = CONTEXT
_CC = CONTEXT | CONSTRUCTED
_SEQ = CONSTRUCTED

STATUS = 0
GET_NAME_LIST = 1
IDENTIFY = 2
READ = 4
WRITE = 5
GET_VARIABLE_ACCESS_ATTRIBUTES = 6
DEFINE_NAMED_VARIABLE_LIST = 11
GET_NAMED_VARIABLE_LIST_ATTRIBUTES = 12
DELETE_NAMED_VARIABLE_LIST = 13
GET_CAPABILITY_LIST = 71
INFORMATION_REPORT = 0

MAX_NAMES = 1024
"""Names read from one PDU.  A get name list answer fits the PDU size
(about 1,000 short identifiers in 32 KB); a read asks for far fewer."""

NAMED_REQUESTS = frozenset(
    (
        READ,
        WRITE,
        GET_VARIABLE_ACCESS_ATTRIBUTES,
        DEFINE_NAMED_VARIABLE_LIST,
        GET_NAMED_VARIABLE_LIST_ATTRIBUTES,
        DELETE_NAMED_VARIABLE_LIST,
    )
)
"""Confirmed services whose request names the variables or lists it acts on."""


def _visible(buf: bytes, s: int, e: int, what: str) -> str:
    cls, tag, vs, ve = header(buf, s, e)
    if (cls, tag) != (0, VISIBLE_STRING):
        raise BerError(K.UNEXPECTED_TAG, f"{what} is no VisibleString", s)
    return text(buf, vs, ve)


def _object_name(buf: bytes, cls: int, tag: int, s: int, e: int) -> ObjectName:
    """The ObjectName whose own TLV (the CHOICE alternative) is ``cls``/``tag``, value ``s:e``."""
    if cls == _C and tag in (0, 2):
        return ObjectName(text(buf, s, e), None, tag)
    if (cls, tag) == (_CC, 1):
        items = elements(buf, s, e)
        if len(items) != 2 or any(i[:2] != (0, VISIBLE_STRING) for i in items):
            raise BerError(K.UNEXPECTED_TAG, "domain-specific name is not two identifiers", s)
        return ObjectName(
            text(buf, items[1][2], items[1][3]), text(buf, items[0][2], items[0][3]), 1
        )
    raise BerError(K.UNEXPECTED_TAG, f"object name tag 0x{cls:02x}/{tag}", s)


def _explicit_name(buf: bytes, s: int, e: int) -> ObjectName:
    cls, tag, vs, ve = only(buf, s, e, "object name")
    return _object_name(buf, cls, tag, vs, ve)


def _access_specification(buf: bytes, cls: int, tag: int, s: int, e: int) -> list[ObjectName]:
    """VariableAccessSpecification: listOfVariable [0] or variableListName [1]."""
    if (cls, tag) == (_CC, 1):
        return [_explicit_name(buf, s, e)]
    if (cls, tag) != (_CC, 0):
        raise BerError(K.UNEXPECTED_TAG, f"variable access specification 0x{cls:02x}/{tag}", s)
    names = []
    for vcls, vtag, vs, ve in elements(buf, s, e)[:MAX_NAMES]:
        if (vcls, vtag) != (_SEQ, SEQUENCE):
            raise BerError(K.UNEXPECTED_TAG, "listOfVariable item is no SEQUENCE", vs)
        items = elements(buf, vs, ve)
        if items and items[0][:2] == (_CC, 0):  # variableSpecification: name [0]
            names.append(_explicit_name(buf, items[0][2], items[0][3]))
    return names


def object_names(
    service: int, body: bytes, unconfirmed: bool = False
) -> tuple[ObjectName, ...] | Anomaly:
    """The variables or variable lists a request (or an information report) names.

    Empty for services that name none (or by address).
    """
    try:
        end = len(body)
        if unconfirmed:
            if service != INFORMATION_REPORT or not body:
                return ()
            cls, tag, s, e = header(body, 0, end)
            return tuple(_access_specification(body, cls, tag, s, e))
        if service not in NAMED_REQUESTS:
            return ()
        if service == READ:
            for cls, tag, s, e in elements(body, 0, end):
                if (cls, tag) == (_CC, 1):
                    ic, it, i_s, ie = only(body, s, e, "variable access specification")
                    return tuple(_access_specification(body, ic, it, i_s, ie))
            return ()
        if service == WRITE:
            items = elements(body, 0, end)
            if not items:
                return ()
            return tuple(_access_specification(body, *items[0]))
        if service == GET_VARIABLE_ACCESS_ATTRIBUTES:
            # the service element is explicit: body holds the CHOICE { name [0] | address [1] }
            cls, tag, s, e = only(body, 0, end, "get variable access attributes")
            return (_explicit_name(body, s, e),) if (cls, tag) == (_CC, 0) else ()
        if service == GET_NAMED_VARIABLE_LIST_ATTRIBUTES:
            cls, tag, s, e = only(body, 0, end, "variable list name")
            return (_object_name(body, cls, tag, s, e),)
        if service == DEFINE_NAMED_VARIABLE_LIST:
            items = elements(body, 0, end)
            return (_object_name(body, *items[0]),) if items else ()
        # delete named variable list: listOfVariableListName [1] SEQUENCE OF ObjectName
        for cls, tag, s, e in elements(body, 0, end):
            if (cls, tag) == (_CC, 1):
                return tuple(_object_name(body, *h) for h in elements(body, s, e)[:MAX_NAMES])
        return ()
    except BerError as error:
        return error.anomaly()


def identify_response(body: bytes) -> IdentifyResponse | Anomaly:
    """The Identify-Response in a confirmed response's body."""
    try:
        fields: dict[int, str] = {}
        syntaxes: list[str] = []
        for cls, tag, s, e in elements(body, 0, len(body)):
            if cls == _C and tag in (0, 1, 2):
                fields[tag] = text(body, s, e)
            elif (cls, tag) == (_CC, 3):
                for ocls, otag, os_, oe in elements(body, s, e)[:MAX_NAMES]:
                    if (ocls, otag) == (0, OBJECT_IDENTIFIER):
                        syntaxes.append(oid(body, os_, oe))
        if len(fields) != 3:
            return Anomaly(K.UNEXPECTED_TAG, "identify response without vendor, model, revision")
        return IdentifyResponse(fields[0], fields[1], fields[2], tuple(syntaxes))
    except BerError as error:
        return error.anomaly()


def get_name_list_request(body: bytes) -> GetNameListRequest | Anomaly:
    """The GetNameList-Request in a confirmed request's body."""
    try:
        object_class: int | None = None
        cs = False
        scope: int | None = None
        domain = continue_after = None
        for cls, tag, s, e in elements(body, 0, len(body)):
            if (cls, tag) == (_CC, 0):
                ccls, ctag, cs_, ce = only(body, s, e, "object class")
                if ccls != _C or ctag not in (0, 1):
                    raise BerError(K.UNEXPECTED_TAG, "object class is no INTEGER choice", s)
                object_class, cs = integer(body, cs_, ce), ctag == 1
            elif (cls, tag) == (_CC, 1):
                scls, scope, ss, se = only(body, s, e, "object scope")
                if scls != _C:
                    raise BerError(K.UNEXPECTED_TAG, "object scope is not primitive", s)
                if scope == 1:
                    domain = text(body, ss, se)
            elif (cls, tag) == (_C, 2):
                continue_after = text(body, s, e)
        if object_class is None or scope is None:
            return Anomaly(K.UNEXPECTED_TAG, "get name list request without class or scope")
        return GetNameListRequest(object_class, scope, domain, continue_after, cs)
    except BerError as error:
        return error.anomaly()


def get_name_list_response(body: bytes) -> GetNameListResponse | Anomaly:
    """The GetNameList-Response in a confirmed response's body."""
    try:
        names: list[str] = []
        more = True
        seen = False
        for cls, tag, s, e in elements(body, 0, len(body)):
            if (cls, tag) == (_CC, 0):
                seen = True
                for ncls, ntag, ns, ne in elements(body, s, e)[:MAX_NAMES]:
                    if (ncls, ntag) != (0, VISIBLE_STRING):
                        raise BerError(K.UNEXPECTED_TAG, "identifier is no VisibleString", ns)
                    names.append(text(body, ns, ne))
            elif (cls, tag) == (_C, 1):
                more = boolean(body, s, e)
        if not seen:
            return Anomaly(K.UNEXPECTED_TAG, "get name list response without a list")
        return GetNameListResponse(tuple(names), more)
    except BerError as error:
        return error.anomaly()


# --- builders ---------------------------------------------------------------------------------


def _vis(value: str) -> bytes:
    return tlv(0, VISIBLE_STRING, value.encode("latin-1"))


def encode_object_name(name: ObjectName) -> bytes:
    """The ObjectName CHOICE TLV."""
    if name.scope == 1:
        return tlv(_CC, 1, _vis(name.domain or "") + _vis(name.item))
    if name.scope not in (0, 2):
        raise ValueError(f"object name scope {name.scope}")
    return tlv(_C, name.scope, name.item.encode("latin-1"))


def _list_of_variable(names: tuple[ObjectName, ...]) -> bytes:
    return tlv(
        _CC,
        0,
        b"".join(tlv(_SEQ, SEQUENCE, tlv(_CC, 0, encode_object_name(n))) for n in names),
    )


def identify_request(invoke_id: int) -> ConfirmedRequest:
    """Identify (read-only): ``[2] IMPLICIT NULL``."""
    return ConfirmedRequest(invoke_id, IDENTIFY, b"", False)


def status_request(invoke_id: int, extended: bool = False) -> ConfirmedRequest:
    """Status (read-only): ``[0] IMPLICIT BOOLEAN`` (extended derivation)."""
    return ConfirmedRequest(invoke_id, STATUS, b"\xff" if extended else b"\x00", False)


def get_capability_list_request(
    invoke_id: int, continue_after: str | None = None
) -> ConfirmedRequest:
    """GetCapabilityList (read-only): ``[71] SEQUENCE { continueAfter OPTIONAL }``."""
    body = b"" if continue_after is None else _vis(continue_after)
    return ConfirmedRequest(invoke_id, GET_CAPABILITY_LIST, body, True)


def get_name_list(invoke_id: int, request: GetNameListRequest) -> ConfirmedRequest:
    """GetNameList (read-only) of ``request``."""
    body = tlv(_CC, 0, tlv(_C, 1 if request.cs_class else 0, integer_value(request.object_class)))
    scope_value = (request.domain or "").encode("latin-1") if request.scope == 1 else b""
    body += tlv(_CC, 1, tlv(_C, request.scope, scope_value))
    if request.continue_after is not None:
        body += tlv(_C, 2, request.continue_after.encode("latin-1"))
    return ConfirmedRequest(invoke_id, GET_NAME_LIST, body, True)


def read_request(invoke_id: int, names: tuple[ObjectName, ...]) -> ConfirmedRequest:
    """Read (read-only) of named variables: ``[4] { variableAccessSpecification [1] }``."""
    return ConfirmedRequest(invoke_id, READ, tlv(_CC, 1, _list_of_variable(names)), True)


def get_variable_access_attributes_request(invoke_id: int, name: ObjectName) -> ConfirmedRequest:
    """GetVariableAccessAttributes (read-only) by name: ``[6] { name [0] ObjectName }``."""
    body = tlv(_CC, 0, encode_object_name(name))
    return ConfirmedRequest(invoke_id, GET_VARIABLE_ACCESS_ATTRIBUTES, body, True)


def get_named_variable_list_attributes_request(
    invoke_id: int, name: ObjectName
) -> ConfirmedRequest:
    """GetNamedVariableListAttributes (read-only): ``[12] ObjectName``."""
    return ConfirmedRequest(
        invoke_id, GET_NAMED_VARIABLE_LIST_ATTRIBUTES, encode_object_name(name), True
    )


def identify_response_message(invoke_id: int, identity: IdentifyResponse) -> ConfirmedResponse:
    """An Identify response (for tests and simulators)."""
    body = tlv(_C, 0, identity.vendor.encode("latin-1"))
    body += tlv(_C, 1, identity.model.encode("latin-1"))
    body += tlv(_C, 2, identity.revision.encode("latin-1"))
    if identity.abstract_syntaxes:
        body += tlv(
            _CC,
            3,
            b"".join(tlv(0, OBJECT_IDENTIFIER, oid_value(o)) for o in identity.abstract_syntaxes),
        )
    return ConfirmedResponse(invoke_id, IDENTIFY, body, True)


def get_name_list_response_message(
    invoke_id: int, response: GetNameListResponse
) -> ConfirmedResponse:
    """A GetNameList response (``moreFollows`` written only when false)."""
    body = tlv(_CC, 0, b"".join(_vis(n) for n in response.identifiers))
    if not response.more_follows:
        body += tlv(_C, 1, b"\x00")
    return ConfirmedResponse(invoke_id, GET_NAME_LIST, body, True)


def information_report(
    names: tuple[ObjectName, ...] | ObjectName, results: bytes = b""
) -> Unconfirmed:
    """An information report of a named variable list (one ObjectName) or of
    variables (a tuple); ``results`` is the raw value of listOfAccessResult."""
    if isinstance(names, ObjectName):
        spec = tlv(_CC, 1, encode_object_name(names))
    else:
        spec = _list_of_variable(names)
    return Unconfirmed(INFORMATION_REPORT, spec + tlv(_CC, 0, results), True)
