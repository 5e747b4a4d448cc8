"""The currency of otm: small, typed, immutable observation records.

Every source (capture file, live interface, scanner, poller) emits these and
nothing else; every consumer (inventory, topology, detection ...) reads these
and never bytes.  Times are packet (or poll) times as float seconds since the
Unix epoch, UTC, never the wall clock of the machine doing the analysis, so a
replay of the same observations gives the same state.

Sources aggregate before they emit: a flow's thousands of Modbus reads become
one ``Operation`` carrying a count and the first/last time, which is what keeps
memory flat in the number of packets.  Counts in these records are *deltas*
since the source's previous emission for the same key; consumers add them up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Transport(StrEnum):
    """How a protocol travelled: over TCP, UDP, or straight on Ethernet."""

    TCP = "tcp"
    UDP = "udp"
    ETHERNET = "ethernet"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a fact came from, so every field of an asset can show its origin.

    ``source`` is the kind of source (``capture``, ``live``, ``scan``, ``poll``,
    ``import``); ``ref`` names the particular capture file, interface or scan;
    ``packet`` is the 1-based frame number inside a capture (as Wireshark
    numbers frames) when there is one; ``message`` names the protocol message,
    e.g. ``modbus read_device_identification response``.
    """

    source: str
    ref: str
    packet: int | None = None
    message: str = ""


@dataclass(frozen=True, slots=True)
class AssetSeen:
    """A host was seen sending traffic with this MAC / IP pairing.

    ``ip`` is None for layer-2-only traffic.  ``mac`` is the Ethernet source
    address of the frame, which for routed traffic is the router's MAC; the
    inventory knows that and does not merge hosts on a shared MAC alone.
    ``vlan`` is the outermost 802.1Q id, if tagged.
    """

    time: float
    mac: str | None
    ip: str | None
    evidence: Evidence
    vlan: int | None = None


@dataclass(frozen=True, slots=True)
class Identity:
    """What a device said about itself, in its own words, via one protocol.

    ``fields`` uses otm's common names where they apply (``vendor``,
    ``vendor_id``, ``model``, ``product_code``, ``product_name``, ``firmware``,
    ``hardware``, ``serial``, ``name``, ``device_type``, ``order_number``) and
    protocol-specific names otherwise.  ``component`` is set when the facts
    describe a module behind the addressed device rather than the device
    itself (``slot 2`` on a CIP backplane, ``rack 0 slot 3`` on an S7 rack);
    None means the device at ``ip`` itself.
    """

    time: float
    ip: str | None
    mac: str | None
    protocol: str
    fields: dict[str, str | int]
    evidence: Evidence
    component: str | None = None


@dataclass(frozen=True, slots=True)
class Communication:
    """Traffic between a client (the side that opened or asked) and a server.

    ``packets`` and ``bytes`` are counts since the previous emission for this
    (client, server, protocol, transport, port) key; ``port`` is the server
    port (0 for Ethernet-only protocols).  ``answered`` is False when the
    server end never answered: a UDP conversation in which it sent nothing
    up to this emission (the requests of a scan reach every host; only an
    answer shows a server), or a role within a flow in which no response
    came.  A flow reported in deltas is answered once any of its deltas is.
    False is written only when it is (see ``serialization``).
    """

    first_seen: float
    last_seen: float
    client_ip: str | None
    server_ip: str | None
    client_mac: str | None
    server_mac: str | None
    protocol: str
    transport: Transport
    port: int
    packets: int
    bytes: int
    evidence: Evidence
    answered: bool = True


@dataclass(frozen=True, slots=True)
class Operation:
    """A client asked a server to do something: read, write, stop, download.

    ``name`` is the snake_case name of the function code or service
    (``read_holding_registers``, ``plc_stop``, ``download_block``).
    ``category`` groups operations for policy: read, write, control, program,
    diagnostic, identify, session, other.  ``count`` is a delta as above.
    ``transport``/``port`` name the server side as in ``Communication``, so the
    operation lands on the right link.  ``detail`` carries a few small facts
    when they matter for detection (unit id, CIP class, S7 block type), never
    the payload.  ``client_mac``/``server_mac`` name the ends of operations
    that travel straight on Ethernet (a PROFINET DCP Set), where there is no
    IP address; they stay None for IP traffic.
    """

    first_seen: float
    last_seen: float
    client_ip: str | None
    server_ip: str | None
    protocol: str
    name: str
    category: str
    count: int
    evidence: Evidence
    transport: Transport = Transport.TCP
    port: int = 0
    detail: dict[str, str | int] = field(default_factory=dict)
    client_mac: str | None = None
    server_mac: str | None = None


