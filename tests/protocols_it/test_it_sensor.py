"""Flow-level IT protocols through the passive engine, with tshark as the oracle.

Two kinds of traffic: connections this test writes (one per probed protocol,
plus decoys whose bytes do not match their port) and the shared captures'
DHCP, DNS, NTP and SMB traffic.  tshark says which protocol each connection
carries and what the DHCP/NTP/DNS messages contain; otm must agree.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import PCAPS
from otm.capture.frames import TcpSession
from otm.capture.readers import open_capture
from otm.capture.writer import PcapWriter
from otm.inventory.builder import build_inventory
from otm.model.assets import Inventory
from otm.observations.records import Communication, Identity
from otm.sensing.engine import PassiveEngine

pytestmark = pytest.mark.tshark

SERVER_BANNERS = {
    # port: (otm protocol, client payload, server payload)
    22: ("ssh", b"SSH-2.0-PuTTY_Release_0.81\r\n", b"SSH-2.0-OpenSSH_8.4p1 Debian-5\r\n"),
    23: ("telnet", b"\xff\xfb\x18", b"\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23"),
    80: (
        "http",
        b"GET / HTTP/1.1\r\nHost: 10.0.0.2\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nServer: GoAhead-Webs\r\nContent-Length: 0\r\n\r\n",
    ),
    443: (
        "https",
        b"\x16\x03\x01\x00\x2f\x01\x00\x00\x2b\x03\x03"
        + bytes(32)
        + b"\x00\x00\x02\x00\x2f\x01\x00",
        b"\x16\x03\x03\x00\x2a\x02\x00\x00\x26\x03\x03" + bytes(32) + b"\x00\x00\x2f\x00",
    ),
    5900: ("vnc", b"RFB 003.008\n", b"RFB 003.008\n"),
    3389: (
        "rdp",
        b"\x03\x00\x00\x13\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x03\x00\x00\x00",
        b"\x03\x00\x00\x13\x0e\xd0\x00\x00\x12\x34\x00\x02\x00\x08\x00\x01\x00\x00\x00",
    ),
}
DECOYS = {
    # port: bytes that are not the port's protocol
    80: b"\x00\x01\x02\x03 definitely not http",
    22: b"GET / HTTP/1.1\r\n\r\n",
    443: b"plain text on the TLS port\r\n",
}


def _write_sessions(path: Path) -> None:
    frames: list[bytes] = []
    for i, (port, (_, request, reply)) in enumerate(sorted(SERVER_BANNERS.items())):
        s = TcpSession("10.0.0.1", 40000 + i, "10.0.0.2", port, checksum=True)
        frames += s.handshake()
        frames += s.send(request, from_client=True)
        frames += s.send(reply, from_client=False)
        frames += s.close()
    for i, (port, junk) in enumerate(sorted(DECOYS.items())):
        s = TcpSession("10.0.0.3", 41000 + i, "10.0.0.4", port, checksum=True)
        frames += s.handshake()
        frames += s.send(junk, from_client=True)
        frames += s.send(junk, from_client=False)
        frames += s.close()
    with path.open("wb") as fh:
        w = PcapWriter(fh)
        for n, frame in enumerate(frames):
            w.write(1_700_000_000 + n * 0.001, frame)


def _engine(path: Path) -> list[object]:
    with open_capture(path) as reader:
        return list(PassiveEngine(ref=path.name).run(reader).observations)


def _tshark_protocols(tshark: str, path: Path) -> dict[int, set[str]]:
    """Server port -> the protocols tshark names in frame.protocols for it."""
    out = subprocess.run(
        [tshark, "-n", "-r", str(path), "-T", "fields", "-e", "tcp.dstport", "-e",
         "tcp.srcport", "-e", "frame.protocols"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    seen: dict[int, set[str]] = {}
    for line in out.splitlines():
        dport, sport, protocols = line.split("\t")
        port = min(int(dport), int(sport))
        seen.setdefault(port, set()).update(protocols.split(":"))
    return seen


TSHARK_NAMES = {
    "ssh": "ssh",
    "telnet": "telnet",
    "http": "http",
    "https": "tls",
    "vnc": "vnc",
    "rdp": "tpkt",
}


def test_each_probed_protocol_is_labelled_as_tshark_names_it(tmp_path: Path, tshark: str) -> None:
    cap = tmp_path / "it.pcap"
    _write_sessions(cap)
    observations = _engine(cap)
    seen = _tshark_protocols(tshark, tmp_path / "it.pcap")
    links = {
        (c.server_ip, c.port): c.protocol for c in observations if isinstance(c, Communication)
    }
    for port, (name, _, _) in SERVER_BANNERS.items():
        assert TSHARK_NAMES[name] in seen[port], (port, seen[port])
        assert links.get(("10.0.0.2", port)) == name
    # Decoys: tshark may still name the port's protocol; otm does not, the bytes say no.
    for port in DECOYS:
        assert ("10.0.0.4", port) not in links
    banners = {
        (o.ip, k): v for o in observations if isinstance(o, Identity) for k, v in o.fields.items()
    }
    assert banners[("10.0.0.2", "ssh_server")] == "SSH-2.0-OpenSSH_8.4p1 Debian-5"
    assert banners[("10.0.0.1", "ssh_client")] == "SSH-2.0-PuTTY_Release_0.81"
    assert banners[("10.0.0.2", "http_server")] == "GoAhead-Webs"
    assert banners[("10.0.0.2", "vnc_version")] == "003.008"


def _fields(tshark: str, capture: str, display: str, *fields: str) -> list[list[str]]:
    cmd = [tshark, "-n", "-r", str(PCAPS / capture), "-Y", display, "-T", "fields"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines() if line.strip()]


def _inventory(capture: str) -> Inventory:
    with open_capture(PCAPS / capture) as reader:
        result = PassiveEngine(ref=capture).run(reader)
    return build_inventory(result.observations)


def _identities(capture: str) -> list[Identity]:
    with open_capture(PCAPS / capture) as reader:
        result = PassiveEngine(ref=capture).run(reader)
    return [o for o in result.observations if isinstance(o, Identity)]


@pytest.mark.parametrize("capture", ["modbusAnalog.pcap", "EIP-IPAddressChangeAttempt.pcap"])
def test_dhcp_client_facts_match_tshark(capture: str, tshark: str) -> None:
    rows = _fields(
        tshark, capture, "dhcp.option.dhcp == 1 || dhcp.option.dhcp == 3 || dhcp.option.dhcp == 8",
        "dhcp.hw.mac_addr", "dhcp.option.hostname", "dhcp.option.vendor_class_id",
        "dhcp.option.request_list_item",
    )  # fmt: skip
    assert rows, "the capture holds DHCP requests"
    got = {
        (i.mac, k, v) for i in _identities(capture) if i.protocol == "dhcp"
        for k, v in i.fields.items()
    }  # fmt: skip
    for macs, hostname, vendor_class, params in rows:
        mac = macs.split(",")[0]  # tshark repeats it when option 61 carries it too
        if hostname:
            assert (mac, "hostname", hostname) in got
        if vendor_class:
            assert (mac, "dhcp_vendor_class", vendor_class) in got
        if params:
            assert (mac, "dhcp_fingerprint", params) in got


def test_ntp_servers_and_strata_match_tshark(tshark: str) -> None:
    capture = "SNMP_NTP_SysLog_00000_20060404163209.pcap"
    rows = _fields(tshark, capture, "ntp.flags.mode == 4 || ntp.flags.mode == 5", "ip.src",
                   "ntp.stratum", "ntp.refid")  # fmt: skip
    assert rows
    got = {
        (i.ip, i.fields.get("ntp_stratum"), i.fields.get("ntp_reference"))
        for i in _identities(capture)
        if i.protocol == "ntp"
    }
    for ip, stratum, refid in rows:
        # Above stratum 1 the reference id is the source's IPv4 address (tshark: hex).
        reference = ".".join(str(b) for b in bytes.fromhex(refid))
        assert (ip, int(stratum), reference) in got
    inv = _inventory(capture)
    servers = {ip for a in inv.assets.values() for s in a.services
               if s.name == "ntp" and s.role == "server" for ip in a.ips}  # fmt: skip
    assert servers == {ip for ip, _, _ in rows}


def test_dns_answers_match_tshark(tshark: str) -> None:
    capture = "modbusSmall.pcap"
    rows = _fields(
        tshark, capture, "dns.flags.response == 1 && dns.flags.rcode == 0",
        "dns.count.answers", "dns.resp.name", "dns.resp.type", "dns.a",
    )  # fmt: skip
    expected = set()
    for answers, names, types, addresses in rows:
        # tshark lists the records of all three sections in order; dns.a holds the
        # addresses of every A record among them.  otm reads the answer section.
        a_records = iter(addresses.split(","))
        for index, (name, rtype) in enumerate(zip(names.split(","), types.split(","), strict=True)):
            if rtype == "1":
                address = next(a_records)
                if index < int(answers):
                    expected.add((address, name))
    assert expected
    got = {(i.ip, i.fields["dns_name"]) for i in _identities(capture) if i.protocol == "dns"}
    assert got == expected


@pytest.mark.parametrize("capture", ["mb2.pcap", "EIP-IPAddressChangeAttempt.pcap"])
def test_smb_connections_match_tshark(capture: str, tshark: str) -> None:
    display = "tcp && (smb || smb2 || nbss)"
    rows = _fields(tshark, capture, display, "ip.src", "ip.dst", "tcp.srcport", "tcp.dstport")
    expected = set()
    for src, dst, sport, dport in rows:
        expected.add((dst, int(dport)) if int(dport) in (139, 445) else (src, int(sport)))
    inv = _inventory(capture)
    got = {(link.server, link.port) for link in inv.links.values() if link.protocol == "smb"}
    assert got == expected
