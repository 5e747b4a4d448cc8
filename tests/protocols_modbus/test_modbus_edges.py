"""Edge cases, each named after its edge.

PDU bytes come from the worked examples of the Modbus Application Protocol
Specification V1.1b3 (section given in each test) or from the shared
captures (file and frame given); ``_adu`` wraps a PDU in an MBAP header whose
length is right unless a test says otherwise.
"""

from __future__ import annotations

import pytest

from otm.protocols.common import Anomaly
from otm.protocols.modbus import (
    OBJECT_NAMES,
    ModbusAnomaly,
    check_values,
    decode_request,
    decode_request_pdu,
    decode_response,
    decode_response_pdu,
    encode_adu,
    encode_pdu,
)
from otm.protocols.modbus import messages as m


def _adu(pdu_hex: str, tid: int = 1, unit: int = 1, length: int | None = None) -> bytes:
    pdu = bytes.fromhex(pdu_hex)
    declared = len(pdu) + 1 if length is None else length
    return tid.to_bytes(2, "big") + b"\x00\x00" + declared.to_bytes(2, "big") + bytes((unit,)) + pdu


def _request(pdu_hex: str) -> m.RequestPdu:
    result = decode_request(_adu(pdu_hex))
    assert isinstance(result, m.Adu), result
    return result.pdu  # type: ignore[return-value]


def _response(pdu_hex: str) -> m.ResponsePdu:
    result = decode_response(_adu(pdu_hex))
    assert isinstance(result, m.Adu), result
    return result.pdu  # type: ignore[return-value]


def _kind(result: object) -> ModbusAnomaly:
    assert isinstance(result, Anomaly), result
    assert isinstance(result.kind, ModbusAnomaly)
    return result.kind


# --- worked examples of section 6 ---


def test_read_coils_spec_example() -> None:
    # 6.1: read coils 20-38, status CD 6B 05.
    assert _request("0100130013") == m.ReadRequest(1, 0x13, 0x13)
    assert _response("0103cd6b05") == m.ReadBitsResponse(1, b"\xcd\x6b\x05")


def test_read_holding_registers_spec_example() -> None:
    # 6.3: registers 108-110 hold 0x022B, 0x0000, 0x0064.
    assert _request("03006b0003") == m.ReadRequest(3, 0x6B, 3)
    assert _response("0306022b00000064") == m.ReadRegistersResponse(3, (0x022B, 0, 0x64))


def test_write_multiple_coils_spec_example() -> None:
    # 6.11: ten coils from 20, byte count 2.
    assert _request("0f0013000a02cd01") == m.WriteMultipleCoilsRequest(0x13, 10, b"\xcd\x01")
    assert _response("0f0013000a") == m.WriteMultipleResponse(15, 0x13, 10)


def test_write_multiple_registers_spec_example() -> None:
    # 6.12: two registers from 2 set to 0x000A, 0x0102.
    assert _request("100001000204000a0102") == m.WriteMultipleRegistersRequest(1, (0x0A, 0x0102))
    assert _response("1000010002") == m.WriteMultipleResponse(16, 1, 2)


def test_read_file_record_spec_example() -> None:
    # 6.14: two sub-requests (file 4 record 1, file 3 record 9), two sub-responses.
    request = _request("14 0e 06 0004 0001 0002 06 0003 0009 0002")
    assert request == m.ReadFileRecordRequest(
        (m.FileSubRequest(6, 4, 1, 2), m.FileSubRequest(6, 3, 9, 2))
    )
    response = _response("140c05060dfe0020050633cd0040")
    assert response == m.ReadFileRecordResponse(
        (m.FileSubResponse(6, (0x0DFE, 0x20)), m.FileSubResponse(6, (0x33CD, 0x40)))
    )


def test_write_file_record_spec_example() -> None:
    # 6.15: file 4, record 7, three registers; the response echoes the request.
    pdu = "150d0600040007000306af04be100d"
    expected = m.WriteFileRecord((m.FileRecord(6, 4, 7, (0x06AF, 0x04BE, 0x100D)),))
    assert _request(pdu) == expected
    assert _response(pdu) == expected


