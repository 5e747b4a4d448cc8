"""The packet walker: flows, direction, TCP reassembly, UDP, hosts, bounds, fuzz."""

from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path

import pytest
from capture_support import (
    PORT,
    UDP_PORT,
    Recorder,
    numbered,
    pdu,
    pdus,
    recording_walker,
    run,
    toy_framer,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from otm.capture import frames as fb
from otm.capture.readers import open_capture
from otm.capture.walker import (
    CLOSED_LINGER,
    MAX_OOO_SEGMENTS,
    MAX_PROBE_SEGMENTS,
    SWEEP_FRAMES,
    PacketWalker,
)

CLIENT, SERVER = "10.0.0.1", "10.0.0.2"
CMAC, SMAC = "00:1d:9c:00:00:01", "00:80:f4:00:00:02"


def session(**kwargs: object) -> fb.TcpSession:
    args: dict[str, object] = {
        "client_ip": CLIENT,
        "client_port": 40000,
        "server_ip": SERVER,
        "server_port": PORT,
        "client_mac": CMAC,
        "server_mac": SMAC,
    }
    args.update(kwargs)
    return fb.TcpSession(**args)  # type: ignore[arg-type]


def conversation(s: fb.TcpSession, requests: list[bytes], responses: list[bytes]) -> list[bytes]:
    frames = s.handshake()
    for req, resp in zip(requests, responses, strict=True):
        frames += s.send(req, True) + s.send(resp, False)
    return frames + s.close()


# -- direction --------------------------------------------------------------------------


def test_handshake_says_who_is_client() -> None:
    s = session()
    req, resp = pdus(2)
    _, rec = run(conversation(s, [req], [resp]))
    (key,) = rec.keys
    assert (key.transport, key.client_ip, key.client_port) == ("tcp", CLIENT, 40000)
    assert (key.server_ip, key.server_port, key.client_mac, key.server_mac) == (
        SERVER,
        PORT,
        CMAC,
        SMAC,
    )
    assert rec.pdus() == [(req, True), (resp, False)]
    assert rec.kinds() == ["open", "pdu", "pdu", "close"]


def test_handshake_wins_over_ports() -> None:
    """A client that happens to use the registered port as its source port."""
    s = session(client_port=PORT, server_port=PORT + 1)
    _, rec = run(conversation(s, pdus(1), pdus(1, tag=9)))
    assert (rec.keys[0].client_port, rec.keys[0].server_port) == (PORT, PORT + 1)
    assert [fc for _, fc in rec.pdus()] == [True, False]


def test_syn_ack_first_means_the_other_side_is_client() -> None:
    frames = conversation(session(), pdus(1), pdus(1, tag=3))
    _, rec = run(frames[1:])  # the SYN was not captured
    assert rec.keys[0].client_ip == CLIENT
    assert [fc for _, fc in rec.pdus()] == [True, False]


def test_mid_stream_the_registered_port_is_the_server() -> None:
    s = session()
    s.handshake()
    frames = s.send(pdus(1, tag=5)[0], False) + s.send(pdus(1)[0], True)  # server speaks first
    _, rec = run(frames)
    assert (rec.keys[0].client_ip, rec.keys[0].server_port) == (CLIENT, PORT)
    assert [fc for _, fc in rec.pdus()] == [False, True]


def test_a_keep_alive_before_any_data_of_its_side_is_not_a_stream_start() -> None:
    """s7comm_plus.pcap frame 14: a client that sent nothing yet probes with one
    garbage byte at the sequence number before its next; its stream starts later."""
    s = session()
    s.handshake()
    keep_alive = s.segment(True, fb.ACK, b"\x00", seq=(s.client_seq - 1) & 0xFFFFFFFF)
    request, response = pdus(2, tag=3)
    frames = [s.ack(True), keep_alive, *s.send(request, True), *s.send(response, False)]
    _, rec = run(frames)
    assert not [e for e in rec.events if e[0] == "invalid"]
    assert [fc for _, fc in rec.pdus()] == [True, False]


def test_mid_stream_both_ports_registered_lower_port_is_server() -> None:
    s = session(client_port=PORT + 7)
    s.handshake()
    frames = s.send(pdus(1)[0], True)
    _, rec = run(frames, tcp_ports=(PORT, PORT + 7))
    assert rec.keys[0].server_port == PORT
    s2 = session(client_port=PORT - 7)
    s2.handshake()
    _, rec2 = run(s2.send(pdus(1)[0], True), tcp_ports=(PORT, PORT - 7))
    assert rec2.keys[0].server_port == PORT - 7
    assert rec2.pdus()[0][1] is False  # sent by the (lower-port) server side


# -- reassembly ---------------------------------------------------------------------------


def test_pdu_split_across_three_segments() -> None:
    s = session()
    big = pdu(bytes(range(200)))
    frames = s.handshake() + s.send(big, True, segments=[5, 90, 108]) + s.close()
    _walker, rec = run(frames)
    assert rec.pdus() == [(big, True)]
    assert rec.of("pdu")[0][4] == 6  # delivered with the frame that completed it


def test_three_pdus_in_one_segment() -> None:
    s = session()
    three = pdus(3)
    _, rec = run(s.handshake() + s.send(b"".join(three), True) + s.close())
    assert rec.pdus() == [(p, True) for p in three]


def test_pdus_straddling_segment_boundaries() -> None:
    s = session()
    stream = pdus(5, size=17)
    data = b"".join(stream)
    _, rec = run(s.handshake() + s.send(data, True, segments=[3, 30, 1, 40, 2]) + s.close())
    assert rec.pdus() == [(p, True) for p in stream]


def test_retransmission_is_dropped() -> None:
    s = session()
    one, two = pdus(2)
    frames = s.handshake() + s.send(one, True)
    frames.append(frames[-1])  # the same segment again
    frames += s.send(two, True)
    walker, rec = run(frames)
    assert rec.pdus() == [(one, True), (two, True)]
    assert walker.stats.retransmissions == 1


def test_partial_retransmission_delivers_only_new_bytes() -> None:
    s = session()
    one, two = pdus(2)
    frames = s.handshake()
    start = s.client_seq
    frames += s.send(one, True)
    # a resend of ``one`` that also carries ``two``
    frames.append(s.segment(True, fb.PSH | fb.ACK, one + two, seq=start))
    _, rec = run(frames)
    assert rec.pdus() == [(one, True), (two, True)]


def test_out_of_order_segments_are_put_back_in_order() -> None:
    s = session()
    stream = pdus(4)
    frames = s.handshake() + s.send(b"".join(stream), True, segments=[13, 13, 13, 13])
    frames[3], frames[5] = frames[5], frames[3]
    walker, rec = run(frames + s.close())
    assert rec.pdus() == [(p, True) for p in stream]
    assert walker.stats.out_of_order >= 1 and walker.stats.gaps == 0


def test_lost_segment_gap_reported_then_resync() -> None:
    """The server acknowledges bytes the capture never saw: they are lost."""
    s = session()
    one, two, three = pdus(3)
    frames = s.handshake() + s.send(one, True)
    s.send(two, True)  # sent, not captured
    frames += [*s.send(three, True), s.ack(False)]
    _, rec = run(frames + s.close())
    kinds = [k for k in rec.kinds() if k != "open"]
    assert kinds == ["pdu", "gap", "pdu", "close"]
    gap = rec.of("gap")[0]
    assert gap[2] is True and gap[3] == len(two)
    assert rec.pdus() == [(one, True), (three, True)]


def test_lost_start_of_pdu_resyncs_at_the_next_pdu() -> None:
    s = session()
    one, two, three = pdus(3, size=30)
    frames = s.handshake() + s.send(one, True)
    s.send(two[:10], True)  # lost
    frames += s.send(two[10:], True)  # starts inside a PDU: the framer rejects it
    frames += [*s.send(three, True), s.ack(False)]
    _, rec = run(frames)
    assert rec.pdus() == [(one, True), (three, True)]
    assert [k for k in rec.kinds() if k in ("gap", "invalid")] == ["gap", "invalid"]
    assert rec.of("invalid")[0][2] == two[10:]


def test_hole_never_filled_is_declared_after_the_queue_bound() -> None:
    """Only one direction captured (no ACKs to tell): the queue bound decides."""
    s = session()
    stream = pdus(MAX_OOO_SEGMENTS + 3, size=4)
    frames = s.handshake() + s.send(stream[0], True)
    s.send(stream[1], True)  # lost
    for p in stream[2:]:
        frames += s.send(p, True)
    client_only = [f for f in frames if f[6:12] == fb.mac_bytes(CMAC)]
    _walker, rec = run(client_only)
    assert rec.pdus() == [(p, True) for p in [stream[0], *stream[2:]]]
    assert len(rec.of("gap")) == 1 and rec.of("gap")[0][3] == len(stream[1])
    # the gap was declared when the queue overflowed, before the last segments
    assert rec.events.index(rec.of("gap")[0]) < len(rec.events) - 3


def test_gap_at_end_of_capture_is_flushed() -> None:
    s = session()
    one, two, three = pdus(3)
    frames = s.handshake() + s.send(one, True)
    s.send(two, True)
    frames += s.send(three, True)
    _, rec = run(frames)
    assert rec.pdus() == [(one, True), (three, True)]
    assert rec.kinds()[-2:] == ["pdu", "close"] and len(rec.of("gap")) == 1


def test_invalid_bytes_are_reported_and_dropped() -> None:
    s = session()
    good = pdus(2)
    frames = s.handshake() + s.send(good[0], True) + s.send(b"\x00garbage", True)
    frames += s.send(good[1], True)
    walker, rec = run(frames)
    assert rec.pdus() == [(good[0], True), (good[1], True)]
    assert rec.of("invalid")[0][2] == b"\x00garbage"
    assert walker.stats.invalid == 1


def test_sequence_numbers_wrap_around() -> None:
    s = session(client_isn=2**32 - 25, server_isn=2**32 - 1)
    stream = pdus(6, size=5)
    frames = s.handshake()
    for p in stream:
        frames += s.send(p, True, segments=2) + s.send(p, False)
    frames[5], frames[6] = frames[6], frames[5]  # reordering across the wrap
    _, rec = run(frames)
    assert rec.pdus() == [(p, fc) for p in stream for fc in (True, False)]


def test_padding_is_not_payload() -> None:
    """A 3-byte PDU in a padded 60-byte Ethernet frame."""
    s = session()
    tiny = pdu(b"")
    frames = s.handshake()
    frame = s.send(tiny, True)[0]
    frames.append(frame + bytes(60 - len(frame)))
    _, rec = run(frames)
    assert rec.pdus() == [(tiny, True)]


def test_rst_closes_and_later_segments_are_only_counted() -> None:
    s = session()
    frames = [*s.handshake(), s.reset(True), *s.send(pdus(1)[0], True)]
    _, rec = run(frames)
    assert rec.kinds() == ["open", "close"]
    assert rec.traffic[0][3] == 5


def test_port_reuse_starts_a_new_connection() -> None:
    first = session(client_isn=100)
    second = session(client_isn=900_000)
    frames = conversation(first, pdus(1), pdus(1, tag=2))
    frames += conversation(second, pdus(1, tag=4), pdus(1, tag=6))
    walker, rec = run(frames)
    assert len(rec.keys) == 2 and rec.keys[0] == rec.keys[1]
    assert [k for k in rec.kinds() if k in ("open", "close")] == ["open", "close"] * 2
    assert len(rec.traffic) == 2 and [t[3] for t in rec.traffic] == [8, 8]
    assert walker.stats.tcp_flows == 2


def test_new_syn_on_an_open_connection_with_another_isn() -> None:
    a = session(client_isn=5)
    b = session(client_isn=77_777)
    frames = a.handshake() + a.send(pdus(1)[0], True) + b.handshake() + b.send(pdus(1)[0], True)
    _, rec = run(frames)
    assert list(rec.kinds()) == ["open", "pdu", "close", "open", "pdu", "close"]


def test_retransmitted_syn_is_the_same_connection() -> None:
    s = session()
    hs = s.handshake()
    _, rec = run([hs[0], hs[0], hs[1], hs[1], hs[2], *s.send(pdus(1)[0], True)])
    assert rec.kinds() == ["open", "pdu", "close"]


def test_unregistered_flows_are_counted_not_reassembled() -> None:
    s = session(server_port=80)
    frames = conversation(s, [b"GET / HTTP/1.0\r\n\r\n"], [b"HTTP/1.0 200 OK\r\n\r\n"])
    _walker, rec = run(frames)
    assert rec.keys == [] and rec.of("pdu") == []
    ((key, first, last, packets, octets, first_frame),) = rec.traffic
    assert (key.client_ip, key.server_port, packets, first_frame) == (CLIENT, 80, 8, 1)
    assert octets == sum(len(f) for f in frames)
    assert first == 1000.0 and last == pytest.approx(1000.07)


def test_closed_connection_lingers_then_is_reported() -> None:
    s = session()
    frames = conversation(s, pdus(1), pdus(1))
    walker, rec = recording_walker()
    for frame_no, ts, lt, data in numbered(frames):
        walker.feed(frame_no, ts, lt, data)
    assert rec.traffic == [] and rec.kinds()[-1] == "close"
    late = 1000.0 + CLOSED_LINGER + 100
    walker.feed(
        SWEEP_FRAMES,
        late,
        1,
        fb.ethernet(SMAC, CMAC, 0x0806, fb.arp(1, CMAC, CLIENT, bytes(6), SERVER)),
    )
    assert len(rec.traffic) == 1  # swept out at the sweep frame, not at finish


def test_idle_flow_is_ended_by_the_sweep() -> None:
    s = session()
    walker, rec = recording_walker(tcp_idle_timeout=60.0)
    for frame_no, ts, lt, data in numbered(s.handshake() + s.send(pdus(1)[0], True)):
        walker.feed(frame_no, ts, lt, data)
    walker.feed(SWEEP_FRAMES, 1000.0 + 59, 1, fb.ethernet(SMAC, CMAC, 0x88CC, bytes(40)))
    assert rec.traffic == []
    walker.feed(2 * SWEEP_FRAMES, 1000.0 + 600, 1, fb.ethernet(SMAC, CMAC, 0x88CC, bytes(40)))
    assert len(rec.traffic) == 1 and rec.kinds()[-1] == "close"
    # the connection goes on: a new (mid-stream) flow
    walker.feed(2 * SWEEP_FRAMES + 1, 1000.0 + 601, 1, s.send(pdus(1, tag=8)[0], True)[0])
    walker.finish()
    assert len(rec.keys) == 2 and len(rec.traffic) == 2


def test_flow_cap_evicts_least_recently_active() -> None:
    walker, rec = recording_walker(max_flows=8)
    frames = []
    for i in range(20):
        s = session(client_port=30000 + i)
        frames += s.handshake()
    for frame_no, ts, lt, data in numbered(frames):
        walker.feed(frame_no, ts, lt, data)
        assert walker._flows <= 8
    assert walker.stats.flows_evicted >= 12
    evicted_ports = [t[0].client_port for t in rec.traffic]
    assert evicted_ports == sorted(evicted_ports) and evicted_ports[0] == 30000
    walker.finish()
    assert len(rec.traffic) == 20 and walker.stats.tcp_flows == 20


def test_vlan_separates_flows_and_is_in_the_key() -> None:
    a = session(vlans=[10])
    b = session(vlans=[20])
    frames = a.handshake() + b.handshake() + a.send(pdus(1)[0], True) + b.send(pdus(1)[0], True)
    _, rec = run(frames)
    assert [k.vlan for k in rec.keys] == [10, 20]
    assert [(e[1]) for e in rec.of("pdu")] == [0, 1]


@pytest.mark.parametrize(("vlans", "vlan"), [((), None), ((5,), 5), ((9, 5), 9), ((0,), None)])
def test_tagging_does_not_change_what_is_delivered(
    vlans: tuple[int, ...], vlan: int | None
) -> None:
    """Untagged and single-tag frames take the fast path, QinQ and priority
    tags the general one: the same conversation gives the same events."""
    stream = pdus(8, size=9)
    s = session(vlans=vlans)
    frames = s.handshake()
    for i, p in enumerate(stream):
        frames += s.send(p, i % 2 == 0, segments=1 + i % 3)
    frames += [s.ack(True), *s.close()]
    walker, rec = run(frames)
    assert rec.keys[0].vlan == vlan
    assert rec.pdus() == [(p, i % 2 == 0) for i, p in enumerate(stream)]
    assert rec.traffic[0][3:5] == (len(frames), sum(len(f) for f in frames))
    assert {h[2] for h in rec.hosts} == {vlan}
    assert walker.stats.frames == len(frames)


def test_ipv6_connection() -> None:
    s = session(client_ip="2001:db8::10", server_ip="2001:db8::20")
    stream = pdus(3)
    _, rec = run(conversation(s, stream[:2], [stream[2], stream[0]]))
    assert rec.keys[0].client_ip == "2001:db8::10" and rec.keys[0].server_ip == "2001:db8::20"
    assert rec.pdus() == [
        (stream[0], True),
        (stream[2], False),
        (stream[1], True),
        (stream[0], False),
    ]


@pytest.mark.parametrize("linktype", [113, 276, 101])
def test_other_link_types_reach_the_same_streams(linktype: int) -> None:
    s = session()
    stream = pdus(2)
    eth = conversation(s, [stream[0]], [stream[1]])
    if linktype == 101:
        frames = [f[14:] for f in eth]
    elif linktype == 113:
        frames = [fb.sll(0x0800, f[14:], src=f[6:12]) for f in eth]
    else:
        frames = [fb.sll2(0x0800, f[14:], src=f[6:12]) for f in eth]
    _, rec = run(frames, linktype=linktype)
    assert rec.pdus() == [(stream[0], True), (stream[1], False)]
    key = rec.keys[0]
    assert key.client_mac == ("" if linktype == 101 else CMAC)
    assert key.server_mac == ""


# -- UDP and fragments --------------------------------------------------------------------


def _udp_frame(
    src: str, dst: str, sport: int, dport: int, payload: bytes, smac: str = CMAC, dmac: str = SMAC
) -> bytes:
    return fb.ethernet(dmac, smac, 0x0800, fb.ipv4(src, dst, 17, fb.udp(sport, dport, payload)))


def test_udp_conversation_direction_and_payloads() -> None:
    frames = [
        _udp_frame(SERVER, CLIENT, UDP_PORT, 50000, b"reply-first", SMAC, CMAC),
        _udp_frame(CLIENT, SERVER, 50000, UDP_PORT, b"request"),
        _udp_frame(CLIENT, SERVER, 50000, UDP_PORT, b"x" * 2),  # shorter than 60: slow path
    ]
    _, rec = run(frames)
    (key,) = rec.keys
    assert (key.transport, key.client_ip, key.server_port) == ("udp", CLIENT, UDP_PORT)
    assert [(e[2], e[3]) for e in rec.of("datagram")] == [
        (b"reply-first", False),
        (b"request", True),
        (b"x" * 2, True),
    ]
    assert rec.kinds()[-1] == "close"  # at the end of the capture
    assert rec.traffic[0][3] == 3


def test_traffic_reports_which_ends_sent_over_the_whole_flow() -> None:
    # Requests long enough for the fast path after the first, so both paths count.
    request = _udp_frame(CLIENT, SERVER, 50000, UDP_PORT, b"request" * 10)
    reply = _udp_frame(SERVER, CLIENT, UDP_PORT, 50000, b"reply" * 10, SMAC, CMAC)
    walker, rec = recording_walker()
    walker.feed(1, 1.0, 1, request)
    walker.feed(2, 2.0, 1, request)
    walker.checkpoint()
    walker.feed(3, 3.0, 1, reply)
    walker.checkpoint()
    walker.feed(4, 4.0, 1, request)
    walker.finish()
    # Unanswered so far; answered; still answered in the last delta (requests only).
    assert rec.senders == [(True, False), (True, True), (True, True)]
    assert [t[3] for t in rec.traffic] == [2, 1, 1]
    _, rec = run([reply])  # a reply whose request the capture missed
    assert rec.senders == [(False, True)]
    _, rec = run(conversation(session(), [pdu(b"q")], [pdu(b"r")]))
    assert rec.senders == [(True, True)]


def test_udp_conversation_ends_after_idle_timeout() -> None:
    walker, rec = recording_walker(udp_idle_timeout=30.0)
    walker.feed(1, 0.0, 1, _udp_frame(CLIENT, SERVER, 50000, UDP_PORT, b"a"))
    walker.feed(SWEEP_FRAMES, 100.0, 1, _udp_frame(CLIENT, "10.0.0.3", 50001, 9, b"b"))
    assert rec.kinds() == ["open", "datagram", "close"] and len(rec.traffic) == 1
    walker.feed(SWEEP_FRAMES + 1, 101.0, 1, _udp_frame(CLIENT, SERVER, 50000, UDP_PORT, b"c"))
    walker.finish()
    assert rec.kinds() == ["open", "datagram", "close", "open", "datagram", "close"]


def test_udp_same_port_both_sides_first_sender_is_client() -> None:
    frames = [_udp_frame(SERVER, CLIENT, UDP_PORT, UDP_PORT, b"i-am", SMAC, CMAC)]
    _, rec = run(frames)
    assert rec.keys[0].client_ip == SERVER


def test_fragmented_udp_is_reassembled_once() -> None:
    payload = bytes(range(256)) * 10
    datagram = fb.udp(50000, UDP_PORT, payload)
    frags = fb.fragment_ipv4(CLIENT, SERVER, 17, datagram, 800, ident=0x1234)
    frames = [fb.ethernet(SMAC, CMAC, 0x0800, f) for f in frags]
    walker, rec = run([frames[2], frames[0], frames[3], frames[1]])
    assert [e[2] for e in rec.of("datagram")] == [payload]
    assert rec.traffic[0][3:5] == (4, sum(len(f) for f in frames))
    stats = walker.stats
    assert (stats.fragments, stats.reassembled, stats.frames) == (4, 1, 4)


def test_fragment_missing_gives_nothing() -> None:
    datagram = fb.udp(50000, UDP_PORT, bytes(3000))
    frags = fb.fragment_ipv4(CLIENT, SERVER, 17, datagram, 800, ident=7)
    walker, rec = run([fb.ethernet(SMAC, CMAC, 0x0800, f) for f in frags[:-1]])
    assert rec.of("datagram") == [] and walker.stats.fragments_dropped == 1


# -- hosts, ARP, EtherType handlers -------------------------------------------------------


def test_hosts_once_per_mac_ip_vlan() -> None:
    s = session()
    frames = conversation(s, pdus(2), pdus(2))
    frames += conversation(session(client_port=40001, vlans=[3]), pdus(1), pdus(1))
    who = fb.arp(1, "00:1d:9c:00:00:09", "10.0.0.9", bytes(6), CLIENT)
    frames.append(fb.ethernet("ff:ff:ff:ff:ff:ff", "00:1d:9c:00:00:09", 0x0806, who))
    _, rec = run(frames)
    assert len(rec.hosts) == 5
    assert {h[:3] for h in rec.hosts} == {
        (CMAC, CLIENT, None),
        (SMAC, SERVER, None),
        (CMAC, CLIENT, 3),
        (SMAC, SERVER, 3),
        ("00:1d:9c:00:00:09", "10.0.0.9", None),
    }
    assert rec.hosts[0] == (CMAC, CLIENT, None, 1)


def test_sources_no_host_owns_are_no_ip_host_but_their_mac_is_a_host() -> None:
    frames = [
        _udp_frame("0.0.0.0", "255.255.255.255", 68, 67, bytes(300)),  # DHCP discover
        _udp_frame("10.0.0.5", "224.0.0.251", 5353, 5353, b"mdns"),
        _udp_frame("224.0.0.1", "10.0.0.5", 1, 2, b"spoof"),
        fb.ethernet(
            "ff:ff:ff:ff:ff:ff", CMAC, 0x0806, fb.arp(1, CMAC, "0.0.0.0", bytes(6), "10.0.0.7")
        ),  # ARP probe
        fb.ethernet("33:33:00:00:00:01", CMAC, 0x86DD, fb.ipv6("::", "ff02::1", 58, bytes(8))),
    ]
    _, rec = run(frames)
    # The DHCP client has no address yet, but it is a device: a MAC-only host,
    # told once; the frames after it only move its last activity.
    assert rec.hosts == [(CMAC, None, None, 1), (CMAC, "10.0.0.5", None, 2)]
    assert [a[:4] for a in rec.activity] == [(CMAC, None, None, 5)]


# -- MAC-only hosts -----------------------------------------------------------------------

LLDP_DST, STP_DST = "01:80:c2:00:00:0e", "01:80:c2:00:00:00"
LLDP = b"\x02\x07\x04" + bytes(40)
BPDU = b"\x42\x42\x03" + bytes(35)  # 802.2 LLC to the STP SAP, a config BPDU
M1, M2, M3, M4 = (f"00:0e:8c:00:00:0{i}" for i in range(1, 5))


def _stp(src: str) -> bytes:
    """An 802.3 frame: the type field is the length of the LLC payload."""
    return fb.ethernet(STP_DST, src, len(BPDU), BPDU)


def test_layer2_only_senders_are_mac_only_hosts_once_per_vlan() -> None:
    frames = [
        fb.ethernet(LLDP_DST, M1, 0x88CC, LLDP),
        _stp(M2),
        fb.ethernet("01:0e:cf:00:00:00", M3, 0x8892, bytes(20), vlans=[0]),  # priority tag
        fb.ethernet("01:0c:cd:01:00:01", M4, 0x88B8, bytes(30), vlans=[5]),  # GOOSE
        fb.ethernet(LLDP_DST, M1, 0x88CC, LLDP),
        fb.ethernet("01:0c:cd:01:00:01", M4, 0x88B8, bytes(30), vlans=[7]),
        fb.ethernet(LLDP_DST, "01:00:5e:00:00:01", 0x88CC, LLDP),  # group source: invalid
        fb.ethernet(LLDP_DST, "ff:ff:ff:ff:ff:ff", 0x88CC, LLDP),
        fb.ethernet(LLDP_DST, "00:00:00:00:00:00", 0x88CC, LLDP),  # no device's own
        fb.ethernet(LLDP_DST, "03:00:00:00:00:01", 0x88CC, LLDP),  # group bit set
    ]
    walker, rec = run(frames)
    assert rec.hosts == [
        (M1, None, None, 1),
        (M2, None, None, 2),
        (M3, None, None, 3),
        (M4, None, 5, 4),
        (M4, None, 7, 6),
    ]
    assert walker.stats.hosts == 5 and walker.stats.non_ip == 10
    assert [a[:4] for a in rec.activity] == [(M1, None, None, 5)]  # the only one heard again


def test_a_mac_known_by_its_ip_is_no_mac_only_host() -> None:
    s = session()
    frames = s.handshake()
    frames.append(fb.ethernet(LLDP_DST, CMAC, 0x88CC, LLDP))
    frames.append(_stp(SMAC))
    frames.append(_udp_frame("0.0.0.0", "255.255.255.255", 68, 67, bytes(300)))  # a renewal
    walker, rec = run(frames)
    assert [h[:3] for h in rec.hosts] == [(CMAC, CLIENT, None), (SMAC, SERVER, None)]
    assert rec.activity == [] and walker.stats.hosts == 2


def test_mac_only_host_then_its_ip_are_both_told() -> None:
    s = session()
    frames = [fb.ethernet("01:0e:cf:00:00:00", CMAC, 0x8892, bytes(20))]  # DCP, no IP yet
    frames += s.handshake()
    _, rec = run(frames)
    assert [h[:3] for h in rec.hosts] == [
        (CMAC, None, None),
        (CMAC, CLIENT, None),
        (SMAC, SERVER, None),
    ]


def test_mac_only_hosts_of_linux_cooked_captures() -> None:
    frames = [fb.sll(0x88CC, LLDP, src=M1), fb.sll(0x88CC, LLDP, src=b"")]  # no address: none
    _, rec = run(frames, linktype=113)
    assert rec.hosts == [(M1, None, None, 1)]


def test_mac_only_activity_is_told_at_each_checkpoint_since_the_previous() -> None:
    walker, rec = recording_walker()
    lldp = [fb.ethernet(LLDP_DST, M1, 0x88CC, LLDP), _stp(M2)]
    frames = numbered(lldp * 3, step=1.0)
    walker.advance(frames[:2])
    walker.checkpoint()
    assert rec.activity == []  # one frame each: the sighting is all there is
    walker.advance(frames[2:5])
    walker.checkpoint()
    assert rec.activity == [(M1, None, None, 5, 1004.0), (M2, None, None, 4, 1003.0)]
    walker.checkpoint()
    assert len(rec.activity) == 2  # nothing new
    walker.advance(frames[5:])
    walker.finish()
    assert rec.activity[2:] == [(M2, None, None, 6, 1005.0)]
    assert [h[:2] for h in rec.hosts] == [(M1, None), (M2, None)]


def test_mac_only_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import otm.capture.walker as walker_module

    monkeypatch.setattr(walker_module, "MAX_HOSTS", 4)
    frames = [fb.ethernet(LLDP_DST, f"00:0e:8c:00:01:{i:02x}", 0x88CC, LLDP) for i in range(10)]
    walker, rec = run(frames * 2)
    assert walker.stats.hosts <= 4
    assert len(rec.hosts) > 10  # forgotten senders are told again, never lost


def test_mac_change_on_a_flow_is_a_new_host() -> None:
    s = session()
    frames = s.handshake() + s.send(pdus(1)[0], True)
    s.client_mac = "00:1d:9c:00:00:77"  # e.g. a failover behind the same IP
    frames += s.send(pdus(1, tag=1)[0], True)
    _, rec = run(frames)
    assert ("00:1d:9c:00:00:77", CLIENT, None) in [h[:3] for h in rec.hosts]
    assert len(rec.pdus()) == 2


def test_raw_ip_hosts_have_no_mac() -> None:
    s = session()
    _, rec = run([f[14:] for f in s.handshake()], linktype=101)
    assert sorted(h[:2] for h in rec.hosts) == [("", CLIENT), ("", SERVER)]


def test_ethertype_handler_gets_payload_macs_and_vlan() -> None:
    walker, rec = recording_walker()
    walker.register_ethertype(0x88CC, rec.ethernet)
    lldp = b"\x02\x07\x04" + bytes(40)
    frames = [
        fb.ethernet("01:80:c2:00:00:0e", CMAC, 0x88CC, lldp, vlans=[0, 44]),
        fb.ethernet("01:80:c2:00:00:0e", SMAC, 0x88CC, lldp),
    ]
    walker.walk(numbered(frames))
    assert rec.ether == [
        (lldp, CMAC, "01:80:c2:00:00:0e", 44, 1),
        (lldp, SMAC, "01:80:c2:00:00:0e", None, 2),
    ]
    assert walker.stats.non_ip == 2


def test_duplicate_registration_is_refused() -> None:
    walker, _ = recording_walker()
    with pytest.raises(ValueError, match="already registered"):
        walker.register_tcp(PORT, "again", toy_framer, Recorder().stream)


# -- stats and malformed frames -----------------------------------------------------------


def test_malformed_headers_are_counted_by_kind() -> None:
    good = session().handshake()[0]
    frames = [
        b"\x00" * 10,  # short Ethernet
        good[:14] + b"\x46" + good[15:34],  # IHL 6 without the bytes: truncated
        good[:14] + b"\x35" + good[15:],  # IP version 3
        good[:46] + b"\x30" + good[47:],  # TCP data offset 12 bytes
        fb.ethernet(SMAC, CMAC, 0x0800, fb.ipv4(CLIENT, SERVER, 17, b"\x00\x01\x00\x02\x00\x03")),
        # UDP length 100 in a 10-byte datagram (VLAN-tagged: the general path)
        fb.ethernet(
            SMAC, CMAC, 0x0800, fb.ipv4(CLIENT, SERVER, 17, b"\0\1\0\2\0\x64\0\0xy"), vlans=[1]
        ),
    ]
    walker, _ = run(frames)
    walker.feed(99, 0.0, 4242, b"\x01" * 40)
    m = walker.stats.malformed
    assert m["link_truncated"] == 1 and m["link_unknown_type"] == 1
    assert m["ipv4_header_truncated"] == 1 and m["ipv4_bad_header"] == 1
    assert m["tcp_bad_header"] == 1 and m["udp_bad_header"] == 1
    assert m["udp_bad_length"] == 1


def test_stats_count_every_frame_and_byte_on_both_paths() -> None:
    s = session()
    frames = conversation(s, pdus(5), pdus(5))  # fast path for most
    frames += conversation(session(vlans=[9], client_port=41000), pdus(3), pdus(3))  # slow path
    frames.append(b"\x00" * 9)
    walker, _ = run(frames)
    stats = walker.stats
    assert stats.frames == len(frames) and stats.bytes == sum(len(f) for f in frames)
    assert stats.tcp_flows == 2 and stats.flows == 2 and stats.hosts == 4


def test_feed_and_walk_agree() -> None:
    s = session()
    stream = pdus(6)
    frames = s.handshake() + s.send(b"".join(stream), True, segments=[7, 20, 30, 33]) + s.close()
    _, walked = run(frames)
    fed_walker, fed = recording_walker()
    for item in numbered(frames):
        fed_walker.feed(*item)
    fed_walker.finish()
    assert fed.events == walked.events and fed.traffic == walked.traffic


# -- real captures ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "mb2.pcap",
        "s7comm_plus.pcap",
        "python_opcua-client-server_minimal.pcap",
        "tia_s300_goOnline.pcapng",
        "EIP-IPAddressChangeAttempt.pcap",
    ],
)
def test_real_captures_walk_cleanly(name: str, pcaps: Path) -> None:
    gt = json.loads((pcaps / "groundtruth" / f"{name}.json").read_text())
    walker, rec = recording_walker(tcp_ports=(), udp_ports=())
    with open_capture(pcaps / name) as reader:
        walker.walk(reader)
        sizes = None
    with open_capture(pcaps / name) as reader:
        sizes = sum(len(f[3]) for f in reader)
    stats = walker.stats
    assert stats.frames == gt["frames"] and stats.bytes == sizes
    assert sum(t[3] for t in rec.traffic) <= stats.frames


