"""Hypothesis strategies that build every HART-IP message shape the codec encodes."""

from __future__ import annotations

from hypothesis import strategies as st

from otm.protocols.hartip import messages as m
from otm.protocols.hartip.constants import MessageId, MessageType

u8 = st.integers(0, 0xFF)
u16 = st.integers(0, 0xFFFF)


def _pdus(reply: bool) -> st.SearchStrategy[m.HartPdu]:
    frame_types = st.sampled_from((1, 6)) if reply else st.just(2)

    def build(
        frame: int,
        long: bool,
        expansion: bytes,
        preambles: int,
        command: int,
        data: bytes,
        rc: int,
        ds: int,
        address: bytes,
    ) -> m.HartPdu:
        delimiter = frame | (0x80 if long else 0) | (len(expansion) << 5)
        return m.HartPdu(
            delimiter,
            address[:5] if long else address[:1],
            command,
            data,
            rc if reply else None,
            ds if reply else None,
            expansion,
            preambles,
        )

    return st.builds(
        build,
        frame_types,
        st.booleans(),
        st.binary(max_size=3),
        st.integers(0, 20),
        u8,
        st.binary(max_size=240),
        u8,
        u8,
        st.binary(min_size=5, max_size=5),
    )


REQUEST_PDUS = _pdus(False)
REPLY_PDUS = _pdus(True)


def _direct(reply: bool) -> st.SearchStrategy[m.DirectPdu]:
    command = st.builds(
        m.DirectCommand,
        u16,
        st.binary(max_size=60 if not reply else 59),
        u8 if reply else st.none(),
    )
    return st.builds(m.DirectPdu, u8, u8, st.lists(command, max_size=5).map(tuple))


VERSIONS = st.sampled_from((1, 2))


def _message(
    message_type: int, message_id: int, body: st.SearchStrategy[m.Body]
) -> st.SearchStrategy[m.HartIpMessage]:
    return st.builds(
        m.HartIpMessage, VERSIONS, st.just(message_type), st.just(message_id), u8, u16, body
    )


_REQ, _RSP = MessageType.REQUEST, MessageType.RESPONSE
_SESSION = st.builds(m.SessionInitiate, u8, st.integers(0, 2**32 - 1))
_NAK_BODIES = st.one_of(
    st.none(),
    st.builds(m.ErrorBody, u8),
    st.binary(min_size=2, max_size=20).map(m.RawBody),
)

MESSAGES: st.SearchStrategy[m.HartIpMessage] = st.one_of(
    _message(_REQ, MessageId.SESSION_INITIATE, _SESSION),
    _message(_RSP, MessageId.SESSION_INITIATE, st.one_of(st.none(), _SESSION)),
    _message(_REQ, MessageId.SESSION_CLOSE, st.none()),
    _message(_RSP, MessageId.KEEP_ALIVE, st.none()),
    _message(_REQ, MessageId.TOKEN_PASSING_PDU, REQUEST_PDUS),
    _message(_RSP, MessageId.TOKEN_PASSING_PDU, st.one_of(REPLY_PDUS, st.none())),
    _message(MessageType.PUBLISH, MessageId.TOKEN_PASSING_PDU, REPLY_PDUS),
    _message(_REQ, MessageId.DIRECT_PDU, _direct(False)),
    _message(_RSP, MessageId.DIRECT_PDU, _direct(True)),
    _message(_REQ, MessageId.READ_AUDIT_LOG, st.binary(min_size=1, max_size=40).map(m.RawBody)),
    _message(MessageType.ERROR, MessageId.SESSION_INITIATE, st.builds(m.ErrorBody, u8)),
    _message(MessageType.NAK, MessageId.TOKEN_PASSING_PDU, _NAK_BODIES),
)

_OPTIONAL_WIDTHS = (1, 1, 2, 1, 2, 2, 1)
"""Octets of the command 0 reply fields after the device id, in wire order."""


def _identifier(present: int) -> st.SearchStrategy[m.UniqueIdentifier]:
    """Command 0 replies with the first ``present`` optional fields."""
    optional = [
        st.integers(0, (1 << (8 * width)) - 1) if i < present else st.none()
        for i, width in enumerate(_OPTIONAL_WIDTHS)
    ]
    head = [u8, u16, u8, u8, u8, u8, u8, u8, st.integers(0, 0xFFFFFF)]
    extra = st.binary(max_size=8) if present == len(_OPTIONAL_WIDTHS) else st.just(b"")
    return st.builds(m.UniqueIdentifier, *head, *optional, extra=extra)


UNIQUE_IDENTIFIERS = st.integers(0, len(_OPTIONAL_WIDTHS)).flatmap(_identifier)

PACKED_TEXT = st.text(
    alphabet=st.sampled_from([chr(c) for c in range(0x20, 0x60)]), max_size=8
).map(lambda t: t.rstrip(" "))
