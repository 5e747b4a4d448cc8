"""Edge cases of the FINS codec, each named after its edge."""

from __future__ import annotations

import re

import pytest

from otm.protocols.common import (
    CATEGORIES,
    CONTROL,
    DIAGNOSTIC,
    IDENTIFY,
    INVALID,
    NEED_DATA,
    OTHER,
    PROGRAM,
    READ,
    SESSION,
    WRITE,
    Anomaly,
)
from otm.protocols.fins import (
    COMMAND_NAMES,
    ControllerData,
    ControllerStatus,
    FinsAnomaly,
    FinsCommand,
    FinsHeader,
    FinsResponse,
    FinsTcpMessage,
    MemoryAddress,
    MemoryAreaRead,
    MultipleMemoryAreaRead,
    NodeAddressRequest,
    NodeAddressResponse,
    RunCommand,
    command_category,
    command_name,
    decode_controller_data,
    decode_controller_status,
    decode_frame,
    decode_parameters,
    decode_tcp,
    encode_controller_data,
    encode_frame,
    encode_parameters,
    encode_tcp,
    end_code_name,
    frame_length,
    is_normal,
    main_code_name,
    memory_area_name,
    peek,
    tcp_command_name,
    tcp_error_name,
)
from otm.protocols.fins.constants import MAX_TCP_LENGTH

K = FinsAnomaly

READ_D100 = bytes.fromhex("800002000100000a00110101820064000001")
"""Memory area read of DM 100, one word, node 0.10 to node 0.1, SID 0x11."""

CP1L_DATA = bytes.fromhex(
    "4350314c2d454c323044522d440000002020202030312e3030000000000030312e30360000000000"
    "00000000000000000000000000000000000000010000000000000000000000000000000000010003"
    "000a172a1008000000000000"
)
"""The Controller Data Read response data of omron_test.pcap frame 18 (a CP1L-EL20DR-D)."""

COMMAND = FinsHeader(0x80, 0, 2, 0, 1, 0, 0, 10, 0, 0x11)
RESPONSE = FinsHeader(0xC0, 0, 2, 0, 10, 0, 0, 1, 0, 0x11)


def _kind(result: object) -> object:
    assert isinstance(result, Anomaly), result
    return result.kind


# --- frames -------------------------------------------------------------------------------


def test_memory_area_read_of_dm_100() -> None:
    frame = decode_frame(READ_D100)
    assert isinstance(frame, FinsCommand)
    assert frame.name == "memory_area_read"
    assert frame.category == READ
    assert frame.header.source_node == "0.10"
    assert frame.header.destination_node == "0.1"
    assert frame.header.response_required and frame.header.gateway
    params = decode_parameters(frame)
    assert params == MemoryAreaRead(MemoryAddress(0x82, 100, 0), 1)
    assert isinstance(params, MemoryAreaRead)
    assert params.start.area_name == "dm_word"
    assert peek(READ_D100) == (0x80, 0x0101, -1)


def test_truncation_at_every_byte() -> None:
    response = encode_frame(FinsResponse(RESPONSE, 0x0501, 0, CP1L_DATA))
    for data in (READ_D100, response):
        for cut in range(len(data)):
            result = decode_frame(data[:cut])
            if cut >= 14 or (cut >= 12 and not data[0] & 0x40):
                assert not isinstance(result, Anomaly)
            else:
                assert _kind(result) == K.TRUNCATED


def test_response_without_end_code_is_truncated() -> None:
    assert _kind(decode_frame(bytes.fromhex("c00002000a00000100110101"))) == K.TRUNCATED
    assert peek(bytes.fromhex("c00002000a00000100110101")) == (0xC0, 0x0101, -1)


@pytest.mark.parametrize("icf", [0x82, 0x84, 0x88, 0x90, 0xA0, 0xBE])
def test_reserved_icf_bits_make_a_bad_header(icf: int) -> None:
    assert _kind(decode_frame(bytes((icf,)) + READ_D100[1:])) == K.BAD_HEADER
    assert peek(bytes((icf,)) + READ_D100[1:]) is None


def test_nonzero_rsv_makes_a_bad_header() -> None:
    assert _kind(decode_frame(READ_D100[:1] + b"\x01" + READ_D100[2:])) == K.BAD_HEADER


def test_unknown_command_codes_decode_raw_with_a_made_up_name() -> None:
    frame = decode_frame(READ_D100[:10] + b"\x28\x01\x00\x01")
    assert isinstance(frame, FinsCommand)
    assert frame.name == "command_0x2801"
    assert frame.category == OTHER
    assert frame.data == b"\x00\x01"


