"""The plant network on loopback: each device on its own 127.77.R.H address, on a high port.

Linux answers every address of 127.0.0.0/8 on ``lo``, so each device still
has an address of its own (otm's inventory, alarms and health key devices by
address) with no privilege at all.  What loopback cannot give: vendor MACs,
broadcast discovery and a capture that shows a plant; ``otm demo`` says so.

Ports are ``HIGH_PORTS`` (an unprivileged user cannot bind below 1024): the
scanner is told with ``--port modbus=5020`` and the tag file with ``port``.
R, the third octet, is drawn at random (1-254) and kept only when every
device's ports can be bound there, so two plants on one machine (or a plant
and someone else's server) do not collide.
"""

from __future__ import annotations

import random
import socket
from collections.abc import Sequence

from otm.simulation.network import Slot
from otm.simulation.spec import HIGH_PORTS, DemoDevice

NETWORK = "127.77"
TRIES = 32
"""Random third octets tried before giving up: collisions are rare, so a few suffice."""

_TRANSPORTS = {
    "modbus": (socket.SOCK_STREAM,),
    "s7": (socket.SOCK_STREAM,),
    "enip": (socket.SOCK_STREAM, socket.SOCK_DGRAM),
    "bacnet": (socket.SOCK_DGRAM,),
    "opcua": (socket.SOCK_STREAM,),
}
"""What each stack binds: EtherNet/IP answers ListIdentity on UDP and TCP."""


class LoopbackError(RuntimeError):
    """No loopback network where every device's ports are free."""


def _free(ip: str, port: int, kinds: Sequence[int]) -> bool:
    for kind in kinds:
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind((ip, port))
            except OSError:
                return False
    return True


class LoopbackNetwork:
    """Addresses on ``lo``: ``build`` picks them, nothing to tear down."""

    mode = "loopback"

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rng = rng or random.Random()
        self.third: int | None = None

    @property
    def host_ip(self) -> str:
        """The address otm's BACnet client binds on this network (``.1``)."""
        return f"{NETWORK}.{self.third}.1"

    def build(self, devices: Sequence[DemoDevice]) -> dict[str, Slot]:
        """A slot per device on the first random 127.77.R.0/24 whose ports are all free."""
        for _ in range(TRIES):
            third = self._rng.randrange(1, 255)
            slots = {}
            for device in devices:
                ip = f"{NETWORK}.{third}.{device.host}"
                slots[device.name] = Slot("", ip, HIGH_PORTS[device.kind], ip)
            if all(_free(s.ip, s.port, _TRANSPORTS[d.kind]) for d, s in
                   zip(devices, slots.values(), strict=True)):  # fmt: skip
                self.third = third
                return slots
        raise LoopbackError(f"no 127.77.R.0/24 with every device's port free after {TRIES} tries")

    def wrap(self, slot: Slot, argv: Sequence[str]) -> list[str]:
        """Loopback devices run as they are."""
        return list(argv)

    def teardown(self) -> None:
        """Nothing was made."""
