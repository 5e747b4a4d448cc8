"""Values written: Modbus and S7comm write requests become ``ValueWritten`` observations.

Frames are built with otm's own encoders and walked through the passive
engine with only the sensor under test, as a capture would be.  Each test
is named after the case it pins: what each function code or item records,
what it leaves out (and counts in ``values_skipped``), and how the values
of several writes, flows and checkpoints add up.
"""

from __future__ import annotations

import struct
from unittest.mock import patch

import pytest

from otm.capture.frames import TcpSession
from otm.inventory.builder import build_inventory
from otm.observations.records import Observation, ValueWritten
from otm.protocols.modbus import codec as modbus
from otm.protocols.modbus import messages as mb
from otm.protocols.modbus.rtu import RtuFrame, encode_rtu
from otm.protocols.s7comm import (
    CotpData,
    DataItem,
    DbReadArea,
    DbReadItem,
    S7AnyItem,
    S7Pdu,
    Tpkt,
    WriteVarRequest,
    encode_s7,
    encode_tpkt,
)
from otm.protocols.s7comm.messages import Item
from otm.sensing import engine
from otm.sensing import modbus as modbus_sensor
from otm.sensing import s7comm as s7_sensor
from otm.sensing.engine import PassiveEngine
from otm.sensing.modbus import ModbusSensor
from otm.sensing.registry import Sensor
from otm.sensing.s7comm import S7Sensor
from sensor_support import numbered

CLIENT, SERVER = "10.0.0.9", "10.0.0.5"


def _frames(payloads: list[bytes], port: int, client_port: int = 40000) -> list[bytes]:
    s = TcpSession(CLIENT, client_port, SERVER, port)
    frames = s.handshake()
    for payload in payloads:
        frames += s.send(payload)
    return frames + s.close()


def _engine(sensor: Sensor) -> PassiveEngine:
    """The passive engine with only ``sensor`` (wired as ``sensor_support.sense`` does)."""
    with patch.object(engine, "SENSORS", (sensor,)):
        return PassiveEngine(ref="test")


def _run(sensor: Sensor, frames: list[bytes]) -> tuple[list[ValueWritten], dict[str, int]]:
    result = _engine(sensor).run(numbered(frames))
    values = [o for o in result.observations if isinstance(o, ValueWritten)]
    return values, result.stats.values_skipped


def _by_address(values: list[ValueWritten]) -> dict[str, tuple[int, object, object, object]]:
    return {v.address: (v.count, v.minimum, v.maximum, v.last_value) for v in values}


def _adu(pdu: mb.Pdu, unit: int = 1, tid: int = 1) -> bytes:
    return modbus.encode_adu(mb.Adu(tid, unit, pdu))


def _raw_adu(pdu: bytes, unit: int = 1, tid: int = 1) -> bytes:
    return struct.pack(">HHHB", tid, 0, len(pdu) + 1, unit) + pdu


# --- Modbus ----------------------------------------------------------------------------


def test_modbus_every_write_function_records_its_values() -> None:
    requests = [
        _adu(mb.WriteSingle(5, 7, 0xFF00)),
        _adu(mb.WriteSingle(5, 7, 0x0000)),
        _adu(mb.WriteSingle(6, 100, 1500), unit=2),
        _adu(mb.WriteMultipleCoilsRequest(20, 3, bytes([0b101]))),
        _adu(mb.WriteMultipleRegistersRequest(200, (1, 65535))),
        _adu(mb.MaskWriteRegister(300, 0x0000, 0x1234)),
        _adu(mb.ReadWriteMultipleRequest(0, 2, 400, (42,))),
        _adu(mb.WriteSingle(6, 100, 1200), unit=2),
    ]
    values, skipped = _run(ModbusSensor(), _frames(requests, 502))
    assert _by_address(values) == {
        "u1:co:7": (2, 0, 1, 0),
        "u2:hr:100": (2, 1200, 1500, 1200),
        "u1:co:20": (1, 1, 1, 1),
        "u1:co:21": (1, 0, 0, 0),
        "u1:co:22": (1, 1, 1, 1),
        "u1:hr:200": (1, 1, 1, 1),
        "u1:hr:201": (1, 65535, 65535, 65535),
        "u1:hr:300": (1, 0x1234, 0x1234, 0x1234),
        "u1:hr:400": (1, 42, 42, 42),
    }
    assert skipped == {}
    assert {v.address: v.bits for v in values if v.bits != 16} == {
        "u1:co:7": 1, "u1:co:20": 1, "u1:co:21": 1, "u1:co:22": 1,
    }  # fmt: skip
    first = values[0]
    assert (first.client_ip, first.server_ip, first.protocol, first.port) == (
        CLIENT,
        SERVER,
        "modbus",
        502,
    )
    assert first.evidence.packet == 4  # after the handshake
    assert first.evidence.message == "modbus write_single_coil request"
    register = next(v for v in values if v.address == "u2:hr:100")
    assert register.evidence.message == "modbus write_single_register request"
    assert register.last_seen > register.first_seen


