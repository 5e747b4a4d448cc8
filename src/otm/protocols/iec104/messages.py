"""IEC 60870-5-104 messages: APCI frames, the ASDU, information objects and elements.

Every message is a frozen dataclass, fields in wire order, named after the
standard.  Qualifier octets (SIQ, DIQ, QDS, SCO ...) are kept whole, so that
any bytes a decoder accepts re-encode to themselves; properties read their
bits.  Multi-octet values are little-endian on the wire (IEC 60870-5-4).

APDU (104 5.1)::

    0     1       2     3     4     5     6
    +-----+-------+-----+-----+-----+-----+--------------------+
    | 68h | len   | CF1 | CF2 | CF3 | CF4 | ASDU (I frames)    |
    +-----+-------+-----+-----+-----+-----+--------------------+
            4-253   I: N(S) << 1 (u16)  | N(R) << 1 (u16)
                    S: 01h 00h          | N(R) << 1
                    U: function | 03h, 00h, 00h, 00h

ASDU (104 9, standard profile)::

    type id u8 | VSQ (SQ bit 7, number 0-127) u8 | cause u8 (T bit 7, P/N bit 6,
    cause 0-63) | originator address u8 | common address u16 |
    information objects: IOA u24 + elements (SQ=0: each object has its IOA;
    SQ=1: one IOA, then ``number`` elements at consecutive addresses)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TypeAlias

from otm.protocols.iec104.constants import (
    COT_CAUSE_MASK,
    cause_name,
    type_mnemonic,
    type_name,
)

# --- time tags (101 7.2.6.18-20) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cp24Time:
    """CP24Time2a, three octets: ``milliseconds u16 (0-59999) | minute (bits 0-5),
    substituted (bit 6, GEN), invalid (bit 7)``."""

    milliseconds: int
    minute: int
    substituted: bool = False
    invalid: bool = False


@dataclass(frozen=True, slots=True)
class Cp56Time:
    """CP56Time2a, seven octets (101 7.2.6.18)::

        milliseconds u16 (0-59999)
        minute bits 0-5 | substituted (GEN) bit 6 | invalid bit 7
        hour bits 0-4 | reserved bits 5-6 | summer time bit 7
        day of month bits 0-4 | day of week bits 5-7 (1 Monday ... 7, 0 unused)
        month bits 0-3 | reserved bits 4-7
        year (0-99, of the century) bits 0-6 | reserved bit 7

    ``reserved`` packs the reserved bits (hour 5-6 as bits 0-1, month 4-7 as
    bits 2-5, year 7 as bit 6) so that every octet re-encodes unchanged.
    """

    milliseconds: int
    minute: int
    hour: int
    day: int
    month: int
    year: int
    day_of_week: int = 0
    summer_time: bool = False
    substituted: bool = False
    invalid: bool = False
    reserved: int = 0

    @property
    def seconds(self) -> float:
        """Seconds within the minute (the milliseconds field over 1000)."""
        return self.milliseconds / 1000


Time: TypeAlias = Cp24Time | Cp56Time


# --- information elements, monitor direction (101 7.3.1) ---------------------------


@dataclass(frozen=True, slots=True)
class SinglePoint:
    """Types 1, 2, 30: SIQ (SPI bit 0, BL 4, SB 5, NT 6, IV 7) [+ time tag]."""

    siq: int
    time: Time | None = None

    @property
    def value(self) -> bool:
        """SPI: on."""
        return bool(self.siq & 0x01)


@dataclass(frozen=True, slots=True)
class DoublePoint:
    """Types 3, 4, 31: DIQ (DPI bits 0-1: 0 indeterminate, 1 off, 2 on, 3
    indeterminate; BL 4, SB 5, NT 6, IV 7) [+ time tag]."""

    diq: int
    time: Time | None = None

    @property
    def value(self) -> int:
        """DPI, 0-3."""
        return self.diq & 0x03


@dataclass(frozen=True, slots=True)
class StepPosition:
    """Types 5, 6, 32: VTI (value I7 bits 0-6, transient bit 7) | QDS [+ time tag]."""

    vti: int
    qds: int
    time: Time | None = None

    @property
    def value(self) -> int:
        """The step position, -64..63."""
        raw = self.vti & 0x7F
        return raw - 0x80 if raw & 0x40 else raw

    @property
    def transient(self) -> bool:
        """The equipment is moving between steps."""
        return bool(self.vti & 0x80)


@dataclass(frozen=True, slots=True)
class Bitstring:
    """Types 7, 8, 33 (BSI u32 | QDS [+ time tag]) and commands 51, 64 (BSI u32 [+
    CP56Time2a], ``qds`` None)."""

    bsi: int
    qds: int | None = None
    time: Time | None = None


@dataclass(frozen=True, slots=True)
class Normalized:
    """A normalized value NVA (i16 over 32768, -1 .. 1-2^-15) with its qualifier.

    Types 9, 10, 34 (``qualifier`` is QDS), 21 (none), set points 48, 61
    (QOS: QL bits 0-6, S/E bit 7), parameter 110 (QPM: KPA bits 0-5, LPC 6, POP 7).
    """

    raw: int
    qualifier: int | None = None
    time: Time | None = None

    @property
    def value(self) -> float:
        """The normalized value as a fraction."""
        return self.raw / 32768


@dataclass(frozen=True, slots=True)
class Scaled:
    """A scaled value SVA (i16): types 11, 12, 35 (QDS), 49, 62 (QOS), 111 (QPM)."""

    value: int
    qualifier: int | None = None
    time: Time | None = None


@dataclass(frozen=True, slots=True)
class ShortFloat:
    """An IEEE 754 single (R32), kept as its 32 bits so that every value (NaN
    payloads included) re-encodes unchanged: types 13, 14, 36 (QDS), 50, 63
    (QOS), 112 (QPM)."""

    bits: int
    qualifier: int | None = None
    time: Time | None = None

    @property
    def value(self) -> float:
        """The float the bits stand for."""
        return float(struct.unpack("<f", self.bits.to_bytes(4, "little"))[0])

    @classmethod
    def of(cls, value: float, qualifier: int | None = None, time: Time | None = None) -> ShortFloat:
        """The element for a Python float (rounded to single precision)."""
        return cls(int.from_bytes(struct.pack("<f", value), "little"), qualifier, time)


@dataclass(frozen=True, slots=True)
class IntegratedTotal:
    """Types 15, 16, 37: BCR = counter i32 | SQ bits 0-4, CY 5, CA 6, IV 7 [+ time]."""

    counter: int
    status: int
    time: Time | None = None


@dataclass(frozen=True, slots=True)
class ProtectionEvent:
    """Types 17, 38: SEP (event state bits 0-1, EI 3, BL 4, SB 5, NT 6, IV 7) |
    elapsed time CP16Time2a (ms) | time tag."""

    sep: int
    elapsed: int
    time: Time | None = None


@dataclass(frozen=True, slots=True)
class PackedStartEvents:
    """Types 18, 39: SPE (general start, phases, earth, reverse) | QDP | relay
    duration CP16Time2a (ms) | time tag."""

    spe: int
    qdp: int
    duration: int
    time: Time | None = None


@dataclass(frozen=True, slots=True)
class PackedOutputCircuit:
    """Types 19, 40: OCI (general command, phase commands) | QDP | relay operating
    time CP16Time2a (ms) | time tag."""

    oci: int
    qdp: int
    operating_time: int
    time: Time | None = None


@dataclass(frozen=True, slots=True)
class PackedSinglePoint:
    """Type 20: SCD (16 status bits, 16 change-detection bits) u32 | QDS."""

    scd: int
    qds: int


@dataclass(frozen=True, slots=True)
class SecurityStatistic:
    """Type 41 (60870-5-7): association id u16 | BCR | CP56Time2a."""

    association: int
    counter: int
    status: int
    time: Time | None = None


@dataclass(frozen=True, slots=True)
class EndOfInitialization:
    """Type 70: COI (cause 0-127: 0 power on, 1 manual reset, 2 remote reset;
    bit 7 after a change of local parameters)."""

    coi: int


# --- information elements, control direction (101 7.3.2-7.3.5) --------------------


@dataclass(frozen=True, slots=True)
class SingleCommand:
    """Types 45, 58: SCO (SCS bit 0, QU bits 2-6, S/E bit 7) [+ CP56Time2a]."""

    sco: int
    time: Time | None = None

    @property
    def on(self) -> bool:
        """SCS: the commanded state is ON."""
        return bool(self.sco & 0x01)

    @property
    def qualifier(self) -> int:
        """QU: 0 no pulse defined, 1 short pulse, 2 long pulse, 3 persistent."""
        return (self.sco >> 2) & 0x1F

    @property
    def select(self) -> bool:
        """S/E: select (True) or execute (False)."""
        return bool(self.sco & 0x80)


@dataclass(frozen=True, slots=True)
class DoubleCommand:
    """Types 46, 59: DCO (DCS bits 0-1: 1 off, 2 on; QU 2-6; S/E 7) [+ CP56Time2a]."""

    dco: int
    time: Time | None = None

    @property
    def state(self) -> int:
        """DCS, 0-3 (0 and 3 are not permitted)."""
        return self.dco & 0x03

    @property
    def qualifier(self) -> int:
        """QU bits 2-6."""
        return (self.dco >> 2) & 0x1F

    @property
    def select(self) -> bool:
        """S/E: select (True) or execute (False)."""
        return bool(self.dco & 0x80)


@dataclass(frozen=True, slots=True)
class RegulatingStep:
    """Types 47, 60: RCO (RCS bits 0-1: 1 next step lower, 2 higher; QU 2-6; S/E 7)
    [+ CP56Time2a]."""

    rco: int
    time: Time | None = None

    @property
    def step(self) -> int:
        """RCS, 0-3 (0 and 3 are not permitted)."""
        return self.rco & 0x03

    @property
    def select(self) -> bool:
        """S/E: select (True) or execute (False)."""
        return bool(self.rco & 0x80)


@dataclass(frozen=True, slots=True)
class Interrogation:
    """Type 100: QOI (20 station, 21-36 groups 1-16)."""

    qoi: int


@dataclass(frozen=True, slots=True)
class CounterInterrogation:
    """Type 101: QCC (RQT bits 0-5: 5 general, 1-4 groups; FRZ bits 6-7)."""

    qcc: int


@dataclass(frozen=True, slots=True)
class ReadCommand:
    """Type 102: no element, the IOA names what to read."""


@dataclass(frozen=True, slots=True)
class ClockSync:
    """Type 103: the time to set, CP56Time2a."""

    time: Cp56Time


@dataclass(frozen=True, slots=True)
class TestCommand:
    """Type 104: FBP, the fixed test pattern u16 (0x55AA)."""

    pattern: int


@dataclass(frozen=True, slots=True)
class ResetProcess:
    """Type 105: QRP (1 general reset, 2 reset of time-tagged events)."""

    qrp: int


@dataclass(frozen=True, slots=True)
class DelayAcquisition:
    """Type 106: the transmission delay, CP16Time2a (ms)."""

    delay: int


@dataclass(frozen=True, slots=True)
class TestCommandTimeTagged:
    """Type 107: TSC (test sequence counter u16) | CP56Time2a."""

    counter: int
    time: Time | None = None


@dataclass(frozen=True, slots=True)
class ParameterActivation:
    """Type 113: QPA (1 general, 2 object parameter, 3 cyclic transmission)."""

    qpa: int


# --- file transfer (101 7.3.6) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FileReady:
    """Type 120: NOF (name of file u16) | LOF (length u24) | FRQ."""

    file_name: int
    length: int
    frq: int


@dataclass(frozen=True, slots=True)
class SectionReady:
    """Type 121: NOF u16 | NOS (name of section u8) | LOF u24 | SRQ."""

    file_name: int
    section: int
    length: int
    srq: int


@dataclass(frozen=True, slots=True)
class FileCall:
    """Type 122 (call directory, select file, call file, call section): NOF u16 |
    NOS u8 | SCQ."""

    file_name: int
    section: int
    scq: int


@dataclass(frozen=True, slots=True)
class LastSection:
    """Type 123: NOF u16 | NOS u8 | LSQ | CHS (checksum u8)."""

    file_name: int
    section: int
    lsq: int
    checksum: int


@dataclass(frozen=True, slots=True)
class FileAck:
    """Type 124: NOF u16 | NOS u8 | AFQ."""

    file_name: int
    section: int
    afq: int


@dataclass(frozen=True, slots=True)
class Segment:
    """Type 125: NOF u16 | NOS u8 | LOS (segment length u8) | segment octets."""

    file_name: int
    section: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Directory:
    """Type 126: NOF u16 | LOF u24 | SOF (status of file) | CP56Time2a."""

    file_name: int
    length: int
    sof: int
    time: Time | None = None


@dataclass(frozen=True, slots=True)
class QueryLog:
    """Type 127: NOF u16 | range start CP56Time2a | range stop CP56Time2a."""

    file_name: int
    start: Cp56Time
    stop: Cp56Time


Element: TypeAlias = (
    SinglePoint
    | DoublePoint
    | StepPosition
    | Bitstring
    | Normalized
    | Scaled
    | ShortFloat
    | IntegratedTotal
    | ProtectionEvent
    | PackedStartEvents
    | PackedOutputCircuit
    | PackedSinglePoint
    | SecurityStatistic
    | EndOfInitialization
    | SingleCommand
    | DoubleCommand
    | RegulatingStep
    | Interrogation
    | CounterInterrogation
    | ReadCommand
    | ClockSync
    | TestCommand
    | ResetProcess
    | DelayAcquisition
    | TestCommandTimeTagged
    | ParameterActivation
    | FileReady
    | SectionReady
    | FileCall
    | LastSection
    | FileAck
    | Segment
    | Directory
    | QueryLog
)
"""Every information element a sized type decodes to."""


@dataclass(frozen=True, slots=True)
class InformationObject:
    """One information object: its address (IOA, u24) and element."""

    address: int
    element: Element


# --- ASDU and APDU ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Asdu:
    """An application service data unit (standard 104 profile, see module docstring).

    For types whose element layout the codec knows, ``objects`` holds every
    information object (addresses already expanded when ``sequence`` is
    set) and ``raw`` is empty.  For other types (secure authentication,
    reserved and private ones) ``objects`` is empty and ``raw`` keeps the
    octets after the header, ``number`` the qualifier's count.
    """

    type_id: int
    sequence: bool
    number: int
    cause: int
    negative: bool
    test: bool
    originator: int
    common_address: int
    objects: tuple[InformationObject, ...] = ()
    raw: bytes = b""

    @property
    def mnemonic(self) -> str:
        """``C_SC_NA_1`` ... or ``type_<n>``."""
        return type_mnemonic(self.type_id)

    @property
    def operation(self) -> str:
        """Snake_case name of the type (``single_command`` ...)."""
        return type_name(self.type_id)

    @property
    def cause_name(self) -> str:
        """Snake_case name of the cause (``activation`` ...)."""
        return cause_name(self.cause & COT_CAUSE_MASK)

    @property
    def addresses(self) -> tuple[int, ...]:
        """Every information object address, in order (the first one only, read
        from ``raw``, for raw types that have three octets of it)."""
        if self.objects:
            return tuple(o.address for o in self.objects)
        if self.number and len(self.raw) >= 3:
            return (int.from_bytes(self.raw[:3], "little"),)
        return ()


@dataclass(frozen=True, slots=True)
class IFrame:
    """Information transfer format: send and receive sequence numbers (0-32767) and
    one ASDU."""

    send_seq: int
    recv_seq: int
    asdu: Asdu


@dataclass(frozen=True, slots=True)
class SFrame:
    """Numbered supervisory format: acknowledges I frames up to ``recv_seq`` - 1."""

    recv_seq: int


@dataclass(frozen=True, slots=True)
class UFrame:
    """Unnumbered control format: one function (``UFunction``: STARTDT, STOPDT,
    TESTFR, act or con)."""

    function: int


Apdu: TypeAlias = IFrame | SFrame | UFrame
"""Every APDU ``decode_apdu`` can return."""
