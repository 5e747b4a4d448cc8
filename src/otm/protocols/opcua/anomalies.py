"""What can be wrong with OPC UA binary bytes, as data (``Anomaly.kind`` values)."""

from __future__ import annotations

from enum import StrEnum


class OpcUaAnomaly(StrEnum):
    """Kinds of broken OPC UA input.

    Decoders return them inside ``otm.protocols.common.Anomaly``; offsets are
    relative to the start of what was handed in (a chunk, a payload or a body).
    A body that is encrypted is not an anomaly: the codec returns it as bytes.
    """

    TRUNCATED = "truncated"
    """The bytes end before the chunk header, the declared message size, or a
    field (a string, array or structure claims more bytes than are left)."""

    UNKNOWN_MESSAGE_TYPE = "unknown_message_type"
    """The three-byte message type is none of HEL, ACK, ERR, RHE, OPN, CLO, MSG."""

    BAD_CHUNK_TYPE = "bad_chunk_type"
    """The chunk type is not F, C or A, or a connection message (HEL, ACK, ERR,
    RHE) is not final (F): those are never split."""

    INVALID_SIZE = "invalid_size"
    """The message size is below the header or above ``MAX_CHUNK_SIZE``."""

    INVALID_LENGTH = "invalid_length"
    """A string, byte string or array length is negative other than -1 (null)."""

    INVALID_ENCODING = "invalid_encoding"
    """An encoding byte has a value Part 6 does not define: a NodeId form above
    5 (or the ExpandedNodeId flags on a plain NodeId), a Variant type above 25,
    an ExtensionObject encoding above 2, a scalar Variant holding a Variant."""

    TOO_DEEP = "too_deep"
    """DiagnosticInfo, Variant or DataValue nesting beyond ``MAX_DEPTH`` levels."""

    TRAILING_BYTES = "trailing_bytes"
    """Bytes after the declared message size, or after a message's layout in a
    body known to carry no signature (a channel with SecurityPolicy None)."""

    UNEXPECTED_SERVICE = "unexpected_service"
    """A body whose type id is not the one its place requires (an OPN body that
    is not an OpenSecureChannel request or response, a typed decoder handed
    another service)."""

    INVALID_VALUE = "invalid_value"
    """``check_values`` only: a well-formed field outside what Part 6 allows
    (buffers below 8192 bytes, an endpoint URL over 4096 bytes, a security mode
    or request type outside its enumeration, a protocol version other than 0)."""

    MESSAGE_TOO_LARGE = "message_too_large"
    """A message being joined from chunks grew past the assembler's bound
    (``reassembly.MAX_MESSAGE_SIZE``); it is dropped, its chunks still counted."""
