"""``otm scan`` for subprocess tests: the real ``otm`` app once it registers the command.

Until ``otm.cli.app`` calls ``otm.cli.scan.register(app)``, a minimal Typer
app with only ``scan`` stands in, so the plant tests run the same code path.
Run as ``python scan_cli.py scan --allow ...``.
"""

from __future__ import annotations

import typer

from otm.cli import app as otm_app
from otm.cli.scan import register


def application() -> typer.Typer:
    """``otm``'s app when it has ``scan``, else a stand-in holding only ``scan``."""
    if any(c.name == "scan" for c in otm_app.app.registered_commands):
        return otm_app.app
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """otm (scan only)."""

    register(app)
    return app


if __name__ == "__main__":
    application()()
