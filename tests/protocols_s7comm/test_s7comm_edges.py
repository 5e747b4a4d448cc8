"""Edge cases, each test named after its edge.

Byte strings marked with a frame come from the shared captures (real devices);
the others are built from the layouts in ``messages``.
"""

from __future__ import annotations

import pytest
from s7_captures import capture_pdus

from otm.protocols.common import INVALID, NEED_DATA, Anomaly
from otm.protocols.s7comm import (
    BlockControlJob,
    ComponentIdentification,
    ComponentRecord,
    CotpConnect,
    CotpData,
    CotpOther,
    DataItem,
    ModuleIdentification,
    ModuleIdentityRecord,
    PiService,
    PlcStop,
    RawBody,
    ReadVarRequest,
    ReadVarResponse,
    S7Anomaly,
    S7AnyItem,
    S7Pdu,
    S7PlusPdu,
    SetupCommunication,
    SzlResponse,
    Tpkt,
    Userdata,
    UserdataData,
    UserdataParameter,
    UserdataReassembler,
    decode_cotp,
    decode_payload,
    decode_s7,
    decode_s7plus,
    decode_szl_001c,
    decode_szl_0011,
    decode_szl_response,
    decode_tpkt,
    encode_cotp,
    encode_s7,
    encode_szl_0011,
    encode_tpkt,
    frame_length,
    parse_block_file_name,
    pdu_operation,
    peek,
    peek_szl_id,
    s7plus_identity_strings,
    s7plus_operation,
)
from otm.protocols.s7comm.szl import component_record, encode_szl_001c, encode_szl_response

K = S7Anomaly


def _s7(tpkt_hex: str) -> S7Pdu:
    tpkt = decode_tpkt(bytes.fromhex(tpkt_hex))
    assert not isinstance(tpkt, Anomaly)
    assert isinstance(tpkt.cotp, CotpData)
    pdu = decode_s7(tpkt.cotp.payload)
    assert isinstance(pdu, S7Pdu), pdu
    return pdu


def _kind(result: object) -> str:
    assert isinstance(result, Anomaly), result
    return str(result.kind)


def _frame(capture: str, number: int) -> bytes:
    """The TPKT that ends in this frame of a shared capture (the first if several)."""
    for pdu in capture_pdus(capture):
        if pdu.frame == number:
            return pdu.tpkt
    raise AssertionError(f"no TPKT in frame {number}")


# --- framing ------------------------------------------------------------------------


def test_framer_wrong_version_is_invalid_from_first_byte() -> None:
    assert frame_length(b"\x02") == INVALID
    assert frame_length(b"\x00\x03\x00\x00", 1) == NEED_DATA


def test_framer_needs_four_bytes_for_the_length() -> None:
    assert frame_length(b"\x03\x00\x00") == NEED_DATA
    assert frame_length(b"") == NEED_DATA


def test_framer_length_below_seven_is_invalid() -> None:
    assert frame_length(b"\x03\x00\x00\x06") == INVALID
    assert _kind(decode_tpkt(b"\x03\x00\x00\x06\x01\xf0")) == K.INVALID_LENGTH


def test_framer_returns_declared_length_beyond_the_buffer() -> None:
    assert frame_length(b"\x03\x00\x01\x00") == 256


def test_two_tpkts_in_one_segment_are_cut_by_the_framer() -> None:
    # mb2.pcap frame 271: an empty DT and a read var job in one TCP segment.
    seg = bytes.fromhex(
        "0300000702f0000300002b02f080320100000003001a00000402120a1002000203e8"
        "84000000120a1002000203e984000000"
    )
    first = frame_length(seg)
    assert first == 7
    assert frame_length(seg, first) == len(seg) - first
    pdu = _s7(seg[first:].hex())
    assert isinstance(pdu.body, ReadVarRequest) and len(pdu.body.items) == 2


def test_empty_dt_with_eot_clear_is_a_keepalive() -> None:
    # S7-1200-Uploading-OB1-TIAV12.pcap frame 9, sent by TIA Portal between requests.
    tpkt = decode_tpkt(bytes.fromhex("0300000702f000"))
    assert not isinstance(tpkt, Anomaly)
    assert tpkt.cotp == CotpData(False, 0, b"")
    assert peek(bytes.fromhex("0300000702f000")) == (0xF0, -1, -1, -1, -1)


