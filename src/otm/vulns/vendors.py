"""Who made it: one key per vendor, whatever a device, an OUI table or an advisory calls it.

A device says ``Rockwell Automation/Allen-Bradley`` (the ODVA name of CIP
vendor id 1), the IEEE OUI table ``Rockwell Automation``, CISA
``Rockwell Automation``; Siemens is ``Siemens``, ``Siemens AG``,
``Siemens Schweiz AG (Formerly: Cerberus AG)``; Schneider Electric's
advisories come from ``Schneider Electric Software, LLC``.  ``vendor_key``
maps each to one key (``rockwell``, ``siemens``, ``schneider``) through
``ALIASES``, a table of name prefixes; a name the table does not know keys
to its own words without legal suffixes, so two spellings of an unknown
vendor still meet when they differ only in ``Inc.`` or ``GmbH``.

``PROTOCOL_VENDORS`` names the vendor a proprietary protocol implies
(Omron FINS, Siemens S7): the FINS sensor reports a controller's model and
firmware but no vendor, and the MAC in front of it may be a router's.
"""

from __future__ import annotations

import re
import unicodedata

ALIASES: dict[str, tuple[str, ...]] = {
    "siemens": ("siemens",),
    "rockwell": ("rockwell", "allen bradley", "allen-bradley", "allenbradley", "a-b"),
    "schneider": ("schneider", "telemecanique", "modicon", "square d"),
    "omron": ("omron",),
    "moxa": ("moxa",),
    "hirschmann": ("hirschmann", "belden"),
    "beckhoff": ("beckhoff",),
    "sel": ("schweitzer engineering", "sel"),
    "johnson-controls": ("johnson controls", "johnson control", "jci"),
    "ge": ("general electric", "ge"),
    "abb": ("abb",),
    "mitsubishi-electric": ("mitsubishi electric",),
    "phoenix-contact": ("phoenix contact",),
    "wago": ("wago",),
    "honeywell": ("honeywell",),
    "emerson": ("emerson", "fisher-rosemount", "fisher rosemount"),
    "yokogawa": ("yokogawa",),
    "hitachi-energy": ("hitachi energy",),
    "bosch-rexroth": ("bosch rexroth", "rexroth"),
    "b-and-r": ("b&r", "b & r", "bernecker"),
    "delta-electronics": ("delta electronics",),
    "prosoft": ("prosoft",),
    "cisco": ("cisco",),
}
"""Vendor key -> lower-case name prefixes that mean it (first match wins, in order).

A prefix matches at the start of the normalised name and ends at a word
boundary, so ``sel`` is SEL but not ``Selco``, ``ge`` is GE but not ``Gefran``."""

PROTOCOL_VENDORS: dict[str, str] = {
    "omron-fins": "Omron",
    "s7comm": "Siemens",
    "s7comm-plus": "Siemens",
}
"""Protocols (as ``FieldValue.protocol`` names them) only one vendor's devices speak.

FINS is Omron's; S7comm and S7comm-plus are Siemens' (third-party S7
stacks exist, but a device answering SZL queries with a Siemens order
number is a Siemens CPU or its clone, and the clone's advisories are the
same)."""

_LEGAL = re.compile(
    r"\b(inc|incorporated|corp|corporation|co|company|ltd|limited|llc|gmbh|ag|sa|se|plc|kg|"
    r"bv|nv|oy|ab|srl|spa|kk|pty|the)\b\.?"
)


def normalise(name: str) -> str:
    """Lower case, ASCII, punctuation as spaces, single-spaced."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9&+\-]+", " ", folded).split())


def vendor_key(name: str | None) -> str | None:
    """The key of the vendor this name means, or None for no name."""
    if not name:
        return None
    text = normalise(name)
    if not text:
        return None
    for key, prefixes in ALIASES.items():
        for prefix in prefixes:
            if text == prefix or text.startswith(prefix + " "):
                return key
    stripped = " ".join(_LEGAL.sub(" ", text).split())
    return stripped or text


def same_vendor(a: str | None, b: str | None) -> bool:
    """Whether two names mean the same vendor (never for a missing name)."""
    ka, kb = vendor_key(a), vendor_key(b)
    return ka is not None and ka == kb
