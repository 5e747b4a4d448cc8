"""MMS PDUs (ISO 9506-2 ``MMSpdu``), one frozen dataclass per PDU kind, fields in wire order.

A confirmed service's own parameters stay raw in ``body`` (the value octets
of the service element, whose tag is ``service``); ``services`` decodes the
ones otm reads (identify, get name list, object names) on demand, so a
read response full of data costs no more than its header.
"""

from __future__ import annotations

from dataclasses import dataclass

from otm.protocols.mms.ber import BitString
from otm.protocols.mms.constants import (
    error_class_name,
    reject_reason_name,
    service_category,
    service_name,
    unconfirmed_category,
    unconfirmed_name,
)


@dataclass(frozen=True, slots=True)
class ServiceError:
    """``ServiceError { errorClass [0] CHOICE { vmd-state [0] ... others [12] } INTEGER,
    additionalCode [1], additionalDescription [2], serviceSpecificInformation [3] }``;
    the last is not kept."""

    error_class: int
    code: int
    additional_code: int | None = None
    additional_description: str | None = None

    @property
    def class_name(self) -> str:
        return error_class_name(self.error_class)


@dataclass(frozen=True, slots=True)
class ConfirmedRequest:
    """``[0] SEQUENCE { invokeID Unsigned32, listOfModifier SEQUENCE OF Modifier OPTIONAL,
    service ConfirmedServiceRequest, ... }``.

    ``body`` is the value of the service element [service], ``constructed`` its
    form (Identify-Request is a primitive NULL, Read-Request a SEQUENCE);
    ``modifiers`` the value of listOfModifier; ``extension`` the raw TLVs after
    the service (a [79] request detail).
    """

    invoke_id: int
    service: int
    body: bytes = b""
    constructed: bool = True
    modifiers: bytes | None = None
    extension: bytes = b""

    @property
    def name(self) -> str:
        return service_name(self.service)

    @property
    def category(self) -> str:
        return service_category(self.service)


@dataclass(frozen=True, slots=True)
class ConfirmedResponse:
    """``[1] SEQUENCE { invokeID Unsigned32, service ConfirmedServiceResponse, ... }``."""

    invoke_id: int
    service: int
    body: bytes = b""
    constructed: bool = True
    extension: bytes = b""

    @property
    def name(self) -> str:
        return service_name(self.service)


@dataclass(frozen=True, slots=True)
class ConfirmedError:
    """``[2] SEQUENCE { invokeID [0], modifierPosition [1] OPTIONAL, serviceError [2] }``."""

    invoke_id: int
    error: ServiceError
    modifier_position: int | None = None


@dataclass(frozen=True, slots=True)
class Unconfirmed:
    """``[3] SEQUENCE { service UnconfirmedService, ... }`` (information report ...)."""

    service: int
    body: bytes = b""
    constructed: bool = True
    extension: bytes = b""

    @property
    def name(self) -> str:
        return unconfirmed_name(self.service)

    @property
    def category(self) -> str:
        return unconfirmed_category(self.service)


@dataclass(frozen=True, slots=True)
class Reject:
    """``[4] SEQUENCE { originalInvokeID [0] OPTIONAL, rejectReason CHOICE [1]-[11] INTEGER }``:
    ``reason`` is the choice tag (which PDU kind was rejected), ``code`` the problem."""

    reason: int
    code: int
    original_invoke_id: int | None = None

    @property
    def reason_name(self) -> str:
        return reject_reason_name(self.reason)


@dataclass(frozen=True, slots=True)
class CancelRequest:
    """``[5] IMPLICIT Unsigned32``: the invoke id of the request to cancel."""

    invoke_id: int


@dataclass(frozen=True, slots=True)
class CancelResponse:
    """``[6] IMPLICIT Unsigned32``."""

    invoke_id: int


@dataclass(frozen=True, slots=True)
class CancelError:
    """``[7] SEQUENCE { originalInvokeID [0], serviceError [1] }``."""

    invoke_id: int
    error: ServiceError