def test_tpkt_with_bytes_after_its_length() -> None:
    assert _kind(decode_tpkt(bytes.fromhex("0300000702f00000"))) == K.TRAILING_BYTES


def test_tpkt_shorter_than_its_length() -> None:
    assert _kind(decode_tpkt(bytes.fromhex("0300000802f000"))) == K.TRUNCATED


def test_tpkt_version_two_is_not_tpkt() -> None:
    assert _kind(decode_tpkt(bytes.fromhex("0200000702f000"))) == K.BAD_TPKT_VERSION


# --- COTP ---------------------------------------------------------------------------


def test_cotp_cr_two_byte_tsap_gives_connection_type_rack_and_slot() -> None:
    # s7comm_plus.pcap frame 149: CR to TSAP 0x0101 (PG, rack 0, slot 1), TPDU size 1024.
    tpkt = decode_tpkt(bytes.fromhex("0300001611e00000000100c0010ac1020100c2020101"))
    assert not isinstance(tpkt, Anomaly)
    cr = tpkt.cotp
    assert isinstance(cr, CotpConnect) and cr.pdu_type == 0xE0
    assert cr.tpdu_size == 1024
    assert cr.dst_tsap == b"\x01\x01"
    tsap = cr.dst_s7_tsap
    assert tsap is not None
    assert (tsap.connection_type_name, tsap.rack, tsap.slot) == ("pg", 0, 1)


def test_cotp_tsap_rack_in_top_three_bits_slot_in_low_five() -> None:
    cr = decode_cotp(bytes.fromhex("11e00000000100c0010ac1020100c20203e2"))
    assert isinstance(cr, CotpConnect)
    tsap = cr.dst_s7_tsap
    assert tsap is not None
    assert (tsap.connection_type, tsap.rack, tsap.slot) == (3, 7, 2)


def test_cotp_cr_text_tsap_has_no_rack_or_slot() -> None:
    # S7-1200-Uploading-OB1-TIAV12.pcap frame 4: TIA Portal's S7comm-plus CR.
    tpkt = decode_tpkt(_frame("S7-1200-Uploading-OB1-TIAV12.pcap", 4))
    assert not isinstance(tpkt, Anomaly)
    cr = tpkt.cotp
    assert isinstance(cr, CotpConnect)
    assert cr.dst_tsap == b"SIMATIC-ROOT-ES"
    assert cr.dst_s7_tsap is None
    assert cr.src_s7_tsap is not None and cr.src_s7_tsap.connection_type == 6


def test_cotp_parameter_running_past_the_header() -> None:
    assert _kind(decode_cotp(bytes.fromhex("08e00000000100c005aa"))) == K.BAD_COTP


def test_cotp_length_indicator_beyond_the_tpdu() -> None:
    assert _kind(decode_cotp(bytes.fromhex("09e000000001"))) == K.INVALID_LENGTH


def test_cotp_ak_and_er_are_recognised_raw() -> None:
    ak = decode_cotp(bytes.fromhex("04610001 05".replace(" ", "")))
    assert ak == CotpOther(0x61, b"\x00\x01\x05", b"")
    er = decode_cotp(bytes.fromhex("047000010301"))
    assert isinstance(er, CotpOther) and er.pdu_type == 0x70


def test_cotp_dt_of_class_two_with_reference_stays_raw() -> None:
    assert isinstance(decode_cotp(bytes.fromhex("04f000018032")), CotpOther)


# --- S7 header and bodies --------------------------------------------------------------


def test_s7_rosctr_four_is_unknown() -> None:
    assert _kind(decode_s7(bytes.fromhex("32040000000000000000"))) == K.UNKNOWN_ROSCTR


def test_s7_job_without_a_function_code() -> None:
    assert _kind(decode_s7(bytes.fromhex("32010000000000000000"))) == K.UNKNOWN_FUNCTION


def test_s7_protocol_id_not_0x32() -> None:
    assert _kind(decode_s7(bytes.fromhex("33010000000000010000f0"))) == K.BAD_PROTOCOL_ID
    assert _kind(decode_payload(bytes.fromhex("81"))) == K.BAD_PROTOCOL_ID


def test_s7_ack_without_error_bytes_is_truncated() -> None:
    assert _kind(decode_s7(bytes.fromhex("32020000000000000000"))) == K.TRUNCATED


