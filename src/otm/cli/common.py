"""What every ``otm`` command module shares: the database option, the consoles, errors.

The habits of the command line: a bad option or a refused request prints
one red line on stderr and exits 1, a database error exits 2, never a
traceback; text that came from files, devices or users is escaped before
rich renders it; tables are never wrapped mid-word (``soft_wrap``).
"""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from otm.services.database import open_store
from otm.store import StoreError
from otm.store.combined import Store

console = Console(soft_wrap=True, highlight=False, emoji=False)
err = Console(stderr=True, soft_wrap=True, highlight=False, emoji=False)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database: SQLite path or postgresql:// URL (default $OTM_DB or otm.db)."
    ),
]


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as an error; the ``typer.Exit`` to raise with ``code``."""
    err.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


def store(db: str | None) -> Store:
    """Open the database, or exit 2 with the reason."""
    try:
        return open_store(db)
    except StoreError as exc:
        raise fail(str(exc), 2) from None


def who(user: str | None) -> str:
    """The name recorded for an act: ``--user``, else the login name."""
    if user:
        return user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
