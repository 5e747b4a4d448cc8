"""``AccessStore``: users, API tokens, browser sessions, failed logins and the audit trail.

Secrets never reach this module: the services hand it an argon2 hash of a
password, the SHA-256 of a token's or a session cookie's secret part, and
look those up by the hash.  The audit trail is append-only here (no method
changes or deletes an entry); each entry's hash chains it to the one
before, computed inside the write transaction that appends it so that two
processes appending at once still make one chain.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from otm.model.access import GENESIS, ApiToken, AuditEntry, Role, User, WebSession, audit_hash
from otm.store import schema as t
from otm.store.repository import SqlStore

_USER_FIELDS = frozenset(
    {
        "role",
        "password_hash",
        "password_changed_at",
        "must_change_password",
        "disabled",
        "failed_logins",
        "locked_until",
        "last_login",
    }
)


def _user(row: Any) -> User:
    return User(
        name=row.name,
        role=Role(row.role),
        created_at=row.created_at,
        password_changed_at=row.password_changed_at,
        must_change_password=bool(row.must_change_password),
        disabled=bool(row.disabled),
        failed_logins=row.failed_logins,
        locked_until=row.locked_until,
        last_login=row.last_login,
    )


def _token(row: Any) -> ApiToken:
    return ApiToken(
        id=row.id,
        user=row.user,
        name=row.name,
        role=Role(row.role),
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def _audit(row: Any) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        time=row.time,
        user=row.user,
        address=row.address,
        action=row.action,
        target=row.target,
        outcome=row.outcome,
        detail=row.detail,
        previous=row.previous,
        hash=row.hash,
    )


class AccessStore(SqlStore):
    """``SqlStore`` plus the console's access tables (see the module docstring)."""

    # -- users ------------------------------------------------------------------

    def add_user(self, name: str, role: Role, password_hash: str, now: float, *,
                 must_change: bool) -> bool:  # fmt: skip
        """Create a user; False when the name is taken."""
        u = t.users.c
        with self._write("add a user", "users") as conn:
            if conn.execute(sa.select(u.name).where(u.name == name)).first() is not None:
                return False
            conn.execute(
                t.users.insert().values(
                    name=name,
                    role=role.value,
                    password_hash=password_hash,
                    created_at=now,
                    password_changed_at=now,
                    must_change_password=must_change,
                    disabled=False,
                    failed_logins=0,
                    locked_until=None,
                    last_login=None,
                )
            )
        return True

    def user(self, name: str) -> User | None:
        """The user of that name, or None."""
        with self._read("read a user") as conn:
            row = conn.execute(sa.select(t.users).where(t.users.c.name == name)).first()
        return None if row is None else _user(row)

    def password_hash(self, name: str) -> str | None:
        """The stored argon2 hash of a user's password (None: no such user)."""
        u = t.users.c
        with self._read("read a password hash") as conn:
            value = conn.execute(sa.select(u.password_hash).where(u.name == name)).scalar()
        return None if value is None else str(value)

    def users(self) -> list[User]:
        """Every user, by name."""
        with self._read("list users") as conn:
            rows = conn.execute(sa.select(t.users).order_by(t.users.c.name)).all()
        return [_user(r) for r in rows]

    def count_users(self) -> int:
        """How many users exist."""
        with self._read("count users") as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(t.users)).scalar_one())

    def update_user(self, name: str, **values: object) -> bool:
        """Change some of a user's columns (``_USER_FIELDS``); False when there is no such user."""
        unknown = set(values) - _USER_FIELDS
        if unknown:
            raise ValueError(f"not a user field: {', '.join(sorted(unknown))}")
        if "role" in values and isinstance(values["role"], Role):
            values["role"] = values["role"].value
        with self._write("change a user", "users") as conn:
            done = conn.execute(t.users.update().where(t.users.c.name == name).values(**values))
        return done.rowcount > 0

    def count_failure(self, name: str, now: float, lock_after: int, lock_for: float) -> User | None:
        """Count a failed password for a user, locking it at ``lock_after`` in a row."""
        u = t.users.c
        with self._write("count a failed login", "users") as conn:
            row = conn.execute(sa.select(t.users).where(u.name == name)).first()
            if row is None:
                return None
            failed = row.failed_logins + 1
            values: dict[str, object] = {"failed_logins": failed}
            if failed >= lock_after:
                values["locked_until"] = now + lock_for
            conn.execute(t.users.update().where(u.name == name).values(**values))
            row = conn.execute(sa.select(t.users).where(u.name == name)).one()
        return _user(row)

    def delete_user(self, name: str) -> bool:
        """Delete a user with its tokens and sessions; False when there was none."""
        with self._write("delete a user", "users") as conn:
            conn.execute(t.api_tokens.delete().where(t.api_tokens.c.user == name))
            conn.execute(t.web_sessions.delete().where(t.web_sessions.c.user == name))
            done = conn.execute(t.users.delete().where(t.users.c.name == name))
        return done.rowcount > 0

    # -- failed logins by address ----------------------------------------------

    def record_login_failure(self, address: str, user: str, now: float, keep: float) -> int:
        """Record a failed login from ``address``; the failures from it in the last ``keep`` s.

        Rows older than ``keep`` are pruned in the same transaction.
        """
        f = t.login_failures.c
        with self._write("record a failed login", "login_failures") as conn:
            conn.execute(t.login_failures.delete().where(f.time < now - keep))
            conn.execute(t.login_failures.insert().values(time=now, address=address, user=user))
            return int(
                conn.execute(
                    sa.select(sa.func.count()).where(f.address == address, f.time >= now - keep)
                ).scalar_one()
            )

    def login_failures_since(self, address: str, since: float) -> int:
        """Failed logins from ``address`` at or after ``since``."""
        f = t.login_failures.c
        with self._read("count failed logins") as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).where(f.address == address, f.time >= since)
                ).scalar_one()
            )

    # -- API tokens --------------------------------------------------------------

    def add_token(self, token: ApiToken, secret_hash: str) -> None:
        """Store a new token (its secret's hash, never the secret)."""
        with self._write("add an API token", "users") as conn:
            conn.execute(
                t.api_tokens.insert().values(
                    id=token.id,
                    user=token.user,
                    name=token.name,
                    role=token.role.value,
                    secret_hash=secret_hash,
                    created_at=token.created_at,
                    expires_at=token.expires_at,
                    last_used_at=None,
                    revoked_at=None,
                )
            )

    def token(self, token_id: str) -> tuple[ApiToken, str] | None:
        """A token and its secret's hash, by public id."""
        with self._read("read an API token") as conn:
            row = conn.execute(sa.select(t.api_tokens).where(t.api_tokens.c.id == token_id)).first()
        return None if row is None else (_token(row), str(row.secret_hash))

    def tokens(self, user: str | None = None) -> list[ApiToken]:
        """Every token (of one user), newest first."""
        k = t.api_tokens.c
        query = sa.select(t.api_tokens).order_by(k.created_at.desc(), k.id)
        if user is not None:
            query = query.where(k.user == user)
        with self._read("list API tokens") as conn:
            return [_token(r) for r in conn.execute(query).all()]

    def touch_token(self, token_id: str, now: float) -> None:
        """Note a token's use."""
        k = t.api_tokens.c
        with self._write("note an API token's use", "tokens") as conn:
            conn.execute(t.api_tokens.update().where(k.id == token_id).values(last_used_at=now))

    def revoke_token(self, token_id: str, now: float) -> bool:
        """Revoke a token; False when there is no such token or it was revoked already."""
        k = t.api_tokens.c
        with self._write("revoke an API token", "users") as conn:
            done = conn.execute(
                t.api_tokens.update()
                .where(k.id == token_id, k.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        return done.rowcount > 0

    # -- browser sessions ------------------------------------------------------

    def add_session(self, token_hash: str, session: WebSession) -> None:
        """Store a signed-in browser's session (the cookie's hash)."""
        with self._write("open a session", "sessions") as conn:
            conn.execute(
                t.web_sessions.insert().values(
                    token_hash=token_hash,
                    user=session.user,
                    csrf=session.csrf,
                    created_at=session.created_at,
                    last_seen=session.last_seen,
                    expires_at=session.expires_at,
                    address=session.address,
                )
            )

    def session(self, token_hash: str) -> WebSession | None:
        """The session of a cookie's hash, or None."""
        s = t.web_sessions.c
        with self._read("read a session") as conn:
            row = conn.execute(sa.select(t.web_sessions).where(s.token_hash == token_hash)).first()
        if row is None:
            return None
        return WebSession(
            user=row.user,
            csrf=row.csrf,
            created_at=row.created_at,
            last_seen=row.last_seen,
            expires_at=row.expires_at,
            address=row.address,
        )

    def touch_session(self, token_hash: str, now: float) -> None:
        """Note a session's activity (idle timeout counts from here)."""
        s = t.web_sessions.c
        with self._write("note a session's activity", "sessions") as conn:
            conn.execute(
                t.web_sessions.update().where(s.token_hash == token_hash).values(last_seen=now)
            )

    def end_session(self, token_hash: str) -> bool:
        """Sign a browser out; False when it had no session."""
        s = t.web_sessions.c
        with self._write("end a session", "sessions") as conn:
            done = conn.execute(t.web_sessions.delete().where(s.token_hash == token_hash))
        return done.rowcount > 0

    def end_sessions_of(self, user: str) -> int:
        """Sign every browser of a user out (password changed, user disabled)."""
        with self._write("end a user's sessions", "sessions") as conn:
            done = conn.execute(t.web_sessions.delete().where(t.web_sessions.c.user == user))
        return int(done.rowcount)

    def prune_sessions(self, now: float, idle: float) -> int:
        """Delete sessions expired at ``now`` or idle for ``idle`` seconds."""
        s = t.web_sessions.c
        with self._write("prune sessions", "sessions") as conn:
            done = conn.execute(
                t.web_sessions.delete().where(
                    sa.or_(s.expires_at <= now, s.last_seen <= now - idle)
                )
            )
        return int(done.rowcount)

    # -- the audit trail -----------------------------------------------------------

    def append_audit(
        self,
        time: float,
        user: str,
        address: str,
        action: str,
        target: str,
        outcome: str,
        detail: str,
    ) -> AuditEntry:
        """Append an entry, chained to the last one; returns it with its hash."""
        a = t.audit_log.c
        with self._write("append to the audit log", "audit") as conn:
            last = conn.execute(sa.select(a.seq, a.hash).order_by(a.seq.desc()).limit(1)).first()
            seq, previous = (1, GENESIS) if last is None else (last.seq + 1, last.hash)
            digest = audit_hash(previous, seq, time, user, address, action, target, outcome, detail)
            entry = AuditEntry(
                seq, time, user, address, action, target, outcome, detail, previous, digest
            )
            conn.execute(
                t.audit_log.insert().values(
                    seq=seq,
                    time=time,
                    user=user,
                    address=address,
                    action=action,
                    target=target,
                    outcome=outcome,
                    detail=detail,
                    previous=previous,
                    hash=digest,
                )
            )
        return entry

    def audit_entries(
        self,
        limit: int = 100,
        *,
        user: str | None = None,
        action: str | None = None,
        since: float | None = None,
        before_seq: int | None = None,
    ) -> list[AuditEntry]:
        """The newest entries first, filtered by user, action prefix and time."""
        a = t.audit_log.c
        query = sa.select(t.audit_log).order_by(a.seq.desc()).limit(limit)
        if user is not None:
            query = query.where(a.user == user)
        if action is not None:
            query = query.where(a.action.startswith(action, autoescape=True))
        if since is not None:
            query = query.where(a.time >= since)
        if before_seq is not None:
            query = query.where(a.seq < before_seq)
        with self._read("read the audit log") as conn:
            return [_audit(r) for r in conn.execute(query).all()]

    def audit_chain(self, batch: int = 5000) -> Iterator[AuditEntry]:
        """Every entry in order, oldest first, read in batches (for verification)."""
        a = t.audit_log.c
        after = 0
        while True:
            with self._read("read the audit log") as conn:
                rows = conn.execute(
                    sa.select(t.audit_log).where(a.seq > after).order_by(a.seq).limit(batch)
                ).all()
            if not rows:
                return
            for row in rows:
                yield _audit(row)
            after = rows[-1].seq
