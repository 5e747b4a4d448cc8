"""The contract between the capture layer and the passive sensors.

The capture layer walks frames, decodes link/IP/TCP/UDP, keeps the flow table
and reassembles industrial TCP streams; it knows nothing of what a PDU means.
The sensing layer registers, per port or EtherType, a framer and a handler,
and gets whole PDUs (TCP) or datagrams (UDP) or frames (Ethernet) with the
direction already resolved: ``from_client`` is True for bytes sent by the side
that opened the TCP connection (seen SYN), or, when the handshake was not
captured, by the side that is not on the registered server port.

Addresses are handed over as canonical strings: MACs lower-case
``aa:bb:cc:dd:ee:ff``, IPv4 dotted quad, IPv6 compressed (``ipaddress``
form).  Times are packet times in float seconds since the epoch; ``frame`` is
the 1-based frame number in the capture.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

Framer = Callable[[bytes, int], int]
"""``framer(buf, start)`` -> length of the PDU starting at ``start`` as declared
by its header (may be more than is buffered yet), 0 (NEED_DATA) when the
header is incomplete, -1 (INVALID) when the bytes cannot start a PDU."""


@dataclass(frozen=True, slots=True)
class FlowKey:
    """A transport conversation, oriented client -> server."""

    transport: str  # "tcp" | "udp"
    client_ip: str
    client_port: int
    server_ip: str
    server_port: int
    client_mac: str
    server_mac: str
    vlan: int | None


class StreamHandler(Protocol):
    """Receives the reassembled PDUs of one TCP connection (both directions)."""

    def on_pdu(self, pdu: bytes, from_client: bool, frame: int, ts: float) -> None:
        """A whole PDU, as delimited by the framer."""

    def on_gap(self, from_client: bool, frame: int, ts: float, missing: int) -> None:
        """Bytes were lost (not captured); the stream resynchronises after."""

    def on_invalid(self, data: bytes, from_client: bool, frame: int, ts: float) -> None:
        """Bytes that could not be framed are dropped: the framer rejected them, or
        the stream closed before the PDU they start was complete (``frame`` 0
        when the close was not caused by a frame)."""

    def on_close(self, ts: float) -> None:
        """FIN/RST seen in both directions, or end of capture."""

    # Optional: ``on_checkpoint(ts)``, called on open flows at each checkpoint of
    # a live capture, hands over what the handler counted since the last one
    # (a handler without it hands everything over in ``on_close``).


class DatagramHandler(Protocol):
    """Receives UDP payloads of one (client, server) pair."""

    def on_datagram(self, payload: bytes, from_client: bool, frame: int, ts: float) -> None:
        """One UDP payload (after IPv4 reassembly, if it was fragmented)."""

    def on_close(self, ts: float) -> None:
        """The conversation ended (idle timeout, eviction or end of capture)."""


class ProbeHandler(Protocol):
    """Looks at the first payloads of a TCP connection it does not reassemble.

    For protocols recognised at flow level (SSH, RDP, HTTP ...): the walker
    hands over each payload-bearing segment as captured, in either direction,
    until the handler says it has seen enough or ``MAX_PROBE_SEGMENTS`` went
    by; after that the connection costs no more than an unregistered one.
    """

    def on_payload(self, payload: bytes, from_client: bool, frame: int, ts: float) -> bool:
        """One segment's payload; True when the handler needs no more."""


class ProbeFactory(Protocol):
    """Creates the probe of a new TCP connection on a probed port."""

    def __call__(self, key: FlowKey, ts: float, frame: int) -> ProbeHandler: ...


class StreamFactory(Protocol):
    """Creates the handler of a new TCP connection on a registered port."""

    def __call__(self, key: FlowKey, ts: float, frame: int) -> StreamHandler: ...


class DatagramFactory(Protocol):
    """Creates the handler of a new UDP conversation on a registered port."""

    def __call__(self, key: FlowKey, ts: float, frame: int) -> DatagramHandler: ...


class EthernetHandler(Protocol):
    """Receives frames of a registered EtherType (PROFINET, LLDP ...)."""

    def __call__(
        self, payload: bytes, src_mac: str, dst_mac: str, vlan: int | None, frame: int, ts: float
    ) -> None: ...


class HostHandler(Protocol):
    """Told once per distinct (source MAC, source IP, VLAN) seen sending; ``ip``
    None for a MAC-only host (a device heard only on layer 2, see "Hosts" in
    ``otm.capture.walker``).  The walker's ``on_host_activity`` takes the same
    shape, to tell a MAC-only host's latest frame."""

    def __call__(
        self, mac: str, ip: str | None, vlan: int | None, frame: int, ts: float
    ) -> None: ...


class TrafficHandler(Protocol):
    """Told per flow how much it carried (every flow, industrial or not).

    Counts are frames and bytes on the wire in both directions since the
    flow's previous report; the sensing layer decides which flows become
    links (those its sensors confirmed).  A flow is reported once when it
    ends (``final``), and, in a live capture, at every checkpoint while it
    lasts (``final`` False): there the handler returns False to be told the
    same traffic again at the next report (a flow not yet confirmed), True
    when it took it.

    ``client_sent`` and ``server_sent`` say whether each end (as ``key``
    names them) has sent at least one packet of the flow so far: over the
    whole flow, not since the previous report, so once True they stay True.
    A UDP "server" that only received never answered (a scanner's probe to
    a host without the service); on TCP the server's SYN-ACK counts, as does
    any later segment of it.  What that means is the sensing layer's call.
    """

    def __call__(
        self,
        key: FlowKey,
        first_ts: float,
        last_ts: float,
        packets: int,
        octets: int,
        first_frame: int,
        final: bool,
        client_sent: bool,
        server_sent: bool,
    ) -> bool: ...
