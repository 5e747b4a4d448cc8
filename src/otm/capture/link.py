"""Link layer: from a captured frame to its EtherType, L3 offset, MACs and VLAN.

Supported link types (``LINKTYPE_*`` numbers as pcap and pcapng write them)::

    1    Ethernet       dst 6 | src 6 | [TPID 2 | TCI 2]* | type/length 2
                        (type < 0x0600 is an 802.3 length: an LLC header
                         follows; SNAP AA AA 03 + OUI 000000 carries an
                         EtherType, SNAP + Cisco OUI 00000C a Cisco protocol
                         id reported in place of the EtherType (CDP 0x2000),
                         anything else is reported as EtherType 0)
    113  Linux SLL      packet type 2 | ARPHRD 2 | addr len 2 | addr 8 | proto 2
    276  Linux SLL2     proto 2 | reserved 2 | ifindex 4 | ARPHRD 2 |
                        packet type 1 | addr len 1 | addr 8
    101, 12, 14         raw IP, version told by the first nibble (12 and 14
                        are what DLT_RAW was on various BSDs; libpcap reads
                        them as raw IP)
    228 / 229           raw IPv4 / raw IPv6
    0    BSD null       address family u32 in the capturing host's order
    108  OpenBSD loop   address family u32 big-endian
                        (AF_INET 2; AF_INET6 10, 23, 24, 28 or 30 by OS)

VLAN tags (TPID 0x8100, 0x88A8, 0x9100) are walked after any of these.  The
reported VLAN is the outermost tag with a non-zero VID: VID 0 only carries a
priority (802.1p, common on PROFINET RT frames), not a VLAN.  No more than
``MAX_VLAN_TAGS`` tags are walked: QinQ uses two, a few carrier networks
three; more is a malformed (or malicious) frame, and the bound keeps a frame
full of tags from costing more than a handful of steps.
"""

from __future__ import annotations

import struct
from enum import StrEnum
from typing import Final, NamedTuple

LINKTYPE_NULL: Final = 0
LINKTYPE_ETHERNET: Final = 1
LINKTYPE_RAW_BSD12: Final = 12
LINKTYPE_RAW_BSD14: Final = 14
LINKTYPE_RAW: Final = 101
LINKTYPE_LOOP: Final = 108
LINKTYPE_LINUX_SLL: Final = 113
LINKTYPE_IPV4: Final = 228
LINKTYPE_IPV6: Final = 229
LINKTYPE_LINUX_SLL2: Final = 276

ETHERTYPE_IPV4: Final = 0x0800
ETHERTYPE_ARP: Final = 0x0806
ETHERTYPE_IPV6: Final = 0x86DD
VLAN_TPIDS: Final = frozenset({0x8100, 0x88A8, 0x9100})
ETHERTYPE_CDP: Final = 0x2000
"""Cisco Discovery Protocol: SNAP protocol id under Cisco's OUI, not an EtherType;
no EtherType 0x2000 is in use on Ethernet, so the walker can key on it."""
CISCO_SNAP_PIDS: Final = frozenset({ETHERTYPE_CDP})

MAX_VLAN_TAGS: Final = 4
"""Tags walked before a frame is called malformed (see the module docstring)."""

AF_INET: Final = 2
AF_INET6: Final = frozenset({10, 23, 24, 28, 30})

MAX_CACHED: Final = 1 << 18
"""Address strings remembered (raw bytes -> text); a busy plant has a few
thousand addresses, a spoofing flood is cut off here and the cache restarts."""

_U16 = struct.Struct("!H")
_U32_LE = struct.Struct("<I")
_U32_BE = struct.Struct(">I")
_SLL = struct.Struct("!HHH8sH")
_SLL2 = struct.Struct("!HxxIHBB8s")


class LinkError(StrEnum):
    """Why a frame's link layer could not be decoded (a WalkStats key)."""

    TRUNCATED = "link_truncated"
    UNKNOWN_LINKTYPE = "link_unknown_type"
    VLAN_DEPTH = "link_vlan_too_deep"
    UNKNOWN_FAMILY = "link_unknown_family"


class LinkInfo(NamedTuple):
    """What the link layer says; ``src``/``dst`` are raw 6-byte MACs or None."""

    ethertype: int
    offset: int
    src: bytes | None
    dst: bytes | None
    vlan: int | None


_mac_cache: dict[bytes, str] = {}


def mac_str(raw: bytes) -> str:
    """6 raw bytes -> ``aa:bb:cc:dd:ee:ff`` (cached)."""
    text = _mac_cache.get(raw)
    if text is None:
        if len(_mac_cache) >= MAX_CACHED:
            _mac_cache.clear()
        text = _mac_cache[raw] = raw.hex(":")
    return text


