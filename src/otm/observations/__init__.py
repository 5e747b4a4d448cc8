"""Observations: the typed records sources emit and consumers read."""

from otm.observations.records import (
    AssetSeen,
    Communication,
    DeviceHealth,
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
    "DeviceHealth",
    "Evidence",
    "Identity",
    "Observation",
    "Operation",
    "ParseAnomaly",
    "TagSample",
    "Transport",
]
