"""The flow-level signatures and the DHCP/DNS/NTP decoders: edges and fuzz."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from otm.protocols.common import Anomaly
from otm.protocols.it import dhcp, dns, http, ntp
from otm.protocols.it.signatures import PROTOCOLS, Verdict, classify, ssh_banner, vnc_version

OPENINGS = {
    "ssh": b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n",
    "telnet": b"\xff\xfd\x18\xff\xfd\x20",
    "rdp": b"\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x03\x00\x00\x00",
    "smb": b"\x00\x00\x00\x45\xfeSMB" + bytes(60),
    "vnc": b"RFB 003.008\n",
    "http": b"GET /index.html HTTP/1.1\r\nHost: plc\r\n\r\n",
    "tls": b"\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03" + bytes(20),
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_each_opening_is_recognised_and_only_by_its_own_signature(protocol: str) -> None:
    assert classify(protocol, OPENINGS[protocol]) is Verdict.YES
    for other, data in OPENINGS.items():
        if other != protocol and not (protocol == "rdp" and other == "tls"):
            assert classify(protocol, data) is not Verdict.YES, (protocol, other)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_prefix_of_an_opening_is_never_rejected(protocol: str) -> None:
    opening = OPENINGS[protocol]
    for cut in range(1, 4):
        assert classify(protocol, opening[:cut]) is not Verdict.NO, (protocol, cut)


def test_banners() -> None:
    assert ssh_banner(OPENINGS["ssh"]) == "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13"
    assert ssh_banner(b"HTTP/1.1 200 OK") is None
    assert vnc_version(OPENINGS["vnc"]) == "003.008"
    response = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nserver: Boa/0.94.13\r\n\r\nbody"
    assert http.response_header(response, "Server") == "Boa/0.94.13"
    assert http.response_header(response, "Location") is None
    assert http.status_code(response) == 200
    assert http.response_header(OPENINGS["http"], "Server") is None


def dhcp_request(options: bytes, op: int = 1, mac: bytes = b"\x00\x1b\x1b\x02\xe6\x1f") -> bytes:
    fixed = struct.pack("!BBBBIHH4s4s4s4s", op, 1, 6, 0, 0x1234, 0, 0, bytes(4), bytes(4),
                        bytes(4), bytes(4))  # fmt: skip
    return fixed + mac + bytes(10) + bytes(64) + bytes(128) + dhcp.MAGIC + options + b"\xff"


def test_dhcp_request_names_its_host() -> None:
    options = (
        b"\x35\x01\x03"  # request
        + b"\x0c\x07HMI-L03"
        + b"\x3c\x08MSFT 5.0"
        + b"\x32\x04\x0a\x00\x00\x17"
        + b"\x37\x04\x01\x03\x06\x0f"
        + b"\x51\x0c\x00\x00\x00hmi.plant"  # option 81, ASCII name
    )
    msg = dhcp.decode(dhcp_request(options))
    assert isinstance(msg, dhcp.DhcpMessage)
    assert msg.client_mac == "00:1b:1b:02:e6:1f" and msg.message_type == "request"
    assert (msg.host_name, msg.vendor_class, msg.requested_ip) == (
        "HMI-L03",
        "MSFT 5.0",
        "10.0.0.23",
    )
    assert msg.parameter_list == (1, 3, 6, 15) and msg.fqdn == "hmi.plant"


def test_dhcp_rejects_what_it_cannot_read() -> None:
    good = dhcp_request(b"\x35\x01\x01")
    assert isinstance(dhcp.decode(good[:200]), Anomaly)
    bad_magic = good[:236] + b"\x00\x00\x00\x00" + good[240:]
    assert dhcp.decode(bad_magic) == Anomaly(dhcp.DhcpAnomaly.BAD_MAGIC, "00000000", 236)
    cut = dhcp.decode(good[:-1] + b"\x0c\x10abc")
    assert isinstance(cut, Anomaly) and cut.kind is dhcp.DhcpAnomaly.TRUNCATED


def dns_response(name: bytes, address: bytes) -> bytes:
    header = struct.pack("!HHHHHH", 7, 0x8180, 1, 1, 0, 0)
    question = name + b"\x00\x01\x00\x01"
    answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + address
    return header + question + answer


def test_dns_answer_follows_compression() -> None:
    msg = dns.decode(dns_response(b"\x03hmi\x05plant\x00", b"\x0a\x00\x00\x17"))
    assert isinstance(msg, dns.DnsMessage) and msg.response
    assert msg.answers == (dns.DnsAnswer("hmi.plant", dns.TYPE_A, "10.0.0.23"),)
    assert dns.ptr_address("23.0.0.10.in-addr.arpa") == "10.0.0.23"
    assert dns.ptr_address("example.com") is None


def test_dns_pointer_loop_ends() -> None:
    header = struct.pack("!HHHHHH", 7, 0x8180, 1, 0, 0, 0)
    looped = header + b"\xc0\x0c"  # the name points at itself
    got = dns.decode(looped)
    assert isinstance(got, Anomaly) and got.kind is dns.DnsAnomaly.BAD_NAME


def test_ntp_server_reply() -> None:
    reply = bytes([0x24, 2, 6, 0xEC]) + bytes(8) + bytes([192, 168, 1, 1]) + bytes(32)
    msg = ntp.decode(reply)
    assert msg == ntp.NtpMessage(4, "server", 2, "192.168.1.1")
    gps = bytes([0x24, 1, 6, 0xEC]) + bytes(8) + b"GPS\x00" + bytes(32)
    assert ntp.decode(gps) == ntp.NtpMessage(4, "server", 1, "GPS")
    assert isinstance(ntp.decode(reply[:47]), Anomaly)
    assert isinstance(ntp.decode(b"\x3c" + reply[1:]), Anomaly)  # version 7


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=600))
def test_decoders_never_raise(data: bytes) -> None:
    for decode in (dhcp.decode, dns.decode, ntp.decode):
        decode(data)
    for protocol in PROTOCOLS:
        assert isinstance(classify(protocol, data), Verdict)
    ssh_banner(data)
    vnc_version(data)
    http.response_header(data, "Server")
    http.status_code(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.integers(0, 599))
def test_dhcp_and_dns_mutations_never_raise(tail: bytes, cut: int) -> None:
    base = dhcp_request(b"\x35\x01\x03\x0c\x03abc") + tail
    dhcp.decode(base[:cut])
    dns.decode((dns_response(b"\x01a\x00", b"\x01\x02\x03\x04") + tail)[: cut % 80])
