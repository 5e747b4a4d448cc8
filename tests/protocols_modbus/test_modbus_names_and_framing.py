"""Operation names and categories, the framer and the hot-path accessors."""

from __future__ import annotations

import pytest

from otm.protocols.common import INVALID, NEED_DATA
from otm.protocols.modbus import (
    decode_request,
    decode_response,
    diagnostic_operation_category,
    diagnostic_operation_name,
    exception_name,
    frame_length,
    object_name,
    operation_category,
    operation_name,
    peek,
    peek_sub_code,
    request_operation,
    umas_operation_category,
    umas_operation_name,
)
from otm.protocols.modbus.constants import ExceptionCode
from otm.protocols.modbus.messages import Adu

# --- names and categories (function codes of section 5.1, categories from the brief) ---

PUBLIC_FUNCTIONS = [
    (1, "read_coils", "read"),
    (2, "read_discrete_inputs", "read"),
    (3, "read_holding_registers", "read"),
    (4, "read_input_registers", "read"),
    (5, "write_single_coil", "write"),
    (6, "write_single_register", "write"),
    (7, "read_exception_status", "diagnostic"),
    (8, "diagnostics", "diagnostic"),
    (11, "get_comm_event_counter", "diagnostic"),
    (12, "get_comm_event_log", "diagnostic"),
    (15, "write_multiple_coils", "write"),
    (16, "write_multiple_registers", "write"),
    (17, "report_server_id", "identify"),
    (20, "read_file_record", "read"),
    (21, "write_file_record", "write"),
    (22, "mask_write_register", "write"),
    (23, "read_write_multiple_registers", "write"),
    (24, "read_fifo_queue", "read"),
    (90, "umas", "other"),
]


@pytest.mark.parametrize(("code", "name", "category"), PUBLIC_FUNCTIONS)
def test_function_code_names_and_categories(code: int, name: str, category: str) -> None:
    assert operation_name(code) == name
    assert operation_category(code) == category


@pytest.mark.parametrize("code", [0x41, 0x64, 0x7F, 9])
def test_unknown_function_codes_get_stable_names(code: int) -> None:
    assert operation_name(code) == f"function_0x{code:02x}"
    assert operation_category(code) == "other"


def test_read_device_identification_is_identify() -> None:
    assert operation_name(43, 14) == "read_device_identification"
    assert operation_category(43, 14) == "identify"
    assert operation_name(43, 13) == "canopen_general_reference"
    assert operation_name(43, 5) == "mei_type_0x05"
    assert operation_category(43, 5) == "other"


@pytest.mark.parametrize(
    ("sub", "name", "category"),
    [
        (0x00, "return_query_data", "diagnostic"),
        (0x01, "restart_communications", "control"),
        (0x02, "return_diagnostic_register", "diagnostic"),
        (0x04, "force_listen_only_mode", "control"),
        (0x0A, "clear_counters_and_diagnostic_register", "diagnostic"),
        (0x12, "return_bus_character_overrun_count", "diagnostic"),
        (0x14, "clear_overrun_counter_and_flag", "diagnostic"),
        (0x99, "diagnostics_0x0099", "diagnostic"),
    ],
)
def test_diagnostic_sub_functions(sub: int, name: str, category: str) -> None:
    assert diagnostic_operation_name(sub) == name
    assert diagnostic_operation_category(sub) == category
    assert operation_name(8, sub) == name
    assert operation_category(8, sub) == category


@pytest.mark.parametrize(
    ("umas", "name", "category"),
    [
        (0x02, "umas_read_id", "identify"),
        (0x10, "umas_take_plc_reservation", "session"),
        (0x40, "umas_start_plc", "control"),
        (0x41, "umas_stop_plc", "control"),
        (0x30, "umas_initialize_upload", "program"),
        (0x34, "umas_download_block", "program"),
        (0x23, "umas_write_variables", "write"),
        (0x99, "umas_function_0x99", "other"),
    ],
)
def test_umas_sub_functions(umas: int, name: str, category: str) -> None:
    assert umas_operation_name(umas) == name
    assert umas_operation_category(umas) == category
    assert (operation_name(90, umas), operation_category(90, umas)) == (name, category)


def test_exception_names() -> None:
    assert {code: exception_name(code) for code in ExceptionCode if code != 7} == {
        1: "illegal_function",
        2: "illegal_data_address",
        3: "illegal_data_value",
        4: "server_device_failure",
        5: "acknowledge",
        6: "server_device_busy",
        8: "memory_parity_error",
        10: "gateway_path_unavailable",
        11: "gateway_target_failed_to_respond",
    }
    assert exception_name(0x0C) == "exception_0x0c"


