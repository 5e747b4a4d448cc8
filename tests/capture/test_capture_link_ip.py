"""Link and IP decoding, IPv4 reassembly, and the frame builders (against tshark)."""

from __future__ import annotations

import io
import struct
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from otm.capture import frames as fb
from otm.capture.ip import (
    MAX_IPV6_EXTENSIONS,
    IpError,
    IpHeader,
    Ipv4Reassembler,
    can_be_host,
    decode_ipv4,
    decode_ipv6,
    ip_str,
)
from otm.capture.link import (
    ETHERTYPE_CDP,
    MAX_VLAN_TAGS,
    LinkError,
    LinkInfo,
    decode_link,
    mac_str,
)
from otm.capture.writer import PcapWriter

A = "00:1b:1b:02:e6:1f"
B = "00:80:f4:01:02:03"
IP4 = fb.ipv4("10.0.0.1", "10.0.0.2", 6, fb.tcp(40000, 502, 1, 2, fb.ACK, b"hello"))
IP6 = fb.ipv6("fe80::1", "2001:db8::2", 17, fb.udp(5000, 47808, b"x"))

# -- link layer ---------------------------------------------------------------------------


def test_ethernet_untagged() -> None:
    frame = fb.ethernet(B, A, 0x0800, IP4)
    assert decode_link(1, frame) == LinkInfo(0x0800, 14, fb.mac_bytes(A), fb.mac_bytes(B), None)


def test_vlan_and_qinq_report_the_outer_vid() -> None:
    one = decode_link(1, fb.ethernet(B, A, 0x0800, IP4, vlans=[42]))
    assert one == LinkInfo(0x0800, 18, fb.mac_bytes(A), fb.mac_bytes(B), 42)
    qinq = fb.ethernet(B, A, 0x86DD, IP6, vlans=[100, 7])
    assert qinq[12:14] == b"\x88\xa8" and qinq[16:18] == b"\x81\x00"
    assert decode_link(1, qinq) == LinkInfo(0x86DD, 22, fb.mac_bytes(A), fb.mac_bytes(B), 100)
    old = fb.ethernet(B, A, 0x0800, IP4, vlans=[5, 6], outer_tpid=0x9100)
    assert decode_link(1, old) == LinkInfo(0x0800, 22, fb.mac_bytes(A), fb.mac_bytes(B), 5)


def test_priority_tag_is_no_vlan() -> None:
    """VID 0 carries only a priority (802.1p), as on PROFINET RT frames."""
    info = decode_link(1, fb.ethernet(B, A, 0x8892, b"\xfe\xfe" + bytes(40), vlans=[0]))
    assert isinstance(info, LinkInfo) and info.vlan is None and info.ethertype == 0x8892
    inner = decode_link(1, fb.ethernet(B, A, 0x0800, IP4, vlans=[0, 12]))
    assert isinstance(inner, LinkInfo) and inner.vlan == 12


def test_vlan_depth_is_bounded() -> None:
    ok = fb.ethernet(B, A, 0x0800, IP4, vlans=list(range(1, MAX_VLAN_TAGS + 1)))
    assert isinstance(decode_link(1, ok), LinkInfo)
    deep = fb.ethernet(B, A, 0x0800, IP4, vlans=list(range(1, MAX_VLAN_TAGS + 2)))
    assert decode_link(1, deep) is LinkError.VLAN_DEPTH
    assert decode_link(1, fb.ethernet(B, A, 0x8100, b"\x00")) is LinkError.TRUNCATED


def test_llc_and_snap() -> None:
    stp = fb.mac_bytes("01:80:c2:00:00:00") + fb.mac_bytes(A) + struct.pack("!H", 38)
    info = decode_link(1, stp + b"\x42\x42\x03" + bytes(35))
    assert isinstance(info, LinkInfo) and info.ethertype == 0 and info.offset == 14
    snap = fb.mac_bytes(B) + fb.mac_bytes(A) + struct.pack("!H", 8 + len(IP4))
    info = decode_link(1, snap + b"\xaa\xaa\x03\x00\x00\x00\x08\x00" + IP4)
    assert isinstance(info, LinkInfo) and (info.ethertype, info.offset) == (0x0800, 22)


