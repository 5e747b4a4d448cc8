"""Observations for the detection tests, built the way sensors emit them."""

from __future__ import annotations

from otm.observations.records import (
    AssetSeen,
    Communication,
    Evidence,
    Identity,
    Observation,
    Operation,
    ParseAnomaly,
    Transport,
    ValueWritten,
)

EV = Evidence("capture", "test.pcap", 1, "test")


def seen(ip: str | None, mac: str | None, t: float = 100.0) -> AssetSeen:
    return AssetSeen(t, mac, ip, EV)


def comm(
    client: str, server: str, protocol: str = "modbus", port: int = 502, t: float = 100.0,
    packets: int = 10, transport: Transport = Transport.TCP, span: float = 1.0,
    ev: Evidence = EV,
) -> Communication:  # fmt: skip
    """A flow's traffic from ``t`` to ``t + span``."""
    return Communication(t, t + span, client, server, None, None, protocol, transport, port,
                         packets, packets * 60, ev)  # fmt: skip


def op(
    client: str, server: str, name: str, category: str, protocol: str = "modbus",
    count: int = 1, t: float = 100.0, span: float = 1.0, ev: Evidence = EV,
    **detail: str | int,
) -> Operation:  # fmt: skip
    """``count`` requests from ``t`` to ``t + span`` (``detail``: unit_id ...)."""
    return Operation(t, t + span, client, server, protocol, name, category, count, ev,
                     port=502, detail=dict(detail))  # fmt: skip


def ident(ip: str, protocol: str, t: float = 100.0, component: str | None = None,
          **fields: str | int) -> Identity:  # fmt: skip
    return Identity(t, ip, None, protocol, dict(fields), EV, component)


def written(
    client: str, server: str, address: str, low: float, high: float | None = None,
    protocol: str = "modbus", count: int = 1, t: float = 100.0, bits: int = 16,
) -> ValueWritten:  # fmt: skip
    """``count`` writes of values from ``low`` to ``high`` (the last one) to an address."""
    high = low if high is None else high
    return ValueWritten(t, t + 1, client, server, protocol, address, bits, count, low, high,
                        high, EV, port=502)  # fmt: skip


def anomaly(ip: str, kind: str = "invalid_length", count: int = 3) -> ParseAnomaly:
    return ParseAnomaly(100.0, 101.0, "modbus", kind, count, EV, ip)


NORMAL: list[Observation] = [
    seen("10.0.0.5", "00:80:f4:00:00:05"),
    seen("10.0.0.9", "00:0c:29:00:00:09"),
    comm("10.0.0.9", "10.0.0.5", span=99.0),
    op("10.0.0.9", "10.0.0.5", "read_holding_registers", "read", count=100, span=99.0,
       unit_id=1),
    op("10.0.0.9", "10.0.0.5", "write_single_register", "write", count=3, unit_id=1),
    written("10.0.0.9", "10.0.0.5", "u1:hr:10", 40, 60, count=3),
    ident("10.0.0.5", "modbus", vendor="Schneider Electric", model="M340", firmware="v3.40"),
]  # fmt: skip
"""A SCADA host (.9) polling one PLC (.5, unit 1) once a second from t = 100 to 199
and writing it: a setpoint (holding register 10 of unit 1) between 40 and 60."""
