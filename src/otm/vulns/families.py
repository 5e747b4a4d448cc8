"""Product families behind catalog numbers: what a device's order number says it is.

Advisories often name a family (``Modicon M340``, ``ControlLogix 5580``,
``SIMATIC S7-1200 CPU family``) where the device reports only its catalog
or order number (``BMX P34 2020``, ``1756-L83E/B``, ``6ES7 214-1HE30-0XB0``).
``FAMILIES`` maps the latter to the former, one row a rule, first rule of a
vendor that matches wins; adding a family is adding a row.  The patterns
read the designation upper-cased with its spaces removed.

The phrases are also looked for in advisory product names, so that a
product naming ``ControlLogix 5580`` is not taken for a ControlLogix 5560
device because both say "ControlLogix" (``FAMILY_PHRASES``).

Sources: the vendors' public catalog numbering (Siemens MLFB 6ES7 2xx =
S7-1200, 3xx = S7-300, 4xx = S7-400, 5xx = S7-1500, 6AGx = the SIPLUS
variant of the same; Rockwell 1756-L6x/L7x/L8x = ControlLogix 5560/5570/
5580, 1769-L3x = CompactLogix 5370, 5069-L3x/L4x = CompactLogix 5380/5480,
S suffix = GuardLogix; Schneider BMX = Modicon M340, BMEP/BMEH = M580,
140 = Quantum, TSX P57 = Premium, 171 CBU = Momentum, BMKC80 = MC80;
Omron NJ/NX machine controllers).  Siemens CPU names say their family too:
``CPU 315-2 PN/DP`` is an S7-300 (CPU 31x), ``CPU 1214C`` an S7-1200.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    """One rule: a vendor's catalog-number pattern and the family names it means."""

    vendor: str
    pattern: re.Pattern[str]
    names: tuple[str, ...]


def _f(vendor: str, pattern: str, *names: str) -> Family:
    return Family(vendor, re.compile(pattern), names)


FAMILIES: tuple[Family, ...] = (
    _f("siemens", r"^6(?:ES7|AG\d)21\d-", "S7-1200"),
    _f("siemens", r"^6(?:ES7|AG\d)3(?:1\d|18)-", "S7-300"),
    _f("siemens", r"^6(?:ES7|AG\d)41\d-", "S7-400"),
    _f("siemens", r"^6(?:ES7|AG\d)51\d-", "S7-1500"),
    _f("siemens", r"^(?:S7-300)?CPU31\d", "S7-300"),
    _f("siemens", r"^(?:S7-400)?CPU41\d", "S7-400"),
    _f("siemens", r"^(?:S7-1200)?CPU12\d\d", "S7-1200"),
    _f("siemens", r"^(?:S7-1500)?CPU15\d\d", "S7-1500"),
    _f("rockwell", r"^1756-L6\d", "ControlLogix 5560", "ControlLogix"),
    _f("rockwell", r"^1756-L7\dS|^1756-L7SP", "GuardLogix 5570", "ControlLogix"),
    _f("rockwell", r"^1756-L7\d", "ControlLogix 5570", "ControlLogix"),
    _f("rockwell", r"^1756-L8\d[A-Z]*S", "GuardLogix 5580", "ControlLogix"),
    _f(
        "rockwell",
        r"^1756-L8\d[A-Z]*P",
        "ControlLogix 5580 Process",
        "ControlLogix 5580",
        "ControlLogix",
    ),
    _f("rockwell", r"^1756-L8\d", "ControlLogix 5580", "ControlLogix"),
    _f("rockwell", r"^1756-", "ControlLogix"),
    _f("rockwell", r"^1769-L3\d[A-Z0-9]*S", "Compact GuardLogix 5370", "CompactLogix"),
    _f("rockwell", r"^1769-L3\d", "CompactLogix 5370", "CompactLogix"),
    _f("rockwell", r"^5069-L3\d[A-Z0-9]*S", "Compact GuardLogix 5380", "CompactLogix"),
    _f("rockwell", r"^5069-L3\d", "CompactLogix 5380", "CompactLogix"),
    _f("rockwell", r"^5069-L4\d", "CompactLogix 5480", "CompactLogix"),
    _f("rockwell", r"^1766-L32", "MicroLogix 1400", "MicroLogix"),
    _f("rockwell", r"^1763-L16", "MicroLogix 1100", "MicroLogix"),
    _f("rockwell", r"^1762-L", "MicroLogix 1200", "MicroLogix"),
    _f("rockwell", r"^1764-", "MicroLogix 1500", "MicroLogix"),
    _f("rockwell", r"^2080-", "Micro800"),
    _f("schneider", r"^BMXP34", "Modicon M340"),
    _f("schneider", r"^BMX", "Modicon M340"),
    _f("schneider", r"^BME[PH]58\d*S", "Modicon M580 Safety", "Modicon M580"),
    _f("schneider", r"^BME[PH]58", "Modicon M580"),
    _f("schneider", r"^140", "Modicon Quantum"),
    _f("schneider", r"^TSXP57", "Modicon Premium"),
    _f("schneider", r"^171CBU", "Modicon Momentum"),
    _f("schneider", r"^BMKC80", "Modicon MC80"),
    _f("schneider", r"^TM221", "Modicon M221"),
    _f("schneider", r"^TM241", "Modicon M241"),
    _f("schneider", r"^TM251", "Modicon M251"),
    _f("omron", r"^NJ\d", "NJ/NX"),
    _f("omron", r"^NX\d", "NJ/NX"),
)
"""Catalog-number rules, most specific first within a vendor."""

