"""Detection: the baseline, the alerts and the analysts' notes on them.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the detection tables."""
    op.create_table(
        "detection_baseline",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sources", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_detection_baseline"),
        comment="The detection baseline (body: JSON of Baseline.to_dict); sources: JSON list "
        "of the source keys learnt from, so a source is learnt once.",
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("rule_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column("technique", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("subjects", sa.Text(), nullable=False),
        sa.Column("first_seen", sa.Double(), nullable=False),
        sa.Column("last_seen", sa.Double(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.CheckConstraint(
            "severity IN ('low', 'medium', 'high', 'critical')", name=op.f("ck_alerts_severity")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'acknowledged', 'closed', 'accepted')",
            name=op.f("ck_alerts_status"),
        ),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        comment="Alerts, one per rule and thing (id: rule id and a hash of the key); subjects "
        "a JSON list of addresses; body the rest (evidence, details, observations) as JSON.",
    )
    op.create_index("ix_alerts_last_seen", "alerts", ["last_seen"])
    op.create_index("ix_alerts_status_severity", "alerts", ["status", "severity"])
    op.create_table(
        "alert_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.Text(), nullable=False),
        sa.Column("time", sa.Double(), nullable=False),
        sa.Column("user", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name="fk_alert_notes_alert_id_alerts", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_alert_notes"),
        comment="What analysts did to an alert: status changes and comments, with who and when.",
    )
    op.create_index("ix_alert_notes_alert_id_time", "alert_notes", ["alert_id", "time"])


def downgrade() -> None:
    """Drop the detection tables."""
    for table in ("alert_notes", "alerts", "detection_baseline"):
        op.drop_table(table)
