"""IT protocols that matter to OT risk -> links, and the identity they carry.

Remote access, file sharing and web traffic reaching a control network is
what detection must see, so these flows become links like the industrial
ones; but otm does not dissect them: a probe on the well-known port looks at
the first payloads of each connection (``otm.protocols.it.signatures``) and
labels the flow only when the bytes confirm the protocol.  While it looks it
keeps what identifies the ends: the SSH identification strings, the VNC
protocol version, the web server's ``Server`` header.

The infrastructure services run on UDP and are read whole (they are few):
DHCP requests name the client (host name, FQDN, vendor class, the option list
that fingerprints its system), NTP answers name the time source and its
stratum, DNS answers give names to addresses.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from otm.capture.interfaces import FlowKey
from otm.capture.walker import PacketWalker
from otm.protocols.common import Anomaly
from otm.protocols.it import dhcp, dns, http, ntp
from otm.protocols.it.signatures import Verdict, classify, ssh_banner, vnc_version
from otm.sensing.aggregate import Tally
from otm.sensing.labels import FlowLabels

TCP_PORTS: tuple[tuple[str, str, tuple[int, ...]], ...] = (
    # (otm protocol name, signature, server ports)
    ("ssh", "ssh", (22,)),
    ("telnet", "telnet", (23,)),
    ("rdp", "rdp", (3389,)),
    ("smb", "smb", (445, 139)),
    ("vnc", "vnc", (5900, 5901, 5902, 5903)),
    ("http", "http", (80, 8080, 8000, 8008, 8081, 8888)),
    ("https", "tls", (443, 8443)),
)
"""Flow-level protocols and the ports where otm looks for them."""

DNS_PORT, NTP_PORT, DHCP_PORT = 53, 123, 67

MAX_DNS_NAMES = 10_000
"""Names taken from DNS answers per capture; a resolver's cache is not an inventory."""


@lru_cache(maxsize=4096)
def _unicast(ip: str) -> bool:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    if addr.is_multicast or addr.is_unspecified:
        return False
    return not (isinstance(addr, ipaddress.IPv4Address) and ip.endswith(".255"))


class ItSensor:
    """Registers the flow-level probes and the DNS/NTP/DHCP handlers."""

    def register(self, walker: PacketWalker, tally: Tally, labels: FlowLabels) -> None:
        """Attach to the walker."""
        for name, signature, ports in TCP_PORTS:

            def probe(
                key: FlowKey, ts: float, frame: int, name: str = name, signature: str = signature
            ) -> FlowProbe:
                return FlowProbe(key, name, signature, tally, labels)

            for port in ports:
                walker.register_tcp_probe(port, name, probe)
        names = DnsNames()

        def dns_conv(key: FlowKey, ts: float, frame: int) -> DnsConversation:
            return DnsConversation(key, tally, labels, names)

        def ntp_conv(key: FlowKey, ts: float, frame: int) -> NtpConversation:
            return NtpConversation(key, tally, labels)

        def dhcp_conv(key: FlowKey, ts: float, frame: int) -> DhcpConversation:
            return DhcpConversation(key, tally, labels)

        walker.register_udp(DNS_PORT, "dns", dns_conv)
        walker.register_udp(NTP_PORT, "ntp", ntp_conv)
        walker.register_udp(DHCP_PORT, "dhcp", dhcp_conv)


class FlowProbe:
    """The first payloads of one TCP connection on a flow-level port."""

    __slots__ = ("key", "labels", "name", "seen_server", "signature", "tally", "verdict")

    def __init__(
        self, key: FlowKey, name: str, signature: str, tally: Tally, labels: FlowLabels
    ) -> None:
        self.key = key
        self.name = name
        self.signature = signature
        self.tally = tally
        self.labels = labels
        self.verdict = Verdict.MAYBE
        self.seen_server = False

    def on_payload(self, payload: bytes, from_client: bool, frame: int, ts: float) -> bool:
        """Classify, then keep what identifies the ends; True when done."""
        if self.verdict is Verdict.MAYBE:
            verdict = classify(self.signature, payload)
            if verdict is Verdict.NO:
                return True
            if verdict is Verdict.MAYBE:
                return False
            self.verdict = verdict
            self.labels.protocol[self.key] = self.name
        self._identity(payload, from_client, frame, ts)
        if not from_client:
            self.seen_server = True
        # Done once the server has spoken (its identity is what we keep).
        return self.seen_server

    def _identity(self, payload: bytes, from_client: bool, frame: int, ts: float) -> None:
        k = self.key
        ip, mac = (k.client_ip, k.client_mac) if from_client else (k.server_ip, k.server_mac)
        fields: dict[str, str | int] = {}
        if self.signature == "ssh":
            banner = ssh_banner(payload)
            if banner:
                fields["ssh_client" if from_client else "ssh_server"] = banner
        elif self.signature == "vnc" and not from_client:
            version = vnc_version(payload)
            if version:
                fields["vnc_version"] = version
        elif self.signature == "http" and not from_client:
            server = http.response_header(payload, "Server")
            if server:
                fields["http_server"] = server
        if fields:
            self.tally.identity(ip, mac, self.name, fields, ts, frame, f"{self.name} banner")


