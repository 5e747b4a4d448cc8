"""Use case: who may use the console - users, passwords, sign-in, sessions, API tokens, audit.

Passwords are hashed with argon2id (``argon2-cffi``, the reference
implementation's binding; its defaults follow RFC 9106's second
recommended option) and never stored or logged.  API tokens and session
cookies are random secrets of 256 bits; at rest only their SHA-256 is kept
(a slow hash buys nothing for a secret that cannot be guessed, and every
API request checks one).

Signing in is limited twice: a user is locked for ``LOCK_FOR`` seconds
after ``LOCK_AFTER`` wrong passwords in a row, and a client address that
sent ``ADDRESS_LIMIT`` wrong logins within ``ADDRESS_WINDOW`` seconds is
refused without its password being checked, so a password guesser can
neither go on nor lock every account from one place undetected.  The reply
to a wrong name and to a wrong password is the same.

A session lives ``SESSION_LIFE`` seconds at most and ends after
``SESSION_IDLE`` seconds without a request; a changed password, a disabled
user and a lowered role end or narrow it at once (the role is read from the
user at every request, never from the session).

The first start of a console with no user creates ``admin`` with a random
one-time password printed once (``ensure_first_admin``); it must be changed
at first sign-in.  There is no default password anywhere.

Every state-changing request and command is appended to the audit trail
(``audit``); ``verify_audit`` walks the hash chain and names the first
entry that does not fit.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from otm.model.access import GENESIS, ApiToken, Role, User, WebSession, audit_hash
from otm.store.access import AccessStore

LOCK_AFTER = 5
"""Wrong passwords in a row that lock a user."""

LOCK_FOR = 15 * 60.0
"""Seconds a locked user waits."""

ADDRESS_LIMIT = 20
"""Wrong logins from one address within ``ADDRESS_WINDOW`` after which it is refused."""

ADDRESS_WINDOW = 10 * 60.0
"""Seconds over which wrong logins from one address count."""

SESSION_LIFE = 12 * 3600.0
"""A session's longest life: a control-room shift."""

SESSION_IDLE = 60 * 60.0
"""Seconds without a request after which a session ends."""

SESSION_TOUCH = 60.0
"""A session's last activity is written at most this often (not at every request)."""

MIN_PASSWORD = 10
"""Shortest password accepted."""

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
"""User names: letters, digits and ``._@-``, 64 at most, starting with a letter or digit."""

TOKEN_PREFIX = "otm"
"""API tokens read ``otm_<id>_<secret>``: greppable in a leaked config file."""

TOKEN_ID = re.compile(r"[0-9a-f]{12}")
"""A token's public id: 6 random bytes in hex (``create_token``)."""

_hasher = PasswordHasher()


def printable(text: str) -> str:
    """``text`` as a database keeps it: NUL (which PostgreSQL refuses in text) and lone
    surrogates (which no database stores) written as backslash escapes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


class AccessError(Exception):
    """Something the user asked that cannot be done as asked; the message says why."""


class LoginRefusedError(AccessError):
    """A sign-in refused; ``retry_after`` seconds when waiting helps."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Principal:
    """Who makes a request: a user, with the role in force, and how they proved it."""

    name: str
    role: Role
    via: str  # "session", "token" or "cli"
    token_id: str | None = None
    must_change_password: bool = False

    def allows(self, needed: Role) -> bool:
        """Whether the role in force may do what ``needed`` may."""
        return self.role.allows(needed)


@dataclass(frozen=True)
class SignIn:
    """A successful sign-in: the cookie's secret (given to the browser once) and the session."""

    cookie: str
    session: WebSession
    user: User


@dataclass(frozen=True)
class AuditVerdict:
    """What walking the audit chain found."""

    entries: int
    broken_at: int | None = None
    reason: str = ""

    @property
    def intact(self) -> bool:
        """Whether every entry fits the chain."""
        return self.broken_at is None


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def generate_password() -> str:
    """A random password of about 96 bits, readable aloud (URL-safe alphabet)."""
    return secrets.token_urlsafe(12)