def test_s7_lengths_larger_than_the_pdu() -> None:
    assert _kind(decode_s7(bytes.fromhex("3201000000000008000004"))) == K.TRUNCATED


def test_read_var_item_count_larger_than_the_items() -> None:
    raw = bytes.fromhex("320100000000000e0000040212") + bytes.fromhex("0a10020001000084000000")
    assert _kind(decode_s7(raw)) == K.ITEM_COUNT_MISMATCH


def test_write_var_values_fewer_than_items() -> None:
    item = "120a10020001000084000000"
    raw = bytes.fromhex("32010000000000" + "1a" + "0000" + "0502" + item + item)
    assert _kind(decode_s7(raw)) == K.ITEM_COUNT_MISMATCH


def test_item_with_variable_specification_length_zero() -> None:
    raw = bytes.fromhex("3201000000000004000004011200")
    assert _kind(decode_s7(raw)) == K.BAD_ITEM


def test_read_response_odd_item_padded_except_the_last() -> None:
    values = (DataItem(0xFF, 0x04, 8, b"\x01"), DataItem(0xFF, 0x04, 8, b"\x02"))
    pdu = S7Pdu(3, 0, 1, 0, 0, ReadVarResponse(2, values))
    raw = encode_s7(pdu)
    assert raw.endswith(bytes.fromhex("ff04000801" + "00" + "ff04000802"))
    assert decode_s7(raw) == pdu


def test_read_response_error_item_carries_no_data_whatever_its_length() -> None:
    # An item answered "object does not exist" keeps its length field but no data.
    raw = bytes.fromhex("3203000000010002000900000402" + "0a000010" + "ff040008" + "07")
    pdu = decode_s7(raw)
    assert isinstance(pdu, S7Pdu) and isinstance(pdu.body, ReadVarResponse)
    assert pdu.body.items == (DataItem(0x0A, 0, 16, b""), DataItem(0xFF, 4, 8, b"\x07"))


def test_bit_transport_size_counts_bits() -> None:
    raw = bytes.fromhex("3203000000010002000500000401" + "ff030001" + "01")
    pdu = decode_s7(raw)
    assert isinstance(pdu, S7Pdu) and isinstance(pdu.body, ReadVarResponse)
    assert pdu.body.items[0] == DataItem(0xFF, 3, 1, b"\x01")


def test_read_response_with_items_announced_and_no_data_part() -> None:
    pdu = decode_s7(bytes.fromhex("320300000001000200000000" + "0402"))
    assert isinstance(pdu, S7Pdu) and pdu.body == ReadVarResponse(2, ())


def test_s7any_address_splits_byte_and_bit() -> None:
    item = S7AnyItem(1, 1, 5, 0x84, (12 << 3) | 3)
    assert (item.byte_address, item.bit_address, item.area_name) == (12, 3, "DB")


def test_setup_communication_from_snap7() -> None:
    # snap7_s300_everything.pcapng frame 1: PDU length 480, one job each way.
    pdu = _s7("0300001902f08032010000000000080000f0000001000101e0")
    assert pdu_operation(pdu) == ("setup_communication", "session")
    assert isinstance(pdu.body, SetupCommunication) and pdu.body.function == 0xF0
    assert (pdu.body.max_amq_calling, pdu.body.pdu_length) == (1, 480)


def test_userdata_parameter_length_disagrees_with_the_header() -> None:
    raw = bytes.fromhex("320700000000000c0000" + "000112094412010000000000")
    assert _kind(decode_s7(raw)) == K.INVALID_LENGTH


def test_userdata_data_part_of_three_bytes() -> None:
    raw = bytes.fromhex("3207000000000008" + "0003" + "0001120411440100" + "ff0900")
    assert _kind(decode_s7(raw)) == K.BAD_USERDATA


def test_userdata_data_length_field_shorter_than_the_data() -> None:
    raw = bytes.fromhex("3207000000000008" + "0006" + "0001120411440100" + "ff0900010102")
    assert _kind(decode_s7(raw)) == K.TRAILING_BYTES


def test_userdata_with_another_head_is_kept_raw_as_mode_transition() -> None:
    raw = bytes.fromhex("3207000000000008" + "0000" + "0100000000020000")
    pdu = decode_s7(raw)
    assert isinstance(pdu, S7Pdu) and isinstance(pdu.body, RawBody)
    assert pdu_operation(pdu) == ("mode_transition", "diagnostic")