def test_mask_write_register_spec_example() -> None:
    # 6.16: register 4, AND 0x00F2, OR 0x0025.
    assert _request("16000400f20025") == m.MaskWriteRegister(4, 0xF2, 0x25)


def test_read_write_multiple_registers_spec_example() -> None:
    # 6.17: read 6 from 3, write 3 from 14.
    request = _request("17 0003 0006 000e 0003 06 00ff 00ff 00ff")
    assert request == m.ReadWriteMultipleRequest(3, 6, 0x0E, (0xFF, 0xFF, 0xFF))
    response = _response("170c00fe0acd00010003000d00ff")
    assert response == m.ReadRegistersResponse(23, (0xFE, 0x0ACD, 1, 3, 0x0D, 0xFF))


def test_read_fifo_queue_spec_example() -> None:
    # 6.18: FIFO at 1246 holds two values.
    assert _request("1804de") == m.ReadFifoQueueRequest(0x04DE)
    assert _response("18 0006 0002 01b8 1284") == m.ReadFifoQueueResponse((0x01B8, 0x1284))


def test_serial_line_diagnostics_spec_examples() -> None:
    # 6.7, 6.8 (return query data echoes A537), 6.9, 6.10.
    assert _request("07") == m.NoDataRequest(7)
    assert _response("076d") == m.ReadExceptionStatusResponse(0x6D)
    assert _request("080000a537") == m.Diagnostics(0, b"\xa5\x37")
    assert _response("0bffff0108") == m.CommEventCounterResponse(0xFFFF, 0x108)
    assert _response("0c 08 0000 0108 0121 20 00") == m.CommEventLogResponse(
        0, 0x108, 0x121, b"\x20\x00"
    )


# --- exceptions ---


def test_exception_response_illegal_data_address() -> None:
    # modbus_example.pcap frame 100: read holding registers at 600 refused.
    result = decode_response(bytes.fromhex("000100000003008302"))
    assert isinstance(result, m.Adu)
    assert result.unit_id == 0
    assert result.pdu == m.ExceptionResponse(3, 2)
    assert result.pdu.exception_name == "illegal_data_address"


def test_exception_response_illegal_function() -> None:
    # IllegalFunction.pcap frame 7.
    result = decode_response(bytes.fromhex("0e3100000003018301"))
    assert isinstance(result, m.Adu)
    assert result.transaction_id == 0x0E31
    assert isinstance(result.pdu, m.ExceptionResponse)
    assert result.pdu.exception_name == "illegal_function"


def test_exception_response_with_undefined_code() -> None:
    assert _kind(decode_response(_adu("8309"))) is ModbusAnomaly.INVALID_EXCEPTION_CODE
    assert _kind(decode_response(_adu("8300"))) is ModbusAnomaly.INVALID_EXCEPTION_CODE


def test_exception_response_to_function_zero() -> None:
    assert _kind(decode_response(_adu("8001"))) is ModbusAnomaly.UNKNOWN_FUNCTION


def test_exception_response_with_extra_byte() -> None:
    assert _kind(decode_response(_adu("830200"))) is ModbusAnomaly.INVALID_LENGTH
    assert _kind(decode_response_pdu(bytes.fromhex("830200"))) is ModbusAnomaly.TRAILING_BYTES


def test_exception_response_without_code() -> None:
    assert _kind(decode_response_pdu(b"\x83")) is ModbusAnomaly.TRUNCATED


def test_exception_flag_in_a_request() -> None:
    assert _kind(decode_request(_adu("8302"))) is ModbusAnomaly.UNKNOWN_FUNCTION


def test_function_code_zero() -> None:
    assert _kind(decode_request(_adu("000000"))) is ModbusAnomaly.UNKNOWN_FUNCTION
    assert _kind(decode_response(_adu("000000"))) is ModbusAnomaly.UNKNOWN_FUNCTION


