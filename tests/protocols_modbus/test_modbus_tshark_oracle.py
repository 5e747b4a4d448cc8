"""The codec against tshark, the oracle, on the shared Modbus captures.

tshark lists every TCP segment to or from port 502 with the Modbus fields it
dissected (by their Wireshark filter names).  The test rebuilds each TCP
direction's byte stream from ``tcp.payload``, splits it with our
``frame_length``, decodes each ADU by direction (to port 502: request) and
derives, from our message alone, the values tshark shows for each field.  Per
frame both lists must be equal: function codes, unit and transaction ids,
exception codes, addresses and counts, masks, sub-functions, register values,
raw data, and every Read Device Identification object.
"""

from __future__ import annotations

import struct
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from otm.protocols.modbus import decode_request, decode_response, frame_length
from otm.protocols.modbus import messages as m
from tshark_support import AGGREGATOR, matches, tshark_rows

pytestmark = pytest.mark.tshark

CAPTURES = [
    "modbus_example.pcap",
    "modbusSmall.pcap",
    "modicon_test.pcap",
    "IllegalFunction.pcap",
    "modbusAnalog.pcap",
    "mb2.pcap",
]

SEGMENT_FIELDS = [
    "frame.number",
    "tcp.stream",
    "tcp.dstport",
    "tcp.seq",
    "tcp.len",
    "tcp.analysis.retransmission",
    "tcp.payload",
]

COMPARED = [
    "mbtcp.trans_id",
    "mbtcp.unit_id",
    "modbus.func_code",
    "modbus.exception_code",
    "modbus.reference_num",
    "modbus.bit_cnt",
    "modbus.word_cnt",
    "modbus.byte_cnt",
    "modbus.diagnostic_code",
    "modbus.and_mask",
    "modbus.or_mask",
    "modbus.read_reference_num",
    "modbus.read_word_cnt",
    "modbus.write_reference_num",
    "modbus.write_word_cnt",
    "modbus.mei",
    "modbus.read_device_id",
    "modbus.conformity_level",
    "modbus.more_follows",
    "modbus.next_object_id",
    "modbus.num_objects",
    "modbus.object_id",
    "modbus.object_str_value",
    "modbus.regval_uint16",
    "modbus.data",
]


