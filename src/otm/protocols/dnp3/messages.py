"""DNP3 messages, one frozen dataclass per layer, fields in wire order.

Layers (IEEE 1815-2012): a *link frame* (clause 9) carries at most 250
octets of user data; its first octet is the *transport header* (clause 8),
the rest one *segment* of an *application fragment* (clause 4), which the
receiver rebuilds from the segments FIR ... FIN.  A fragment is a request
(function codes 0-127) or a response (128-255, with internal indications)
followed by object headers, each with the objects it covers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from otm.protocols.dnp3.constants import (
    APP_CON,
    APP_FIN,
    APP_FIR,
    APP_SEQUENCE_MASK,
    APP_UNS,
    DFC,
    DIR,
    FCB,
    FCV,
    FIN,
    FIR,
    FUNCTION_MASK,
    PRM,
    SEQUENCE_MASK,
    DataType,
    device_attribute_name,
    iin_names,
    link_function_name,
    operation_category,
    operation_name,
)


@dataclass(frozen=True, slots=True)
class LinkFrame:
    """One data link frame (clause 9).

    ::

        0      2        3         4             6        8            10
        +------+--------+---------+-------------+--------+------------+------------------+
        | 0564 | length | control | destination | source | header CRC | user data blocks |
        +------+--------+---------+-------------+--------+------------+------------------+
          2      u8       u8        u16 LE        u16 LE   u16 LE       16 octets + CRC,
                                                                        last block shorter

    ``length`` counts control, destination, source and the user data
    (5-255), never the CRCs, so it is derived and not stored; ``user_data``
    is without its block CRCs.  Control: DIR (bit 7), PRM (6), FCB (5) and
    FCV (4) in primary frames or DFC (4) in secondary ones, function (0-3).
    """

    control: int
    destination: int
    source: int
    user_data: bytes

    @property
    def dir(self) -> bool:
        """True when a master sent the frame."""
        return bool(self.control & DIR)

    @property
    def prm(self) -> bool:
        """True for a primary frame (it starts a link transaction)."""
        return bool(self.control & PRM)

    @property
    def fcb(self) -> bool:
        """Frame count bit (meaningful in primary frames)."""
        return bool(self.control & FCB)

    @property
    def fcv(self) -> bool:
        """Frame count valid (primary frames)."""
        return bool(self.control & FCV)

    @property
    def dfc(self) -> bool:
        """Data flow control (secondary frames): the same bit as FCV."""
        return bool(self.control & DFC)

    @property
    def function(self) -> int:
        """Link function code, 0-15 (its meaning depends on PRM)."""
        return self.control & FUNCTION_MASK

    @property
    def function_name(self) -> str:
        """``unconfirmed_user_data``, ``ack`` ..."""
        return link_function_name(self.prm, self.function)


@dataclass(frozen=True, slots=True)
class TransportSegment:
    """The user data of one link frame (clause 8).

    ``header u8 (FIN bit 7 | FIR bit 6 | sequence 0-63) | application octets``.
    """

    header: int
    data: bytes

    @property
    def fin(self) -> bool:
        """The last segment of its fragment."""
        return bool(self.header & FIN)

    @property
    def fir(self) -> bool:
        """The first segment of its fragment."""
        return bool(self.header & FIR)

    @property
    def sequence(self) -> int:
        """0-63, one more than the previous segment's, wrapping."""
        return self.header & SEQUENCE_MASK


@dataclass(frozen=True, slots=True)
class ObjectHeader:
    """One object header and the objects it covers (clauses 4.2.2 and 12).

    ``group u8 | variation u8 | qualifier u8 | range field | objects``.  The
    qualifier's bits 6-4 are the object prefix code (none, an index of 1, 2
    or 4 octets, an object size of 1, 2 or 4 octets), bits 3-0 the range
    specifier code.  ``start``/``stop`` hold a start-stop range (codes 0-5),
    ``count`` a count (codes 7, 8, 9, 0xB); both None for code 6 (all
    objects).  ``data`` is every octet of the objects, prefixes included:
    ``b""`` when the header carries none (a read request), None when the
    objects could not be sized (then the walk stopped here and the rest of
    the fragment is the message's ``rest``).
    """

    group: int
    variation: int
    qualifier: int
    start: int | None
    stop: int | None
    count: int | None
    data: bytes | None

    @property
    def prefix_code(self) -> int:
        """Object prefix code, 0-7."""
        return (self.qualifier >> 4) & 0x07

    @property
    def range_code(self) -> int:
        """Range specifier code, 0-15."""
        return self.qualifier & 0x0F

    @property
    def quantity(self) -> int | None:
        """Objects the header covers: the count, or stop - start + 1; None for all objects."""
        if self.count is not None:
            return self.count
        if self.start is not None and self.stop is not None:
            return self.stop - self.start + 1
        return None


