"""DNP3 bytes <-> messages, without I/O: link frames, transport segments, fragments.

Hand-written: the DNP3 libraries for Python (pydnp3, dnp3-python, the
opendnp3 bindings) wrap a master or outstation *stack* with its own sockets,
threads and timers, which a passive sensor cannot use and a codec may not
import; none decodes captured bytes one frame at a time.

Decoders take whole units and return a message or an ``Anomaly``, never
raising: ``decode_link_frame`` one frame as the framer delimits it (CRCs
checked), ``decode_transport`` its user data, ``decode_application`` a
fragment rebuilt by ``reassembly.TransportReassembler``.  Encoders turn
messages back into bytes; for every unit a decoder accepts,
``encode_...(decode_...(unit)) == unit``.

The hot path uses ``verify_frame`` and ``strip_crcs``, which work on the
frame in place (no message object), and ``peek``.

Link frame layout (IEEE 1815-2012, clause 9)::

    0      2        3         4             6        8            10
    +------+--------+---------+-------------+--------+------------+-----------------+
    | 0564 | length | control | destination | source | header CRC | data blocks ... |
    +------+--------+---------+-------------+--------+------------+-----------------+

Each data block is 16 octets of user data and their CRC (the last block
1-16 octets); ``length`` counts control, addresses and user data (5-255).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from otm.protocols.common import Anomaly
from otm.protocols.dnp3.anomalies import Dnp3Anomaly
from otm.protocols.dnp3.constants import (
    BLOCK_SIZE,
    FIN,
    FIR,
    FIRST_RESPONSE_CODE,
    HEADER_LENGTH,
    MAX_USER_DATA,
    MIN_LENGTH,
    PRIMARY_NAMES,
    PRM,
    SECONDARY_NAMES,
    SEQUENCE_MASK,
    USER_DATA_FUNCTIONS,
    FunctionCode,
)
from otm.protocols.dnp3.crc import append_crc, first_bad_block
from otm.protocols.dnp3.messages import (
    Fragment,
    LinkFrame,
    ObjectHeader,
    Request,
    Response,
    TransportSegment,
)
from otm.protocols.dnp3.objects import encode_object_header, walk_objects

K = Dnp3Anomaly

_ADDRESSES = struct.Struct("<BHH")  # control, destination, source at offset 3

MAX_SEGMENT_DATA = MAX_USER_DATA - 1
"""Application octets one transport segment carries (249): the frame's user
data less the transport header."""


def frame_size(length: int) -> int:
    """Octets on the wire of a frame whose length byte is ``length`` (5-255)."""
    data = length - MIN_LENGTH
    return HEADER_LENGTH + data + 2 * ((data + BLOCK_SIZE - 1) // BLOCK_SIZE)


# --- link layer ---------------------------------------------------------------------


def peek(frame: bytes) -> tuple[int, int, int] | None:
    """(control, destination, source) of a frame's header, None when it is shorter."""
    if len(frame) < HEADER_LENGTH:
        return None
    control, destination, source = _ADDRESSES.unpack_from(frame, 3)
    return control, destination, source


def verify_frame(frame: bytes) -> Anomaly | None:
    """None when ``frame`` is exactly one link frame with every CRC right.

    Checks the start octets, the length byte, the size against it, the
    header CRC and each block CRC, in that order; allocates nothing on
    success.
    """
    size = len(frame)
    if size < HEADER_LENGTH:
        return Anomaly(K.TRUNCATED, f"{size}-octet frame, the header needs 10", size)
    if frame[0] != 0x05 or frame[1] != 0x64:
        return Anomaly(K.BAD_START, f"start 0x{frame[0]:02x}{frame[1]:02x}", 0)
    length = frame[2]
    if length < MIN_LENGTH:
        return Anomaly(K.INVALID_LENGTH, f"length {length}", 2)
    want = frame_size(length)
    if size < want:
        return Anomaly(K.TRUNCATED, f"length {length} needs {want} octets, {size} present", size)
    if size > want:
        return Anomaly(K.TRAILING_BYTES, f"{size - want} octets after the frame", want)
    bad = first_bad_block(frame)
    if bad < 0:
        return None
    if bad == 0:
        return Anomaly(K.BAD_HEADER_CRC, "header CRC does not match", 8)
    block = min(BLOCK_SIZE, size - bad - 2)
    return Anomaly(K.BAD_DATA_CRC, f"block at octet {bad}", bad + block)


def _cuts(size: int) -> tuple[slice, ...]:
    return tuple(
        slice(pos, min(pos + BLOCK_SIZE, size - 2))
        for pos in range(HEADER_LENGTH, size - 2, BLOCK_SIZE + 2)
    )


_CUTS = {frame_size(length): _cuts(frame_size(length)) for length in range(MIN_LENGTH, 256)}
"""Frame size -> the slices of its user data blocks (CRCs left out), built once."""


def strip_crcs(frame: bytes) -> bytes:
    """The user data of a verified frame, without its block CRCs."""
    cuts = _CUTS.get(len(frame), ())
    if len(cuts) == 1:
        return frame[cuts[0]]
    return b"".join([frame[cut] for cut in cuts])


def check_link_function(control: int, user_data_length: int) -> Anomaly | None:
    """None when the link function is defined for the PRM bit and agrees with the user data."""
    function = control & 0x0F
    if control & PRM:
        if function not in PRIMARY_NAMES:
            return Anomaly(K.UNKNOWN_LINK_FUNCTION, f"primary function {function}", 3)
        if function in USER_DATA_FUNCTIONS:
            if not user_data_length:
                return Anomaly(K.MISSING_USER_DATA, "user data frame without user data", 3)
            return None
    elif function not in SECONDARY_NAMES:
        return Anomaly(K.UNKNOWN_LINK_FUNCTION, f"secondary function {function}", 3)
    if user_data_length:
        return Anomaly(K.UNEXPECTED_USER_DATA, f"{user_data_length} octets of user data", 10)
    return None