def test_cdp_under_cisco_snap_is_reported_by_its_protocol_id() -> None:
    cdp_mac = fb.mac_bytes("01:00:0c:cc:cc:cc") + fb.mac_bytes(A)
    body = b"\x02\xb4\x00\x00"
    frame = cdp_mac + struct.pack("!H", 8 + len(body)) + b"\xaa\xaa\x03\x00\x00\x0c\x20\x00"
    info = decode_link(1, frame + body)
    assert isinstance(info, LinkInfo)
    assert (info.ethertype, info.offset) == (ETHERTYPE_CDP, 22)
    # Another Cisco protocol id (VTP, 0x2003) is not claimed.
    other = decode_link(1, frame[:-2] + b"\x20\x03" + body)
    assert isinstance(other, LinkInfo) and other.ethertype == 0


def test_linux_cooked_v1_and_v2() -> None:
    v1 = decode_link(113, fb.sll(0x0800, IP4, src=A, pkttype=4))
    assert v1 == LinkInfo(0x0800, 16, fb.mac_bytes(A), None, None)
    v2 = decode_link(276, fb.sll2(0x86DD, IP6, src=B))
    assert v2 == LinkInfo(0x86DD, 20, fb.mac_bytes(B), None, None)
    tagged = decode_link(113, fb.sll(0x8100, struct.pack("!HH", 9, 0x0800) + IP4, src=A))
    assert tagged == LinkInfo(0x0800, 20, fb.mac_bytes(A), None, 9)
    no_addr = decode_link(113, fb.sll(0x0800, IP4, src=b""))
    assert isinstance(no_addr, LinkInfo) and no_addr.src is None
    assert decode_link(276, b"\x08\x00" * 5) is LinkError.TRUNCATED


@pytest.mark.parametrize(
    ("linktype", "packet", "ethertype"),
    [(101, IP4, 0x0800), (101, IP6, 0x86DD), (12, IP4, 0x0800), (14, IP6, 0x86DD),
     (228, IP4, 0x0800), (229, IP6, 0x86DD)],
)  # fmt: skip
def test_raw_ip(linktype: int, packet: bytes, ethertype: int) -> None:
    assert decode_link(linktype, packet) == LinkInfo(ethertype, 0, None, None, None)


def test_raw_ip_with_another_version_and_unknown_linktype() -> None:
    assert decode_link(101, b"\x50" + bytes(30)) is LinkError.UNKNOWN_FAMILY
    assert decode_link(101, b"") is LinkError.TRUNCATED
    assert decode_link(147, IP4) is LinkError.UNKNOWN_LINKTYPE


@pytest.mark.parametrize("family", [24, 28, 30, 10])
def test_loopback_families_both_byte_orders(family: int) -> None:
    for big in (False, True):
        assert decode_link(0, fb.loopback(family, IP6, big_endian=big)) == LinkInfo(
            0x86DD, 4, None, None, None
        )
    assert decode_link(108, fb.loopback(2, IP4, big_endian=True)) == LinkInfo(
        0x0800, 4, None, None, None
    )
    assert decode_link(0, fb.loopback(17, IP4)) is LinkError.UNKNOWN_FAMILY


def test_address_strings() -> None:
    assert mac_str(fb.mac_bytes("00:1B:1B:02:E6:1F")) == "00:1b:1b:02:e6:1f"
    assert ip_str(bytes([192, 168, 0, 1])) == "192.168.0.1"
    assert ip_str(fb.ip_bytes("2001:db8:0:0:0:0:0:1")) == "2001:db8::1"
    assert ip_str(fb.ip_bytes("::ffff:1.2.3.4")) == "::ffff:102:304"  # ipaddress form


