"""Use case: analyse capture files into the stored inventory.

For each capture: hash it (the source key, so re-analysing the same bytes
replaces its observations instead of counting them twice), run the passive
engine over it, store its observations; then rebuild the inventory by
replaying every stored observation (DESIGN.md: replay gives the same
inventory) and save the snapshot.  A damaged capture keeps what was read
before the damage and reports the damage.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from otm.capture.readers import CaptureError, open_capture
from otm.inventory.builder import InventoryBuilder
from otm.model.assets import Inventory
from otm.model.repository import InventoryRepository
from otm.sensing.engine import PassiveEngine, SensingStats

Progress = Callable[[int, int], None]
"""progress(bytes_done, bytes_total) for one capture."""

HASH_BLOCK = 1 << 20


@dataclass
class CaptureResult:
    """What analysing one capture gave."""

    path: str
    sha256: str
    frames: int = 0
    observations: int = 0
    replaced: bool = False
    error: str | None = None
    stats: SensingStats | None = None


@dataclass
class AnalysisResult:
    """The captures analysed and the inventory they left."""

    captures: list[CaptureResult] = field(default_factory=list)
    inventory: Inventory = field(default_factory=Inventory)

    @property
    def failed(self) -> bool:
        """True if any capture could not be read at all or was damaged."""
        return any(c.error for c in self.captures)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, streamed."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def analyze_capture(
    path: Path, repo: InventoryRepository, added_at: float, progress: Progress | None = None
) -> CaptureResult:
    """Dissect one capture and store its observations (inventory not rebuilt)."""
    try:
        sha = file_sha256(path)
    except OSError as exc:
        return CaptureResult(str(path), "", error=f"cannot read {path}: {exc.strerror}")
    result = CaptureResult(str(path), sha)
    try:
        reader = open_capture(path)
    except CaptureError as exc:
        result.error = str(exc)
        return result
    with reader:
        engine = PassiveEngine(ref=path.name)
        sensed = engine.run(reader, progress)
    result.frames = sensed.stats.frames
    result.stats = sensed.stats
    result.error = reader.error
    result.replaced = repo.find_source(sha) is not None
    repo.put_source(
        "capture", sha, str(path), result.frames, sensed.observations, added_at, result.error
    )
    result.observations = len(sensed.observations)
    return result


def rebuild_inventory(repo: InventoryRepository) -> Inventory:
    """Replay every stored observation into a fresh inventory and save it."""
    inventory = InventoryBuilder().apply_all(repo.observations()).build()
    repo.save_inventory(inventory)
    return inventory


def analyze_captures(
    paths: Sequence[Path],
    repo: InventoryRepository,
    added_at: float,
    progress_for: Callable[[Path], Progress | None] | None = None,
) -> AnalysisResult:
    """Analyse several captures, then rebuild and save the inventory once."""
    result = AnalysisResult()
    for path in paths:
        progress = progress_for(path) if progress_for else None
        result.captures.append(analyze_capture(path, repo, added_at, progress))
    result.inventory = rebuild_inventory(repo)
    return result