@dataclass
class Expected:
    """The values tshark should show per field; ``optional`` ones it may leave out."""

    values: dict[str, list[tuple[str, bool]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, name: str, *values: object, optional: bool = False) -> None:
        self.values[name].extend((str(v), optional) for v in values)


def _hex_registers(registers: tuple[int, ...]) -> str:
    return struct.pack(f">{len(registers)}H", *registers).hex()


def _expect(adu: m.Adu, out: Expected) -> None:
    """What tshark 4.0 displays for one ADU, derived from our decoded message."""
    pdu = adu.pdu
    out.add("mbtcp.trans_id", adu.transaction_id)
    out.add("mbtcp.unit_id", adu.unit_id)
    out.add("modbus.func_code", pdu.function_code)
    match pdu:
        case m.ExceptionResponse():
            out.add("modbus.exception_code", pdu.exception_code)
        case m.ReadRequest():
            out.add("modbus.reference_num", pdu.starting_address)
            count = "modbus.bit_cnt" if pdu.function_code in (1, 2) else "modbus.word_cnt"
            out.add(count, pdu.quantity)
        case m.ReadBitsResponse():
            out.add("modbus.byte_cnt", len(pdu.status))
            # Shown as bits when tshark saw the request, as raw data otherwise.
            out.add("modbus.data", pdu.status.hex(), optional=True)
        case m.ReadRegistersResponse():
            out.add("modbus.byte_cnt", 2 * len(pdu.registers))
            if pdu.function_code == 23:
                out.add("modbus.data", _hex_registers(pdu.registers))
            else:
                out.add("modbus.regval_uint16", *pdu.registers)
        case m.WriteSingle():
            out.add("modbus.reference_num", pdu.address)
            out.add("modbus.data", f"{pdu.value:04x}")
        case m.Diagnostics():
            out.add("modbus.diagnostic_code", pdu.sub_function)
            # Sub-function specific fields, or raw data.
            out.add("modbus.data", pdu.data.hex(), optional=True)
        case m.WriteMultipleCoilsRequest():
            out.add("modbus.reference_num", pdu.starting_address)
            out.add("modbus.bit_cnt", pdu.quantity)
            out.add("modbus.byte_cnt", len(pdu.outputs))
            out.add("modbus.data", pdu.outputs.hex())
        case m.WriteMultipleRegistersRequest():
            out.add("modbus.reference_num", pdu.starting_address)
            out.add("modbus.word_cnt", len(pdu.registers))
            out.add("modbus.byte_cnt", 2 * len(pdu.registers))
            out.add("modbus.regval_uint16", *pdu.registers)
        case m.WriteMultipleResponse():
            out.add("modbus.reference_num", pdu.starting_address)
            count = "modbus.bit_cnt" if pdu.function_code == 15 else "modbus.word_cnt"
            out.add(count, pdu.quantity)
        case m.MaskWriteRegister():
            out.add("modbus.reference_num", pdu.reference_address)
            out.add("modbus.and_mask", f"0x{pdu.and_mask:04x}")
            out.add("modbus.or_mask", f"0x{pdu.or_mask:04x}")
        case m.ReadWriteMultipleRequest():
            out.add("modbus.read_reference_num", pdu.read_starting_address)
            out.add("modbus.read_word_cnt", pdu.quantity_to_read)
            out.add("modbus.write_reference_num", pdu.write_starting_address)
            out.add("modbus.write_word_cnt", len(pdu.write_registers))
            out.add("modbus.byte_cnt", 2 * len(pdu.write_registers))
            out.add("modbus.data", _hex_registers(pdu.write_registers))
        case m.ReadFifoQueueRequest():
            out.add("modbus.reference_num", pdu.fifo_pointer_address)
        case m.ReadFifoQueueResponse():
            out.add("modbus.word_cnt", len(pdu.fifo_values))
            out.add("modbus.regval_uint16", *pdu.fifo_values)
        case m.ReadFileRecordRequest():
            assert not pdu.sub_requests, "no capture has file sub-requests yet"
            out.add("modbus.byte_cnt", 0)
        case m.ReadFileRecordResponse():
            assert not pdu.sub_responses, "no capture has file sub-responses yet"
            out.add("modbus.byte_cnt", 0)
        case m.WriteFileRecord():
            assert not pdu.records, "no capture has file records yet"
            out.add("modbus.byte_cnt", 0)
        case m.ReportServerIdResponse():
            out.add("modbus.data", (bytes((len(pdu.data),)) + pdu.data).hex())
        case m.ReadExceptionStatusResponse():
            out.add("modbus.data", f"{pdu.output_data:02x}")
        case m.ReadDeviceIdentificationRequest():
            out.add("modbus.mei", 14)
            out.add("modbus.read_device_id", pdu.read_device_id_code)
            out.add("modbus.object_id", pdu.object_id)
        case m.ReadDeviceIdentificationResponse():
            out.add("modbus.mei", 14)
            out.add("modbus.read_device_id", pdu.read_device_id_code)
            out.add("modbus.conformity_level", f"0x{pdu.conformity_level:02x}")
            out.add("modbus.more_follows", f"0x{pdu.more_follows:02x}")
            out.add("modbus.next_object_id", pdu.next_object_id)
            out.add("modbus.num_objects", len(pdu.objects))
            out.add("modbus.object_id", *(o.object_id for o in pdu.objects))
            out.add("modbus.object_str_value", *(o.text for o in pdu.objects))
        case m.UmasRequest():
            out.add("modbus.data", (bytes((pdu.pairing_key, pdu.umas_function)) + pdu.data).hex())
        case m.UmasResponse():
            out.add("modbus.data", (bytes((pdu.pairing_key, pdu.return_code)) + pdu.data).hex())
        case m.RawPdu():
            out.add("modbus.data", pdu.data.hex())
        case m.NoDataRequest():
            pass  # the function code says it all
        case _:
            pytest.fail(f"no tshark expectation written for {pdu!r}")


def _tshark_rows(tshark: str, capture: Path) -> list[dict[str, str]]:
    return tshark_rows(tshark, capture, "tcp.port == 502 && tcp.len > 0", SEGMENT_FIELDS + COMPARED)


@pytest.mark.parametrize("capture", CAPTURES)
def test_decoder_agrees_with_tshark(capture: str, pcaps: Path, tshark: str) -> None:
    pending: dict[tuple[str, bool], bytes] = defaultdict(bytes)
    next_seq: dict[tuple[str, bool], int] = {}
    decoded = 0
    mismatches: list[str] = []
    for row in _tshark_rows(tshark, pcaps / capture):
        key = (row["tcp.stream"], row["tcp.dstport"] == "502")
        if row["tcp.analysis.retransmission"]:
            # tshark does not dissect retransmissions; start this direction afresh.
            pending.pop(key, None)
            next_seq.pop(key, None)
            continue
        seq, size = int(row["tcp.seq"]), int(row["tcp.len"])
        payload = bytes.fromhex(row["tcp.payload"])
        expected_seq = next_seq.get(key, seq)
        if seq + size <= expected_seq and key in next_seq:
            continue  # a duplicate of bytes already taken
        if seq < expected_seq:
            payload = payload[expected_seq - seq :]
        elif seq > expected_seq:
            pending.pop(key, None)  # bytes missing from the capture
        next_seq[key] = seq + size
        stream = pending[key] + payload
        expected = Expected()
        start = 0
        # Each pass takes one ADU of at least 8 bytes from a segment of at most 64 KiB.
        while (length := frame_length(stream, start)) > 0 and start + length <= len(stream):
            adu = stream[start : start + length]
            result = (decode_request if key[1] else decode_response)(adu)
            assert isinstance(result, m.Adu), (row["frame.number"], adu.hex(), result)
            _expect(result, expected)
            decoded += 1
            start += length
        assert length >= 0, f"frame {row['frame.number']}: the framer lost the stream"
        pending[key] = stream[start:]
        for name in COMPARED:
            shown = row[name].split(AGGREGATOR) if row[name] else []
            shown = [value for value in shown if value != "<MISSING>"]
            if not matches(expected.values.get(name, []), shown):
                mismatches.append(
                    f"frame {row['frame.number']} {name}: ours {expected.values.get(name)}"
                    f" tshark {shown}"
                )
    assert decoded > 0
    assert not mismatches, "\n".join(mismatches[:20])


def test_device_identification_of_modbus_example(pcaps: Path, tshark: str) -> None:
    """The objects tshark names in modbus_example.pcap, by our object names."""
    rows = [
        row
        for row in _tshark_rows(tshark, pcaps / "modbus_example.pcap")
        if row["modbus.object_str_value"]
    ]
    assert len(rows) == 1
    result = decode_response(bytes.fromhex(rows[0]["tcp.payload"]))
    assert isinstance(result, m.Adu)
    assert isinstance(result.pdu, m.ReadDeviceIdentificationResponse)
    texts = result.pdu.named_texts()
    assert list(texts.values()) == rows[0]["modbus.object_str_value"].split(AGGREGATOR)
    assert texts["vendor_name"] == "Zeek Modbus Test"
    assert texts["product_code"] == "Protocol Parsing is fun!"
    assert texts["major_minor_revision"] == "1.2.3.6"
