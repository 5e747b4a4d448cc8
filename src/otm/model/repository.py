"""What the services need from persistence, as interfaces; ``otm.store`` implements them.

The inventory is derived state: it is rebuilt by replaying the stored
observations (DESIGN.md: replay gives the same inventory).  The repository
therefore stores the observations of each source and the latest derived
inventory snapshot for fast reads, and beside them what the user declares
about the plant (``PlantConfig``: zones, conduits, processes, level
overrides, tags, names), which no observation can rebuild.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from otm.model.assets import Asset, Inventory, Link
from otm.model.plant import PlantConfig
from otm.observations.records import Observation

PLANT_SECTIONS = ("zones", "conduits", "processes", "levels", "tags", "names")
"""The parts of a ``PlantConfig`` (and of an ``otm.plant/1`` document), each
stored and replaced on its own: loading a zones file replaces the zones and
keeps the processes."""


@dataclass(frozen=True)
class Source:
    """A capture file, interface or scan whose observations are stored.

    Unique by ``key``: the SHA-256 of a capture file's bytes, so analysing
    the same capture twice replaces its observations instead of adding them
    again.
    """

    id: int
    kind: str
    key: str
    ref: str
    packets: int
    observations: int
    added_at: float
    error: str | None = None


class InventoryRepository(Protocol):
    """Persistence of sources, their observations and the inventory snapshot."""

    def find_source(self, key: str) -> Source | None:
        """The source with this key, if stored."""

    def put_source(
        self,
        kind: str,
        key: str,
        ref: str,
        packets: int,
        observations: Iterable[Observation],
        added_at: float,
        error: str | None = None,
    ) -> Source:
        """Store a source and its observations, replacing any earlier ones with the key."""

    def append_observations(
        self,
        kind: str,
        key: str,
        ref: str,
        packets: int,
        observations: Iterable[Observation],
        added_at: float,
        error: str | None = None,
    ) -> Source:
        """Add observations to a source that keeps growing (a live interface),
        creating it on first use; ``packets`` is the source's new total."""

    def sources(self) -> list[Source]:
        """All stored sources, oldest first."""

    def observations(self) -> Iterator[Observation]:
        """Every stored observation, in the order they were stored per source."""

    def save_inventory(self, inventory: Inventory) -> None:
        """Replace the stored inventory snapshot with this one, atomically."""

    def load_inventory(self) -> Inventory:
        """The stored inventory snapshot (empty if none)."""

    def assets(self) -> list[Asset]:
        """Every asset of the snapshot, ordered by first IP then id."""

    def asset(self, ref: str) -> Asset | None:
        """One asset by id, IP or MAC."""

    def links(self) -> list[Link]:
        """Every link of the snapshot."""

    def save_plant_config(
        self, config: PlantConfig, sections: Collection[str] | None = None
    ) -> None:
        """Replace the stored plant configuration, or only the named ``PLANT_SECTIONS``
        of it (the others stay as stored), atomically."""

    def load_plant_config(self) -> PlantConfig:
        """The stored plant configuration (empty if none was saved)."""