@pytest.mark.parametrize("code", [65, 72, 100, 110, 9, 127])
def test_user_defined_and_unassigned_codes_decode_raw(code: int) -> None:
    pdu = f"{code:02x}deadbeef"
    assert _request(pdu) == m.RawPdu(code, bytes.fromhex("deadbeef"))
    assert _response(pdu) == m.RawPdu(code, bytes.fromhex("deadbeef"))


# --- MBAP header ---


def test_mbap_length_shorter_than_pdu() -> None:
    # The header says 4 (unit id + 3 PDU bytes) for a 5-byte read request.
    adu = _adu("0300000001", length=4)
    assert _kind(decode_request(adu[:10])) is ModbusAnomaly.INVALID_LENGTH


def test_mbap_length_longer_than_pdu_layout() -> None:
    adu = _adu("030000000100")
    assert _kind(decode_request(adu)) is ModbusAnomaly.INVALID_LENGTH


def test_mbap_length_longer_than_buffer() -> None:
    adu = _adu("0300000001", length=8)
    assert _kind(decode_request(adu)) is ModbusAnomaly.TRUNCATED


def test_bytes_after_mbap_length() -> None:
    adu = _adu("0300000001") + b"\x00"
    assert _kind(decode_request(adu)) is ModbusAnomaly.TRAILING_BYTES


def test_mbap_protocol_id_not_zero() -> None:
    adu = bytearray(_adu("0300000001"))
    adu[3] = 1
    assert _kind(decode_request(bytes(adu))) is ModbusAnomaly.BAD_PROTOCOL_ID
    assert _kind(decode_response(bytes(adu[:5]))) is ModbusAnomaly.BAD_PROTOCOL_ID


@pytest.mark.parametrize("length", [0, 1, 256, 0xFFFF])
def test_mbap_length_out_of_range(length: int) -> None:
    adu = _adu("0300000001", length=length)
    assert _kind(decode_request(adu)) is ModbusAnomaly.INVALID_LENGTH


def test_adu_shorter_than_header_and_function_code() -> None:
    assert _kind(decode_request(b"")) is ModbusAnomaly.TRUNCATED
    assert _kind(decode_request(bytes.fromhex("00010000000201"))) is ModbusAnomaly.TRUNCATED


def test_mbap_length_255_from_umas_is_accepted() -> None:
    # modicon_test.pcap frame 19: UMAS REPEAT with MBAP length 255 (one over the spec).
    data = bytes(range(0xFA))
    adu = bytes.fromhex("0007000000ff005a000a00") + data
    assert len(adu) == 261
    result = decode_request(adu)
    assert isinstance(result, m.Adu)
    assert result.pdu == m.UmasRequest(0, 0x0A, b"\x00" + data)


# --- byte counts ---


def test_write_multiple_coils_byte_count_disagrees_with_quantity() -> None:
    # Ten coils need two bytes; the count says (and carries) three.
    result = decode_request(_adu("0f0013000a03cd0100"))
    assert _kind(result) is ModbusAnomaly.BYTE_COUNT_MISMATCH


def test_write_multiple_registers_byte_count_disagrees_with_quantity() -> None:
    result = decode_request(_adu("100001000302000a"))
    assert _kind(result) is ModbusAnomaly.BYTE_COUNT_MISMATCH


def test_read_write_registers_byte_count_disagrees_with_quantity() -> None:
    result = decode_request(_adu("17 0003 0006 000e 0002 06 00ff 00ff 00ff"))
    assert _kind(result) is ModbusAnomaly.BYTE_COUNT_MISMATCH


def test_register_response_with_odd_byte_count() -> None:
    assert _kind(decode_response(_adu("0303000102"))) is ModbusAnomaly.BYTE_COUNT_MISMATCH


def test_register_response_byte_count_beyond_pdu() -> None:
    assert _kind(decode_response(_adu("03060001"))) is ModbusAnomaly.INVALID_LENGTH
    assert _kind(decode_response_pdu(bytes.fromhex("03060001"))) is ModbusAnomaly.TRUNCATED


