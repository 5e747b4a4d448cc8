"""PROFINET DCP identity probe: Identify All on one layer-2 interface the user named.

DCP runs straight on Ethernet (EtherType 0x8892, IEC 61158-6-10 4.3)::

    scanner -> 01:0e:cf:00:00:00   FrameID 0xFEFE, Identify request, Xid,
                                   ResponseDelay factor, block All Selector (0xFF/0xFF)
    device  -> scanner's MAC        FrameID 0xFEFF, Identify response (same Xid):
                                   name of station, type of station, vendor and
                                   device id, role, instance, IP suite ...

Each device waits a random part of ``ResponseDelay x 10 ms`` before it
answers (4.3.1.3.5, so that hundreds of devices do not answer at once); the
probe collects answers for that long plus the scan's timeout.  The request
goes out only on an interface named in the scope (``Scope.interfaces``,
``otm scan --interface``): the multicast reaches every PROFINET device of the
segment, and no IP scope can bound that.  DCP Get and Set are not built here;
the only catalog entry is Identify (category ``identify``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from otm.observations.records import AssetSeen, Identity, Observation
from otm.protocols.common import IDENTIFY, Anomaly
from otm.protocols.profinet import codec
from otm.protocols.profinet.constants import (
    DCP_MULTICAST_IDENTIFY,
    DEVICE_ALIAS_NAME,
    DEVICE_ID,
    DEVICE_INSTANCE,
    DEVICE_NAME_OF_STATION,
    DEVICE_OEM_ID,
    DEVICE_ROLE,
    DEVICE_TYPE_OF_STATION,
    ETHERTYPE_PROFINET,
    IP_FULL_SUITE,
    IP_PARAMETER,
    SERVICE_OPERATIONS,
    FrameId,
    ServiceId,
    ServiceType,
    set_operation,
)
from otm.protocols.profinet.messages import (
    DcpPdu,
    DeviceId,
    DeviceInstance,
    DeviceRole,
    FullIpSuite,
    IpParameter,
    OemDeviceId,
)
from otm.scanning.limits import Limits
from otm.scanning.probe import PlannedRequest, Target, TransportKind, evidence, planned
from otm.scanning.safety import classifier, read_only, request
from otm.scanning.transport import ScanError, Transport

PROTOCOL = "profinet"
"""The probe's (and catalog's) protocol name, as ``otm scan --protocol`` takes it."""

IDENTITY_PROTOCOL = "profinet-dcp"
"""The protocol the observations name: the passive sensor's, so both evidences merge."""

DEFAULT_RESPONSE_DELAY = 1
"""ResponseDelay factor: 1 asks devices to answer at once (4.3.1.3.5), which
a handful of devices on a test bench or a machine's segment bear well."""

MAX_RESPONSE_DELAY = 6400
"""Largest factor the standard allows (64 s of spread)."""

Extract = Callable[[object], dict[str, str | int]]


def _ip_fields(value: object) -> dict[str, str | int]:
    if not isinstance(value, IpParameter | FullIpSuite) or value.ip == "0.0.0.0":
        return {}
    fields: dict[str, str | int] = {
        "profinet_ip": value.ip,
        "profinet_netmask": value.netmask,
        "profinet_gateway": value.gateway,
    }
    if isinstance(value, FullIpSuite):
        dns = ",".join(a for a in value.dns if a != "0.0.0.0")
        if dns:
            fields["profinet_dns"] = dns
    return fields


def _text(name: str) -> Extract:
    return lambda v: {name: v.strip()} if isinstance(v, str) and v.strip() else {}


IDENTITY_FIELDS: Mapping[tuple[int, int], Extract] = MappingProxyType(
    {
        DEVICE_NAME_OF_STATION: _text("name"),
        DEVICE_TYPE_OF_STATION: _text("profinet_type_of_station"),
        DEVICE_ALIAS_NAME: _text("profinet_alias_name"),
        DEVICE_ID: lambda v: (
            {"vendor_id": v.vendor_id, "device_id": v.device_id} if isinstance(v, DeviceId) else {}
        ),
        DEVICE_ROLE: lambda v: (
            {"profinet_device_role": v.names} if isinstance(v, DeviceRole) else {}
        ),
        DEVICE_INSTANCE: lambda v: (
            {"profinet_device_instance": f"{v.high}.{v.low}"}
            if isinstance(v, DeviceInstance)
            else {}
        ),
        DEVICE_OEM_ID: lambda v: (
            {"profinet_oem_vendor_id": v.vendor_id, "profinet_oem_device_id": v.device_id}
            if isinstance(v, OemDeviceId)
            else {}
        ),
        IP_PARAMETER: _ip_fields,
        IP_FULL_SUITE: _ip_fields,
    }
)
"""DCP block -> otm identity fields (the passive sensor's names)."""