@dataclass(frozen=True, slots=True)
class ValueWritten:
    """A client wrote values to one address of a server: how many, and their range.

    One record per (client, server, protocol, address) and emission, tallied
    like ``Operation``: ``count`` writes (a delta) between ``first_seen`` and
    ``last_seen``, the smallest and largest value written (``minimum``,
    ``maximum``) and the last one (``last_value``); ``evidence`` points at the
    first write.  ``bits`` is the width of the value: 1 for a coil or an S7
    bit (a command more than a parameter), 16 for a Modbus register, 8, 16 or
    32 for an S7 byte, word or double word, 16, 32 or 64 for a DNP3 analog
    output.  The values are the ones *requested*: whether the server took
    them is the response's business.  ``transport``/``port`` name the server
    side as in ``Operation``.

    ``address`` is the protocol's own notation, kept short:

    - Modbus: ``u<unit>:co:<n>`` (coil) or ``u<unit>:hr:<n>`` (holding
      register), ``n`` the PDU address as on the wire, 0-based: ``u1:hr:0``
      is what the Modicon convention numbers 40001;
    - S7comm: Siemens notation with the width written, ``DB1.DBX4.3`` (a bit),
      ``DB1.DBB4``, ``DB1.DBW4``, ``DB1.DBD4`` (1, 2, 4 bytes), ``M10.3``,
      ``MB10``, ``MW10``, ``MD10`` (likewise ``I``, ``Q``, ``P``, ``L``,
      ``DI``), ``T5``/``C5`` for a timer or counter.

    Values are numbers, never the payload: a Modbus register as unsigned
    16-bit (a write of several registers is one value per register address),
    a coil 0 or 1; an S7 bit 0 or 1, an S7 item of 1, 2 or 4 bytes as an
    unsigned integer, or signed when its data says INTEGER/DINTEGER, a float
    when it says REAL.  Longer data is not recorded (the sensor counts it).
    """

    first_seen: float
    last_seen: float
    client_ip: str | None
    server_ip: str | None
    protocol: str
    address: str
    bits: int
    count: int
    minimum: int | float
    maximum: int | float
    last_value: int | float
    evidence: Evidence
    transport: Transport = Transport.TCP
    port: int = 0


@dataclass(frozen=True, slots=True)
class ParseAnomaly:
    """Bytes a parser could not make sense of, counted per protocol and kind.

    ``kind`` is the value of the protocol's anomaly enum (``invalid_length``,
    ``unknown_function``, ``truncated`` ...); ``ip`` is the sender when known.
    """

    first_seen: float
    last_seen: float
    protocol: str
    kind: str
    count: int
    evidence: Evidence
    ip: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class TagSample:
    """One value of one tag at one time, from a poller or from traffic."""

    time: float
    asset_ip: str
    tag: str
    value: float | int | bool | str
    quality: str
    evidence: Evidence


@dataclass(frozen=True, slots=True)
class DeviceHealth:
    """How a polled (or scanned) device answered over one interval ending at ``time``.

    ``state`` is ``up`` (answers within its timeouts), ``degraded`` (errors,
    timeouts or slow answers above the poller's thresholds) or ``down`` (no
    answer for the interval).  Counts are for the interval; ``rtt_ms`` the
    median response time of the answers in it; ``last_good`` the time of the
    device's last good answer, ever (None if it never answered).
    """

    time: float
    asset_ip: str
    state: str
    requests: int
    errors: int
    timeouts: int
    rtt_ms: float | None
    last_good: float | None
    evidence: Evidence
    protocol: str = ""


Observation = (
    AssetSeen
    | Identity
    | Communication
    | Operation
    | ValueWritten
    | ParseAnomaly
    | TagSample
    | DeviceHealth
)
"""Everything that may cross from sources to consumers."""