def _tags(
    data: bytes, ethertype: int, off: int, src: bytes | None, dst: bytes | None
) -> LinkInfo | LinkError:
    """Walk VLAN tags starting at ``off`` (where the first TCI is)."""
    vlan: int | None = None
    size = len(data)
    for _ in range(MAX_VLAN_TAGS):
        if ethertype not in VLAN_TPIDS:
            return LinkInfo(ethertype, off, src, dst, vlan)
        if off + 4 > size:
            return LinkError.TRUNCATED
        tci, ethertype = struct.unpack_from("!HH", data, off)
        if vlan is None and tci & 0x0FFF:
            vlan = tci & 0x0FFF
        off += 4
    if ethertype in VLAN_TPIDS:
        return LinkError.VLAN_DEPTH
    return LinkInfo(ethertype, off, src, dst, vlan)


def _llc(data: bytes, off: int, src: bytes | None, dst: bytes | None) -> LinkInfo:
    """802.3 frame: SNAP with OUI 0 carries an EtherType, SNAP with Cisco's OUI
    its protocol id (CDP is ``ETHERTYPE_CDP``); other LLC is type 0."""
    snap = data[off : off + 6]
    if off + 8 <= len(data):
        if snap == b"\xaa\xaa\x03\x00\x00\x00":
            return LinkInfo(_U16.unpack_from(data, off + 6)[0], off + 8, src, dst, None)
        if snap == b"\xaa\xaa\x03\x00\x00\x0c":
            pid = _U16.unpack_from(data, off + 6)[0]
            if pid in CISCO_SNAP_PIDS:
                return LinkInfo(pid, off + 8, src, dst, None)
    return LinkInfo(0, off, src, dst, None)


def _raw(data: bytes, off: int) -> LinkInfo | LinkError:
    if off >= len(data):
        return LinkError.TRUNCATED
    version = data[off] >> 4
    if version == 4:
        return LinkInfo(ETHERTYPE_IPV4, off, None, None, None)
    if version == 6:
        return LinkInfo(ETHERTYPE_IPV6, off, None, None, None)
    return LinkError.UNKNOWN_FAMILY


def decode_link(linktype: int, data: bytes) -> LinkInfo | LinkError:
    """Decode the link header of one frame; never raises."""
    size = len(data)
    if linktype == LINKTYPE_ETHERNET:
        if size < 14:
            return LinkError.TRUNCATED
        ethertype = _U16.unpack_from(data, 12)[0]
        src, dst = data[6:12], data[0:6]
        if ethertype < 0x0600:
            return _llc(data, 14, src, dst)
        if ethertype in VLAN_TPIDS:
            found = _tags(data, ethertype, 14, src, dst)
            if isinstance(found, LinkInfo) and found.ethertype < 0x0600:
                return _llc(data, found.offset, src, dst)._replace(vlan=found.vlan)
            return found
        return LinkInfo(ethertype, 14, src, dst, None)
    if linktype == LINKTYPE_LINUX_SLL:
        if size < 16:
            return LinkError.TRUNCATED
        _pkttype, _hatype, alen, addr, proto = _SLL.unpack_from(data, 0)
        return _tags(
            data, proto if proto >= 0x0600 else 0, 16, addr[:6] if alen == 6 else None, None
        )
    if linktype == LINKTYPE_LINUX_SLL2:
        if size < 20:
            return LinkError.TRUNCATED
        proto, _ifindex, _hatype, _pkttype, alen, addr = _SLL2.unpack_from(data, 0)
        return _tags(
            data, proto if proto >= 0x0600 else 0, 20, addr[:6] if alen == 6 else None, None
        )
    if linktype in (LINKTYPE_RAW, LINKTYPE_RAW_BSD12, LINKTYPE_RAW_BSD14):
        return _raw(data, 0)
    if linktype == LINKTYPE_IPV4:
        return LinkInfo(ETHERTYPE_IPV4, 0, None, None, None) if size else LinkError.TRUNCATED
    if linktype == LINKTYPE_IPV6:
        return LinkInfo(ETHERTYPE_IPV6, 0, None, None, None) if size else LinkError.TRUNCATED
    if linktype in (LINKTYPE_NULL, LINKTYPE_LOOP):
        if size < 4:
            return LinkError.TRUNCATED
        if linktype == LINKTYPE_LOOP:
            family = _U32_BE.unpack_from(data, 0)[0]
        else:
            family = _U32_LE.unpack_from(data, 0)[0]
            if family > 0xFFFF:  # written by a big-endian host
                family = _U32_BE.unpack_from(data, 0)[0]
        if family == AF_INET:
            return LinkInfo(ETHERTYPE_IPV4, 4, None, None, None)
        if family in AF_INET6:
            return LinkInfo(ETHERTYPE_IPV6, 4, None, None, None)
        return LinkError.UNKNOWN_FAMILY
    return LinkError.UNKNOWN_LINKTYPE