@settings(max_examples=400, deadline=None)
@given(st.sampled_from([0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 999]), st.binary(max_size=80))
def test_link_decode_never_raises(linktype: int, data: bytes) -> None:
    info = decode_link(linktype, data)
    if isinstance(info, LinkInfo):
        assert 0 <= info.offset <= len(data)


# -- IP layer -----------------------------------------------------------------------------


def test_ipv4_ends_at_total_length_not_at_ethernet_padding() -> None:
    frame = fb.ethernet(B, A, 0x0800, fb.ipv4("10.0.0.1", "10.0.0.2", 17, b"abc"), pad=True)
    assert len(frame) == 60
    ip = decode_ipv4(frame, 14)
    assert isinstance(ip, IpHeader)
    assert (ip.offset, ip.end, ip.truncated) == (34, 37, False)
    assert frame[ip.offset : ip.end] == b"abc"


def test_ipv4_options_fragments_truncation_and_offload() -> None:
    opt = decode_ipv4(fb.ipv4("1.2.3.4", "5.6.7.8", 6, b"x" * 8, options=b"\x94\x04\x00\x00"), 0)
    assert isinstance(opt, IpHeader) and opt.offset == 24 and opt.end == 32
    frag = decode_ipv4(fb.ipv4("1.2.3.4", "5.6.7.8", 17, b"x" * 16, ident=77, flags=1,
                               frag_offset=185), 0)  # fmt: skip
    assert isinstance(frag, IpHeader)
    assert (frag.ident, frag.frag_offset, frag.more) == (77, 1480, True)
    cut = fb.ipv4("1.2.3.4", "5.6.7.8", 6, b"y" * 100)[:60]
    short = decode_ipv4(cut, 0)
    assert isinstance(short, IpHeader) and short.truncated and short.end == 60
    tso = decode_ipv4(fb.ipv4("1.2.3.4", "5.6.7.8", 6, b"z" * 3000, total_length=0), 0)
    assert isinstance(tso, IpHeader) and tso.end == 3020 and not tso.truncated


@pytest.mark.parametrize(
    ("packet", "error"),
    [
        (b"\x45" + bytes(10), IpError.V4_TRUNCATED),
        (b"\x65" + bytes(30), IpError.V4_BAD_HEADER),
        (b"\x44" + bytes(30), IpError.V4_BAD_HEADER),
        (b"\x4f" + bytes(30), IpError.V4_TRUNCATED),
        (fb.ipv4("1.2.3.4", "5.6.7.8", 6, b"", total_length=12), IpError.V4_BAD_HEADER),
    ],
)
def test_ipv4_malformed(packet: bytes, error: IpError) -> None:
    assert decode_ipv4(packet, 0) is error


def test_ipv6_extension_chain() -> None:
    chain = [(fb.IPV6_HOP_BY_HOP, b"\x01\x04\x00\x00\x00\x00"), (fb.IPV6_DEST_OPTS, bytes(14)),
             (fb.IPV6_ROUTING, bytes(6)), fb.ipv6_fragment_header(0, False, 9)]  # fmt: skip
    packet = fb.ipv6("fe80::1", "fe80::2", 6, b"T" * 20, extensions=chain)
    ip = decode_ipv6(packet, 0)
    assert isinstance(ip, IpHeader)
    assert ip.proto == 6 and packet[ip.offset : ip.end] == b"T" * 20
    assert (ip.frag_offset, ip.more, ip.ident) == (0, False, 9)  # atomic fragment
    frag = decode_ipv6(fb.ipv6("::1", "::2", 17, bytes(8), extensions=[
        fb.ipv6_fragment_header(100, True, 0xDEADBEEF)]), 0)  # fmt: skip
    assert isinstance(frag, IpHeader) and (frag.frag_offset, frag.more) == (800, True)


