"""Start and stop a demo plant: its network, one process per device, and what otm needs to watch it.

::

    with RunningPlant(DEFAULT_PLANT, mode="auto") as plant:
        print(plant.mode, plant.mode_reason)
        tags = parse_tags(plant.tags_yaml())            # otm.polling.tags
        plant.set("tank-plc", "TK1.LEVEL", 96)          # fire the HI/HIHI alarms
        plant.kill("line-plc")                          # watch its health go down
        plant.restart("line-plc")

Modes: ``netns`` (root, ``ip``): every device in its own network namespace
on a private subnet, on its standard port, joined to the host by one
interface otm can scan, poll and capture on (``netns``); ``loopback``: each
device on its own 127.77.R.H address on a high port (``loopback``);
``auto``: namespaces when they can be built, else loopback, ``mode_reason``
saying why.

Devices are ``python -m otm.simulation.serve`` processes (``serve``) sharing
one plant epoch and seed, so they agree on the process.  ``start`` waits
for every device's ``ready`` (``start_timeout`` for all of them together)
and, when one does not come up, stops everything and raises
``PlantError`` naming the device and the tail of its stderr.

Nothing outlives the plant: ``stop`` (idempotent; also on leaving the
``with`` block by an exception) ends the devices (SIGTERM, then SIGKILL)
and removes the network.  While any plant runs, SIGTERM of this process
becomes ``SystemExit`` (when nobody else handles SIGTERM), so ``with``
blocks unwind; an ``atexit`` hook stops plants left running.  If this
process is killed outright, its devices exit when their stdin closes, and
the namespaces are swept by the next netns start.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import Literal

from otm.simulation import config, netns
from otm.simulation.child import DeviceError, DeviceProcess
from otm.simulation.loopback import LoopbackError, LoopbackNetwork
from otm.simulation.netns import NetnsError, NetnsNetwork
from otm.simulation.network import Network, Slot
from otm.simulation.process import Value
from otm.simulation.spec import DEFAULT_PLANT, STANDARD_PORTS, DemoDevice, DemoPlant

Mode = Literal["auto", "netns", "loopback"]

START_SECONDS = 60.0
"""Default time for all devices to say ``ready``: asyncua alone takes seconds on a loaded CI box."""

BACNET_CLIENT_PORT = 47809
"""Port of otm's own BACnet client in the tag file: not the devices' 47808."""


class PlantError(RuntimeError):
    """The plant could not start, or a device could not do what was asked."""


@dataclass(frozen=True, slots=True)
class PlacedDevice:
    """A device of the running plant and where it runs."""

    device: DemoDevice
    ip: str
    port: int
    netns: str | None

    @property
    def name(self) -> str:
        """The device's name."""
        return self.device.name

    @property
    def kind(self) -> str:
        """``modbus``, ``s7``, ``enip``, ``bacnet`` or ``opcua``."""
        return self.device.kind


