"""HTTP/1.x message heads: the ``Server`` a device's web interface names.

Embedded web servers of PLCs, gateways and switches announce themselves in
the ``Server`` header of every response (``Boa/0.94.13``, ``GoAhead-Webs``,
a vendor's own string); that is a strong hint of what the device is.  Only
the head of a message that starts a segment is read, at most ``MAX_HEAD``
bytes.
"""

from __future__ import annotations

MAX_HEAD = 4096


def response_header(data: bytes, header: str) -> str | None:
    """The value of ``header`` in the response head at the start of ``data``."""
    if not data.startswith(b"HTTP/1."):
        return None
    head = data[:MAX_HEAD].split(b"\r\n\r\n", 1)[0]
    wanted = header.lower().encode("ascii") + b":"
    for line in head.split(b"\r\n")[1:]:
        if line[: len(wanted)].lower() == wanted:
            value = line[len(wanted) :].strip().decode("latin-1")
            return value[:200] or None
    return None


def status_code(data: bytes) -> int | None:
    """The status code of the response line at the start of ``data``."""
    if not data.startswith(b"HTTP/1.") or len(data) < 12 or not data[9:12].isdigit():
        return None
    return int(data[9:12])