def test_modbus_mask_write_with_an_and_mask_keeps_part_of_the_register_unrecorded() -> None:
    requests = [_adu(mb.MaskWriteRegister(4, 0x00F2, 0x0025))]
    values, skipped = _run(ModbusSensor(), _frames(requests, 502))
    assert values == []
    assert skipped == {"modbus/mask_write_partial": 1}


def test_modbus_coil_value_neither_on_nor_off_is_counted_not_recorded() -> None:
    values, skipped = _run(ModbusSensor(), _frames([_adu(mb.WriteSingle(5, 1, 0x1234))], 502))
    assert values == []
    assert skipped == {"modbus/bad_coil_value": 1}


def test_modbus_write_whose_quantity_disagrees_with_a_known_shape_is_counted() -> None:
    good = _adu(mb.WriteMultipleRegistersRequest(10, (1, 2)))
    # Same length (a shape validated once), but 3 registers announced in 4 bytes.
    bad = _raw_adu(bytes([16, 0, 10, 0, 3, 4, 0, 9, 0, 9]))
    assert len(bad) == len(good)
    values, skipped = _run(ModbusSensor(), _frames([good, bad], 502))
    assert _by_address(values) == {"u1:hr:10": (1, 1, 1, 1), "u1:hr:11": (1, 2, 2, 2)}
    assert skipped == {"modbus/inconsistent_write": 1}


def test_modbus_reads_and_responses_record_no_values() -> None:
    read = _adu(mb.ReadRequest(3, 0, 10))
    echo = modbus.encode_adu(mb.Adu(1, 1, mb.WriteSingle(6, 1, 5)))
    s = TcpSession(CLIENT, 40000, SERVER, 502)
    frames = s.handshake() + s.send(read) + s.send(echo, from_client=False) + s.close()
    values, skipped = _run(ModbusSensor(), frames)
    assert values == [] and skipped == {}


def test_modbus_writes_of_two_connections_are_one_observation() -> None:
    one = _frames([_adu(mb.WriteSingle(6, 1, 10))], 502, 40000)
    two = _frames([_adu(mb.WriteSingle(6, 1, 30)), _adu(mb.WriteSingle(6, 1, 20))], 502, 40001)
    values, _ = _run(ModbusSensor(), one + two)
    assert _by_address(values) == {"u1:hr:1": (3, 10, 30, 20)}


def test_modbus_flow_keeps_at_most_its_cap_of_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(modbus_sensor, "MAX_WRITE_ADDRESSES", 3)
    request = _adu(mb.WriteMultipleRegistersRequest(0, (1, 2, 3, 4, 5)))
    values, skipped = _run(ModbusSensor(), _frames([request, request], 502))
    assert sorted(_by_address(values)) == ["u1:hr:0", "u1:hr:1", "u1:hr:2"]
    assert all(v.count == 2 for v in values)
    assert skipped == {"modbus/too_many_addresses": 4}


def test_modbus_rtu_over_tcp_writes_are_values_of_modbus_rtu() -> None:
    frame = encode_rtu(RtuFrame(3, mb.WriteMultipleRegistersRequest(8, (77, 78))))
    values, _ = _run(ModbusSensor(), _frames([frame], 502))
    assert _by_address(values) == {"u3:hr:8": (1, 77, 77, 77), "u3:hr:9": (1, 78, 78, 78)}
    assert {v.protocol for v in values} == {"modbus-rtu"}
    assert values[0].evidence.message == "modbus-rtu write_multiple_registers request"


def test_live_checkpoints_add_up_to_the_whole() -> None:
    requests = [_adu(mb.WriteSingle(6, 5, v)) for v in (10, 50, 30, 20, 40)]
    frames = numbered(_frames(requests, 502))
    (whole,) = [o for o in _engine(ModbusSensor()).run(frames).observations
                if isinstance(o, ValueWritten)]  # fmt: skip
    engine = _engine(ModbusSensor())
    pieces: list[Observation] = []
    for frame in frames:
        engine.feed([frame])
        pieces += engine.checkpoint()
    pieces += engine.finish().observations
    parts = [o for o in pieces if isinstance(o, ValueWritten)]
    assert len(parts) == 5  # one a checkpoint that saw a write
    assert sum(p.count for p in parts) == whole.count == 5
    assert min(p.minimum for p in parts) == whole.minimum == 10
    assert max(p.maximum for p in parts) == whole.maximum == 50
    assert max(parts, key=lambda p: p.last_seen).last_value == whole.last_value == 40
    assert parts[0].evidence == whole.evidence


