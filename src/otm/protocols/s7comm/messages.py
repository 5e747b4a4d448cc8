"""TPKT, COTP, S7comm and S7comm-plus messages: frozen dataclasses, fields in wire order.

All integers on the wire are big-endian.  Lengths and counts that follow from
the fields (TPKT length, COTP length indicator, S7 parameter/data lengths,
item counts of requests, SZL record counts) are not stored: the encoder writes
them, the decoder checks them.  Strings that travel as fixed-width ASCII
(order numbers, block file names, PI service names) are kept as ``str``
decoded with latin-1, so every byte round-trips; properties give the cleaned
values.

Layer by layer::

    TPKT (RFC 1006)   03 | 00 | length u16 | COTP TPDU
    COTP (X.224)      LI u8 | code u8 | fixed part | variable part | user data
    S7comm            32 | ROSCTR | redundancy id u16 | PDU ref u16 |
                      parameter length u16 | data length u16 |
                      [error class u8 | error code u8   (ROSCTR 2, 3)] |
                      parameter | data
    S7comm-plus       72 | version | data length u16 | data | [72 | version | 00 00]
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TypeAlias

from otm.protocols.s7comm.constants import (
    AREA_SHORT_NAMES,
    BLOCK_TYPE_NAMES,
    FILESYSTEMS,
    SZL_001C_INDEX_NAMES,
    CotpParameterCode,
    Function,
    S7PlusOpcode,
    TsapConnectionType,
    pi_service_name,
)

# --- COTP ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CotpParameter:
    """One variable-part parameter: ``code u8 | length u8 | value``."""

    code: int
    value: bytes


@dataclass(frozen=True, slots=True)
class S7Tsap:
    """An S7 transport selector of two bytes, as S7 stations build them.

    Byte 0 is the connection type (1 PG, 2 OP, 3 S7 basic, ...), byte 1 holds
    the rack (bits 7-5) and the slot (bits 4-0) of the addressed CPU.
    """

    connection_type: int
    rack: int
    slot: int

    @property
    def connection_type_name(self) -> str:
        try:
            return TsapConnectionType(self.connection_type).name.lower()
        except ValueError:
            return f"type_0x{self.connection_type:02x}"


def parse_tsap(value: bytes | None) -> S7Tsap | None:
    """The S7 reading of a TSAP, or None when it is not two bytes.

    TIA Portal uses text TSAPs with S7comm-plus (``SIMATIC-ROOT-ES``): those
    carry no rack or slot.
    """
    if value is None or len(value) != 2:
        return None
    return S7Tsap(value[0], value[1] >> 5, value[1] & 0x1F)


@dataclass(frozen=True, slots=True)
class CotpConnect:
    """Connection request (CR, 0xE0) or confirm (CC, 0xD0), X.224 13.3 / 13.4.

    ``LI u8 | code u8 (high nibble) + credit (low nibble) | dst ref u16 |
    src ref u16 | class u4 + options u4 | parameters``.  S7 uses class 0;
    the parameters name the TPDU size (0xC0) and the TSAPs (0xC1 calling,
    0xC2 called).
    """

    pdu_type: int
    credit: int
    dst_ref: int
    src_ref: int
    class_option: int
    parameters: tuple[CotpParameter, ...]

    def parameter(self, code: int) -> bytes | None:
        """Value of the first parameter with this code."""
        for p in self.parameters:
            if p.code == code:
                return p.value
        return None

    @property
    def protocol_class(self) -> int:
        return self.class_option >> 4

    @property
    def tpdu_size(self) -> int | None:
        """Maximum TPDU size in octets (2 ** the one-byte value), if announced."""
        value = self.parameter(CotpParameterCode.TPDU_SIZE)
        if value is None or len(value) != 1 or value[0] > 16:
            return None
        return 1 << value[0]

    @property
    def src_tsap(self) -> bytes | None:
        return self.parameter(CotpParameterCode.SRC_TSAP)

    @property
    def dst_tsap(self) -> bytes | None:
        return self.parameter(CotpParameterCode.DST_TSAP)

    @property
    def dst_s7_tsap(self) -> S7Tsap | None:
        """The called TSAP read the S7 way: rack and slot of the addressed CPU."""
        return parse_tsap(self.dst_tsap)

    @property
    def src_s7_tsap(self) -> S7Tsap | None:
        return parse_tsap(self.src_tsap)


@dataclass(frozen=True, slots=True)
class CotpDisconnect:
    """Disconnect request (DR, 0x80), X.224 13.5.

    ``LI | 0x80 | dst ref u16 | src ref u16 | reason u8 | parameters``.
    """

    dst_ref: int
    src_ref: int
    reason: int
    parameters: tuple[CotpParameter, ...]


@dataclass(frozen=True, slots=True)
class CotpDisconnectConfirm:
    """Disconnect confirm (DC, 0xC0), X.224 13.6: ``LI | 0xC0 | dst ref u16 | src ref u16``."""

    dst_ref: int
    src_ref: int
    parameters: tuple[CotpParameter, ...]


@dataclass(frozen=True, slots=True)
class CotpData:
    """Data (DT, 0xF0), class 0 normal format, X.224 13.7.

    ``LI (2) | 0xF0 | EOT bit 7 + TPDU number bits 6-0 | user data``.  EOT
    set marks the last TPDU of a TSDU (an S7 PDU); TIA Portal also sends
    empty DTs with EOT clear as keep-alives.
    """

    eot: bool
    tpdu_number: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class CotpOther:
    """ED, AK, EA, RJ, ER or an unknown code: recognised, kept raw.

    ``LI | code u8 | header (LI - 1 bytes) | user data``; ``pdu_type`` is the
    whole code byte (credit included).
    """

    pdu_type: int
    header: bytes
    payload: bytes


CotpPdu: TypeAlias = CotpConnect | CotpDisconnect | CotpDisconnectConfirm | CotpData | CotpOther


@dataclass(frozen=True, slots=True)
class Tpkt:
    """One TPKT (RFC 1006 section 6): ``03 | reserved u8 | length u16 | TPDU``.

    The version is always 3 (the decoder refuses others); ``reserved`` is 0 on
    every station seen and is kept only so that bytes round-trip.
    """

    reserved: int
    cotp: CotpPdu


# --- read/write variable items ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class S7AnyItem:
    """S7ANY address (syntax id 0x10), the classic S7-300/400 pointer.

    ``0x12 | 0x0A | 0x10 | transport size u8 | count u16 | DB number u16 |
    area u8 | address u24 (byte << 3 | bit; timer/counter number for T/C)``.
    For the data-record area (0x01) count is MLEN, DB number the record index
    and address the diagnostic address.
    """

    transport_size: int
    count: int
    db_number: int
    area: int
    address: int

    @property
    def byte_address(self) -> int:
        return self.address >> 3

    @property
    def bit_address(self) -> int:
        return self.address & 7

    @property
    def area_name(self) -> str:
        return AREA_SHORT_NAMES.get(self.area) or f"area_0x{self.area:02x}"


@dataclass(frozen=True, slots=True)
class DbReadArea:
    """One area of a DBREAD item: ``bytes to read u8 | DB number u16 | start address u16``."""

    length: int
    db_number: int
    start: int


@dataclass(frozen=True, slots=True)
class DbReadItem:
    """DBREAD address (syntax id 0xB0, seen on S7-400).

    ``0x12 | 2 + 5n | 0xB0 | n u8 | n areas of 5 bytes``.
    """

    areas: tuple[DbReadArea, ...]


@dataclass(frozen=True, slots=True)
class NckItem:
    """Sinumerik NCK address (syntax id 0x82/0x83/0x84).

    ``0x12 | 0x08 | syntax id | area (bits 7-5) + unit (bits 4-0) u8 |
    column u16 | line u16 | module u8 | line count u8``.
    """

    syntax_id: int
    area_unit: int
    column: int
    line: int
    module: int
    line_count: int

    @property
    def nck_area(self) -> int:
        return self.area_unit >> 5

    @property
    def nck_unit(self) -> int:
        return self.area_unit & 0x1F


@dataclass(frozen=True, slots=True)
class DriveEsAnyItem:
    """Drive ES address routed over S7 (syntax id 0xA2).

    ``0x12 | 0x0A | 0xA2 | unknown u8 | unknown u16 | unknown u16 |
    parameter number u16 | parameter index u16``.
    """

    unknown1: int
    unknown2: int
    unknown3: int
    parameter_number: int
    parameter_index: int


@dataclass(frozen=True, slots=True)
class SymbolicItem:
    """S7-1200 symbolic address (syntax id 0xB2).

    ``0x12 | 10 + 4n | 0xB2 | reserved u8 (0xFF) | area 1 u16 (0x8A0E DB,
    0x0000 I/Q/M/C/T) | area 2 u16 (DB number or detail area) | CRC u32 |
    n LIDs u32 (flags in the top nibble)``.
    """

    reserved: int
    area1: int
    area2: int
    crc: int
    lids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RawItem:
    """Any other item: ``specification u8 | length u8 | syntax id u8 | length - 1 bytes``."""

    specification: int
    syntax_id: int
    body: bytes


Item: TypeAlias = S7AnyItem | DbReadItem | NckItem | DriveEsAnyItem | SymbolicItem | RawItem


@dataclass(frozen=True, slots=True)
class DataItem:
    """One item of a read response or write request data part.

    ``return code u8 | transport size u8 | length u16 | data | fill byte``.
    ``length`` counts bits for transport sizes 3, 4, 5 (``LENGTH_IN_BITS``),
    bytes otherwise; data follows only for return codes 0x00 and 0xFF.  A
    zero fill byte follows odd-length data unless the item is the last one.
    """

    return_code: int
    transport_size: int
    length: int
    data: bytes


# --- S7 PDU bodies ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetupCommunication:
    """Setup communication (0xF0), job and ack_data alike.

    ``0xF0 | reserved u8 | max AmQ calling u16 | max AmQ called u16 |
    PDU length u16``: parallel jobs each side may have open, negotiated PDU size.
    """

    reserved: int
    max_amq_calling: int
    max_amq_called: int
    pdu_length: int

    @property
    def function(self) -> int:
        return Function.SETUP_COMMUNICATION


@dataclass(frozen=True, slots=True)
class ReadVarRequest:
    """Read var job (0x04): ``0x04 | item count u8 | items`` (odd items padded to even)."""

    items: tuple[Item, ...]

    @property
    def function(self) -> int:
        return Function.READ_VAR


@dataclass(frozen=True, slots=True)
class ReadVarResponse:
    """Read var ack_data: parameter ``0x04 | item count u8``, data: the items.

    ``item_count`` is kept because an error response may announce items and
    carry no data part; when data is present it holds exactly that many items.
    """

    item_count: int
    items: tuple[DataItem, ...]

    @property
    def function(self) -> int:
        return Function.READ_VAR


@dataclass(frozen=True, slots=True)
class WriteVarRequest:
    """Write var job (0x05): parameter ``0x05 | count | items``, data: one value per item."""

    items: tuple[Item, ...]
    values: tuple[DataItem, ...]

    @property
    def function(self) -> int:
        return Function.WRITE_VAR


@dataclass(frozen=True, slots=True)
class WriteVarResponse:
    """Write var ack_data: parameter ``0x05 | item count``, data: one return code u8 per item."""

    item_count: int
    return_codes: tuple[int, ...]

    @property
    def function(self) -> int:
        return Function.WRITE_VAR


@dataclass(frozen=True, slots=True)
class BlockFileName:
    """A block file name such as ``_0A00001P`` (``_INSE``/``_DELE`` lists drop the ``_``).

    ``file identifier (1: '_' complete module, '$' header for upload) |
    block type (2 ASCII, '08' OB ... '0F' SFB) | block number (5 ASCII digits) |
    destination file system (1: 'P' passive, 'A' active, 'B' both)``.
    """

    file_identifier: str
    block_type: str
    block_number: int
    filesystem: str

    @property
    def block_type_name(self) -> str | None:
        """``OB``, ``DB``, ``FC`` ... or None for an unknown type code."""
        return BLOCK_TYPE_NAMES.get(self.block_type)

    @property
    def filesystem_name(self) -> str | None:
        return FILESYSTEMS.get(self.filesystem)

    def __str__(self) -> str:
        return f"{self.file_identifier}{self.block_type}{self.block_number:05d}{self.filesystem}"


def parse_block_file_name(text: str) -> BlockFileName | None:
    """Read ``_0A00001P`` (9 characters) or ``0A00001P`` (8), or None if it is neither."""
    if len(text) == 9:
        ident, rest = text[0], text[1:]
    elif len(text) == 8:
        ident, rest = "", text
    else:
        return None
    number = rest[2:7]
    if not (number.isascii() and number.isdigit()):
        return None
    return BlockFileName(ident, rest[0:2], int(number), rest[7])


@dataclass(frozen=True, slots=True)
class BlockControlJob:
    """Request download ... end upload job (0x1A-0x1F).

    ``function u8 | function status u8 (bit 0 more data, bit 1 error) |
    error code u16 | upload id u32 | [file name length u8 | file name]
    (0x1A-0x1D) | part 2``.  The u16 is an error code for download ended (0x1C)
    and end upload (0x1F), unknown otherwise; the u32 is the upload id for
    0x1D-0x1F, unknown otherwise.  Part 2 of a request download is
    ``length u8 | '1' | load memory length (6 ASCII) | MC7 length (6 ASCII)``.
    """

    function: int
    function_status: int
    error_code: int
    upload_id: int
    filename: str | None
    part2: bytes
    data: bytes

    @property
    def block(self) -> BlockFileName | None:
        return None if self.filename is None else parse_block_file_name(self.filename)

    @property
    def load_memory_length(self) -> int | None:
        return _ascii_int(self.part2[2:8]) if len(self.part2) >= 14 else None

    @property
    def mc7_code_length(self) -> int | None:
        return _ascii_int(self.part2[8:14]) if len(self.part2) >= 14 else None


@dataclass(frozen=True, slots=True)
class BlockControlAck:
    """Ack_data of a block control function, kept raw after the function byte.

    Parameter ``function | function status u8 | ...`` (start upload adds
    ``u16 | upload id u32 | length u8 | block length as ASCII``); the data of
    download block / upload acks is ``length u16 | u16 | block bytes``.
    """

    function: int
    parameter: bytes
    data: bytes

    @property
    def function_status(self) -> int | None:
        return self.parameter[0] if self.parameter else None

    @property
    def more_data(self) -> bool:
        return bool(self.parameter) and bool(self.parameter[0] & 0x01)

    @property
    def upload_id(self) -> int | None:
        if self.function != Function.START_UPLOAD or len(self.parameter) < 7:
            return None
        return int.from_bytes(self.parameter[3:7], "big")

    @property
    def block_length(self) -> int | None:
        """Start upload: the complete block length the PLC announces."""
        if self.function != Function.START_UPLOAD or len(self.parameter) < 8:
            return None
        size = self.parameter[7]
        return _ascii_int(self.parameter[8 : 8 + size])

    @property
    def block_data(self) -> bytes | None:
        """Download block / upload: the transferred block bytes."""
        if len(self.data) < 4:
            return None
        return self.data[4:]


@dataclass(frozen=True, slots=True)
class PiService:
    """PI service job (0x28): start a program invocation.

    ``0x28 | 7 unknown bytes (00 00 00 00 00 00 FD) | parameter block length
    u16 | parameter block | service name length u8 | service name``.  A
    parameter part of only the first 8 bytes carries no block and no name
    (both None).  ``_INSE``/``_DELE`` blocks are ``count u8 | u8 | count x
    8-character block names``; ``P_PROGRAM``, ``_MODU``, ``_GARB`` take an
    ASCII argument (``"C "`` cold restart, ``"EP"`` RAM to ROM); NC services
    ``_N_...`` a list of length-prefixed strings.
    """

    unknown: bytes
    parameter_block: bytes | None
    service: str | None

    @property
    def function(self) -> int:
        return Function.PI_SERVICE

    @property
    def argument(self) -> str:
        """The parameter block as text (the P_PROGRAM/_MODU/_GARB argument)."""
        return (self.parameter_block or b"").decode("latin-1")

    @property
    def blocks(self) -> tuple[BlockFileName, ...]:
        """Blocks named by ``_INSE``/``_INS2``/``_DELE`` (empty for other services)."""
        block = self.parameter_block
        if self.service not in ("_INSE", "_INS2", "_DELE") or block is None or len(block) < 2:
            return ()
        count = block[0]
        out = []
        # At most 255 names (count is a u8), each 8 bytes inside the block.
        for i in range(count):
            raw = block[2 + 8 * i : 10 + 8 * i]
            if len(raw) < 8:
                break
            parsed = parse_block_file_name(raw.decode("latin-1"))
            if parsed is not None:
                out.append(parsed)
        return tuple(out)

    @property
    def operation(self) -> str:
        """``plc_cold_restart``, ``insert_block``, ``compress_memory`` ... (see constants)."""
        return pi_service_name(self.service or "", self.argument)


@dataclass(frozen=True, slots=True)
class PlcStop:
    """PLC stop job (0x29): ``0x29 | 5 unknown bytes | name length u8 | name (P_PROGRAM)``."""

    unknown: bytes
    service: str

    @property
    def function(self) -> int:
        return Function.PLC_STOP


@dataclass(frozen=True, slots=True)
class RawBody:
    """A parameter and data part kept as they are.

    Used for acks (ROSCTR 2), for the acks of PI service and PLC stop, for
    CPU services and unknown function codes, and for userdata whose parameter
    does not start with the 0x000112 head (mode transition indications).
    """

    parameter: bytes
    data: bytes

    @property
    def function(self) -> int | None:
        return self.parameter[0] if self.parameter else None


@dataclass(frozen=True, slots=True)
class UserdataParameter:
    """Userdata parameter (ROSCTR 7).

    ``00 01 12 (head) | length u8 (4 or 8) | method u8 (0x11 request, 0x12
    response) | type u4 (0 push, 4 request, 8 response) + function group u4 |
    subfunction u8 | sequence number u8 | [data unit reference u8 |
    last data unit u8 (0 yes) | error code u16]``.  The bracketed part is
    present when the length byte is 8 or more (None otherwise); bytes beyond
    it are ``trailing``.
    """

    method: int
    type: int
    function_group: int
    subfunction: int
    sequence_number: int
    data_unit_reference: int | None
    last_data_unit: int | None
    error_code: int | None
    trailing: bytes = b""

    @property
    def extended(self) -> bool:
        return self.data_unit_reference is not None

    @property
    def more_data_units(self) -> bool:
        """True when further fragments of this data unit follow."""
        return bool(self.last_data_unit)


@dataclass(frozen=True, slots=True)
class UserdataData:
    """Userdata data part: ``return code u8 | transport size u8 | length u16 | payload``.

    For read SZL the payload is an SZL request or (a fragment of) an SZL
    response (see ``szl``).
    """

    return_code: int
    transport_size: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class Userdata:
    """A userdata body: the parameter and the data part (None when the data length is 0)."""

    parameter: UserdataParameter
    data: UserdataData | None


@dataclass(frozen=True, slots=True)
class CyclicRequest:
    """Payload of a cyclic subscription request (userdata group 2, subfunction 1, 5, 7).

    ``reserved u8 | item count u8 | interval time base u8 (0 100 ms, 1 s,
    2 10 s) | interval u8 | items`` (the same items as read var).
    """

    reserved: int
    timebase: int
    interval: int
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class CyclicData:
    """Payload of a cyclic data response or push: ``reserved u8 | item count u8 | data items``."""

    reserved: int
    items: tuple[DataItem, ...]


S7Body: TypeAlias = (
    SetupCommunication
    | ReadVarRequest
    | ReadVarResponse
    | WriteVarRequest
    | WriteVarResponse
    | BlockControlJob
    | BlockControlAck
    | PiService
    | PlcStop
    | Userdata
    | RawBody
)


@dataclass(frozen=True, slots=True)
class S7Pdu:
    """One S7comm PDU (the user data of a COTP DT starting with 0x32).

    ``error_class``/``error_code`` are present exactly for ROSCTR 2 and 3.
    """

    rosctr: int
    redundancy_id: int
    pdu_reference: int
    error_class: int | None
    error_code: int | None
    body: S7Body

    @property
    def function(self) -> int | None:
        """The function code (first parameter byte), None for userdata and empty acks."""
        if isinstance(self.body, Userdata):
            return None
        return self.body.function


# --- SZL -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SzlRequest:
    """Read SZL request payload: ``SZL id u16 | index u16``."""

    szl_id: int
    index: int


@dataclass(frozen=True, slots=True)
class SzlResponse:
    """Read SZL response payload (reassembled when fragmented).

    ``SZL id u16 | index u16 | LENTHDR u16 (bytes per record) |
    N_DR u16 (records) | N_DR records of LENTHDR bytes``.
    """

    szl_id: int
    index: int
    record_length: int
    records: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class ModuleIdentityRecord:
    """A record of SZL 0x0011 (module identification), 28 bytes.

    ``index u16 | MlfB (order number) 20 ASCII | BGTyp (module type id) u16 |
    Ausbg u16 | Ausbe u16``.  Index 0x0001 is the module, 0x0006 the basic
    hardware, 0x0007 the basic firmware, 0x0081 the firmware extension
    (boot loader).
    """

    index: int
    mlfb: str
    module_type_id: int
    ausbg: int
    ausbe: int

    @property
    def order_number(self) -> str:
        return self.mlfb.strip(" \x00")

    @property
    def version(self) -> str:
        """The version the two words encode.

        When the high byte of Ausbg is a letter (firmware records: 0x5603 0x0207)
        it is ``V3.2.7``: the letter, the low byte, then the two bytes of Ausbe;
        otherwise (hardware records: 3 and 1) it is ``3.1``.
        """
        high = self.ausbg >> 8
        if 0x41 <= high <= 0x5A:
            return f"{chr(high)}{self.ausbg & 0xFF}.{self.ausbe >> 8}.{self.ausbe & 0xFF}"
        return f"{self.ausbg}.{self.ausbe}"


@dataclass(frozen=True, slots=True)
class ModuleIdentification:
    """SZL 0x0011 (or 0x0111, one record) decoded."""

    szl_id: int
    index: int
    records: tuple[ModuleIdentityRecord, ...]

    def record(self, index: int) -> ModuleIdentityRecord | None:
        for r in self.records:
            if r.index == index:
                return r
        return None

    @property
    def order_number(self) -> str | None:
        """MlfB of the module record (0x0001), else of the basic hardware (0x0006)."""
        for index in (0x0001, 0x0006):
            r = self.record(index)
            if r is not None and r.order_number:
                return r.order_number
        return None

    @property
    def module_type_id(self) -> int | None:
        r = self.record(0x0001) or self.record(0x0006)
        return None if r is None else r.module_type_id

    @property
    def hardware_version(self) -> str | None:
        """Version of the module record (0x0001), else of the basic hardware (0x0006)."""
        r = self.record(0x0001) or self.record(0x0006)
        return None if r is None else r.version

    @property
    def firmware_version(self) -> str | None:
        """``V3.2.7``-style version of the basic firmware record (0x0007)."""
        r = self.record(0x0007)
        return None if r is None else r.version

    @property
    def bootloader_version(self) -> str | None:
        """Version of the firmware extension record (0x0081, the boot loader)."""
        r = self.record(0x0081)
        return None if r is None else r.version


@dataclass(frozen=True, slots=True)
class ComponentRecord:
    """A record of SZL 0x001C (component identification): ``index u16 | 32 bytes``."""

    index: int
    data: bytes


_TEXT_WIDTHS = {1: 24, 2: 24, 3: 32, 4: 26, 5: 24, 7: 32, 8: 32, 0x0A: 26, 0x0B: 32}
"""Index -> width of the text at the start of the 32 bytes (Wireshark's field
widths; the rest is reserved or, for 0x0A, the OEM ids)."""


def _text(raw: bytes) -> str:
    return raw.split(b"\x00", 1)[0].decode("latin-1").strip()


@dataclass(frozen=True, slots=True)
class ComponentIdentification:
    """SZL 0x001C (or 0x011C, one record) decoded; texts have NULs and padding stripped."""

    szl_id: int
    index: int
    records: tuple[ComponentRecord, ...]

    def text(self, index: int) -> str | None:
        """The text of a record (indices 1-5, 7, 8, 0x0A, 0x0B), None when absent or empty."""
        width = _TEXT_WIDTHS.get(index)
        if width is None:
            return None
        for r in self.records:
            if r.index == index:
                return _text(r.data[:width]) or None
        return None

    def _u16(self, index: int, at: int) -> int | None:
        for r in self.records:
            if r.index == index and len(r.data) >= at + 2:
                return int.from_bytes(r.data[at : at + 2], "big")
        return None

    @property
    def plc_name(self) -> str | None:
        return self.text(0x01)

    @property
    def module_name(self) -> str | None:
        return self.text(0x02)

    @property
    def plant_designation(self) -> str | None:
        return self.text(0x03)

    @property
    def copyright(self) -> str | None:
        return self.text(0x04)

    @property
    def serial_number(self) -> str | None:
        return self.text(0x05)

    @property
    def module_type_name(self) -> str | None:
        return self.text(0x07)

    @property
    def memory_card_serial(self) -> str | None:
        return self.text(0x08)

    @property
    def location_designation(self) -> str | None:
        return self.text(0x0B)

    @property
    def oem_copyright(self) -> str | None:
        return self.text(0x0A)

    @property
    def manufacturer_id(self) -> int | None:
        return self._u16(0x09, 0)

    @property
    def profile_id(self) -> int | None:
        return self._u16(0x09, 2)

    @property
    def profile_specific_type(self) -> int | None:
        return self._u16(0x09, 4)

    @property
    def oem_id(self) -> int | None:
        return self._u16(0x0A, 26)

    @property
    def oem_additional_id(self) -> int | None:
        for r in self.records:
            if r.index == 0x0A and len(r.data) >= 32:
                return int.from_bytes(r.data[28:32], "big")
        return None

    def fields(self) -> dict[str, str | int]:
        """Every present value by name (``SZL_001C_INDEX_NAMES`` names for texts)."""
        out: dict[str, str | int] = {}
        for index in _TEXT_WIDTHS:
            value = self.text(index)
            if value is not None:
                out[SZL_001C_INDEX_NAMES[index]] = value
        for name, number in (
            ("manufacturer_id", self.manufacturer_id),
            ("profile_id", self.profile_id),
            ("profile_specific_type", self.profile_specific_type),
            ("oem_id", self.oem_id),
            ("oem_additional_id", self.oem_additional_id),
        ):
            if number is not None:
                out[name] = number
        return out


# --- S7comm-plus ---------------------------------------------------------------


_S7PLUS_FIXED = struct.Struct(">BHHHH")
"""Request/response data start: opcode u8, reserved u16, function code u16,
reserved u16, sequence number u16."""


@dataclass(frozen=True, slots=True)
class S7PlusPdu:
    """One S7comm-plus PDU fragment (the user data of a COTP DT starting with 0x72).

    ``0x72 | version u8 (1, 2, 3; 0xFE/0xFF keep-alive) | data length u16 |
    [V3: 0x20 | 32-byte integrity digest] | data | [trailer 0x72 | version |
    00 00]``.  The data length counts the digest.  Requests and responses
    start their data with ``opcode u8 | u16 | function code u16 | u16 |
    sequence number u16``, requests then ``session id u32 | transport flags u8``;
    notifications (0x33) carry a subscription id instead.  A PDU too large for
    one TPDU is split: the first fragment has no trailer, the following ones
    continue the data (their first byte is no opcode), the last has the trailer.
    """

    version: int
    digest: bytes | None
    data: bytes
    trailer: bool

    @property
    def opcode(self) -> int | None:
        """First data byte when it is a known opcode (0x31, 0x32, 0x33, 0x02), else None."""
        if not self.data:
            return None
        first = self.data[0]
        return first if first in _OPCODES else None

    @property
    def function_code(self) -> int | None:
        """Function code of a request or response (None for notifications, fragments)."""
        if self.opcode not in (S7PlusOpcode.REQUEST, S7PlusOpcode.RESPONSE):
            return None
        if len(self.data) < 5:
            return None
        return (self.data[3] << 8) | self.data[4]

    @property
    def sequence_number(self) -> int | None:
        if self.opcode not in (S7PlusOpcode.REQUEST, S7PlusOpcode.RESPONSE):
            return None
        if len(self.data) < _S7PLUS_FIXED.size:
            return None
        return int(_S7PLUS_FIXED.unpack_from(self.data)[4])

    @property
    def session_id(self) -> int | None:
        """The session id a request carries after its sequence number."""
        if self.opcode != S7PlusOpcode.REQUEST or len(self.data) < 13:
            return None
        return int.from_bytes(self.data[9:13], "big")


_OPCODES = frozenset(int(o) for o in S7PlusOpcode)


def _ascii_int(raw: bytes) -> int | None:
    text = raw.decode("latin-1").strip()
    return int(text) if text.isascii() and text.isdigit() else None
