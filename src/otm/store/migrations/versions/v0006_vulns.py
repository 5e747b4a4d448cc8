"""Known vulnerabilities: the CSAF advisories the user imported.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the advisories table."""
    op.create_table(
        "vuln_advisories",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("publisher", sa.Text(), nullable=False),
        sa.Column("revision", sa.Text(), nullable=False),
        sa.Column("initial_release", sa.Double(), nullable=False),
        sa.Column("current_release", sa.Double(), nullable=False),
        sa.Column("vulnerabilities", sa.Integer(), nullable=False),
        sa.Column("products", sa.Integer(), nullable=False),
        sa.Column("cves", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.Double(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_vuln_advisories"),
        comment="Imported CSAF advisories: one per tracking id (a newer revision replaces "
        "it); cves a JSON list; body the document's JSON text as imported from source.",
    )


def downgrade() -> None:
    """Drop the advisories table."""
    op.drop_table("vuln_advisories")
