"""Every protocol otm knows, once: what it extracts and how far it is trusted.

The registry (``otm.sensing.registry``) says which sensors run; this catalog
says, for each protocol name they put on links, what a user gets from it and
its maturity, so ``otm protocols`` can answer "does otm understand my
plant?".  Transports and ports are not written here: they are read from what
the sensors actually register on a walker (``transports``), so the table
cannot drift from the code.  A test checks both directions (every registered
protocol is catalogued, every catalogued one is registered) and that every
maturity claim has the test behind it.

Maturity, cumulative:
- ``decodes``: a codec parses the protocol's messages (not only recognises them);
- ``identity``: identity facts are extracted into the inventory;
- ``oracle``: checked against tshark on real captures, field by field or
  endpoint by endpoint;
- ``fuzzed``: property/fuzz tests prove the decoder never raises or hangs.
"""

from __future__ import annotations

from dataclasses import dataclass

from otm.capture.walker import PacketWalker
from otm.sensing.aggregate import Tally
from otm.sensing.labels import FlowLabels
from otm.sensing.registry import SENSORS


@dataclass(frozen=True, slots=True)
class ProtocolEntry:
    """One protocol as otm names it on links."""

    name: str
    title: str
    family: str  # industrial | it | network
    extracts: str
    decodes: bool
    identity: bool
    oracle: bool
    fuzzed: bool
    via: str = ""  # the protocol whose port and sensor carry this one (S7comm-plus: s7comm)


