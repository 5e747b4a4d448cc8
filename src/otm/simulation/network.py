"""What a plant network gives the launcher, whichever kind it is (``netns`` or ``loopback``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from otm.simulation.spec import DemoDevice


@dataclass(frozen=True, slots=True)
class Slot:
    """Where one device sits: its namespace (empty on loopback), address, port, bind address."""

    netns: str
    ip: str
    port: int
    bind: str


class Network(Protocol):
    """A plant network: built once, commands wrapped into it, torn down once."""

    mode: str
    """``netns`` or ``loopback``."""

    @property
    def host_ip(self) -> str:
        """otm's own address on the plant network (``.1``)."""
        ...

    def build(self, devices: Sequence[DemoDevice]) -> dict[str, Slot]:
        """Make the network; a slot per device name."""
        ...

    def wrap(self, slot: Slot, argv: Sequence[str]) -> list[str]:
        """``argv`` as run at ``slot`` (inside its namespace, if any)."""
        ...

    def teardown(self) -> None:
        """Remove what ``build`` made; never raises, may be called twice."""
        ...
