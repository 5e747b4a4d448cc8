"""What the neighbour discovery protocols share: the ``Neighbour`` record and how they read text.

LLDP (IEEE 802.1AB) and CDP both have a device announce itself and the port
it sent from to whoever shares the link.  The topology layer wants one
record whichever protocol told it, so the record is declared once, here,
and both codecs build it; the codec packages stay independent of each other
(both import this module, neither imports the other).  Their text values
and capability bit fields follow the same rules, which live here too.
"""

from __future__ import annotations

from dataclasses import dataclass


def text_of(raw: bytes) -> str:
    """A TLV string as text: UTF-8 where valid, else Latin-1; trailing NULs dropped.

    Neither 802.1AB nor CDP names an encoding; UTF-8 is what current firmware
    sends and Latin-1 decodes any byte, so a value is never lost."""
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        decoded = raw.decode("latin-1")
    return decoded.rstrip("\x00")


def capability_names(bits: int, names: tuple[str, ...], width: int) -> tuple[str, ...]:
    """The names of the bits set in a ``width``-bit capability field, low bit first.

    ``names[n]`` names bit n; a set bit the table does not name is ``bit_<n>``.
    The loop is bounded by ``width`` (16 for LLDP, 32 for CDP)."""
    return tuple(
        (names[bit] if bit < len(names) else f"bit_{bit}")
        for bit in range(width)
        if bits >> bit & 1
    )


@dataclass(frozen=True, slots=True)
class Neighbour:
    """What a neighbour announces about itself and the port it sent from: the
    record the topology layer needs, the same for LLDP and CDP.

    ``chassis`` is the chassis id as text (CDP: the device id), ``port`` the
    port id (CDP: the interface name), ``capabilities`` capability names,
    ``management_addresses`` addresses as text, ``vlan_id`` the port's
    (CDP: native) VLAN, ``ttl`` seconds the facts hold.
    """

    chassis: str
    port: str
    system_name: str | None
    capabilities: tuple[str, ...]
    management_addresses: tuple[str, ...]
    port_description: str | None = None
    vlan_id: int | None = None
    ttl: int | None = None
