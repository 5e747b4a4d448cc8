"""S7comm identity probe: COTP connect, setup communication, SZL 0x0011 and 0x001C.

On TCP 102 (RFC 1006 TPKT, ISO 8073 COTP class 0, S7comm as Wireshark and
snap7 document it):

1. COTP connection request with calling TSAP 0x0100 and called TSAP
   ``connection type PG (1) | rack << 5 | slot``, trying rack/slot 0/2
   (S7-300/400 CPUs), 0/1 (S7-1200/1500) and 0/0 in that order, each on a
   fresh TCP connection until a connection confirm comes back;
2. setup communication (1 parallel job each way, PDU 480 bytes asked);
3. read SZL 0x0011 index 0 (module identification) and 0x001C index 0
   (component identification), following fragmented answers with the
   "next data unit" request (at most ``MAX_FRAGMENTS``).

A COTP CR is ``session`` (classified here: otm's S7 codec names COTP PDUs but
gives categories only to S7 PDUs), setup communication ``session``, a read
SZL of the identity lists ``identify`` and its continuation ``read``; no
other request can be built.  Fields are the passive sensor's: from 0x0011
``order_number``, ``product_code``, ``hardware``, ``firmware``,
``bootloader``, ``hardware_order_number``, ``module_type_id``; from 0x001C
``name``, ``module_name``, ``plant_designation``, ``copyright``, ``serial``,
``model``, ``memory_card_serial``, ``location``; ``vendor`` Siemens from a
Siemens order number or copyright.  The CPU is also recorded as the
component ``rack R slot S`` of the station, and the device's facts carry
``rack`` and ``slot``, as the passive sensor does.
"""

from __future__ import annotations

import contextlib

from otm.observations.records import Identity, Observation
from otm.protocols.common import IDENTIFY, OTHER, READ, SESSION, Anomaly
from otm.protocols.s7comm import (
    CotpConnect,
    CotpData,
    CotpDisconnect,
    CotpParameter,
    S7Pdu,
    SetupCommunication,
    SzlRequest,
    Tpkt,
    Userdata,
    UserdataData,
    UserdataParameter,
    UserdataReassembler,
    decode_payload,
    decode_szl_001c,
    decode_szl_0011,
    decode_szl_response,
    decode_tpkt,
    encode_s7,
    encode_szl_request,
    encode_tpkt,
    frame_length,
    pdu_operation,
)
from otm.protocols.s7comm.constants import IDENTIFY_SZL_IDS
from otm.scanning.limits import Limits
from otm.scanning.probe import (
    PlannedRequest,
    Target,
    TransportKind,
    clean_fields,
    evidence,
    planned,
)
from otm.scanning.safety import classifier, read_only, request
from otm.scanning.transport import Connection, ScanError, Transport

PROTOCOL = "s7comm"
PORT = 102

RACK_SLOTS = ((0, 2), (0, 1), (0, 0))
"""Where CPUs sit: slot 2 of rack 0 on S7-300/400, slot 1 on S7-1200/1500, 0 on some others."""

CONNECTION_TYPE_PG = 1
"""First byte of the called TSAP: a programming device connection, as snap7 and nmap use."""

PDU_LENGTH = 480
"""PDU size asked in setup communication; the CPU answers with what it grants (240 on an S7-300)."""

MAX_FRAGMENTS = 16
"""Follow-up requests for one SZL answer: 0x001C of a big CPU is under 400 bytes,
3 fragments at a 240-byte PDU; 16 stops a device that never says "last"."""

SZL_LISTS = (0x0011, 0x001C)

SIEMENS_ORDER_PREFIXES = ("6ES7", "6ES5", "6AG1", "6AV", "6GK", "6ED1", "6EP")
"""Order-number (MLFB) prefixes of Siemens automation products (as the passive sensor)."""

_CR = 0xE0
_CC = 0xD0
_USERDATA = 7
_JOB = 1
_SZL_TYPE_GROUP = (4, 4)  # type 4 request, function group 4 CPU functions
_READ_SZL = 0x01


# -- the catalog ------------------------------------------------------------------------


