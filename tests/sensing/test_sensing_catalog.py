"""The protocol catalog agrees with the code: what is registered, and what is claimed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from otm.sensing.catalog import CATALOG, transports

TESTS = Path(__file__).parent.parent
FOLDERS = {
    "ethercat": "protocols_fieldbus",
    "cclink-ie": "protocols_fieldbus",
    "omron-fins": "protocols_fins",
    "snmp": "protocols_snmp",
    "mms": "protocols_mms",
    "iec61850-sv": "protocols_goose",
    "cdp": "protocols_lldp",
    "modbus-rtu": "protocols_modbus_rtu",
}
"""Protocols whose tests live in a folder not named after them."""


def test_every_registered_protocol_is_catalogued_and_every_catalogued_one_runs() -> None:
    where = transports()
    names = {e.name for e in CATALOG}
    assert set(where) - {""} <= names, "protocols registered without a catalog entry"
    assert not [e.name for e in CATALOG if not where.get(e.name)], "catalogued but not registered"
    assert len(names) == len(CATALOG), "a protocol is catalogued twice"
    assert "" not in where, "an EtherType handler was registered without a protocol name"


def _test_sources() -> dict[Path, str]:
    return {p: p.read_text() for p in TESTS.rglob("test_*.py")}


def test_maturity_claims_have_tests_behind_them() -> None:
    sources = _test_sources()
    for e in CATALOG:
        quoted = (f'"{e.name}"', f"'{e.name}'")
        folder = FOLDERS.get(e.name) or "protocols_" + (
            e.name.split("-")[0] if e.family == "industrial" else "it"
        )
        own = {p: s for p, s in sources.items() if p.parent.name == folder}
        named = {p: s for p, s in sources.items() if any(q in s for q in quoted)}
        if e.oracle:
            assert any("tshark" in s for s in (own | named).values()), f"{e.name}: no tshark test"
        if e.fuzzed:
            assert any("hypothesis" in s for s in (own | named).values()), (
                f"{e.name}: no property test"
            )


def test_cli_lists_every_protocol_with_where_it_listens() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "otm", "protocols", "--format", "json"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rows = {r["name"]: r for r in json.loads(out)["protocols"]}
    assert set(rows) == {e.name for e in CATALOG}
    assert rows["modbus"]["transports"] == ["tcp/502"]
    assert "oracle-checked" in rows["modbus"]["maturity"]
    assert all(r["transports"] for r in rows.values())
