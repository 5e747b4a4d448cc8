"""ISO-on-TCP and MMS codes, their snake_case operation names and policy categories.

Sources: ISO 9506-2 (MMS protocol specification; the ASN.1 module
``ISO-9506-MMS-1``: MMSpdu choices, ConfirmedServiceRequest tags [0]-[77],
UnconfirmedService, ServiceError classes, RejectPDU reasons, ObjectClass,
ParameterSupportOptions and ServiceSupportOptions bits), ISO 8327-1 / X.225
(session SPDU identifiers, section 8.3 parameter codes), ISO 8823 / X.226
(presentation) and ISO 8650 / X.227 (ACSE) for the object identifiers.
Field meanings were checked against Wireshark's ``mms``, ``ses``, ``pres``
and ``acse`` dissectors (tshark 4.0).

Names are looked up in plain dicts built once at import, so the sensing hot
path pays a dict lookup per code, never a string build for a known one.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from types import MappingProxyType

from otm.protocols.common import (
    CONTROL,
    DIAGNOSTIC,
    IDENTIFY,
    OTHER,
    PROGRAM,
    READ,
    WRITE,
)

EXCEPTION = "exception"
"""Category of error and reject PDUs, as the Modbus sensor counts exceptions."""

# --- session (ISO 8327-1 / X.225) -------------------------------------------------------


class SpduType(IntEnum):
    """Session SPDU identifiers (SI), X.225 section 8.3.

    1 is both Give Tokens (category 0) and Data Transfer (category 2): a DT
    always follows a GT or PT in the same TSDU.  Some codes double up the
    same way for activity management (25 Abort / Activity Interrupt ...);
    the names here are those of the kernel and duplex units MMS uses.
    """

    GIVE_TOKENS = 1
    PLEASE_TOKENS = 2
    EXPEDITED = 5
    PREPARE = 7
    NOT_FINISHED = 8
    FINISH = 9
    DISCONNECT = 10
    REFUSE = 12
    CONNECT = 13
    ACCEPT = 14
    CONNECT_DATA_OVERFLOW = 15
    OVERFLOW_ACCEPT = 16
    GIVE_TOKENS_CONFIRM = 21
    GIVE_TOKENS_ACK = 22
    ABORT = 25
    ABORT_ACCEPT = 26
    ACTIVITY_RESUME = 29
    TYPED_DATA = 33
    RESYNCHRONIZE_ACK = 34
    MAJOR_SYNC_POINT = 41
    MAJOR_SYNC_ACK = 42
    ACTIVITY_START = 45
    EXCEPTION_DATA = 48
    MINOR_SYNC_POINT = 49
    MINOR_SYNC_ACK = 50
    RESYNCHRONIZE = 53
    ACTIVITY_DISCARD = 57
    ACTIVITY_DISCARD_ACK = 58
    CAPABILITY_DATA = 61
    CAPABILITY_DATA_ACK = 62


DATA_TRANSFER = 1
"""SI of Data Transfer (category 2), the same number as Give Tokens."""

TOKEN_SPDUS = frozenset((SpduType.GIVE_TOKENS, SpduType.PLEASE_TOKENS))
"""Category 0 SPDUs: they may stand alone or carry a category 2 SPDU after them."""

USER_INFORMATION_SPDUS = frozenset((DATA_TRANSFER, SpduType.EXPEDITED, SpduType.TYPED_DATA))
"""SPDUs whose user information follows their parameter field (not in PGI 193)."""

SPDU_TYPES = frozenset(int(t) for t in SpduType)

SPDU_NAMES: Mapping[int, str] = MappingProxyType({int(t): t.name.lower() for t in SpduType})


class SessionParameter(IntEnum):
    """Session PI/PGI codes (X.225 section 8.3) that MMS stacks send."""

    CONNECTION_IDENTIFIER = 1
    CONNECT_ACCEPT_ITEM = 5
    TOKEN_ITEM = 16
    TRANSPORT_DISCONNECT = 17
    PROTOCOL_OPTIONS = 19
    SESSION_REQUIREMENT = 20
    TSDU_MAXIMUM_SIZE = 21
    VERSION_NUMBER = 22
    INITIAL_SERIAL_NUMBER = 23
    ENCLOSURE_ITEM = 25
    TOKEN_SETTING_ITEM = 26
    LINKING_INFORMATION = 33
    REASON_CODE = 50
    CALLING_SESSION_SELECTOR = 51
    CALLED_SESSION_SELECTOR = 52
    DATA_OVERFLOW = 60
    USER_DATA = 193
    EXTENDED_USER_DATA = 194


PARAMETER_GROUPS = frozenset((1, 5, 33))
"""PGIs whose value is a list of PIs (connection identifier, connect/accept
item, linking information); every other code holds a plain value."""

USER_DATA_PARAMETERS = frozenset((193, 194))
"""Session user data and extended user data (the PPDU of CN, AC, FN, DN, AB ...)."""

# --- presentation, ACSE, MMS object identifiers ------------------------------------------

BER_TRANSFER_SYNTAX = "2.1.1"
ACSE_ABSTRACT_SYNTAX = "2.2.1.0.1"
MMS_ABSTRACT_SYNTAX = "1.0.9506.2.1"
"""``mms-abstract-syntax-version1(1)``: the presentation context of MMS PDUs."""
MMS_ABSTRACT_SYNTAX_PREFIX = "1.0.9506.2."
"""Every MMS abstract syntax (version 1 and the ``.3`` of some stacks) starts so."""


class PresentationResult(IntEnum):
    """Result of one presentation context in a CPA (X.226 8.2)."""

    ACCEPTANCE = 0
    USER_REJECTION = 1
    PROVIDER_REJECTION = 2


class AssociateResult(IntEnum):
    """ACSE AARE result (X.227)."""

    ACCEPTED = 0
    REJECTED_PERMANENT = 1
    REJECTED_TRANSIENT = 2


# --- MMS PDUs -------------------------------------------------------------------------


class PduType(IntEnum):
    """The MMSpdu CHOICE: context tag of each PDU kind."""

    CONFIRMED_REQUEST = 0
    CONFIRMED_RESPONSE = 1
    CONFIRMED_ERROR = 2
    UNCONFIRMED = 3
    REJECT = 4
    CANCEL_REQUEST = 5
    CANCEL_RESPONSE = 6
    CANCEL_ERROR = 7
    INITIATE_REQUEST = 8
    INITIATE_RESPONSE = 9
    INITIATE_ERROR = 10
    CONCLUDE_REQUEST = 11
    CONCLUDE_RESPONSE = 12
    CONCLUDE_ERROR = 13


PDU_NAMES: Mapping[int, str] = MappingProxyType({int(t): t.name.lower() for t in PduType})

REQUEST_PDUS = frozenset(
    (
        PduType.CONFIRMED_REQUEST,
        PduType.CANCEL_REQUEST,
        PduType.INITIATE_REQUEST,
        PduType.CONCLUDE_REQUEST,
    )
)
"""PDUs whose sender is the client of the exchange."""

RESPONSE_PDUS = frozenset(
    (
        PduType.CONFIRMED_RESPONSE,
        PduType.CONFIRMED_ERROR,
        PduType.CANCEL_RESPONSE,
        PduType.CANCEL_ERROR,
        PduType.INITIATE_RESPONSE,
        PduType.INITIATE_ERROR,
        PduType.CONCLUDE_RESPONSE,
        PduType.CONCLUDE_ERROR,
    )
)
"""PDUs whose sender is the server of the exchange."""

CONFIRMED_SERVICES: tuple[tuple[int, str, str], ...] = (
    (0, "status", DIAGNOSTIC),
    (1, "get_name_list", IDENTIFY),
    (2, "identify", IDENTIFY),
    (3, "rename", WRITE),
    (4, "read", READ),
    (5, "write", WRITE),
    (6, "get_variable_access_attributes", IDENTIFY),
    (7, "define_named_variable", WRITE),
    (8, "define_scattered_access", WRITE),
    (9, "get_scattered_access_attributes", IDENTIFY),
    (10, "delete_variable_access", WRITE),
    (11, "define_named_variable_list", WRITE),
    (12, "get_named_variable_list_attributes", IDENTIFY),
    (13, "delete_named_variable_list", WRITE),
    (14, "define_named_type", WRITE),
    (15, "get_named_type_attributes", IDENTIFY),
    (16, "delete_named_type", WRITE),
    (17, "input", READ),
    (18, "output", WRITE),
    (19, "take_control", CONTROL),
    (20, "relinquish_control", CONTROL),
    (21, "define_semaphore", WRITE),
    (22, "delete_semaphore", WRITE),
    (23, "report_semaphore_status", DIAGNOSTIC),
    (24, "report_pool_semaphore_status", DIAGNOSTIC),
    (25, "report_semaphore_entry_status", DIAGNOSTIC),
    (26, "initiate_download_sequence", PROGRAM),
    (27, "download_segment", PROGRAM),
    (28, "terminate_download_sequence", PROGRAM),
    (29, "initiate_upload_sequence", PROGRAM),
    (30, "upload_segment", PROGRAM),
    (31, "terminate_upload_sequence", PROGRAM),
    (32, "request_domain_download", PROGRAM),
    (33, "request_domain_upload", PROGRAM),
    (34, "load_domain_content", PROGRAM),
    (35, "store_domain_content", PROGRAM),
    (36, "delete_domain", PROGRAM),
    (37, "get_domain_attributes", IDENTIFY),
    (38, "create_program_invocation", PROGRAM),
    (39, "delete_program_invocation", PROGRAM),
    (40, "start", CONTROL),
    (41, "stop", CONTROL),
    (42, "resume", CONTROL),
    (43, "reset", CONTROL),
    (44, "kill", CONTROL),
    (45, "get_program_invocation_attributes", IDENTIFY),
    (46, "obtain_file", PROGRAM),
    (47, "define_event_condition", WRITE),
    (48, "delete_event_condition", WRITE),
    (49, "get_event_condition_attributes", IDENTIFY),
    (50, "report_event_condition_status", DIAGNOSTIC),
    (51, "alter_event_condition_monitoring", WRITE),
    (52, "trigger_event", CONTROL),
    (53, "define_event_action", WRITE),
    (54, "delete_event_action", WRITE),
    (55, "get_event_action_attributes", IDENTIFY),
    (56, "report_event_action_status", DIAGNOSTIC),
    (57, "define_event_enrollment", WRITE),
    (58, "delete_event_enrollment", WRITE),
    (59, "alter_event_enrollment", WRITE),
    (60, "report_event_enrollment_status", DIAGNOSTIC),
    (61, "get_event_enrollment_attributes", IDENTIFY),
    (62, "acknowledge_event_notification", WRITE),
    (63, "get_alarm_summary", READ),
    (64, "get_alarm_enrollment_summary", READ),
    (65, "read_journal", READ),
    (66, "write_journal", WRITE),
    (67, "initialize_journal", WRITE),
    (68, "report_journal_status", DIAGNOSTIC),
    (69, "create_journal", WRITE),
    (70, "delete_journal", WRITE),
    (71, "get_capability_list", IDENTIFY),
    (72, "file_open", PROGRAM),
    (73, "file_read", PROGRAM),
    (74, "file_close", PROGRAM),
    (75, "file_rename", PROGRAM),
    (76, "file_delete", PROGRAM),
    (77, "file_directory", PROGRAM),
)
"""(ConfirmedServiceRequest tag, operation, category).

