"""``otm user`` and ``otm audit``: the console's users and tokens, and the audit trail.

A thin face over ``otm.services.access``; ``register(app)`` adds::

    otm user add NAME [--role viewer|operator|analyst|engineer|admin] [--password-stdin]
    otm user list
    otm user passwd NAME [--password-stdin]     (else a one-time password is printed)
    otm user role NAME ROLE
    otm user disable|enable|unlock|delete NAME
    otm user token create OWNER --name TEXT [--role ROLE] [--expires-days N]
    otm user token list [OWNER]
    otm user token revoke ID
    otm audit [--limit N] [--user NAME] [--action PREFIX] [--format table|json] [--verify]

Whoever runs the command line holds the database itself, so these commands
need no sign-in; each change they make is recorded in the audit trail
under the login name (``--by``) from address ``local``.  Passwords are read
from stdin (one line) or generated and printed once; tokens are printed
once and never again.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import typer
from rich.markup import escape
from rich.table import Table

from otm.cli.common import DbOption, console, fail, store, who
from otm.model.access import ROLE_DUTIES, Role
from otm.services import access as service
from otm.store import StoreError
from otm.store.combined import Store

_T = TypeVar("_T")

ByOption = Annotated[
    str | None,
    typer.Option("--by", help="Who does this, for the audit trail (default: your login name)."),
]
RoleArgument = Annotated[Role, typer.Argument(help="viewer, operator, analyst, engineer or admin.")]
StdinOption = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from stdin (one line).")
]

user_app = typer.Typer(
    help="Console users and API tokens (roles: "
    + "; ".join(f"{r.value}: {d}" for r, d in ROLE_DUTIES.items())
    + ").",
    no_args_is_help=True,
)
token_app = typer.Typer(help="API tokens for machines (SIEM, CMDB, scripts).", no_args_is_help=True)
user_app.add_typer(token_app, name="token")


def _when(t: float | None) -> str:
    if t is None:
        return "-"
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _stdin_password() -> str:
    line = sys.stdin.readline()
    if not line:
        raise fail("no password on stdin")
    return line.rstrip("\r\n")


def _act(
    db: str | None,
    by: str | None,
    action: str,
    target: str,
    do: Callable[[Store], _T],
    **detail: object,
) -> _T:
    """Run ``do(store)``, record it in the audit trail; one-line errors."""
    actor = who(by)
    with closing(store(db)) as s:
        now = time.time()
        try:
            result = do(s)
        except service.AccessError as exc:
            _record(s, actor, action, target, "refused", now, reason=str(exc), **detail)
            raise fail(str(exc)) from None
        except StoreError as exc:
            raise fail(str(exc), 2) from None
        _record(s, actor, action, target, "done", now, **detail)
        return result


def _record(
    s: Store, actor: str, action: str, target: str, outcome: str, now: float, **detail: object
) -> None:
    try:
        service.audit(s, actor, "local", action, target, outcome, now, via="cli", **detail)
    except StoreError as exc:
        raise fail(f"the audit trail could not record {action}: {exc}", 2) from None


# -- users -------------------------------------------------------------------------------


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[Role, typer.Option("--role", help="The user's role.")] = Role.VIEWER,
    password_stdin: StdinOption = False,
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Create a user; without --password-stdin a one-time password is printed."""
    password = _stdin_password() if password_stdin else None
    result = _act(
        db,
        by,
        "user.add",
        name,
        lambda s: service.add_user(s, name, role, time.time(), password),
        role=role.value,
    )
    console.print(f"user [bold]{escape(name)}[/] ({role.value}) created")
    if isinstance(result, str):
        console.print(f"one-time password (change it at first sign-in): {escape(result)}")


@user_app.command("list")
def user_list(
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    db: DbOption = None,
) -> None:
    """Every user with role, state and last sign-in."""
    if fmt not in ("table", "json"):
        raise fail(f"unknown format {fmt!r}: use table, json")
    with closing(store(db)) as s:
        try:
            users = s.users()
        except StoreError as exc:
            raise fail(str(exc), 2) from None
    now = time.time()
    if fmt == "json":
        rows = [service.user_doc(u, now) for u in users]
        console.print_json(json.dumps(rows))
        return
    if not users:
        console.print("no users yet: `otm user add NAME --role admin`, or `otm serve` creates one")
        return
    table = Table("user", "role", "state", "last sign-in", "created")
    for u in users:
        state = (
            "disabled"
            if u.disabled
            else "locked"
            if u.locked_until is not None and u.locked_until > now
            else "must change password"
            if u.must_change_password
            else "active"
        )
        table.add_row(escape(u.name), u.role.value, state, _when(u.last_login), _when(u.created_at))
    console.print(table)


