"""What can be wrong with EtherNet/IP or CIP bytes, as data (never an exception)."""

from __future__ import annotations

from enum import StrEnum


class EnipAnomaly(StrEnum):
    """Kinds of broken EtherNet/IP encapsulation or CIP input."""

    TRUNCATED = "truncated"
    INVALID_LENGTH = "invalid_length"
    UNKNOWN_COMMAND = "unknown_command"
    BAD_CPF = "bad_cpf"
    BAD_ITEM = "bad_item"
    BAD_PATH = "bad_path"
    BAD_SERVICE = "bad_service"
    BAD_IDENTITY = "bad_identity"
    TOO_DEEP = "too_deep"
    TOO_MANY_ITEMS = "too_many_items"
    TRAILING_BYTES = "trailing_bytes"
