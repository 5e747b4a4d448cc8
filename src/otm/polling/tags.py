"""The tag list: which values to poll from which device, as a validated YAML document.

A document ``otm.tags/1`` lists devices; each names its protocol, address,
poll interval and the protocol's own addressing (Modbus unit id, S7 rack and
slot, OPC UA endpoint, EtherNet/IP route), then its tags::

    schema: otm.tags/1
    devices:
      - name: line3-plc
        protocol: modbus
        host: 10.0.0.5
        unit_id: 1
        interval: 1.0
        tags:
          - {name: L3.TT101, address: "hr:40001", type: float32, word_order: little}
          - {name: L3.RUN, address: "co:00001"}
          - {name: L3.FLOW, address: "ir:30010", type: uint16, scale: 0.1, deadband: 0.5}

Tag addresses, by protocol (``parse_address`` turns them into the records below):

- **Modbus** ``TABLE:NUMBER[.BIT]`` with TABLE ``hr`` (holding registers),
  ``ir`` (input registers), ``co`` (coils), ``di`` (discrete inputs).  A
  number written with the table's leading digit and five or six digits is a
  Modicon reference, 1-based (``hr:40001`` and ``hr:400001`` are register 0,
  ``ir:30010`` is input register 9, ``co:00001`` coil 0, ``di:10001`` input
  0); any other number is the 0-based address of the PDU (``hr:0``).  ``.BIT``
  picks one bit (0 = least significant) of a register as a bool.  Types:
  int16, uint16 (default for registers), int32, uint32, int64, uint64,
  float32, float64, bool (default and only type for coils and inputs),
  string (``length`` characters, two a register).  ``byte_order`` is the order
  of the two bytes in each register, ``word_order`` the order of the
  registers of a multi-register value; both ``big`` (Modbus's own order) by
  default.
- **S7** Siemens absolute addresses: ``DB1.DBX4.1`` (bit), ``DB1.DBB4``,
  ``DB1.DBW4``, ``DB1.DBD4`` (byte, word, double word at byte 4); ``M0.1``,
  ``MB0``, ``MW10``, ``MD20`` for merkers; ``I``/``E`` inputs and ``Q``/``A``
  outputs the same way.  Word tags default to int16; a double word needs its
  type (float32 for REAL, int32 for DINT, uint32 for DWORD); a ``B`` address
  with a wider type (float64, int64, string) starts that value at the byte.
  S7 strings are ``STRING[length]``: two header bytes, then the characters.
- **OPC UA** a node id: ``ns=2;s=Line3.TT101``, ``ns=2;i=1001``, ``i=2258``,
  ``ns=1;g=<guid>``, ``ns=1;b=<base64>``.  Values keep the server's types.
- **BACnet** ``OBJECT-TYPE,INSTANCE[/PROPERTY]``: ``analog-value,1`` reads
  present-value, ``analog-input,3/high-limit`` another property.
- **EtherNet/IP** a Logix tag name: ``Speed``, ``Speeds[3]``,
  ``Program:Main.Level``.  When every tag of the device has a ``type`` the
  types are taken from the file; otherwise the controller's tag list is read
  (Logix controllers publish it; simulators such as cpppo do not).

Device settings: ``interval`` (s, default 1), ``timeout`` (s, default 2),
``max_in_flight`` (requests at once, default 1; EtherNet/IP always 1: one
call reads every tag), ``backoff_max`` (s, default 60), ``health_interval``
(s, default 5), ``health`` (``down_after``, ``up_after``, ``max_error_rate``,
``slow_ms``: see ``otm.polling.health``), ``report_by_exception`` and
``heartbeat``; Modbus ``unit_id`` (default 1), ``max_registers`` (125),
``max_bits`` (2000), ``max_gap`` (16 units read and thrown away to join two
reads; bytes for S7); S7 ``rack``/``slot`` (default 0/2, an S7-300 or 400 CPU;
S7-1200/1500 answer on 0/1); OPC UA ``endpoint`` (default
``opc.tcp://host:4840``; security policy None, anonymous); BACnet
``status_flags`` (default true) and, for the document, ``bacnet_address``
(the poller's own address in bacpypes3 syntax); EtherNet/IP ``route`` (a CIP
route after the host, ``1/0`` for backplane slot 0).

Every tag may have ``scale`` and ``offset`` (value = raw * scale + offset),
a ``deadband`` (absolute, in the scaled unit) and ``report_by_exception``:
then a value is reported only when it moved by more than the deadband, its
quality changed or ``heartbeat`` seconds passed since it was last reported.
Tag names are unique across the document: they are the tag ids the
historian and the alarms use.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

SCHEMA = "otm.tags/1"
"""The document type and version this module reads."""

Protocol = Literal["modbus", "s7", "opcua", "bacnet", "enip"]

DEFAULT_PORTS: dict[str, int] = {
    "modbus": 502,
    "s7": 102,
    "opcua": 4840,
    "bacnet": 47808,
    "enip": 44818,
}
"""The well-known port of each protocol, used when a device names none."""

DataType = Literal[
    "bool",
    "int8",
    "uint8",
    "int16",
    "uint16",
    "int32",
    "uint32",
    "int64",
    "uint64",
    "float32",
    "float64",
    "string",
]

TYPE_SIZES: dict[str, int] = {
    "int8": 1,
    "uint8": 1,
    "int16": 2,
    "uint16": 2,
    "int32": 4,
    "uint32": 4,
    "int64": 8,
    "uint64": 8,
    "float32": 4,
    "float64": 8,
}
"""Bytes of each fixed-size type (bool and string have no fixed size)."""

MAX_STRING = 254
"""Longest string a tag may declare: an S7 STRING holds at most 254 characters."""


class Quality(StrEnum):
    """How far a sample can be trusted, in the three classes OPC UA uses.

    ``good``: read this cycle and the device says nothing against it.
    ``uncertain``: the device answered but flagged the value (an OPC UA
    Uncertain status, a BACnet object out of service).  ``bad``: no usable
    value (no answer, an error answer, a fault flag, a float that is not a
    number); the sample then carries the last good value, or NaN if none.
    """

    GOOD = "good"
    UNCERTAIN = "uncertain"
    BAD = "bad"


class TagConfigError(ValueError):
    """A tag document that cannot be used; ``str()`` lists every problem, one a line."""


# -- parsed addresses -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModbusRef:
    """A Modbus data item: ``table`` hr/ir/co/di, 0-based ``address``, ``count`` items.

    ``count`` is registers for hr/ir and bits for co/di; ``bit`` selects one
    bit of a single register.
    """

    table: str
    address: int
    count: int
    dtype: str
    bit: int | None = None


@dataclass(frozen=True, slots=True)
class S7Ref:
    """An S7 memory item: ``area`` DB/M/I/Q, ``db`` number (0 outside DBs), bytes."""

    area: str
    db: int
    start: int
    size: int
    dtype: str
    bit: int | None = None


@dataclass(frozen=True, slots=True)
class BacnetRef:
    """A BACnet property: object type name, instance, property name."""

    object_type: str
    instance: int
    property: str = "present-value"


@dataclass(frozen=True, slots=True)
class NodeRef:
    """An OPC UA node id in its string form (``ns=2;s=Line3.TT101``)."""

    node_id: str


@dataclass(frozen=True, slots=True)
class LogixRef:
    """A Logix tag path (``Program:Main.Speeds[3]``) as the controller names it."""

    path: str


Address = ModbusRef | S7Ref | BacnetRef | NodeRef | LogixRef


# -- the document -----------------------------------------------------------------


def _name(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address") from None


Name = Annotated[str, AfterValidator(_name)]
IpText = Annotated[str, AfterValidator(_ip)]
Seconds = Annotated[float, Field(gt=0, le=86_400)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TagSpec(_Strict):
    """One tag of a device: what to read and how to turn it into a value."""

    name: Name
    address: Name
    type: DataType | None = None
    length: Annotated[int, Field(ge=1, le=MAX_STRING)] | None = None
    byte_order: Literal["big", "little"] = "big"
    word_order: Literal["big", "little"] = "big"
    scale: float = 1.0
    offset: float = 0.0
    deadband: Annotated[float, Field(ge=0)] = 0.0
    report_by_exception: bool | None = None
    unit: str = ""
    description: str = ""


class HealthRules(_Strict):
    """When a device counts as up, degraded or down (see ``otm.polling.health``)."""

    down_after: Annotated[int, Field(ge=1, le=1000)] = 3
    up_after: Annotated[int, Field(ge=1, le=1000)] = 2
    max_error_rate: Annotated[float, Field(ge=0, le=1)] = 0.2
    slow_ms: Annotated[float, Field(gt=0)] | None = None


class DeviceSpec(_Strict):
    """One polled device: where it is, how often, with which protocol settings."""

    name: Name
    protocol: Protocol
    host: IpText
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    interval: Seconds = 1.0
    timeout: Seconds = 2.0
    max_in_flight: Annotated[int, Field(ge=1, le=16)] = 1
    report_by_exception: bool = False
    heartbeat: Seconds | None = None
    backoff_max: Seconds = 60.0
    health_interval: Seconds = 5.0
    health: HealthRules = HealthRules()
    # Modbus
    unit_id: Annotated[int, Field(ge=0, le=255)] = 1
    max_registers: Annotated[int, Field(ge=1, le=125)] = 125
    max_bits: Annotated[int, Field(ge=1, le=2000)] = 2000
    max_gap: Annotated[int, Field(ge=0, le=125)] = 16
    # S7
    rack: Annotated[int, Field(ge=0, le=7)] = 0
    slot: Annotated[int, Field(ge=0, le=31)] = 2
    # OPC UA
    endpoint: str | None = None
    # BACnet
    status_flags: bool = True
    # EtherNet/IP
    route: str = ""
    tags: Annotated[list[TagSpec], Field(min_length=1)]

    @property
    def target_port(self) -> int:
        """The port polled: the one given, else the protocol's well-known port."""
        return self.port if self.port is not None else DEFAULT_PORTS[self.protocol]

    @property
    def opcua_url(self) -> str:
        """The OPC UA endpoint URL: the one given, else ``opc.tcp://host:port``."""
        if self.endpoint:
            return self.endpoint
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"opc.tcp://{host}:{self.target_port}"

    @property
    def slow_seconds(self) -> float:
        """Answers slower than this make a device degraded (default: half the timeout)."""
        if self.health.slow_ms is not None:
            return self.health.slow_ms / 1000.0
        return self.timeout / 2.0

    @model_validator(mode="after")
    def _check_tags(self) -> DeviceSpec:
        problems: list[str] = []
        for i, tag in enumerate(self.tags):
            try:
                parse_address(self.protocol, tag)
            except ValueError as exc:
                problems.append(f"tags[{i}] ({tag.name}): {exc}")
            if self.protocol != "modbus" and (tag.byte_order, tag.word_order) != ("big", "big"):
                problems.append(
                    f"tags[{i}] ({tag.name}): byte_order and word_order apply to Modbus only"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self


class TagDocument(_Strict):
    """The whole ``otm.tags/1`` document."""

    schema_: Literal["otm.tags/1"] = Field(alias="schema")
    bacnet_address: str | None = None
    devices: Annotated[list[DeviceSpec], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique(self) -> TagDocument:
        seen_devices: set[str] = set()
        seen_tags: dict[str, str] = {}
        problems: list[str] = []
        for device in self.devices:
            if device.name in seen_devices:
                problems.append(f"device {device.name!r} appears twice")
            seen_devices.add(device.name)
            for tag in device.tags:
                if tag.name in seen_tags:
                    problems.append(
                        f"tag {tag.name!r} of {device.name!r} is also a tag of "
                        f"{seen_tags[tag.name]!r}: tag names are ids, unique in the document"
                    )
                seen_tags.setdefault(tag.name, device.name)
        if problems:
            raise ValueError("; ".join(problems))
        return self


PollConfig = TagDocument
"""What ``otm.polling.poller.poll`` takes: a validated tag document."""


def load_tags(path: str | Path) -> TagDocument:
    """Read and validate a tag file; raises ``TagConfigError`` listing every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TagConfigError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_tags(text, source=str(path))


def parse_tags(text: str, source: str = "<tags>") -> TagDocument:
    """Validate a tag document given as YAML text."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TagConfigError(f"{source}: not YAML: {exc}") from None
    return tags_from_document(data, source)


def tags_from_document(data: object, source: str = "<tags>") -> TagDocument:
    """Validate a tag document given as data (parsed YAML or JSON)."""
    if not isinstance(data, Mapping):
        raise TagConfigError(
            f"{source}: the document is not a mapping; start with 'schema: {SCHEMA}'"
        )
    if "schema" not in data:
        raise TagConfigError(f"{source}: schema: missing: add 'schema: {SCHEMA}' at the top")
    try:
        return TagDocument.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            message = str(err["msg"]).removeprefix("Value error, ")
            lines.append(f"{source}: {where}: {message}" if where else f"{source}: {message}")
        raise TagConfigError("\n".join(lines)) from None


# -- address parsing --------------------------------------------------------------


def parse_address(protocol: str, tag: TagSpec) -> Address:
    """The parsed address of ``tag`` on a device of ``protocol``; ValueError if wrong."""
    if protocol == "modbus":
        return parse_modbus(tag)
    if protocol == "s7":
        return parse_s7(tag)
    if protocol == "opcua":
        return parse_node_id(tag.address)
    if protocol == "bacnet":
        return parse_bacnet(tag.address)
    if protocol == "enip":
        return parse_logix(tag.address)
    raise ValueError(f"unknown protocol {protocol!r}")


_MODBUS = re.compile(r"^(hr|ir|co|di):(\d{1,6})(?:\.(\d{1,2}))?$", re.IGNORECASE)
_MODICON_DIGIT = {"co": "0", "di": "1", "ir": "3", "hr": "4"}
_BIT_TABLES = ("co", "di")


def modbus_type(tag: TagSpec, table: str) -> str:
    """The data type of a Modbus tag: the one given, else bool for bits, uint16 for registers."""
    if tag.type is not None:
        return tag.type
    return "bool" if table in _BIT_TABLES else "uint16"


def parse_modbus(tag: TagSpec) -> ModbusRef:
    """``hr:40001``, ``ir:5``, ``co:00001``, ``hr:40001.3`` -> ``ModbusRef``."""
    match = _MODBUS.match(tag.address.strip())
    if match is None:
        raise ValueError(
            f"{tag.address!r} is not a Modbus address "
            "(hr:40001, ir:30001, co:00001, di:10001, hr:0)"
        )
    table, digits, bit_text = match.group(1).lower(), match.group(2), match.group(3)
    number = int(digits)
    if len(digits) in (5, 6) and digits[0] == _MODICON_DIGIT[table]:
        address = int(digits[1:]) - 1
        if address < 0:
            raise ValueError(f"{tag.address!r}: Modicon references start at 1")
    else:
        address = number
    if address > 65535:
        raise ValueError(f"{tag.address!r}: Modbus addresses end at 65535")
    dtype = modbus_type(tag, table)
    bit = int(bit_text) if bit_text is not None else None
    if table in _BIT_TABLES:
        if dtype != "bool":
            raise ValueError(f"{tag.address!r}: coils and discrete inputs are bool")
        if bit is not None:
            raise ValueError(f"{tag.address!r}: a coil or input has no bits")
        return ModbusRef(table, address, 1, "bool")
    if bit is not None:
        if bit > 15:
            raise ValueError(f"{tag.address!r}: a register has bits 0-15")
        if tag.type not in (None, "bool"):
            raise ValueError(f"{tag.address!r}: a register bit is bool")
        return ModbusRef(table, address, 1, "bool", bit)
    if dtype == "bool":
        count = 1  # a whole register read as bool: non-zero is true
    elif dtype == "string":
        if tag.length is None:
            raise ValueError(f"{tag.address!r}: a string needs its length (characters)")
        count = (tag.length + 1) // 2
        if count > 125:
            raise ValueError(f"{tag.address!r}: one read holds 125 registers (250 characters)")
    else:
        count = max(1, TYPE_SIZES[dtype] // 2)
        if TYPE_SIZES[dtype] == 1:
            raise ValueError(f"{tag.address!r}: registers are 16 bits; use int16 or uint16")
    if address + count - 1 > 65535:
        raise ValueError(f"{tag.address!r}: the value runs past register 65535")
    return ModbusRef(table, address, count, dtype)


_S7 = re.compile(
    r"^(?:DB(?P<db>\d{1,5})\.DB(?P<dbw>[XBWD])|(?P<area>[MIEQA])(?P<w>[BWD]?))"
    r"(?P<byte>\d{1,5})(?:\.(?P<bit>[0-7]))?$",
    re.IGNORECASE,
)
_S7_AREAS = {"M": "M", "I": "I", "E": "I", "Q": "Q", "A": "Q"}
_S7_WIDTH = {"B": 1, "W": 2, "D": 4}


def s7_type(tag: TagSpec, width: str) -> str:
    """The data type of an S7 tag: the one given, else from the width letter."""
    if tag.type is not None:
        return tag.type
    defaults = {"X": "bool", "B": "uint8", "W": "int16"}
    if width in defaults:
        return defaults[width]
    raise ValueError(f"{tag.address!r}: a double word is REAL, DINT or DWORD: give float32, "
                     "int32 or uint32 as type")  # fmt: skip


def parse_s7(tag: TagSpec) -> S7Ref:
    """``DB1.DBD4``, ``DB1.DBX0.1``, ``MW10``, ``M0.1``, ``IB2``, ``Q0.0`` -> ``S7Ref``."""
    text = tag.address.strip().replace(" ", "")
    match = _S7.match(text)
    if match is None:
        raise ValueError(f"{tag.address!r} is not an S7 address (DB1.DBD4, DB1.DBX0.1, MW10, M0.1)")
    start = int(match.group("byte"))
    bit_text = match.group("bit")
    if match.group("db") is not None:
        area, db, width = "DB", int(match.group("db")), match.group("dbw").upper()
        if db == 0:
            raise ValueError(f"{tag.address!r}: data blocks are numbered from 1")
    else:
        area, db = _S7_AREAS[match.group("area").upper()], 0
        width = match.group("w").upper() or "X"
    if width == "X":
        if bit_text is None:
            raise ValueError(f"{tag.address!r}: a bit address needs .BIT (0-7)")
        if tag.type not in (None, "bool"):
            raise ValueError(f"{tag.address!r}: a bit is bool")
        return S7Ref(area, db, start, 1, "bool", int(bit_text))
    if bit_text is not None:
        raise ValueError(f"{tag.address!r}: only X addresses (and M0.1 style) have a bit")
    dtype = s7_type(tag, width)
    if dtype == "string":
        if tag.length is None:
            raise ValueError(f"{tag.address!r}: a string needs its length (characters)")
        if width != "B":
            raise ValueError(f"{tag.address!r}: a string starts at a byte address (DBB, MB)")
        return S7Ref(area, db, start, tag.length + 2, "string")
    if dtype == "bool":
        raise ValueError(f"{tag.address!r}: a bool is a bit address (DB1.DBX0.1, M0.1)")
    size = TYPE_SIZES[dtype]
    if width != "B" and size != _S7_WIDTH[width]:
        raise ValueError(f"{tag.address!r}: {dtype} is {size} bytes, a {width} address holds "
                         f"{_S7_WIDTH[width]}")  # fmt: skip
    return S7Ref(area, db, start, size, dtype)


_NODE_ID = re.compile(r"^(?:ns=\d{1,5};)?(?:i=\d{1,10}|s=.+|g=[0-9a-fA-F-]{36}|b=[A-Za-z0-9+/=]+)$")


def parse_node_id(text: str) -> NodeRef:
    """An OPC UA node id in string form, checked for shape only."""
    text = text.strip()
    if _NODE_ID.match(text) is None:
        raise ValueError(f"{text!r} is not an OPC UA node id (ns=2;s=Name, ns=2;i=1001, i=2258)")
    return NodeRef(text)


BACNET_OBJECT_TYPES = frozenset(
    {
        "analog-input",
        "analog-output",
        "analog-value",
        "binary-input",
        "binary-output",
        "binary-value",
        "multi-state-input",
        "multi-state-output",
        "multi-state-value",
        "accumulator",
        "pulse-converter",
        "loop",
        "integer-value",
        "positive-integer-value",
        "large-analog-value",
        "characterstring-value",
        "device",
    }
)
"""Object types whose properties the poller reads (ASHRAE 135 clause 12)."""

_BACNET = re.compile(r"^([a-z-]+)\s*[,:]\s*(\d{1,7})(?:\s*/\s*([a-z-]+))?$")


def parse_bacnet(text: str) -> BacnetRef:
    """``analog-value,1`` or ``analog-input,3/high-limit`` -> ``BacnetRef``."""
    match = _BACNET.match(text.strip().lower())
    if match is None:
        raise ValueError(f"{text!r} is not a BACnet object (analog-value,1[/present-value])")
    object_type, instance = match.group(1), int(match.group(2))
    if object_type not in BACNET_OBJECT_TYPES:
        raise ValueError(f"{text!r}: object type {object_type!r} is not one the poller reads")
    if instance > 4194302:
        raise ValueError(f"{text!r}: instances end at 4194302")
    return BacnetRef(object_type, instance, match.group(3) or "present-value")


_LOGIX = re.compile(
    r"^(?:Program:[A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*(?:\[\d+(?:,\d+){0,2}\])?"
    r"(?:\.[A-Za-z_][A-Za-z0-9_]*(?:\[\d+(?:,\d+){0,2}\])?)*(?:\.\d{1,2})?$"
)


def parse_logix(text: str) -> LogixRef:
    """A Logix tag path (``Speed``, ``Speeds[3]``, ``Program:Main.Motor.Amps``)."""
    text = text.strip()
    if _LOGIX.match(text) is None:
        raise ValueError(f"{text!r} is not a Logix tag name (Speed, Speeds[3], Program:Main.Speed)")
    return LogixRef(text)