@user_app.command("passwd")
def user_passwd(
    name: Annotated[str, typer.Argument(help="User name.")],
    password_stdin: StdinOption = False,
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Set a user's password (a one-time one is printed without --password-stdin)."""
    password = _stdin_password() if password_stdin else None
    result = _act(
        db,
        by,
        "user.passwd",
        name,
        lambda s: service.set_password(s, name, password, time.time()),
    )
    console.print(f"password of [bold]{escape(name)}[/] set; their sessions ended")
    if isinstance(result, str):
        console.print(f"one-time password (change it at next sign-in): {escape(result)}")


@user_app.command("role")
def user_role(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: RoleArgument,
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Change a user's role."""
    _act(db, by, "user.role", name, lambda s: service.set_role(s, name, role), role=role.value)
    console.print(f"[bold]{escape(name)}[/] is {role.value}")


@user_app.command("disable")
def user_disable(
    name: Annotated[str, typer.Argument(help="User name.")],
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Disable a user: sessions end, tokens stop working."""
    _act(db, by, "user.disable", name, lambda s: service.set_disabled(s, name, True))
    console.print(f"[bold]{escape(name)}[/] disabled")


@user_app.command("enable")
def user_enable(
    name: Annotated[str, typer.Argument(help="User name.")],
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Enable a disabled user."""
    _act(db, by, "user.enable", name, lambda s: service.set_disabled(s, name, False))
    console.print(f"[bold]{escape(name)}[/] enabled")


@user_app.command("unlock")
def user_unlock(
    name: Annotated[str, typer.Argument(help="User name.")],
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Lift the lockout that wrong passwords put on a user."""
    _act(db, by, "user.unlock", name, lambda s: service.unlock(s, name))
    console.print(f"[bold]{escape(name)}[/] unlocked")


@user_app.command("delete")
def user_delete(
    name: Annotated[str, typer.Argument(help="User name.")],
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Delete a user with their tokens and sessions (the audit trail keeps their acts)."""
    _act(db, by, "user.delete", name, lambda s: service.delete_user(s, name))
    console.print(f"[bold]{escape(name)}[/] deleted")


# -- tokens --------------------------------------------------------------------------------


@token_app.command("create")
def token_create(
    owner: Annotated[str, typer.Argument(help="The user the token acts for.")],
    name: Annotated[str, typer.Option("--name", help="What the token is for (e.g. 'SIEM').")],
    role: Annotated[
        Role | None, typer.Option("--role", help="The token's role (default the owner's).")
    ] = None,
    expires_days: Annotated[
        float | None, typer.Option("--expires-days", help="Life in days (default: no expiry).")
    ] = None,
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Create an API token; it is printed once and never again."""
    life = None if expires_days is None else expires_days * 86400.0
    result = _act(
        db,
        by,
        "token.create",
        owner,
        lambda s: service.create_token(s, owner, name, role, time.time(), life),
        name=name,
        role=role.value if role else None,
    )
    token, text = result
    console.print(
        f"token [bold]{token.id}[/] for {escape(owner)} ({token.role.value}), "
        f"expires {_when(token.expires_at)}; send it as `Authorization: Bearer TOKEN`:"
    )
    console.print(text, markup=False)


@token_app.command("list")
def token_list(
    owner: Annotated[str | None, typer.Argument(help="Only this user's tokens.")] = None,
    db: DbOption = None,
) -> None:
    """API tokens with owner, role, life and last use (never the secret)."""
    with closing(store(db)) as s:
        try:
            tokens = s.tokens(owner)
        except StoreError as exc:
            raise fail(str(exc), 2) from None
    now = time.time()
    table = Table("id", "owner", "name", "role", "state", "expires", "last used")
    for t in tokens:
        state = "revoked" if t.revoked_at is not None else "usable" if t.usable(now) else "expired"
        table.add_row(
            t.id,
            escape(t.user),
            escape(t.name),
            t.role.value,
            state,
            _when(t.expires_at),
            _when(t.last_used_at),
        )
    console.print(table)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (see `otm user token list`).")],
    db: DbOption = None,
    by: ByOption = None,
) -> None:
    """Revoke an API token at once."""
    _act(db, by, "token.revoke", token_id, lambda s: service.revoke_token(s, token_id, time.time()))
    console.print(f"token {escape(token_id)} revoked")


# -- the audit trail ---------------------------------------------------------------------------


def audit_list(
    limit: Annotated[int, typer.Option("--limit", min=1, help="Newest entries shown.")] = 50,
    user: Annotated[str | None, typer.Option("--user", help="Only this user's acts.")] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="Only actions starting with this.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    verify: Annotated[
        bool, typer.Option("--verify", help="Check the whole hash chain; exit 3 if it is broken.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Who changed what, when and from where (console requests and commands)."""
    if fmt not in ("table", "json"):
        raise fail(f"unknown format {fmt!r}: use table, json")
    with closing(store(db)) as s:
        try:
            if verify:
                verdict = service.verify_audit(s)
                if verdict.intact:
                    console.print(f"audit trail intact: {verdict.entries} entries chained")
                    return
                console.print(
                    f"[bold red]audit trail broken at entry {verdict.broken_at}[/]: "
                    f"{escape(verdict.reason)} ({verdict.entries} entries before it fit)"
                )
                raise typer.Exit(3)
            entries = s.audit_entries(limit, user=user, action=action)
        except StoreError as exc:
            raise fail(str(exc), 2) from None
    if fmt == "json":
        console.print_json(
            json.dumps(
                [
                    {
                        "seq": e.seq,
                        "time": e.time,
                        "user": e.user,
                        "address": e.address,
                        "action": e.action,
                        "target": e.target,
                        "outcome": e.outcome,
                        "detail": json.loads(e.detail) if e.detail else {},
                        "hash": e.hash,
                    }
                    for e in entries
                ]
            )
        )
        return
    table = Table("#", "time", "user", "from", "action", "target", "outcome")
    for e in entries:
        table.add_row(
            str(e.seq),
            _when(e.time),
            escape(e.user),
            escape(e.address),
            escape(e.action),
            escape(e.target),
            escape(e.outcome),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add ``otm user ...`` and ``otm audit`` to the command line."""
    app.add_typer(user_app, name="user")
    app.command("audit")(audit_list)
