"""Every passive sensor, once. Registering a protocol is one line here."""

from __future__ import annotations

from typing import Protocol

from otm.capture.walker import PacketWalker
from otm.sensing.aggregate import Tally
from otm.sensing.bacnet import BacnetSensor
from otm.sensing.dnp3 import Dnp3Sensor
from otm.sensing.enip import EnipSensor
from otm.sensing.fieldbus import CcLinkSensor, EthercatSensor
from otm.sensing.fins import FinsSensor
from otm.sensing.goose import GooseSensor
from otm.sensing.hartip import HartIpSensor
from otm.sensing.iec104 import Iec104Sensor
from otm.sensing.it import ItSensor
from otm.sensing.labels import FlowLabels
from otm.sensing.lldp import LldpSensor
from otm.sensing.modbus import ModbusSensor
from otm.sensing.opcua import OpcUaSensor
from otm.sensing.profinet import ProfinetSensor
from otm.sensing.s7comm import S7Sensor
from otm.sensing.snmp import SnmpSensor


class Sensor(Protocol):
    """Attaches a protocol's handlers to the packet walker."""

    def register(self, walker: PacketWalker, tally: Tally, labels: FlowLabels) -> None: ...


SENSORS: tuple[Sensor, ...] = (
    ModbusSensor(),
    EnipSensor(),
    S7Sensor(),
    Dnp3Sensor(),
    Iec104Sensor(),
    HartIpSensor(),
    ProfinetSensor(),
    EthercatSensor(),
    CcLinkSensor(),
    BacnetSensor(),
    FinsSensor(),
    SnmpSensor(),
    OpcUaSensor(),
    GooseSensor(),
    LldpSensor(),
    ItSensor(),
)