_RUNNING: set[RunningPlant] = set()
_GUARD = threading.Lock()
_SIGTERM = {"installed": False}
"""Whether this module installed its SIGTERM handler (and so should put the default back)."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _register(plant: RunningPlant) -> None:
    with _GUARD:
        _RUNNING.add(plant)
        if (
            not _SIGTERM["installed"]
            and threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        ):
            signal.signal(signal.SIGTERM, _on_sigterm)
            _SIGTERM["installed"] = True


def _unregister(plant: RunningPlant) -> None:
    with _GUARD:
        _RUNNING.discard(plant)
        if (
            not _RUNNING
            and _SIGTERM["installed"]
            and threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGTERM) is _on_sigterm
        ):
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            _SIGTERM["installed"] = False


@atexit.register
def _stop_all() -> None:
    for plant in list(_RUNNING):
        plant.stop()


class RunningPlant:
    """A demo plant being run (see the module docstring)."""

    def __init__(
        self,
        plant: DemoPlant = DEFAULT_PLANT,
        mode: Mode = "auto",
        *,
        start_timeout: float = START_SECONDS,
        python: str = sys.executable,
    ) -> None:
        if mode not in ("auto", "netns", "loopback"):
            raise ValueError(f"mode {mode!r}: auto, netns or loopback")
        self.plant = plant
        self.requested: Mode = mode
        self.start_timeout = start_timeout
        self.python = python
        self.mode: Literal["netns", "loopback"] | None = None
        self.mode_reason = ""
        self.epoch = 0.0
        self.devices: dict[str, PlacedDevice] = {}
        self.swept: list[str] = []
        self._network: Network | None = None
        self._slots: dict[str, Slot] = {}
        self._procs: dict[str, DeviceProcess] = {}
        self._state: Literal["new", "running", "stopped"] = "new"
        self._lock = threading.RLock()

    # -- life cycle ----------------------------------------------------------------

    def __enter__(self) -> RunningPlant:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> RunningPlant:
        """Build the network, start every device, wait for all to be ready; ``PlantError``."""
        with self._lock:
            if self._state != "new":
                raise PlantError(f"a plant starts once (it is {self._state})")
            self._state = "running"
            _register(self)
        try:
            self._network, self._slots = self._build_network()
            self.mode = "netns" if isinstance(self._network, NetnsNetwork) else "loopback"
            self.devices = {
                d.name: PlacedDevice(d, self._slots[d.name].ip, self._slots[d.name].port,
                                     self._slots[d.name].netns or None)
                for d in self.plant.devices
            }  # fmt: skip
            self.epoch = time.time()
            for device in self.plant.devices:
                self._spawn(device)
            deadline = time.monotonic() + self.start_timeout
            for proc in self._procs.values():
                try:
                    proc.wait_ready(deadline)
                except DeviceError as exc:
                    raise PlantError(f"the demo plant did not start: {exc}") from None
        except BaseException:
            self.stop()
            raise
        return self

    def _build_network(self) -> tuple[Network, dict[str, Slot]]:
        devices = self.plant.devices
        if self.requested == "loopback":
            self.mode_reason = "loopback mode was asked for"
            return self._loopback(devices)
        why_not = netns.unavailable()
        if why_not is not None:
            if self.requested == "netns":
                raise PlantError(f"netns mode is not possible here: {why_not}")
            self.mode_reason = f"loopback: {why_not}"
            return self._loopback(devices)
        network = NetnsNetwork()
        try:
            slots = network.build(devices)
        except NetnsError as exc:
            if self.requested == "netns":
                raise PlantError(f"netns mode failed: {exc}") from None
            self.mode_reason = f"loopback: namespaces could not be built ({exc})"
            return self._loopback(devices)
        self.swept = network.swept
        self.mode_reason = (
            "netns mode was asked for" if self.requested == "netns"
            else "netns: running as root with iproute2"
        )  # fmt: skip
        return network, slots

    def _loopback(self, devices: Sequence[DemoDevice]) -> tuple[Network, dict[str, Slot]]:
        network = LoopbackNetwork()
        try:
            return network, network.build(devices)
        except LoopbackError as exc:
            raise PlantError(str(exc)) from None

    def _spawn(self, device: DemoDevice) -> None:
        network, slot = self._network, self._slots[device.name]
        assert network is not None
        prefix = network_prefix(network)
        argv = [
            self.python, "-m", "otm.simulation.serve", device.kind,
            "--name", device.name, "--host", slot.ip, "--port", str(slot.port),
            "--bind", slot.bind, "--prefix", str(prefix), "--epoch", repr(self.epoch),
            "--seed", str(self.plant.seed), "--device", device.to_json(),
        ]  # fmt: skip
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        proc = DeviceProcess(device.name, network.wrap(slot, argv), env)
        self._procs[device.name] = proc
        proc.start()

    def stop(self) -> None:
        """End every device and remove the network; idempotent, never raises."""
        with self._lock:
            if self._state == "stopped":
                return
            self._state = "stopped"
            try:
                _stop_processes(list(self._procs.values()))
            finally:
                if self._network is not None:
                    self._network.teardown()
                _unregister(self)

    # -- devices -------------------------------------------------------------------

    def _proc(self, device: str) -> DeviceProcess:
        if self._state != "running":
            raise PlantError(f"the plant is not running ({self._state})")
        try:
            return self._procs[device]
        except KeyError:
            raise PlantError(f"the plant has no device {device!r}") from None

    def set(self, device: str, tag: str, value: Value) -> None:
        """Force ``tag`` (a point's tag or process variable) of ``device`` to ``value``.

        Waits for the device's ``ok``; ``PlantError`` with its reason otherwise.
        The value stays forced until ``release`` or a restart of the device.
        """
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        self._command(device, f"set {tag} {text}")

    def set_bad(self, device: str, tag: str) -> None:
        """Give ``tag`` a bad quality (OPC UA and BACnet devices only)."""
        self._command(device, f"set {tag} bad")

    def release(self, device: str, tag: str) -> None:
        """Return ``tag`` to the process model (value and quality)."""
        self._command(device, f"release {tag}")

    def _command(self, device: str, line: str) -> None:
        try:
            self._proc(device).command(line)
        except DeviceError as exc:
            raise PlantError(str(exc)) from None

    def kill(self, device: str) -> None:
        """Kill ``device``'s process outright (SIGKILL): it stops answering, as a crash does."""
        self._proc(device).kill()

    def restart(self, device: str) -> None:
        """Start ``device`` again (killing it first if it runs) and wait for ``ready``."""
        proc = self._proc(device)
        proc.kill()
        proc.start()
        try:
            proc.wait_ready(time.monotonic() + self.start_timeout)
        except DeviceError as exc:
            proc.kill()
            raise PlantError(str(exc)) from None

    def alive(self, device: str) -> bool:
        """True while ``device``'s process runs."""
        return self._proc(device).alive

    def pids(self) -> dict[str, int]:
        """Process ids of the devices that run."""
        return {name: p.pid for name, p in self._procs.items() if p.pid is not None}

    # -- what otm needs to watch it --------------------------------------------------

    @property
    def run_id(self) -> str | None:
        """The run's id in namespace and interface names (netns mode), else None."""
        if isinstance(self._network, NetnsNetwork):
            return self._network.run_id
        return None

    @property
    def capture_interface(self) -> str | None:
        """The host interface a live capture sees the plant on (netns mode), else None."""
        if isinstance(self._network, NetnsNetwork):
            return self._network.interface
        return None

    @property
    def subnet(self) -> str | None:
        """The plant subnet (netns mode), else None."""
        if isinstance(self._network, NetnsNetwork) and self._network.subnet is not None:
            return str(self._network.subnet)
        return None

    @property
    def host_ip(self) -> str:
        """otm's own address on the plant network (``.1``)."""
        if self._network is None:
            raise PlantError("the plant is not started")
        return self._network.host_ip

    def scan_allow(self) -> list[str]:
        """Networks for ``otm scan --allow``: the subnet, or each loopback device as a /32."""
        if self.subnet is not None:
            return [self.subnet]
        return [f"{d.ip}/32" for d in self.devices.values()]

    def scan_targets(self) -> list[str]:
        """Every device's address, for ``--target``."""
        return [d.ip for d in self.devices.values()]

    def scan_broadcast(self) -> list[str]:
        """Broadcast domains for ``--broadcast`` (the subnet in netns mode; none on loopback)."""
        return [self.subnet] if self.subnet is not None else []

    def scan_ports(self) -> dict[str, int]:
        """Per-protocol ports that are not the standard ones (``--port modbus=5020``)."""
        return {d.kind: d.port for d in self.devices.values()
                if d.port != STANDARD_PORTS[d.device.kind]}  # fmt: skip

    def bacnet_client_address(self) -> str:
        """Where otm's BACnet client binds, in bacpypes3 syntax (``10.77.100.1/24:47809``)."""
        assert self._network is not None
        return f"{self.host_ip}/{network_prefix(self._network)}:{BACNET_CLIENT_PORT}"

    def _placed(self) -> list[tuple[DemoDevice, Slot]]:
        if self._network is None:
            raise PlantError("the plant is not started")
        return [(d, self._slots[d.name]) for d in self.plant.devices]

    def tags_yaml(self, interval: float = 1.0, timeout: float = 2.0) -> str:
        """The ``otm.tags/1`` document of the running plant (``config.tags_yaml``)."""
        return config.tags_yaml(self._placed(), self.bacnet_client_address(), interval, timeout)

    def alarms_yaml(self) -> str:
        """The ``otm.alarms/1`` document of the running plant (``config.alarms_yaml``)."""
        return config.alarms_yaml(self._placed())

    def describe(self) -> list[str]:
        """One line per device (name, kind, address:port, namespace), for a demo's screen."""
        lines = [f"mode {self.mode} ({self.mode_reason})"]
        for d in self.devices.values():
            where = f" in {d.netns}" if d.netns else ""
            lines.append(f"{d.name:12} {d.kind:7} {d.ip}:{d.port}{where}  {d.device.description}")
        return lines


def network_prefix(network: Network) -> int:
    """The plant subnet's prefix length (24 in namespaces, 32 on loopback)."""
    if isinstance(network, NetnsNetwork) and network.subnet is not None:
        return network.subnet.prefixlen
    return 32


def _stop_processes(procs: Sequence[DeviceProcess]) -> None:
    """SIGTERM to all at once, then wait for each (SIGKILL after a few seconds)."""
    threads = [threading.Thread(target=p.stop, daemon=True) for p in procs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20.0)
