"""NTP (RFC 5905) headers: who serves time, at which stratum, from which source.

A control network's time source matters (sequence-of-events records, certificate
checks); an unexpected NTP server or a stratum change is worth seeing.  Only
the 48-byte header is read; extension fields and MACs are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from otm.protocols.common import Anomaly

MODES = {
    0: "reserved",
    1: "symmetric_active",
    2: "symmetric_passive",
    3: "client",
    4: "server",
    5: "broadcast",
    6: "control",
    7: "private",
}


class NtpAnomaly(StrEnum):
    """Kinds of broken NTP input."""

    TRUNCATED = "truncated"
    """Shorter than the 48-byte header (mode 6/7 control messages excepted)."""
    BAD_VERSION = "bad_version"
    """Version outside 1-4."""


@dataclass(frozen=True, slots=True)
class NtpMessage:
    """The header fields of one NTP packet."""

    version: int
    mode: str
    stratum: int
    reference_id: str


def decode(data: bytes) -> NtpMessage | Anomaly:
    """Decode one UDP payload of port 123."""
    if not data:
        return Anomaly(NtpAnomaly.TRUNCATED, "empty", 0)
    version, mode = (data[0] >> 3) & 0x07, data[0] & 0x07
    if not 1 <= version <= 4:
        return Anomaly(NtpAnomaly.BAD_VERSION, f"version {version}", 0)
    if mode in (6, 7):
        return NtpMessage(version, MODES[mode], 0, "")
    if len(data) < 48:
        return Anomaly(NtpAnomaly.TRUNCATED, f"{len(data)} bytes", 0)
    stratum = data[1]
    ref = data[12:16]
    if stratum <= 1:  # a kiss code or a reference clock's four ASCII letters
        reference = ref.rstrip(b"\x00").decode("ascii", "replace")
    else:
        reference = ".".join(str(b) for b in ref)
    return NtpMessage(version, MODES[mode], stratum, reference)
