"""The tag document: addresses of every protocol, validation messages, defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otm.polling.tags import (
    BacnetRef,
    LogixRef,
    ModbusRef,
    NodeRef,
    S7Ref,
    TagConfigError,
    TagSpec,
    load_tags,
    parse_address,
    parse_tags,
)


def _tag(address: str, **kw: object) -> TagSpec:
    return TagSpec(name="t", address=address, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("address", "kw", "ref"),
    [
        ("hr:40001", {}, ModbusRef("hr", 0, 1, "uint16")),
        ("hr:400001", {}, ModbusRef("hr", 0, 1, "uint16")),
        ("hr:465536", {}, ModbusRef("hr", 65535, 1, "uint16")),
        ("hr:0", {}, ModbusRef("hr", 0, 1, "uint16")),
        ("hr:4000", {}, ModbusRef("hr", 4000, 1, "uint16")),
        ("HR:40010", {"type": "float32"}, ModbusRef("hr", 9, 2, "float32")),
        ("hr:40010", {"type": "float64"}, ModbusRef("hr", 9, 4, "float64")),
        ("ir:30001", {"type": "int32"}, ModbusRef("ir", 0, 2, "int32")),
        ("ir:17", {"type": "int16"}, ModbusRef("ir", 17, 1, "int16")),
        ("co:00001", {}, ModbusRef("co", 0, 1, "bool")),
        ("co:1", {}, ModbusRef("co", 1, 1, "bool")),
        ("di:10005", {}, ModbusRef("di", 4, 1, "bool")),
        ("hr:40001.15", {}, ModbusRef("hr", 0, 1, "bool", 15)),
        ("hr:40001", {"type": "bool"}, ModbusRef("hr", 0, 1, "bool")),
        ("hr:40001", {"type": "string", "length": 5}, ModbusRef("hr", 0, 3, "string")),
    ],
)
def test_poll_modbus_addresses(address: str, kw: dict[str, object], ref: ModbusRef) -> None:
    assert parse_address("modbus", _tag(address, **kw)) == ref


@pytest.mark.parametrize(
    ("address", "kw", "why"),
    [
        ("40001", {}, "not a Modbus address"),
        ("xx:1", {}, "not a Modbus address"),
        ("hr:40000", {}, "start at 1"),
        ("hr:65536", {}, "end at 65535"),
        ("hr:65535", {"type": "float32"}, "runs past"),
        ("co:00001", {"type": "int16"}, "are bool"),
        ("co:00001.1", {}, "no bits"),
        ("hr:40001.16", {}, "bits 0-15"),
        ("hr:40001.3", {"type": "int16"}, "is bool"),
        ("hr:40001", {"type": "uint8"}, "16 bits"),
        ("hr:40001", {"type": "string"}, "needs its length"),
        ("hr:40001", {"type": "string", "length": 251}, "125 registers"),
    ],
)
def test_poll_modbus_address_errors(address: str, kw: dict[str, object], why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_address("modbus", _tag(address, **kw))


@given(st.integers(0, 65535))
def test_poll_modicon_six_digits_and_plain_offsets_agree(offset: int) -> None:
    six = parse_address("modbus", _tag(f"hr:4{offset + 1:05d}"))
    plain = parse_address("modbus", _tag(f"hr:{offset}"))
    assert six == plain or (len(str(offset)) == 5 and str(offset)[0] == "4")


@pytest.mark.parametrize(
    ("address", "kw", "ref"),
    [
        ("DB1.DBX0.1", {}, S7Ref("DB", 1, 0, 1, "bool", 1)),
        ("db1.dbx4.7", {}, S7Ref("DB", 1, 4, 1, "bool", 7)),
        ("DB1.DBB2", {}, S7Ref("DB", 1, 2, 1, "uint8")),
        ("DB1.DBW8", {}, S7Ref("DB", 1, 8, 2, "int16")),
        ("DB10.DBD4", {"type": "float32"}, S7Ref("DB", 10, 4, 4, "float32")),
        ("DB10.DBD4", {"type": "uint32"}, S7Ref("DB", 10, 4, 4, "uint32")),
        ("DB1.DBB16", {"type": "float64"}, S7Ref("DB", 1, 16, 8, "float64")),
        ("DB1.DBB20", {"type": "string", "length": 8}, S7Ref("DB", 1, 20, 10, "string")),
        ("M0.1", {}, S7Ref("M", 0, 0, 1, "bool", 1)),
        ("MW10", {"type": "uint16"}, S7Ref("M", 0, 10, 2, "uint16")),
        ("MD20", {"type": "int32"}, S7Ref("M", 0, 20, 4, "int32")),
        ("I0.0", {}, S7Ref("I", 0, 0, 1, "bool", 0)),
        ("E1.2", {}, S7Ref("I", 0, 1, 1, "bool", 2)),
        ("IW4", {}, S7Ref("I", 0, 4, 2, "int16")),
        ("Q0.7", {}, S7Ref("Q", 0, 0, 1, "bool", 7)),
        ("AB3", {}, S7Ref("Q", 0, 3, 1, "uint8")),
    ],
)
def test_poll_s7_addresses(address: str, kw: dict[str, object], ref: S7Ref) -> None:
    assert parse_address("s7", _tag(address, **kw)) == ref


@pytest.mark.parametrize(
    ("address", "kw", "why"),
    [
        ("DB1.DBD4", {}, "REAL, DINT or DWORD"),
        ("DB0.DBW0", {}, "numbered from 1"),
        ("DB1.DBX0", {}, "needs .BIT"),
        ("DB1.DBX0.8", {}, "not an S7 address"),
        ("DB1.DBW0.1", {}, "only X addresses"),
        ("DB1.DBW0", {"type": "float32"}, "4 bytes"),
        ("DB1.DBX0.1", {"type": "int16"}, "a bit is bool"),
        ("DB1.DBW0", {"type": "bool"}, "bit address"),
        ("DB1.DBW0", {"type": "string", "length": 4}, "starts at a byte"),
        ("X1", {}, "not an S7 address"),
    ],
)
def test_poll_s7_address_errors(address: str, kw: dict[str, object], why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_address("s7", _tag(address, **kw))


def test_poll_other_protocols_addresses() -> None:
    assert parse_address("opcua", _tag("ns=2;s=Line3.TT101")) == NodeRef("ns=2;s=Line3.TT101")
    assert parse_address("opcua", _tag("i=2258")) == NodeRef("i=2258")
    assert parse_address("bacnet", _tag("analog-value,1")) == BacnetRef("analog-value", 1)
    assert parse_address("bacnet", _tag("Analog-Input:3/high-limit")) == BacnetRef(
        "analog-input", 3, "high-limit"
    )
    assert parse_address("enip", _tag("Program:Main.Speeds[3]")) == LogixRef(
        "Program:Main.Speeds[3]"
    )
    for protocol, address in [
        ("opcua", "Line3.TT101"),
        ("bacnet", "analog-value"),
        ("bacnet", "door,1"),
        ("bacnet", "analog-value,4194303"),
        ("enip", "3Speed"),
        ("enip", "Speed[x]"),
    ]:
        with pytest.raises(ValueError):
            parse_address(protocol, _tag(address))


DOC = """
schema: otm.tags/1
devices:
  - name: plc
    protocol: modbus
    host: 10.0.0.5
    tags:
      - {name: A, address: "hr:40001"}
  - name: gw
    protocol: opcua
    host: 10.0.0.6
    tags:
      - {name: B, address: "ns=2;i=5"}
