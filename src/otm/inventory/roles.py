"""What an asset is, inferred from what it does; every verdict says why.

The rules are ordered from the strongest evidence to the weakest; the first
that matches wins.  Each is a small function of the asset's behaviour
summary returning a reason or None, so adding a rule is adding one row.

Behaviour summary (``Behaviour``): which industrial protocols the asset
serves and uses as a client, how many peers it polls, which operation
categories it asks of others (program, control, write, read), and what its
identity says (CIP device type, S7 module).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from otm.model.assets import Role

INDUSTRIAL = frozenset(
    {
        "modbus",
        "enip",
        "cip",
        "s7comm",
        "s7comm-plus",
        "dnp3",
        "iec104",
        "bacnet",
        "opcua",
        "omron-fins",
        "mms",
        "profinet-dcp",
        "profinet-rt",
        "hart-ip",
        "iec61850-sv",
        "goose",
        "modbus-rtu",
        "ethercat",
        "cclink-ie",
    }
)
"""Protocols whose use makes a host part of the control system."""

CONTROLLER_PROTOCOLS = frozenset(
    {"modbus", "modbus-rtu", "enip", "cip", "s7comm", "s7comm-plus", "omron-fins", "bacnet"}
)
"""Protocols whose servers are controllers or field devices."""

TELECONTROL_PROTOCOLS = frozenset({"dnp3", "iec104", "mms"})
"""SCADA-to-outstation protocols: operating a breaker or a set point through them
is everyday supervisory control, not engineering, and their masters are SCADA
servers (or front ends), however few outstations they poll."""

NETWORK_CAPABILITIES = frozenset(
    {
        "bridge",
        "router",
        "repeater",
        "wlan_access_point",
        "c_vlan_component",
        "s_vlan_component",
        "two_port_mac_relay",
        "transparent_bridge",
        "source_route_bridge",
        "switch",
    }
)
"""LLDP/CDP system capabilities (enabled) that make the announcer a network device."""

READ_ONLY_CATEGORIES = frozenset({"read", "session", "identify", "diagnostic"})
"""Operation categories that change nothing in the process."""

SCADA_MIN_PEERS = 4
"""A client polling this many controllers is a SCADA server rather than one HMI."""

CIP_DEVICE_TYPE_ROLES: dict[int, Role] = {
    0x0E: Role.PLC,  # Programmable Logic Controller
    0x18: Role.HMI,  # Human-Machine Interface
    0x0C: Role.IO_MODULE,  # Communications Adapter
    0x07: Role.IO_MODULE,  # General Purpose Discrete I/O
    0x0A: Role.IO_MODULE,  # General Purpose Analog I/O
    0x02: Role.IO_MODULE,  # AC Drive
    0x13: Role.IO_MODULE,  # DC Drive
    0x25: Role.IO_MODULE,  # CIP Motion Drive
}
"""Roles implied by the CIP Identity object's device type."""


@dataclass
class Behaviour:
    """What one asset was seen doing, summarised for role rules."""

    serves: set[str] = field(default_factory=set)
    uses: set[str] = field(default_factory=set)
    servers_polled: set[str] = field(default_factory=set)
    clients: set[str] = field(default_factory=set)
    asked: dict[str, int] = field(default_factory=dict)  # operation category -> count
    program_ops: set[str] = field(default_factory=set)
    cip_device_type: int | None = None
    s7_module: str | None = None
    router_ips: int = 0
    capabilities: set[str] = field(default_factory=set)  # announced over LLDP/CDP
    profinet_roles: set[str] = field(default_factory=set)  # from PROFINET DCP


Rule = Callable[[Behaviour], tuple[Role, str] | None]


def _router(b: Behaviour) -> tuple[Role, str] | None:
    if b.router_ips:
        return Role.NETWORK_DEVICE, f"its MAC is the source of {b.router_ips} IP hosts (a router)"
    return None


def _announced_network_device(b: Behaviour) -> tuple[Role, str] | None:
    caps = sorted(b.capabilities & NETWORK_CAPABILITIES)
    if caps:
        return Role.NETWORK_DEVICE, f"announces {', '.join(caps)} capability over LLDP/CDP"
    return None