def test_userdata_short_parameter_has_no_fragment_fields() -> None:
    # tia_s300_goOnline.pcapng frame 3: a read SZL request with the 4-byte parameter.
    pdu = decode_s7(_frame("tia_s300_goOnline.pcapng", 3)[7:])
    assert isinstance(pdu, S7Pdu) and isinstance(pdu.body, Userdata)
    assert pdu.body.parameter.data_unit_reference is None
    assert pdu_operation(pdu) == ("read_szl", "read")  # SZL 0x0132: not an identity list


# --- PI services, PLC stop, blocks -----------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "service", "argument", "operation", "category"),
    [
        (57, "P_PROGRAM", "", "plc_stop", "control"),
        (59, "_MODU", "EP", "copy_ram_to_rom", "program"),
        (61, "_GARB", "", "compress_memory", "program"),
        (63, "P_PROGRAM", "C ", "plc_cold_restart", "control"),
    ],
)
def test_pi_services_of_snap7_named_from_service_and_argument(
    frame: int, service: str, argument: str, operation: str, category: str
) -> None:
    pdu = _s7(_frame("snap7_s300_everything.pcapng", frame).hex())
    body = pdu.body
    assert isinstance(body, PiService | PlcStop)
    assert body.service == service
    if isinstance(body, PiService):
        assert body.argument == argument
    assert pdu_operation(pdu) == (operation, category)


def test_p_program_without_argument_is_a_hot_restart() -> None:
    body = PiService(bytes(6) + b"\xfd", b"", "P_PROGRAM")
    assert body.operation == "plc_hot_restart"


def test_p_program_with_an_unknown_argument_is_plc_start() -> None:
    assert PiService(bytes(6) + b"\xfd", b"X", "P_PROGRAM").operation == "plc_start"


def test_pi_insert_lists_its_blocks() -> None:
    # tia_s300_downloadOb1.pcapng frame 65: _INSE of OB1 after its download.
    pdu = _s7(_frame("tia_s300_downloadOb1.pcapng", 65).hex())
    assert isinstance(pdu.body, PiService)
    (block,) = pdu.body.blocks
    assert (block.block_type_name, block.block_number, block.filesystem) == ("OB", 1, "P")
    assert pdu_operation(pdu) == ("insert_block", "program")


def test_pi_service_with_only_its_eight_fixed_bytes() -> None:
    raw = bytes.fromhex("3201000000000008" + "0000" + "28000000000000fd")
    pdu = decode_s7(raw)
    assert isinstance(pdu, S7Pdu) and pdu.body == PiService(bytes(6) + b"\xfd", None, None)
    assert encode_s7(pdu) == raw


def test_nc_pi_service_named_nc_and_file_services_are_program() -> None:
    assert PiService(bytes(7), b"", "_N_F_DELE").operation == "nc_f_dele"
    from otm.protocols.s7comm import pi_service_category

    assert pi_service_category("nc_f_dele") == "program"
    assert pi_service_category("nc_select") == "control"


def test_start_upload_names_the_block_file() -> None:
    # snap7_s300_everything.pcapng frame 43: start upload of OB 0 (snap7 asks for OB0).
    pdu = _s7(_frame("snap7_s300_everything.pcapng", 43).hex())
    body = pdu.body
    assert isinstance(body, BlockControlJob) and body.filename == "_0800000A"
    assert body.block is not None and body.block.block_type_name == "OB"
    assert pdu_operation(pdu) == ("start_upload", "program")


def test_block_file_name_with_letters_in_the_number_is_no_block() -> None:
    assert parse_block_file_name("_0A0000XP") is None
    assert parse_block_file_name("_0A00001") is None
    parsed = parse_block_file_name("_0E00042B")
    assert parsed is not None and parsed.block_type_name == "FB" and str(parsed) == "_0E00042B"


def test_request_download_part2_gives_lengths() -> None:
    body = BlockControlJob(0x1A, 0, 0x0100, 0, "_0800001P", b"\x0d1000222000111", b"")
    assert (body.load_memory_length, body.mc7_code_length) == (222, 111)


# --- SZL ------------------------------------------------------------------------------------