def decode_link_frame(frame: bytes) -> LinkFrame | Anomaly:
    """One whole link frame (as ``framing.frame_length`` delimits it), CRCs checked."""
    bad = verify_frame(frame)
    if bad is not None:
        return bad
    control, destination, source = _ADDRESSES.unpack_from(frame, 3)
    user_data = bytes(strip_crcs(frame))
    bad = check_link_function(control, len(user_data))
    if bad is not None:
        return bad
    return LinkFrame(control, destination, source, user_data)


def encode_link_frame(frame: LinkFrame) -> bytes:
    """The frame's octets with its length and every CRC computed.

    ``ValueError`` when the user data exceeds 250 octets or a field its range.
    """
    data = frame.user_data
    if len(data) > MAX_USER_DATA:
        raise ValueError(f"{len(data)} octets of user data, at most {MAX_USER_DATA}")
    if not (0 <= frame.control <= 0xFF and 0 <= frame.destination <= 0xFFFF):
        raise ValueError("control or destination out of range")
    if not 0 <= frame.source <= 0xFFFF:
        raise ValueError("source out of range")
    head = bytes((0x05, 0x64, MIN_LENGTH + len(data)))
    header = head + _ADDRESSES.pack(frame.control, frame.destination, frame.source)
    out = [append_crc(header)]
    out.extend(append_crc(data[pos : pos + BLOCK_SIZE]) for pos in range(0, len(data), BLOCK_SIZE))
    return b"".join(out)


# --- transport ------------------------------------------------------------------------


def decode_transport(user_data: bytes) -> TransportSegment | Anomaly:
    """The transport header and application octets of a frame's user data."""
    if not user_data:
        return Anomaly(K.TRUNCATED, "no transport header", 0)
    return TransportSegment(user_data[0], bytes(user_data[1:]))


def encode_transport(segment: TransportSegment) -> bytes:
    """``header | data``."""
    return bytes((segment.header,)) + segment.data


def transport_header(fir: bool, fin: bool, sequence: int) -> int:
    """The transport header octet."""
    return (FIN if fin else 0) | (FIR if fir else 0) | (sequence & SEQUENCE_MASK)


def segment_fragment(fragment: bytes, sequence: int = 0) -> Iterator[TransportSegment]:
    """Cut a fragment into transport segments of at most 249 octets, numbered from
    ``sequence`` (an empty fragment gives one empty FIR+FIN segment)."""
    count = max(1, -(-len(fragment) // MAX_SEGMENT_DATA))
    for index in range(count):
        part = fragment[index * MAX_SEGMENT_DATA : (index + 1) * MAX_SEGMENT_DATA]
        header = transport_header(index == 0, index == count - 1, sequence + index)
        yield TransportSegment(header, part)


def encode_frames(
    control: int, destination: int, source: int, fragment: bytes, sequence: int = 0
) -> list[bytes]:
    """The link frames that carry ``fragment`` from ``source`` to ``destination``."""
    return [
        encode_link_frame(LinkFrame(control, destination, source, encode_transport(segment)))
        for segment in segment_fragment(fragment, sequence)
    ]


# --- application layer ---------------------------------------------------------------


def decode_application(fragment: bytes) -> Fragment | Anomaly:
    """A whole application fragment: request or response by its function code.

    The object headers are walked as far as their objects can be sized (see
    ``objects``); what follows an unsized header is the message's ``rest``.
    """
    if len(fragment) < 2:
        return Anomaly(K.TRUNCATED, f"{len(fragment)}-octet fragment", len(fragment))
    control, function = fragment[0], fragment[1]
    if function >= FIRST_RESPONSE_CODE:
        if len(fragment) < 4:
            return Anomaly(K.TRUNCATED, "response without its two IIN octets", len(fragment))
        walked = walk_objects(fragment, 4, function)
        if isinstance(walked, Anomaly):
            return walked
        iin = (fragment[2] << 8) | fragment[3]
        return Response(control, function, iin, walked[0], walked[1])
    walked = walk_objects(fragment, 2, function)
    if isinstance(walked, Anomaly):
        return walked
    return Request(control, function, walked[0], walked[1])


def encode_application(message: Fragment) -> bytes:
    """The fragment's octets: control, function code, [IIN,] headers with objects, rest."""
    out = bytearray((message.control, message.function_code))
    if isinstance(message, Response):
        out += message.iin.to_bytes(2, "big")
    for header in message.objects:
        out += encode_object_header(header)
    out += message.rest
    return bytes(out)


def application_control(fir: bool, fin: bool, con: bool, uns: bool, sequence: int) -> int:
    """The application control octet."""
    return (
        (0x80 if fir else 0)
        | (0x40 if fin else 0)
        | (0x20 if con else 0)
        | (0x10 if uns else 0)
        | (sequence & 0x0F)
    )


def device_attributes_request(sequence: int = 0) -> Request:
    """A read of every device attribute (group 0 variation 254, all objects).

    Read-only by construction: function code 1 and group 0 only.
    """
    header = ObjectHeader(0, 254, 0x06, None, None, None, b"")
    return Request(
        application_control(True, True, False, False, sequence), FunctionCode.READ, (header,)
    )