@pytest.mark.tshark
@pytest.mark.parametrize("name", ["mb2.pcap", "enip_cip_example.pcap", "s7comm_plus.pcap"])
def test_hosts_and_tcp_connections_agree_with_tshark(name: str, pcaps: Path, tshark: str) -> None:
    """Every (MAC, IPv4) source tshark sees is a host, and nothing else; one TCP
    flow per tshark stream (port reuse and mid-stream starts included)."""
    walker, rec = recording_walker(tcp_ports=(), udp_ports=())
    with open_capture(pcaps / name) as reader:
        walker.walk(reader)
    fields = [
        "eth.src",
        "sll.src.eth",
        "ip.src",
        "arp.src.hw_mac",
        "arp.src.proto_ipv4",
        "tcp.stream",
        "ip.flags.mf",
        "ip.frag_offset",
    ]
    cmd = [tshark, "-n", "-r", str(pcaps / name), "-T", "fields", "-E", "separator=|"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    expected = set()
    streams = set()
    for line in out.splitlines():
        eth, sll, ip, arp_mac, arp_ip, stream, _, _ = line.split("|")
        mac = eth or sll
        ip = ip.split(",")[0]  # ICMP errors quote an inner header
        if ip and not ip.startswith(("0.", "224.", "239.", "255.")):
            expected.add((mac, ip))
        if arp_ip and arp_ip != "0.0.0.0":
            expected.add((arp_mac, arp_ip))
        if stream:
            streams.add(stream)
    got = {(mac, ip) for mac, ip, vlan, _ in rec.hosts if "." in str(ip)}
    assert got == expected
    assert walker.stats.tcp_flows == len(streams)


def _vlan(ids: str) -> int | None:
    """The walker's VLAN from tshark's ``vlan.id`` list: the outermost non-zero VID."""
    return next((int(v) for v in ids.split(",") if v and int(v)), None)


def _host_ip(ip: str) -> bool:
    """tshark's view of ``can_be_host``: not 0/8, multicast, 240/4, ``::``, ff00::/8."""
    if ":" in ip:
        return ip != "::" and not ip.lower().startswith("ff")
    return 0 < int(ip.split(".", maxsplit=1)[0]) < 224


def _device_mac(mac: str) -> bool:
    """A MAC one device sends from: not all zeros, the I/G (group) bit clear."""
    return mac != "00:00:00:00:00:00" and not int(mac[:2], 16) & 1


@pytest.mark.tshark
@pytest.mark.parametrize(
    "name",
    [
        "mb2.pcap",  # STP and CDP from switch ports, DCP from PROFINET devices and switches
        "PROFINET-RT.pcap",  # DCP only: every sender is MAC-only
        "EIP-IPAddressChangeAttempt.pcap",  # LLDP before the same MAC sends IGMP; DHCP, BOOTP
        "enip_cip_example.pcap",  # STP, LLDP from a host known by ARP first
        "ChangeIPUsingDCP.pcap",  # a PROFINET device named and addressed over DCP
        "DNP3Value.pcap",  # ARP probes and IPv6 DAD from known hosts
        "modbusAnalog.pcap",  # DHCP from the all-zero MAC
        "bacnet-ip.pcap",  # BACnet over 802.2 LLC
        "mmsy.pcap",  # an IED heard on layer 2 first, a host sending LLDP after its IP
        "iedscout.pcap",  # GOOSE from an IED already heard from its IP
    ],
)
def test_mac_only_hosts_agree_with_tshark(name: str, pcaps: Path, tshark: str) -> None:
    """Every MAC-only host is a unicast, non-zero ``eth.src`` of a frame that is
    not IP (ARP included) or whose source address no host owns, first told at
    the first such frame, unless tshark showed the MAC sending from a host IP
    (or as an ARP sender of one) before; and nothing else."""
    walker, rec = recording_walker(tcp_ports=(), udp_ports=())
    with open_capture(pcaps / name) as reader:
        walker.walk(reader)
    fields = ["frame.number", "eth.src", "sll.src.eth", "ip.src", "ipv6.src",
              "arp.src.hw_mac", "arp.src.proto_ipv4", "vlan.id"]  # fmt: skip
    cmd = [tshark, "-n", "-r", str(pcaps / name), "-T", "fields", "-E", "separator=|"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    ip_macs: set[str] = set()
    expected: dict[tuple[str, int | None], int] = {}
    for line in out.splitlines():
        frame, eth, sll, ip4, ip6, arp_mac, arp_ip, vlans = line.split("|")
        mac = eth or sll
        ip = (ip4 or ip6).split(",")[0]  # ICMP errors quote an inner header
        senders = [mac]
        if ip and _host_ip(ip):
            ip_macs.add(mac)
            senders = []
        elif arp_mac:
            if _host_ip(arp_ip):
                ip_macs.add(arp_mac)
            else:
                senders.insert(0, arp_mac)
        for sender in senders:
            if sender and sender not in ip_macs and _device_mac(sender):
                expected.setdefault((sender, _vlan(vlans)), int(frame))
    got = {(mac, vlan): frame for mac, ip, vlan, frame in rec.hosts if ip is None}
    assert got == expected
    assert len(rec.hosts) == len({h[:3] for h in rec.hosts})  # each told once


# -- properties ---------------------------------------------------------------------------

LINKTYPES = st.sampled_from([0, 1, 1, 1, 12, 101, 108, 113, 228, 229, 276, 7])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(LINKTYPES, st.binary(max_size=90)), max_size=12))
def test_random_frames_never_raise(frames: list[tuple[int, bytes]]) -> None:
    walker, _ = recording_walker(tcp_ports=(PORT, 0), udp_ports=(UDP_PORT, 0))
    template = session().handshake()[1]
    for i, (linktype, data) in enumerate(frames):
        walker.feed(i + 1, float(i), linktype, data)
        # and the same bytes inside a plausible Ethernet/IPv4/TCP frame
        walker.feed(i + 1, float(i), 1, template[: (i * 7) % 54] + data)
    walker.finish()
    assert walker.stats.frames == 2 * len(frames)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.binary(max_size=40), min_size=1, max_size=8),
    st.lists(st.integers(1, 60), min_size=1, max_size=12),
    st.integers(0, 2**32 - 1),
    st.booleans(),
    st.lists(st.integers(0, 30), max_size=4),
)
def test_any_segmentation_delivers_the_same_pdus(
    bodies: list[bytes], cuts: list[int], isn: int, vlan: bool, dups: list[int]
) -> None:
    """However the stream is cut into segments (and whatever the ISN, fast or
    general path, with retransmitted or adjacent-swapped segments), the same
    PDUs come out in order."""
    stream = [pdu(b) for b in bodies]
    data = b"".join(stream)
    s = session(client_isn=isn, vlans=[7] if vlan else [])
    frames = s.handshake()
    segs = s.send(data, True, segments=cuts)
    for d in dups:
        k = d % len(segs)
        if d % 3 == 0:
            segs.insert(k, segs[k])  # retransmission
        elif k + 1 < len(segs):
            segs[k], segs[k + 1] = segs[k + 1], segs[k]  # reordering
    frames += [*segs, s.ack(False), *s.close()]
    _, rec = run(frames)
    assert rec.pdus() == [(p, True) for p in stream]
    assert rec.of("gap") == [] and rec.of("invalid") == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 4000), min_size=2, max_size=12), st.integers(0, 99))