def test_encoder_refuses_headers_no_decoder_returns() -> None:
    with pytest.raises(ValueError):
        encode_frame(FinsCommand(FinsHeader(0xC0, 0, 2, 0, 0, 0, 0, 0, 0, 0), 0x0101, b""))
    with pytest.raises(ValueError):
        encode_frame(FinsResponse(FinsHeader(0x80, 0, 2, 0, 0, 0, 0, 0, 0, 0), 0x0101, 0, b""))
    with pytest.raises(ValueError):
        encode_frame(FinsCommand(FinsHeader(0x80, 1, 2, 0, 0, 0, 0, 0, 0, 0), 0x0101, b""))
    with pytest.raises(ValueError):
        encode_frame(FinsCommand(FinsHeader(0x80, 0, 256, 0, 0, 0, 0, 0, 0, 0), 0x0101, b""))


# --- names and categories -------------------------------------------------------------------


def test_every_command_name_is_snake_case_with_a_category() -> None:
    assert len(COMMAND_NAMES) >= 55
    for code, name in COMMAND_NAMES.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        assert command_category(code) in CATEGORIES


@pytest.mark.parametrize(
    ("code", "name", "category"),
    [
        (0x0101, "memory_area_read", READ),
        (0x0102, "memory_area_write", WRITE),
        (0x0103, "memory_area_fill", WRITE),
        (0x0104, "multiple_memory_area_read", READ),
        (0x0105, "memory_area_transfer", WRITE),
        (0x0202, "parameter_area_write", WRITE),
        (0x0306, "program_area_read", PROGRAM),
        (0x0307, "program_area_write", PROGRAM),
        (0x0308, "program_area_clear", PROGRAM),
        (0x0401, "run", CONTROL),
        (0x0402, "stop", CONTROL),
        (0x0501, "controller_data_read", IDENTIFY),
        (0x0601, "controller_status_read", DIAGNOSTIC),
        (0x0620, "cycle_time_read", DIAGNOSTIC),
        (0x0701, "clock_read", READ),
        (0x0702, "clock_write", WRITE),
        (0x0C01, "access_right_acquire", SESSION),
        (0x0C02, "access_right_forced_acquire", SESSION),
        (0x0C03, "access_right_release", SESSION),
        (0x2101, "error_clear", CONTROL),
        (0x2102, "error_log_read", DIAGNOSTIC),
        (0x2201, "file_name_read", READ),
        (0x2203, "single_file_write", PROGRAM),
        (0x2204, "memory_card_format", PROGRAM),
        (0x2205, "file_delete", PROGRAM),
        (0x2207, "file_copy", PROGRAM),
        (0x2208, "file_name_change", PROGRAM),
        (0x2301, "forced_set_reset", WRITE),
        (0x2302, "forced_set_reset_cancel", WRITE),
        (0x2601, "name_set", WRITE),
        (0x2603, "name_read", IDENTIFY),
    ],
)
def test_command_names_and_categories(code: int, name: str, category: str) -> None:
    assert (command_name(code), command_category(code)) == (name, category)


@pytest.mark.parametrize(
    ("parameter", "name"),
    [(0x00FF, "message_read"), (0x40FF, "message_clear"), (0x80FF, "fal_fals_read")],
)
def test_message_read_is_refined_by_its_parameter(parameter: int, name: str) -> None:
    frame = decode_frame(READ_D100[:10] + b"\x09\x20" + parameter.to_bytes(2, "big"))
    assert isinstance(frame, FinsCommand)
    assert frame.name == name
    assert frame.category == DIAGNOSTIC
    assert command_name(0x0920, 0xC000) == "message_read"  # undefined bits: the code's name


@pytest.mark.parametrize(
    ("end_code", "name", "main"),
    [
        (0x0000, "normal_completion", "normal_completion"),
        (0x0040, "normal_completion", "normal_completion"),  # non-fatal CPU error flag
        (0x0080, "normal_completion", "normal_completion"),  # fatal CPU error flag
        (0x1103, "address_range_error", "parameter_error"),
        (0x2206, "wrong_mode_run", "not_executable_in_current_mode"),
        (0x3001, "no_access_right", "access_right_error"),
        (0x8205, "response_timeout", "destination_node_error"),  # relay error flag
        (0x110F, "parameter_error_0x0f", "parameter_error"),
        (0x7F01, "end_code_0x7f01", "main_code_0x7f"),
    ],
)
def test_end_code_names(end_code: int, name: str, main: str) -> None:
    assert end_code_name(end_code) == name
    assert main_code_name(end_code) == main


