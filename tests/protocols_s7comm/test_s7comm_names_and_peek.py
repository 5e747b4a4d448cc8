"""Operation names and categories; the hot-path accessors agree with the full decoders."""

from __future__ import annotations

import pytest
from s7_captures import S7_CAPTURES, capture_pdus

from otm.protocols.common import Anomaly
from otm.protocols.s7comm import (
    CotpData,
    S7Pdu,
    S7PlusPdu,
    Userdata,
    decode_payload,
    decode_tpkt,
    function_category,
    function_name,
    operation_category,
    operation_name,
    pdu_operation,
    peek,
    peek_szl_id,
    pi_service_name,
    s7plus_function_category,
    s7plus_function_name,
    userdata_category,
    userdata_name,
)
from otm.protocols.s7comm.constants import (
    FUNCTION_CATEGORIES,
    FUNCTION_NAMES,
    GROUP_CATEGORIES,
    PI_SERVICE_CATEGORIES,
    S7PLUS_FUNCTION_CATEGORIES,
    SUBFUNCTION_CATEGORIES,
    SUBFUNCTION_NAMES,
)

CATEGORIES = {"read", "write", "control", "program", "diagnostic", "identify", "session", "other"}


def test_every_table_uses_only_the_agreed_categories() -> None:
    for table in (
        FUNCTION_CATEGORIES,
        SUBFUNCTION_CATEGORIES,
        GROUP_CATEGORIES,
        PI_SERVICE_CATEGORIES,
        S7PLUS_FUNCTION_CATEGORIES,
    ):
        assert set(table.values()) <= CATEGORIES


def test_every_named_code_has_a_category_and_snake_case_name() -> None:
    assert set(FUNCTION_NAMES) == set(FUNCTION_CATEGORIES)
    assert set(SUBFUNCTION_NAMES) == set(SUBFUNCTION_CATEGORIES)
    for name in (*FUNCTION_NAMES.values(), *SUBFUNCTION_NAMES.values()):
        assert name == name.lower() and " " not in name


@pytest.mark.parametrize(
    ("function", "name", "category"),
    [
        (0x04, "read_var", "read"),
        (0x05, "write_var", "write"),
        (0xF0, "setup_communication", "session"),
        (0x1A, "request_download", "program"),
        (0x1E, "upload", "program"),
        (0x28, "pi_service", "control"),
        (0x29, "plc_stop", "control"),
        (0x77, "function_0x77", "other"),
    ],
)
def test_function_names(function: int, name: str, category: str) -> None:
    assert (function_name(function), function_category(function)) == (name, category)
    assert operation_name(1, function) == name
    assert operation_category(3, function) == category


@pytest.mark.parametrize(
    ("group", "sub", "szl_id", "name", "category"),
    [
        (4, 1, 0x0011, "read_szl", "identify"),
        (4, 1, 0x001C, "read_szl", "identify"),
        (4, 1, 0x0424, "read_szl", "read"),
        (4, 1, None, "read_szl", "read"),
        (7, 2, None, "set_clock", "write"),
        (7, 1, None, "read_clock", "read"),
        (5, 1, None, "set_password", "control"),
        (5, 2, None, "clear_password", "control"),
        (3, 1, None, "list_blocks", "read"),
        (1, 0x0C, None, "memory_reset", "control"),
        (2, 7, None, "change_driven_transfer_modify", "read"),
        (4, 0x7F, None, "userdata_cpu_functions_0x7f", "diagnostic"),
        (9, 0x01, None, "userdata_group_0x9_0x01", "other"),
    ],
)
def test_userdata_names(group: int, sub: int, szl_id: int | None, name: str, category: str) -> None:
    assert userdata_name(group, sub) == name
    assert userdata_category(group, sub, szl_id) == category
    assert operation_name(7, group, sub) == name


def test_pi_service_names() -> None:
    assert pi_service_name("P_PROGRAM", "C ") == "plc_cold_restart"
    assert pi_service_name("P_PROGRAM", "") == "plc_hot_restart"
    assert pi_service_name("_DELE") == "delete_block"
    assert pi_service_name("_N_LOGIN_") == "nc_login"
    assert pi_service_name("MY SERVICE!") == "pi_service_myservice"
    assert pi_service_name("") == "pi_service_unnamed"


def test_s7plus_names() -> None:
    assert s7plus_function_name(0x054C) == "get_multi_variables"
    assert s7plus_function_category(0x0542) == "write"
    assert s7plus_function_name(0x1234) == "s7plus_function_0x1234"
    assert s7plus_function_category(0x1234) == "other"


@pytest.mark.parametrize("capture", S7_CAPTURES)
def test_peek_agrees_with_the_decoders_on_every_capture_tpkt(capture: str) -> None:
    for pdu in capture_pdus(capture):
        tpkt = decode_tpkt(pdu.tpkt)
        assert not isinstance(tpkt, Anomaly)
        peeked = peek(pdu.tpkt)
        assert peeked is not None
        cotp = tpkt.cotp
        if not isinstance(cotp, CotpData):
            assert peeked[1:] == (-1, -1, -1, -1)
            continue
        if not cotp.payload:
            assert peeked == (0xF0, -1, -1, -1, -1)
            continue
        decoded = decode_payload(cotp.payload)
        if isinstance(decoded, S7PlusPdu):
            opcode = decoded.data[0] if decoded.data else -1
            function = decoded.function_code
            assert peeked == (
                0xF0,
                0x72,
                decoded.version,
                opcode,
                -1 if function is None else function,
            )
            continue
        assert isinstance(decoded, S7Pdu)
        body = decoded.body
        if isinstance(body, Userdata):
            p = body.parameter
            assert peeked == (0xF0, 0x32, 7, p.function_group, p.subfunction)
            name = operation_name(7, p.function_group, p.subfunction)
            assert pdu_operation(decoded)[0] == name
            szl = peek_szl_id(pdu.tpkt)
            if (
                (p.function_group, p.subfunction, p.type) == (4, 1, 4)
                and body.data
                and body.data.payload
            ):
                assert szl == int.from_bytes(body.data.payload[:2], "big")
            else:
                assert szl is None
        else:
            function = decoded.function
            assert peeked == (0xF0, 0x32, decoded.rosctr, -1 if function is None else function, -1)
            assert peek_szl_id(pdu.tpkt) is None


def test_pdu_operation_names_every_pdu_of_the_captures() -> None:
    seen: set[tuple[str, str]] = set()
    for capture in S7_CAPTURES:
        for pdu in capture_pdus(capture):
            tpkt = decode_tpkt(pdu.tpkt)
            assert not isinstance(tpkt, Anomaly)
            if isinstance(tpkt.cotp, CotpData) and tpkt.cotp.payload[:1] == b"\x32":
                decoded = decode_payload(tpkt.cotp.payload)
                assert isinstance(decoded, S7Pdu)
                name, category = pdu_operation(decoded)
                assert category in CATEGORIES
                seen.add((name, category))
    for expected in (
        ("read_szl", "identify"),
        ("plc_stop", "control"),
        ("plc_cold_restart", "control"),
        ("insert_block", "program"),
        ("download_block", "program"),
        ("write_var", "write"),
        ("set_clock", "write"),
    ):
        assert expected in seen
