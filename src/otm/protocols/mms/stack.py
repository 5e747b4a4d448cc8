"""One TSDU through the OSI upper layers: session -> presentation -> ACSE -> MMS.

``decode_tsdu`` decodes every layer of a whole TSDU (a COTP DT payload, or
the reassembly of several) and never raises; inner anomalies are returned
with their layer named in the detail and their offset relative to that
layer's bytes.  ``peek`` is the hot path of data transfer: it reads the few
headers down to the MMS PDU kind, service and invoke id.

Which presentation context carries MMS is told by the tag of each value
(ACSE APDUs are [APPLICATION n], MMS PDUs context-specific), so a capture
that starts after the association was set up decodes the same.  The
encoders build the TSDUs of a whole association (``connect_tsdu``,
``accept_tsdu``) and of data (``data_tsdu``).
"""

from __future__ import annotations

from dataclasses import dataclass

from otm.protocols.common import Anomaly
from otm.protocols.mms.acse import (
    Apdu,
    AssociationRequest,
    AssociationResponse,
    External,
    decode_acse,
    encode_acse,
)
from otm.protocols.mms.anomalies import MmsAnomaly
from otm.protocols.mms.ber import CONSTRUCTED, SEQUENCE, BerError, BitString, header
from otm.protocols.mms.constants import (
    ACSE_ABSTRACT_SYNTAX,
    BER_TRANSFER_SYNTAX,
    DATA_TRANSFER,
    MMS_ABSTRACT_SYNTAX,
    MMS_ABSTRACT_SYNTAX_PREFIX,
    SpduType,
)
from otm.protocols.mms.messages import InitiateRequest, InitiateResponse, MmsPdu
from otm.protocols.mms.pdu import decode_mms, encode_mms, peek_mms
from otm.protocols.mms.presentation import (
    AcceptPresentation,
    ConnectPresentation,
    ContextDefinition,
    ContextResult,
    Ppdu,
    PresentationValue,
    UserData,
    acse_values,
    decode_abort,
    decode_accept,
    decode_connect,
    decode_refuse,
    decode_user_data,
    encode_accept,
    encode_connect,
    encode_user_data,
    mms_values,
)
from otm.protocols.mms.session import SessionPdu, connect, data_transfer, decode_session

K = MmsAnomaly

ACSE_CONTEXT = 1
MMS_CONTEXT = 3
"""Presentation context identifiers MMS stacks propose (odd: initiator's)."""

MMS_APPLICATION_CONTEXT = "1.0.9506.2.3"
"""ACSE application context name IEC 61850 stacks use for MMS."""


@dataclass(frozen=True, slots=True)
class OsiMessage:
    """Every layer of one TSDU that was present and decoded."""

    session: SessionPdu
    presentation: Ppdu | None = None
    acse: Apdu | None = None
    mms: tuple[MmsPdu, ...] = ()

    @property
    def user_data(self) -> UserData | None:
        p = self.presentation
        if isinstance(p, UserData):
            return p
        return None if p is None else p.user_data

    @property
    def is_mms(self) -> bool:
        """True when the TSDU proves an MMS association: an MMS PDU, or a CP
        proposing the MMS abstract syntax."""
        if self.mms:
            return True
        p = self.presentation
        return isinstance(p, ConnectPresentation) and p.mms_context is not None


def _layer(anomaly: Anomaly, layer: str) -> Anomaly:
    return Anomaly(anomaly.kind, f"{layer}: {anomaly.detail}", anomaly.offset)


def _mms_in(values: tuple[PresentationValue, ...] | tuple[External, ...]) -> list[bytes]:
    out = []
    for v in values:
        if v.encoding == 0 and v.data and v.data[0] & 0xC0 == 0x80:
            out.append(v.data)
    return out


def decode_tsdu(tsdu: bytes) -> OsiMessage | Anomaly:
    """A whole TSDU -> its session, presentation, ACSE and MMS messages."""
    session = decode_session(tsdu)
    if isinstance(session, Anomaly):
        return _layer(session, "session")
    ppdu = session.user_data
    si = session.main.si
    if not ppdu:
        return OsiMessage(session)
    presentation: Ppdu | Anomaly
    if session.is_data or si not in (
        SpduType.CONNECT,
        SpduType.ACCEPT,
        SpduType.REFUSE,
        SpduType.ABORT,
    ):
        presentation = decode_user_data(ppdu)
    elif si == SpduType.CONNECT:
        presentation = decode_connect(ppdu)
    elif si == SpduType.ACCEPT:
        presentation = decode_accept(ppdu)
    elif si == SpduType.REFUSE:
        presentation = decode_refuse(ppdu)
    else:
        presentation = decode_abort(ppdu)
    if isinstance(presentation, Anomaly):
        return _layer(presentation, "presentation")
    user_data = presentation if isinstance(presentation, UserData) else presentation.user_data
    acse: Apdu | None = None
    raw_mms = _mms_in(mms_values(user_data))
    for value in acse_values(user_data)[:1]:
        decoded = decode_acse(value.data)
        if isinstance(decoded, Anomaly):
            return _layer(decoded, "acse")
        acse = decoded
        raw_mms += _mms_in(decoded.user_information)
    pdus = []
    for raw in raw_mms:
        pdu = decode_mms(raw)
        if isinstance(pdu, Anomaly):
            return _layer(pdu, "mms")
        pdus.append(pdu)
    return OsiMessage(session, presentation, acse, tuple(pdus))


