"""The packet walker: frames in; hosts, flows, whole PDUs and datagrams out.

The sensing layer registers what it wants (``register_tcp``/``register_udp``
per server port with a framer and a handler factory, ``register_ethertype``,
``on_host``, ``on_traffic``); the walker decodes link/IP/TCP/UDP, keeps the
flow table, reassembles TCP streams and calls them (see
``otm.capture.interfaces`` for the contract).  It never raises on a frame:
broken headers are counted by kind in ``WalkStats.malformed``.

Flows
    TCP connections are keyed by (src IP, dst IP, src port, dst port[, VLAN]),
    one table entry per direction, both pointing at the same connection.  The
    client is the side that sent a SYN without ACK; if the SYN/ACK is the
    first packet seen, the other side; if the connection was caught mid-stream,
    the side not on a registered server port (both registered, or neither:
    the lower port is the server's).  A SYN without ACK with a new initial
    sequence number starts a new connection (port reuse), whether the old one
    was closed or not; the same SYN again is a retransmission.  UDP
    conversations are keyed the same way; the server is the side on the
    registered port (by the same rule when both or neither are; equal
    ports: the first sender is the client).  Every TCP/UDP flow, registered or
    not, is counted and reported once to the traffic handler, when it ends:
    idle timeout, linger after close, flow cap, a new connection on the same
    4-tuple, or ``finish()``.  ``octets`` are captured frame lengths (the
    length on the wire unless the capture cut frames at a snaplen); a
    fragmented datagram counts each of its frames.  The report also says
    whether each end sent anything (its half's packet count, read at report
    time): a UDP server that never did only received (a scan's probes).

Stream reassembly (per direction of a connection on a registered port)
    Bytes are delivered in sequence order (arithmetic modulo 2^32, so the
    sequence space may wrap).  Retransmitted bytes are dropped.  Segments
    ahead of the next expected byte wait in a small queue until the hole is
    filled.  The hole is declared lost (``on_gap`` with the byte count,
    partial PDU discarded) as soon as the receiver's ACK covers bytes the
    capture never saw (they were delivered, the sensor just missed them), or
    when the queue exceeds its bounds, or when the flow ends.  After a gap,
    a mid-stream start, or bytes the framer called INVALID (``on_invalid``),
    the stream resynchronises at the next segment whose first bytes the
    framer accepts.

Probes (``register_tcp_probe``)
    For protocols recognised at flow level, a connection on a probed server
    port is not reassembled: its probe is shown each payload-bearing segment
    as captured (either direction) until it says it is done or
    ``MAX_PROBE_SEGMENTS`` went by; then the connection costs what an
    unregistered one does.  Probed ports count as registered when the
    walker decides a mid-stream connection's direction.

Heuristics (``register_tcp_heuristic``)
    A connection on a port nobody registered or probes is shown, once, at
    its first payload-bearing segment, to the registered detectors; the
    first that recognises the bytes takes the connection, which is
    reassembled from that segment on as if its port were registered (OPC UA
    servers listen wherever their configuration says).

Hosts
    ``on_host`` is told once per distinct (source MAC, source IP, VLAN) of
    IPv4/IPv6 packets and ARP senders, except source addresses no host can
    own (0.0.0.0/8, multicast, 240/4 and broadcast, ``::``, ff00::/8).  Link
    types without MACs (raw IP, loopback) report the MAC as "".  VLAN is the
    outermost non-zero VID (``otm.capture.link``).

    A device may send nothing an IP host is made of: LLDP, PROFINET DCP
    before it has an address, GOOSE, STP from a switch port, a DHCP
    Discover or an ARP probe from 0.0.0.0.  So ``on_host`` is also told once
    per distinct (source MAC, VLAN) with IP None, a *MAC-only host*, at the
    first frame from that MAC that is not IPv4/IPv6 (ARP included), or whose
    source IP no host can own, unless the MAC was already reported with an
    IP (in any VLAN): the frame's sender is then a known host, and a second
    report would only make detection call one device new twice.  The MAC
    must be one a single device sends from: not a group address (the I/G
    bit: multicast, broadcast) nor all zeros.  A MAC-only host first, the
    same MAC with an IP later: both are reported, and the inventory makes
    one asset of them (it ties an IP to a MAC that is not a router's).
    There is no flow below layer 2 to tell when such a host was last
    active, so the walker keeps the time and frame of its latest frame and
    tells ``on_host_activity`` at each ``checkpoint`` and at ``finish``
    about every MAC-only host active since the previous report.  All this
    costs the fast path nothing (IPv4 only) and a non-IP frame one dict
    look-up keyed by its MAC (by (MAC, VLAN) when tagged), which also
    answers "known by its IP" and "not a device's MAC": 1.56 -> 1.61 µs a
    frame for the walk of 250,000 PROFINET RT, GOOSE, LLDP and STP frames of
    32 senders (CPU time, best of 40 runs on the 2-core dev machine), no
    difference within noise on ``bench/capture_walk.py`` and
    ``bench/passive.py`` (0.5 % of its frames are not IP).

Bounds (packet time, never the wall clock, so a replay is identical)
    ``MAX_FLOWS`` TCP+UDP flows (beyond it the least recently active eighth is
    evicted), ``TCP_IDLE_TIMEOUT``/``UDP_IDLE_TIMEOUT`` of silence ends a
    flow, ``CLOSED_LINGER`` keeps a finished connection to absorb its last
    ACKs, per-direction ``MAX_BUFFER`` bytes and ``MAX_OOO_SEGMENTS``
    segments, ``MAX_PDU`` per PDU, ``MAX_HOSTS`` remembered hosts.  Timeouts
    are checked every ``SWEEP_FRAMES`` frames.

Speed
    This is otm's hot path.  The walk loop (``_run``) first tries one
    ``struct`` unpack covering Ethernet (untagged, or one 802.1Q tag) +
    IPv4 (20-byte header) + TCP/UDP, looks the flow up by one slice of the
    frame, and, for a segment on a known connection whose payload is exactly
    one whole PDU at the expected sequence number with nothing buffered,
    calls the framer on the frame itself and hands the handler one slice.
    Everything else (QinQ, IPv6, IP options, fragments, new flows, SYN/FIN/
    RST, partial or several PDUs, holes) takes the general path, about 4x
    slower per packet.  Per-flow state is in ``__slots__`` objects; address
    strings are cached; the fast path counts only into the flow (``stats``
    adds the totals up).  Measured with ``bench/capture_walk.py`` (250,000
    frames of Modbus/TCP and EtherNet/IP polling, Python framers and null
    handlers, CPython 3.11 on the 2-core dev machine): reading ~0.55 µs, walk
    ~1.4-1.5 µs, read + walk ~2.0 µs a packet (~500,000 packets/s); the same
    traffic behind an 802.1Q tag ~1.8 µs for the walk; memory flat (20 MiB
    peak for 20,000 or 250,000 frames).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import islice
from typing import Final

from otm.capture.interfaces import (
    DatagramFactory,
    DatagramHandler,
    EthernetHandler,
    FlowKey,
    Framer,
    HostHandler,
    ProbeFactory,
    ProbeHandler,
    StreamFactory,
    StreamHandler,
    TrafficHandler,
)
from otm.capture.ip import (
    IpError,
    IpHeader,
    Ipv4Reassembler,
    can_be_host,
    decode_ipv4,
    decode_ipv6,
    ip_str,
)
from otm.capture.link import (
    ETHERTYPE_ARP,
    ETHERTYPE_IPV4,
    ETHERTYPE_IPV6,
    LinkError,
    decode_link,
    mac_str,
)

OnPdu = Callable[[bytes, bool, int, float], None]

Detector = Callable[[bytes], bool]
"""``detect(first_payload)``: does this connection carry the protocol?"""

Progress = Callable[[int, int], None]
"""progress(bytes_done, bytes_total), called every ``SWEEP_FRAMES`` frames."""

MAX_PROBE_SEGMENTS: Final = 8
"""Payload-bearing segments of a probed connection shown to its probe: the
protocols recognised at flow level declare themselves in their first one or
two messages; a handful covers a lost or reordered first segment."""

MAX_FLOWS: Final = 100_000
"""TCP connections plus UDP conversations tracked at once.  A plant network
of a few thousand hosts holds at most tens of thousands of live
conversations; a flow costs about 1.4 KiB here (measured with tracemalloc,
its hosts and address strings included), so this caps flow state near
140 MiB on a laptop.  Beyond it (scans, floods) the least recently active
eighth of the flows is ended and reported."""

TCP_IDLE_TIMEOUT: Final = 600.0
"""Seconds of packet time without a packet after which a TCP connection is
ended (its FIN/RST was not captured).  Pollers talk every few seconds; 10
minutes keeps slow HMIs' connections whole while freeing dead ones."""