EXTRA_PHRASES: dict[str, tuple[str, ...]] = {
    "siemens": ("S7-200 SMART", "ET 200SP", "ET 200S", "ET 200MP", "ET 200pro", "ET 200AL"),
    "rockwell": ("Compact GuardLogix 5380 SIL 2", "Compact GuardLogix 5380 SIL 3"),
}
"""Family names that appear in advisories without a catalog rule of their own."""


def _phrases() -> dict[str, tuple[str, ...]]:
    by_vendor: dict[str, set[str]] = {}
    for family in FAMILIES:
        by_vendor.setdefault(family.vendor, set()).update(family.names)
    for vendor, names in EXTRA_PHRASES.items():
        by_vendor.setdefault(vendor, set()).update(names)
    return {v: tuple(sorted(names, key=lambda n: (-len(n), n))) for v, names in by_vendor.items()}


FAMILY_PHRASES: dict[str, tuple[str, ...]] = _phrases()
"""Vendor key -> every family name known for it, longest first."""


def compact(text: str) -> str:
    """A designation upper-cased without spaces: ``BMX P34 2020`` -> ``BMXP342020``."""
    return "".join(text.upper().split())


def families_of(vendor: str | None, designations: list[str]) -> tuple[str, ...]:
    """The family names the vendor's catalog rules give for these designations."""
    found: list[str] = []
    for designation in designations:
        key = compact(designation)
        for family in FAMILIES:
            if family.vendor == vendor and family.pattern.match(key):
                found.extend(n for n in family.names if n not in found)
                break
    return tuple(found)


def phrases_in(vendor: str | None, text: str) -> tuple[str, ...]:
    """Known family names of the vendor written in ``text`` (longest, non-overlapping)."""
    if vendor is None:
        return ()
    upper = f" {' '.join(text.upper().replace('(', ' ').replace(')', ' ').split())} "
    found: list[str] = []
    taken: list[tuple[int, int]] = []
    for phrase in FAMILY_PHRASES.get(vendor, ()):
        needle = phrase.upper()
        start = 0
        while (at := upper.find(needle, start)) >= 0:
            end = at + len(needle)
            bounded = not upper[at - 1].isalnum() and not upper[end].isalnum()
            if bounded and not any(a < end and at < b for a, b in taken):
                taken.append((at, end))
                if phrase not in found:
                    found.append(phrase)
            start = at + 1
    return tuple(found)
