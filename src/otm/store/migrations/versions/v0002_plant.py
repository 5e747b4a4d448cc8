"""The plant configuration: zones, processes, level overrides, tags, names.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``plant_sections``."""
    op.create_table(
        "plant_sections",
        sa.Column("section", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "section IN ('zones', 'processes', 'levels', 'tags', 'names')",
            name="ck_plant_sections_section",
        ),
        sa.PrimaryKeyConstraint("section", name="pk_plant_sections"),
        comment="The user's plant configuration, one row a section of an otm.plant/1 "
        "document; body is that section as JSON (selectors as kind:value text, levels as "
        "text).",
    )


def downgrade() -> None:
    """Drop ``plant_sections``."""
    op.drop_table("plant_sections")
