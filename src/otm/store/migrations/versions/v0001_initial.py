"""Initial schema: sources, observations and the inventory snapshot.

Revision ID: 0001
Revises: none
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _time(name: str) -> sa.Column[float]:
    return sa.Column(name, sa.Double(), nullable=False)


def _evidence(*, nullable: bool) -> list[sa.Column[object]]:
    return [
        sa.Column("evidence_source", sa.Text(), nullable=nullable),
        sa.Column("evidence_ref", sa.Text(), nullable=nullable),
        sa.Column("evidence_packet", sa.BigInteger(), nullable=True),
        sa.Column("evidence_message", sa.Text(), nullable=nullable),
    ]


def upgrade() -> None:
    """Create every table of the first schema."""
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("ref", sa.Text(), nullable=False),
        sa.Column("packets", sa.BigInteger(), nullable=False),
        sa.Column("observations", sa.BigInteger(), nullable=False),
        _time("added_at"),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sources"),
        sa.UniqueConstraint("key", name="uq_sources_key"),
        comment="Capture files, interfaces and scans whose observations are stored; "
        "unique by key (a capture's SHA-256).",
    )
    op.create_table(
        "observations",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        _time("time"),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name="fk_observations_source_id_sources",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", "seq", name="pk_observations"),
        comment="Observations of each source in emission order (seq from 0); body is the "
        "canonical JSON line of otm.observations.serialization.",
    )
    op.create_table(
        "assets",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("pos", sa.Integer(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("role_reason", sa.Text(), nullable=False),
        _time("first_seen"),
        _time("last_seen"),
        *_evidence(nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_assets"),
        comment="Inventory snapshot: one row an asset; pos is its order in the inventory.",
    )
    op.create_table(
        "asset_addresses",
        sa.Column("asset_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.CheckConstraint("kind IN ('ip', 'mac', 'vlan')", name="ck_asset_addresses_kind"),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name="fk_asset_addresses_asset_id_assets",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("asset_id", "kind", "value", name="pk_asset_addresses"),
        comment="IP and MAC addresses and VLAN ids (as decimal text) of each asset.",
    )
    op.create_index("ix_asset_addresses_value", "asset_addresses", ["value"])
    op.create_table(
        "components",
        sa.Column("asset_id", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("pos", sa.Integer(), nullable=False),
        _time("first_seen"),
        _time("last_seen"),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name="fk_components_asset_id_assets",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("asset_id", "key", name="pk_components"),
        comment="Modules behind a controller (backplane slot, rack/slot), by key within the asset.",
    )
    op.create_table(
        "asset_fields",
        sa.Column("asset_id", sa.Text(), nullable=False),
        sa.Column("pos", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("component", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("value_type", sa.Text(), nullable=False),
        sa.Column("protocol", sa.Text(), nullable=False),
        _time("first_seen"),
        _time("last_seen"),
        *_evidence(nullable=False),
        sa.CheckConstraint(
            "value_type IN ('str', 'int', 'json')", name="ck_asset_fields_value_type"
        ),
        sa.ForeignKeyConstraint(
            ["asset_id", "component"],
            ["components.asset_id", "components.key"],
            name="fk_asset_fields_asset_id_components",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name="fk_asset_fields_asset_id_assets",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("asset_id", "pos", name="pk_asset_fields"),
        comment="Field values of assets (component NULL) and of their components. "
        "value_type: 'str' the text itself, 'int' decimal text, 'json' a JSON string "
        "(text PostgreSQL cannot hold, e.g. with NUL).",
    )
    op.create_table(
        "asset_services",
        sa.Column("asset_id", sa.Text(), nullable=False),
        sa.Column("pos", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("transport", sa.Text(), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name="fk_asset_services_asset_id_assets",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("asset_id", "pos", name="pk_asset_services"),
        comment="Protocols each asset speaks, as server or client, on a transport and port.",
    )
    op.create_table(
        "links",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("client", sa.Text(), nullable=False),
        sa.Column("server", sa.Text(), nullable=False),
        sa.Column("protocol", sa.Text(), nullable=False),
        sa.Column("transport", sa.Text(), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("packets", sa.BigInteger(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        _time("first_seen"),
        _time("last_seen"),
        *_evidence(nullable=True),
        sa.Column("operations", sa.Text(), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_links"),
        sa.UniqueConstraint(
            "client",
            "server",
            "protocol",
            "transport",
            "port",
            name="uq_links_client_server_protocol_transport_port",
        ),
        comment="Client-to-server communication per protocol; id is the order in the inventory. "
        "operations, categories: JSON objects name -> count, in the inventory's order.",
    )
    op.create_index("ix_links_server", "links", ["server"])
    op.create_table(
        "anomalies",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("protocol", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("ip", sa.Text(), nullable=True),
        sa.Column("count", sa.BigInteger(), nullable=False),
        _time("first_seen"),
        _time("last_seen"),
        *_evidence(nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_anomalies"),
        comment="Parse anomalies counted per (protocol, kind, ip); id is the order in the "
        "inventory.",
    )


def downgrade() -> None:
    """Drop every table, children first."""
    for table in (
        "anomalies",
        "links",
        "asset_services",
        "asset_fields",
        "components",
        "asset_addresses",
        "assets",
        "observations",
        "sources",
    ):
        op.drop_table(table)