Categories follow otm's policy: writes and every define/delete/alter of a
named object are ``write``; domain (program) transfer, program invocations
and every file service (a file store holds configuration and firmware) are
``program``; start/stop/resume/reset/kill and semaphore control are
``control``; browsing the object model (name lists, attributes, identify,
capabilities) is ``identify``; status reports are ``diagnostic``.
"""

SERVICE_NAMES: Mapping[int, str] = MappingProxyType({t: n for t, n, _ in CONFIRMED_SERVICES})
SERVICE_CATEGORIES: Mapping[int, str] = MappingProxyType({t: c for t, _, c in CONFIRMED_SERVICES})

UNCONFIRMED_SERVICES: tuple[tuple[int, str, str], ...] = (
    (0, "information_report", READ),
    (1, "unsolicited_status", DIAGNOSTIC),
    (2, "event_notification", READ),
)
"""(UnconfirmedService tag, operation, category): data the server pushes to
the client (reports, status, events); counted on the association's link."""

UNCONFIRMED_NAMES: Mapping[int, str] = MappingProxyType({t: n for t, n, _ in UNCONFIRMED_SERVICES})
UNCONFIRMED_CATEGORIES: Mapping[int, str] = MappingProxyType(
    {t: c for t, _, c in UNCONFIRMED_SERVICES}
)