def test_ipv6_bounds() -> None:
    deep = [(fb.IPV6_DEST_OPTS, bytes(6))] * (MAX_IPV6_EXTENSIONS + 1)
    assert decode_ipv6(fb.ipv6("::1", "::2", 6, b"", extensions=deep), 0) is IpError.V6_EXT_DEPTH
    cut = fb.ipv6("::1", "::2", 6, b"", extensions=[(fb.IPV6_ROUTING, bytes(30))])[:44]
    assert decode_ipv6(cut, 0) is IpError.V6_EXT_TRUNCATED
    assert decode_ipv6(b"\x40" + bytes(50), 0) is IpError.V6_BAD_HEADER
    assert decode_ipv6(b"\x60" + bytes(20), 0) is IpError.V6_TRUNCATED


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=120), st.integers(0, 20))
def test_ip_decoders_never_raise(data: bytes, off: int) -> None:
    for decoded in (decode_ipv4(data, off), decode_ipv6(data, off)):
        if isinstance(decoded, IpHeader):
            assert off <= decoded.offset <= decoded.end <= len(data) or decoded.offset > decoded.end


def test_host_addresses() -> None:
    good = ["10.0.0.1", "192.168.1.255", "169.254.3.4", "fe80::1", "2001:db8::5"]
    bad = ["0.0.0.0", "0.1.2.3", "224.0.0.251", "239.1.1.1", "255.255.255.255", "240.0.0.1",
           "::", "ff02::1"]  # fmt: skip
    assert all(can_be_host(fb.ip_bytes(a)) for a in good)
    assert not any(can_be_host(fb.ip_bytes(a)) for a in bad)


# -- IPv4 reassembly ----------------------------------------------------------------------

PAYLOAD = bytes(range(256)) * 12  # 3072 bytes


def _fragments(chunk: int = 1000) -> list[tuple[int, bool, bytes]]:
    out = []
    for start in range(0, len(PAYLOAD), chunk):
        piece = PAYLOAD[start : start + chunk]
        out.append((start, start + chunk < len(PAYLOAD), piece))
    return out


def _feed(
    r: Ipv4Reassembler, frags: list[tuple[int, bool, bytes]], key: object = "k"
) -> list[bytes]:
    done = []
    for i, (off, more, piece) in enumerate(frags):
        whole = r.add(key, off, more, piece, 100.0 + i, len(piece) + 34)
        if whole is not None:
            done.append(whole.payload)
            assert whole.fragments == len(frags)
            assert whole.wire_bytes == sum(len(p) + 34 for _, _, p in frags)
    return done


def test_reassembly_in_order_and_out_of_order() -> None:
    r = Ipv4Reassembler()
    assert _feed(r, _fragments()) == [PAYLOAD]
    assert _feed(r, list(reversed(_fragments()))) == [PAYLOAD]
    shuffled = _fragments(200)
    shuffled = shuffled[1::2] + shuffled[::2]
    assert _feed(r, shuffled) == [PAYLOAD]
    assert len(r) == 0 and r.held == 0 and r.completed == 3


def test_reassembly_overlap_first_arrival_wins() -> None:
    r = Ipv4Reassembler()
    frags = _fragments(1000)
    liar = (1000, True, b"\xee" * 1000)  # same range as the second fragment, other bytes
    done = _feed(r, [frags[0], frags[1], liar, frags[2], frags[3]])
    assert done == [PAYLOAD] and r.overlaps == 1
    r2 = Ipv4Reassembler()
    done2 = _feed(r2, [frags[0], liar, frags[1], frags[2], frags[3]])
    assert done2 == [PAYLOAD[:1000] + b"\xee" * 1000 + PAYLOAD[2000:]]


def test_reassembly_missing_last_fragment_gives_nothing_and_is_bounded() -> None:
    r = Ipv4Reassembler(max_datagrams=50, max_bytes=200_000, timeout=30.0)
    for ident in range(500):
        assert _feed(r, _fragments()[:-1], key=ident) == []
        assert len(r) <= 50 and r.held <= 200_000
    assert r.dropped > 0 and r.completed == 0
    # the clock runs on packet time: much later, everything pending expires
    r.add("late", 0, True, b"x" * 8, 10_000.0, 42)
    assert len(r) == 1 and r.expired > 0