def test_normal_completion_with_cpu_flags_is_normal_but_a_relay_error_is_not() -> None:
    assert is_normal(0x0000) and is_normal(0x0040) and is_normal(0x00C0)
    assert not is_normal(0x8000)
    assert not is_normal(0x0001)


def test_memory_area_and_tcp_names() -> None:
    assert memory_area_name(0xB0) == "cio_word"
    assert memory_area_name(0xA3) == "em_bank_3_word"
    assert memory_area_name(0xEE) == "area_0xee"
    assert tcp_command_name(2) == "frame_send"
    assert tcp_command_name(9) == "tcp_command_0x9"
    assert tcp_error_name(0x21) == "node_already_connected"
    assert tcp_error_name(0x99) == "tcp_error_0x99"


# --- parameters ------------------------------------------------------------------------------


def _command(code: int, data: bytes) -> FinsCommand:
    return FinsCommand(COMMAND, code, data)


@pytest.mark.parametrize(
    ("code", "data", "kind"),
    [
        (0x0101, bytes(5), K.TRUNCATED),
        (0x0101, bytes(7), K.TRAILING_BYTES),
        (0x0102, bytes(5), K.TRUNCATED),
        (0x0103, bytes(7), K.TRUNCATED),
        (0x0103, bytes(9), K.TRAILING_BYTES),
        (0x0104, b"", K.INVALID_LENGTH),
        (0x0104, bytes(6), K.INVALID_LENGTH),
        (0x0105, bytes(9), K.TRUNCATED),
        (0x0401, bytes(1), K.INVALID_LENGTH),
        (0x0401, bytes(4), K.INVALID_LENGTH),
    ],
)
def test_parameters_of_the_wrong_size(code: int, data: bytes, kind: FinsAnomaly) -> None:
    assert _kind(decode_parameters(_command(code, data))) == kind


def test_run_parameters_are_optional() -> None:
    assert decode_parameters(_command(0x0401, b"")) == RunCommand(None, None)
    assert decode_parameters(_command(0x0401, b"\xff\xff")) == RunCommand(0xFFFF, None)
    run = decode_parameters(_command(0x0401, b"\x00\x00\x02"))
    assert isinstance(run, RunCommand) and run.mode_name == "monitor"
    with pytest.raises(ValueError):
        encode_parameters(RunCommand(None, 4))


def test_multiple_memory_area_read_items() -> None:
    data = bytes.fromhex("82000a00b0006400")
    assert decode_parameters(_command(0x0104, data)) == MultipleMemoryAreaRead(
        (MemoryAddress(0x82, 10, 0), MemoryAddress(0xB0, 100, 0))
    )
    with pytest.raises(ValueError):
        encode_parameters(MultipleMemoryAreaRead(()))


def test_commands_without_typed_parameters() -> None:
    assert decode_parameters(_command(0x0402, b"\xff\xff")) is None
    assert decode_parameters(_command(0x0501, b"\x00")) is None


# --- response data ---------------------------------------------------------------------------


def test_cp1l_controller_data() -> None:
    data = decode_controller_data(CP1L_DATA)
    assert data.model == "CP1L-EL20DR-D"
    assert data.version == "01.00"  # the field goes on after a NUL: "01.06"
    assert data.area is not None
    assert (data.area.program_area_size, data.area.iom_size, data.area.dm_words) == (10, 23, 10768)
    assert data.area.memory_card_name == "none"
    assert data.units is None and data.extra == b""
    assert encode_controller_data(data) == CP1L_DATA


@pytest.mark.parametrize(
    ("size", "parts"),
    [(0, 0), (19, 0), (20, 1), (40, 2), (79, 2), (80, 3), (92, 4), (158, 4), (159, 5), (200, 5)],
)
def test_controller_data_is_read_as_far_as_its_parts_are_whole(size: int, parts: int) -> None:
    data = decode_controller_data(bytes(range(256))[:size])
    present = [data.model_field, data.version_field, data.system_use, data.area, data.units]
    assert [p is not None for p in present] == [True] * parts + [False] * (5 - parts)
    assert len(data.extra) == size - [0, 20, 40, 80, 92, 159][parts]


def test_67_bytes_are_the_unit_configuration_alone() -> None:
    data = decode_controller_data(bytes(32) + b" " * 32 + b"\x01\x02\xc3")
    assert data.model is None and data.units is not None
    assert data.units.pc_status == 0xC3
    assert (data.units.sysmac_bus2_masters, data.units.sysmac_bus_masters) == (1, 2)
    with pytest.raises(ValueError):  # 40 + 27 bytes would read back as the unit block
        encode_controller_data(ControllerData(bytes(20), bytes(20), None, None, None, bytes(27)))


