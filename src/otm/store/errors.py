"""One exception for every way the database can fail, with a message for a person.

The store's public API raises ``StoreError`` (never a driver or SQLAlchemy
exception) when the database cannot be reached, is read-only, has run out of
disk, is locked too long, is not an otm database, or was written by a newer
otm.  The original exception is chained (``__cause__``) for debugging; the
message alone says what happened and, where it can, what to do.  A failed
write has been rolled back when the error is raised.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from alembic.util import CommandError
from sqlalchemy import exc as sa_exc


class StoreError(Exception):
    """The database could not do what was asked; ``str()`` says why."""


_SQLITE_REASONS = (
    ("readonly database", "the database is read-only"),
    ("disk is full", "the disk is full"),
    ("database is locked", "the database stayed locked by another process"),
    ("file is not a database", "the file is not an SQLite database"),
    ("unable to open database file", "the file cannot be opened (missing folder or no access)"),
    ("disk i/o error", "the disk reported an I/O error"),
    ("database disk image is malformed", "the database file is corrupt"),
)
"""Substrings of SQLite's messages (lower case) and what they mean to a user."""

_PG_REASONS = {
    "53100": "the database server's disk is full",
    "53200": "the database server ran out of memory",
    "25006": "the database is read-only",
    "3D000": "the database does not exist",
    "28000": "the database refused the login",
    "28P01": "the database refused the password",
    "42501": "the database user lacks the privilege",
    "57P01": "the database server is shutting down",
    "57P03": "the database server is not accepting connections yet",
    "40001": "a concurrent write conflicted (retry)",
    "40P01": "a deadlock was detected (retry)",
}
"""PostgreSQL SQLSTATE codes (Appendix A of its manual) and what they mean to a user."""


def reason(exc: BaseException) -> str:
    """A one-line explanation of a database failure, the driver's words kept."""
    orig = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate in _PG_REASONS:
        return f"{_PG_REASONS[sqlstate]} ({text})"
    low = text.lower()
    for needle, meaning in _SQLITE_REASONS:
        if needle in low:
            return f"{meaning} ({text})"
    if "connection" in low and ("refused" in low or "failed" in low or "timeout" in low):
        return f"the database server cannot be reached ({text})"
    return text


@contextmanager
def translated(action: str, where: str) -> Iterator[None]:
    """Turn database failures inside the block into ``StoreError``.

    ``action`` completes "cannot ..." (e.g. ``save the inventory``) and
    ``where`` names the database (its URL with the password hidden).
    Exceptions that are not database failures (a bug, an error raised by the
    caller's own iterable) pass through unchanged.
    """
    try:
        yield
    except StoreError:
        raise
    # The drivers' own errors appear unwrapped where the store talks to the
    # driver directly (PostgreSQL COPY).
    except (sa_exc.SQLAlchemyError, CommandError, sqlite3.Error, psycopg.Error) as exc:
        raise StoreError(f"cannot {action} in {where}: {reason(exc)}") from exc
