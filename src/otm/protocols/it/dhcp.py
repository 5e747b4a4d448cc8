"""DHCP (RFC 2131) and its options (RFC 2132): what a host says when it asks
for an address.

A DHCP client names itself (option 12 host name, option 81 FQDN), its
software (option 60 vendor class) and, through the list of options it asks
for (option 55), a fingerprint of its operating system; the server names the
address it hands out.  That is identity for hosts that speak no industrial
protocol at all, which is why otm reads it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import StrEnum

from otm.protocols.common import Anomaly

MAGIC = b"\x63\x82\x53\x63"
FIXED = 236
"""op .. file: the BOOTP header before the magic cookie."""

MESSAGE_TYPES = {
    1: "discover",
    2: "offer",
    3: "request",
    4: "decline",
    5: "ack",
    6: "nak",
    7: "release",
    8: "inform",
    9: "force_renew",
    10: "lease_query",
    11: "lease_unassigned",
    12: "lease_unknown",
    13: "lease_active",
}
"""Option 53 values (RFC 2132 9.6, RFC 3203, RFC 4388)."""


class DhcpAnomaly(StrEnum):
    """Kinds of broken DHCP input."""

    TRUNCATED = "truncated"
    """Shorter than the BOOTP header and magic cookie, or an option runs past the end."""
    BAD_MAGIC = "bad_magic"
    """No DHCP magic cookie after the BOOTP header (plain BOOTP or not DHCP)."""
    BAD_OP = "bad_op"
    """``op`` is neither 1 (request) nor 2 (reply)."""


@dataclass(frozen=True, slots=True)
class DhcpMessage:
    """The fields of one DHCP message that identify hosts."""

    op: int
    xid: int
    client_mac: str | None
    ciaddr: str
    yiaddr: str
    message_type: str | None
    host_name: str | None
    fqdn: str | None
    vendor_class: str | None
    requested_ip: str | None
    server_id: str | None
    parameter_list: tuple[int, ...]


def _ip(raw: bytes) -> str:
    return ".".join(str(b) for b in raw)


def _text(raw: bytes) -> str:
    return raw.rstrip(b"\x00").decode("utf-8", "replace").strip()


def decode(data: bytes) -> DhcpMessage | Anomaly:
    """Decode one UDP payload of port 67/68."""
    if len(data) < FIXED + 4:
        return Anomaly(DhcpAnomaly.TRUNCATED, f"{len(data)} bytes", 0)
    op, htype, hlen = data[0], data[1], data[2]
    if op not in (1, 2):
        return Anomaly(DhcpAnomaly.BAD_OP, f"op {op}", 0)
    if data[FIXED : FIXED + 4] != MAGIC:
        return Anomaly(DhcpAnomaly.BAD_MAGIC, data[FIXED : FIXED + 4].hex(), FIXED)
    (xid,) = struct.unpack_from("!I", data, 4)
    mac = None
    if htype == 1 and hlen == 6:
        mac = ":".join(f"{b:02x}" for b in data[28:34])
    options: dict[int, bytes] = {}
    off = FIXED + 4
    end = len(data)
    while off < end:
        code = data[off]
        if code == 255:
            break
        if code == 0:
            off += 1
            continue
        if off + 2 > end or off + 2 + data[off + 1] > end:
            return Anomaly(DhcpAnomaly.TRUNCATED, f"option {code} cut short", off)
        length = data[off + 1]
        # Long options may be split over several instances (RFC 3396): concatenate.
        options[code] = options.get(code, b"") + data[off + 2 : off + 2 + length]
        off += 2 + length
    mtype = options.get(53)
    requested = options.get(50)
    server = options.get(54)
    fqdn = options.get(81)
    return DhcpMessage(
        op=op,
        xid=xid,
        client_mac=mac,
        ciaddr=_ip(data[12:16]),
        yiaddr=_ip(data[16:20]),
        message_type=MESSAGE_TYPES.get(mtype[0], f"type_{mtype[0]}") if mtype else None,
        host_name=_text(options[12]) or None if 12 in options else None,
        # Option 81: flags, two obsolete RCODEs, then the name (ASCII form only).
        fqdn=_text(fqdn[3:]) or None if fqdn and len(fqdn) > 3 and not fqdn[0] & 0x04 else None,
        vendor_class=_text(options[60]) or None if 60 in options else None,
        requested_ip=_ip(requested) if requested and len(requested) == 4 else None,
        server_id=_ip(server) if server and len(server) == 4 else None,
        parameter_list=tuple(options.get(55, b"")),
    )
