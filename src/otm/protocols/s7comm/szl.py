"""SZL (System Status List, German "System-Zustandsliste") payloads of read SZL.

Read SZL is userdata function group 4, subfunction 1.  The request payload
is ``SZL id u16 | index u16``; the response payload (reassembled, see
``reassembly``) is::

    SZL id u16 | index u16 | LENTHDR u16 | N_DR u16 | N_DR records of LENTHDR bytes

The SZL id's low byte numbers the partial list (0x11 module identification,
0x1C component identification ...), its high byte the extract (0x00 all
records, 0x01 the record named by the index ...).  Two lists identify a CPU:

- 0x0011, records of 28 bytes: ``index u16 | MlfB 20 ASCII | BGTyp u16 |
  Ausbg u16 | Ausbe u16`` (index 1 module, 6 basic hardware, 7 basic
  firmware, 0x81 boot loader);
- 0x001C, records of 34 bytes: ``index u16 | 32 bytes``, text for indices
  1 (PLC name), 2 (module name), 3 (plant designation), 4 (copyright),
  5 (serial number), 7 (module type), 8 (memory card serial), 0x0B (location),
  ids for 9 (manufacturer, profile) and 0x0A (OEM).

Sources: Siemens "System Software for S7-300/400 System and Standard
Functions" reference manual, chapter "System Status Lists (SSL)" (the lists
and their record layouts), Wireshark ``packet-s7comm_szl_ids.c``.
"""

from __future__ import annotations

import struct

from otm.protocols.common import Anomaly
from otm.protocols.s7comm.anomalies import S7Anomaly
from otm.protocols.s7comm.messages import (
    ComponentIdentification,
    ComponentRecord,
    ModuleIdentification,
    ModuleIdentityRecord,
    SzlRequest,
    SzlResponse,
)

K = S7Anomaly

_REQUEST = struct.Struct(">HH")
_RESPONSE_HEAD = struct.Struct(">HHHH")
_MODULE_RECORD = struct.Struct(">H20sHHH")
_COMPONENT_DATA = 32

MODULE_RECORD_LENGTH = _MODULE_RECORD.size
"""28: LENTHDR of SZL 0x0011."""

COMPONENT_RECORD_LENGTH = 2 + _COMPONENT_DATA
"""34: LENTHDR of SZL 0x001C."""


def decode_szl_request(payload: bytes) -> SzlRequest | Anomaly:
    """Read SZL request payload (4 bytes) -> ``SzlRequest``."""
    if len(payload) < 4:
        return Anomaly(K.TRUNCATED, f"SZL request needs 4 bytes, {len(payload)}", len(payload))
    if len(payload) > 4:
        return Anomaly(K.TRAILING_BYTES, f"{len(payload) - 4} bytes after the SZL request", 4)
    return SzlRequest(*_REQUEST.unpack(payload))


def encode_szl_request(request: SzlRequest) -> bytes:
    try:
        return _REQUEST.pack(request.szl_id, request.index)
    except struct.error as error:
        raise ValueError(f"SZL request: {error}") from error


def decode_szl_response(payload: bytes, *, partial: bool = False) -> SzlResponse | Anomaly:
    """Read SZL response payload -> ``SzlResponse``.

    ``LENTHDR x N_DR`` must be exactly the bytes after the 8-byte head.
    ``partial=True`` accepts fewer bytes (the first fragment of a response
    that was not reassembled) and returns the whole records present.
    """
    if len(payload) < 8:
        return Anomaly(K.TRUNCATED, f"SZL response head needs 8 bytes, {len(payload)}", 0)
    szl_id, index, size, count = _RESPONSE_HEAD.unpack_from(payload)
    if size == 0 and count:
        return Anomaly(K.BAD_SZL, f"{count} records of 0 bytes", 4)
    need = size * count
    have = len(payload) - 8
    if have > need:
        return Anomaly(K.TRAILING_BYTES, f"{have - need} bytes after {count} records", 8 + need)
    if have < need and not partial:
        return Anomaly(K.TRUNCATED, f"{count} records of {size} bytes, {have} bytes", len(payload))
    whole = have // size if size else 0
    # whole <= count <= 65535, and each record is a slice inside payload.
    records = tuple(payload[8 + i * size : 8 + (i + 1) * size] for i in range(whole))
    return SzlResponse(szl_id, index, size, records)


