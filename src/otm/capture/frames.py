"""Frame builders: Ethernet, VLAN tags, Linux cooked headers, IPv4, IPv6, TCP, UDP, ARP.

For tests, the demo capture and the benchmarks, so that a realistic
conversation is a few lines.  Layouts (byte widths, network byte order)::

    Ethernet II   dst 6 | src 6 | [TPID 2 | TCI 2]* | EtherType 2 | payload
                  (TCI: PCP 3 bits | DEI 1 | VID 12; TPID 0x8100 = 802.1Q,
                   0x88A8 = 802.1ad service tag, outermost in QinQ)
    SLL  (113)    packet type 2 | ARPHRD type 2 | address length 2 |
                  address 8 (zero padded) | protocol 2          (16 bytes)
    SLL2 (276)    protocol 2 | reserved 2 | interface index 4 | ARPHRD 2 |
                  packet type 1 | address length 1 | address 8  (20 bytes)
    null (0/108)  address family 4 (host order for 0, big-endian for 108)
    IPv4          ver/ihl 1 | tos 1 | total length 2 | ident 2 |
                  flags 3 bits + fragment offset 13 bits (8-byte units) 2 |
                  ttl 1 | protocol 1 | header checksum 2 | src 4 | dst 4 | options
    IPv6          ver/class/flow 4 | payload length 2 | next header 1 |
                  hop limit 1 | src 16 | dst 16 | extension headers
    TCP           sport 2 | dport 2 | seq 4 | ack 4 | data offset 4 bits +
                  reserved 4 | flags 1 | window 2 | checksum 2 | urgent 2 | options
    UDP           sport 2 | dport 2 | length 2 | checksum 2
    ARP           htype 2 | ptype 2 | hlen 1 | plen 1 | op 2 | sha 6 | spa 4 |
                  tha 6 | tpa 4

Checksums: IPv4 header checksums are always right; TCP/UDP checksums are
computed when both IP addresses are given, else left 0 (as offloading NICs
leave them in captures).
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Sequence
from typing import Final

FIN: Final = 0x01
SYN: Final = 0x02
RST: Final = 0x04
PSH: Final = 0x08
ACK: Final = 0x10

ETH_IPV4: Final = 0x0800
ETH_ARP: Final = 0x0806
ETH_VLAN: Final = 0x8100
ETH_QINQ: Final = 0x88A8
ETH_IPV6: Final = 0x86DD

PROTO_TCP: Final = 6
PROTO_UDP: Final = 17

IPV6_HOP_BY_HOP: Final = 0
IPV6_ROUTING: Final = 43
IPV6_FRAGMENT: Final = 44
IPV6_DEST_OPTS: Final = 60

Address = str | bytes


def mac_bytes(mac: Address) -> bytes:
    """``aa:bb:cc:dd:ee:ff`` (or ``-`` separated, or 6 raw bytes) -> 6 bytes."""
    if isinstance(mac, bytes):
        if len(mac) != 6:
            raise ValueError(f"a MAC is 6 bytes, not {len(mac)}")
        return mac
    raw = bytes.fromhex(mac.replace(":", "").replace("-", ""))
    if len(raw) != 6:
        raise ValueError(f"not a MAC address: {mac!r}")
    return raw


def ip_bytes(ip: Address) -> bytes:
    """Dotted quad or IPv6 text (or 4/16 raw bytes) -> packed address."""
    if isinstance(ip, bytes):
        if len(ip) not in (4, 16):
            raise ValueError(f"an IP address is 4 or 16 bytes, not {len(ip)}")
        return ip
    return ipaddress.ip_address(ip).packed


def internet_checksum(data: bytes) -> int:
    """RFC 1071 one's-complement sum of 16-bit words."""
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ethernet(
    dst: Address,
    src: Address,
    ethertype: int,
    payload: bytes,
    vlans: Sequence[int] = (),
    outer_tpid: int = ETH_QINQ,
    pad: bool = False,
) -> bytes:
    """An Ethernet II frame; ``vlans`` are VIDs outermost first (several = QinQ,
    the outer ones tagged ``outer_tpid``); ``pad`` fills to the 60-byte minimum."""
    tags = b""
    for i, vid in enumerate(vlans):
        tpid = ETH_VLAN if i == len(vlans) - 1 else outer_tpid
        tags += struct.pack("!HH", tpid, vid & 0x0FFF)
    frame = mac_bytes(dst) + mac_bytes(src) + tags + struct.pack("!H", ethertype) + payload
    if pad and len(frame) < 60:
        frame += b"\0" * (60 - len(frame))
    return frame