def _unit_payloads(capture: str, frames: tuple[int, ...]) -> list[bytes]:
    reassembler = UserdataReassembler()
    out = []
    for pdu in capture_pdus(capture):
        if pdu.frame in frames and pdu.from_server:
            tpkt = decode_tpkt(pdu.tpkt)
            assert not isinstance(tpkt, Anomaly) and isinstance(tpkt.cotp, CotpData)
            s7 = decode_s7(tpkt.cotp.payload)
            assert isinstance(s7, S7Pdu)
            unit = reassembler.push(s7)
            if unit is not None:
                assert not isinstance(unit, Anomaly)
                out.append(unit.payload)
    return out


def test_szl_001c_fragmented_over_two_pdus_is_reassembled() -> None:
    # tia_s300_goOnline.pcapng frames 16 and 18: data unit 215, "more" then "last".
    (payload,) = _unit_payloads("tia_s300_goOnline.pcapng", (16, 18))
    response = decode_szl_response(payload)
    assert not isinstance(response, Anomaly)
    ident = decode_szl_001c(response)
    assert not isinstance(ident, Anomaly)
    assert ident.plc_name == "S7300/ET200M station_1"
    assert ident.memory_card_serial == "MMC 4A1AC019"


def test_szl_first_fragment_alone_decodes_only_partially() -> None:
    reassembler = UserdataReassembler()
    for pdu in capture_pdus("tia_s300_goOnline.pcapng"):
        if pdu.frame == 16:
            s7 = decode_s7(pdu.tpkt[7:])
            assert isinstance(s7, S7Pdu) and isinstance(s7.body, Userdata)
            assert reassembler.push(s7) is None and reassembler.pending == 1
            assert s7.body.data is not None
            first = s7.body.data.payload
    assert _kind(decode_szl_response(first)) == K.TRUNCATED
    partial = decode_szl_response(first, partial=True)
    assert not isinstance(partial, Anomaly)
    assert 0 < len(partial.records) < 10


def test_szl_0011_versions_derived_like_the_ground_truth() -> None:
    # tia_s300_goOnline.pcapng frame 14: module identification of a CPU 315-2 PN/DP.
    (payload,) = _unit_payloads("tia_s300_goOnline.pcapng", (14,))
    response = decode_szl_response(payload)
    assert not isinstance(response, Anomaly)
    ident = decode_szl_0011(response)
    assert not isinstance(ident, Anomaly)
    assert ident.order_number == "6ES7 315-2EH14-0AB0"
    assert (ident.hardware_version, ident.firmware_version) == ("3.1", "V3.2.7")
    assert ident.module_type_id == 0x00C0
    boot = ident.record(0x0081)
    assert boot is not None and boot.order_number == "Boot Loader"
    assert (boot.ausbg, boot.ausbe) == (16672, 2313)


def test_szl_records_that_do_not_fill_the_payload() -> None:
    head = bytes.fromhex("0011000000040002")
    assert _kind(decode_szl_response(head + b"\x00" * 10)) == K.TRAILING_BYTES
    assert _kind(decode_szl_response(head + b"\x00" * 6)) == K.TRUNCATED
    assert _kind(decode_szl_response(bytes.fromhex("0011000000000003"))) == K.BAD_SZL


def test_szl_0011_decoder_refuses_other_lists_and_lengths() -> None:
    response = decode_szl_response(bytes.fromhex("0132000400020001abcd"))
    assert not isinstance(response, Anomaly)
    assert _kind(decode_szl_0011(response)) == K.BAD_SZL
    assert _kind(decode_szl_001c(response)) == K.BAD_SZL


def test_szl_001c_texts_lose_nul_and_space_padding() -> None:
    sent = ComponentIdentification(
        0x001C, 0, (component_record(1, "PLC name   "), component_record(5, ""))
    )
    response = decode_szl_response(encode_szl_response(encode_szl_001c(sent)))
    assert not isinstance(response, Anomaly) and response.record_length == 34
    ident = decode_szl_001c(response)
    assert ident == sent
    assert not isinstance(ident, Anomaly)
    assert ident.plc_name == "PLC name"
    assert ident.serial_number is None
    assert ident.fields() == {"plc_name": "PLC name"}