CATALOG: tuple[ProtocolEntry, ...] = (
    ProtocolEntry(
        "modbus", "Modbus/TCP", "industrial",
        "unit ids; Read Device Identification (vendor, product code, revision, model, name); "
        "Report Server ID; every function code as an operation; exceptions; values written "
        "(5/6/15/16/22/23) per coil and register",
        True, True, True, True,
    ),
    ProtocolEntry(
        "enip", "EtherNet/IP and CIP", "industrial",
        "ListIdentity and Identity object (vendor, device type, product code/name, revision, "
        "serial); backplane modules; CIP services incl. Multiple Service Packet; implicit I/O",
        True, True, True, True,
    ),
    ProtocolEntry(
        "s7comm", "Siemens S7comm (ISO-on-TCP)", "industrial",
        "SZL 0x0011/0x001C (order number, hardware, firmware, serial, module and plant names); "
        "rack/slot; read/write var, PLC stop/start, block upload/download; values written "
        "(write var items of 1, 2, 4 bytes or a bit)",
        True, True, True, True,
    ),
    ProtocolEntry(
        "s7comm-plus", "Siemens S7comm-plus", "industrial",
        "session setup: CPU order number, model, firmware; client software and host; "
        "counted per function",
        True, True, True, True, via="s7comm",
    ),
    ProtocolEntry(
        "mms", "MMS / IEC 61850 client-server (ISO-on-TCP)", "industrial",
        "identify (vendor, model, revision); IEC 61850 logical devices; AP titles; "
        "association setup; every confirmed service as an operation; reports, errors",
        True, True, True, True, via="s7comm",
    ),
    ProtocolEntry(
        "dnp3", "DNP3 (TCP/UDP)", "industrial",
        "master and outstation link addresses; device attributes (group 0: vendor, model, "
        "firmware, hardware, serial, name); every function code (operate, restart, files)",
        True, True, True, True,
    ),
    ProtocolEntry(
        "iec104", "IEC 60870-5-104", "industrial",
        "common addresses of the station; APCI I/S/U frames; every ASDU type and cause of "
        "transmission; commands and set points as operations; interrogations; sequence errors",
        True, True, True, True,
    ),
    ProtocolEntry(
        "hart-ip", "HART-IP (TCP/UDP)", "industrial",
        "field device identity from commands 0/11/21 (manufacturer, device type, revisions, "
        "device id), long tag (20), tag and descriptor (13); HART commands as operations",
        True, True, True, True,
    ),
    ProtocolEntry(
        "modbus-rtu", "Modbus RTU over TCP", "industrial",
        "RTU frames (CRC checked) on port 502 recognised and counted like Modbus/TCP",
        True, False, True, True, via="modbus",
    ),
    ProtocolEntry(
        "profinet-dcp", "PROFINET DCP", "industrial",
        "name of station, type of station, vendor and device id, device role, IP suite; "
        "Identify/Get/Set (set IP, set name, factory reset) as operations",
        True, True, True, True,
    ),
    ProtocolEntry(
        "profinet-rt", "PROFINET IO real-time", "industrial",
        "cyclic frames counted per producer and consumer; frame id classes; status trailer",
        True, False, True, True, via="profinet-dcp",
    ),
    ProtocolEntry(
        "ethercat", "EtherCAT", "industrial",
        "datagrams counted per command (reads, writes, AL control state changes)",
        True, False, True, True,
    ),
    ProtocolEntry(
        "cclink-ie", "CC-Link IE", "industrial",
        "recognised from the frame header and counted per frame type",
        False, False, False, True,
    ),
    ProtocolEntry(
        "bacnet", "BACnet/IP and BACnet/Ethernet", "industrial",
        "I-Am (device instance, vendor id, max APDU), I-Have; device object properties "
        "(vendor, model, firmware, software version, name, location, description); routed "
        "devices as components; every confirmed/unconfirmed service; segmented replies",
        True, True, True, True,
    ),
    ProtocolEntry(
        "omron-fins", "Omron FINS (UDP/TCP)", "industrial",
        "controller data read (model, version, area data), node addresses; every command "
        "(run/stop, memory and program area, files, clock) and end codes",
        True, True, True, True,
    ),
    ProtocolEntry(
        "snmp", "SNMP v1/v2c (v3 recognised)", "network",
        "system group (description, object id and vendor, name, location, contact); the "
        "community an agent accepted; v3 engine id and user",
        True, True, True, True,
    ),
    ProtocolEntry(
        "opcua", "OPC UA binary (opc.tcp)", "industrial",
        "server application/product URI, name, BuildInfo (vendor, model, firmware, build); "
        "security policies and modes offered and used (SecurityMode None flagged); every "
        "service as an operation; errors and faults; any port (Hello detected)",
        True, True, True, True,
    ),
    ProtocolEntry(
        "goose", "IEC 61850 GOOSE", "industrial",
        "publisher's gocbRef, dataset, goID, APPID, simulation bit; state changes counted",
        True, True, True, True,
    ),
    ProtocolEntry(
        "iec61850-sv", "IEC 61850 Sampled Values", "industrial",
        "publisher's svID, dataset, sample counters",
        True, True, True, True,
    ),
    ProtocolEntry(
        "lldp", "LLDP", "network",
        "system name and description, chassis and port ids, capabilities, management "
        "address, port VLAN (neighbour facts for the topology)",
        True, True, True, True,
    ),
    ProtocolEntry(
        "cdp", "Cisco Discovery Protocol", "network",
        "device id, platform (model), software version, port id, native VLAN, addresses",
        True, True, True, True,
    ),
    ProtocolEntry(
        "ssh", "SSH", "it", "client and server identification strings (software, version)",
        False, True, True, True,
    ),
    ProtocolEntry("telnet", "Telnet", "it", "recognised from option negotiation",
                  False, False, True, True),
    ProtocolEntry("rdp", "Remote Desktop", "it", "recognised from the X.224 connection request",
                  False, False, True, True),
    ProtocolEntry("smb", "SMB / NetBIOS session", "it", "recognised (SMB1, SMB2/3)",
                  False, False, True, True),
    ProtocolEntry("vnc", "VNC (RFB)", "it", "RFB protocol version", False, True, True, True),
    ProtocolEntry("http", "HTTP", "it", "web server's Server header", False, True, True, True),
    ProtocolEntry("https", "TLS (HTTPS)", "it", "recognised from the TLS handshake",
                  False, False, True, True),
    ProtocolEntry(
        "dns", "DNS", "network", "names of addresses from A/AAAA/PTR answers",
        True, True, True, True,
    ),
    ProtocolEntry(
        "ntp", "NTP", "network", "time servers, stratum and reference", True, True, True, True
    ),
    ProtocolEntry(
        "dhcp", "DHCP", "network",
        "client host name, FQDN, vendor class and option fingerprint",
        True, True, True, True,
    ),
)  # fmt: skip


def transports() -> dict[str, list[str]]:
    """Protocol name -> where its sensor listens (``tcp/502``, ``udp/47808``,
    ``ethertype/0x8892``), read from a walker the registered sensors attach to."""
    walker = PacketWalker()
    tally, labels = Tally("catalog"), FlowLabels()
    for sensor in SENSORS:
        sensor.register(walker, tally, labels)
    out: dict[str, list[str]] = {}
    for name, kind, number in walker.registrations():
        where = f"ethertype/0x{number:04x}" if kind == "ethertype" else f"{kind}/{number}"
        out.setdefault(name, []).append(where.replace("tcp-probe/", "tcp/"))
    for e in CATALOG:
        if e.via and e.via in out:
            out[e.name] = list(out[e.via])
    return out
