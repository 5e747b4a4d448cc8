"""Test support for the property tests: one way to break a valid encoding.

The fuzz tests of every codec take a message their encoder wrote and break
it at one place, so that the decoders meet bytes that are almost right
(which arbitrary bytes rarely are).  Imported as ``fuzz_support``, like
``sensor_support``.
"""

from __future__ import annotations


def mutate(data: bytes, where: int, how: int, value: int) -> bytes:
    """``data`` cut at ``where`` (``how`` 0), with the byte there replaced by
    ``value`` (1), with ``value`` inserted there (2), or appended (3);
    ``where`` wraps around the length."""
    where %= max(len(data), 1)
    if how == 0:
        return data[:where]
    if how == 1:
        return data[:where] + bytes((value,)) + data[where + 1 :]
    if how == 2:
        return data[:where] + bytes((value,)) + data[where:]
    return data + bytes((value,))
