"""Turns per-packet facts into few observations: the sensors' shared tally.

Sensors call the ``count_*`` / ``identity`` methods from the hot path; the
tally keeps one small record per distinct key (operation on a link, anomaly
kind, identity) and emits observations only at ``flush``.  This is what keeps
memory flat in the number of packets: a million reads on one link are one
``Operation`` with a count.  Evidence keeps the frame of the first
occurrence, so an analyst can open the capture at that packet.

Values written (``ValueWritten``) arrive per flow from the sensors, which
keep them as they keep operation counts (a small dict a flow, keyed by raw
address codes); the tally merges the flows of one (client, server,
protocol, address) and counts what the sensors could not record
(``values_skipped``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from otm.capture.interfaces import FlowKey
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

MAX_HOSTS = 1 << 18
"""Hosts whose last activity is tracked between flushes (a live source's memory)."""

MAX_IDENTITIES = 100_000
"""Distinct identity facts kept per capture; beyond that a device is lying to us."""

MAX_VALUE_ADDRESSES = 100_000
"""Distinct (client, server, protocol, address) written between flushes; a
plant's HMIs write a few thousand setpoints, more is a sweep of writes,
counted in ``values_skipped`` and not kept."""


def note_value(
    values: dict[Any, list[Any]],
    where: object,
    value: float,
    frame: int,
    ts: float,
    limit: int,
    *tail: object,
) -> bool:
    """Count one write of ``value`` to ``where`` in a sensor's per-flow ``values``, as
    ``Tally.flow_value`` takes them: ``[count, first time, last time, first frame,
    minimum, maximum, last value, *tail]`` (``tail``: what the sensor keeps to name the
    first request).  False, recording nothing, when the flow already holds ``limit``
    addresses and this is another."""
    entry = values.get(where)
    if entry is None:
        if len(values) >= limit:
            return False
        values[where] = [1, ts, ts, frame, value, value, value, *tail]
        return True
    entry[0] += 1
    entry[2] = ts
    if value < entry[4]:
        entry[4] = value
    elif value > entry[5]:
        entry[5] = value
    entry[6] = value
    return True


WrittenValue = int | float
"""A value written, as ``ValueWritten`` carries it."""


@dataclass(slots=True)
class _OpTally:
    client_ip: str | None
    server_ip: str | None
    protocol: str
    transport: Transport
    port: int
    name: str
    category: str
    detail: tuple[tuple[str, str | int], ...]
    first: float
    last: float
    count: int
    frame: int
    message: str
    client_mac: str | None = None
    server_mac: str | None = None


@dataclass(slots=True)
class _ValueTally:
    client_ip: str | None
    server_ip: str | None
    protocol: str
    transport: Transport
    port: int
    address: str
    bits: int
    first: float
    last: float
    count: int
    frame: int
    minimum: WrittenValue
    maximum: WrittenValue
    last_value: WrittenValue
    message: str


@dataclass(slots=True)
class _AnomalyTally:
    protocol: str
    kind: str
    ip: str | None
    first: float
    last: float
    count: int
    frame: int
    detail: str


@dataclass(slots=True)
class _IdentityTally:
    obs: Identity
    last: float
    last_frame: int


class Tally:
    """Aggregates what the sensors of one source learn, then emits observations."""

    def __init__(self, ref: str, source: str = "capture") -> None:
        self.ref = ref
        self.source = source
        self._ops: dict[tuple[object, ...], _OpTally] = {}
        self._anomalies: dict[tuple[str, str, str | None], _AnomalyTally] = {}
        self._identities: dict[tuple[object, ...], _IdentityTally] = {}
        self._hosts: list[AssetSeen] = []
        # Every host sighted, kept across flushes: [last time, its frame, last time emitted].
        self._host_last: dict[tuple[str | None, str | None, int | None], list[Any]] = {}
        self._comms: list[Communication] = []
        self._l2: dict[tuple[str | None, str | None, str], list[Any]] = {}
        self.anomaly_totals: dict[str, int] = {}
        self._values: dict[tuple[object, ...], _ValueTally] = {}
        self.values_skipped: dict[str, int] = {}
        """``protocol/reason`` -> writes whose value no ``ValueWritten`` holds."""

    def evidence(self, frame: int | None, message: str) -> Evidence:
        """Evidence pointing at one frame of this source (0 or None: no frame)."""
        return Evidence(self.source, self.ref, frame or None, message)

    def operation(
        self,
        client_ip: str | None,
        server_ip: str | None,
        protocol: str,
        transport: Transport,
        port: int,
        name: str,
        category: str,
        count: int,
        first: float,
        last: float,
        frame: int,
        detail: tuple[tuple[str, str | int], ...] = (),
        client_mac: str | None = None,
        server_mac: str | None = None,
    ) -> None:
        """Add ``count`` occurrences of an operation on a link (``client_mac``/
        ``server_mac`` only for protocols straight on Ethernet, without IPs)."""
        key = (client_ip, server_ip, client_mac, server_mac, protocol, transport, port, name,
               category, detail)  # fmt: skip
        tally = self._ops.get(key)
        if tally is None:
            self._ops[key] = _OpTally(
                client_ip,
                server_ip,
                protocol,
                transport,
                port,
                name,
                category,
                detail,
                first,
                last,
                count,
                frame,
                f"{protocol} {name} request",
                client_mac,
                server_mac,
            )
            return
        tally.count += count
        if first < tally.first:
            tally.first, tally.frame = first, frame
        tally.last = max(tally.last, last)

    def flow_operation(
        self,
        key: FlowKey,
        protocol: str,
        transport: Transport,
        name: str,
        category: str,
        entry: list[float],
        detail: tuple[tuple[str, str | int], ...] = (),
    ) -> None:
        """Hand over a flow's count of one operation: ``entry`` is the sensors'
        per-flow ``[count, first time, last time, first frame]``."""
        count, first, last, frame = entry
        self.operation(
            key.client_ip,
            key.server_ip,
            protocol,
            transport,
            key.server_port,
            name,
            category,
            int(count),
            first,
            last,
            int(frame),
            detail,
        )

    def flow_value(
        self,
        key: FlowKey,
        protocol: str,
        transport: Transport,
        address: str,
        bits: int,
        entry: list[Any],
        message: str,
    ) -> None:
        """Hand over a flow's writes to one address (values ``bits`` wide): ``entry``
        is the sensors' per-flow ``[count, first time, last time, first frame,
        minimum, maximum, last value]``; ``message`` names the request of the
        first write."""
        count, first, last, frame, low, high, latest = entry
        where = (key.client_ip, key.server_ip, protocol, transport, key.server_port, address)
        tally = self._values.get(where)
        if tally is None:
            if len(self._values) >= MAX_VALUE_ADDRESSES:
                self.value_skipped(protocol, "too_many_addresses", int(count))
                return
            self._values[where] = _ValueTally(
                key.client_ip, key.server_ip, protocol, transport, key.server_port, address,
                bits, first, last, int(count), int(frame), low, high, latest, message,
            )  # fmt: skip
            return
        tally.count += int(count)
        if first < tally.first:
            tally.first, tally.frame, tally.message = first, int(frame), message
        if last >= tally.last:
            tally.last, tally.last_value = last, latest
        tally.minimum = min(tally.minimum, low)
        tally.maximum = max(tally.maximum, high)

    def value_skipped(self, protocol: str, reason: str, count: int = 1) -> None:
        """Count writes whose value is not recorded (too long, not a number ...)."""
        label = f"{protocol}/{reason}"
        self.values_skipped[label] = self.values_skipped.get(label, 0) + count

    def anomaly(
        self, protocol: str, kind: str, ip: str | None, ts: float, frame: int, detail: str = ""
    ) -> None:
        """Count one parse anomaly of a kind, from a sender."""
        key = (protocol, kind, ip)
        label = f"{protocol}/{kind}"
        self.anomaly_totals[label] = self.anomaly_totals.get(label, 0) + 1
        tally = self._anomalies.get(key)
        if tally is None:
            self._anomalies[key] = _AnomalyTally(protocol, kind, ip, ts, ts, 1, frame, detail)
            return
        tally.count += 1
        tally.last = max(tally.last, ts)

    def identity(
        self,
        ip: str | None,
        mac: str | None,
        protocol: str,
        fields: dict[str, str | int],
        ts: float,
        frame: int,
        message: str,
        component: str | None = None,
    ) -> None:
        """Record what a device said about itself (deduplicated)."""
        clean = {k: v for k, v in fields.items() if v is not None and v != ""}
        if not clean:
            return
        key = (ip, mac, protocol, component, tuple(sorted(clean.items())))
        tally = self._identities.get(key)
        if tally is not None:
            if ts > tally.last:
                tally.last, tally.last_frame = ts, frame
            return
        if len(self._identities) >= MAX_IDENTITIES:
            return
        obs = Identity(ts, ip, mac, protocol, clean, self.evidence(frame, message), component)
        self._identities[key] = _IdentityTally(obs, ts, frame)

    def host(
        self, mac: str | None, ip: str | None, vlan: int | None, ts: float, frame: int
    ) -> None:
        """A host was seen sending (first sighting; ``touch_host`` for the last);
        ``ip`` None: a MAC-only host (a device heard only on layer 2)."""
        self._hosts.append(AssetSeen(ts, mac, ip, self.evidence(frame, "frame source"), vlan))
        if len(self._host_last) >= MAX_HOSTS:
            # Forget hosts with nothing new to tell; the walker re-reports them if they return.
            self._host_last = {k: v for k, v in self._host_last.items() if v[0] > v[2]}
        self._host_last[(mac, ip, vlan)] = [ts, frame, ts]

    def touch_host(
        self, mac: str | None, ip: str | None, vlan: int | None, ts: float, frame: int
    ) -> None:
        """A known host was still active at ``ts`` (ignored for unknown hosts)."""
        key = (mac, ip, vlan)
        last = self._host_last.get(key)
        if last is not None and ts > last[0]:
            last[0], last[1] = ts, frame

    def communication(self, comm: Communication) -> None:
        """A flow's traffic totals."""
        self._comms.append(comm)

    def l2_traffic(
        self,
        protocol: str,
        client_mac: str | None,
        server_mac: str | None,
        octets: int,
        ts: float,
        frame: int,
    ) -> None:
        """Count one frame of a protocol that runs straight on Ethernet.

        There is no flow table below such protocols (PROFINET DCP, LLDP,
        GOOSE), so the tally keeps one record per (client MAC, server MAC,
        protocol) and emits it as a ``Communication`` at ``flush``.  The
        sensor decides the roles: the device that answers or publishes is
        the server; a group address (multicast, broadcast) is passed as is
        and the inventory makes no asset of it.
        """
        key = (client_mac, server_mac, protocol)
        entry = self._l2.get(key)
        if entry is None:
            self._l2[key] = [1, octets, ts, ts, frame]
            return
        entry[0] += 1
        entry[1] += octets
        entry[3] = max(entry[3], ts)

    def flush(self) -> list[Observation]:
        """Every observation tallied so far, in a deterministic order; resets the tally."""
        out: list[Observation] = []
        out.extend(self._hosts)
        # Hosts active since the previous flush (a live source flushes often).
        for (mac, ip, vlan), seen in self._host_last.items():
            last, frame, emitted = seen
            if last > emitted:
                ev = self.evidence(frame or None, "last activity of the host")
                out.append(AssetSeen(last, mac, ip, ev, vlan))
                seen[2] = last
        for (client_mac, server_mac, protocol), entry in self._l2.items():
            packets, octets, first, last, frame = entry
            self._comms.append(
                Communication(
                    first,
                    last,
                    None,
                    None,
                    client_mac,
                    server_mac,
                    protocol,
                    Transport.ETHERNET,
                    0,
                    packets,
                    octets,
                    self.evidence(frame, f"first {protocol} frame"),
                )
            )
        self._l2.clear()
        comms: list[Communication] = sorted(self._comms, key=_comm_order)
        out.extend(comms)
        for t in sorted(
            self._identities.values(), key=lambda t: (t.obs.time, t.obs.evidence.packet or 0)
        ):
            out.append(t.obs)
            if t.last > t.obs.time:
                ev = self.evidence(t.last_frame, t.obs.evidence.message)
                out.append(
                    Identity(
                        t.last,
                        t.obs.ip,
                        t.obs.mac,
                        t.obs.protocol,
                        t.obs.fields,
                        ev,
                        t.obs.component,
                    )
                )
        for o in sorted(self._ops.values(), key=lambda o: (o.first, o.frame, o.name)):
            out.append(
                Operation(
                    o.first,
                    o.last,
                    o.client_ip,
                    o.server_ip,
                    o.protocol,
                    o.name,
                    o.category,
                    o.count,
                    self.evidence(o.frame, o.message),
                    o.transport,
                    o.port,
                    dict(o.detail),
                    o.client_mac,
                    o.server_mac,
                )
            )
        for v in sorted(self._values.values(), key=_value_order):
            out.append(
                ValueWritten(
                    v.first,
                    v.last,
                    v.client_ip,
                    v.server_ip,
                    v.protocol,
                    v.address,
                    v.bits,
                    v.count,
                    v.minimum,
                    v.maximum,
                    v.last_value,
                    self.evidence(v.frame, v.message),
                    v.transport,
                    v.port,
                )
            )
        for a in sorted(self._anomalies.values(), key=lambda a: (a.first, a.frame, a.kind)):
            out.append(
                ParseAnomaly(
                    a.first,
                    a.last,
                    a.protocol,
                    a.kind,
                    a.count,
                    self.evidence(a.frame, f"{a.protocol} {a.kind}"),
                    a.ip,
                    a.detail,
                )
            )
        self._ops.clear()
        self._values.clear()
        self._anomalies.clear()
        self._identities.clear()
        self._hosts.clear()
        self._comms.clear()
        return out


def _comm_order(c: Communication) -> tuple[float, int]:
    return (c.first_seen, c.evidence.packet or 0)


def _value_order(v: _ValueTally) -> tuple[float, int]:
    # Ties (the registers of one write) keep the order the sensor handed them
    # over in, which is the order of the addresses in the request.
    return (v.first, v.frame)
