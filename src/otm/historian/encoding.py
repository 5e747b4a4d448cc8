"""A ``TagSample`` as the values of a row, checked before anything is buffered or written.

An encoded sample is ``(asset_ip, tag, time_us, value, text, quality)``:
numbers (bools as 0/1) go in ``value`` as float, strings in ``text``; a NaN
keeps both NULL (SQLite would turn a NaN into NULL anyway, so the NULL pair
*is* NaN on both backends).  ints beyond 2**53 lose their low bits, as in
any float column.  Strings (values, tag names, addresses) are stored as
UTF-8 text: NUL (which PostgreSQL text cannot hold) and lone surrogates
become U+FFFD.
"""

from __future__ import annotations

import math

from otm.historian.points import BAD, QUALITY_CODES, QUALITY_NAMES, to_us
from otm.observations.records import TagSample

Encoded = tuple[str, str, int, float | None, str | None, int]
"""(asset_ip, tag, time_us, value, text, quality code)."""

TagKey = tuple[str, str]
"""(asset_ip, tag name): what names a tag."""


def encode(sample: TagSample) -> Encoded:
    """The row values of one sample; ``ValueError`` for one the historian cannot keep."""
    quality = QUALITY_CODES.get(sample.quality)
    if quality is None:
        raise ValueError(
            f"tag {sample.tag!r} of {sample.asset_ip}: quality {sample.quality!r} is not one "
            f"of {', '.join(QUALITY_CODES)}"
        )
    time_us = to_us(sample.time)
    ip, tag = _text(sample.asset_ip), _text(sample.tag)
    value = sample.value
    if isinstance(value, str):
        return (ip, tag, time_us, None, _text(value), quality)
    if isinstance(value, bool | int | float):
        try:
            number = float(value)
        except OverflowError as exc:
            raise ValueError(f"tag {sample.tag!r}: {value} does not fit a float") from exc
        stored = None if math.isnan(number) else number
        return (ip, tag, time_us, stored, None, quality)
    raise ValueError(f"tag {sample.tag!r}: value {value!r} is neither a number nor text")


def _text(value: str) -> str:
    if value.isascii() and "\x00" not in value:
        return value
    if "\x00" in value:
        value = value.replace("\x00", "\ufffd")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates, e.g. from undecodable bytes
        value = "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
    return value


def decode_value(value: float | None, text: str | None) -> float | str:
    """The value of a stored row (the NULL pair is NaN)."""
    if text is not None:
        return text
    return math.nan if value is None else float(value)


def quality_name(code: int) -> str:
    """The quality name of a stored code."""
    return QUALITY_NAMES[code]


def rolls_up(value: float | None, text: str | None, quality: int) -> bool:
    """Whether a row counts in the rollups: a finite number, quality not bad.

    Infinities are kept as samples but left out of the rollups: a device
    sends them for an overflowed or broken input, and one would turn a
    bucket's average into infinity (or, with the opposite one, NaN).
    """
    return value is not None and text is None and quality != BAD and math.isfinite(value)