def test_szl_001c_manufacturer_and_oem_records_carry_numbers() -> None:
    # index 9: manufacturer id u16 (0x002A Siemens), profile id u16, profile type u16;
    # index 0x0A: OEM copyright text (26 bytes), OEM id u16, OEM additional id u32.
    maker = ComponentRecord(9, bytes.fromhex("002af6000001") + bytes(26))
    oem = ComponentRecord(10, b"ACME".ljust(26, b"\x00") + bytes.fromhex("0007" + "00000100"))
    ident = ComponentIdentification(0x001C, 0, (maker, oem))
    assert ident.fields() == {
        "oem_copyright": "ACME",
        "manufacturer_id": 0x2A,
        "profile_id": 0xF600,
        "profile_specific_type": 1,
        "oem_id": 7,
        "oem_additional_id": 256,
    }


# --- reassembly bounds ---------------------------------------------------------------------------


def _fragment(ref: int, more: bool, payload: bytes, group: int = 4) -> S7Pdu:
    param = UserdataParameter(0x12, 8, group, 1, 3, ref, 1 if more else 0, 0)
    return S7Pdu(7, 0, 0, None, None, Userdata(param, UserdataData(0xFF, 9, payload)))


def test_reassembler_chain_over_its_byte_bound_is_dropped() -> None:
    reassembler = UserdataReassembler(max_bytes=10)
    assert reassembler.push(_fragment(5, True, b"x" * 8)) is None
    result = reassembler.push(_fragment(5, True, b"y" * 8))
    assert _kind(result) == K.FRAGMENT_OVERFLOW
    assert (reassembler.pending, reassembler.dropped) == (0, 1)


def test_reassembler_drops_the_oldest_chain_beyond_its_chain_bound() -> None:
    reassembler = UserdataReassembler(max_chains=2)
    for ref in (1, 2, 3):
        assert reassembler.push(_fragment(ref, True, b"a")) is None
    assert (reassembler.pending, reassembler.dropped) == (2, 1)
    # chain 1 was dropped: its last fragment now stands alone
    alone = reassembler.push(_fragment(1, False, b"z"))
    assert alone is not None and not isinstance(alone, Anomaly) and alone.payload == b"z"
    done = reassembler.push(_fragment(3, False, b"b"))
    assert done is not None and not isinstance(done, Anomaly)
    assert (done.payload, done.fragments) == (b"ab", 2)


def test_reassembler_ignores_continuation_requests_without_payload() -> None:
    reassembler = UserdataReassembler()
    assert reassembler.push(_fragment(9, False, b"")) is None
    assert reassembler.push(S7Pdu(1, 0, 0, None, None, RawBody(b"\x00", b""))) is None


# --- hot path -------------------------------------------------------------------------------


def test_peek_userdata_gives_group_and_subfunction() -> None:
    frame = _frame("tia_s300_goOnline.pcapng", 13)
    assert peek(frame) == (0xF0, 0x32, 7, 4, 1)
    assert peek_szl_id(frame) == 0x0011


def test_peek_szl_id_only_for_read_szl_requests() -> None:
    assert peek_szl_id(_frame("tia_s300_goOnline.pcapng", 14)) is None  # the response
    assert peek_szl_id(_frame("snap7_s300_everything.pcapng", 1)) is None  # a job


def test_peek_connection_request_and_job() -> None:
    assert peek(bytes.fromhex("0300001611e00000000100c0010ac1020100c2020101")) == (
        0xE0,
        -1,
        -1,
        -1,
        -1,
    )
    assert peek(_frame("snap7_s300_everything.pcapng", 63)) == (0xF0, 0x32, 1, 0x28, -1)


def test_peek_ack_without_parameter_has_no_function() -> None:
    # snap7_s300_everything.pcapng frame 44: ROSCTR 2 with error class 0xD2.
    frame = _frame("snap7_s300_everything.pcapng", 44)
    assert peek(frame) == (0xF0, 0x32, 2, -1, -1)
    pdu = _s7(frame.hex())
    assert (pdu.error_class, pdu.error_code) == (0xD2, 0x0C)
    assert pdu_operation(pdu) == ("ack", "other")


def test_peek_not_a_tpkt() -> None:
    assert peek(b"\x02\x00\x00\x07\x02\xf0\x00") is None
    assert peek(b"\x03\x00\x00") is None


# --- S7comm-plus ---------------------------------------------------------------------------------