UDP_IDLE_TIMEOUT: Final = 120.0
"""Seconds of silence that end a UDP conversation (UDP has no close)."""

CLOSED_LINGER: Final = 10.0
"""Seconds a closed connection stays in the table so that its trailing ACKs
and retransmitted FINs count with it instead of opening a phantom flow."""

SWEEP_FRAMES: Final = 16_384
"""Frames between two looks at the clock for timeouts (cheap amortised), and
between two progress calls in ``walk``: after each frame whose number is a
multiple of this, so ``walk`` and ``feed`` give the same results."""

SWEEP_INTERVAL: Final = 10.0
"""Seconds of packet time between two sweeps of the flow table."""

MAX_PDU: Final = 65_600
"""Largest PDU length a framer may declare before it counts as INVALID.
Industrial PDUs are at most a few KiB (Modbus/TCP ADU 260 bytes, a CIP Large
Forward_Open ~4 KiB, S7 PDU 960 bytes), but their 16-bit length fields allow
up to 65,559 (EtherNet/IP: 24-byte header + 65,535), which must still fit."""

MAX_BUFFER: Final = 96 * 1024
"""Bytes one direction may hold (partial PDU + out-of-order segments): one
maximal PDU plus the segments around it.  Beyond it the oldest hole is
declared lost."""

MAX_OOO_SEGMENTS: Final = 16
"""Out-of-order segments held per direction.  Reordering on a SPAN port spans
a few segments; a hole that 16 later segments have not filled will not be
(the receiver's ACKs usually tell sooner)."""

MAX_HOSTS: Final = 1 << 20
"""Distinct (MAC, IP, VLAN) remembered for ``on_host``, and as many MAC-only
(MAC, VLAN); past it (spoofed sources) the memory restarts and hosts may be
reported again."""

_SEQ: Final = 0xFFFFFFFF
_HALF: Final = 0x80000000

_FIN: Final = 0x01
_SYN: Final = 0x02
_RST: Final = 0x04
_ACK: Final = 0x10

# Ethernet (no tag) + IPv4 (IHL 5) + the first 14 bytes of TCP, or UDP + 6:
# src MAC + EtherType as one u64, ver/ihl, total length, flags/fragment,
# protocol, (ports skipped: the key slice holds them), seq, ack, data offset,
# flags.  For UDP, ``seq >> 16`` is the UDP length.
_FAST = struct.Struct("!6xQBxH2xHxB14xIIBB").unpack_from
# The same behind one 802.1Q tag: src MAC + TPID 0x8100 as one u64, TCI, inner
# EtherType, then as above 4 bytes further.
_FAST_VLAN = struct.Struct("!6xQHHBxH2xHxB14xIIBB").unpack_from
_TCP = struct.Struct("!HHIIBB").unpack_from
_UDP = struct.Struct("!HHH").unpack_from
_ARP = struct.Struct("!HHBBH6s4s").unpack_from
_VLAN_KEY = [v.to_bytes(2, "big") for v in range(4096)]

_NULL_MAC: Final = bytes(6)
"""The all-zero MAC: loopback captures and broken stacks, no device's own."""

_L2Key = bytes | tuple[bytes, int]
"""A MAC-only host's key: its MAC, or (MAC, VLAN) when tagged."""

_NOT_A_HOST: Final[list[float]] = []
"""``PacketWalker._l2``'s mark of a MAC heard on layer 2 that is no MAC-only
host (empty, so false: the per-frame test is a truth test)."""

_UNSEEN: Final = b"?"
"""A MAC no frame has (not 6 bytes, not None): the side has not sent yet."""

Segment = tuple[int, bytes, int, float]
"""An out-of-order segment: (seq, payload, frame, ts)."""


@dataclass(slots=True)
class WalkStats:
    """What the walker saw.

    ``frames``/``bytes``: every frame fed (captured lengths).  ``non_ip``:
    frames that are neither IPv4 nor IPv6 (ARP, LLDP, PROFINET ...), of which
    ``arp``.  ``fragments``: IP fragments seen; ``reassembled``: IPv4
    datagrams rebuilt; ``fragments_dropped``: pending datagrams given up
    (timeout, bounds, invalid fragment, end of capture).  ``ip_truncated``:
    packets the capture cut short (snaplen).  ``flows``, ``tcp_flows``,
    ``udp_flows``: flows created; ``flows_evicted``: ended by the flow cap.
    ``hosts``: distinct (MAC, IP, VLAN) reported, MAC-only hosts (IP None)
    included.  ``retransmissions``,
    ``out_of_order``: segments already seen / held ahead of a hole;
    ``gaps``/``gap_bytes``: holes declared lost; ``invalid``: byte runs the
    framers rejected.  ``malformed``: broken headers by kind (``LinkError``
    and ``IpError`` values, ``tcp_bad_header``, ``tcp_truncated``,
    ``udp_bad_header``, ``udp_truncated``, ``udp_bad_length``,
    ``arp_truncated``).
    """

    frames: int = 0
    bytes: int = 0
    non_ip: int = 0
    arp: int = 0
    fragments: int = 0
    reassembled: int = 0
    fragments_dropped: int = 0
    ip_truncated: int = 0
    flows: int = 0
    tcp_flows: int = 0
    udp_flows: int = 0
    flows_evicted: int = 0
    hosts: int = 0
    retransmissions: int = 0
    out_of_order: int = 0
    gaps: int = 0
    gap_bytes: int = 0
    invalid: int = 0
    malformed: dict[str, int] = field(default_factory=dict)


class _Adopt:
    """Probe marker: a connection on an unregistered port, to be shown to the
    heuristics once (``PacketWalker._adopt``)."""

    def on_payload(self, payload: bytes, from_client: bool, frame: int, ts: float) -> bool:
        return True


_ADOPT: Final = _Adopt()


