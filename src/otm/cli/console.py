"""``otm serve``: the console (REST API and web UI) on one port.

::

    otm serve [--db URL] [--host 127.0.0.1] [--port 8080]
              [--tls [--cert FILE --key FILE]] [--allow-http] [--scan-allow CIDR ...]

HTTP is served only on a loopback address: listening on any other address
needs ``--tls`` (with the user's certificate, or a self-signed one made
and kept beside the database, whose fingerprint is printed) or an explicit
``--allow-http``.  At the first start of a database with no user, an
``admin`` is created and its one-time password printed once.
"""

from __future__ import annotations

import ipaddress
import time
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.markup import escape

from otm.api.app import create_app
from otm.cli.common import DbOption, console, err, fail, store
from otm.services import access
from otm.services.database import database_url
from otm.services.scan_jobs import ScanRefusedError
from otm.services.tls import fingerprint, self_signed
from otm.store import StoreError


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _cert_home(db: str) -> Path:
    """Where a self-signed certificate is kept: beside an SQLite file, else here."""
    if "://" not in db or db.startswith("sqlite:///"):
        path = Path(db.removeprefix("sqlite:///"))
        return path.resolve().parent / "otm-console-tls"
    return Path.cwd() / "otm-console-tls"


def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8080,
    tls: Annotated[bool, typer.Option("--tls", help="Serve HTTPS.")] = False,
    cert: Annotated[
        Path | None, typer.Option("--cert", help="PEM certificate (default: self-signed).")
    ] = None,
    key: Annotated[Path | None, typer.Option("--key", help="PEM private key of --cert.")] = None,
    allow_http: Annotated[
        bool, typer.Option("--allow-http", help="Serve plain HTTP beyond this machine.")
    ] = False,
    scan_allow: Annotated[
        list[str] | None,
        typer.Option(
            "--scan-allow",
            help="A network (CIDR) console scans may touch (repeat); none: no console scan.",
        ),
    ] = None,
) -> None:
    """Serve the console: REST API under /api/v1 and the web UI, on one port."""
    if not tls and not _loopback(host) and not allow_http:
        raise fail(
            f"plain HTTP on {host} would send passwords in clear over the network: "
            "use --tls (a certificate of yours with --cert/--key, or a self-signed one), "
            "or --allow-http if something else encrypts the traffic"
        )
    if (cert is None) != (key is None):
        raise fail("--cert and --key go together")
    opened = store(db)
    try:
        first = access.ensure_first_admin(opened, time.time())
    except StoreError as exc:
        opened.close()
        raise fail(str(exc), 2) from None
    if first is not None:
        name, password = first
        console.print(
            f"first start: user [bold]{name}[/] created with the one-time password "
            f"[bold]{escape(password)}[/] - it is shown only now; change it at first sign-in"
        )
    ssl: dict[str, str] = {}
    if tls:
        if cert is None or key is None:
            home = _cert_home(database_url(db))
            cert, key = home / "cert.pem", home / "key.pem"
            if not cert.exists() or not key.exists():
                names = sorted({host, "localhost", "127.0.0.1"} - {"0.0.0.0", "::"})
                self_signed(cert, key, names)
                console.print(f"self-signed certificate written to {escape(str(cert))}")
        elif not cert.is_file() or not key.is_file():
            opened.close()
            raise fail(f"cannot read {cert if not cert.is_file() else key}")
        console.print(f"certificate SHA-256 fingerprint: {fingerprint(cert)}")
        ssl = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    scheme = "https" if tls else "http"
    shown = f"[{host}]" if ":" in host else host
    console.print(f"otm console on {scheme}://{shown}:{port}/ (Ctrl-C stops)")
    try:
        app = create_app(opened, secure_cookies=tls, scan_allow=scan_allow or ())
    except ScanRefusedError as exc:
        opened.close()
        raise fail(f"--scan-allow: {exc}") from None
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False, **ssl)  # type: ignore[arg-type]
    except OSError as exc:
        raise fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
    finally:
        err.print("console stopped")


def register(app: typer.Typer) -> None:
    """Add ``otm serve`` to the command line."""
    app.command("serve")(serve)
