"""GOOSE and Sampled Values codes: EtherTypes, PDU tags, MMS Data kinds, names.

Sources: IEC 61850-8-1:2011 (clause 8.1 and Annex A: the Ethernet header
APPID | Length | Reserved 1 | Reserved 2, the goosePdu ASN.1 and its MMS
Data choices from ISO 9506-2), IEC 61850-9-2:2011 (clause 8.5 and table 14:
savPdu, ASDU) and IEC 61850-9-2 LE (the 8 x (value, quality) sample
layout).  Both PDUs are BER encoded with context-specific implicit tags.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from types import MappingProxyType

from otm.protocols.common import OTHER

ETHERTYPE_GOOSE = 0x88B8
"""EtherType of GOOSE (and of GSE management), IEC 61850-8-1 Annex C."""

ETHERTYPE_SV = 0x88BA
"""EtherType of Sampled Values, IEC 61850-9-2 Annex C."""

HEADER_LENGTH = 8
"""APPID u16, Length u16 (from the APPID to the end of the APDU), Reserved 1 u16,
Reserved 2 u16."""

SIMULATED_BIT = 0x8000
"""Bit 15 of Reserved 1: the frame is simulated (test) traffic, IEC 61850-8-1
ed. 2 8.1.3.5 (GOOSE) and 9-2 ed. 2 (SV)."""

GOOSE_PDU_TAG = 0x61
"""goosePdu: [APPLICATION 1] IMPLICIT SEQUENCE."""

SAV_PDU_TAG = 0x60
"""savPdu: [APPLICATION 0] IMPLICIT SEQUENCE."""


class GooseTag(IntEnum):
    """Identifier octets of the goosePdu fields, IEC 61850-8-1 Annex A (IECGoosePdu)."""

    GOCB_REF = 0x80
    TIME_ALLOWED_TO_LIVE = 0x81
    DAT_SET = 0x82
    GO_ID = 0x83
    T = 0x84
    ST_NUM = 0x85
    SQ_NUM = 0x86
    SIMULATION = 0x87
    CONF_REV = 0x88
    NDS_COM = 0x89
    NUM_DAT_SET_ENTRIES = 0x8A
    ALL_DATA = 0xAB
    SECURITY = 0x8C


class SavPduTag(IntEnum):
    """Identifier octets of the savPdu fields, IEC 61850-9-2 table 14."""

    NO_ASDU = 0x80
    SECURITY = 0x81
    SEQ_ASDU = 0xA2


ASDU_TAG = 0x30
"""Each ASDU of seqASDU: a universal SEQUENCE."""


class AsduTag(IntEnum):
    """Identifier octets of the ASDU fields, IEC 61850-9-2 table 14."""

    SV_ID = 0x80
    DAT_SET = 0x81
    SMP_CNT = 0x82
    CONF_REV = 0x83
    REFR_TM = 0x84
    SMP_SYNCH = 0x85
    SMP_RATE = 0x86
    SEQ_DATA = 0x87
    SMP_MOD = 0x88
    GM_IDENTITY = 0x89


class DataKind(IntEnum):
    """The MMS Data choices a dataset entry can be (ISO 9506-2, IEC 61850-8-1 A.3);
    the value is the context tag number, the identifier octet ``0x80 | kind``
    (``0xA0 | kind`` for the constructed array and structure)."""

    ARRAY = 1
    STRUCTURE = 2
    BOOLEAN = 3
    BIT_STRING = 4
    INTEGER = 5
    UNSIGNED = 6
    FLOATING_POINT = 7
    REAL = 8
    OCTET_STRING = 9
    VISIBLE_STRING = 10
    GENERALIZED_TIME = 11
    BINARY_TIME = 12
    BCD = 13
    BOOLEAN_ARRAY = 14
    OBJ_ID = 15
    MMS_STRING = 16
    UTC_TIME = 17


class SmpSynch(IntEnum):
    """What a merging unit's sample clock is synchronised to, IEC 61850-9-2 ed. 2."""

    NONE = 0
    LOCAL = 1
    GLOBAL = 2


TIME_QUALITY_LEAP_SECOND_KNOWN = 0x80
TIME_QUALITY_CLOCK_FAILURE = 0x40
TIME_QUALITY_CLOCK_NOT_SYNCHRONIZED = 0x20
TIME_QUALITY_ACCURACY = 0x1F
"""UtcTime quality octet, IEC 61850-8-1 8.1.3.7: three flags and the number of
significant bits of the fraction (31 unspecified)."""

STATE_CHANGE = "goose_state_change"
"""The operation a publisher performs when its stNum changes (an event) or its
sqNum restarts without one; detection uses it to spot injected GOOSE."""

OPERATIONS: Mapping[str, str] = MappingProxyType({STATE_CHANGE: OTHER})
"""Operation name -> policy category."""

DATA_KIND_NAMES: Mapping[int, str] = MappingProxyType({k: k.name.lower() for k in DataKind})
"""Data kind -> snake_case name (``bit_string``)."""
