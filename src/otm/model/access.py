"""Who may use the console and what they may do: roles, users, tokens, sessions, the audit trail.

Roles are ordered; each may do what the roles below it may (an analyst
acknowledges alarms as an operator does):

========== =================================================================
viewer     read everything
operator   acknowledge and shelve alarms, acknowledge alerts
analyst    manage alerts (assign, close, comment), incidents and baselines
engineer   start scans, change tags, zones, processes and the plant file
admin      users, tokens and settings
========== =================================================================

A token carries a role of its own, never above its owner's: a SIEM's
token reads alerts (viewer) even when an admin made it.  These are plain
records the store hands back; hashes of secrets, never the secrets.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """A user's or token's role, least powerful first (see the module docstring)."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ANALYST = "analyst"
    ENGINEER = "engineer"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """0 for viewer ... 4 for admin."""
        return _RANKS[self]

    def allows(self, needed: Role) -> bool:
        """Whether this role may do what ``needed`` may."""
        return self.rank >= needed.rank


_RANKS = {role: rank for rank, role in enumerate(Role)}

ROLE_DUTIES: dict[Role, str] = {
    Role.VIEWER: "read everything",
    Role.OPERATOR: "acknowledge and shelve alarms, acknowledge alerts",
    Role.ANALYST: "manage alerts, incidents and baselines",
    Role.ENGINEER: "scans, tags, zones, processes, the plant file",
    Role.ADMIN: "users, tokens and settings",
}
"""What each role adds to the one below it, as the console and ``otm user`` say it."""


@dataclass(frozen=True)
class User:
    """A console user as stored (the password hash stays in the store)."""

    name: str
    role: Role
    created_at: float
    password_changed_at: float
    must_change_password: bool
    disabled: bool
    failed_logins: int
    locked_until: float | None
    last_login: float | None


@dataclass(frozen=True)
class ApiToken:
    """A machine's credential: its public id, owner, role, life (secret hashed at rest)."""

    id: str
    user: str
    name: str
    role: Role
    created_at: float
    expires_at: float | None
    last_used_at: float | None
    revoked_at: float | None

    def usable(self, now: float) -> bool:
        """Neither revoked nor expired at ``now``."""
        return self.revoked_at is None and (self.expires_at is None or now < self.expires_at)


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: whose, its CSRF token, and its life."""

    user: str
    csrf: str
    created_at: float
    last_seen: float
    expires_at: float
    address: str


@dataclass(frozen=True)
class AuditEntry:
    """One state-changing request or command: who, what, when, from where, how it ended.

    ``hash`` chains the entry to the one before it (``previous``): changing
    or deleting a recorded entry breaks the chain, which ``otm audit
    --verify`` reports.
    """

    seq: int
    time: float
    user: str
    address: str
    action: str
    target: str
    outcome: str
    detail: str
    previous: str
    hash: str


GENESIS = "0" * 64
"""The ``previous`` of the first audit entry."""


def audit_hash(
    previous: str,
    seq: int,
    time: float,
    user: str,
    address: str,
    action: str,
    target: str,
    outcome: str,
    detail: str,
) -> str:
    """The SHA-256 chaining an audit entry to ``previous`` (hex).

    The fields are JSON-encoded as one list, so no choice of field values
    can make two different entries hash alike by shifting a separator.
    """
    body = json.dumps(
        [previous, seq, repr(float(time)), user, address, action, target, outcome, detail],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
