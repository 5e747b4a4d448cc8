"""GOOSE and Sampled Values frames as frozen dataclasses, fields in wire order.

Both ride straight on Ethernet behind the same 8-byte header::

    0       2        4            6            8
    +-------+--------+------------+------------+---------------------+
    | APPID | Length | Reserved 1 | Reserved 2 | APDU (BER) ...      |
    +-------+--------+------------+------------+---------------------+

``Length`` counts from the APPID to the end of the APDU and is derived
when encoding, so it is not stored.  Reserved 1 bit 15 is the simulation
(S) bit of edition 2; Reserved 2 is kept as sent (edition 2.1 puts a CRC of
the header there when IEC 62351-6 security is on).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TypeAlias

from otm.protocols.goose.constants import (
    SIMULATED_BIT,
    TIME_QUALITY_ACCURACY,
    TIME_QUALITY_CLOCK_FAILURE,
    TIME_QUALITY_CLOCK_NOT_SYNCHRONIZED,
    TIME_QUALITY_LEAP_SECOND_KNOWN,
)

_SAMPLE = struct.Struct(">iI")


@dataclass(frozen=True, slots=True)
class UtcTime:
    """IEC 61850 UtcTime (8-1 8.1.3.7), 8 octets: ``seconds since 1970-01-01
    UTC u32 | fraction of a second u24 (units of 2^-24 s) | quality u8``."""

    seconds: int
    fraction: int
    quality: int

    @property
    def nanoseconds(self) -> int:
        """The fraction in whole nanoseconds, rounded down (as Wireshark shows it)."""
        return self.fraction * 1_000_000_000 >> 24

    @property
    def leap_second_known(self) -> bool:
        return bool(self.quality & TIME_QUALITY_LEAP_SECOND_KNOWN)

    @property
    def clock_failure(self) -> bool:
        return bool(self.quality & TIME_QUALITY_CLOCK_FAILURE)

    @property
    def clock_not_synchronized(self) -> bool:
        return bool(self.quality & TIME_QUALITY_CLOCK_NOT_SYNCHRONIZED)

    @property
    def accuracy_bits(self) -> int:
        """Significant bits of the fraction (0-24; 31 unspecified)."""
        return self.quality & TIME_QUALITY_ACCURACY


@dataclass(frozen=True, slots=True)
class BitString:
    """A BIT STRING (X.690 8.6): ``unused bits in the last octet (0-7) | octets``;
    the first bit is the most significant bit of the first octet."""

    padding: int
    data: bytes

    @property
    def bits(self) -> str:
        """The meaningful bits as ``0``/``1`` characters, first bit first."""
        text = "".join(f"{byte:08b}" for byte in self.data)
        return text[: len(text) - self.padding] if self.padding else text


DataValue: TypeAlias = "bool | int | float | str | bytes | BitString | UtcTime | tuple[Data, ...]"


@dataclass(frozen=True, slots=True)
class Data:
    """One dataset value, an MMS Data choice (``constants.DataKind``).

    ``value`` by kind: array, structure -> ``tuple[Data, ...]``; boolean ->
    bool; integer, unsigned, bcd -> int; floating-point -> float (single or
    double; other widths -> the raw octets); bit-string, boolean-array ->
    ``BitString``; visible-string (Latin-1), mms-string (UTF-8) -> str;
    utc-time -> ``UtcTime``; octet-string, binary-time, generalized-time,
    obj-id, real -> bytes.
    """

    kind: int
    value: DataValue


@dataclass(frozen=True, slots=True)
class GoosePdu:
    """IECGoosePdu, IEC 61850-8-1 Annex A, fields [0]-[12] in order.

    ``gocb_ref`` names the GOOSE control block (``LD/LLN0$GO$name``),
    ``dat_set`` its dataset, ``go_id`` the application id (optional);
    ``time_allowed_to_live`` ms before a subscriber declares the stream lost;
    ``t`` when ``st_num`` last changed; ``st_num`` counts state changes,
    ``sq_num`` the repeats since; ``simulation`` is ``test`` in edition 1;
    ``conf_rev`` counts configuration changes; ``nds_com`` says the publisher
    needs commissioning; ``security`` (optional) is kept raw.
    """

    gocb_ref: str
    time_allowed_to_live: int
    dat_set: str
    go_id: str | None
    t: UtcTime
    st_num: int
    sq_num: int
    simulation: bool
    conf_rev: int
    nds_com: bool
    num_dat_set_entries: int
    all_data: tuple[Data, ...]
    security: bytes | None = None


@dataclass(frozen=True, slots=True)
class Asdu:
    """One Sampled Values ASDU, IEC 61850-9-2 table 14.

    ``sv_id`` names the stream (MsvID/UsvID), ``dat_set`` its dataset
    (optional), ``smp_cnt`` the sample counter (wraps at the sample rate),
    ``conf_rev`` the configuration revision, ``refr_tm`` the refresh time
    (optional), ``smp_synch`` 0 none / 1 local / 2 global clock (a boolean in
    edition 1), ``smp_rate`` samples per period or second (optional),
    ``samples`` the dataset values (9-2 LE: 8 x (INT32 value, quality u32)),
    ``smp_mod`` what ``smp_rate`` counts (optional), ``gm_identity`` the
    grandmaster clock id (edition 2.1, optional).  Counters are fixed-width
    unsigned integers (9-2 table 15): smpCnt 2 octets, confRev 4, smpSynch 1,
    smpRate 2, smpMod 2.
    """

    sv_id: str
    dat_set: str | None
    smp_cnt: int
    conf_rev: int
    refr_tm: UtcTime | None
    smp_synch: int
    smp_rate: int | None
    samples: bytes
    smp_mod: int | None = None
    gm_identity: bytes | None = None

    @property
    def measurements(self) -> tuple[tuple[int, int], ...]:
        """(value, quality) pairs when ``samples`` is a whole number of them
        (the 9-2 LE layout), else ()."""
        if len(self.samples) % 8:
            return ()
        return tuple(_SAMPLE.iter_unpack(self.samples))


@dataclass(frozen=True, slots=True)
class SavPdu:
    """savPdu, IEC 61850-9-2 table 14: ``noASDU`` as sent (it should equal
    ``len(asdus)``), optional ``security`` kept raw, the ASDUs."""

    no_asdu: int
    asdus: tuple[Asdu, ...]
    security: bytes | None = None


@dataclass(frozen=True, slots=True)
class GooseFrame:
    """A GOOSE frame: header fields and the goosePdu."""

    appid: int
    reserved1: int
    reserved2: int
    pdu: GoosePdu

    @property
    def simulated(self) -> bool:
        """The header's S bit (edition 2)."""
        return bool(self.reserved1 & SIMULATED_BIT)


@dataclass(frozen=True, slots=True)
class SvFrame:
    """A Sampled Values frame: header fields and the savPdu."""

    appid: int
    reserved1: int
    reserved2: int
    pdu: SavPdu

    @property
    def simulated(self) -> bool:
        """The header's S bit (edition 2)."""
        return bool(self.reserved1 & SIMULATED_BIT)