class _TcpFlow:
    __slots__ = (
        "client",
        "closed",
        "first_frame",
        "first_ts",
        "handler",
        "key",
        "probed",
        "reported",
        "server",
    )

    def __init__(self, key: FlowKey, handler: StreamHandler | None, ts: float, frame: int) -> None:
        self.key = key
        self.handler = handler
        self.probed = 0  # payloads handed to a probe
        self.reported = (0, 0)  # packets, octets told at checkpoints
        self.first_ts = ts
        self.first_frame = frame
        self.closed = False
        self.client: _TcpHalf
        self.server: _TcpHalf


class _TcpHalf:
    """One direction of a connection: the bytes one side sends."""

    __slots__ = (
        "buf",
        "dkey",
        "fast",
        "fin",
        "flow",
        "framer",
        "from_client",
        "handler",
        "isn",
        "last_ts",
        "mac",
        "macq",
        "nxt",
        "octets",
        "on_pdu",
        "ooo",
        "ooo_bytes",
        "packets",
        "peer",
        "probe",
        "src_ip",
        "sync",
    )

    def __init__(
        self,
        flow: _TcpFlow,
        from_client: bool,
        src_ip: bytes,
        dkey: bytes,
        framer: Framer | None,
        handler: StreamHandler | None,
        ts: float,
    ) -> None:
        self.flow = flow
        self.from_client = from_client
        self.src_ip = src_ip
        self.dkey = dkey
        self.framer = framer if handler is not None else None
        self.handler = handler
        self.on_pdu = handler.on_pdu if handler is not None else None
        self.probe: ProbeHandler | None = None
        self.mac: bytes | None = _UNSEEN
        self.macq = -1  # src MAC << 16 | 0x0800, for the fast path's compare
        self.nxt = -1  # next expected sequence number; -1: none seen yet
        self.fast = -1  # == nxt when the fast path may deliver, else -1
        self.sync = False  # at a PDU boundary (or inside a known PDU)
        self.buf = b""  # bytes of a PDU not yet complete
        self.ooo: list[Segment] | None = None
        self.ooo_bytes = 0
        self.isn = -1
        self.fin = False
        self.packets = 0
        self.octets = 0
        self.last_ts = ts
        self.peer: _TcpHalf


class _UdpConv:
    __slots__ = ("client", "first_frame", "first_ts", "key", "reported", "server")

    def __init__(self, key: FlowKey, ts: float, frame: int) -> None:
        self.key = key
        self.first_ts = ts
        self.first_frame = frame
        self.reported = (0, 0)  # packets, octets told at checkpoints
        self.client: _UdpHalf
        self.server: _UdpHalf


class _UdpHalf:
    __slots__ = (
        "conv",
        "dkey",
        "from_client",
        "handler",
        "last_ts",
        "mac",
        "macq",
        "octets",
        "packets",
        "src_ip",
    )

    def __init__(
        self,
        conv: _UdpConv,
        from_client: bool,
        src_ip: bytes,
        dkey: bytes,
        handler: DatagramHandler | None,
        ts: float,
    ) -> None:
        self.conv = conv
        self.from_client = from_client
        self.src_ip = src_ip
        self.dkey = dkey
        self.handler = handler
        self.mac: bytes | None = _UNSEEN
        self.macq = -1
        self.packets = 0
        self.octets = 0
        self.last_ts = ts


def _macq(mac: bytes | None, vlan: int | None) -> int:
    """The fast path's view of a source MAC: MAC << 16 | the EtherType that
    follows it (IPv4, or 802.1Q for a flow on a VLAN)."""
    if not mac:
        return -1
    return (int.from_bytes(mac, "big") << 16) | (ETHERTYPE_IPV4 if vlan is None else 0x8100)


