"""Monitoring: device health now and its changes, the alarm engine's state and journal,
operator actions on alarms, monitor runs.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def _evidence() -> list[sa.Column[object]]:
    return [
        sa.Column("evidence_source", sa.Text(), nullable=False),
        sa.Column("evidence_ref", sa.Text(), nullable=False),
        sa.Column("evidence_packet", sa.BigInteger(), nullable=True),
        sa.Column("evidence_message", sa.Text(), nullable=False),
    ]


def upgrade() -> None:
    """Create the monitor's tables."""
    op.create_table(
        "device_health",
        sa.Column("asset_ip", sa.Text(), nullable=False),
        sa.Column("protocol", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("since", sa.Double(), nullable=False),
        sa.Column("time", sa.Double(), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.Column("timeouts", sa.BigInteger(), nullable=False),
        sa.Column("rtt_ms", sa.Double(), nullable=True),
        sa.Column("last_good", sa.Double(), nullable=True),
        *_evidence(),
        sa.CheckConstraint(
            "state IN ('up', 'degraded', 'down')", name=op.f("ck_device_health_state")
        ),
        sa.PrimaryKeyConstraint("asset_ip", name="pk_device_health"),
        comment="Each polled device's latest health report; since is when it entered its "
        "state; the counts are those of the report's interval.",
    )
    op.create_table(
        "health_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("asset_ip", sa.Text(), nullable=False),
        sa.Column("time", sa.Double(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("previous", sa.Text(), nullable=True),
        sa.Column("rtt_ms", sa.Double(), nullable=True),
        sa.Column("errors", sa.BigInteger(), nullable=False),
        sa.Column("timeouts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_health_changes"),
        comment="A device's health entering a state (previous NULL for its first report).",
    )
    op.create_index("ix_health_changes_asset_ip_time", "health_changes", ["asset_ip", "time"])
    op.create_table(
        "alarm_state",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_alarm_state"),
        comment="The alarm engine's state (body: JSON of AlarmEngine.to_dict) with the "
        "otm.alarms/1 text it was built from, so it can be restored without the file.",
    )
    op.create_table(
        "alarm_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("time", sa.Double(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("alarm", sa.Text(), nullable=True),
        sa.Column("occurrence", sa.Text(), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("priority", sa.Text(), nullable=True),
        sa.Column("user", sa.Text(), nullable=True),
        sa.Column("flood", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.CheckConstraint("type IN ('transition', 'flood')", name=op.f("ck_alarm_events_type")),
        sa.PrimaryKeyConstraint("id", name="pk_alarm_events"),
        comment="The alarm journal: every transition, and one row per flood (its end "
        "replaces its start); body is the event as JSON (otm.alarms.events.event_to_dict).",
    )
    op.create_index("ix_alarm_events_time", "alarm_events", ["time"])
    op.create_index("ix_alarm_events_alarm_time", "alarm_events", ["alarm", "time"])
    op.create_table(
        "alarm_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("requested_at", sa.Double(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("alarm", sa.Text(), nullable=False),
        sa.Column("user", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("until", sa.Double(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("done_at", sa.Double(), nullable=True),
        sa.CheckConstraint(
            "action IN ('acknowledge', 'shelve', 'unshelve')", name=op.f("ck_alarm_actions_action")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'done', 'failed')", name=op.f("ck_alarm_actions_status")
        ),
        sa.PrimaryKeyConstraint("id", name="pk_alarm_actions"),
        comment="Operator actions on alarms, taken by whichever process runs the engine "
        "(a monitor, else the command line); result says what came of it.",
    )
    op.create_index("ix_alarm_actions_status_id", "alarm_actions", ["status", "id"])
    op.create_table(
        "monitor_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", sa.Double(), nullable=False),
        sa.Column("heartbeat", sa.Double(), nullable=False),
        sa.Column("stopped_at", sa.Double(), nullable=True),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_monitor_runs"),
        comment="otm monitor runs: a heartbeat every few seconds while running; summary is "
        "JSON counts (samples, alarms, stored) updated with it.",
    )


def downgrade() -> None:
    """Drop the monitor's tables."""
    for table in (
        "monitor_runs",
        "alarm_actions",
        "alarm_events",
        "alarm_state",
        "health_changes",
        "device_health",
    ):
        op.drop_table(table)
