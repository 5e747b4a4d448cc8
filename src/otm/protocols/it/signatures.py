"""First-bytes signatures: is this TCP flow really the protocol its port says?

A port number alone is a guess (anything can listen on 80); the first payload
of either direction settles it for these protocols, whose openings are fixed
by their specifications:

==========  ===================================================================
ssh         either side opens with the identification string ``SSH-2.0-...``
            or ``SSH-1.x-...`` (RFC 4253 section 4.2)
telnet      option negotiation: IAC (255) followed by WILL/WONT/DO/DONT
            (RFC 854/855), which every Telnet server sends first
rdp         TPKT (version 3) carrying an X.224 Connection Request (0xE0) or
            Confirm (0xD0) (MS-RDPBCGR 2.2.1.1), or TLS after negotiation
smb         NetBIOS session message (type 0, 3-byte length) with an SMB1
            (``\\xffSMB``), SMB2/3 (``\\xfeSMB``) or transform (``\\xfdSMB``)
            header; port 139 also starts with a session request (type 0x81)
vnc         the server's protocol version ``RFB xxx.yyy\\n`` (RFC 6143 7.1.1)
http        a request line (method, space, target) or a status line
            ``HTTP/1.x``
tls         a TLS record of type handshake (22), version 3.x, carrying a
            ClientHello or ServerHello
==========  ===================================================================

``classify`` returns a ``Verdict``: the protocol when the bytes match, NO when
they cannot be that protocol, MAYBE when more bytes are needed to decide.
"""

from __future__ import annotations

from enum import Enum

HTTP_METHODS = (
    b"GET ",
    b"POST ",
    b"HEAD ",
    b"PUT ",
    b"DELETE ",
    b"OPTIONS ",
    b"PATCH ",
    b"CONNECT ",
    b"TRACE ",
    b"PROPFIND ",
    b"SUBSCRIBE ",
    b"NOTIFY ",
)
"""Request methods of HTTP/1.x (RFC 9110) and the WebDAV/UPnP ones devices use."""


class Verdict(Enum):
    """What the first bytes say."""

    YES = "yes"
    NO = "no"
    MAYBE = "maybe"


def _ssh(data: bytes) -> Verdict:
    if data.startswith(b"SSH-"):
        return Verdict.YES
    return Verdict.MAYBE if b"SSH-".startswith(data[:4]) else Verdict.NO


def _telnet(data: bytes) -> Verdict:
    if len(data) < 2:
        return Verdict.MAYBE if data in (b"", b"\xff") else Verdict.NO
    if data[0] == 0xFF and 0xFB <= data[1] <= 0xFE:
        return Verdict.YES
    return Verdict.NO


def _rdp(data: bytes) -> Verdict:
    if len(data) < 6:
        return Verdict.MAYBE if not data or data[0] in (0x03, 0x16) else Verdict.NO
    if data[0] == 0x03 and data[1] == 0x00 and data[5] & 0xF0 in (0xE0, 0xD0):
        return Verdict.YES
    return _tls(data)


def _smb(data: bytes) -> Verdict:
    if len(data) < 8:
        return Verdict.MAYBE if not data or data[0] in (0x00, 0x81, 0x82, 0x85) else Verdict.NO
    if data[0] == 0x00 and data[5:8] == b"SMB" and data[4] in (0xFF, 0xFE, 0xFD):
        return Verdict.YES
    if data[0] in (0x81, 0x82, 0x85) and data[1] == 0x00:  # NetBIOS session service
        return Verdict.YES
    return Verdict.NO


def _vnc(data: bytes) -> Verdict:
    if len(data) >= 12:
        ok = data.startswith(b"RFB ") and data[7:8] == b"." and data[11:12] == b"\n"
        return Verdict.YES if ok else Verdict.NO
    return Verdict.MAYBE if b"RFB ".startswith(data[:4]) else Verdict.NO


def _http(data: bytes) -> Verdict:
    if data.startswith(b"HTTP/1.") or data.startswith(HTTP_METHODS):
        return Verdict.YES
    head = data[:9]
    if any(m.startswith(head) for m in HTTP_METHODS) or b"HTTP/1.".startswith(head[:7]):
        return Verdict.MAYBE if len(data) < 9 else Verdict.NO
    return Verdict.NO


def _tls(data: bytes) -> Verdict:
    if len(data) < 6:
        if not data or (data[0] == 0x16 and (len(data) < 2 or data[1] == 0x03)):
            return Verdict.MAYBE
        return Verdict.NO
    if data[0] == 0x16 and data[1] == 0x03 and data[2] <= 0x04 and data[5] in (1, 2):
        return Verdict.YES
    return Verdict.NO


_CHECKS = {
    "ssh": _ssh,
    "telnet": _telnet,
    "rdp": _rdp,
    "smb": _smb,
    "vnc": _vnc,
    "http": _http,
    "tls": _tls,
}

PROTOCOLS = tuple(_CHECKS)
"""Every protocol ``classify`` knows."""


def classify(protocol: str, data: bytes) -> Verdict:
    """Do these first payload bytes (of either direction) open ``protocol``?"""
    check = _CHECKS.get(protocol)
    if check is None:
        raise KeyError(f"no signature for {protocol!r}")
    return check(data)


def ssh_banner(data: bytes) -> str | None:
    """The identification string (``SSH-2.0-OpenSSH_9.6``) without line end."""
    if not data.startswith(b"SSH-"):
        return None
    line = data.split(b"\n", 1)[0].rstrip(b"\r")[:255]
    return line.decode("ascii", "replace")


def vnc_version(data: bytes) -> str | None:
    """``003.008`` from the server's ``RFB 003.008\\n``."""
    if len(data) >= 12 and data.startswith(b"RFB ") and data[11:12] == b"\n":
        return data[4:11].decode("ascii", "replace")
    return None
