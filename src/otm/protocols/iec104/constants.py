"""IEC 60870-5-104 codes, their snake_case operation names and policy categories.

Sources: IEC 60870-5-104:2006 (5.1 APCI, the I/S/U control-field formats and
the U functions; 9 the ASDU layout of the standard profile: cause of
transmission 2 octets with the originator address, common address 2 octets,
information object address 3 octets), IEC 60870-5-101:2003 (7.2.1 type
identifications, 7.2.3 causes of transmission, 7.3 the information elements
of each type) and IEC 60870-5-7 / IEC 62351-5 for the secure authentication
types (41, 81-95) and causes 14-16.  Names are the standard's mnemonics
(``M_SP_NA_1`` ...); operation names are the snake_case of their meaning.

Every table is a plain dict built at import, so the sensing hot path pays a
dict lookup per type id, never a string build.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from types import MappingProxyType

from otm.protocols.common import CONTROL, DIAGNOSTIC, OTHER, PROGRAM, READ, SESSION, WRITE

# --- sizes (104 5.1, 9) ----------------------------------------------------------

START = 0x68
"""First octet of every APDU."""

APCI_LENGTH = 6
"""Start, length, four control-field octets."""

MIN_APDU_LENGTH = 4
"""Smallest value of the length octet: the four control-field octets (S and U frames)."""

MAX_APDU_LENGTH = 253
"""Largest value of the length octet (104 5.1): an APDU is at most 255 octets."""

ASDU_HEADER_LENGTH = 6
"""Type id, variable structure qualifier, cause (2 octets with the originator
address), common address (2 octets)."""

IOA_LENGTH = 3
"""Information object address octets in the standard 104 profile."""

MAX_ASDU_LENGTH = MAX_APDU_LENGTH - 4
"""249 octets of ASDU after the control fields."""

MAX_OBJECTS = 127
"""The variable structure qualifier's 7-bit number."""

BROADCAST_ADDRESS = 0xFFFF
"""Common address meaning "every station" (global address, 101 7.2.4)."""

UNUSED_ADDRESS = 0
"""Common address 0 is not used (101 7.2.4)."""


class FrameFormat(IntEnum):
    """APCI formats by the low bits of control field 1 (104 5.1); the values are
    tshark's ``iec60870_104.type``."""

    I = 0  # noqa: E741 - the standard's name of the numbered format
    S = 1
    U = 3


class UFunction(IntEnum):
    """U-format functions: one bit of control field 1 (bits 2-7), 104 5.3."""

    STARTDT_ACT = 0x04
    STARTDT_CON = 0x08
    STOPDT_ACT = 0x10
    STOPDT_CON = 0x20
    TESTFR_ACT = 0x40
    TESTFR_CON = 0x80


U_NAMES: Mapping[int, str] = MappingProxyType({f: f.name.lower() for f in UFunction})
"""U function bit -> ``startdt_act`` ... ``testfr_con``."""

U_ACTIVATIONS = frozenset((UFunction.STARTDT_ACT, UFunction.STOPDT_ACT, UFunction.TESTFR_ACT))
"""The U functions that ask something (the others confirm)."""