ERROR_CLASSES: Mapping[int, str] = MappingProxyType(
    {
        0: "vmd_state",
        1: "application_reference",
        2: "definition",
        3: "resource",
        4: "service",
        5: "service_preempt",
        6: "time_resolution",
        7: "access",
        8: "initiate",
        9: "conclude",
        10: "cancel",
        11: "file",
        12: "others",
    }
)
"""ServiceError ``errorClass`` choice tag -> name."""

REJECT_REASONS: Mapping[int, str] = MappingProxyType(
    {
        1: "confirmed_request",
        2: "confirmed_response",
        3: "confirmed_error",
        4: "unconfirmed",
        5: "pdu_error",
        6: "cancel_request",
        7: "cancel_response",
        8: "cancel_error",
        9: "conclude_request",
        10: "conclude_response",
        11: "conclude_error",
    }
)
"""RejectPDU ``rejectReason`` choice tag -> the kind of PDU that was rejected."""


class ObjectClass(IntEnum):
    """``basicObjectClass`` of GetNameList (ISO 9506-2 ObjectClass)."""

    NAMED_VARIABLE = 0
    SCATTERED_ACCESS = 1
    NAMED_VARIABLE_LIST = 2
    NAMED_TYPE = 3
    SEMAPHORE = 4
    EVENT_CONDITION = 5
    EVENT_ACTION = 6
    EVENT_ENROLLMENT = 7
    JOURNAL = 8
    DOMAIN = 9
    PROGRAM_INVOCATION = 10
    OPERATOR_STATION = 11
    DATA_EXCHANGE = 12
    ACCESS_CONTROL_LIST = 13


