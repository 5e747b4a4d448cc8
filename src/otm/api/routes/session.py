"""``/api/v1/session``: sign in, who am I, change my password, sign out."""

from __future__ import annotations

import time

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from otm.api.security import COOKIE, AnyPrincipal, ConsoleDep, client_address
from otm.model.access import ROLE_DUTIES
from otm.services import access

router = APIRouter(prefix="/session", tags=["session"])


class Credentials(BaseModel):
    """A sign-in."""

    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class PasswordChange(BaseModel):
    """A user's new password, with the current one as proof."""

    current: str = Field(min_length=1, max_length=1024)
    new: str = Field(min_length=1, max_length=1024)


class SessionInfo(BaseModel):
    """Who is signed in, with what role, and the CSRF token to echo (browser sessions)."""

    name: str
    role: str
    duties: str
    via: str
    csrf: str | None = None
    must_change_password: bool = False


@router.post("", response_model=SessionInfo)
def sign_in(
    body: Credentials, request: Request, response: Response, console: ConsoleDep
) -> SessionInfo:
    """Check a password and start a browser session (the ``otm_session`` cookie)."""
    request.state.audit_user = body.name
    try:
        signed = access.login(
            console.store, body.name, body.password, client_address(request), time.time()
        )
    except access.LoginRefusedError as exc:
        headers = (
            {"Retry-After": str(int(exc.retry_after) + 1)} if exc.retry_after is not None else None
        )
        code = (
            status.HTTP_429_TOO_MANY_REQUESTS if exc.retry_after else status.HTTP_401_UNAUTHORIZED
        )
        raise HTTPException(code, str(exc), headers=headers) from None
    response.set_cookie(
        COOKIE,
        signed.cookie,
        max_age=int(access.SESSION_LIFE),
        httponly=True,
        samesite="strict",
        secure=console.secure_cookies,
        path="/",
    )
    user = signed.user
    return SessionInfo(
        name=user.name,
        role=user.role.value,
        duties=ROLE_DUTIES[user.role],
        via="session",
        csrf=signed.session.csrf,
        must_change_password=user.must_change_password,
    )


@router.get("", response_model=SessionInfo)
def who_am_i(who: AnyPrincipal, request: Request, console: ConsoleDep) -> SessionInfo:
    """The signed-in principal (and, for a browser, its CSRF token again)."""
    csrf = None
    cookie = request.cookies.get(COOKIE)
    if who.via == "session" and cookie:
        found = access.session_principal(console.store, cookie, time.time())
        csrf = found[1].csrf if found else None
    return SessionInfo(
        name=who.name,
        role=who.role.value,
        duties=ROLE_DUTIES[who.role],
        via=who.via,
        csrf=csrf,
        must_change_password=who.must_change_password,
    )


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(body: PasswordChange, who: AnyPrincipal, console: ConsoleDep) -> Response:
    """Change the signed-in user's password; every session of theirs ends (sign in again)."""
    try:
        access.change_own_password(console.store, who.name, body.current, body.new, time.time())
    except access.AccessError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
def sign_out(who: AnyPrincipal, request: Request, console: ConsoleDep) -> Response:
    """End this browser's session."""
    cookie = request.cookies.get(COOKIE)
    if cookie:
        access.logout(console.store, cookie)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(COOKIE, path="/")
    return response