def sll(
    ethertype: int, payload: bytes, src: Address = b"\0" * 6, pkttype: int = 0, hatype: int = 1
) -> bytes:
    """A Linux cooked (SLL, linktype 113) frame."""
    addr = mac_bytes(src) if src else b""
    head = struct.pack("!HHH", pkttype, hatype, len(addr)) + addr.ljust(8, b"\0")
    return head + struct.pack("!H", ethertype) + payload


def sll2(
    ethertype: int,
    payload: bytes,
    src: Address = b"\0" * 6,
    pkttype: int = 0,
    hatype: int = 1,
    ifindex: int = 1,
) -> bytes:
    """A Linux cooked v2 (SLL2, linktype 276) frame."""
    addr = mac_bytes(src) if src else b""
    head = struct.pack("!HHIHBB", ethertype, 0, ifindex, hatype, pkttype, len(addr))
    return head + addr.ljust(8, b"\0") + payload


def loopback(family: int, payload: bytes, big_endian: bool = False) -> bytes:
    """A BSD loopback frame: 4-byte address family (2 = IPv4; 24/28/30 = IPv6)."""
    return struct.pack(">I" if big_endian else "<I", family) + payload


def arp(
    op: int, sender_mac: Address, sender_ip: Address, target_mac: Address, target_ip: Address
) -> bytes:
    """An Ethernet/IPv4 ARP packet (op 1 request, 2 reply)."""
    return (
        struct.pack("!HHBBH", 1, ETH_IPV4, 6, 4, op)
        + mac_bytes(sender_mac)
        + ip_bytes(sender_ip)
        + mac_bytes(target_mac)
        + ip_bytes(target_ip)
    )


def ipv4(
    src: Address,
    dst: Address,
    proto: int,
    payload: bytes,
    ident: int = 0,
    ttl: int = 64,
    flags: int = 0,
    frag_offset: int = 0,
    options: bytes = b"",
    tos: int = 0,
    total_length: int | None = None,
) -> bytes:
    """An IPv4 packet with a correct header checksum.

    ``flags`` is the 3-bit field (2 = DF, 1 = MF); ``frag_offset`` is in
    8-byte units as on the wire; ``options`` are padded to 4 bytes;
    ``total_length`` overrides the computed one (to build broken packets).
    """
    options += b"\0" * (-len(options) % 4)
    ihl = 5 + len(options) // 4
    length = ihl * 4 + len(payload) if total_length is None else total_length
    head = struct.pack(
        "!BBHHHBBH4s4s",
        0x40 | ihl,
        tos,
        length,
        ident,
        (flags << 13) | frag_offset,
        ttl,
        proto,
        0,
        ip_bytes(src),
        ip_bytes(dst),
    )
    head += options
    csum = internet_checksum(head)
    return head[:10] + struct.pack("!H", csum) + head[12:] + payload


