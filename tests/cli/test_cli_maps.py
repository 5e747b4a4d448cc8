"""``otm diff``, ``otm map`` and ``otm graph export`` over a stored inventory.

The commands run through Typer's test runner on an application that has
only them registered (``otm.cli.maps.register``), against SQLite and
PostgreSQL; the stored observations are the synthetic plants of
``tests/maps_support.py`` (packet times known to the second), and
one shared capture checks the map end to end through the real inference.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import networkx as nx
import pytest
import typer
from typer.testing import CliRunner

from conftest import PCAPS
from maps_support import EWS, IO, LINE3, T0, line3_observations, timeline
from otm.cli.maps import register
from otm.model.plant import Level, PlantConfig, ProcessSpec, Selector, ZoneSpec
from otm.services import maps
from otm.services.analysis import analyze_captures, rebuild_inventory
from otm.store import SqlStore

SVG = "{http://www.w3.org/2000/svg}"


def _app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False)

    @app.callback()
    def main() -> None:
        """Only the map commands."""

    register(app)
    return app


def _run(*args: str, db: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(_app(), [*args, "--db", db], env={"COLUMNS": "200"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def _store(url: str, observations: list[object]) -> SqlStore:
    store = SqlStore(url)
    store.put_source("capture", "k1", "plant.pcap", 0, observations, T0)  # type: ignore[arg-type]
    rebuild_inventory(store)
    return store


def _line3_config() -> PlantConfig:
    return PlantConfig(
        zones=[ZoneSpec("control-line3", Level.BASIC_CONTROL, subnets=["10.1.3.0/24"])],
        processes=[ProcessSpec(tuple(LINE3.split("/")), 5, [Selector("name", "PLC-3")])],
    )


def test_parse_moment_reads_iso_epoch_and_durations_back_from_the_newest() -> None:
    assert maps.parse_moment("2026-01-05T08:00:00Z", None) == T0
    assert maps.parse_moment("2026-01-05T08:00:00", None) == T0  # no zone: UTC
    assert maps.parse_moment("2026-01-05T09:00:00+01:00", None) == T0
    assert maps.parse_moment(str(T0), None) == T0
    assert maps.parse_moment("2h", T0 + 7200) == T0
    assert maps.parse_moment("90m", T0) == T0 - 5400
    assert maps.parse_moment("7d", T0) == T0 - 7 * 86400
    assert maps.parse_moment("1.5 H", T0) == T0 - 5400
    with pytest.raises(maps.MomentError, match="no observations"):
        maps.parse_moment("2h", None)
    with pytest.raises(maps.MomentError, match="ISO 8601"):
        maps.parse_moment("yesterday", T0)


def test_diff_since_a_moment_gives_the_known_changes(store_url: str) -> None:
    store = _store(store_url, timeline())  # type: ignore[arg-type]
    absolute = maps.diff_since(store, _iso(T0 + 1000))
    relative = maps.diff_since(store, "900s")  # the newest observation is T0 + 1900
    assert relative.since == absolute.since == T0 + 1000 and relative.newest == T0 + 1900
    for result in (absolute, relative):
        d = result.diff
        assert [a.ips for a in d.new_assets] == [(EWS,)]
        assert [a.ips for a in d.vanished_assets] == [(IO,)]
        assert [(o.operation, o.category) for o in d.new_operations] == [
            ("write_single_register", "write")
        ]
    window = maps.diff_since(store, _iso(T0 + 1000), _iso(T0 + 1250)).diff
    assert [o.operation for o in window.new_operations] == []  # the write came at +1500
    with pytest.raises(maps.MomentError, match="before"):
        maps.diff_since(store, "2026-01-05T09:00:00Z", "2026-01-05T08:00:00Z")


def test_otm_diff_prints_tables_and_json(store_url: str) -> None:
    _store(store_url, timeline())  # type: ignore[arg-type]
    code, out, _ = _run("diff", "--since", _iso(T0 + 1000), db=store_url)
    assert code == 0, out
    assert "New assets (1)" in out and EWS in out
    assert "Vanished assets (1)" in out and "RIO-3" in out
    assert "write_single_register" in out and "request_download" in out
    code, out, _ = _run("diff", "--since", "900s", "--format", "json", db=store_url)
    doc = json.loads(out)
    assert doc["schema"] == "otm.diff/1" and doc["since"] == "2026-01-05T08:16:40Z"
    assert [a["ips"] for a in doc["new"]["assets"]] == [[EWS]]
    assert [lk["server"] for lk in doc["vanished"]["links"]] == [IO]
    assert doc["new"]["protocols"] == [
        {"asset": doc["new"]["protocols"][0]["asset"], "name": "PLC-3", "protocol": "s7comm",
         "role": "server"}
    ]  # fmt: skip
    code, out, _ = _run("diff", "--since", _iso(T0 + 5000), "--until", _iso(T0 + 6000),
                        db=store_url)  # fmt: skip
    assert code == 0 and "Vanished assets (4)" in out


def test_otm_diff_with_nothing_changed_says_so(tmp_path: Path) -> None:
    db = str(tmp_path / "otm.db")
    _store(db, timeline())  # type: ignore[arg-type]
    code, out, _ = _run("diff", "--since", "2026-01-05T07:00:00Z", "--until",
                        "2026-01-05T07:30:00Z", db=db)  # fmt: skip
    assert code == 0 and "no change" in out


def test_bad_times_and_formats_fail_with_one_line(tmp_path: Path) -> None:
    db = str(tmp_path / "otm.db")
    code, _, err = _run("diff", "--since", "2h", db=db)
    assert code == 1 and "no observations" in err and "Traceback" not in err
    code, _, err = _run("diff", "--since", "last tuesday", db=db)
    assert code == 1 and "ISO 8601" in err
    code, _, err = _run("diff", "--since", "1h", "--format", "xml", db=db)
    assert code == 1 and "unknown format" in err
    code, _, err = _run("graph", "export", "--format", "dot", db=db)
    assert code == 1 and "graphml or json" in err
    code, _, err = _run("map", "--out", str(tmp_path / "no" / "such" / "dir.svg"), db=db)
    assert code == 1 and "cannot write" in err


def test_otm_map_draws_the_stored_plant(store_url: str, tmp_path: Path) -> None:
    store = _store(store_url, line3_observations())  # type: ignore[arg-type]
    store.save_plant_config(_line3_config())
    out_file = tmp_path / "plant.svg"
    code, out, _ = _run("map", "--out", str(out_file), db=store_url)
    assert code == 0 and "wrote the map of 6 assets" in out
    root = ET.fromstring(out_file.read_bytes())
    drawn = {
        g.get("data-name"): g.get("data-level")
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "asset"
    }
    assert set(drawn) == {"ERP-1", "HIST-1", "HMI-3", "EWS-3", "PLC-3", "RIO-3"}
    assert drawn["PLC-3"] == "1"  # declared by the zone's level


def test_otm_graph_export_writes_graphml_and_json(store_url: str, tmp_path: Path) -> None:
    store = _store(store_url, line3_observations())  # type: ignore[arg-type]
    store.save_plant_config(_line3_config())
    graphml = tmp_path / "plant.graphml"
    code, _, err = _run("graph", "export", "--format", "graphml", "-o", str(graphml), db=store_url)
    assert code == 0, err
    back = nx.read_graphml(graphml)
    plc = next(d for _, d in back.nodes(data=True) if d["name"] == "PLC-3")
    assert plc["zone"] == "control-line3" and plc["level"] == "1"
    assert LINE3 in plc["processes"]
    code, out, _ = _run("graph", "export", "--format", "json", db=store_url)
    doc = json.loads(out)
    names = {n["data"]["name"] for n in doc["elements"]["nodes"]}
    assert {"PLC-3", "HMI-3"} <= names and len(doc["elements"]["edges"]) == 5
    assert nx.read_graphml(io.StringIO(maps.export_graph(store, "graphml"))).number_of_nodes() == 6


def test_map_of_a_shared_capture_puts_the_s7_plc_below_its_hmi(tmp_path: Path) -> None:
    """mb2.pcap: an HMI polls an S7 PLC; drawn at levels 2 and 1 by inference alone."""
    db = str(tmp_path / "otm.db")
    store = SqlStore(db)
    analyze_captures([PCAPS / "mb2.pcap"], store, T0)
    out_file = tmp_path / "mb2.svg"
    code, _, err = _run("map", "-o", str(out_file), db=db)
    assert code == 0, err
    root = ET.fromstring(out_file.read_bytes())
    inv = store.load_inventory()
    levels = {
        g.get("data-id"): g.get("data-level")
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "asset"
    }
    assert set(levels) == set(inv.assets)
    s7 = [lk for lk in inv.links.values() if lk.protocol == "s7comm"]
    assert s7
    for lk in s7:
        client, server = inv.find(lk.client), inv.find(lk.server)
        assert client is not None and server is not None
        assert (levels[client.id], levels[server.id]) == ("2", "1")