class ObjectScope(IntEnum):
    """``objectScope`` of GetNameList."""

    VMD_SPECIFIC = 0
    DOMAIN_SPECIFIC = 1
    AA_SPECIFIC = 2


PARAMETER_CBB_BITS = (
    "str1",
    "str2",
    "vnam",
    "valt",
    "vadr",
    "vsca",
    "tpy",
    "vlis",
    "real",
    "spare_bit9",
    "cei",
)
"""ParameterSupportOptions bit names, bit 0 first."""

SERVICES_SUPPORTED_BITS: tuple[str, ...] = (
    *(name for _, name, _ in CONFIRMED_SERVICES),
    "unsolicited_status",
    "information_report",
    "event_notification",
    "attach_to_event_condition",
    "attach_to_semaphore",
    "conclude",
    "cancel",
)
"""ServiceSupportOptions bit names: bits 0-77 are the confirmed services by
their request tag, then the unconfirmed and the association services."""

# --- naming -------------------------------------------------------------------------------


def service_name(tag: int) -> str:
    """Operation of a confirmed service tag; unknown tags are ``service_79``."""
    return SERVICE_NAMES.get(tag) or f"service_{tag}"


def service_category(tag: int) -> str:
    """Category of a confirmed service tag (``other`` when unknown)."""
    return SERVICE_CATEGORIES.get(tag, OTHER)


def unconfirmed_name(tag: int) -> str:
    """Operation of an unconfirmed service tag; unknown ones ``unconfirmed_5``."""
    return UNCONFIRMED_NAMES.get(tag) or f"unconfirmed_{tag}"


def unconfirmed_category(tag: int) -> str:
    return UNCONFIRMED_CATEGORIES.get(tag, OTHER)


def error_class_name(tag: int) -> str:
    """Name of a ServiceError class; unknown ones ``class_13``."""
    return ERROR_CLASSES.get(tag) or f"class_{tag}"


def reject_reason_name(tag: int) -> str:
    return REJECT_REASONS.get(tag) or f"reason_{tag}"


def spdu_name(si: int) -> str:
    return SPDU_NAMES.get(si) or f"spdu_{si}"


def services_supported_names(bits: frozenset[int]) -> tuple[str, ...]:
    """The named services of a ServiceSupportOptions bit set, in bit order."""
    names = SERVICES_SUPPORTED_BITS
    return tuple(names[i] if i < len(names) else f"bit_{i}" for i in sorted(bits))