@read_only(
    PROTOCOL,
    "cotp_connection_request",
    SESSION,
    examples=({"src_ref": 1, "rack": 0, "slot": 2}, {"src_ref": 2, "rack": 0, "slot": 1}),
)
def build_cotp_connection_request(*, src_ref: int, rack: int, slot: int) -> bytes:
    """COTP CR, class 0, TPDU size 1024, TSAPs 0x0100 -> ``PG | rack << 5 | slot``."""
    if not 0 <= rack <= 7 or not 0 <= slot <= 31:
        raise ValueError(f"rack {rack} (0-7) slot {slot} (0-31)")
    params = (
        CotpParameter(0xC0, bytes((0x0A,))),
        CotpParameter(0xC1, bytes((0x01, 0x00))),
        CotpParameter(0xC2, bytes((CONNECTION_TYPE_PG, (rack << 5) | slot))),
    )
    return encode_tpkt(Tpkt(0, CotpConnect(_CR, 0, 0, src_ref, 0, params)))


def _dt(pdu: S7Pdu) -> bytes:
    return encode_tpkt(Tpkt(0, CotpData(True, 0, encode_s7(pdu))))


@read_only(
    PROTOCOL,
    "setup_communication",
    SESSION,
    examples=({"pdu_reference": 1, "pdu_length": PDU_LENGTH},),
)
def build_setup_communication(*, pdu_reference: int, pdu_length: int = PDU_LENGTH) -> bytes:
    """Setup communication job (0xF0): one parallel job each way, the PDU size asked."""
    if not 240 <= pdu_length <= 960:
        raise ValueError(f"PDU length {pdu_length} (240-960)")
    body = SetupCommunication(0, 1, 1, pdu_length)
    return _dt(S7Pdu(_JOB, 0, pdu_reference, None, None, body))


@read_only(
    PROTOCOL,
    "read_szl",
    IDENTIFY,
    examples=(
        {"pdu_reference": 2, "szl_id": 0x0011, "index": 0},
        {"pdu_reference": 3, "szl_id": 0x001C, "index": 0},
    ),
)
def build_read_szl(*, pdu_reference: int, szl_id: int, index: int = 0) -> bytes:
    """Userdata read SZL (group 4, subfunction 1) of an identity list (0x0011, 0x001C, 0x01xx)."""
    if szl_id not in IDENTIFY_SZL_IDS:
        raise ValueError(f"SZL 0x{szl_id:04x} is not an identity list")
    param = UserdataParameter(0x11, *_SZL_TYPE_GROUP, _READ_SZL, 0, None, None, None)
    data = UserdataData(0xFF, 0x09, encode_szl_request(SzlRequest(szl_id, index)))
    return _dt(S7Pdu(_USERDATA, 0, pdu_reference, None, None, Userdata(param, data)))


@read_only(
    PROTOCOL,
    "read_szl_next",
    READ,
    examples=({"pdu_reference": 4, "sequence_number": 3, "data_unit_reference": 1},),
)
def build_read_szl_next(
    *, pdu_reference: int, sequence_number: int, data_unit_reference: int
) -> bytes:
    """The request for the next fragment of a read SZL answer (empty payload)."""
    param = UserdataParameter(
        0x12, *_SZL_TYPE_GROUP, _READ_SZL, sequence_number, data_unit_reference, 0, 0
    )
    data = UserdataData(0x0A, 0x00, b"")
    return _dt(S7Pdu(_USERDATA, 0, pdu_reference, None, None, Userdata(param, data)))


