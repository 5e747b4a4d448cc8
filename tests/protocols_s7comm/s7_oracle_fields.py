"""Test helper: what tshark (the oracle) and otm each see in every S7 frame, field by field.

Both sides produce, per frame number, a dict ``tshark field name -> list of
values in PDU order``, written the way ``tshark -T fields`` prints them
(``0x04`` for hex fields, decimal for the others, strings as they are).
"""

from __future__ import annotations

import subprocess
from collections import defaultdict
from collections.abc import Callable
from functools import cache

from s7_captures import capture_pdus

from conftest import PCAPS
from otm.protocols.common import Anomaly
from otm.protocols.s7comm import (
    BlockControlJob,
    CotpData,
    CyclicData,
    CyclicRequest,
    PiService,
    PlcStop,
    ReadVarRequest,
    ReadVarResponse,
    S7Pdu,
    UserdataReassembler,
    WriteVarRequest,
    WriteVarResponse,
    decode_cyclic_data,
    decode_cyclic_request,
    decode_s7,
    decode_szl_001c,
    decode_szl_0011,
    decode_szl_response,
    decode_tpkt,
)
from otm.protocols.s7comm.messages import Userdata

HEX_FIELDS = {
    "s7comm.param.func": 2,
    "s7comm.data.userdata.szl_id": 4,
    "s7comm.data.userdata.szl_index": 4,
    "s7comm.szl.xy11.0001.index": 4,
    "s7comm.szl.xy11.0001.bgtyp": 4,
    "s7comm.szl.001c.000x.index": 4,
}
"""Fields tshark prints in hex, with their digit count."""

FIELDS = (
    "s7comm.header.rosctr",
    "s7comm.param.func",
    "s7comm.param.itemcount",
    "s7comm.param.userdata.type",
    "s7comm.param.userdata.funcgroup",
    "s7comm.param.userdata.subfunc",
    "s7comm.data.userdata.szl_id",
    "s7comm.data.userdata.szl_index",
    "s7comm.param.blockcontrol.filename",
    "s7comm.data.blockcontrol.block_type",
    "s7comm.data.blockcontrol.block_number",
    "s7comm.param.pistart.servicename",
    "s7comm.szl.xy11.0001.index",
    "s7comm.szl.xy11.0001.anz",
    "s7comm.szl.xy11.0001.bgtyp",
    "s7comm.szl.xy11.0001.ausbg",
    "s7comm.szl.xy11.0001.ausbe",
    "s7comm.szl.001c.000x.index",
    "s7comm.szl.001c.0001.name",
    "s7comm.szl.001c.0002.name",
    "s7comm.szl.001c.0003.tag",
    "s7comm.szl.001c.0004.copyright",
    "s7comm.szl.001c.0005.serialn",
    "s7comm.szl.001c.0007.cputypname",
    "s7comm.szl.001c.0008.snmcmmc",
)

_SEP = "\x1f"

Frames = dict[int, dict[str, list[str]]]


@cache
def tshark_fields(capture: str) -> Frames:
    """Per frame, the values tshark shows for ``FIELDS`` (frames without S7comm left out)."""
    cmd = ["tshark", "-n", "-r", str(PCAPS / capture), "-Y", "s7comm", "-T", "fields"]
    cmd += ["-E", f"aggregator={_SEP}", "-E", "occurrence=a", "-e", "frame.number"]
    for field in FIELDS:
        cmd += ["-e", field]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    frames: Frames = {}
    for line in out.splitlines():
        cells = line.split("\t")
        values = {}
        for field, cell in zip(FIELDS, cells[1:], strict=True):
            values[field] = cell.split(_SEP) if cell else []
        frames[int(cells[0])] = values
    return frames


def _hex(field: str, value: int) -> str:
    digits = HEX_FIELDS.get(field)
    return f"0x{value:0{digits}x}" if digits else str(value)


Put = Callable[[str, "int | str"], None]


@cache
def otm_fields(capture: str) -> tuple[Frames, tuple[tuple[int, Anomaly], ...]]:
    """Per frame, the same fields from otm's decoders; and every anomaly met.

    Userdata fragments go through one ``UserdataReassembler`` per stream
    direction, so SZL ids and identity records appear in the frame that
    completes the data unit, as tshark shows them.
    """
    frames: Frames = defaultdict(lambda: defaultdict(list))
    anomalies: list[tuple[int, Anomaly]] = []
    reassemblers: dict[tuple[int, int], UserdataReassembler] = {}
    for pdu in capture_pdus(capture):
        tpkt = decode_tpkt(pdu.tpkt)
        if isinstance(tpkt, Anomaly):
            anomalies.append((pdu.frame, tpkt))
            continue
        cotp = tpkt.cotp
        if not isinstance(cotp, CotpData) or cotp.payload[:1] != b"\x32":
            continue
        s7 = decode_s7(cotp.payload)
        if isinstance(s7, Anomaly):
            anomalies.append((pdu.frame, s7))
            continue
        values = frames[pdu.frame]

        def put(field: str, value: int | str, values: dict[str, list[str]] = values) -> None:
            values[field].append(value if isinstance(value, str) else _hex(field, value))

        reassembler = reassemblers.setdefault((pdu.stream, pdu.from_port), UserdataReassembler())
        problem = _pdu_fields(s7, put, reassembler)
        if problem is not None:
            anomalies.append((pdu.frame, problem))
    return frames, tuple(anomalies)


