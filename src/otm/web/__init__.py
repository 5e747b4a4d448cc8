"""The console's web UI: plain HTML, CSS and JavaScript files served from this package.

No build step, no framework, nothing fetched from a CDN: the plant network
has no internet, and every file the browser needs is under ``static/``
(``otm.api.app`` serves it).  The pages talk to the REST API only, with
the session cookie and the CSRF token the sign-in returned.
"""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"
"""The UI's files."""