def test_read_file_record_byte_count_not_seven_a_sub_request() -> None:
    result = decode_request(_adu("140806000400010002ff"))
    assert _kind(result) is ModbusAnomaly.BYTE_COUNT_MISMATCH


def test_write_file_record_record_cut_by_byte_count() -> None:
    # Record length says 3 registers, the byte count leaves room for 2.
    result = decode_request(_adu("150b0600040007000306af04be"))
    assert _kind(result) is ModbusAnomaly.BYTE_COUNT_MISMATCH


def test_read_file_record_response_sub_length_zero() -> None:
    assert _kind(decode_response(_adu("140100"))) is ModbusAnomaly.BYTE_COUNT_MISMATCH


def test_read_file_record_with_zero_byte_count() -> None:
    # modbus_example.pcap frames 64/66: an empty read file record, answered empty.
    assert decode_request(bytes.fromhex("001000000003081400")) == m.Adu(
        16, 8, m.ReadFileRecordRequest(())
    )
    assert decode_response(bytes.fromhex("001000000003081400")) == m.Adu(
        16, 8, m.ReadFileRecordResponse(())
    )


def test_fifo_byte_count_disagrees_with_fifo_count() -> None:
    result = decode_response(_adu("18 0006 0003 0001 0002"))
    assert _kind(result) is ModbusAnomaly.BYTE_COUNT_MISMATCH


def test_comm_event_log_byte_count_below_six() -> None:
    assert _kind(decode_response(_adu("0c020000"))) is ModbusAnomaly.BYTE_COUNT_MISMATCH


# --- device identification ---


ZEEK_DEVICE_ID = (
    "00170000003d012b0e018300000300105a65656b204d6f646275732054657374011850726f746f636f6c"
    "2050617273696e672069732066756e210207312e322e332e36"
)
"""modbus_example.pcap frame 94: a Read Device Identification response."""


def test_read_device_identification_response_from_capture() -> None:
    result = decode_response(bytes.fromhex(ZEEK_DEVICE_ID))
    assert isinstance(result, m.Adu)
    pdu = result.pdu
    assert isinstance(pdu, m.ReadDeviceIdentificationResponse)
    assert (pdu.read_device_id_code, pdu.conformity_level) == (1, 0x83)
    assert (pdu.more_follows, pdu.next_object_id) == (0, 0)
    assert pdu.named_texts() == {
        "vendor_name": "Zeek Modbus Test",
        "product_code": "Protocol Parsing is fun!",
        "major_minor_revision": "1.2.3.6",
    }


def test_object_names_table() -> None:
    assert dict(OBJECT_NAMES) == {
        0x00: "vendor_name",
        0x01: "product_code",
        0x02: "major_minor_revision",
        0x03: "vendor_url",
        0x04: "product_name",
        0x05: "model_name",
        0x06: "user_application_name",
    }


def test_read_device_identification_reserved_and_private_objects() -> None:
    # Extended request answered with one reserved (0x07) and one private (0x80) object.
    pdu = _response("2b0e0383ff8102" + "0702abcd" + "8003414243")
    assert isinstance(pdu, m.ReadDeviceIdentificationResponse)
    assert (pdu.more_follows, pdu.next_object_id) == (0xFF, 0x81)
    assert [o.name for o in pdu.objects] == ["reserved_0x07", "private_0x80"]
    assert pdu.objects[1].text == "ABC"


def test_read_device_identification_too_many_objects() -> None:
    result = decode_response(_adu("2b0e018300007c"))
    assert _kind(result) is ModbusAnomaly.TOO_MANY_OBJECTS


def test_read_device_identification_object_cut_short() -> None:
    assert _kind(decode_response(_adu("2b0e01830000010005414243"))) is (
        ModbusAnomaly.INVALID_LENGTH
    )
    assert _kind(decode_response_pdu(bytes.fromhex("2b0e01830000020003414243"))) is (
        ModbusAnomaly.TRUNCATED
    )