class TypeId(IntEnum):
    """Type identifications (101 7.2.1.1 tables 8-14; 60870-5-7 for 41 and 81-95)."""

    # process information in monitor direction
    M_SP_NA_1 = 1
    M_SP_TA_1 = 2
    M_DP_NA_1 = 3
    M_DP_TA_1 = 4
    M_ST_NA_1 = 5
    M_ST_TA_1 = 6
    M_BO_NA_1 = 7
    M_BO_TA_1 = 8
    M_ME_NA_1 = 9
    M_ME_TA_1 = 10
    M_ME_NB_1 = 11
    M_ME_TB_1 = 12
    M_ME_NC_1 = 13
    M_ME_TC_1 = 14
    M_IT_NA_1 = 15
    M_IT_TA_1 = 16
    M_EP_TA_1 = 17
    M_EP_TB_1 = 18
    M_EP_TC_1 = 19
    M_PS_NA_1 = 20
    M_ME_ND_1 = 21
    M_SP_TB_1 = 30
    M_DP_TB_1 = 31
    M_ST_TB_1 = 32
    M_BO_TB_1 = 33
    M_ME_TD_1 = 34
    M_ME_TE_1 = 35
    M_ME_TF_1 = 36
    M_IT_TB_1 = 37
    M_EP_TD_1 = 38
    M_EP_TE_1 = 39
    M_EP_TF_1 = 40
    S_IT_TC_1 = 41
    # process information in control direction
    C_SC_NA_1 = 45
    C_DC_NA_1 = 46
    C_RC_NA_1 = 47
    C_SE_NA_1 = 48
    C_SE_NB_1 = 49
    C_SE_NC_1 = 50
    C_BO_NA_1 = 51
    C_SC_TA_1 = 58
    C_DC_TA_1 = 59
    C_RC_TA_1 = 60
    C_SE_TA_1 = 61
    C_SE_TB_1 = 62
    C_SE_TC_1 = 63
    C_BO_TA_1 = 64
    # system information in monitor direction
    M_EI_NA_1 = 70
    # secure authentication (IEC 60870-5-7)
    S_CH_NA_1 = 81
    S_RP_NA_1 = 82
    S_AR_NA_1 = 83
    S_KR_NA_1 = 84
    S_KS_NA_1 = 85
    S_KC_NA_1 = 86
    S_ER_NA_1 = 87
    S_US_NA_1 = 90
    S_UQ_NA_1 = 91
    S_UR_NA_1 = 92
    S_UK_NA_1 = 93
    S_UA_NA_1 = 94
    S_UC_NA_1 = 95
    # system information in control direction
    C_IC_NA_1 = 100
    C_CI_NA_1 = 101
    C_RD_NA_1 = 102
    C_CS_NA_1 = 103
    C_TS_NA_1 = 104
    C_RP_NA_1 = 105
    C_CD_NA_1 = 106
    C_TS_TA_1 = 107
    # parameter in control direction
    P_ME_NA_1 = 110
    P_ME_NB_1 = 111
    P_ME_NC_1 = 112
    P_AC_NA_1 = 113
    # file transfer
    F_FR_NA_1 = 120
    F_SR_NA_1 = 121
    F_SC_NA_1 = 122
    F_LS_NA_1 = 123
    F_AF_NA_1 = 124
    F_SG_NA_1 = 125
    F_DR_TA_1 = 126
    F_SC_NB_1 = 127


T = TypeId

