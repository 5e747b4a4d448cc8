"""The HART replies that identify a device: commands 0/11/21, 13 and 20 (HCF_SPEC-127).

Decoders take the reply data (after response code and device status, and
after a command 31 extension) and never raise; encoders build the same data
for tests and for simulated devices.  Packed ASCII (HCF_SPEC-127 annex):
four 6-bit characters in three octets, bit 6 of each character being the
complement of its bit 5 (so 0x01 is "A" and 0x20 is " ").
"""

from __future__ import annotations

import struct

from otm.protocols.common import Anomaly
from otm.protocols.hartip.anomalies import HartIpAnomaly
from otm.protocols.hartip.constants import (
    LONG_TAG_LENGTH,
    MIN_IDENTITY_LENGTH,
    TAG_RECORD_LENGTH,
)
from otm.protocols.hartip.messages import TagDescriptorDate, UniqueIdentifier

K = HartIpAnomaly

_ID_HEAD = struct.Struct(">BHBBBBBB")
"""Expansion, expanded device type, request preambles, universal revision, device
revision, software revision, hardware revision/signaling, flags (then device id u24)."""

_OPTIONAL: tuple[tuple[str, int], ...] = (
    ("response_preambles", 1),
    ("max_device_variables", 1),
    ("configuration_change_counter", 2),
    ("extended_status", 1),
    ("manufacturer_code", 2),
    ("private_label", 2),
    ("device_profile", 1),
)
"""Fields after the device id, in wire order, with their octet widths."""


def decode_unique_identifier(data: bytes) -> UniqueIdentifier | Anomaly:
    """The command 0 reply data -> ``UniqueIdentifier``, or TRUNCATED below 12 octets."""
    if len(data) < MIN_IDENTITY_LENGTH:
        return Anomaly(K.TRUNCATED, f"{len(data)} octets, command 0 needs 12", len(data))
    expansion, device_type, request_preambles, universal, device, software, hardware, flags = (
        _ID_HEAD.unpack_from(data)
    )
    device_id = int.from_bytes(data[9:12], "big")
    values: dict[str, int] = {}
    at = MIN_IDENTITY_LENGTH
    for name, width in _OPTIONAL:
        if len(data) < at + width:
            break
        values[name] = int.from_bytes(data[at : at + width], "big")
        at += width
    get = values.get
    return UniqueIdentifier(
        expansion,
        device_type,
        request_preambles,
        universal,
        device,
        software,
        hardware,
        flags,
        device_id,
        get("response_preambles"),
        get("max_device_variables"),
        get("configuration_change_counter"),
        get("extended_status"),
        get("manufacturer_code"),
        get("private_label"),
        get("device_profile"),
        bytes(data[at:]),
    )


def encode_unique_identifier(ident: UniqueIdentifier) -> bytes:
    """``UniqueIdentifier`` -> reply data; the optional fields stop at the first None.

    ``ValueError`` when a later optional field is set, a value does not fit,
    or ``extra`` is long enough to be read back as the first missing field
    (so that decoding the result gives ``ident`` again).
    """
    try:
        out = _ID_HEAD.pack(
            ident.expansion,
            ident.expanded_device_type,
            ident.request_preambles,
            ident.universal_revision,
            ident.device_revision,
            ident.software_revision,
            ident.hardware_signaling,
            ident.flags,
        ) + ident.device_id.to_bytes(3, "big")
        missing = 0  # octets of the first missing optional field
        for name, width in _OPTIONAL:
            value = getattr(ident, name)
            if value is None:
                missing = missing or width
                continue
            if missing:
                raise ValueError(f"{name} follows a missing field")
            out += int(value).to_bytes(width, "big")
    except (struct.error, OverflowError) as error:
        raise ValueError(f"command 0 reply: {error}") from error
    if missing and len(ident.extra) >= missing:
        raise ValueError("extra octets would read back as the next field")
    return out + ident.extra


def decode_long_tag(data: bytes) -> str | Anomaly:
    """The command 20 reply: 32 ISO Latin-1 octets, trailing NULs and spaces dropped."""
    if len(data) < LONG_TAG_LENGTH:
        return Anomaly(K.TRUNCATED, f"{len(data)} octets, a long tag is 32", len(data))
    return data[:LONG_TAG_LENGTH].decode("latin-1").rstrip("\x00 ")


def encode_long_tag(tag: str) -> bytes:
    """A long tag -> its 32 octets (NUL padded); ``ValueError`` when it does not fit."""
    try:
        raw = tag.encode("latin-1")
    except UnicodeEncodeError as error:
        raise ValueError(f"long tag {tag!r} is not ISO Latin-1") from error
    if len(raw) > LONG_TAG_LENGTH:
        raise ValueError(f"long tag of {len(raw)} octets exceeds 32")
    return raw.ljust(LONG_TAG_LENGTH, b"\x00")


def unpack_ascii(data: bytes) -> str:
    """Packed ASCII -> text (4 characters per 3 octets, a trailing partial group
    ignored), trailing spaces dropped."""
    chars: list[str] = []
    # len(data) // 3 groups, at most 85 for a 255-octet reply.
    for at in range(0, len(data) - len(data) % 3, 3):
        word = int.from_bytes(data[at : at + 3], "big")
        for shift in (18, 12, 6, 0):
            code = (word >> shift) & 0x3F
            chars.append(chr(code | (0x40 if not code & 0x20 else 0)))
    return "".join(chars).rstrip(" ")


def pack_ascii(text: str, length: int) -> bytes:
    """Text -> ``length`` octets of packed ASCII (space padded, upper case);
    ``ValueError`` for characters packed ASCII cannot hold or text too long."""
    chars = 4 * length // 3
    if length % 3 or len(text) > chars:
        raise ValueError(f"{text!r} does not fit {length} packed octets")
    out = bytearray()
    padded = text.upper().ljust(chars)
    for at in range(0, chars, 4):
        word = 0
        for ch in padded[at : at + 4]:
            code = ord(ch)
            if not 0x20 <= code <= 0x5F:
                raise ValueError(f"{ch!r} is not packed ASCII")
            word = (word << 6) | (code & 0x3F)
        out += word.to_bytes(3, "big")
    return bytes(out)


def decode_tag_descriptor_date(data: bytes) -> TagDescriptorDate | Anomaly:
    """The command 13 reply: tag (6 octets), descriptor (12), day, month, year - 1900."""
    if len(data) < TAG_RECORD_LENGTH:
        return Anomaly(K.TRUNCATED, f"{len(data)} octets, command 13 needs 21", len(data))
    day, month, year = data[18:21]
    return TagDescriptorDate(unpack_ascii(data[:6]), unpack_ascii(data[6:18]), day, month, year)


def encode_tag_descriptor_date(record: TagDescriptorDate) -> bytes:
    """``TagDescriptorDate`` -> the 21 reply octets."""
    if not all(0 <= v <= 0xFF for v in (record.day, record.month, record.year)):
        raise ValueError("date octet out of range")
    return (
        pack_ascii(record.tag, 6)
        + pack_ascii(record.descriptor, 12)
        + bytes((record.day, record.month, record.year))
    )
