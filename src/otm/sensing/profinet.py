"""PROFINET traffic (EtherType 0x8892) -> observations.

There is no flow table below PROFINET: every frame is counted straight into
the tally, which aggregates per (client MAC, server MAC, protocol).

- DCP (FrameID 0xFEFC-0xFEFF, otm protocol ``profinet-dcp``) is rare and
  tells the most, so every DCP PDU is decoded in full.  The sender of a
  request (Identify, Get, Set) is the client; the sender of a response or
  of a Hello is the server, the device.  Requests are operations:
  ``identify`` (identify), ``get`` (read), and one per Set block:
  ``set_ip``, ``set_name_of_station`` ... (write; the new address or name in
  the detail, which is what detection looks for), ``signal``,
  ``start_transaction``, ``end_transaction``, ``factory_reset``,
  ``reset_to_factory`` (control).  Identify/Get responses and Hello teach
  identity: name of station -> ``name``, type of station ->
  ``profinet_type_of_station``, ``vendor_id``, ``device_id``, device role ->
  ``profinet_device_role``, IP parameter -> ``profinet_ip``/``_netmask``/
  ``_gateway``, and alias, instance, OEM id, DNS servers.
- Every other frame (cyclic RT, alarms, PTCP, otm protocol ``profinet-rt``)
  costs two byte reads and one tally call (0.65 µs a frame measured on the
  development machine): the sender is the producer
  (server), the destination the consumer (client) or a multicast group.
  Cyclic frames shorter than a FrameID and an APDU status are anomalies.
"""

from __future__ import annotations

from collections.abc import Callable

from otm.capture.walker import PacketWalker
from otm.observations.records import Transport
from otm.protocols.common import Anomaly
from otm.protocols.profinet import codec
from otm.protocols.profinet.constants import (
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
    ServiceId,
    is_cyclic,
    set_operation,
)
from otm.protocols.profinet.messages import (
    BlockValue,
    DcpPdu,
    DeviceId,
    DeviceInstance,
    DeviceRole,
    FullIpSuite,
    IpParameter,
    OemDeviceId,
)
from otm.sensing.aggregate import Tally
from otm.sensing.labels import FlowLabels

DCP = "profinet-dcp"
RT = "profinet-rt"

_DCP_FIRST, _DCP_LAST = 0xFEFC, 0xFEFF
_CYCLIC_MIN = 6
"""FrameID and the 4-byte APDU status."""


def _ip_fields(value: IpParameter | FullIpSuite) -> dict[str, str | int]:
    if value.ip == "0.0.0.0":  # BlockInfo "IP not set": nothing to learn
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


Extract = Callable[[BlockValue], dict[str, str | int]]


def _station(field: str) -> Extract:
    return lambda v: {field: v.strip()} if isinstance(v, str) else {}


IDENTITY_FIELDS: dict[tuple[int, int], Extract] = {
    DEVICE_NAME_OF_STATION: _station("name"),
    DEVICE_TYPE_OF_STATION: _station("profinet_type_of_station"),
    DEVICE_ALIAS_NAME: _station("profinet_alias_name"),
    DEVICE_ID: lambda v: (
        {"vendor_id": v.vendor_id, "device_id": v.device_id} if isinstance(v, DeviceId) else {}
    ),
    DEVICE_ROLE: lambda v: {"profinet_device_role": v.names} if isinstance(v, DeviceRole) else {},
    DEVICE_INSTANCE: lambda v: (
        {"profinet_device_instance": f"{v.high}.{v.low}"} if isinstance(v, DeviceInstance) else {}
    ),
    DEVICE_OEM_ID: lambda v: (
        {
            "profinet_oem_vendor_id": v.vendor_id,
            "profinet_oem_device_id": v.device_id,
        }
        if isinstance(v, OemDeviceId)
        else {}
    ),
    IP_PARAMETER: lambda v: _ip_fields(v) if isinstance(v, IpParameter) else {},
    IP_FULL_SUITE: lambda v: _ip_fields(v) if isinstance(v, FullIpSuite) else {},
}
"""DCP block -> identity fields; adding a field is adding a row."""


def _set_detail(
    key: tuple[int, int], value: BlockValue, qualifier: int | None
) -> tuple[tuple[str, str | int], ...]:
    """The facts of a Set block detection needs: the new address or name."""
    detail: list[tuple[str, str | int]] = []
    if isinstance(value, IpParameter | FullIpSuite):
        detail += [("ip", value.ip), ("netmask", value.netmask), ("gateway", value.gateway)]
    elif isinstance(value, str):
        detail.append(("name_of_station" if key == DEVICE_NAME_OF_STATION else "value", value))
    if qualifier is not None:
        detail.append(("qualifier", qualifier))
    return tuple(detail)