# (type, operation name, category).  Monitor-direction information is reported
# by the controlled station, not asked for: it carries category ``read``
# because it is process data flowing to the controlling station; sensors do
# not count it as an operation (see otm.sensing.iec104).
_TYPES: tuple[tuple[TypeId, str, str], ...] = (
    (T.M_SP_NA_1, "single_point_information", READ),
    (T.M_SP_TA_1, "single_point_information_time_tagged_cp24", READ),
    (T.M_DP_NA_1, "double_point_information", READ),
    (T.M_DP_TA_1, "double_point_information_time_tagged_cp24", READ),
    (T.M_ST_NA_1, "step_position_information", READ),
    (T.M_ST_TA_1, "step_position_information_time_tagged_cp24", READ),
    (T.M_BO_NA_1, "bitstring_32", READ),
    (T.M_BO_TA_1, "bitstring_32_time_tagged_cp24", READ),
    (T.M_ME_NA_1, "measured_value_normalized", READ),
    (T.M_ME_TA_1, "measured_value_normalized_time_tagged_cp24", READ),
    (T.M_ME_NB_1, "measured_value_scaled", READ),
    (T.M_ME_TB_1, "measured_value_scaled_time_tagged_cp24", READ),
    (T.M_ME_NC_1, "measured_value_float", READ),
    (T.M_ME_TC_1, "measured_value_float_time_tagged_cp24", READ),
    (T.M_IT_NA_1, "integrated_totals", READ),
    (T.M_IT_TA_1, "integrated_totals_time_tagged_cp24", READ),
    (T.M_EP_TA_1, "protection_event_time_tagged_cp24", READ),
    (T.M_EP_TB_1, "protection_start_events_time_tagged_cp24", READ),
    (T.M_EP_TC_1, "protection_output_circuit_time_tagged_cp24", READ),
    (T.M_PS_NA_1, "packed_single_point_with_status_change", READ),
    (T.M_ME_ND_1, "measured_value_normalized_without_quality", READ),
    (T.M_SP_TB_1, "single_point_information_time_tagged", READ),
    (T.M_DP_TB_1, "double_point_information_time_tagged", READ),
    (T.M_ST_TB_1, "step_position_information_time_tagged", READ),
    (T.M_BO_TB_1, "bitstring_32_time_tagged", READ),
    (T.M_ME_TD_1, "measured_value_normalized_time_tagged", READ),
    (T.M_ME_TE_1, "measured_value_scaled_time_tagged", READ),
    (T.M_ME_TF_1, "measured_value_float_time_tagged", READ),
    (T.M_IT_TB_1, "integrated_totals_time_tagged", READ),
    (T.M_EP_TD_1, "protection_event_time_tagged", READ),
    (T.M_EP_TE_1, "protection_start_events_time_tagged", READ),
    (T.M_EP_TF_1, "protection_output_circuit_time_tagged", READ),
    (T.S_IT_TC_1, "security_statistics_integrated_totals", DIAGNOSTIC),
    # Commands that operate equipment (breakers, switches, tap changers).
    (T.C_SC_NA_1, "single_command", CONTROL),
    (T.C_DC_NA_1, "double_command", CONTROL),
    (T.C_RC_NA_1, "regulating_step_command", CONTROL),
    # Set points and bitstrings change a value: write.
    (T.C_SE_NA_1, "set_point_normalized", WRITE),
    (T.C_SE_NB_1, "set_point_scaled", WRITE),
    (T.C_SE_NC_1, "set_point_float", WRITE),
    (T.C_BO_NA_1, "bitstring_command", WRITE),
    (T.C_SC_TA_1, "single_command_time_tagged", CONTROL),
    (T.C_DC_TA_1, "double_command_time_tagged", CONTROL),
    (T.C_RC_TA_1, "regulating_step_command_time_tagged", CONTROL),
    (T.C_SE_TA_1, "set_point_normalized_time_tagged", WRITE),
    (T.C_SE_TB_1, "set_point_scaled_time_tagged", WRITE),
    (T.C_SE_TC_1, "set_point_float_time_tagged", WRITE),
    (T.C_BO_TA_1, "bitstring_command_time_tagged", WRITE),
    (T.M_EI_NA_1, "end_of_initialization", OTHER),
    # Secure authentication exchanges: a session with the station.
    (T.S_CH_NA_1, "authentication_challenge", SESSION),
    (T.S_RP_NA_1, "authentication_reply", SESSION),
    (T.S_AR_NA_1, "aggressive_mode_authentication_request", SESSION),
    (T.S_KR_NA_1, "session_key_status_request", SESSION),
    (T.S_KS_NA_1, "session_key_status", SESSION),
    (T.S_KC_NA_1, "session_key_change", SESSION),
    (T.S_ER_NA_1, "authentication_error", SESSION),
    (T.S_US_NA_1, "user_status_change", SESSION),
    (T.S_UQ_NA_1, "update_key_change_request", SESSION),
    (T.S_UR_NA_1, "update_key_change_reply", SESSION),
    (T.S_UK_NA_1, "update_key_change_symmetric", SESSION),
    (T.S_UA_NA_1, "update_key_change_asymmetric", SESSION),
    (T.S_UC_NA_1, "update_key_change_confirmation", SESSION),
    (T.C_IC_NA_1, "interrogation", READ),
    (T.C_CI_NA_1, "counter_interrogation", READ),
    (T.C_RD_NA_1, "read_command", READ),
    # Setting the station's clock changes its state: write.
    (T.C_CS_NA_1, "clock_synchronization", WRITE),
    (T.C_TS_NA_1, "test_command", DIAGNOSTIC),
    (T.C_RP_NA_1, "reset_process", CONTROL),
    # Delay acquisition corrects the clock synchronisation: write, like it.
    (T.C_CD_NA_1, "delay_acquisition", WRITE),
    (T.C_TS_TA_1, "test_command_time_tagged", DIAGNOSTIC),
    (T.P_ME_NA_1, "parameter_normalized", WRITE),
    (T.P_ME_NB_1, "parameter_scaled", WRITE),
    (T.P_ME_NC_1, "parameter_float", WRITE),
    (T.P_AC_NA_1, "parameter_activation", WRITE),
    (T.F_FR_NA_1, "file_ready", PROGRAM),
    (T.F_SR_NA_1, "section_ready", PROGRAM),
    (T.F_SC_NA_1, "file_call", PROGRAM),
    (T.F_LS_NA_1, "last_section", PROGRAM),
    (T.F_AF_NA_1, "file_ack", PROGRAM),
    (T.F_SG_NA_1, "file_segment", PROGRAM),
    (T.F_DR_TA_1, "file_directory", PROGRAM),
    (T.F_SC_NB_1, "query_log", PROGRAM),
)

