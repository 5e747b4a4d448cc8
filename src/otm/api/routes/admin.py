"""``/api/v1/users``, ``/api/v1/tokens``, ``/api/v1/audit``: users, API tokens and the audit
trail (admin), and each user's own tokens."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BaseModel, Field

from otm.api.security import Admin, ConsoleDep, StoredText, Viewer
from otm.model.access import ApiToken, Role, User
from otm.services import access

router = APIRouter(tags=["administration"])


class NewUser(BaseModel):
    """A user to create; without a password a one-time one is generated and returned."""

    name: str = Field(min_length=1, max_length=64)
    role: Role = Role.VIEWER
    password: str | None = Field(default=None, max_length=1024)


class UserChange(BaseModel):
    """What to change about a user (fields left out stay)."""

    role: Role | None = None
    disabled: bool | None = None
    unlock: bool = False


class NewToken(BaseModel):
    """An API token to create for the signed-in user (admins: for anyone)."""

    name: StoredText = Field(min_length=1, max_length=100)
    role: Role | None = None
    owner: StoredText | None = Field(default=None, max_length=64)
    expires_days: float | None = Field(default=None, gt=0, le=3650)


def _user(u: User) -> dict[str, Any]:
    return dict(access.user_doc(u, time.time()))


def _token(t: ApiToken) -> dict[str, Any]:
    return {
        "id": t.id,
        "owner": t.user,
        "name": t.name,
        "role": t.role.value,
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "last_used_at": t.last_used_at,
        "revoked_at": t.revoked_at,
        "usable": t.usable(time.time()),
    }


def _refused(exc: access.AccessError) -> HTTPException:
    missing = str(exc).startswith("there is no")
    return HTTPException(
        status.HTTP_404_NOT_FOUND if missing else status.HTTP_400_BAD_REQUEST, str(exc)
    )


@router.get("/users")
def list_users(_: Admin, console: ConsoleDep) -> list[dict[str, Any]]:
    """Every user with role and state."""
    return [_user(u) for u in console.store.users()]


@router.post("/users", status_code=status.HTTP_201_CREATED)
def add_user(body: NewUser, _: Admin, console: ConsoleDep) -> dict[str, Any]:
    """Create a user; ``one_time_password`` is returned once when none was given."""
    try:
        secret = access.add_user(console.store, body.name, body.role, time.time(), body.password)
    except access.AccessError as exc:
        raise _refused(exc) from None
    found = console.store.user(body.name)
    assert found is not None
    return {**_user(found), "one_time_password": secret}


@router.patch("/users/{name}")
def change_user(name: str, body: UserChange, _: Admin, console: ConsoleDep) -> dict[str, Any]:
    """Change a user's role, disable or enable them, or lift a lockout."""
    store = console.store
    try:
        if body.role is not None:
            access.set_role(store, name, body.role)
        if body.disabled is not None:
            access.set_disabled(store, name, body.disabled)
        if body.unlock:
            access.unlock(store, name)
    except access.AccessError as exc:
        raise _refused(exc) from None
    found = store.user(name)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no user {name!r}")
    return _user(found)


@router.post("/users/{name}/password")
def reset_password(name: str, _: Admin, console: ConsoleDep) -> dict[str, Any]:
    """Give a user a new one-time password (returned once); their sessions end."""
    try:
        secret = access.set_password(console.store, name, None, time.time())
    except access.AccessError as exc:
        raise _refused(exc) from None
    return {"name": name, "one_time_password": secret}


@router.delete("/users/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete_user(name: str, _: Admin, console: ConsoleDep) -> Response:
    """Delete a user with their tokens and sessions (the audit trail keeps their acts)."""
    try:
        access.delete_user(console.store, name)
    except access.AccessError as exc:
        raise _refused(exc) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/tokens")
def list_tokens(who: Viewer, console: ConsoleDep) -> list[dict[str, Any]]:
    """API tokens: an admin sees all, anyone else their own (never the secrets)."""
    owner = None if who.allows(Role.ADMIN) else who.name
    return [_token(t) for t in console.store.tokens(owner)]


@router.post("/tokens", status_code=status.HTTP_201_CREATED)
def create_token(body: NewToken, who: Viewer, console: ConsoleDep) -> dict[str, Any]:
    """Create a token; ``token`` is returned this once.  Only admins make tokens for others."""
    owner = body.owner or who.name
    if owner != who.name and not who.allows(Role.ADMIN):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only an admin makes tokens for others")
    if who.via == "token":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "a token cannot make tokens: sign in")
    life = None if body.expires_days is None else body.expires_days * 86400.0
    try:
        token, text = access.create_token(
            console.store, owner, body.name, body.role, time.time(), life
        )
    except access.AccessError as exc:
        raise _refused(exc) from None
    return {**_token(token), "token": text}


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: str, who: Viewer, console: ConsoleDep) -> Response:
    """Revoke a token (one's own, or any for an admin)."""
    found = console.store.token(token_id)
    if found is None or (found[0].user != who.name and not who.allows(Role.ADMIN)):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"there is no token {token_id!r}")
    try:
        access.revoke_token(console.store, token_id, time.time())
    except access.AccessError as exc:
        raise _refused(exc) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/audit")
def audit_log(
    _: Admin,
    console: ConsoleDep,
    user: str | None = None,
    action: str | None = None,
    before: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,  # PostgreSQL's integer
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """The audit trail, newest first (``before``: entries older than that sequence number)."""
    entries = console.store.audit_entries(limit, user=user, action=action, before_seq=before)
    return {
        "items": [
            {
                "seq": e.seq,
                "time": e.time,
                "user": e.user,
                "address": e.address,
                "action": e.action,
                "target": e.target,
                "outcome": e.outcome,
                "detail": e.detail,
                "hash": e.hash,
            }
            for e in entries
        ]
    }


@router.get("/audit/verify")
def verify_audit(_: Admin, console: ConsoleDep) -> dict[str, Any]:
    """Walk the audit trail's hash chain."""
    verdict = access.verify_audit(console.store)
    return {
        "intact": verdict.intact,
        "entries": verdict.entries,
        "broken_at": verdict.broken_at,
        "reason": verdict.reason,
    }