class DnsNames:
    """How many names the DNS answers of this source gave already (capped)."""

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


class DnsConversation:
    """DNS over UDP between a client and a resolver."""

    __slots__ = ("key", "labels", "names", "tally", "valid")

    def __init__(self, key: FlowKey, tally: Tally, labels: FlowLabels, names: DnsNames) -> None:
        self.key = key
        self.tally = tally
        self.labels = labels
        self.names = names
        self.valid = False

    def on_datagram(self, payload: bytes, from_client: bool, frame: int, ts: float) -> None:
        """One DNS message."""
        msg = dns.decode(payload)
        sender = self.key.client_ip if from_client else self.key.server_ip
        if isinstance(msg, Anomaly):
            self.tally.anomaly("dns", msg.kind.value, sender, ts, frame, msg.detail)
            return
        if not self.valid:
            self.valid = True
            if msg.response == from_client:  # the walker's guess was the wrong way round
                self.labels.reversed.add(self.key)
            self.labels.protocol[self.key] = "dns"
        if not msg.response or msg.rcode or self.names.count >= MAX_DNS_NAMES:
            return
        for answer in msg.answers:
            if answer.rtype == dns.TYPE_PTR:
                ip, name = dns.ptr_address(answer.name), answer.value
            else:
                ip, name = answer.value, answer.name
            if ip and name and _unicast(ip):
                self.names.count += 1
                self.tally.identity(
                    ip, None, "dns", {"dns_name": name}, ts, frame, f"dns answer from {sender}"
                )

    def on_close(self, ts: float) -> None:
        """Nothing kept per conversation."""


class NtpConversation:
    """NTP between a client and a time server (or two peers)."""

    __slots__ = ("key", "labels", "tally", "valid")

    def __init__(self, key: FlowKey, tally: Tally, labels: FlowLabels) -> None:
        self.key = key
        self.tally = tally
        self.labels = labels
        self.valid = False

    def on_datagram(self, payload: bytes, from_client: bool, frame: int, ts: float) -> None:
        """One NTP packet."""
        k = self.key
        msg = ntp.decode(payload)
        if isinstance(msg, Anomaly):
            self.tally.anomaly("ntp", msg.kind.value, k.client_ip if from_client else k.server_ip,
                               ts, frame, msg.detail)  # fmt: skip
            return
        serving = msg.mode in ("server", "broadcast")
        if not self.valid:
            self.valid = True
            if serving and from_client:
                self.labels.reversed.add(k)
            self.labels.protocol[k] = "ntp"
        if serving:
            server_is_sender = from_client == (k in self.labels.reversed)
            ip, mac = (
                (k.client_ip, k.client_mac) if server_is_sender else (k.server_ip, k.server_mac)
            )
            fields: dict[str, str | int] = {"ntp_stratum": msg.stratum}
            if msg.reference_id:
                fields["ntp_reference"] = msg.reference_id
            self.tally.identity(ip, mac, "ntp", fields, ts, frame, f"ntp {msg.mode} packet")

    def on_close(self, ts: float) -> None:
        """Nothing kept per conversation."""


class DhcpConversation:
    """DHCP between a client (port 68) and a server or relay (port 67)."""

    __slots__ = ("key", "labels", "tally")

    def __init__(self, key: FlowKey, tally: Tally, labels: FlowLabels) -> None:
        self.key = key
        self.tally = tally
        self.labels = labels

    def on_datagram(self, payload: bytes, from_client: bool, frame: int, ts: float) -> None:
        """One DHCP message."""
        k = self.key
        msg = dhcp.decode(payload)
        if isinstance(msg, Anomaly):
            self.tally.anomaly("dhcp", msg.kind.value, k.client_ip if from_client else k.server_ip,
                               ts, frame, msg.detail)  # fmt: skip
            return
        # A link only between two unicast hosts (renewals, relays); a discover
        # from 0.0.0.0 to the broadcast address is no link.
        if k not in self.labels.protocol and _unicast(k.client_ip) and _unicast(k.server_ip):
            self.labels.protocol[k] = "dhcp"
        if msg.op != 1 or msg.client_mac is None:
            return
        fields: dict[str, str | int] = {}
        if msg.host_name:
            fields["hostname"] = msg.host_name
        if msg.fqdn:
            fields["fqdn"] = msg.fqdn
        if msg.vendor_class:
            fields["dhcp_vendor_class"] = msg.vendor_class
        if msg.parameter_list:
            fields["dhcp_fingerprint"] = ",".join(str(c) for c in msg.parameter_list)
        ip = msg.requested_ip if msg.ciaddr == "0.0.0.0" else msg.ciaddr
        if ip is not None and not _unicast(ip):
            ip = None
        self.tally.identity(
            ip, msg.client_mac, "dhcp", fields, ts, frame, f"dhcp {msg.message_type or 'request'}"
        )

    def on_close(self, ts: float) -> None:
        """Nothing kept per conversation."""