@dataclass(frozen=True, slots=True)
class InitiateRequest:
    """``[8] SEQUENCE { localDetailCalling [0] OPTIONAL (largest PDU, bytes),
    proposedMaxServOutstandingCalling [1], proposedMaxServOutstandingCalled [2],
    proposedDataStructureNestingLevel [3] OPTIONAL, mmsInitRequestDetail [4] {
    proposedVersionNumber [0], proposedParameterCBB [1], servicesSupportedCalling [2] } }``."""

    max_serv_outstanding_calling: int
    max_serv_outstanding_called: int
    local_detail: int | None = None
    nesting_level: int | None = None
    version: int | None = None
    parameter_cbb: BitString | None = None
    services_supported: BitString | None = None


@dataclass(frozen=True, slots=True)
class InitiateResponse:
    """``[9]``: the same layout with the negotiated values and servicesSupportedCalled."""

    max_serv_outstanding_calling: int
    max_serv_outstanding_called: int
    local_detail: int | None = None
    nesting_level: int | None = None
    version: int | None = None
    parameter_cbb: BitString | None = None
    services_supported: BitString | None = None


@dataclass(frozen=True, slots=True)
class InitiateError:
    """``[10] ServiceError``."""

    error: ServiceError


@dataclass(frozen=True, slots=True)
class ConcludeRequest:
    """``[11] IMPLICIT NULL``: the association ends."""


@dataclass(frozen=True, slots=True)
class ConcludeResponse:
    """``[12] IMPLICIT NULL``."""


@dataclass(frozen=True, slots=True)
class ConcludeError:
    """``[13] ServiceError``."""

    error: ServiceError


MmsPdu = (
    ConfirmedRequest
    | ConfirmedResponse
    | ConfirmedError
    | Unconfirmed
    | Reject
    | CancelRequest
    | CancelResponse
    | CancelError
    | InitiateRequest
    | InitiateResponse
    | InitiateError
    | ConcludeRequest
    | ConcludeResponse
    | ConcludeError
)

PDU_CLASSES: dict[type, int] = {
    ConfirmedRequest: 0,
    ConfirmedResponse: 1,
    ConfirmedError: 2,
    Unconfirmed: 3,
    Reject: 4,
    CancelRequest: 5,
    CancelResponse: 6,
    CancelError: 7,
    InitiateRequest: 8,
    InitiateResponse: 9,
    InitiateError: 10,
    ConcludeRequest: 11,
    ConcludeResponse: 12,
    ConcludeError: 13,
}
"""Message class -> MMSpdu choice tag."""


def pdu_type(pdu: MmsPdu) -> int:
    """The MMSpdu choice tag of a message (0 confirmed request ... 13 conclude error)."""
    return PDU_CLASSES[type(pdu)]


@dataclass(frozen=True, slots=True)
class ObjectName:
    """``ObjectName``: vmd-specific [0] (``domain`` None), domain-specific [1]
    ``{ domainId, itemId }`` or aa-specific [2] (``scope`` 2)."""

    item: str
    domain: str | None = None
    scope: int = 0

    def __str__(self) -> str:
        return f"{self.domain}/{self.item}" if self.scope == 1 else self.item


@dataclass(frozen=True, slots=True)
class IdentifyResponse:
    """``Identify-Response { vendorName [0], modelName [1], revision [2],
    listOfAbstractSyntaxes [3] OPTIONAL }``: what the VMD says it is."""

    vendor: str
    model: str
    revision: str
    abstract_syntaxes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GetNameListRequest:
    """``GetNameList-Request { objectClass [0] { basic [0] | cs [1] INTEGER },
    objectScope [1] { vmdSpecific [0] | domainSpecific [1] Identifier | aaSpecific [2] },
    continueAfter [2] OPTIONAL }``."""

    object_class: int
    scope: int = 0
    domain: str | None = None
    continue_after: str | None = None
    cs_class: bool = False


@dataclass(frozen=True, slots=True)
class GetNameListResponse:
    """``GetNameList-Response { listOfIdentifier [0], moreFollows [1] DEFAULT TRUE }``."""

    identifiers: tuple[str, ...]
    more_follows: bool = True
