"""The historian: tags, raw samples, per-minute and per-hour rollups, retention marks.

On PostgreSQL with the TimescaleDB extension available (listed in
``pg_available_extensions`` and loadable, i.e. in
``shared_preload_libraries``), ``historian_samples`` becomes a hypertable
partitioned on ``time_us`` in one-day chunks.  Anywhere else, or when
creating the extension fails (not preloaded, no privilege), it stays a plain
table: the attempt runs inside a savepoint, so the failure leaves the
migration's transaction usable.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

CHUNK_US = 86_400_000_000
"""TimescaleDB chunk width: one day of microseconds.

1,000 tags polled each second give 86.4 M rows (a few GB with the key)
a day; TimescaleDB advises chunks whose indexes fit in a quarter of
memory, and retention drops whole days.
"""


def _rollup(name: str, width: str) -> None:
    op.create_table(
        name,
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("bucket_us", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("min_value", sa.Double(), nullable=False),
        sa.Column("max_value", sa.Double(), nullable=False),
        sa.Column("sum_value", sa.Double(), nullable=False),
        sa.Column("last_value", sa.Double(), nullable=False),
        sa.Column("last_us", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tag_id"],
            ["historian_tags.id"],
            name=f"fk_{name}_tag_id_historian_tags",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tag_id", "bucket_us", name=f"pk_{name}"),
        sqlite_with_rowid=False,
        comment=f"Per-{width} rollups of the finite numeric samples of good or uncertain "
        "quality; bucket_us is the bucket's start; avg = sum_value / count; last_value is the "
        "value at last_us, the bucket's latest sample.",
    )


def upgrade() -> None:
    """Create the historian's tables; a hypertable where TimescaleDB allows."""
    op.create_table(
        "historian_tags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("asset_ip", sa.Text(), nullable=False),
        sa.Column("tag", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_historian_tags"),
        sa.UniqueConstraint("asset_ip", "tag", name="uq_historian_tags_asset_ip_tag"),
        comment="Tags with stored samples, one row per (device, tag name); id keys the samples.",
    )
    op.create_table(
        "historian_samples",
        sa.Column("tag_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("time_us", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("quality", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint("quality IN (0, 1, 2)", name=op.f("ck_historian_samples_quality")),
        sa.PrimaryKeyConstraint("tag_id", "time_us", name="pk_historian_samples"),
        sqlite_with_rowid=False,
        comment="Raw tag samples, one per (tag, time); value for numbers (bool as 0/1), text "
        "for strings, both NULL for NaN; quality 0 good, 1 uncertain, 2 bad.",
    )
    _rollup("historian_rollup_1m", "minute")
    _rollup("historian_rollup_1h", "hour")
    op.create_table(
        "historian_retention",
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("cutoff_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "level IN ('raw', '1m', '1h')", name=op.f("ck_historian_retention_level")
        ),
        sa.PrimaryKeyConstraint("level", name="pk_historian_retention"),
        comment="Per level, the time before which retention last deleted its rows "
        "(queries choosing a level automatically skip levels cut after the range starts).",
    )
    make_hypertable(op.get_bind())


def timescaledb_listed(conn: Connection) -> bool:
    """Whether the server offers the TimescaleDB extension (PostgreSQL only)."""
    query = sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")
    return conn.execute(query).first() is not None


def make_hypertable(conn: Connection) -> bool:
    """Turn ``historian_samples`` into a hypertable if TimescaleDB can be had.

    Returns whether it did.  ``create_default_indexes`` is off: the primary
    key (tag_id, time_us) already serves every query, and a second index
    on time alone would cost as much to maintain as the table.
    """
    if conn.dialect.name != "postgresql" or not timescaledb_listed(conn):
        return False
    try:
        with conn.begin_nested():
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS timescaledb"))
            conn.execute(
                sa.text(
                    "SELECT create_hypertable('historian_samples', 'time_us', "
                    "chunk_time_interval => CAST(:chunk AS BIGINT), "
                    "create_default_indexes => false, if_not_exists => true)"
                ),
                {"chunk": CHUNK_US},
            )
    except sa.exc.DBAPIError:
        return False
    return True


def downgrade() -> None:
    """Drop the historian's tables (a TimescaleDB extension stays installed)."""
    for table in (
        "historian_retention",
        "historian_rollup_1h",
        "historian_rollup_1m",
        "historian_samples",
        "historian_tags",
    ):
        op.drop_table(table)
