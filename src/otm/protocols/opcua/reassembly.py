"""Joining the chunks of one direction of a secure channel into messages.

A message larger than the peer's receive buffer travels as chunks of type
``C`` ending with an ``F`` (or abandoned with an ``A``), all carrying the
same RequestId in their sequence header (Part 6 6.7.2.2).  Only the first
chunk carries the service's type id.  The assembler is fed the clear body of
each chunk; it holds at most ``max_open`` unfinished messages of at most
``max_size`` bytes each, so a peer cannot make it grow without bound.
"""

from __future__ import annotations

from otm.protocols.common import Anomaly
from otm.protocols.opcua.anomalies import OpcUaAnomaly
from otm.protocols.opcua.constants import CHUNK_ABORT, CHUNK_FINAL, CHUNK_INTERMEDIATE

MAX_OPEN_MESSAGES = 16
"""Unfinished messages held per direction.  A client waits for few responses at
once (a Publish or two and a request), and chunks of one message follow each
other; 16 leaves room for pipelining without letting garbage pile up."""

MAX_MESSAGE_SIZE = 1 << 20
"""Bytes a message kept for decoding may reach (1 MiB).  The largest identity
answer, GetEndpoints of a server with dozens of endpoints each carrying a
certificate, is tens of KiB; beyond this the message is dropped."""


class ChunkAssembler:
    """Messages of one direction, from the clear bodies of their chunks."""

    __slots__ = ("max_open", "max_size", "unfinished")

    def __init__(self, max_open: int = MAX_OPEN_MESSAGES, max_size: int = MAX_MESSAGE_SIZE) -> None:
        self.max_open = max_open
        self.max_size = max_size
        self.unfinished: dict[int, bytearray | None] = {}
        """Request id -> bytes so far (None: tracked, not kept), oldest first.  Read
        it to tell a continuation without a call (the sensor's hot path); change
        it only through ``push`` and ``reset``."""

    def __len__(self) -> int:
        """Unfinished messages held or tracked."""
        return len(self.unfinished)

    def reset(self) -> None:
        """Forget every unfinished message (bytes of the stream were lost)."""
        self.unfinished.clear()

    def is_continuation(self, request_id: int) -> bool:
        """Whether a chunk of ``request_id`` continues a message already begun."""
        return request_id in self.unfinished

    def push(
        self, request_id: int, chunk_type: int, body: bytes, keep: bool = True
    ) -> bytes | Anomaly | None:
        """Add one chunk's body; the whole message when this chunk ends it.

        ``keep`` (read on a message's first chunk) says whether the caller wants
        the message's bytes; a message not kept is only tracked, so that its
        later chunks are known as continuations, and comes back as None.  An
        abort chunk (A) drops the message and returns None; an unknown chunk
        type returns None and changes nothing.  A kept message that outgrows
        ``max_size`` is reported once (``message_too_large``) and then only
        tracked.
        """
        if chunk_type == CHUNK_ABORT:
            self.unfinished.pop(request_id, None)
            return None
        if chunk_type not in (CHUNK_FINAL, CHUNK_INTERMEDIATE):
            return None
        final = chunk_type == CHUNK_FINAL
        if request_id in self.unfinished:
            parts = self.unfinished[request_id]
            if final:
                del self.unfinished[request_id]
        else:
            if final:
                return body if keep else None
            if len(self.unfinished) >= self.max_open:
                del self.unfinished[next(iter(self.unfinished))]
            parts = bytearray() if keep else None
            self.unfinished[request_id] = parts
        if parts is None:
            return None
        if len(parts) + len(body) > self.max_size:
            if not final:
                self.unfinished[request_id] = None
            return Anomaly(
                OpcUaAnomaly.MESSAGE_TOO_LARGE,
                f"request {request_id}: message over {self.max_size} bytes",
            )
        parts += body
        return bytes(parts) if final else None