def check_name(name: str) -> str:
    """``name`` if it is a valid user name, else ``AccessError``."""
    if not NAME_PATTERN.fullmatch(name):
        raise AccessError(
            f"{name!r} is not a user name: letters, digits and ._@- (64 at most), "
            "starting with a letter or digit"
        )
    return name


def check_password(name: str, password: str) -> None:
    """``AccessError`` unless ``password`` is acceptable for user ``name``."""
    if len(password) < MIN_PASSWORD:
        raise AccessError(f"a password needs {MIN_PASSWORD} characters at least")
    if password.strip().lower() == name.lower():
        raise AccessError("a password may not be the user name")


# -- users ------------------------------------------------------------------------


def user_doc(user: User, now: float) -> dict[str, object]:
    """A user as ``otm user list --format json`` and ``GET /api/v1/users`` show it."""
    return {
        "name": user.name,
        "role": user.role.value,
        "disabled": user.disabled,
        "locked": user.locked_until is not None and user.locked_until > now,
        "must_change_password": user.must_change_password,
        "created_at": user.created_at,
        "last_login": user.last_login,
    }


def add_user(
    store: AccessStore, name: str, role: Role, now: float, password: str | None = None
) -> str | None:
    """Create a user; returns the one-time password generated when none was given.

    A generated password must be changed at first sign-in.
    """
    check_name(name)
    one_time = password is None
    secret = generate_password() if password is None else password
    if not one_time:
        check_password(name, secret)
    if not store.add_user(name, role, _hasher.hash(secret), now, must_change=one_time):
        raise AccessError(f"there is a user {name!r} already")
    return secret if one_time else None


def ensure_first_admin(store: AccessStore, now: float) -> tuple[str, str] | None:
    """With no user at all, create ``admin`` with a one-time password: (name, password)."""
    if store.count_users() > 0:
        return None
    password = add_user(store, "admin", Role.ADMIN, now)
    if password is None:  # pragma: no cover - add_user generates when given none
        return None
    return "admin", password


def _existing(store: AccessStore, name: str) -> User:
    user = store.user(name)
    if user is None:
        raise AccessError(f"there is no user {name!r}")
    return user


def set_password(store: AccessStore, name: str, password: str | None, now: float) -> str | None:
    """An admin sets a user's password (or a generated one-time one, returned).

    The user's sessions end; a generated password must be changed at next sign-in.
    """
    _existing(store, name)
    one_time = password is None
    secret = generate_password() if password is None else password
    if not one_time:
        check_password(name, secret)
    store.update_user(
        name,
        password_hash=_hasher.hash(secret),
        password_changed_at=now,
        must_change_password=one_time,
        failed_logins=0,
        locked_until=None,
    )
    store.end_sessions_of(name)
    return secret if one_time else None


def change_own_password(store: AccessStore, name: str, current: str, new: str, now: float) -> None:
    """A user changes their password, proving the current one; other sessions end."""
    if not _password_matches(store, name, current):
        raise AccessError("the current password is wrong")
    if new == current:
        raise AccessError("the new password must differ from the current one")
    check_password(name, new)
    store.update_user(
        name,
        password_hash=_hasher.hash(new),
        password_changed_at=now,
        must_change_password=False,
    )
    store.end_sessions_of(name)


def set_role(store: AccessStore, name: str, role: Role) -> None:
    """Change a user's role; tokens above the new role act with it from now on."""
    _existing(store, name)
    if role is not Role.ADMIN:
        _keep_an_admin(store, name)
    store.update_user(name, role=role)


def set_disabled(store: AccessStore, name: str, disabled: bool) -> None:
    """Disable (sessions end, tokens stop working) or enable a user."""
    _existing(store, name)
    if disabled:
        _keep_an_admin(store, name)
    store.update_user(name, disabled=disabled)
    if disabled:
        store.end_sessions_of(name)