class PacketWalker:
    """Decodes frames and drives the registered handlers; see the module docstring."""

    def __init__(
        self,
        max_flows: int = MAX_FLOWS,
        tcp_idle_timeout: float = TCP_IDLE_TIMEOUT,
        udp_idle_timeout: float = UDP_IDLE_TIMEOUT,
        reassembler: Ipv4Reassembler | None = None,
    ) -> None:
        self.max_flows = max_flows
        self.tcp_idle_timeout = tcp_idle_timeout
        self.udp_idle_timeout = udp_idle_timeout
        self._tcp_ports: dict[int, tuple[str, Framer, StreamFactory]] = {}
        self._tcp_probes: dict[int, tuple[str, ProbeFactory]] = {}
        self._tcp_heuristics: list[tuple[str, Detector, Framer, StreamFactory]] = []
        self._udp_ports: dict[int, tuple[str, DatagramFactory]] = {}
        self._ethertypes: dict[int, list[EthernetHandler]] = {}
        self._ethertype_names: dict[int, list[str]] = {}
        self._host_handler: HostHandler | None = None
        self._activity_handler: HostHandler | None = None
        self._traffic_handler: TrafficHandler | None = None
        self._tcp: dict[bytes, _TcpHalf] = {}
        self._udp: dict[bytes, _UdpHalf] = {}
        self._hosts: set[tuple[bytes | None, bytes, int | None]] = set()
        # MACs reported with an IP; the MACs of the frames that show no host IP
        # (keyed by the MAC alone when untagged, by (MAC, VLAN) when tagged:
        # no tuple to build for most frames) -> [time and frame of its latest
        # frame, time told to on_host_activity] for a MAC-only host,
        # _NOT_A_HOST for a MAC that is none (known by its IP first, a group or
        # the all-zero MAC): one look-up a frame either way.
        self._ip_macs: set[bytes] = set()
        self._l2: dict[_L2Key, list[float]] = {}
        self._frag = reassembler if reassembler is not None else Ipv4Reassembler()
        self._holes = 0  # directions with out-of-order segments waiting
        self._flows = 0  # live TCP + UDP flows
        # Frames and bytes: the general path counts its frames here; the fast
        # path only counts into the flow's halves (one add less per packet),
        # so totals are reconstructed in ``stats``.
        self._frames = 0
        self._bytes = 0
        self._slow_flow_packets = 0
        self._slow_flow_octets = 0
        self._ended_packets = 0
        self._ended_octets = 0
        self._now = float("-inf")  # packet time as of the last sweep
        self._last_ts = float("-inf")  # time stamp of the last frame walked
        self._next_sweep = float("-inf")
        self._frag_cleared = 0
        self._s = WalkStats()

    # -- registration ---------------------------------------------------------

    def register_tcp(self, port: int, name: str, framer: Framer, factory: StreamFactory) -> None:
        """Reassemble TCP connections whose server port is ``port`` with ``framer``."""
        if port in self._tcp_ports:
            raise ValueError(f"TCP port {port} is already registered ({self._tcp_ports[port][0]})")
        self._tcp_ports[port] = (name, framer, factory)

    def register_tcp_probe(self, port: int, name: str, factory: ProbeFactory) -> None:
        """Show the first payloads of TCP connections whose server port is ``port``
        to probes made by ``factory`` (no reassembly; a reassembled port wins)."""
        if port in self._tcp_probes:
            raise ValueError(f"TCP port {port} is already probed ({self._tcp_probes[port][0]})")
        self._tcp_probes[port] = (name, factory)

    def register_tcp_heuristic(
        self, name: str, detect: Detector, framer: Framer, factory: StreamFactory
    ) -> None:
        """Reassemble a connection on any other port whose first payload
        ``detect`` recognises (OPC UA's Hello, whatever port the server chose)."""
        self._tcp_heuristics.append((name, detect, framer, factory))

    def register_udp(self, port: int, name: str, factory: DatagramFactory) -> None:
        """Deliver UDP datagrams to or from ``port`` to handlers made by ``factory``."""
        if port in self._udp_ports:
            raise ValueError(f"UDP port {port} is already registered ({self._udp_ports[port][0]})")
        self._udp_ports[port] = (name, factory)

    def register_ethertype(self, ethertype: int, handler: EthernetHandler, name: str = "") -> None:
        """Give frames of ``ethertype`` (after VLAN tags) to ``handler`` (several allowed)."""
        self._ethertypes.setdefault(ethertype, []).append(handler)
        if name:
            self._ethertype_names.setdefault(ethertype, []).append(name)

    def registrations(self) -> list[tuple[str, str, int]]:
        """What is registered, as (name, kind, number) sorted: kind is ``tcp``,
        ``tcp-probe``, ``udp`` (a port) or ``ethertype`` (named "" when the
        handler was registered without a name)."""
        out = [(name, "tcp", port) for port, (name, _, _) in self._tcp_ports.items()]
        out += [(name, "tcp-probe", port) for port, (name, _) in self._tcp_probes.items()]
        out += [(name, "udp", port) for port, (name, _) in self._udp_ports.items()]
        for et in self._ethertypes:
            out += [(name, "ethertype", et) for name in self._ethertype_names.get(et, [""])]
        return sorted(out)

    def on_host(self, handler: HostHandler) -> None:
        """Set the handler told about each distinct (MAC, IP, VLAN) source."""
        self._host_handler = handler

    def on_host_activity(self, handler: HostHandler) -> None:
        """Set the handler told, at each ``checkpoint`` and at ``finish``, the
        latest frame of every MAC-only host active since the previous report
        (IP None; see "Hosts" in the module docstring)."""
        self._activity_handler = handler

    def on_traffic(self, handler: TrafficHandler) -> None:
        """Set the handler told each flow's totals when it ends."""
        self._traffic_handler = handler

    # -- driving ----------------------------------------------------------------

    @property
    def stats(self) -> WalkStats:
        """A snapshot of the counters."""
        s, frag = self._s, self._frag
        packets, octets = self._ended_packets, self._ended_octets
        for half in self._tcp.values():
            packets += half.packets
            octets += half.octets
        for uhalf in self._udp.values():
            packets += uhalf.packets
            octets += uhalf.octets
        return replace(
            s,
            frames=self._frames + packets - self._slow_flow_packets,
            bytes=self._bytes + octets - self._slow_flow_octets,
            flows=s.tcp_flows + s.udp_flows,
            hosts=len(self._hosts) + sum(bool(seen) for seen in self._l2.values()),
            reassembled=frag.completed,
            fragments_dropped=self._frag_cleared + frag.expired + frag.dropped + frag.invalid,
            malformed=dict(s.malformed),
        )

    def walk(
        self, frames: Iterable[tuple[int, float, int, bytes]], progress: Progress | None = None
    ) -> None:
        """Walk every frame, then ``finish``.  ``progress`` is called with the
        reader's ``bytes_read`` and ``size`` when ``frames`` has them."""
        it = iter(frames)
        track = progress is not None and hasattr(frames, "bytes_read") and hasattr(frames, "size")
        while (last := self._run(it)) is not None:
            if not last[0] % SWEEP_FRAMES:
                self._maintain(last[1])
            if track and progress is not None:
                progress(int(getattr(frames, "bytes_read", 0)), int(getattr(frames, "size", 0)))
        self.finish()

    def advance(self, frames: Iterable[tuple[int, float, int, bytes]]) -> None:
        """Walk frames without ending the flows (a live capture: more will
        come; ``checkpoint`` reports, ``finish`` ends)."""
        it = iter(frames)
        while (last := self._run(it)) is not None:
            self._maintain(last[1])  # batches need not end on a SWEEP_FRAMES boundary

    def feed(self, frame_no: int, ts: float, linktype: int, data: bytes) -> None:
        """Walk one frame (``frame_no`` 1-based, ``ts`` in seconds).

        Same result as ``walk`` over the same frames (then call ``finish``);
        ``walk`` is faster (no call per frame)."""
        self._run(iter(((frame_no, ts, linktype, data),)))
        if not frame_no % SWEEP_FRAMES:
            self._maintain(ts)

    def _run(self, frames: Iterator[tuple[int, float, int, bytes]]) -> tuple[int, float] | None:
        """Walk the next ``SWEEP_FRAMES`` frames (fewer at the end); returns the
        last one's number and time stamp, or None when there was none.

        The fast path (see the module docstring) is written out here, in the
        loop, because a function call per frame costs more than the whole
        lookup: keep its conditions in this order.  ``q == half.macq`` checks
        source MAC and EtherType 0x0800 at once; when it fails (new MAC,
        another EtherType, a VLAN tag) the general path decides.
        """
        tcp_get = self._tcp.get
        udp_get = self._udp.get
        slow = self._slow
        frame_no: int | None = None
        ts = 0.0
        for frame_no, ts, linktype, data in islice(frames, SWEEP_FRAMES):
            dlen = len(data)
            if linktype == 1 and dlen >= 54:
                q, vihl, total, frag, proto, seq, ack, offb, flags = _FAST(data, 0)
                if vihl == 0x45 and not frag & 0x3FFF:  # untagged IPv4 (if q says so)
                    l3 = 14
                    key = data[26:38]
                elif q & 0xFFFF == 0x8100 and dlen >= 58:  # one 802.1Q tag, VID > 0
                    q, tci, inner, vihl, total, frag, proto, seq, ack, offb, flags = _FAST_VLAN(
                        data, 0
                    )
                    if inner != ETHERTYPE_IPV4 or vihl != 0x45 or frag & 0x3FFF or not tci & 0xFFF:
                        slow(frame_no, ts, linktype, data, dlen)
                        continue
                    l3 = 18
                    key = data[30:42] + _VLAN_KEY[tci & 0xFFF]
                else:
                    slow(frame_no, ts, linktype, data, dlen)
                    continue
                end = l3 + total
                if proto == 6:
                    half = tcp_get(key)
                    if half is not None and q == half.macq and flags & 0x17 == _ACK:
                        poff = l3 + 20 + ((offb >> 2) & 0x3C)
                        if l3 + 40 <= poff <= end <= dlen:
                            half.packets += 1
                            half.octets += dlen
                            half.last_ts = ts
                            if self._holes and half.peer.ooo:
                                self._ack_check(half.peer, ack, frame_no, ts)
                            if poff < end:
                                if seq == half.fast and end == dlen:
                                    framer: Framer = half.framer  # type: ignore[assignment]
                                    n = framer(data, poff)
                                    if n == end - poff:
                                        half.fast = half.nxt = (seq + n) & _SEQ
                                        on_pdu: OnPdu = half.on_pdu  # type: ignore[assignment]
                                        on_pdu(data[poff:end], half.from_client, frame_no, ts)
                                        continue
                                if half.framer is not None:
                                    self._tcp_data(half, seq, data[poff:end], frame_no, ts)
                                elif half.probe is not None:
                                    self._probe(half, seq, data[poff:end], frame_no, ts)
                            continue
                elif proto == 17:
                    conv = udp_get(key)
                    if conv is not None and q == conv.macq:
                        ulen = seq >> 16
                        if ulen >= 8 and l3 + 20 + ulen <= end <= dlen:
                            conv.packets += 1
                            conv.octets += dlen
                            conv.last_ts = ts
                            if conv.handler is not None:
                                conv.handler.on_datagram(
                                    data[l3 + 28 : l3 + 20 + ulen], conv.from_client, frame_no, ts
                                )
                            continue
            slow(frame_no, ts, linktype, data, dlen)
        if frame_no is None:
            return None
        self._last_ts = ts
        return frame_no, ts

    def finish(self, ts: float | None = None) -> None:
        """End of capture: flush every flow (gaps, on_close, traffic) at ``ts``
        (default: the last frame's time stamp)."""
        now = max(self._now, self._last_ts) if ts is None else ts
        if now == float("-inf"):
            now = 0.0
        for half in list(self._tcp.values()):
            if half is half.flow.client:
                self._end_tcp(half.flow, now)
        for uhalf in list(self._udp.values()):
            if uhalf is uhalf.conv.client:
                self._end_udp(uhalf.conv)
        self._frag_cleared += self._frag.clear()
        self._l2_activity()

    # -- general path -------------------------------------------------------------

    def _bad(self, kind: str) -> None:
        m = self._s.malformed
        m[kind] = m.get(kind, 0) + 1

    def _maintain(self, ts: float) -> None:
        self._now = max(self._now, ts)
        if self._now >= self._next_sweep:
            self._next_sweep = self._now + SWEEP_INTERVAL
            self._sweep(self._now)

    def _sweep(self, now: float) -> None:
        """End flows idle past their timeout, and closed ones past the linger."""
        tcp_limit = now - self.tcp_idle_timeout
        closed_limit = now - CLOSED_LINGER
        udp_limit = now - self.udp_idle_timeout
        stale_tcp = []
        for half in self._tcp.values():
            flow = half.flow
            if half is not flow.client:
                continue
            last = max(half.last_ts, flow.server.last_ts)
            if last < tcp_limit or (flow.closed and last < closed_limit):
                stale_tcp.append(flow)
        for flow in stale_tcp:
            self._end_tcp(flow, now)
        stale_udp = []
        for uhalf in self._udp.values():
            conv = uhalf.conv
            if uhalf is conv.client and max(uhalf.last_ts, conv.server.last_ts) < udp_limit:
                stale_udp.append(conv)
        for conv in stale_udp:
            self._end_udp(conv)

    def _make_room(self, now: float) -> None:
        """At the flow cap: end the least recently active eighth of the flows."""
        ranked: list[tuple[float, int, _TcpFlow | _UdpConv]] = []
        for i, half in enumerate(self._tcp.values()):
            if half is half.flow.client:
                ranked.append((max(half.last_ts, half.flow.server.last_ts), i, half.flow))
        base = len(self._tcp)
        for i, uhalf in enumerate(self._udp.values()):
            if uhalf is uhalf.conv.client:
                ranked.append((max(uhalf.last_ts, uhalf.conv.server.last_ts), base + i, uhalf.conv))
        ranked.sort(key=lambda r: (r[0], r[1]))
        for _, _, flow in ranked[: max(1, len(ranked) // 8)]:
            self._s.flows_evicted += 1
            if isinstance(flow, _TcpFlow):
                self._end_tcp(flow, now)
            else:
                self._end_udp(flow)

    def _slow(self, frame_no: int, ts: float, linktype: int, data: bytes, dlen: int) -> None:
        self._frames += 1
        self._bytes += dlen
        link = decode_link(linktype, data)
        if isinstance(link, LinkError):
            self._bad(link.value)
            return
        ethertype, off, src_mac, dst_mac, vlan = link
        ip: IpHeader | IpError
        if ethertype == ETHERTYPE_IPV4:
            ip = decode_ipv4(data, off)
        elif ethertype == ETHERTYPE_IPV6:
            ip = decode_ipv6(data, off)
        else:
            self._s.non_ip += 1
            if ethertype == ETHERTYPE_ARP:
                self._arp(data, off, vlan, frame_no, ts)
            if src_mac is not None:  # _l2_host written out: PROFINET RT, GOOSE run at kHz
                seen = self._l2.get(src_mac if vlan is None else (src_mac, vlan))
                if seen:
                    seen[0] = ts
                    seen[1] = frame_no
                elif seen is None:
                    self._l2_host(src_mac, vlan, frame_no, ts)
            handlers = self._ethertypes.get(ethertype)
            if handlers:
                src = mac_str(src_mac) if src_mac else ""
                dst = mac_str(dst_mac) if dst_mac else ""
                payload = data[off:]
                for handler in handlers:
                    handler(payload, src, dst, vlan, frame_no, ts)
            return
        if isinstance(ip, IpError):
            self._bad(ip.value)
            return
        if ip.truncated:
            self._s.ip_truncated += 1
        proto = ip.proto
        if ip.more or ip.frag_offset:
            self._s.fragments += 1
            self._host(src_mac, ip.src, vlan, frame_no, ts)
            if ethertype == ETHERTYPE_IPV4 and proto in (6, 17) and not ip.truncated:
                done = self._frag.add(
                    (ip.src, ip.dst, proto, ip.ident, vlan),
                    ip.frag_offset,
                    ip.more,
                    data[ip.offset : ip.end],
                    ts,
                    dlen,
                )
                if done is not None:
                    whole = done.payload
                    self._l4(
                        proto, whole, 0, len(whole), ip, src_mac, dst_mac, vlan,
                        frame_no, ts, done.wire_bytes, done.fragments,
                    )  # fmt: skip
            return
        if proto in (6, 17):
            self._l4(
                proto, data, ip.offset, ip.end, ip, src_mac, dst_mac, vlan, frame_no, ts, dlen, 1
            )
        else:
            self._host(src_mac, ip.src, vlan, frame_no, ts)

    def _arp(self, data: bytes, off: int, vlan: int | None, frame_no: int, ts: float) -> None:
        """ARP (RFC 826) for Ethernet/IPv4: htype 2 | ptype 2 | hlen 1 | plen 1 |
        op 2 | sender MAC 6 | sender IP 4 | target MAC 6 | target IP 4."""
        self._s.arp += 1
        if off + 28 > len(data):
            self._bad("arp_truncated")
            return
        htype, ptype, hlen, plen, _op, sha, spa = _ARP(data, off)
        if htype == 1 and ptype == ETHERTYPE_IPV4 and hlen == 6 and plen == 4:
            self._host(sha, spa, vlan, frame_no, ts)

    def _host(
        self, mac: bytes | None, ip: bytes, vlan: int | None, frame_no: int, ts: float
    ) -> None:
        handler = self._host_handler
        if handler is None:
            return
        if not can_be_host(ip):
            if mac:  # a DHCP Discover, IPv6 DAD, a broken stack: still a device
                self._l2_host(mac, vlan, frame_no, ts)
            return
        key = (mac, ip, vlan)
        hosts = self._hosts
        if key in hosts:
            return
        if len(hosts) >= MAX_HOSTS:
            hosts.clear()
            self._ip_macs.clear()
        hosts.add(key)
        if mac:
            self._ip_macs.add(mac)
        handler(mac_str(mac) if mac else "", ip_str(ip), vlan, frame_no, ts)

    def _l2_host(self, mac: bytes, vlan: int | None, frame_no: int, ts: float) -> None:
        """A frame from ``mac`` that shows no host IP: a MAC-only host unless
        the MAC was reported with an IP or is no device's own (see "Hosts")."""
        key: _L2Key = mac if vlan is None else (mac, vlan)
        l2 = self._l2
        seen = l2.get(key)
        if seen is not None:
            if seen:
                seen[0], seen[1] = ts, frame_no
            return
        if len(l2) >= MAX_HOSTS:
            l2.clear()
        handler = self._host_handler
        if handler is None or mac in self._ip_macs or mac[0] & 0x01 or mac == _NULL_MAC:
            l2[key] = _NOT_A_HOST
            return
        l2[key] = [ts, frame_no, ts]
        handler(mac_str(mac), None, vlan, frame_no, ts)

    def _l2_activity(self) -> None:
        """Tell ``on_host_activity`` the latest frame of each MAC-only host
        active since the previous report."""
        handler = self._activity_handler
        if handler is None:
            return
        for key, seen in self._l2.items():
            if seen and seen[0] > seen[2]:
                mac, vlan = (key, None) if isinstance(key, bytes) else key
                seen[2] = seen[0]
                handler(mac_str(mac), None, vlan, int(seen[1]), seen[0])

    def _mac_changed(
        self, half: _TcpHalf | _UdpHalf, mac: bytes | None, frame_no: int, ts: float
    ) -> None:
        vlan = half.flow.key.vlan if isinstance(half, _TcpHalf) else half.conv.key.vlan
        half.mac = mac
        half.macq = _macq(mac, vlan)
        self._host(mac, half.src_ip, vlan, frame_no, ts)

    def _l4(
        self,
        proto: int,
        buf: bytes,
        l4: int,
        end: int,
        ip: IpHeader,
        src_mac: bytes | None,
        dst_mac: bytes | None,
        vlan: int | None,
        frame_no: int,
        ts: float,
        wire: int,
        packets: int,
    ) -> None:
        if proto == 6:
            if end - l4 < 20:
                self._bad("tcp_truncated" if ip.truncated else "tcp_bad_header")
                self._host(src_mac, ip.src, vlan, frame_no, ts)
                return
            sport, dport, seq, ack, offb, flags = _TCP(buf, l4)
            doff = (offb >> 4) * 4
            if doff < 20 or l4 + doff > end:
                self._bad("tcp_truncated" if ip.truncated and doff >= 20 else "tcp_bad_header")
                self._host(src_mac, ip.src, vlan, frame_no, ts)
                return
            key = ip.src + ip.dst + buf[l4 : l4 + 4]
            if vlan is not None:
                key += _VLAN_KEY[vlan]
            half = self._tcp.get(key)
            if half is None or (flags & 0x12 == _SYN and self._new_syn(half, seq)):
                if half is not None:
                    self._end_tcp(half.flow, ts)
                half = self._new_tcp(
                    key, ip, sport, dport, flags, src_mac, dst_mac, vlan, frame_no, ts
                )
            half.packets += packets
            half.octets += wire
            half.last_ts = ts
            self._slow_flow_packets += packets
            self._slow_flow_octets += wire
            if src_mac != half.mac:
                self._mac_changed(half, src_mac, frame_no, ts)
            payload = buf[l4 + doff : end] if not ip.truncated else b""
            self._tcp_segment(half, seq, ack, flags, payload, frame_no, ts)
            return
        if end - l4 < 8:
            self._bad("udp_truncated" if ip.truncated else "udp_bad_header")
            self._host(src_mac, ip.src, vlan, frame_no, ts)
            return
        sport, dport, ulen = _UDP(buf, l4)
        if ulen == 0 and len(ip.src) == 16:  # IPv6 jumbogram: the IP length rules
            ulen = end - l4
        if (ulen < 8 or l4 + ulen > end) and not (ip.truncated and ulen >= 8):
            self._bad("udp_bad_length")
            self._host(src_mac, ip.src, vlan, frame_no, ts)
            return
        key = ip.src + ip.dst + buf[l4 : l4 + 4]
        if vlan is not None:
            key += _VLAN_KEY[vlan]
        conv = self._udp.get(key)
        if conv is None:
            conv = self._new_udp(key, ip, sport, dport, src_mac, dst_mac, vlan, frame_no, ts)
        conv.packets += packets
        conv.octets += wire
        conv.last_ts = ts
        self._slow_flow_packets += packets
        self._slow_flow_octets += wire
        if src_mac != conv.mac:
            self._mac_changed(conv, src_mac, frame_no, ts)
        if conv.handler is not None and not ip.truncated:
            conv.handler.on_datagram(buf[l4 + 8 : l4 + ulen], conv.from_client, frame_no, ts)

    # -- flows ------------------------------------------------------------------------

    @staticmethod
    def _server_is_dst(sreg: bool, dreg: bool, sport: int, dport: int) -> bool:
        """Mid-stream / UDP direction: the registered side is the server; both
        or neither registered: the lower port; equal ports: the receiver."""
        if dreg != sreg:
            return dreg
        return dport <= sport

    @staticmethod
    def _new_syn(half: _TcpHalf, seq: int) -> bool:
        """A SYN without ACK on a known connection: a new connection unless it
        is the client's SYN again with the same initial sequence number (a
        retransmission, also after a RST: the connect() is being retried;
        Wireshark keeps it in the same stream too)."""
        return not half.from_client or half.isn != seq

    def _flow_key(
        self,
        transport: str,
        sender_is_client: bool,
        ip: IpHeader,
        sport: int,
        dport: int,
        src_mac: bytes | None,
        dst_mac: bytes | None,
        vlan: int | None,
    ) -> FlowKey:
        src, dst = ip_str(ip.src), ip_str(ip.dst)
        smac = mac_str(src_mac) if src_mac else ""
        dmac = mac_str(dst_mac) if dst_mac else ""
        if sender_is_client:
            return FlowKey(transport, src, sport, dst, dport, smac, dmac, vlan)
        return FlowKey(transport, dst, dport, src, sport, dmac, smac, vlan)

    def _room(self, now: float) -> None:
        if self._flows >= self.max_flows:
            self._make_room(now)
        self._flows += 1

    def _new_tcp(
        self,
        key: bytes,
        ip: IpHeader,
        sport: int,
        dport: int,
        flags: int,
        src_mac: bytes | None,
        dst_mac: bytes | None,
        vlan: int | None,
        frame_no: int,
        ts: float,
    ) -> _TcpHalf:
        self._room(ts)
        ports = self._tcp_ports
        probes = self._tcp_probes
        if flags & _SYN:
            sender_is_client = not flags & _ACK
        else:
            sender_is_client = self._server_is_dst(
                sport in ports or sport in probes, dport in ports or dport in probes, sport, dport
            )
        server_port, client_port = (dport, sport) if sender_is_client else (sport, dport)
        reg = ports.get(server_port) or ports.get(client_port)
        fkey = self._flow_key("tcp", sender_is_client, ip, sport, dport, src_mac, dst_mac, vlan)
        handler: StreamHandler | None = None
        framer: Framer | None = None
        probe: ProbeHandler | None = None
        if reg is not None:
            framer = reg[1]
            handler = reg[2](fkey, ts, frame_no)
        else:
            preg = probes.get(server_port) or probes.get(client_port) if probes else None
            if preg is not None:
                probe = preg[1](fkey, ts, frame_no)
            elif self._tcp_heuristics:
                probe = _ADOPT
        flow = _TcpFlow(fkey, handler, ts, frame_no)
        rkey = ip.dst + ip.src + dport.to_bytes(2, "big") + sport.to_bytes(2, "big")
        if vlan is not None:
            rkey += _VLAN_KEY[vlan]
        mine = _TcpHalf(flow, sender_is_client, ip.src, key, framer, handler, ts)
        other = _TcpHalf(flow, not sender_is_client, ip.dst, rkey, framer, handler, ts)
        mine.peer, other.peer = other, mine
        mine.probe = other.probe = probe
        flow.client, flow.server = (mine, other) if sender_is_client else (other, mine)
        self._tcp[key] = mine
        self._tcp[rkey] = other
        self._s.tcp_flows += 1
        return mine

    def _new_udp(
        self,
        key: bytes,
        ip: IpHeader,
        sport: int,
        dport: int,
        src_mac: bytes | None,
        dst_mac: bytes | None,
        vlan: int | None,
        frame_no: int,
        ts: float,
    ) -> _UdpHalf:
        self._room(ts)
        ports = self._udp_ports
        sender_is_client = self._server_is_dst(sport in ports, dport in ports, sport, dport)
        server_port, client_port = (dport, sport) if sender_is_client else (sport, dport)
        reg = ports.get(server_port) or ports.get(client_port)
        fkey = self._flow_key("udp", sender_is_client, ip, sport, dport, src_mac, dst_mac, vlan)
        handler = reg[1](fkey, ts, frame_no) if reg is not None else None
        conv = _UdpConv(fkey, ts, frame_no)
        rkey = ip.dst + ip.src + dport.to_bytes(2, "big") + sport.to_bytes(2, "big")
        if vlan is not None:
            rkey += _VLAN_KEY[vlan]
        mine = _UdpHalf(conv, sender_is_client, ip.src, key, handler, ts)
        # A host sending to itself from and to one port: both directions are
        # one key, so one half serves both (two would overwrite each other).
        other = (
            mine if rkey == key else _UdpHalf(conv, not sender_is_client, ip.dst, rkey, handler, ts)
        )
        conv.client, conv.server = (mine, other) if sender_is_client else (other, mine)
        self._udp[key] = mine
        self._udp[rkey] = other
        self._s.udp_flows += 1
        return mine

    def _report(
        self,
        key: FlowKey,
        first_ts: float,
        first_frame: int,
        a: _TcpHalf | _UdpHalf,
        b: _TcpHalf | _UdpHalf,
        reported: tuple[int, int],
        final: bool = True,
    ) -> tuple[int, int]:
        """Tell the traffic handler what the flow carried since ``reported``
        (``a`` the client's half, ``b`` the server's); returns the new
        ``reported`` totals.  Which ends sent anything comes from the halves'
        packet counts here, at report time, so the per-packet path pays
        nothing for it."""
        if b is a:  # a self-addressed UDP conversation has a single half
            b_packets = b_octets = 0
        else:
            b_packets, b_octets = b.packets, b.octets
        packets, octets = a.packets + b_packets, a.octets + b_octets
        if final:
            self._ended_packets += packets
            self._ended_octets += octets
        handler = self._traffic_handler
        if handler is None or packets == reported[0]:
            return reported
        took = handler(
            key,
            first_ts,
            max(a.last_ts, b.last_ts),
            packets - reported[0],
            octets - reported[1],
            first_frame,
            final,
            a.packets > 0,
            # Self-addressed: the host is both ends and answers whatever it sends.
            b.packets > 0,
        )
        return (packets, octets) if took or final else reported

    def checkpoint(self, ts: float | None = None) -> None:
        """Live capture: report every open flow's traffic since the previous
        checkpoint (not ended) and let stream/datagram handlers that have an
        ``on_checkpoint`` hand over their counts."""
        now = max(self._now, self._last_ts) if ts is None else ts
        for half in list(self._tcp.values()):
            flow = half.flow
            if half is flow.client:
                flow.reported = self._report(
                    flow.key, flow.first_ts, flow.first_frame, flow.client, flow.server,
                    flow.reported, final=False,
                )  # fmt: skip
                if flow.handler is not None and not flow.closed:
                    hand_over = getattr(flow.handler, "on_checkpoint", None)
                    if hand_over is not None:
                        hand_over(now)
        for uhalf in list(self._udp.values()):
            conv = uhalf.conv
            if uhalf is conv.client:
                conv.reported = self._report(
                    conv.key, conv.first_ts, conv.first_frame, conv.client, conv.server,
                    conv.reported, final=False,
                )  # fmt: skip
                handler = conv.client.handler or conv.server.handler
                hand_over = getattr(handler, "on_checkpoint", None)
                if hand_over is not None:
                    hand_over(now)
        self._l2_activity()

    def _end_tcp(self, flow: _TcpFlow, ts: float) -> None:
        """Close (if still open), report and forget a connection."""
        if not flow.closed:
            self._close(flow, ts)
        client, server = flow.client, flow.server
        if self._tcp.get(client.dkey) is client:
            del self._tcp[client.dkey]
        if self._tcp.get(server.dkey) is server:
            del self._tcp[server.dkey]
        self._flows -= 1
        self._report(flow.key, flow.first_ts, flow.first_frame, client, server, flow.reported)

    def _end_udp(self, conv: _UdpConv) -> None:
        """Tell the handler, report and forget a conversation."""
        client, server = conv.client, conv.server
        if self._udp.get(client.dkey) is client:
            del self._udp[client.dkey]
        if self._udp.get(server.dkey) is server:
            del self._udp[server.dkey]
        self._flows -= 1
        # Both halves share one handler; tell it once that the conversation ended.
        handler = client.handler or server.handler
        if handler is not None:
            handler.on_close(max(client.last_ts, server.last_ts))
        self._report(conv.key, conv.first_ts, conv.first_frame, client, server, conv.reported)

    def _close(self, flow: _TcpFlow, ts: float, frame_no: int = 0) -> None:
        """FIN both ways, RST, eviction or end of capture: flush holes, tell the handler."""
        for half in (flow.client, flow.server):
            if half.ooo:
                self._flush_holes(half, frame_no or half.ooo[-1][2], ts)
            half.fast = -1
            if half.buf and flow.handler is not None:
                # A PDU the stream never completed: its bytes are dropped, not lost silently.
                self._s.invalid += 1
                flow.handler.on_invalid(half.buf, half.from_client, frame_no, ts)
            half.buf = b""
        flow.closed = True
        if flow.handler is not None:
            flow.handler.on_close(ts)

    def _probe(self, half: _TcpHalf, seq: int, payload: bytes, frame_no: int, ts: float) -> None:
        """Show a payload to the connection's probe; stop when it is done or
        ``MAX_PROBE_SEGMENTS`` went by."""
        probe = half.probe
        if probe is None:
            return
        flow = half.flow
        if probe is _ADOPT:
            self._adopt(half, seq, payload, frame_no, ts)
            return
        flow.probed += 1
        if probe.on_payload(payload, half.from_client, frame_no, ts) or (
            flow.probed >= MAX_PROBE_SEGMENTS
        ):
            flow.client.probe = flow.server.probe = None

    def _adopt(self, half: _TcpHalf, seq: int, payload: bytes, frame_no: int, ts: float) -> None:
        """First payload of a connection on an unregistered port: if a heuristic
        recognises it, reassemble the connection from here on as if its port
        were registered; either way, never look again."""
        flow = half.flow
        flow.client.probe = flow.server.probe = None
        for _name, detect, framer, factory in self._tcp_heuristics:
            if detect(payload):
                handler = factory(flow.key, ts, frame_no)
                flow.handler = handler
                for h in (flow.client, flow.server):
                    h.framer, h.handler, h.on_pdu = framer, handler, handler.on_pdu
                self._tcp_data(half, seq, payload, frame_no, ts)
                return

    # -- TCP reassembly ----------------------------------------------------------------

    def _tcp_segment(
        self,
        half: _TcpHalf,
        seq: int,
        ack: int,
        flags: int,
        payload: bytes,
        frame_no: int,
        ts: float,
    ) -> None:
        """Control flags and data of one segment on a known connection."""
        flow = half.flow
        if flow.closed:
            return
        if flags & _RST:
            self._close(flow, ts, frame_no)
            return
        peer = half.peer
        if self._holes and flags & _ACK and peer.ooo:
            # The peer's bytes this ACK covers come before this segment's.
            self._ack_check(peer, ack, frame_no, ts)
        if flags & _SYN:
            if half.nxt < 0:
                half.isn = seq
                half.nxt = (seq + 1) & _SEQ
                half.sync = True
                if flags & _ACK and peer.nxt < 0:  # SYN missed: the SYN/ACK tells
                    peer.isn = (ack - 1) & _SEQ
                    peer.nxt = ack
                    peer.sync = True
                    self._refresh(peer)
            seq = (seq + 1) & _SEQ
        if payload and half.framer is not None:
            self._tcp_data(half, seq, payload, frame_no, ts)
        else:
            if payload and half.probe is not None:
                self._probe(half, seq, payload, frame_no, ts)
            self._refresh(half)
        if flags & _FIN:
            half.fin = True
            if peer.fin:
                self._close(flow, ts, frame_no)

    def _refresh(self, half: _TcpHalf) -> None:
        """Let the fast path take this direction again only when its state is plain."""
        if half.sync and not half.buf and not half.ooo and half.framer is not None:
            half.fast = half.nxt
        else:
            half.fast = -1

    def _tcp_data(self, half: _TcpHalf, seq: int, payload: bytes, frame_no: int, ts: float) -> None:
        """Place one segment's bytes in the stream of ``half`` (framer known)."""
        if half.flow.closed:
            return
        nxt = half.nxt
        if nxt < 0:  # first bytes seen from this side: a mid-stream start
            if len(payload) == 1:
                # One byte alone before any other: a TCP keep-alive probe (one garbage
                # byte at the sequence number before the next), never the start of a
                # PDU of a framed protocol; the stream starts at the next segment.
                return
            half.nxt = nxt = seq
            half.sync = False
        delta = (seq - nxt) & _SEQ
        if delta:
            if delta < _HALF:
                # Ahead of the stream: wait for the hole to fill (or for the
                # receiver to acknowledge past it: then it is lost).
                self._hold(half, seq, payload, frame_no, ts)
                return
            back = (nxt - seq) & _SEQ
            self._s.retransmissions += 1
            if back >= len(payload):
                return
            payload = payload[back:]
        self._deliver(half, payload, frame_no, ts)
        if half.ooo:
            self._drain(half)
        self._refresh(half)

    def _deliver(self, half: _TcpHalf, payload: bytes, frame_no: int, ts: float) -> None:
        """In-order bytes: cut whole PDUs with the framer, keep the rest."""
        half.nxt = (half.nxt + len(payload)) & _SEQ
        framer = half.framer
        handler = half.handler
        if framer is None or handler is None:
            return
        from_client = half.from_client
        if not half.sync:
            verdict = framer(payload, 0)
            if verdict < 0 or verdict > MAX_PDU:
                self._s.invalid += 1
                handler.on_invalid(payload, from_client, frame_no, ts)
                return
            half.sync = True
        buf = half.buf + payload if half.buf else payload
        size = len(buf)
        pos = 0
        # Each turn consumes at least one byte or leaves: bounded by size.
        while pos < size:
            n = framer(buf, pos)
            if n == 0:
                break
            if n < 0 or n > MAX_PDU:
                self._s.invalid += 1
                handler.on_invalid(buf[pos:], from_client, frame_no, ts)
                half.sync = False
                pos = size
                break
            if pos + n > size:
                break
            handler.on_pdu(buf if n == size else buf[pos : pos + n], from_client, frame_no, ts)
            pos += n
        rest = buf[pos:] if pos else buf
        if len(rest) > MAX_BUFFER:
            self._s.invalid += 1
            handler.on_invalid(rest, from_client, frame_no, ts)
            half.sync = False
            rest = b""
        half.buf = rest

    def _hold(self, half: _TcpHalf, seq: int, payload: bytes, frame_no: int, ts: float) -> None:
        """Keep a segment that arrived ahead of a hole (bounded)."""
        self._s.out_of_order += 1
        if half.ooo is None:
            half.ooo = []
        if not half.ooo:
            self._holes += 1
        half.ooo.append((seq, payload, frame_no, ts))
        half.ooo_bytes += len(payload)
        half.fast = -1
        if len(half.ooo) > MAX_OOO_SEGMENTS or half.ooo_bytes + len(half.buf) > MAX_BUFFER:
            self._flush_holes(half, frame_no, ts, once=True)

    def _first_held(self, half: _TcpHalf) -> Segment:
        nxt = half.nxt
        assert half.ooo
        return min(half.ooo, key=lambda s: (s[0] - nxt) & _SEQ)

    def _gap(self, half: _TcpHalf, missing: int, frame_no: int, ts: float) -> None:
        """``missing`` bytes before the next segment will never be seen."""
        self._s.gaps += 1
        self._s.gap_bytes += missing
        half.nxt = (half.nxt + missing) & _SEQ
        half.buf = b""
        half.sync = False
        if half.handler is not None:
            half.handler.on_gap(half.from_client, frame_no, ts, missing)

    def _flush_holes(self, half: _TcpHalf, frame_no: int, ts: float, once: bool = False) -> None:
        """Declare the hole(s) before held segments lost and deliver what follows
        (only the first hole with ``once``)."""
        # Each turn removes at least one held segment: bounded by the queue.
        while half.ooo:
            first = self._first_held(half)
            missing = (first[0] - half.nxt) & _SEQ
            if 0 < missing < _HALF:
                self._gap(half, missing, frame_no, ts)
            self._drain(half)
            if once:
                break
        self._refresh(half)

    def _ack_check(self, half: _TcpHalf, ack: int, frame_no: int, ts: float) -> None:
        """The receiver acknowledged past holes of ``half``: those are lost."""
        # Each turn empties at least one hole or leaves: bounded by the queue.
        while half.ooo and not half.flow.closed:
            first = self._first_held(half)[0]
            if ((ack - first) & _SEQ) >= _HALF:
                break
            self._flush_holes(half, frame_no, ts, once=True)

    def _drain(self, half: _TcpHalf) -> None:
        """Deliver held segments that now continue the stream."""
        ooo = half.ooo
        if not ooo:
            return
        # Each turn pops one segment or leaves: bounded by MAX_OOO_SEGMENTS.
        while ooo:
            nxt = half.nxt
            pick = -1
            for i, (seq, _, _, _) in enumerate(ooo):
                if ((seq - nxt) & _SEQ) == 0 or ((seq - nxt) & _SEQ) >= _HALF:
                    pick = i
                    break
            if pick < 0:
                break
            seq, payload, frame_no, ts = ooo.pop(pick)
            half.ooo_bytes -= len(payload)
            back = (nxt - seq) & _SEQ
            if back:
                if back >= len(payload):
                    self._s.retransmissions += 1
                    continue
                payload = payload[back:]
            self._deliver(half, payload, frame_no, ts)
        if not ooo:
            self._holes -= 1
            half.ooo_bytes = 0