def test_object_names_outside_the_standard_set() -> None:
    assert object_name(0x06) == "user_application_name"
    assert object_name(0x07) == "reserved_0x07"
    assert object_name(0x7F) == "reserved_0x7f"
    assert object_name(0x80) == "private_0x80"
    assert object_name(0xFF) == "private_0xff"


# --- framing ---

READ_REQUEST = bytes.fromhex("000100000006040100010001")
"""modbus_example.pcap frame 4."""


@pytest.mark.parametrize("size", range(6))
def test_frame_length_needs_six_bytes(size: int) -> None:
    assert frame_length(READ_REQUEST[:size]) == NEED_DATA


def test_frame_length_declared_even_if_not_buffered() -> None:
    assert frame_length(READ_REQUEST[:6]) == 12
    assert frame_length(READ_REQUEST) == 12


def test_frame_length_rejects_protocol_id_as_soon_as_seen() -> None:
    assert frame_length(b"\x00\x01\x01") == INVALID
    assert frame_length(b"\x00\x01\x00\x02") == INVALID


@pytest.mark.parametrize(("length", "verdict"), [(0, INVALID), (1, INVALID), (2, 8), (255, 261)])
def test_frame_length_bounds(length: int, verdict: int) -> None:
    assert frame_length(b"\x00\x01\x00\x00" + length.to_bytes(2, "big")) == verdict


@pytest.mark.parametrize("length", [256, 260, 0xFFFF])
def test_frame_length_rejects_lengths_over_255(length: int) -> None:
    assert frame_length(b"\x00\x01\x00\x00" + length.to_bytes(2, "big")) == INVALID


def test_frame_length_splits_back_to_back_adus() -> None:
    # Three captured requests in one segment, as mb2.pcap carries them.
    adus = [
        READ_REQUEST,
        bytes.fromhex("000d00000008070f000100040109"),
        bytes.fromhex("001700000005012b0e0100"),
    ]
    stream = b"".join(adus)
    start, found = 0, []
    for _ in range(len(adus) + 1):  # one pass more than ADUs: the last says NEED_DATA
        length = frame_length(stream, start)
        if length <= 0:
            break
        found.append(stream[start : start + length])
        start += length
    assert found == adus
    assert frame_length(stream, start) == NEED_DATA


# --- peeking ---


def test_peek_reads_header_and_function_code() -> None:
    assert peek(READ_REQUEST) == (1, 4, 1)
    assert peek(b"\xff" + READ_REQUEST, 1) == (1, 4, 1)


def test_peek_keeps_the_exception_flag() -> None:
    assert peek(bytes.fromhex("000100000003008302")) == (1, 0, 0x83)


def test_peek_refuses_short_or_foreign_bytes() -> None:
    assert peek(READ_REQUEST[:7]) is None
    assert peek(b"\x00\x01\x00\x01\x00\x06\x04\x01") is None


def test_peek_agrees_with_decoding() -> None:
    for adu, decode in (
        (READ_REQUEST, decode_request),
        (bytes.fromhex("000100000003008302"), decode_response),
        (bytes.fromhex("001700000005012b0e0100"), decode_request),
    ):
        decoded = decode(adu)
        assert isinstance(decoded, Adu)
        head = peek(adu)
        assert head is not None
        assert head[:2] == (decoded.transaction_id, decoded.unit_id)
        assert head[2] & 0x7F == decoded.pdu.function_code


def test_peek_sub_code_and_request_operation() -> None:
    restart = bytes.fromhex("00010000000601080001ff00")
    assert peek_sub_code(restart) == 1
    assert request_operation(restart) == ("restart_communications", "control")
    device_id = bytes.fromhex("001700000005012b0e0100")
    assert peek_sub_code(device_id) == 14
    assert request_operation(device_id) == ("read_device_identification", "identify")
    # modicon_test.pcap frame 4: UMAS READ_ID.
    umas = bytes.fromhex("000000000004005a0002")
    assert peek_sub_code(umas) == 2
    assert request_operation(umas) == ("umas_read_id", "identify")
    assert peek_sub_code(READ_REQUEST) is None
    assert request_operation(READ_REQUEST) == ("read_coils", "read")
    assert request_operation(bytes.fromhex("000100000002018301")) is None
    assert request_operation(bytes.fromhex("0001000000020100")) is None
    assert peek_sub_code(bytes.fromhex("000100000002015a")) is None