def unlock(store: AccessStore, name: str) -> None:
    """Lift a lockout after wrong passwords."""
    _existing(store, name)
    store.update_user(name, failed_logins=0, locked_until=None)


def delete_user(store: AccessStore, name: str) -> None:
    """Delete a user, their tokens and sessions (their audit entries stay)."""
    _existing(store, name)
    _keep_an_admin(store, name)
    store.delete_user(name)


def _keep_an_admin(store: AccessStore, name: str) -> None:
    """Refuse to take the last enabled admin's power away: nobody could manage users."""
    admins = [u for u in store.users() if u.role is Role.ADMIN and not u.disabled]
    if [u.name for u in admins] == [name]:
        raise AccessError(f"{name!r} is the only enabled admin: make another admin first")


def _password_matches(store: AccessStore, name: str | None, password: str) -> bool:
    """Whether ``password`` is user ``name``'s (None: no such user, the answer is no).

    Without a stored hash the same argon2 work is done, so that a wrong name takes as long
    as a wrong password.
    """
    stored = None if name is None else store.password_hash(name)
    if name is None or stored is None:
        _hasher.hash(password)
        return False
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(stored):
        store.update_user(name, password_hash=_hasher.hash(password))
    return True


# -- signing in -------------------------------------------------------------------


def login(store: AccessStore, name: str, password: str, address: str, now: float) -> SignIn:
    """Check a user's password and open a session; ``LoginRefusedError`` says why not.

    The password is checked (or the same work done) whatever the name: an unknown,
    malformed or disabled user's refusal takes as long as a wrong password's.
    """
    recent = store.login_failures_since(address, now - ADDRESS_WINDOW)
    if recent >= ADDRESS_LIMIT:
        raise LoginRefusedError(
            f"too many failed sign-ins from {address}: try again later", ADDRESS_WINDOW
        )
    # No user has a name outside NAME_PATTERN: such a name is not looked up (it may hold
    # what the database cannot take, NUL in PostgreSQL), and is recorded escaped.
    user = store.user(name) if NAME_PATTERN.fullmatch(name) else None
    if user is not None and user.locked_until is not None and user.locked_until > now:
        store.record_login_failure(address, name, now, ADDRESS_WINDOW)
        raise LoginRefusedError(
            "this user is locked after wrong passwords: try again later or ask an admin",
            user.locked_until - now,
        )
    matches = _password_matches(store, None if user is None else name, password)
    if user is None or user.disabled or not matches:
        store.record_login_failure(address, printable(name), now, ADDRESS_WINDOW)
        if user is not None and not user.disabled:
            store.count_failure(name, now, LOCK_AFTER, LOCK_FOR)
        raise LoginRefusedError("wrong user name or password")
    store.update_user(name, failed_logins=0, locked_until=None, last_login=now)
    cookie = secrets.token_urlsafe(32)
    session = WebSession(
        user=name,
        csrf=secrets.token_urlsafe(24),
        created_at=now,
        last_seen=now,
        expires_at=now + SESSION_LIFE,
        address=address,
    )
    store.add_session(_sha256(cookie), session)
    signed = store.user(name)
    return SignIn(cookie, session, signed if signed is not None else user)


def session_principal(
    store: AccessStore, cookie: str, now: float
) -> tuple[Principal, WebSession] | None:
    """Who a session cookie belongs to, with the role in force now; None when it is not valid."""
    digest = _sha256(cookie)
    session = store.session(digest)
    if session is None:
        return None
    if session.expires_at <= now or session.last_seen <= now - SESSION_IDLE:
        store.end_session(digest)
        return None
    user = store.user(session.user)
    if user is None or user.disabled:
        store.end_session(digest)
        return None
    if now - session.last_seen >= SESSION_TOUCH:
        store.touch_session(digest, now)
    principal = Principal(
        user.name, user.role, "session", must_change_password=user.must_change_password
    )
    return principal, session