def test_the_inventory_ignores_values_written() -> None:
    frames = numbered(_frames([_adu(mb.WriteSingle(6, 5, 10))], 502))
    observations = _engine(ModbusSensor()).run(frames).observations
    without = [o for o in observations if not isinstance(o, ValueWritten)]
    assert len(without) < len(observations)
    assert build_inventory(observations) == build_inventory(without)


# --- S7comm ----------------------------------------------------------------------------


def _s7_write(items: list[tuple[Item, DataItem]], ref: int = 1) -> bytes:
    body = WriteVarRequest(tuple(i for i, _ in items), tuple(d for _, d in items))
    pdu = S7Pdu(1, 0, ref, None, None, body)
    return encode_tpkt(Tpkt(3, CotpData(True, 0, encode_s7(pdu))))


def _any(area: int, db: int, byte: int, bit: int = 0, size: int = 2, count: int = 1) -> S7AnyItem:
    return S7AnyItem(size, count, db, area, (byte << 3) | bit)


DB, M, Q, T = 0x84, 0x83, 0x82, 0x1D


def test_s7_write_var_items_become_values_at_siemens_addresses() -> None:
    request = _s7_write(
        [
            (_any(DB, 1, 4, size=4), DataItem(0, 0x04, 16, b"\x01\xf4")),  # word 500
            (_any(DB, 1, 8, bit=3, size=1), DataItem(0, 0x03, 1, b"\x01")),  # bit
            (_any(M, 0, 10, size=2), DataItem(0, 0x04, 8, b"\xff")),  # byte 255
            (_any(M, 0, 20, size=8), DataItem(0, 0x07, 4, struct.pack(">f", -2.5))),  # REAL
            (_any(Q, 0, 2, size=5), DataItem(0, 0x05, 16, b"\xff\xfe")),  # INTEGER -2
            (S7AnyItem(29, 1, 0, T, 5), DataItem(0, 0x09, 2, b"\x12\x34")),  # timer T5
            (_any(DB, 2, 0, size=6), DataItem(0, 0x04, 32, b"\x00\x01\x00\x02")),  # dword
        ]
    )
    again = _s7_write([(_any(DB, 1, 4, size=4), DataItem(0, 0x04, 16, b"\x00\x64"))], ref=2)
    values, skipped = _run(S7Sensor(), _frames([request, again], 102))
    assert _by_address(values) == {
        "DB1.DBW4": (2, 100, 500, 100),
        "DB1.DBX8.3": (1, 1, 1, 1),
        "MB10": (1, 255, 255, 255),
        "MD20": (1, -2.5, -2.5, -2.5),
        "QW2": (1, -2, -2, -2),
        "T5": (1, 0x1234, 0x1234, 0x1234),
        "DB2.DBD0": (1, 0x10002, 0x10002, 0x10002),
    }
    assert {v.address: v.bits for v in values} == {
        "DB1.DBW4": 16, "DB1.DBX8.3": 1, "MB10": 8, "MD20": 32, "QW2": 16, "T5": 16,
        "DB2.DBD0": 32,
    }  # fmt: skip
    assert skipped == {}
    assert {v.protocol for v in values} == {"s7comm"}
    assert values[0].evidence.message == "s7comm write_var request"
    assert values[0].port == 102


def test_s7_long_data_and_other_item_syntaxes_are_counted_not_recorded() -> None:
    request = _s7_write(
        [
            (_any(DB, 5, 0, count=8), DataItem(0, 0x04, 64, bytes(8))),
            (_any(M, 0, 0, count=3), DataItem(0, 0x04, 24, bytes(3))),
            (_any(DB, 5, 0, size=1, count=3), DataItem(0, 0x03, 3, b"\x01")),
            (DbReadItem((DbReadArea(2, 7, 0),)), DataItem(0, 0x04, 16, b"\x00\x01")),
            (_any(M, 0, 30, size=8), DataItem(0, 0x07, 4, struct.pack(">f", float("nan")))),
            (_any(DB, 5, 1, size=1), DataItem(0, 0x03, 1, b"\x02")),
        ]
    )
    values, skipped = _run(S7Sensor(), _frames([request], 102))
    assert values == []
    assert skipped == {
        "s7comm/long_data": 3,
        "s7comm/not_s7any": 1,
        "s7comm/not_finite": 1,
        "s7comm/bad_bit_value": 1,
    }


def test_s7_flow_keeps_at_most_its_cap_of_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s7_sensor, "MAX_WRITE_ADDRESSES", 1)
    request = _s7_write(
        [
            (_any(M, 0, 0, size=2), DataItem(0, 0x04, 8, b"\x01")),
            (_any(M, 0, 1, size=2), DataItem(0, 0x04, 8, b"\x02")),
        ]
    )
    values, skipped = _run(S7Sensor(), _frames([request], 102))
    assert _by_address(values) == {"MB0": (1, 1, 1, 1)}
    assert skipped == {"s7comm/too_many_addresses": 1}