@classifier(PROTOCOL)
def classify(payload: bytes) -> tuple[str, str] | None:
    """``(operation, category)`` of one TPKT as otm's S7 codec reads it.

    A COTP connection or disconnect request is ``session``; a DT carrying an
    S7comm job or userdata request is what ``pdu_operation`` says; anything
    else (acks, S7comm-plus, other TPDUs) is ``other`` and so refused.
    """
    if frame_length(payload, 0) != len(payload):
        return None
    tpkt = decode_tpkt(payload)
    if isinstance(tpkt, Anomaly):
        return None
    cotp = tpkt.cotp
    if isinstance(cotp, CotpConnect):
        if cotp.pdu_type == _CR:
            return "cotp_connection_request", SESSION
        return "cotp_connection_confirm", OTHER
    if isinstance(cotp, CotpDisconnect):
        return "cotp_disconnect_request", SESSION
    if not isinstance(cotp, CotpData) or not cotp.eot:
        return "cotp_other", OTHER
    pdu = decode_payload(cotp.payload)
    if isinstance(pdu, Anomaly):
        return None
    if not isinstance(pdu, S7Pdu):
        return "s7comm_plus", OTHER
    if pdu.rosctr not in (_JOB, _USERDATA):
        return f"s7comm_rosctr_{pdu.rosctr}", OTHER
    if isinstance(pdu.body, Userdata) and pdu.body.parameter.type != 4:
        return "userdata_not_a_request", OTHER
    return pdu_operation(pdu)


# -- answers ---------------------------------------------------------------------------------


def _s7(answer: bytes) -> S7Pdu | None:
    tpkt = decode_tpkt(answer)
    if isinstance(tpkt, Anomaly) or not isinstance(tpkt.cotp, CotpData):
        return None
    pdu = decode_payload(tpkt.cotp.payload)
    return pdu if isinstance(pdu, S7Pdu) else None


def module_fields(payload: bytes) -> dict[str, str | int]:
    """Identity fields of an SZL 0x0011 answer payload (as the passive sensor)."""
    response = decode_szl_response(payload, partial=True)
    if isinstance(response, Anomaly):
        return {}
    module = decode_szl_0011(response)
    if isinstance(module, Anomaly):
        return {}
    order = module.order_number
    fields: dict[str, str | int] = {
        "order_number": order or "",
        "product_code": order or "",
        "hardware": module.hardware_version or "",
        "firmware": module.firmware_version or "",
        "bootloader": module.bootloader_version or "",
    }
    hw = module.record(6)
    if hw is not None and hw.order_number:
        fields["hardware_order_number"] = hw.order_number
    if module.module_type_id is not None:
        fields["module_type_id"] = module.module_type_id
    if order and order.replace(" ", "").startswith(SIEMENS_ORDER_PREFIXES):
        fields["vendor"] = "Siemens"
    return clean_fields(fields)


def component_fields(payload: bytes) -> dict[str, str | int]:
    """Identity fields of an SZL 0x001C answer payload (as the passive sensor)."""
    response = decode_szl_response(payload, partial=True)
    if isinstance(response, Anomaly):
        return {}
    comp = decode_szl_001c(response)
    if isinstance(comp, Anomaly):
        return {}
    fields: dict[str, str | int] = {
        "name": comp.plc_name or "",
        "module_name": comp.module_name or "",
        "plant_designation": comp.plant_designation or "",
        "copyright": comp.copyright or "",
        "serial": comp.serial_number or "",
        "model": comp.module_type_name or "",
        "memory_card_serial": comp.memory_card_serial or "",
        "location": comp.location_designation or "",
    }
    if "siemens" in (comp.copyright or "").lower():
        fields["vendor"] = "Siemens"
    return clean_fields(fields)


_MESSAGES = {
    0x0011: ("s7comm read_szl 0x0011 response (module identification)", module_fields),
    0x001C: ("s7comm read_szl 0x001c response (component identification)", component_fields),
}


# -- the probe ------------------------------------------------------------------------------