class _ApplicationControl:
    """The bits of the application control octet (clause 4.2.2.4), read the same
    way in requests and responses: ``FIR bit 7 | FIN 6 | CON 5 | UNS 4 | sequence 0-15``."""

    __slots__ = ()
    control: int

    @property
    def fir(self) -> bool:
        return bool(self.control & APP_FIR)

    @property
    def fin(self) -> bool:
        return bool(self.control & APP_FIN)

    @property
    def con(self) -> bool:
        return bool(self.control & APP_CON)

    @property
    def uns(self) -> bool:
        return bool(self.control & APP_UNS)

    @property
    def sequence(self) -> int:
        return self.control & APP_SEQUENCE_MASK


@dataclass(frozen=True, slots=True)
class Request(_ApplicationControl):
    """An application fragment with a request function code (0-127), clause 4.2.2.

    ``application control u8 (FIR bit 7 | FIN 6 | CON 5 | UNS 4 | sequence 0-15) |
    function code u8 | object headers``.  ``rest`` keeps the octets after
    the last header the walk could size (empty when it walked everything).
    """

    control: int
    function_code: int
    objects: tuple[ObjectHeader, ...]
    rest: bytes = b""

    @property
    def operation(self) -> str:
        """``read``, ``direct_operate`` ... (``function_0x..`` when undefined)."""
        return operation_name(self.function_code)

    @property
    def category(self) -> str:
        """The function's policy category."""
        return operation_category(self.function_code)


@dataclass(frozen=True, slots=True)
class Response(_ApplicationControl):
    """An application fragment with a response function code (128-255), clause 4.2.2.

    ``application control u8 | function code u8 | IIN1 u8 | IIN2 u8 |
    object headers``.  ``iin`` is ``IIN1 << 8 | IIN2`` (as tshark shows it).
    """

    control: int
    function_code: int
    iin: int
    objects: tuple[ObjectHeader, ...]
    rest: bytes = b""

    @property
    def operation(self) -> str:
        """``response``, ``unsolicited_response`` or ``authenticate_resp``."""
        return operation_name(self.function_code)

    @property
    def indications(self) -> tuple[str, ...]:
        """Names of the internal indications set (``device_restart`` ...)."""
        return iin_names(self.iin)


Fragment: TypeAlias = Request | Response
"""What ``decode_application`` returns for a fragment it can read."""


@dataclass(frozen=True, slots=True)
class DeviceAttribute:
    """One group 0 object: a device attribute (IEEE 1815-2012, Annex A, group 0).

    ``[index prefix] | data type u8 | length u8 | value (length octets)``.
    ``index`` is the attribute set (0 for the standard set) when the header
    gives one.
    """

    variation: int
    index: int | None
    data_type: int
    value: bytes

    @property
    def name(self) -> str:
        """``manufacturer_name``, ``serial_number`` ... (``attribute_<n>`` if undefined)."""
        return device_attribute_name(self.variation)

    @property
    def text(self) -> str:
        """The value as text: strings decoded (UTF-8, else Latin-1, trailing NULs
        and blanks dropped), integers in decimal, other types in hex."""
        kind = self.data_type
        value = self.value
        if kind in (DataType.VISIBLE_STRING, DataType.UNICODE_STRING):
            try:
                decoded = value.decode("utf-8")
            except UnicodeDecodeError:
                decoded = value.decode("latin-1")
            return decoded.rstrip("\x00").strip()
        if kind == DataType.UNSIGNED_INTEGER and 0 < len(value) <= 8:
            return str(int.from_bytes(value, "little"))
        if kind == DataType.SIGNED_INTEGER and 0 < len(value) <= 8:
            return str(int.from_bytes(value, "little", signed=True))
        return value.hex()

    @property
    def number(self) -> int | None:
        """The value of an unsigned or signed integer attribute, else None."""
        if not 0 < len(self.value) <= 8:
            return None
        if self.data_type == DataType.UNSIGNED_INTEGER:
            return int.from_bytes(self.value, "little")
        if self.data_type == DataType.SIGNED_INTEGER:
            return int.from_bytes(self.value, "little", signed=True)
        return None
