"""Who is asking, and may they: the request's principal, role checks, CSRF.

A request proves who it is by an ``Authorization: Bearer otm_...`` API token
(machines) or by the ``otm_session`` cookie a sign-in set (browsers).  A
cookie is sent by the browser on its own, so every state-changing request
made with one must also carry the session's CSRF token in ``X-CSRF-Token``
(the page reads it from the sign-in answer; another site cannot); tokens
need none.  A user who must change their password may only do that until
they have.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from pydantic import AfterValidator

from otm.historian import Historian
from otm.model.access import Role
from otm.services import access
from otm.services.access import Principal
from otm.services.catalog import CatalogCache
from otm.services.scan_jobs import ScanJobs
from otm.store.combined import Store

COOKIE = "otm_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class Console:
    """What every request of one console shares: the store, the catalog, the settings,
    and the historian (opened on the same database at first use)."""

    store: Store
    catalog: CatalogCache
    scans: ScanJobs
    secure_cookies: bool = False
    _historian: Historian | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def historian(self) -> Historian:
        """The historian of the console's database."""
        with self._lock:
            if self._historian is None:
                url = self.store.engine.url.render_as_string(hide_password=False)
                self._historian = Historian(url)
            return self._historian

    def close(self) -> None:
        """Release the database connections."""
        with self._lock:
            if self._historian is not None:
                self._historian.close()
        self.store.close()


def console(request: Request) -> Console:
    """The console the request reached."""
    found: Console = request.app.state.console
    return found


def client_address(request: Request) -> str:
    """The address the request came from (as the socket says)."""
    return request.client.host if request.client is not None else "unknown"


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"}
    )


def principal(request: Request) -> Principal:
    """The principal of the request, or 401; 403 for a cookie request without its CSRF token."""
    known = getattr(request.state, "principal", None)
    if isinstance(known, Principal):
        return known
    store = console(request).store
    now = time.time()
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise _unauthorized("use `Authorization: Bearer <API token>`")
        found = access.token_principal(store, value.strip(), now)
        if found is None:
            raise _unauthorized("the API token is not valid (wrong, revoked or expired)")
        request.state.principal = found
        return found
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        raise _unauthorized("sign in first")
    signed = access.session_principal(store, cookie, now)
    if signed is None:
        raise _unauthorized("the session has ended: sign in again")
    who, session = signed
    if request.method not in SAFE_METHODS and not access.csrf_matches(
        session, request.headers.get(CSRF_HEADER)
    ):
        request.state.audit_user = who.name  # whose session another site may be using
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the CSRF token is missing or wrong")
    request.state.principal = who
    return who


AnyPrincipal = Annotated[Principal, Depends(principal)]
"""Any signed-in principal, even one that must change their password (session routes)."""


def require(role: Role) -> Callable[[Principal], Principal]:
    """A dependency: the principal, if its role allows ``role``'s duties (else 403)."""

    def check(who: AnyPrincipal) -> Principal:
        if who.must_change_password:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                "change your password first (POST /api/v1/session/password)",
            )
        if not who.allows(role):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"this needs the {role.value} role; you are {who.role}"
            )
        return who

    check.__name__ = f"require_{role.value}"
    return check


Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]
Analyst = Annotated[Principal, Depends(require(Role.ANALYST))]
Engineer = Annotated[Principal, Depends(require(Role.ENGINEER))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
ConsoleDep = Annotated[Console, Depends(console)]


def _storable(text: str) -> str:
    if "\x00" in text:
        raise ValueError("NUL characters are not accepted")
    return text


StoredText = Annotated[str, AfterValidator(_storable)]
"""A body's text that is stored or looked up: NUL is refused (422), PostgreSQL cannot
hold it in text.  (Lone surrogates, which a JSON escape can make, pydantic refuses.)"""