# --- the read-only request (registered in the scanner's request catalog) --------------


@read_only(PROTOCOL, "identify_all", IDENTIFY, examples=({"xid": 1, "response_delay": 1},))
def build_identify_all(*, xid: int, response_delay: int = DEFAULT_RESPONSE_DELAY) -> bytes:
    """The DCP payload (FrameID first) of an Identify request with the All Selector;
    the transport adds the Ethernet header to 01:0e:cf:00:00:00."""
    if not 0 <= xid <= 0xFFFFFFFF:
        raise ValueError(f"xid {xid} outside 32 bits")
    if not 1 <= response_delay <= MAX_RESPONSE_DELAY:
        raise ValueError(f"response delay factor {response_delay} outside 1..6400")
    return codec.encode_dcp(codec.identify_request(xid, response_delay=response_delay))


@classifier(PROTOCOL)
def classify(payload: bytes) -> tuple[str, str] | None:
    """(operation, category) of one DCP request as otm's codec reads it: Identify and
    Get by their service, a Set by its worst block (write or control).  None for
    a response, a Hello, or bytes that are not DCP."""
    pdu = codec.decode_dcp(payload)
    if isinstance(pdu, Anomaly) or not pdu.is_request:
        return None
    op = SERVICE_OPERATIONS.get(pdu.service_id)
    if op is not None:
        return op
    if pdu.service_id != ServiceId.SET or not pdu.blocks:
        return None
    worst = [set_operation(b.option, b.suboption) for b in pdu.blocks]
    return next((o for o in worst if o[1] != "write"), worst[0])


# --- reading the answers ---------------------------------------------------------------


def identify_fields(pdu: DcpPdu) -> dict[str, str | int]:
    """otm identity fields of an Identify response's blocks."""
    fields: dict[str, str | int] = {}
    for block in pdu.blocks:
        extract = IDENTITY_FIELDS.get((block.option, block.suboption))
        if extract is None:
            continue
        value = codec.block_value(block)
        if not isinstance(value, Anomaly):
            fields.update(extract(value))
    return fields


def identify_answer(payload: bytes, xid: int) -> DcpPdu | None:
    """The successful Identify response to ``xid`` in a frame's payload, else None."""
    pdu = codec.decode_dcp(payload)
    if isinstance(pdu, Anomaly):
        return None
    if (
        pdu.frame_id != FrameId.DCP_IDENTIFY_RESPONSE
        or pdu.service_id != ServiceId.IDENTIFY
        or pdu.service_type != ServiceType.RESPONSE_SUCCESS
        or pdu.xid != xid
    ):
        return None
    return pdu


# --- the probe ---------------------------------------------------------------------------


@dataclass
class ProfinetProbe:
    """DCP Identify All on an interface target; every answering device is reported."""

    response_delay: int = DEFAULT_RESPONSE_DELAY
    protocol: str = PROTOCOL
    port: int = 0
    transport: TransportKind = "ethernet"
    broadcast: bool = False
    _xids: Iterator[int] = field(default_factory=lambda: itertools.count(0x4F544D00), repr=False)
    """Xids start at 'OTM\\0' so the probe's requests stand out in a capture."""

    def plan(self, target: Target) -> list[PlannedRequest]:
        """One Identify All, on interface targets only."""
        if target.kind != "interface":
            return []
        ident = request(
            PROTOCOL, "identify_all", xid=0x4F544D00, response_delay=self.response_delay
        )
        return planned(PROTOCOL, target, 0, "ethernet", [ident], f"to {DCP_MULTICAST_IDENTIFY}")

    async def run(self, target: Target, io: Transport, limits: Limits) -> list[Observation]:
        """Identify All, then one AssetSeen and one Identity per device that answered."""
        if target.kind != "interface":
            return []
        xid = next(self._xids) & 0xFFFFFFFF
        ident = request(PROTOCOL, "identify_all", xid=xid, response_delay=self.response_delay)
        window = limits.timeout + self.response_delay * 0.01
        try:
            replies = await io.ethernet(
                target.address, DCP_MULTICAST_IDENTIFY, ETHERTYPE_PROFINET, ident, window
            )
        except ScanError:
            return []
        out: list[Observation] = []
        seen: set[str] = set()
        for reply in replies:
            pdu = identify_answer(reply.payload, xid)
            if pdu is None or reply.source in seen:
                continue
            seen.add(reply.source)
            fields = identify_fields(pdu)
            now = limits.now()
            ip = fields.get("profinet_ip")
            proof = evidence(target, f"{IDENTITY_PROTOCOL} identify response")
            out.append(AssetSeen(now, reply.source, ip if isinstance(ip, str) else None, proof))
            out.append(Identity(now, None, reply.source, IDENTITY_PROTOCOL, fields, proof))
        return out
