"""Test support for the tshark oracle tests: tshark's fields per frame, and captures for it to read.

Every ``test_*_tshark_oracle.py`` asks tshark the same way, ``-T fields``
with every occurrence of a field joined by ``AGGREGATOR``, and compares what
it shows with what otm decodes; frames a test builds go into a classic pcap
first (written by ``otm.capture.writer.PcapWriter``), and otm reads a capture
back through its own reader and link decoder, as the walker does.

Imported as ``tshark_support``, like ``sensor_support``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

from otm.capture.link import LinkInfo, decode_link
from otm.capture.readers import open_capture
from otm.capture.writer import PcapWriter

AGGREGATOR = "|"
"""Joins a field's values within one frame; no value compared in these tests holds it."""


def tshark_rows(
    tshark: str,
    capture: Path,
    display_filter: str,
    fields: Sequence[str],
    *options: str,
    timeout: float = 120,
) -> list[dict[str, str]]:
    """One row a frame that ``display_filter`` keeps: field -> its values joined by
    ``AGGREGATOR`` ("" when the frame has none).  ``options`` go to tshark as they are
    (``-o``, ``-d`` ...)."""
    command = [tshark, "-n", "-r", str(capture), "-Y", display_filter, *options, "-T", "fields"]
    command += ["-E", "occurrence=a", "-E", f"aggregator={AGGREGATOR}"]
    for name in fields:
        command += ["-e", name]
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=timeout)
    return [dict(zip(fields, line.split("\t"), strict=True)) for line in result.stdout.splitlines()]


def tshark_fields(
    tshark: str, capture: Path, display_filter: str, fields: Sequence[str]
) -> dict[int, dict[str, list[str]]]:
    """Frame number -> field -> every value tshark shows for it, in order."""
    rows = tshark_rows(tshark, capture, display_filter, ["frame.number", *fields])
    return {
        int(row["frame.number"]): {
            name: row[name].split(AGGREGATOR) if row[name] else [] for name in fields
        }
        for row in rows
    }


def write_pcap(path: Path, frames: Iterable[tuple[int, float, int, bytes]]) -> Path:
    """A classic pcap (microseconds, link type 1: Ethernet) of numbered frames."""
    with path.open("wb") as fh:
        writer = PcapWriter(fh)
        for _, ts, _, data in frames:
            writer.write(ts, data)
    return path


def payloads(capture: Path, ethertype: int) -> dict[int, bytes]:
    """Frame number -> payload after the EtherType (VLAN tags, SNAP header), as the
    walker hands it to an Ethernet handler."""
    out: dict[int, bytes] = {}
    with open_capture(capture) as reader:
        for number, _ts, linktype, data in reader:
            link = decode_link(linktype, data)
            if isinstance(link, LinkInfo) and link.ethertype == ethertype:
                out[number] = data[link.offset :]
    return out


def matches(expected: list[tuple[str, bool]], shown: list[str]) -> bool:
    """Whether tshark ``shown`` the ``expected`` (value, optional) in order, each
    optional value present or not (tshark shows some only with context it lacks)."""
    at = 0
    for value, optional in expected:
        if at < len(shown) and shown[at] == value:
            at += 1
        elif not optional:
            return False
    return at == len(shown)