def test_read_device_identification_fewer_objects_than_bytes() -> None:
    result = decode_response_pdu(bytes.fromhex("2b0e0183000001000341424301014a"))
    assert _kind(result) is ModbusAnomaly.TRAILING_BYTES


def test_read_device_identification_request_from_capture() -> None:
    # modbus_example.pcap frame 92: basic identification from object 0.
    result = decode_request(bytes.fromhex("001700000005012b0e0100"))
    assert result == m.Adu(23, 1, m.ReadDeviceIdentificationRequest(1, 0))


def test_canopen_general_reference_kept_raw() -> None:
    assert _request("2b0d0102") == m.EncapsulatedInterfaceTransport(13, b"\x01\x02")
    assert _response("2b0d") == m.EncapsulatedInterfaceTransport(13, b"")


def test_encapsulated_interface_without_mei_type() -> None:
    assert _kind(decode_request(_adu("2b"))) is ModbusAnomaly.INVALID_LENGTH


# --- report server id ---


def test_report_server_id_from_capture() -> None:
    # modbus_example.pcap frame 62.
    result = decode_response(
        bytes.fromhex(
            "000f000000350211325a65656b204d6f6462757320546573742d50726f746f636f6c205061"
            "7273696e672069732066756e212d312e322e332e36ff"
        )
    )
    assert isinstance(result, m.Adu)
    pdu = result.pdu
    assert isinstance(pdu, m.ReportServerIdResponse)
    assert pdu.server_id == b"Zeek Modbus Test-Protocol Parsing is fun!-1.2.3.6"
    assert pdu.run_indicator == 0xFF
    assert pdu.additional_data == b""
    assert pdu.text == "Zeek Modbus Test-Protocol Parsing is fun!-1.2.3.6"


def test_report_server_id_one_byte_id_then_run_indicator_and_text() -> None:
    pdu = _response("11090aff" + b"M340 X".hex() + "00")
    assert isinstance(pdu, m.ReportServerIdResponse)
    assert (pdu.server_id, pdu.run_indicator, pdu.additional_data) == (
        b"\x0a",
        0xFF,
        b"M340 X\x00",
    )
    assert pdu.text == "M340 X"


def test_report_server_id_without_run_indicator() -> None:
    pdu = _response("11 02 41 42")
    assert isinstance(pdu, m.ReportServerIdResponse)
    assert (pdu.server_id, pdu.run_indicator, pdu.text) == (b"AB", None, "")


# --- UMAS ---


def test_umas_read_id_from_capture() -> None:
    # modicon_test.pcap frames 4 and 50.
    assert decode_request(bytes.fromhex("000000000004005a0002")) == m.Adu(
        0, 0, m.UmasRequest(0, 0x02, b"")
    )
    assert decode_response(bytes.fromhex("001600000005005a00fe01")) == m.Adu(
        22, 0, m.UmasResponse(0, 0xFE, b"\x01")
    )


def test_umas_body_too_short_is_raw() -> None:
    assert _request("5a00") == m.RawPdu(90, b"\x00")
    assert _response("5a") == m.RawPdu(90, b"")


# --- PDU-level limits ---


def test_empty_pdu() -> None:
    assert _kind(decode_request_pdu(b"")) is ModbusAnomaly.TRUNCATED
    assert _kind(decode_response_pdu(b"")) is ModbusAnomaly.TRUNCATED


def test_pdu_longer_than_255_byte_mbap_allows() -> None:
    assert _kind(decode_request_pdu(b"\x41" * 255)) is ModbusAnomaly.INVALID_LENGTH


def test_request_without_data_but_with_bytes() -> None:
    assert _kind(decode_request_pdu(bytes.fromhex("1100"))) is ModbusAnomaly.TRAILING_BYTES


# --- value checks ---


