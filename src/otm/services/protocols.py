"""Use case: which protocols otm understands, where it listens, how far it is trusted."""

from __future__ import annotations

from dataclasses import dataclass

from otm.sensing.catalog import CATALOG, transports


@dataclass(frozen=True, slots=True)
class ProtocolRow:
    """One line of ``otm protocols``."""

    name: str
    title: str
    family: str
    transports: tuple[str, ...]
    extracts: str
    maturity: tuple[str, ...]


def protocol_table() -> list[ProtocolRow]:
    """Every catalogued protocol, industrial first, with its registered transports."""
    where = transports()
    rows = []
    order = {"industrial": 0, "network": 1, "it": 2}
    for e in sorted(CATALOG, key=lambda e: (order.get(e.family, 9), e.name)):
        maturity = tuple(
            label
            for label, ok in (
                ("decodes", e.decodes),
                ("identity", e.identity),
                ("oracle-checked", e.oracle),
                ("fuzzed", e.fuzzed),
            )
            if ok
        )
        rows.append(
            ProtocolRow(
                e.name, e.title, e.family, tuple(where.get(e.name, ())), e.extracts, maturity
            )
        )
    return rows