def fragment_ipv4(
    src: Address, dst: Address, proto: int, payload: bytes, chunk: int, ident: int = 1
) -> list[bytes]:
    """Split one IP payload into fragments of ``chunk`` bytes (a multiple of 8)."""
    if chunk <= 0 or chunk % 8:
        raise ValueError("fragment size must be a positive multiple of 8")
    out = []
    for start in range(0, len(payload), chunk):
        piece = payload[start : start + chunk]
        more = 1 if start + chunk < len(payload) else 0
        out.append(ipv4(src, dst, proto, piece, ident=ident, flags=more, frag_offset=start // 8))
    return out


def ipv6_fragment_header(offset: int, more: bool, ident: int) -> tuple[int, bytes]:
    """An IPv6 fragment extension header for ``ipv6(extensions=...)``; offset in 8-byte units."""
    return IPV6_FRAGMENT, struct.pack("!HI", (offset << 3) | int(more), ident)


def ipv6(
    src: Address,
    dst: Address,
    next_header: int,
    payload: bytes,
    hop_limit: int = 64,
    flow_label: int = 0,
    traffic_class: int = 0,
    extensions: Sequence[tuple[int, bytes]] = (),
) -> bytes:
    """An IPv6 packet; ``extensions`` are (header type, body after the first 2 bytes),
    chained in order before ``next_header`` (bodies are padded to 8-byte units;
    a fragment header body is 6 bytes, see ``ipv6_fragment_header``)."""
    chain = b""
    types = [t for t, _ in extensions] + [next_header]
    for i, (htype, body) in enumerate(extensions):
        if htype == IPV6_FRAGMENT:
            chain += struct.pack("!BB", types[i + 1], 0) + body
            continue
        padded = body + b"\0" * (-(len(body) + 2) % 8)
        chain += struct.pack("!BB", types[i + 1], (len(padded) + 2) // 8 - 1) + padded
    first = types[0]
    word = (6 << 28) | (traffic_class << 20) | flow_label
    head = struct.pack("!IHBB", word, len(chain) + len(payload), first, hop_limit)
    return head + ip_bytes(src) + ip_bytes(dst) + chain + payload


def _pseudo(src: Address, dst: Address, proto: int, length: int) -> bytes:
    s, d = ip_bytes(src), ip_bytes(dst)
    if len(s) == 4:
        return s + d + struct.pack("!BBH", 0, proto, length)
    return s + d + struct.pack("!IxxxB", length, proto)


def tcp(
    sport: int,
    dport: int,
    seq: int,
    ack: int,
    flags: int,
    payload: bytes = b"",
    window: int = 65535,
    options: bytes = b"",
    src_ip: Address | None = None,
    dst_ip: Address | None = None,
) -> bytes:
    """A TCP segment; checksummed when both IP addresses are given."""
    options += b"\0" * (-len(options) % 4)
    offset = (5 + len(options) // 4) << 4
    head = struct.pack(
        "!HHIIBBHHH",
        sport,
        dport,
        seq & 0xFFFFFFFF,
        ack & 0xFFFFFFFF,
        offset,
        flags,
        window,
        0,
        0,
    )
    segment = head + options + payload
    if src_ip is not None and dst_ip is not None:
        csum = internet_checksum(_pseudo(src_ip, dst_ip, PROTO_TCP, len(segment)) + segment)
        segment = segment[:16] + struct.pack("!H", csum) + segment[18:]
    return segment


def udp(
    sport: int,
    dport: int,
    payload: bytes,
    src_ip: Address | None = None,
    dst_ip: Address | None = None,
) -> bytes:
    """A UDP datagram; checksummed when both IP addresses are given."""
    length = 8 + len(payload)
    datagram = struct.pack("!HHHH", sport, dport, length, 0) + payload
    if src_ip is not None and dst_ip is not None:
        csum = internet_checksum(_pseudo(src_ip, dst_ip, PROTO_UDP, length) + datagram) or 0xFFFF
        datagram = datagram[:6] + struct.pack("!H", csum) + datagram[8:]
    return datagram


def ip_packet(src: Address, dst: Address, proto: int, payload: bytes, ident: int = 0) -> bytes:
    """IPv4 or IPv6 by the address family of ``src``."""
    if len(ip_bytes(src)) == 16:
        return ipv6(src, dst, proto, payload)
    return ipv4(src, dst, proto, payload, ident=ident)


class TcpSession:
    """A TCP conversation between a client and a server, as Ethernet frames.

    Tracks both sides' sequence numbers so that the frames it returns are
    what a capture of a real connection holds: ``handshake()``, ``send()``
    data in either direction (optionally cut into several segments, each
    acknowledging what the other side sent), ``close()`` with FIN/ACK both
    ways.  ``client_seq``/``server_seq`` are the next sequence numbers each
    side sends; set them to test wrap-around.  IPv6 when the addresses are.
    """

    def __init__(
        self,
        client_ip: str,
        client_port: int,
        server_ip: str,
        server_port: int,
        client_mac: str = "02:00:00:00:00:01",
        server_mac: str = "02:00:00:00:00:02",
        client_isn: int = 1000,
        server_isn: int = 5000,
        vlans: Sequence[int] = (),
        checksum: bool = False,
    ) -> None:
        self.client_ip, self.client_port, self.client_mac = client_ip, client_port, client_mac
        self.server_ip, self.server_port, self.server_mac = server_ip, server_port, server_mac
        self.client_isn = client_isn & 0xFFFFFFFF
        self.server_isn = server_isn & 0xFFFFFFFF
        self.client_seq = self.client_isn
        self.server_seq = self.server_isn
        self.vlans = tuple(vlans)
        self.checksum = checksum
        self._ident = 0

    def segment(
        self,
        from_client: bool,
        flags: int,
        payload: bytes = b"",
        seq: int | None = None,
        ack: int | None = None,
    ) -> bytes:
        """One frame from one side; ``seq``/``ack`` default to the tracked
        values, and the sender's sequence number does not advance (see send)."""
        if from_client:
            sip, dip, sp, dp = self.client_ip, self.server_ip, self.client_port, self.server_port
            smac, dmac = self.client_mac, self.server_mac
            my, other = self.client_seq, self.server_seq
        else:
            sip, dip, sp, dp = self.server_ip, self.client_ip, self.server_port, self.client_port
            smac, dmac = self.server_mac, self.client_mac
            my, other = self.server_seq, self.client_seq
        seg = tcp(
            sp,
            dp,
            my if seq is None else seq,
            (other if ack is None else ack) if flags & ACK else 0,
            flags,
            payload,
            src_ip=sip if self.checksum else None,
            dst_ip=dip if self.checksum else None,
        )
        self._ident = (self._ident + 1) & 0xFFFF
        packet = ip_packet(sip, dip, PROTO_TCP, seg, ident=self._ident)
        ethertype = ETH_IPV6 if len(ip_bytes(sip)) == 16 else ETH_IPV4
        return ethernet(dmac, smac, ethertype, packet, vlans=self.vlans)

    def _advance(self, from_client: bool, count: int) -> None:
        if from_client:
            self.client_seq = (self.client_seq + count) & 0xFFFFFFFF
        else:
            self.server_seq = (self.server_seq + count) & 0xFFFFFFFF

    def handshake(self) -> list[bytes]:
        """SYN, SYN/ACK, ACK."""
        syn = self.segment(True, SYN)
        self._advance(True, 1)
        synack = self.segment(False, SYN | ACK)
        self._advance(False, 1)
        return [syn, synack, self.segment(True, ACK)]

    def send(
        self, payload: bytes, from_client: bool = True, segments: int | Sequence[int] = 1
    ) -> list[bytes]:
        """Data from one side: one segment, ``segments`` equal-ish pieces, or
        pieces of the given sizes (the last takes the rest)."""
        if isinstance(segments, int):
            count = max(1, segments)
            step = -(-len(payload) // count) or 1
            sizes = [step] * count
        else:
            sizes = list(segments)
        frames: list[bytes] = []
        pos = 0
        for i, size in enumerate(sizes):
            piece = payload[pos:] if i == len(sizes) - 1 else payload[pos : pos + size]
            if not piece and frames:
                break
            frames.append(self.segment(from_client, PSH | ACK, piece))
            self._advance(from_client, len(piece))
            pos += len(piece)
            if pos >= len(payload):
                break
        return frames

    def ack(self, from_client: bool = True) -> bytes:
        """A bare ACK from one side."""
        return self.segment(from_client, ACK)

    def close(self, from_client: bool = True) -> list[bytes]:
        """FIN/ACK from one side, FIN/ACK back, final ACK."""
        first = self.segment(from_client, FIN | ACK)
        self._advance(from_client, 1)
        second = self.segment(not from_client, FIN | ACK)
        self._advance(not from_client, 1)
        return [first, second, self.segment(from_client, ACK)]

    def reset(self, from_client: bool = True) -> bytes:
        """RST/ACK from one side."""
        return self.segment(from_client, RST | ACK)
