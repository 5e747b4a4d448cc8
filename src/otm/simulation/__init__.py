"""The demo plant: real device stacks of other libraries, running a small deterministic process.

``otm demo`` runs it so a new user sees discovery, polling and monitoring
without owning a PLC.  Five devices, one per stack (``spec.DEFAULT_PLANT``):

========== ======= =================================================== =========================
device     stack   identity                                            values
========== ======= =================================================== =========================
tank-plc   Modbus  pymodbus: Schneider Electric TM221CE24T (FC43/14)  tank level, pump, flow ...
line-plc   S7comm  python-snap7: S7-300 CPU 315-2 PN/DP (SZL records)  DB1 REALs, bits, merkers
packer-plc ENIP    cpppo: Rockwell 1756-L83E/B (ListIdentity, Identity) Logix tags
ahu-1      BACnet  bacpypes3: Delta Controls DAC-633 (device object)   room temperature, setpoint
line-opcua OPC UA  asyncua: BuildInfo, Security None, anonymous        ns=2 line variables
========== ======= =================================================== =========================

Modules, one job each: ``process`` (the process: pure functions of time,
seed, overrides), ``spec`` (the plant as data), ``servers`` (one module a
stack), ``commands`` and ``serve`` (a device as a process), ``child`` (that
process seen from the launcher), ``netns``/``loopback``/``network`` (where
devices run), ``plant`` (``RunningPlant``: start, stop, set, kill, restart),
``config`` (otm's tag and alarm files for the running plant, as YAML text).

This package is a leaf: it imports nothing of otm's but itself, so the
services can use it without the plant depending on them.

**The OPC UA server runs with security None and anonymous access**, and
every stack answers anyone who reaches it: it is a demo on a private
namespace network or on loopback, not something to expose.
"""

from otm.simulation.plant import PlacedDevice, PlantError, RunningPlant
from otm.simulation.process import VARIABLES, Value, evaluate
from otm.simulation.spec import DEFAULT_PLANT, DemoDevice, DemoPlant, Point

__all__ = [
    "DEFAULT_PLANT",
    "VARIABLES",
    "DemoDevice",
    "DemoPlant",
    "PlacedDevice",
    "PlantError",
    "Point",
    "RunningPlant",
    "Value",
    "evaluate",
]