def test_s7plus_version_three_digest_is_recognised() -> None:
    # s7comm_plus.pcap frame 7: a SetVariable request of an S7-1500 (integrity protected).
    tpkt = decode_tpkt(_frame("s7comm_plus.pcap", 7))
    assert not isinstance(tpkt, Anomaly) and isinstance(tpkt.cotp, CotpData)
    pdu = decode_s7plus(tpkt.cotp.payload)
    assert isinstance(pdu, S7PlusPdu)
    assert pdu.version == 3 and pdu.digest is not None and len(pdu.digest) == 32
    assert (pdu.opcode, pdu.function_code, pdu.trailer) == (0x31, 0x04F2, True)
    assert s7plus_operation(pdu) == ("set_variable", "write")
    assert peek(_frame("s7comm_plus.pcap", 7)) == (0xF0, 0x72, 3, 0x31, 0x04F2)


def test_s7plus_continuation_fragment_has_no_opcode() -> None:
    # S7-1200-Uploading-OB1-TIAV12.pcap frames 127-129: one PDU in three fragments.
    pdus = []
    for number in (127, 128, 129):
        tpkt = decode_tpkt(_frame("S7-1200-Uploading-OB1-TIAV12.pcap", number))
        assert not isinstance(tpkt, Anomaly) and isinstance(tpkt.cotp, CotpData)
        pdu = decode_s7plus(tpkt.cotp.payload)
        assert isinstance(pdu, S7PlusPdu)
        pdus.append(pdu)
    assert [p.opcode for p in pdus] == [0x31, None, None]
    assert [p.trailer for p in pdus] == [False, False, True]
    assert pdus[0].function_code == 0x04CA
    assert s7plus_operation(pdus[1]) is None


def test_s7plus_trailer_must_repeat_the_version() -> None:
    assert _kind(decode_s7plus(bytes.fromhex("72020001" + "33" + "72030000"))) == K.TRAILING_BYTES
    assert _kind(decode_s7plus(bytes.fromhex("72020005" + "33"))) == K.TRUNCATED


def test_s7plus_identity_strings_of_a_create_object_response() -> None:
    # S7-1200-Uploading-OB1-TIAV12.pcap frame 8: the CPU answers TIA Portal's CreateObject.
    tpkt = decode_tpkt(_frame("S7-1200-Uploading-OB1-TIAV12.pcap", 8))
    assert not isinstance(tpkt, Anomaly) and isinstance(tpkt.cotp, CotpData)
    assert s7plus_identity_strings(tpkt.cotp.payload) == ["6ES7 214-1HE30-0XB0", "V2.2"]
    assert s7plus_identity_strings(b"\x01\x02abc;V9") == []


# --- encoders refuse what does not fit ---------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        S7Pdu(
            7,
            0,
            0,
            None,
            None,
            Userdata(UserdataParameter(0x11, 4, 16, 1, 0, None, None, None), None),
        ),
        S7Pdu(1, 0, 0, None, None, ReadVarRequest((S7AnyItem(2, 1, 0, 0x84, 1 << 24),))),
        S7Pdu(1, 0, 0, None, None, ReadVarRequest((S7AnyItem(2, 1, 0, 0x84, 0),) * 256)),
        S7Pdu(1, 0x10000, 0, None, None, RawBody(b"\x00", b"")),
    ],
)
def test_s7_encoder_refuses_values_that_do_not_fit(message: S7Pdu) -> None:
    with pytest.raises(ValueError):
        encode_s7(message)


def test_cotp_and_tpkt_encoders_refuse_values_that_do_not_fit() -> None:
    with pytest.raises(ValueError):
        encode_cotp(CotpData(True, 0x80, b""))
    with pytest.raises(ValueError):
        encode_cotp(CotpConnect(0xE0, 16, 0, 0, 0, ()))
    with pytest.raises(ValueError):
        encode_tpkt(Tpkt(0, CotpOther(0x60, b"", b"")))


def test_szl_encoders_refuse_records_that_do_not_fit() -> None:
    with pytest.raises(ValueError):
        encode_szl_response(SzlResponse(0x11, 0, 4, (b"abc",)))
    with pytest.raises(ValueError):
        encode_szl_0011(
            ModuleIdentification(0x11, 0, (ModuleIdentityRecord(1, "x" * 21, 0, 0, 0),))
        )
    with pytest.raises(ValueError):
        component_record(1, "y" * 33)