def peek(tsdu: bytes) -> tuple[int, int, int, int] | None:
    """``(SPDU, MMS PDU kind, service, invoke id)`` of a TSDU, -1 where absent; None if broken.

    The SPDU is the main SPDU's identifier, 1 for data transfer; only data
    transfer is read further (connect, release, abort need ``decode_tsdu``).
    Reads ``01 00 01 00 | 61 L | 30 L | [06 OID] 02 01 id | a0 L | MMS PDU``
    in place: seven header reads for a confirmed request.
    """
    end = len(tsdu)
    if end < 4:
        return None
    si = tsdu[0]
    if si not in (1, 2) or tsdu[1] == 0xFF:
        return (si, -1, -1, -1)
    pos = 2 + tsdu[1]
    if pos + 2 > end or tsdu[pos] != DATA_TRANSFER or tsdu[pos + 1] == 0xFF:
        return (si, -1, -1, -1) if pos == end else None
    pos += 2 + tsdu[pos + 1]
    try:
        cls, tag, s, e = header(tsdu, pos, end)
        if cls != 0x60 or tag != 1:  # fully-encoded-data
            return (1, -1, -1, -1)
        cls, tag, s, e = header(tsdu, s, e)  # PDV-list
        if cls != CONSTRUCTED or tag != SEQUENCE:
            return None
        cls, tag, s, e2 = header(tsdu, s, e)
        if tag == 6 and cls == 0:  # transfer syntax name
            cls, tag, s, e2 = header(tsdu, e2, e)
        if tag != 2 or cls != 0:  # presentation context identifier
            return None
        cls, tag, s, e = header(tsdu, e2, e)
        if cls != 0xA0 or tag != 0:  # single-ASN1-type
            return (1, -1, -1, -1)
        if s >= e or tsdu[s] & 0xC0 != 0x80:  # not context-specific: ACSE
            return (1, -1, -1, -1)
        kind, service, invoke = peek_mms(tsdu, s, e)
        return (1, kind, service, invoke)
    except BerError:
        return None


# --- encoding -----------------------------------------------------------------------------


def data_tsdu(pdu: MmsPdu, context_id: int = MMS_CONTEXT) -> bytes:
    """The TSDU that carries one MMS PDU in data transfer."""
    value = PresentationValue(context_id, encode_mms(pdu))
    return data_transfer(encode_user_data(UserData((value,))))


def connect_tsdu(
    initiate: InitiateRequest,
    calling_ap_title: str | None = "1.1.1",
    called_ap_title: str | None = "1.1.2",
    calling_ae_qualifier: int | None = 1,
    called_ae_qualifier: int | None = 2,
) -> bytes:
    """The session CN of an MMS association: CP proposing ACSE and MMS over BER,
    AARQ with the application context and AP titles, the initiate request inside."""
    external = External(encode_mms(initiate), 0, BER_TRANSFER_SYNTAX, MMS_CONTEXT)
    aarq = AssociationRequest(
        MMS_APPLICATION_CONTEXT,
        BitString(7, b"\x80"),
        called_ap_title,
        called_ae_qualifier,
        None,
        None,
        calling_ap_title,
        calling_ae_qualifier,
        user_information=(external,),
    )
    cp = ConnectPresentation(
        1,
        BitString(7, b"\x80"),
        b"\x00\x00\x00\x01",
        b"\x00\x00\x00\x01",
        (
            ContextDefinition(ACSE_CONTEXT, ACSE_ABSTRACT_SYNTAX, (BER_TRANSFER_SYNTAX,)),
            ContextDefinition(MMS_CONTEXT, MMS_ABSTRACT_SYNTAX, (BER_TRANSFER_SYNTAX,)),
        ),
        BitString(6, b"\x00"),
        None,
        UserData((PresentationValue(ACSE_CONTEXT, encode_acse(aarq)),)),
    )
    return connect(encode_connect(cp))


def accept_tsdu(
    initiate: InitiateResponse,
    responding_ap_title: str | None = "1.1.2",
    responding_ae_qualifier: int | None = 2,
) -> bytes:
    """The session AC answering ``connect_tsdu``: CPA accepting both contexts, AARE
    accepted, the initiate response inside."""
    external = External(encode_mms(initiate), 0, None, MMS_CONTEXT)
    aare = AssociationResponse(
        MMS_APPLICATION_CONTEXT,
        0,
        1,
        0,
        BitString(7, b"\x80"),
        responding_ap_title,
        responding_ae_qualifier,
        user_information=(external,),
    )
    cpa = AcceptPresentation(
        1,
        BitString(7, b"\x80"),
        b"\x00\x00\x00\x01",
        (ContextResult(0, BER_TRANSFER_SYNTAX), ContextResult(0, BER_TRANSFER_SYNTAX)),
        None,
        None,
        UserData((PresentationValue(ACSE_CONTEXT, encode_acse(aare)),)),
    )
    return connect(encode_accept(cpa), accept=True)


__all__ = [
    "ACSE_CONTEXT",
    "MMS_ABSTRACT_SYNTAX_PREFIX",
    "MMS_CONTEXT",
    "OsiMessage",
    "accept_tsdu",
    "connect_tsdu",
    "data_tsdu",
    "decode_tsdu",
    "peek",
]
