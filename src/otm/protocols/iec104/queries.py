"""Read-only IEC 104 requests, for the active scanner of a later issue and for tests.

Do no harm: only the link-level U frames, S acknowledgements and the three
asking types that change nothing can be built here — station or group
interrogation (C_IC_NA_1), counter interrogation with FRZ 0 "read only, no
freeze or reset" (C_CI_NA_1; freezing or resetting counters would change
them) and the read command (C_RD_NA_1).  No command, set point, clock
synchronisation, reset, parameter or file transfer can be built.
"""

from __future__ import annotations

from otm.protocols.iec104.codec import encode_apdu
from otm.protocols.iec104.constants import BROADCAST_ADDRESS, Cause, TypeId, UFunction
from otm.protocols.iec104.messages import (
    Asdu,
    CounterInterrogation,
    Element,
    IFrame,
    InformationObject,
    Interrogation,
    ReadCommand,
    SFrame,
    UFrame,
)

STATION_INTERROGATION = 20
"""QOI of a station (global) interrogation; 21-36 interrogate groups 1-16."""

GENERAL_COUNTER_REQUEST = 5
"""RQT of a general counter interrogation (1-4: groups); FRZ bits stay 0."""


def startdt_act() -> bytes:
    """STARTDT act: asks the station to start sending data."""
    return encode_apdu(UFrame(UFunction.STARTDT_ACT))


def stopdt_act() -> bytes:
    """STOPDT act: asks the station to stop sending data (before closing)."""
    return encode_apdu(UFrame(UFunction.STOPDT_ACT))


def testfr_act() -> bytes:
    """TESTFR act: a keep-alive the station answers with TESTFR con."""
    return encode_apdu(UFrame(UFunction.TESTFR_ACT))


def acknowledge(recv_seq: int) -> bytes:
    """An S frame acknowledging the station's I frames up to ``recv_seq`` - 1."""
    return encode_apdu(SFrame(recv_seq))


def _ask(
    type_id: int, common_address: int, ioa: int, element: Element, seqs: tuple[int, int]
) -> bytes:
    asdu = Asdu(
        type_id,
        False,
        1,
        Cause.REQUEST if type_id == TypeId.C_RD_NA_1 else Cause.ACTIVATION,
        False,
        False,
        0,
        common_address,
        (InformationObject(ioa, element),),
    )
    return encode_apdu(IFrame(seqs[0], seqs[1], asdu))


def interrogation(
    common_address: int = BROADCAST_ADDRESS,
    qoi: int = STATION_INTERROGATION,
    send_seq: int = 0,
    recv_seq: int = 0,
) -> bytes:
    """C_IC_NA_1 activation (station interrogation by default, 21-36 for groups)."""
    if not 20 <= qoi <= 36:
        raise ValueError(f"QOI {qoi} is not a station or group interrogation")
    return _ask(TypeId.C_IC_NA_1, common_address, 0, Interrogation(qoi), (send_seq, recv_seq))


def counter_interrogation(
    common_address: int = BROADCAST_ADDRESS,
    request: int = GENERAL_COUNTER_REQUEST,
    send_seq: int = 0,
    recv_seq: int = 0,
) -> bytes:
    """C_CI_NA_1 activation that only reads the counters (FRZ 0); ``request`` is the
    RQT (5 general, 1-4 groups)."""
    if not 1 <= request <= GENERAL_COUNTER_REQUEST:
        raise ValueError(f"RQT {request} is not a counter interrogation")
    element = CounterInterrogation(request)  # FRZ bits 6-7 left 0: no freeze, no reset
    return _ask(TypeId.C_CI_NA_1, common_address, 0, element, (send_seq, recv_seq))


def read_command(common_address: int, ioa: int, send_seq: int = 0, recv_seq: int = 0) -> bytes:
    """C_RD_NA_1 request: the station answers with the object's current value."""
    return _ask(TypeId.C_RD_NA_1, common_address, ioa, ReadCommand(), (send_seq, recv_seq))