def logout(store: AccessStore, cookie: str) -> bool:
    """End a browser's session; whether it had one."""
    return store.end_session(_sha256(cookie))


def csrf_matches(session: WebSession, presented: str | None) -> bool:
    """Whether a request echoes its session's CSRF token (constant-time)."""
    return presented is not None and hmac.compare_digest(session.csrf, presented)


# -- API tokens ---------------------------------------------------------------------


def create_token(
    store: AccessStore,
    owner: str,
    name: str,
    role: Role | None,
    now: float,
    expires_in: float | None = None,
) -> tuple[ApiToken, str]:
    """A new API token for ``owner``: the record and the token text, shown only once.

    ``role`` defaults to the owner's and may not exceed it.
    """
    user = _existing(store, owner)
    wanted = user.role if role is None else role
    if not user.role.allows(wanted):
        raise AccessError(f"{owner} is {user.role}: a token of theirs cannot be {wanted}")
    if expires_in is not None and expires_in <= 0:
        raise AccessError("a token's life must be positive")
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        id=token_id,
        user=owner,
        name=name,
        role=wanted,
        created_at=now,
        expires_at=None if expires_in is None else now + expires_in,
        last_used_at=None,
        revoked_at=None,
    )
    store.add_token(token, _sha256(secret))
    return token, f"{TOKEN_PREFIX}_{token_id}_{secret}"


def token_principal(store: AccessStore, text: str, now: float) -> Principal | None:
    """Who an API token belongs to, with the lower of its role and its owner's; None if invalid."""
    prefix, _, rest = text.partition("_")
    token_id, _, secret = rest.partition("_")
    if prefix != TOKEN_PREFIX or not TOKEN_ID.fullmatch(token_id) or not secret:
        return None
    found = store.token(token_id)
    if found is None:
        return None
    token, secret_hash = found
    if not hmac.compare_digest(secret_hash, _sha256(secret)) or not token.usable(now):
        return None
    user = store.user(token.user)
    if user is None or user.disabled:
        return None
    if token.last_used_at is None or now - token.last_used_at >= SESSION_TOUCH:
        store.touch_token(token.id, now)
    role = token.role if user.role.allows(token.role) else user.role
    return Principal(user.name, role, "token", token.id)


def revoke_token(store: AccessStore, token_id: str, now: float) -> None:
    """Revoke a token by its public id."""
    if not store.revoke_token(token_id, now):
        raise AccessError(f"there is no usable token {token_id!r}")


# -- the audit trail ----------------------------------------------------------------


def audit(
    store: AccessStore,
    user: str,
    address: str,
    action: str,
    target: str,
    outcome: str,
    now: float,
    **detail: object,
) -> None:
    """Append who did what, on what, from where, and how it ended.

    Text is kept as ``printable`` writes it: a request carrying what the database cannot
    store is still on record.
    """
    text = json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)
    fields = (user, address, action, target, outcome, text)
    store.append_audit(now, *(printable(f) for f in fields))


def verify_audit(store: AccessStore) -> AuditVerdict:
    """Walk the audit chain from the first entry; the first entry that does not fit, if any."""
    previous, expected_seq, count = GENESIS, 1, 0
    for entry in store.audit_chain():
        if entry.seq != expected_seq:
            return AuditVerdict(count, entry.seq, f"entry {expected_seq} is missing")
        if entry.previous != previous:
            return AuditVerdict(count, entry.seq, "it does not follow the entry before it")
        digest = audit_hash(
            entry.previous,
            entry.seq,
            entry.time,
            entry.user,
            entry.address,
            entry.action,
            entry.target,
            entry.outcome,
            entry.detail,
        )
        if not hmac.compare_digest(digest, entry.hash):
            return AuditVerdict(count, entry.seq, "its content does not match its hash")
        previous, expected_seq, count = entry.hash, expected_seq + 1, count + 1
    return AuditVerdict(count)
