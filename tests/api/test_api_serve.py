"""``otm serve`` itself: HTTP only on loopback unless asked, HTTPS with a self-signed
certificate whose printed fingerprint is the one the server presents, the first admin."""

from __future__ import annotations

import hashlib
import os
import re
import socket
import ssl
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from otm.cli.app import app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_plain_http_beyond_loopback_is_refused_before_anything_listens(tmp_path: Path) -> None:
    port = _free_port()
    result = CliRunner().invoke(
        app,
        ["serve", "--db", str(tmp_path / "otm.db"), "--host", "0.0.0.0", "--port", str(port)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 1
    assert "--tls" in result.output and "--allow-http" in result.output
    with socket.socket() as probe:  # nothing listens
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    assert not (tmp_path / "otm.db").exists()  # refused before the database was opened


def test_https_with_a_self_signed_certificate_and_a_first_admin(tmp_path: Path) -> None:
    port = _free_port()
    db = tmp_path / "otm.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "otm", "serve", "--db", str(db), "--port", str(port), "--tls"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "300"},
    )
    try:
        lines: list[str] = []
        assert process.stdout is not None
        while not any("otm console on https://" in line for line in lines):
            line = process.stdout.readline()
            assert line, "otm serve exited:\n" + "".join(lines)
            lines.append(line)
        text = "".join(lines)
        printed = re.search(r"fingerprint: ([0-9A-F:]{95})", text)
        assert printed is not None, text
        one_time = re.search(r"user admin created with the one-time password (\S+)", text)
        assert one_time is not None, text
        deadline = time.monotonic() + 30
        while True:
            try:
                presented = ssl.get_server_certificate(("127.0.0.1", port))
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        der = ssl.PEM_cert_to_DER_cert(presented)
        digest = hashlib.sha256(der).hexdigest().upper()
        assert ":".join(digest[i : i + 2] for i in range(0, 64, 2)) == printed.group(1)
        key = tmp_path / "otm-console-tls" / "key.pem"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        with httpx.Client(verify=False, timeout=10) as client:  # self-signed, checked above
            answer = client.get(f"https://127.0.0.1:{port}/api/v1/session")
            assert answer.status_code == 401
            assert answer.headers["content-security-policy"].startswith("default-src 'self'")
            signed = client.post(
                f"https://127.0.0.1:{port}/api/v1/session",
                json={"name": "admin", "password": one_time.group(1)},
            )
            assert signed.status_code == 200 and signed.json()["must_change_password"]
            cookie = signed.headers["set-cookie"].lower()
            assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    finally:
        process.terminate()
        process.wait(timeout=20)
        if process.stdout is not None:
            process.stdout.close()


def test_a_fingerprint_is_printed_as_it_is() -> None:
    """Hex pairs such as ``:CD:`` are rich emoji codes; the console must not turn a
    certificate fingerprint into a compact disc (seen once in CI)."""
    from otm.cli import common

    with common.console.capture() as captured:
        common.console.print("certificate SHA-256 fingerprint: A1:CD:E9:BA")
    assert captured.get().strip() == "certificate SHA-256 fingerprint: A1:CD:E9:BA"