def encode_szl_response(response: SzlResponse) -> bytes:
    """``SzlResponse`` -> payload bytes; every record must be ``record_length`` bytes."""
    for record in response.records:
        if len(record) != response.record_length:
            raise ValueError(f"record of {len(record)} bytes, LENTHDR {response.record_length}")
    try:
        head = _RESPONSE_HEAD.pack(
            response.szl_id, response.index, response.record_length, len(response.records)
        )
    except struct.error as error:
        raise ValueError(f"SZL response: {error}") from error
    return head + b"".join(response.records)


def decode_szl_0011(response: SzlResponse) -> ModuleIdentification | Anomaly:
    """Module identification (SZL 0x0011 or 0x0111) -> ``ModuleIdentification``.

    Versions follow ``ModuleIdentityRecord.version``: ``V3.2.7`` for a
    firmware record (Ausbg 0x5603, Ausbe 0x0207), ``3.1`` for a hardware
    record (Ausbg 3, Ausbe 1), as the ground truth of the shared captures
    derives them.
    """
    if response.szl_id & 0xFF != 0x11 or response.szl_id >> 8 not in (0x00, 0x01):
        return Anomaly(K.BAD_SZL, f"SZL 0x{response.szl_id:04x} is not 0x0011/0x0111", 0)
    if response.record_length != MODULE_RECORD_LENGTH:
        return Anomaly(K.BAD_SZL, f"0x0011 records of {response.record_length} bytes (28)", 4)
    records = []
    for raw in response.records:
        index, mlfb, bgtyp, ausbg, ausbe = _MODULE_RECORD.unpack(raw)
        records.append(ModuleIdentityRecord(index, mlfb.decode("latin-1"), bgtyp, ausbg, ausbe))
    return ModuleIdentification(response.szl_id, response.index, tuple(records))


def encode_szl_0011(identity: ModuleIdentification) -> SzlResponse:
    """``ModuleIdentification`` -> the ``SzlResponse`` a CPU would send (MlfB padded to 20)."""
    records = []
    for r in identity.records:
        mlfb = r.mlfb.encode("latin-1")
        if len(mlfb) > 20:
            raise ValueError(f"MlfB of {len(mlfb)} characters (20 at most)")
        try:
            records.append(
                _MODULE_RECORD.pack(r.index, mlfb.ljust(20), r.module_type_id, r.ausbg, r.ausbe)
            )
        except struct.error as error:
            raise ValueError(f"0x0011 record: {error}") from error
    return SzlResponse(identity.szl_id, identity.index, MODULE_RECORD_LENGTH, tuple(records))


def decode_szl_001c(response: SzlResponse) -> ComponentIdentification | Anomaly:
    """Component identification (SZL 0x001C or 0x011C) -> ``ComponentIdentification``."""
    if response.szl_id not in (0x001C, 0x011C):
        return Anomaly(K.BAD_SZL, f"SZL 0x{response.szl_id:04x} is not 0x001C/0x011C", 0)
    if response.record_length != COMPONENT_RECORD_LENGTH:
        return Anomaly(K.BAD_SZL, f"0x001C records of {response.record_length} bytes (34)", 4)
    records = tuple(
        ComponentRecord(int.from_bytes(raw[:2], "big"), raw[2:]) for raw in response.records
    )
    return ComponentIdentification(response.szl_id, response.index, records)


def component_record(index: int, text: str) -> ComponentRecord:
    """A 0x001C text record: ``text`` NUL-padded to 32 bytes (raises if longer)."""
    raw = text.encode("latin-1")
    if len(raw) > _COMPONENT_DATA:
        raise ValueError(f"0x001C text of {len(raw)} bytes (32 at most)")
    return ComponentRecord(index, raw.ljust(_COMPONENT_DATA, b"\x00"))


def encode_szl_001c(identity: ComponentIdentification) -> SzlResponse:
    """``ComponentIdentification`` -> the ``SzlResponse`` a CPU would send."""
    records = []
    for r in identity.records:
        if len(r.data) != _COMPONENT_DATA or not 0 <= r.index <= 0xFFFF:
            raise ValueError(f"0x001C record {r.index} of {len(r.data)} bytes (32)")
        records.append(r.index.to_bytes(2, "big") + r.data)
    return SzlResponse(identity.szl_id, identity.index, COMPONENT_RECORD_LENGTH, tuple(records))