def test_reassembly_rejects_impossible_fragments() -> None:
    r = Ipv4Reassembler(max_fragments=4)
    assert r.add("k", 65_000, False, b"x" * 1000, 0.0, 1) is None  # past 65,535
    assert r.add("k", 0, True, b"x" * 7, 0.0, 1) is None  # not a multiple of 8
    assert r.add("k", 0, True, b"", 0.0, 1) is None
    assert r.invalid == 3
    for i in range(6):  # tiny-fragment flood of one datagram
        r.add("t", i * 8, True, b"y" * 8, 0.0, 1)
    assert r.dropped == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 70_000), st.booleans(), st.binary(max_size=64)),
                max_size=30))  # fmt: skip
def test_reassembly_never_raises_and_stays_bounded(
    frags: list[tuple[int, bool, bytes]],
) -> None:
    r = Ipv4Reassembler(max_datagrams=4, max_bytes=512, max_fragments=8)
    for i, (off, more, piece) in enumerate(frags):
        whole = r.add(i % 3, off, more, piece, float(i), 60)
        if whole is not None:
            assert len(whole.payload) <= 65_535
        assert len(r) <= 4 and r.held <= 512


# -- frame builders against the oracle ----------------------------------------------------


@pytest.mark.tshark
def test_frame_builders_are_valid_for_tshark(tmp_path: Path, tshark: str) -> None:
    """Checksums, sequence numbers, tags: what tshark reads back from our frames."""
    s = fb.TcpSession("10.0.0.1", 40001, "10.0.0.2", 502, client_isn=2**32 - 3, checksum=True)
    frames = s.handshake() + s.send(b"A" * 30, segments=3) + s.send(b"B" * 5, False) + s.close()
    s6 = fb.TcpSession("2001:db8::1", 40002, "2001:db8::2", 502, vlans=[10, 20], checksum=True)
    frames += s6.handshake()
    frames.append(fb.ethernet(B, A, 0x0800, fb.ipv4("10.0.0.9", "10.0.0.2", 17,
                  fb.udp(9, 47808, b"bac", "10.0.0.9", "10.0.0.2"), ident=5)))  # fmt: skip
    path = tmp_path / "b.pcap"
    buf = io.BytesIO()
    writer = PcapWriter(buf)
    for i, frame in enumerate(frames):
        writer.write(1.0 + i, frame)
    path.write_bytes(buf.getvalue())
    fields = ["ip.checksum.status", "tcp.checksum.status", "udp.checksum.status",
              "tcp.seq_raw", "tcp.ack_raw", "tcp.flags", "tcp.len",
              "ieee8021ad.id", "vlan.id", "ipv6.src"]  # fmt: skip
    cmd = [tshark, "-n", "-r", str(path), "-o", "ip.check_checksum:TRUE",
           "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
           "-T", "fields", "-E", "separator=|"]  # fmt: skip
    for f in fields:
        cmd += ["-e", f]
    rows = [line.split("|") for line in subprocess.run(
        cmd, capture_output=True, text=True, check=True).stdout.splitlines()]  # fmt: skip
    assert len(rows) == len(frames)
    good = "1"  # tshark 4.0: 0 bad, 1 good, 2 not checked
    for row in rows:
        ip_ok, tcp_ok, udp_ok = row[0], row[1], row[2]
        assert ip_ok in (good, "")
        assert tcp_ok in (good, "") and udp_ok in (good, "")
        assert ip_ok or row[9]  # every frame is IPv4 or IPv6
    seqs = [int(r[3]) for r in rows[:9]]
    assert seqs[0] == 2**32 - 3 and seqs[3] == 2**32 - 2 and seqs[4] == 8
    assert [int(r[6]) for r in rows[3:6]] == [10, 10, 10]
    assert int(rows[1][4]) == 2**32 - 2 and int(rows[1][5], 16) == 0x12  # SYN/ACK acks ISN+1
    assert rows[10][7:10] == ["10", "20", "2001:db8::1"]  # QinQ outer 802.1ad, inner 802.1Q