def _engineering(b: Behaviour) -> tuple[Role, str] | None:
    if b.program_ops:
        ops = ", ".join(sorted(b.program_ops))
        return Role.ENGINEERING_WORKSTATION, f"sends program/control operations ({ops})"
    return None


def _cip_type(b: Behaviour) -> tuple[Role, str] | None:
    if b.cip_device_type is not None and b.cip_device_type in CIP_DEVICE_TYPE_ROLES:
        role = CIP_DEVICE_TYPE_ROLES[b.cip_device_type]
        return role, f"CIP identity device type 0x{b.cip_device_type:02x}"
    return None


def _s7_cpu(b: Behaviour) -> tuple[Role, str] | None:
    if b.s7_module and "s7comm" in b.serves:
        return Role.PLC, f"S7 CPU module {b.s7_module} answering S7comm"
    return None


def _controller_server(b: Behaviour) -> tuple[Role, str] | None:
    served = sorted(b.serves & CONTROLLER_PROTOCOLS)
    if served:
        also = " and polls other devices" if b.servers_polled else ""
        return Role.PLC, f"serves {', '.join(served)} to {len(b.clients)} client(s){also}"
    return None


def _rtu(b: Behaviour) -> tuple[Role, str] | None:
    served = sorted(b.serves & {"dnp3", "iec104"})
    if served:
        return Role.RTU, f"outstation of {', '.join(served)}"
    ied = sorted(b.serves & {"mms", "goose", "iec61850-sv"})
    if ied:
        return Role.RTU, f"IEC 61850 device (serves or publishes {', '.join(ied)})"
    return None


def _profinet(b: Behaviour) -> tuple[Role, str] | None:
    roles = b.profinet_roles
    if "io-controller" in roles:
        return Role.PLC, "PROFINET DCP says it is an IO controller"
    if "io-device" in roles:
        return Role.IO_MODULE, "PROFINET DCP says it is an IO device"
    return None


def _data_server(b: Behaviour) -> tuple[Role, str] | None:
    if "opcua" in b.serves:
        return Role.SCADA_SERVER, f"serves OPC UA to {len(b.clients)} client(s) (a data server)"
    return None


def _historian(b: Behaviour) -> tuple[Role, str] | None:
    # Reads process data from data servers and never changes anything: what a
    # historian does (an HMI also writes, an engineering tool programs).
    if "opcua" in b.uses and b.asked and set(b.asked) <= READ_ONLY_CATEGORIES:
        return Role.HISTORIAN, "only reads process data from OPC UA servers"
    return None


def _supervisor(b: Behaviour) -> tuple[Role, str] | None:
    used = sorted(b.uses & INDUSTRIAL)
    if not used:
        return None
    n = len(b.servers_polled)
    telecontrol = sorted(b.uses & TELECONTROL_PROTOCOLS)
    if telecontrol:
        return Role.SCADA_SERVER, f"master of {', '.join(telecontrol)} to {n} outstation(s)"
    if n >= SCADA_MIN_PEERS:
        return Role.SCADA_SERVER, f"polls {n} devices with {', '.join(used)}"
    return Role.HMI, f"client of {', '.join(used)} to {n} device(s)"


def _it_host(b: Behaviour) -> tuple[Role, str] | None:
    if not (b.serves | b.uses) & INDUSTRIAL:
        return Role.IT_HOST, "seen only in non-industrial traffic"
    return None


RULES: tuple[Rule, ...] = (
    _router,
    _announced_network_device,
    _engineering,
    _cip_type,
    _s7_cpu,
    _profinet,
    _rtu,
    _controller_server,
    _data_server,
    _historian,
    _supervisor,
    _it_host,
)
"""Role rules, strongest first."""


def infer_role(behaviour: Behaviour) -> tuple[Role, str]:
    """The first matching rule's role and reason, else unknown."""
    for rule in RULES:
        verdict = rule(behaviour)
        if verdict is not None:
            return verdict
    return Role.UNKNOWN, "no behaviour that identifies a role"
