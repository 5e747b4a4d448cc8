"""The console: users, API tokens, browser sessions, failed logins, the audit trail,
a revision counter per topic; and alerts gain an assignee.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None

_ROLE = "role IN ('viewer', 'operator', 'analyst', 'engineer', 'admin')"


def upgrade() -> None:
    """Create the access tables; add ``alerts.assignee``."""
    op.create_table(
        "users",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("password_changed_at", sa.Double(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.Double(), nullable=True),
        sa.Column("last_login", sa.Double(), nullable=True),
        sa.CheckConstraint(_ROLE, name=op.f("ck_users_role")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_users")),
        comment="Console users: role, argon2 password hash, lockout after failed logins.",
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("user", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("secret_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=True),
        sa.Column("last_used_at", sa.Double(), nullable=True),
        sa.Column("revoked_at", sa.Double(), nullable=True),
        sa.CheckConstraint(_ROLE, name=op.f("ck_api_tokens_role")),
        sa.ForeignKeyConstraint(
            ["user"], ["users.name"], name=op.f("fk_api_tokens_user_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        comment="API tokens for machines: id is the token's public part; secret_hash the "
        "SHA-256 of its secret part; role at most the owner's.",
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column("user", sa.Text(), nullable=False),
        sa.Column("csrf", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Double(), nullable=False),
        sa.Column("last_seen", sa.Double(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user"], ["users.name"], name=op.f("fk_web_sessions_user_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_sessions")),
        comment="Signed-in browsers: token_hash the SHA-256 of the session cookie; csrf the "
        "token state-changing requests must echo.",
    )
    op.create_index(op.f("ix_web_sessions_user"), "web_sessions", ["user"])
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("time", sa.Double(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("user", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
        comment="Failed logins by client address, for rate limiting (old rows are pruned).",
    )
    op.create_index(op.f("ix_login_failures_address_time"), "login_failures", ["address", "time"])
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("time", sa.Double(), nullable=False),
        sa.Column("user", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("previous", sa.Text(), nullable=False),
        sa.Column("hash", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
        comment="Every state-changing request or command: who, from where, what, on what, how "
        "it ended; hash = SHA-256 over previous and the entry, chaining the log.",
    )
    op.create_index(op.f("ix_audit_log_time"), "audit_log", ["time"])
    op.create_table(
        "store_revisions",
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("topic", name=op.f("pk_store_revisions")),
        comment="A counter per topic, raised by every transaction that changes the topic.",
    )
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("assignee", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop the access tables and ``alerts.assignee``."""
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("assignee")
    for table in (
        "store_revisions",
        "audit_log",
        "login_failures",
        "web_sessions",
        "api_tokens",
        "users",
    ):
        op.drop_table(table)