def test_controller_status_with_and_without_the_error_message() -> None:
    full = bytes.fromhex("0100ffff0000000000004d454d4f5259204552524f5220202020")
    status = decode_controller_status(full)
    assert isinstance(status, ControllerStatus)
    assert (status.status_name, status.mode_name) == ("run", "program")
    assert status.error_message == "MEMORY ERROR"
    short = decode_controller_status(full[:10])
    assert isinstance(short, ControllerStatus) and short.error_message is None
    assert _kind(decode_controller_status(full[:9])) == K.TRUNCATED


# --- FINS/TCP and its framer ---------------------------------------------------------------


def test_node_address_exchange() -> None:
    request = decode_tcp(bytes.fromhex("46494e530000000c000000000000000000000000"))
    assert request == FinsTcpMessage(0, 0, NodeAddressRequest(0))
    response = decode_tcp(bytes.fromhex("46494e53000000100000000100000000000000fb000000c8"))
    assert response == FinsTcpMessage(1, 0, NodeAddressResponse(251, 200))
    assert isinstance(response, FinsTcpMessage)
    assert response.command_name == "node_address_data_send_server"
    assert response.error_name == "normal"


def test_node_address_message_of_another_size_stays_raw() -> None:
    message = decode_tcp(bytes.fromhex("46494e5300000010000000000000002100000000000000fb"))
    assert message == FinsTcpMessage(0, 0x21, bytes.fromhex("00000000000000fb"))
    with pytest.raises(ValueError):
        encode_tcp(FinsTcpMessage(0, 0, bytes(4)))


def test_frame_send_carries_a_frame() -> None:
    wire = encode_tcp(FinsTcpMessage(2, 0, decode_frame(READ_D100)))  # type: ignore[arg-type]
    assert wire[:16] == bytes.fromhex("46494e53") + (8 + len(READ_D100)).to_bytes(
        4, "big"
    ) + bytes.fromhex("0000000200000000")
    message = decode_tcp(wire)
    assert isinstance(message, FinsTcpMessage) and isinstance(message.body, FinsCommand)
    broken = wire[:16] + b"\xa0" + wire[17:]
    assert decode_tcp(broken) == Anomaly(K.BAD_HEADER, "ICF 0xa0 RSV 0x00", 16)
    with pytest.raises(ValueError):
        encode_tcp(FinsTcpMessage(3, 0, decode_frame(READ_D100)))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        encode_tcp(FinsTcpMessage(2, 0, b"raw"))


def test_tcp_header_anomalies() -> None:
    good = bytes.fromhex("46494e530000000c000000000000000000000000")
    assert _kind(decode_tcp(b"FINT" + good[4:])) == K.BAD_MAGIC
    assert _kind(decode_tcp(b"FIX")) == K.BAD_MAGIC
    assert _kind(decode_tcp(good[:15])) == K.TRUNCATED
    assert _kind(decode_tcp(good[:19])) == K.TRUNCATED
    assert _kind(decode_tcp(good + b"\x00")) == K.TRAILING_BYTES
    assert _kind(decode_tcp(good[:4] + b"\x00\x00\x00\x07" + good[8:])) == K.INVALID_LENGTH
    too_long = (MAX_TCP_LENGTH + 1).to_bytes(4, "big")
    assert _kind(decode_tcp(good[:4] + too_long + good[8:])) == K.INVALID_LENGTH


def test_framer_verdicts() -> None:
    good = bytes.fromhex("46494e530000000c000000000000000000000000")
    assert frame_length(good) == 20
    assert frame_length(b"xx" + good, 2) == 20
    for cut in range(8):
        assert frame_length(good[:cut]) == NEED_DATA
    assert frame_length(b"FIN") == NEED_DATA
    assert frame_length(b"FX") == INVALID  # a wrong magic byte is INVALID once buffered
    assert frame_length(b"\x80\x00\x02") == INVALID  # FINS/UDP-style bytes on TCP
    assert frame_length(good[:4] + b"\x00\x00\x00\x07") == INVALID
    assert frame_length(good[:4] + (MAX_TCP_LENGTH + 1).to_bytes(4, "big")) == INVALID
    assert frame_length(good[:4] + MAX_TCP_LENGTH.to_bytes(4, "big")) == 8 + MAX_TCP_LENGTH