"""


def test_poll_document_defaults(tmp_path: Path) -> None:
    path = tmp_path / "tags.yaml"
    path.write_text(DOC)
    doc = load_tags(path)
    plc, gw = doc.devices
    assert (plc.target_port, gw.target_port) == (502, 4840)
    assert gw.opcua_url == "opc.tcp://10.0.0.6:4840"
    assert plc.interval == 1.0 and plc.max_in_flight == 1 and plc.unit_id == 1
    assert plc.slow_seconds == plc.timeout / 2
    assert plc.health.down_after == 3 and plc.health.up_after == 2


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("- a\n- b\n", "not a mapping"),
        ("devices: []\n", "schema: missing"),
        ("schema: otm.tags/2\ndevices: []\n", "schema"),
        ("schema: otm.tags/1\ndevices: [\n", "not YAML"),
        (DOC.replace("name: B", "name: A"), "tag 'A' of 'gw' is also a tag of 'plc'"),
        (DOC.replace("name: gw", "name: plc"), "device 'plc' appears twice"),
        (DOC.replace("10.0.0.6", "gateway.local"), "not an IP address"),
        (DOC.replace('"hr:40001"}', '"hr:40001", colour: red}'), "colour.*not permitted"),
        (DOC.replace('"hr:40001"}', '"hr:40001", word_order: middle}'), "word_order"),
        (DOC.replace('"ns=2;i=5"}', '"ns=2;i=5", byte_order: little}'), "Modbus only"),
        (DOC.replace('"hr:40001"', '"DB1.DBW0"'), "not a Modbus address"),
        (DOC.replace("protocol: modbus", "protocol: profibus"), "protocol"),
    ],
)
def test_poll_document_errors(text: str, why: str) -> None:
    with pytest.raises(TagConfigError, match=why):
        parse_tags(text, source="site.yaml")


def test_poll_document_error_names_the_place() -> None:
    with pytest.raises(TagConfigError) as caught:
        parse_tags(DOC.replace('"hr:40001"}', '"hr:99", scale: x}'), source="site.yaml")
    assert "site.yaml: devices.0.tags.0.scale" in str(caught.value)


def test_poll_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(TagConfigError, match="cannot read"):
        load_tags(tmp_path / "nope.yaml")


def test_poll_the_documented_example_is_valid() -> None:
    import textwrap

    import otm.polling.tags as module

    doc = module.__doc__ or ""
    example = doc.split("::\n\n", 1)[1].split("\n\nTag addresses", 1)[0]
    parsed = parse_tags(textwrap.dedent(example))
    assert [t.name for t in parsed.devices[0].tags] == ["L3.TT101", "L3.RUN", "L3.FLOW"]
