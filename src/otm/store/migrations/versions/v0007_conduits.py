"""The plant configuration gains a section: the conduits allowed between zones.

``plant_sections`` names its sections in a CHECK constraint; this revision
lets ``conduits`` in.  SQLite cannot alter a constraint, so there the table
is copied (Alembic's batch mode, which keeps the named constraints it
reflects); PostgreSQL drops and adds the constraint in place.

Revision 0002 wrote the constraint's name without ``op.f``, so the naming
convention (``schema.NAMING``) prefixed it once more: databases hold
``ck_plant_sections_ck_plant_sections_section``.  This revision drops that
name and creates the one the metadata gives, ``ck_plant_sections_section``;
going down restores 0002's name and sections, deleting the stored conduits
(the older schema has nowhere to keep them).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None

_OLD = "section IN ('zones', 'processes', 'levels', 'tags', 'names')"
_NEW = "section IN ('zones', 'conduits', 'processes', 'levels', 'tags', 'names')"
_OLD_NAME = "ck_plant_sections_ck_plant_sections_section"  # what 0002 created
_NEW_NAME = "ck_plant_sections_section"  # what schema.plant_sections names it


def _replace_check(drop: str, name: str, sql: str) -> None:
    with op.batch_alter_table("plant_sections") as batch:
        batch.drop_constraint(op.f(drop), type_="check")
        batch.create_check_constraint(op.f(name), sql)


def upgrade() -> None:
    """Allow the ``conduits`` section."""
    _replace_check(_OLD_NAME, _NEW_NAME, _NEW)


def downgrade() -> None:
    """Delete the stored conduits and allow only the sections of 0002 again."""
    op.execute("DELETE FROM plant_sections WHERE section = 'conduits'")
    _replace_check(_NEW_NAME, _OLD_NAME, _OLD)