def _pdu_fields(s7: S7Pdu, put: Put, reassembler: UserdataReassembler) -> Anomaly | None:
    put("s7comm.header.rosctr", s7.rosctr)
    body = s7.body
    if not isinstance(body, Userdata) and s7.function is not None:
        put("s7comm.param.func", s7.function)
    if isinstance(body, ReadVarRequest | WriteVarRequest):
        put("s7comm.param.itemcount", len(body.items))
    elif isinstance(body, ReadVarResponse | WriteVarResponse):
        put("s7comm.param.itemcount", body.item_count)
    elif isinstance(body, BlockControlJob) and body.filename is not None:
        put("s7comm.param.blockcontrol.filename", body.filename)
        block = body.block
        if block is not None and block.file_identifier == "_":
            put("s7comm.data.blockcontrol.block_type", block.block_type)
            put("s7comm.data.blockcontrol.block_number", f"{block.block_number:05d}")
    elif isinstance(body, PiService):
        if body.service is not None:
            put("s7comm.param.pistart.servicename", body.service)
        for block in body.blocks:  # tshark shows _INSE/_DELE names as block file names
            put("s7comm.param.blockcontrol.filename", str(block))
            put("s7comm.data.blockcontrol.block_type", block.block_type)
            put("s7comm.data.blockcontrol.block_number", f"{block.block_number:05d}")
    elif isinstance(body, PlcStop):
        put("s7comm.param.pistart.servicename", body.service)
    elif isinstance(body, Userdata):
        return _userdata_fields(s7, body, put, reassembler)
    return None


_TEXT_FIELDS = {
    1: "0001.name",
    2: "0002.name",
    3: "0003.tag",
    4: "0004.copyright",
    5: "0005.serialn",
    7: "0007.cputypname",
    8: "0008.snmcmmc",
}


def _userdata_fields(
    s7: S7Pdu, body: Userdata, put: Put, reassembler: UserdataReassembler
) -> Anomaly | None:
    p = body.parameter
    put("s7comm.param.userdata.type", p.type)
    put("s7comm.param.userdata.funcgroup", p.function_group)
    put("s7comm.param.userdata.subfunc", p.subfunction)
    if p.function_group == 2 and p.subfunction in (1, 5, 7) and body.data is not None:
        cyclic: CyclicRequest | CyclicData | Anomaly
        if p.type == 4:
            cyclic = decode_cyclic_request(body.data.payload)
        else:
            cyclic = decode_cyclic_data(body.data.payload)
        if isinstance(cyclic, Anomaly):
            return cyclic
        put("s7comm.param.itemcount", len(cyclic.items))
    unit = reassembler.push(s7)
    if isinstance(unit, Anomaly):
        return unit
    if unit is None or (p.function_group, p.subfunction) != (4, 1) or len(unit.payload) < 4:
        return None
    put("s7comm.data.userdata.szl_id", int.from_bytes(unit.payload[:2], "big"))
    put("s7comm.data.userdata.szl_index", int.from_bytes(unit.payload[2:4], "big"))
    if p.type != 8:
        return None
    response = decode_szl_response(unit.payload)
    if isinstance(response, Anomaly):
        return response
    if response.szl_id & 0xFF == 0x11:
        module = decode_szl_0011(response)
        if isinstance(module, Anomaly):
            return module
        for r in module.records:
            put("s7comm.szl.xy11.0001.index", r.index)
            put("s7comm.szl.xy11.0001.anz", r.mlfb)
            put("s7comm.szl.xy11.0001.bgtyp", r.module_type_id)
            put("s7comm.szl.xy11.0001.ausbg", r.ausbg)
            put("s7comm.szl.xy11.0001.ausbe", r.ausbe)
    elif response.szl_id == 0x001C:
        component = decode_szl_001c(response)
        if isinstance(component, Anomaly):
            return component
        for c in component.records:
            put("s7comm.szl.001c.000x.index", c.index)
            text = component.text(c.index)
            if c.index in _TEXT_FIELDS and text:  # tshark prints nothing for an empty string
                put("s7comm.szl.001c." + _TEXT_FIELDS[c.index], text)
    return None