class S7Probe:
    """SZL identity reads over ISO-on-TCP 102 (see the module docstring)."""

    protocol = PROTOCOL
    port = PORT
    transport: TransportKind = "tcp"
    broadcast = False

    def __init__(
        self, rack_slots: tuple[tuple[int, int], ...] = RACK_SLOTS, port: int = PORT
    ) -> None:
        self.rack_slots = rack_slots
        self.port = port

    def plan(self, target: Target) -> list[PlannedRequest]:
        if target.kind != "host":
            return []
        out: list[PlannedRequest] = []
        for n, (rack, slot) in enumerate(self.rack_slots, start=1):
            cr = request(PROTOCOL, "cotp_connection_request", src_ref=n, rack=rack, slot=slot)
            note = "first" if n == 1 else "when the previous rack/slot was refused"
            out += planned(
                PROTOCOL, target, self.port, "tcp", [cr], f"rack {rack} slot {slot}, {note}"
            )
        session = [
            request(PROTOCOL, "setup_communication", pdu_reference=1),
            request(PROTOCOL, "read_szl", pdu_reference=2, szl_id=0x0011),
            request(PROTOCOL, "read_szl", pdu_reference=3, szl_id=0x001C),
        ]
        out += planned(PROTOCOL, target, self.port, "tcp", session, "once a CPU confirmed")
        nxt = request(
            PROTOCOL, "read_szl_next", pdu_reference=4, sequence_number=0, data_unit_reference=0
        )
        out += planned(
            PROTOCOL, target, self.port, "tcp", [nxt], "while an SZL answer has more data"
        )
        return out

    async def run(self, target: Target, io: Transport, limits: Limits) -> list[Observation]:
        if target.kind != "host":
            return []
        for n, (rack, slot) in enumerate(self.rack_slots, start=1):
            try:
                conn = await io.connect(target.address, self.port, limits.timeout)
            except ScanError:
                return []
            try:
                if not await self._connect(conn, n, rack, slot, limits):
                    continue
                return await self._identify(target, conn, rack, slot, limits)
            except ScanError:
                continue
            finally:
                await conn.close()
        return []

    async def _connect(
        self, conn: Connection, src_ref: int, rack: int, slot: int, limits: Limits
    ) -> bool:
        cr = request(PROTOCOL, "cotp_connection_request", src_ref=src_ref, rack=rack, slot=slot)
        tpkt = decode_tpkt(await conn.exchange(cr, frame_length, limits.timeout))
        return (
            not isinstance(tpkt, Anomaly)
            and isinstance(tpkt.cotp, CotpConnect)
            and tpkt.cotp.pdu_type == _CC
        )

    async def _identify(
        self, target: Target, conn: Connection, rack: int, slot: int, limits: Limits
    ) -> list[Observation]:
        setup = request(PROTOCOL, "setup_communication", pdu_reference=1)
        pdu = _s7(await conn.exchange(setup, frame_length, limits.timeout))
        if pdu is None or pdu.error_class or not isinstance(pdu.body, SetupCommunication):
            return []
        out: list[Observation] = []
        reference = 1
        for szl_id in SZL_LISTS:
            reference += 1
            payload = None
            with contextlib.suppress(ScanError):
                payload = await self._read_szl(conn, szl_id, reference, limits)
            if payload is None:
                continue
            message, extract = _MESSAGES[szl_id]
            fields = extract(payload)
            if not fields:
                continue
            now = limits.now()
            ev = evidence(target, message)
            component = f"rack {rack} slot {slot}"
            out.append(Identity(now, target.address, None, PROTOCOL, fields, ev, component))
            station = {**fields, "rack": rack, "slot": slot}
            out.append(Identity(now, target.address, None, PROTOCOL, station, ev))
            reference += MAX_FRAGMENTS
        return out

    async def _read_szl(
        self, conn: Connection, szl_id: int, reference: int, limits: Limits
    ) -> bytes | None:
        """The reassembled payload of one read SZL, or None when the CPU refused it."""
        reassembler = UserdataReassembler()
        req = request(PROTOCOL, "read_szl", pdu_reference=reference & 0xFFFF, szl_id=szl_id)
        for n in range(MAX_FRAGMENTS + 1):
            pdu = _s7(await conn.exchange(req, frame_length, limits.timeout))
            if pdu is None or not isinstance(pdu.body, Userdata) or pdu.body.data is None:
                return None
            if pdu.body.data.return_code != 0xFF:
                return None  # the list is not available
            unit = reassembler.push(pdu)
            if isinstance(unit, Anomaly):
                return None
            if unit is not None:
                return unit.payload
            p = pdu.body.parameter
            req = request(
                PROTOCOL,
                "read_szl_next",
                pdu_reference=(reference + n + 1) & 0xFFFF,
                sequence_number=p.sequence_number,
                data_unit_reference=p.data_unit_reference or 0,
            )
        return None
