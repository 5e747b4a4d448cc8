"""Observations: the typed records sources emit and consumers read."""

from otm.observations.records import (
    AssetSeen,
    Communication,
    Evidence,
    Identity,
    Observation,
    Operation,
    ParseAnomaly,
    TagSample,
    Transport,
)

__all__ = [
    "AssetSeen",
    "Communication",
    "Evidence",
    "Identity",
    "Observation",
    "Operation",
    "ParseAnomaly",
    "TagSample",
    "Transport",
]