TYPE_NAMES: Mapping[int, str] = MappingProxyType({t: name for t, name, _ in _TYPES})
"""Type id -> snake_case operation name (``single_command``, ``interrogation`` ...)."""

TYPE_CATEGORIES: Mapping[int, str] = MappingProxyType({t: cat for t, _, cat in _TYPES})
"""Type id -> policy category."""

MONITOR_TYPES = frozenset(int(t) for t in TypeId if t <= 44 or t == T.M_EI_NA_1)
"""Types the controlled station reports (monitor direction, 1-44 and 70)."""

CONTROL_TYPES = frozenset(int(t) for t in TypeId if 45 <= t <= 69 or 100 <= t <= 119)
"""Commands, system commands and parameters (control direction)."""

FILE_TYPES = frozenset(int(t) for t in TypeId if t >= 120)
"""File transfer types (either direction)."""

SECURITY_TYPES = frozenset(int(t) for t in TypeId if 81 <= t <= 95)
"""Secure authentication types (IEC 60870-5-7), either direction."""


def type_mnemonic(type_id: int) -> str:
    """``M_SP_NA_1`` ..., or ``type_<n>`` for a reserved or private type id."""
    try:
        return TypeId(type_id).name
    except ValueError:
        return f"type_{type_id}"


def type_name(type_id: int) -> str:
    """Snake_case operation name of a type id; ``type_<n>`` when it has none."""
    return TYPE_NAMES.get(type_id) or f"type_{type_id}"


def type_category(type_id: int) -> str:
    """Policy category of a type id; ``other`` for reserved and private ones."""
    return TYPE_CATEGORIES.get(type_id, OTHER)


U_CATEGORY = SESSION
"""Every U function (start/stop data transfer, test frame) manages the link."""


# --- causes of transmission (101 7.2.3, 60870-5-7) --------------------------------


class Cause(IntEnum):
    """Causes of transmission (6 bits of the first cause octet)."""

    PERIODIC = 1
    BACKGROUND = 2
    SPONTANEOUS = 3
    INITIALIZED = 4
    REQUEST = 5
    ACTIVATION = 6
    ACTIVATION_CON = 7
    DEACTIVATION = 8
    DEACTIVATION_CON = 9
    ACTIVATION_TERMINATION = 10
    RETURN_REMOTE = 11
    RETURN_LOCAL = 12
    FILE_TRANSFER = 13
    AUTHENTICATION = 14
    SESSION_KEY = 15
    USER_KEY = 16
    INTERROGATED_BY_STATION = 20
    REQUESTED_BY_GENERAL_COUNTER = 37
    UNKNOWN_TYPE = 44
    UNKNOWN_CAUSE = 45
    UNKNOWN_COMMON_ADDRESS = 46
    UNKNOWN_OBJECT_ADDRESS = 47


_CAUSES: dict[int, str] = {c: c.name.lower() for c in Cause}
_CAUSES.update({20 + g: f"interrogated_by_group_{g}" for g in range(1, 17)})
_CAUSES.update({37 + g: f"requested_by_group_{g}_counter" for g in range(1, 5)})

CAUSE_NAMES: Mapping[int, str] = MappingProxyType(_CAUSES)
"""Cause -> snake_case name (``spontaneous``, ``interrogated_by_group_3`` ...)."""

REQUEST_CAUSES = frozenset((Cause.REQUEST, Cause.ACTIVATION, Cause.DEACTIVATION))
"""Causes with which a station asks something of another."""

UNKNOWN_CAUSES = frozenset(range(Cause.UNKNOWN_TYPE, Cause.UNKNOWN_OBJECT_ADDRESS + 1))
"""Negative answers naming what the addressed station does not know (44-47)."""


def cause_name(cause: int) -> str:
    """Snake_case name of a cause of transmission; ``cause_<n>`` for 0, reserved and
    special-use (48-63) ones."""
    return CAUSE_NAMES.get(cause) or f"cause_{cause}"


COT_TEST = 0x80
"""Test bit of the first cause octet."""

COT_NEGATIVE = 0x40
"""Positive/negative confirmation bit of the first cause octet."""

COT_CAUSE_MASK = 0x3F

VSQ_SEQUENCE = 0x80
"""SQ bit of the variable structure qualifier: the objects follow one address."""
