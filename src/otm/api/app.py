"""``create_app``: the console as one ASGI application (see the package docstring).

Besides the routers, two layers wrap every request:

- the audit: each state-changing request (POST, PUT, PATCH, DELETE) is
  appended to the audit trail after it ran - who (the principal, or the
  name a sign-in tried), from where, the route and its parameters, and the
  HTTP status it ended with, so refused and failed attempts (an unexpected
  error too, as 500) are on record;
- a NUL character in the path or the query is refused (400) before any
  route sees it: PostgreSQL cannot hold one in text, and no name, id or
  filter of the console contains one;
- security headers: a content security policy that lets the pages load
  only the console's own files, no framing, no MIME sniffing, no referrer,
  and no caching of API answers.

FastAPI's interactive documentation pages are switched off: they load
their scripts from a CDN.  The OpenAPI document is at
``/api/v1/openapi.json``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from otm.api.routes import (
    admin,
    alerts,
    assets,
    baseline,
    events,
    exports,
    history,
    plant,
    processes,
    scans,
    session,
)
from otm.api.security import Console
from otm.services import access
from otm.services.access import Principal
from otm.services.catalog import CatalogCache
from otm.services.scan_jobs import ScanJobs
from otm.store import StoreError
from otm.store.combined import Store
from otm.web import STATIC

API = "/api/v1"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

log = logging.getLogger(__name__)


def create_app(
    store: Store, *, secure_cookies: bool = False, scan_allow: Sequence[str] = ()
) -> FastAPI:
    """The console over ``store`` (closed when the application shuts down); ``scan_allow``:
    the networks console scans may touch (none: no scan)."""

    console = Console(store, CatalogCache(store), ScanJobs(store, scan_allow), secure_cookies)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            console.close()

    app = FastAPI(
        title="otm console",
        summary="OT inventory, map, health, alerts and audit of one otm database.",
        version="1",
        openapi_url=f"{API}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.console = console
    for module in (
        session,
        assets,
        alerts,
        baseline,
        plant,
        processes,
        history,
        scans,
        exports,
        admin,
        events,
    ):
        app.include_router(module.router, prefix=API)

    @app.middleware("http")
    async def audit_and_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        audited = request.method in UNSAFE_METHODS and request.url.path.startswith(API)
        if _has_nul(request):
            response: Response = JSONResponse(
                {"detail": "NUL characters are not accepted in the path or the query"},
                status_code=400,
            )
        else:
            try:
                response = await call_next(request)
            except Exception:
                if audited:
                    await run_in_threadpool(_audit, store, request, 500)
                raise
        if audited:
            await run_in_threadpool(_audit, store, request, response.status_code)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.url.path.startswith(API):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> Response:
        # FastAPI's own answer, but ASCII-escaped: the errors quote the input, and a lone
        # surrogate (a JSON body can hold one) cannot be written as UTF-8.
        body = json.dumps({"detail": jsonable_encoder(exc.errors())}, ensure_ascii=True)
        return Response(body, status_code=422, media_type="application/json")

    @app.exception_handler(StoreError)
    async def store_error(_: Request, exc: StoreError) -> JSONResponse:
        return JSONResponse({"detail": f"database: {exc}"}, status_code=503)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    return app


def _has_nul(request: Request) -> bool:
    if "\x00" in request.url.path:
        return True
    return any("\x00" in k or "\x00" in v for k, v in request.query_params.multi_items())


def _audit(store: Store, request: Request, status_code: int) -> None:
    """Record a state-changing request (module docstring); a failure to record is logged."""
    who = getattr(request.state, "principal", None)
    user = (
        who.name
        if isinstance(who, Principal)
        else str(getattr(request.state, "audit_user", "") or "anonymous")
    )
    route = request.scope.get("route")
    template = str(getattr(route, "path", request.url.path))
    if not template.startswith(API):
        template = API + template
    params = dict(request.path_params)
    target = ",".join(f"{v}" for v in params.values())
    outcome = "done" if status_code < 400 else "refused" if status_code < 500 else "failed"
    address = request.client.host if request.client is not None else "unknown"
    try:
        access.audit(
            store,
            user,
            address,
            f"{request.method} {template}",
            target,
            outcome,
            time.time(),
            status=status_code,
            via=who.via if isinstance(who, Principal) else "anonymous",
        )
    except StoreError as exc:  # the request is done; say loudly that its record is missing
        log.error("audit trail: could not record %s %s: %s", request.method, template, exc)