@pytest.mark.parametrize(
    ("pdu", "kind"),
    [
        (m.ReadRequest(1, 0, 0), ModbusAnomaly.INVALID_QUANTITY),
        (m.ReadRequest(1, 0, 2001), ModbusAnomaly.INVALID_QUANTITY),
        (m.ReadRequest(3, 0, 126), ModbusAnomaly.INVALID_QUANTITY),
        (m.WriteSingle(5, 0, 0x1234), ModbusAnomaly.INVALID_VALUE),
        (m.WriteMultipleCoilsRequest(0, 0, b""), ModbusAnomaly.INVALID_QUANTITY),
        (m.WriteMultipleRegistersRequest(0, (0,) * 124), ModbusAnomaly.INVALID_QUANTITY),
        (m.ReadWriteMultipleRequest(0, 126, 0, (1,)), ModbusAnomaly.INVALID_QUANTITY),
        (m.ReadWriteMultipleRequest(0, 1, 0, (1,) * 122), ModbusAnomaly.INVALID_QUANTITY),
        (m.ReadFileRecordRequest((m.FileSubRequest(5, 1, 1, 1),)), ModbusAnomaly.INVALID_VALUE),
        (m.ReadFileRecordRequest(()), ModbusAnomaly.INVALID_QUANTITY),
        (m.ReadFifoQueueResponse((0,) * 32), ModbusAnomaly.INVALID_QUANTITY),
        (m.ReadDeviceIdentificationRequest(0, 0), ModbusAnomaly.INVALID_VALUE),
        (m.ReadDeviceIdentificationResponse(1, 0x81, 0x01, 0, ()), ModbusAnomaly.INVALID_VALUE),
    ],
)
def test_check_values_flags_out_of_spec_fields(pdu: m.Pdu, kind: ModbusAnomaly) -> None:
    assert _kind(check_values(pdu)) is kind


@pytest.mark.parametrize(
    "pdu",
    [
        m.ReadRequest(1, 0, 2000),
        m.ReadRequest(4, 0, 125),
        m.WriteSingle(5, 0, 0xFF00),
        m.WriteSingle(6, 0, 0x1234),
        m.WriteMultipleCoilsRequest(0x13, 10, b"\xcd\x01"),
        m.ReadFileRecordRequest((m.FileSubRequest(6, 4, 1, 2),)),
        m.ReadDeviceIdentificationResponse(1, 0x81, 0xFF, 3, ()),
    ],
)
def test_check_values_accepts_conforming_messages(pdu: m.Pdu) -> None:
    assert check_values(pdu) is None


# --- encoder refusals ---


@pytest.mark.parametrize(
    "pdu",
    [
        m.ReadRequest(5, 0, 1),
        m.ReadRequest(3, 0x10000, 1),
        m.WriteSingle(3, 0, 0),
        m.WriteMultipleCoilsRequest(0, 10, b"\x00"),
        m.ReadBitsResponse(1, b"\x00" * 253),
        m.RawPdu(3, b""),
        m.RawPdu(0x83, b""),
        m.RawPdu(90, b"\x00\x02"),
        m.ExceptionResponse(3, 9),
        m.ExceptionResponse(0, 1),
        m.EncapsulatedInterfaceTransport(14, b"\x01\x00"),
        m.NoDataRequest(3),
        m.Diagnostics(-1, b""),
    ],
)
def test_encoder_refuses_messages_no_decoder_returns(pdu: m.Pdu) -> None:
    with pytest.raises(ValueError, match=r"."):
        encode_pdu(pdu)


def test_encoder_refuses_out_of_range_header() -> None:
    with pytest.raises(ValueError, match="MBAP"):
        encode_adu(m.Adu(0x10000, 1, m.NoDataRequest(7)))
    with pytest.raises(ValueError, match="MBAP"):
        encode_adu(m.Adu(1, 256, m.NoDataRequest(7)))


def test_encoder_writes_spec_example_bytes() -> None:
    # 6.17 request, built from its fields.
    pdu = m.ReadWriteMultipleRequest(3, 6, 0x0E, (0xFF, 0xFF, 0xFF))
    assert encode_pdu(pdu).hex() == "1700030006000e00030600ff00ff00ff"
    # MBAP length: unit id + 16 PDU bytes = 0x11.
    assert encode_adu(m.Adu(0x1234, 0x42, pdu))[:7].hex() == "12340000001142"