def test_udp_fragments_any_order(sizes: list[int], seed: int) -> None:
    import random

    payload = bytes(i & 0xFF for i in range(sum(sizes)))
    datagram = fb.udp(50000, UDP_PORT, payload)
    units = max(1 + sizes[0] % 180, len(datagram) // 8 // 100 + 1)  # <= 100 fragments
    frags = fb.fragment_ipv4(CLIENT, SERVER, 17, datagram, 8 * units, ident=seed)
    frames = [fb.ethernet(SMAC, CMAC, 0x0800, f) for f in frags]
    random.Random(seed).shuffle(frames)
    _, rec = run(frames)
    assert [e[2] for e in rec.of("datagram")] == [payload]


def test_walk_reports_progress_from_the_reader(tmp_path: Path) -> None:
    from otm.capture.writer import PcapWriter

    s = session()
    path = tmp_path / "p.pcap"
    with path.open("wb") as fh:
        w = PcapWriter(fh)
        for i, frame in enumerate(conversation(s, pdus(50), pdus(50))):
            w.write(float(i), frame)
    calls: list[tuple[int, int]] = []
    walker = PacketWalker()
    with open_capture(path) as reader:
        walker.walk(reader, lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (path.stat().st_size, path.stat().st_size)


def test_struct_sanity_of_toy_protocol() -> None:
    """The toy framer itself: NEED_DATA, INVALID and length."""
    assert toy_framer(b"", 0) == 0 and toy_framer(b"\xa5\x00", 0) == 0
    assert toy_framer(b"\x00", 0) == -1
    assert toy_framer(b"xx" + pdu(b"abc"), 2) == 6
    assert struct.unpack(">H", pdu(b"ab")[1:3]) == (2,)


def test_benchmark_capture_generator_still_works(tmp_path: Path) -> None:
    """bench/capture_walk.py builds a capture the walker reassembles without loss."""
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "bench" / "capture_walk.py"
    spec = importlib.util.spec_from_file_location("capture_walk_bench", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "bench.pcap"
    written = bench.build(out, 3000)
    walker = bench.walker()
    bench._Null.pdus = 0
    with open_capture(out) as reader:
        walker.walk(reader)
    stats = walker.stats
    assert stats.frames == written >= 3000
    assert bench._Null.pdus > 1500 and stats.gaps == 0 and stats.invalid == 0


# -- probes --------------------------------------------------------------------------------


class _Probe:
    def __init__(self, seen: list[tuple[bytes, bool, int]], done_after: int) -> None:
        self.seen = seen
        self.done_after = done_after

    def on_payload(self, payload: bytes, from_client: bool, frame: int, ts: float) -> bool:
        self.seen.append((payload, from_client, frame))
        return len(self.seen) >= self.done_after


def _probed_walk(frames: list[bytes], done_after: int) -> list[tuple[bytes, bool, int]]:
    seen: list[tuple[bytes, bool, int]] = []
    walker = PacketWalker()
    walker.register_tcp_probe(2222, "probe", lambda key, ts, frame: _Probe(seen, done_after))
    walker.walk(numbered(frames))
    return seen


def test_a_probe_sees_first_payloads_both_ways_until_done() -> None:
    s = session(server_port=2222)
    frames = conversation(s, [b"hello", b"again"], [b"world", b"more"])
    seen = _probed_walk(frames, done_after=2)
    assert [(p, c) for p, c, _ in seen] == [(b"hello", True), (b"world", False)]
    # Mid-stream capture (no handshake): the probed port still names the server.
    seen = _probed_walk(frames[3:], done_after=9)
    assert [(p, c) for p, c, _ in seen] == [
        (b"hello", True), (b"world", False), (b"again", True), (b"more", False)
    ]  # fmt: skip


def test_a_probe_is_bounded_even_if_never_done() -> None:
    s = session(server_port=2222)
    many = [bytes([i]) * 3 for i in range(MAX_PROBE_SEGMENTS + 5)]
    seen = _probed_walk(conversation(s, many, many), done_after=10**6)
    assert len(seen) == MAX_PROBE_SEGMENTS


def test_a_reassembled_port_is_not_probed() -> None:
    seen: list[tuple[bytes, bool, int]] = []
    walker, rec = recording_walker()
    walker.register_tcp_probe(PORT, "probe", lambda key, ts, frame: _Probe(seen, 99))
    walker.walk(numbered(conversation(session(), [pdu(b"abc")], [pdu(b"def")])))
    assert not seen and [e for e in rec.events if e[0] == "pdu"]
    with pytest.raises(ValueError):
        walker.register_tcp_probe(PORT, "again", lambda key, ts, frame: _Probe(seen, 1))


def test_a_heuristic_adopts_a_connection_on_any_port_from_its_first_payload() -> None:
    walker, rec = recording_walker(tcp_ports=())
    walker.register_tcp_heuristic(
        "toy", lambda payload: payload[:1] == pdu(b"")[:1], toy_framer, rec.stream
    )
    s = session(server_port=40404)
    walker.walk(numbered(conversation(s, [pdu(b"ab"), pdu(b"cd")], [pdu(b"ef"), pdu(b"gh")])))
    assert rec.pdus() == [
        (pdu(b"ab"), True), (pdu(b"ef"), False), (pdu(b"cd"), True), (pdu(b"gh"), False)
    ]  # fmt: skip
    # A connection whose first bytes the detector rejects is never looked at again.
    walker, rec = recording_walker(tcp_ports=())
    walker.register_tcp_heuristic("toy", lambda payload: False, toy_framer, rec.stream)
    walker.walk(numbered(conversation(session(server_port=40405), [pdu(b"ab")], [pdu(b"cd")])))
    assert rec.pdus() == []
