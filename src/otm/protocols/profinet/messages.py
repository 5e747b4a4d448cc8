"""PROFINET messages as frozen dataclasses, fields in wire order.

Layouts (IEC 61158-6-10; every integer big-endian)::

    RT frame      FrameID u16 | data ... | [CycleCounter u16 | DataStatus u8 |
                  TransferStatus u8]  (the APDU status ends cyclic frames only)
    DCP PDU       FrameID u16 (0xFEFC-0xFEFF) | ServiceID u8 | ServiceType u8 |
                  Xid u32 | ResponseDelay u16 (Identify request) or reserved u16 |
                  DCPDataLength u16 | blocks, each padded to an even length
    DCP block     Option u8 | Suboption u8 | DCPBlockLength u16 |
                  [BlockInfo u16 | BlockQualifier u16] | value | [pad u8]
    Get request   Option u8 | Suboption u8, repeated (no length, no value)
"""

from __future__ import annotations

from dataclasses import dataclass

from otm.protocols.profinet.constants import (
    BLOCK_ERROR_NAMES,
    SERVICE_NAMES,
    ServiceType,
    device_role_names,
    frame_class,
    suboption_name,
)


@dataclass(frozen=True, slots=True)
class RtFrame:
    """A PROFINET real-time frame other than DCP, decoded no deeper than its class.

    ``cycle_counter``, ``data_status`` and ``transfer_status`` are set for
    the cyclic classes only, from the last four bytes; ``data`` is what lies
    between the FrameID and them (the IO data with its IOPS/IOCS bytes).
    """

    frame_id: int
    data: bytes
    cycle_counter: int | None = None
    data_status: int | None = None
    transfer_status: int | None = None

    @property
    def kind(self) -> str:
        """``rt_class_1``, ``alarm_high``, ``ptcp_announce`` ..."""
        return frame_class(self.frame_id)[0]

    @property
    def provider_running(self) -> bool | None:
        """DataStatus bit 4 (ProviderState): True in RUN, False in STOP."""
        return None if self.data_status is None else bool(self.data_status & 0x10)

    @property
    def data_valid(self) -> bool | None:
        """DataStatus bit 2 (DataValid)."""
        return None if self.data_status is None else bool(self.data_status & 0x04)


@dataclass(frozen=True, slots=True)
class DcpBlock:
    """One DCP block (or, in a Get request, one option/suboption selector).

    ``info`` is the BlockInfo of Identify/Get responses and Hello requests,
    ``qualifier`` the BlockQualifier of Set requests; each is None where the
    service does not carry it.  ``value`` is the rest of the block.
    """

    option: int
    suboption: int
    value: bytes = b""
    info: int | None = None
    qualifier: int | None = None

    @property
    def name(self) -> str:
        """``name_of_station``, ``ip``, ``start_transaction`` ..."""
        return suboption_name(self.option, self.suboption)

    @property
    def length(self) -> int:
        """DCPBlockLength: the value plus the BlockInfo or BlockQualifier."""
        extra = (self.info is not None) + (self.qualifier is not None)
        return len(self.value) + 2 * extra


@dataclass(frozen=True, slots=True)
class DcpPdu:
    """A DCP PDU with its FrameID.

    ``response_delay`` is the ResponseDelay factor of Identify requests and
    the reserved u16 of every other PDU (kept, so encoding gives the bytes
    back).  Get requests hold ``DcpBlock`` selectors without values.
    """

    frame_id: int
    service_id: int
    service_type: int
    xid: int
    response_delay: int
    blocks: tuple[DcpBlock, ...]

    @property
    def is_request(self) -> bool:
        """Requests (Hello included) have ServiceType 0."""
        return self.service_type == ServiceType.REQUEST

    @property
    def service(self) -> str:
        """``identify``, ``get``, ``set``, ``hello``."""
        return SERVICE_NAMES.get(self.service_id, f"service_0x{self.service_id:02x}")


# --- block values ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IpParameter:
    """IP/IP parameter: ``IPAddress 4 | Subnetmask 4 | StandardGateway 4`` (dotted)."""

    ip: str
    netmask: str
    gateway: str


@dataclass(frozen=True, slots=True)
class FullIpSuite:
    """IP/full IP suite: the IP parameter and four DNS server addresses."""

    ip: str
    netmask: str
    gateway: str
    dns: tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class DeviceId:
    """Device/Device ID: ``VendorID u16 | DeviceID u16`` (PI vendor id, vendor's device)."""

    vendor_id: int
    device_id: int


@dataclass(frozen=True, slots=True)
class DeviceRole:
    """Device/Device Role: ``DeviceRoleDetails u8 | reserved u8``."""

    role: int
    reserved: int = 0

    @property
    def names(self) -> str:
        """``io-device``, ``io-controller,io-supervisor`` ..."""
        return device_role_names(self.role)


@dataclass(frozen=True, slots=True)
class DeviceInstance:
    """Device/Device Instance: ``DeviceInstanceHigh u8 | DeviceInstanceLow u8``."""

    high: int
    low: int


@dataclass(frozen=True, slots=True)
class OemDeviceId:
    """Device/OEM Device ID: ``OEMVendorID u16 | OEMDeviceID u16``."""

    vendor_id: int
    device_id: int


@dataclass(frozen=True, slots=True)
class ControlResponse:
    """Control/Response: ``Option u8 | Suboption u8 | BlockError u8`` (which block, result)."""

    option: int
    suboption: int
    error: int

    @property
    def error_name(self) -> str:
        """``ok``, ``suboption_not_set`` ...; unknown codes ``error_0x..``."""
        return BLOCK_ERROR_NAMES.get(self.error, f"error_0x{self.error:02x}")

    @property
    def block_name(self) -> str:
        """The answered block's name (``ip``, ``name_of_station`` ...)."""
        return suboption_name(self.option, self.suboption)


BlockValue = (
    str
    | int
    | None
    | IpParameter
    | FullIpSuite
    | DeviceId
    | DeviceRole
    | DeviceInstance
    | OemDeviceId
    | ControlResponse
    | tuple[tuple[int, int], ...]
    | bytes
)
"""What ``codec.block_value`` gives: text (station type, name, alias, MAC),
an int (signal value, device initiative, RSI properties), None (blocks that
are all qualifier: start/end transaction, resets, All selector), a typed
value, the (option, suboption) list of Device Options, or raw bytes (DHCP,
manufacturer specific and unknown blocks)."""