class ProfinetSensor:
    """Registers the PROFINET EtherType handler (DCP decoded, RT counted)."""

    def register(self, walker: PacketWalker, tally: Tally, labels: FlowLabels) -> None:
        """Attach to the walker (``labels`` is unused: PROFINET has no flows)."""
        walker.register_ethertype(ETHERTYPE_PROFINET, ProfinetHandler(tally), DCP)


class ProfinetHandler:
    """Handles every 0x8892 frame of one source."""

    __slots__ = ("tally",)

    def __init__(self, tally: Tally) -> None:
        self.tally = tally

    def __call__(
        self, payload: bytes, src_mac: str, dst_mac: str, vlan: int | None, frame: int, ts: float
    ) -> None:
        """One frame, FrameID first."""
        octets = len(payload) + (18 if vlan is not None else 14)
        if len(payload) < 2:
            self._anomaly(RT, "truncated", src_mac, ts, frame, f"{len(payload)}-byte frame")
            return
        frame_id = (payload[0] << 8) | payload[1]
        if frame_id < _DCP_FIRST or frame_id > _DCP_LAST:
            if len(payload) < _CYCLIC_MIN and is_cyclic(frame_id):
                self._anomaly(RT, "truncated", src_mac, ts, frame, "cyclic frame without status")
                return
            self.tally.l2_traffic(RT, dst_mac, src_mac, octets, ts, frame)
            return
        pdu = codec.decode_dcp(payload)
        if isinstance(pdu, Anomaly):
            self._anomaly(DCP, pdu.kind.value, src_mac, ts, frame, pdu.detail)
            return
        if pdu.is_request and pdu.service_id != ServiceId.HELLO:
            self.tally.l2_traffic(DCP, src_mac, dst_mac, octets, ts, frame)
            self._operations(pdu, src_mac, dst_mac, ts, frame)
            return
        self.tally.l2_traffic(DCP, dst_mac, src_mac, octets, ts, frame)
        if pdu.service_id != ServiceId.SET:
            self._identity(pdu, src_mac, ts, frame)

    def _operations(self, pdu: DcpPdu, client: str, server: str, ts: float, frame: int) -> None:
        op = SERVICE_OPERATIONS.get(pdu.service_id)
        if op is not None:
            self._operation(op[0], op[1], client, server, ts, frame, ())
            return
        for block in pdu.blocks:  # a Set: one operation per block
            name, category = set_operation(block.option, block.suboption)
            value = codec.block_value(block)
            if isinstance(value, Anomaly):
                self._anomaly(DCP, value.kind.value, client, ts, frame, value.detail)
                value = None
            detail = _set_detail((block.option, block.suboption), value, block.qualifier)
            self._operation(name, category, client, server, ts, frame, detail)

    def _operation(
        self,
        name: str,
        category: str,
        client: str,
        server: str,
        ts: float,
        frame: int,
        detail: tuple[tuple[str, str | int], ...],
    ) -> None:
        self.tally.operation(
            None,
            None,
            DCP,
            Transport.ETHERNET,
            0,
            name,
            category,
            1,
            ts,
            ts,
            frame,
            detail,
            client_mac=client,
            server_mac=server,
        )

    def _identity(self, pdu: DcpPdu, device: str, ts: float, frame: int) -> None:
        fields: dict[str, str | int] = {}
        for block in pdu.blocks:
            extract = IDENTITY_FIELDS.get((block.option, block.suboption))
            if extract is None:
                continue
            value = codec.block_value(block)
            if isinstance(value, Anomaly):
                self._anomaly(DCP, value.kind.value, device, ts, frame, value.detail)
                continue
            fields.update(extract(value))
        message = f"{DCP} {pdu.service} {'request' if pdu.is_request else 'response'}"
        self.tally.identity(None, device, DCP, fields, ts, frame, message)

    def _anomaly(
        self, protocol: str, kind: str, sender: str, ts: float, frame: int, detail: str
    ) -> None:
        # Anomalies key on the sender's IP, which layer-2 PROFINET lacks; the
        # sender's MAC goes into the detail instead.
        self.tally.anomaly(protocol, kind, None, ts, frame, f"from {sender}: {detail}")
