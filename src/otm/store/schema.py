"""The tables of the otm database, as SQLAlchemy Core metadata.

Four groups of tables live here:

* **sources and their observations**, the record of what was learned
  (``sources``, ``observations``).  Observations are kept as the canonical
  JSON line of ``otm.observations.serialization`` so that a replay reads back
  exactly what a source emitted; ``type`` and ``time`` are copied out of it
  for queries.
* **the inventory snapshot**, derived state rebuilt from the observations
  and stored whole for fast reads (``assets`` and its child tables,
  ``links``, ``anomalies``).  Saving a snapshot deletes
  and rewrites all of these tables in one transaction.
* **what the user declares about the plant** (``plant_sections``): zones,
  conduits, processes, level overrides, tags and names, one row a section holding
  that section of an ``otm.plant/1`` document as JSON.  Not derived from
  observations, so saving a snapshot leaves it alone.
* **the historian's** tag samples and rollups (``historian_*``, at the end
  of this module, with their own conventions).

Conventions:

* times are float seconds since the Unix epoch, UTC (``DOUBLE PRECISION``),
  as in the observation records;
* the four ``evidence_*`` columns hold one ``otm.observations.Evidence``
  (source, ref, packet, message), queryable as they are ("every field
  learned from this capture"); where evidence is optional, all four are
  NULL for none.  Columns rather than a JSON object, which had to be
  parsed row by row (measured: loading 100k links fell from 3.2 s to 1.8 s);
* a link's operation and category counts are JSON objects on its row rather
  than rows of a child table: a snapshot of 100k links carries some 400k
  such counts, and as rows they tripled the time to save it on PostgreSQL
  (measured: 1.0 s for the links alone against 4.1 s with a child table,
  most of the difference in per-row index and foreign-key upkeep);
* ``pos`` columns keep the order of lists and dicts of the domain objects,
  so that loading a snapshot gives back an equal ``Inventory`` (list order
  is part of dataclass equality) in the same iteration order;
* constraint and index names follow ``NAMING`` so that both backends and
  the Alembic migrations agree on them.

This metadata is the *target* of the migrations in ``migrations/versions``;
the two must agree, which a test checks with Alembic's autogenerate
comparison.  Changing a table here means writing a new migration.
"""

from __future__ import annotations

import sqlalchemy as sa

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Deterministic constraint names (SQLite batch migrations need named constraints)."""

metadata = sa.MetaData(naming_convention=NAMING)


def evidence_columns(*, nullable: bool) -> list[sa.Column[object]]:
    """``evidence_source``, ``evidence_ref``, ``evidence_packet``, ``evidence_message``.

    ``evidence_packet`` is NULL when the evidence names no frame.
    """
    return [
        sa.Column("evidence_source", sa.Text, nullable=nullable),
        sa.Column("evidence_ref", sa.Text, nullable=nullable),
        sa.Column("evidence_packet", sa.BigInteger, nullable=True),
        sa.Column("evidence_message", sa.Text, nullable=nullable),
    ]


Time = sa.Double
"""Seconds since the epoch, UTC; DOUBLE PRECISION keeps microseconds for centuries."""

Count = sa.BigInteger
"""Packet, byte and observation counts outgrow 32 bits on a busy SPAN port."""

sources = sa.Table(
    "sources",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("ref", sa.Text, nullable=False),
    sa.Column("packets", Count, nullable=False),
    sa.Column("observations", Count, nullable=False),
    sa.Column("added_at", Time, nullable=False),
    sa.Column("error", sa.Text, nullable=True),
    sa.UniqueConstraint("key"),
    comment="Capture files, interfaces and scans whose observations are stored; "
    "unique by key (a capture's SHA-256).",
)

observations = sa.Table(
    "observations",
    metadata,
    sa.Column(
        "source_id",
        sa.Integer,
        sa.ForeignKey("sources.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("time", Time, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    comment="Observations of each source in emission order (seq from 0); body is the "
    "canonical JSON line of otm.observations.serialization.",
)

assets = sa.Table(
    "assets",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("pos", sa.Integer, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("role_reason", sa.Text, nullable=False),
    sa.Column("first_seen", Time, nullable=False),
    sa.Column("last_seen", Time, nullable=False),
    *evidence_columns(nullable=True),
    comment="Inventory snapshot: one row an asset; pos is its order in the inventory.",
)

asset_addresses = sa.Table(
    "asset_addresses",
    metadata,
    sa.Column(
        "asset_id",
        sa.Text,
        sa.ForeignKey("assets.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, primary_key=True),
    sa.CheckConstraint("kind IN ('ip', 'mac', 'vlan')", name="kind"),
    sa.Index(None, "value"),
    comment="IP and MAC addresses and VLAN ids (as decimal text) of each asset.",
)

components = sa.Table(
    "components",
    metadata,
    sa.Column(
        "asset_id",
        sa.Text,
        sa.ForeignKey("assets.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("pos", sa.Integer, nullable=False),
    sa.Column("first_seen", Time, nullable=False),
    sa.Column("last_seen", Time, nullable=False),
    comment="Modules behind a controller (backplane slot, rack/slot), by key within the asset.",
)

asset_fields = sa.Table(
    "asset_fields",
    metadata,
    sa.Column(
        "asset_id",
        sa.Text,
        sa.ForeignKey("assets.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("pos", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("component", sa.Text, nullable=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("value_type", sa.Text, nullable=False),
    sa.Column("protocol", sa.Text, nullable=False),
    sa.Column("first_seen", Time, nullable=False),
    sa.Column("last_seen", Time, nullable=False),
    *evidence_columns(nullable=False),
    sa.ForeignKeyConstraint(
        ["asset_id", "component"],
        ["components.asset_id", "components.key"],
        ondelete="CASCADE",
    ),
    sa.CheckConstraint("value_type IN ('str', 'int', 'json')", name="value_type"),
    comment="Field values of assets (component NULL) and of their components. "
    "value_type: 'str' the text itself, 'int' decimal text, 'json' a JSON string "
    "(text PostgreSQL cannot hold, e.g. with NUL).",
)

asset_services = sa.Table(
    "asset_services",
    metadata,
    sa.Column(
        "asset_id",
        sa.Text,
        sa.ForeignKey("assets.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("pos", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("transport", sa.Text, nullable=False),
    sa.Column("port", sa.Integer, nullable=False),
    comment="Protocols each asset speaks, as server or client, on a transport and port.",
)

links = sa.Table(
    "links",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("client", sa.Text, nullable=False),
    sa.Column("server", sa.Text, nullable=False),
    sa.Column("protocol", sa.Text, nullable=False),
    sa.Column("transport", sa.Text, nullable=False),
    sa.Column("port", sa.Integer, nullable=False),
    sa.Column("packets", Count, nullable=False),
    sa.Column("bytes", Count, nullable=False),
    sa.Column("first_seen", Time, nullable=False),
    sa.Column("last_seen", Time, nullable=False),
    *evidence_columns(nullable=True),
    sa.Column("operations", sa.Text, nullable=False),
    sa.Column("categories", sa.Text, nullable=False),
    sa.UniqueConstraint("client", "server", "protocol", "transport", "port"),
    sa.Index(None, "server"),
    comment="Client-to-server communication per protocol; id is the order in the inventory. "
    "operations, categories: JSON objects name -> count, in the inventory's order.",
)

anomalies = sa.Table(
    "anomalies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("protocol", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("ip", sa.Text, nullable=True),
    sa.Column("count", Count, nullable=False),
    sa.Column("first_seen", Time, nullable=False),
    sa.Column("last_seen", Time, nullable=False),
    *evidence_columns(nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    comment="Parse anomalies counted per (protocol, kind, ip); id is the order in the inventory.",
)

SNAPSHOT_TABLES = (
    assets,
    asset_addresses,
    components,
    asset_fields,
    asset_services,
    links,
    anomalies,
)
"""The inventory snapshot's tables, parents before children (insert order)."""

plant_sections = sa.Table(
    "plant_sections",
    metadata,
    sa.Column("section", sa.Text, primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.CheckConstraint(
        "section IN ('zones', 'conduits', 'processes', 'levels', 'tags', 'names')",
        name="section",
    ),
    comment="The user's plant configuration, one row a section of an otm.plant/1 document; "
    "body is that section as JSON (selectors as kind:value text, levels as text).",
)

# -- the historian (``otm.historian``) ----------------------------------------
#
# Tag samples and their rollups, written by ``otm.historian`` and never part
# of the inventory snapshot.  Unlike the tables above, times here are
# integer *microseconds* since the epoch, UTC: TimescaleDB partitions a
# hypertable only on an integer or timestamp column, and an exact integer
# makes (tag, time) a key a repeated write can rely on (a float key breaks
# on the last bit of a time that went through another program).  Rows
# are small and many (86.4 M a day for 1,000 tags polled each second), so
# the sample and rollup tables are SQLite WITHOUT ROWID tables clustered
# on their key (tag, time): the key is the table, not a second b-tree
# next to it, which halves their size, and a tag's range is one seek.

Micros = sa.BigInteger
"""Microseconds since the epoch, UTC (historian tables only)."""

historian_tags = sa.Table(
    "historian_tags",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("asset_ip", sa.Text, nullable=False),
    sa.Column("tag", sa.Text, nullable=False),
    sa.UniqueConstraint("asset_ip", "tag"),
    comment="Tags with stored samples, one row per (device, tag name); id keys the samples.",
)

historian_samples = sa.Table(
    "historian_samples",
    metadata,
    # No foreign key to historian_tags: its check per row cost PostgreSQL's
    # COPY three quarters of its speed (measured: 430k rows/s without, 92k
    # with); the historian writes tag ids it has just read from that table,
    # in the same transaction, and deletes no tags.
    sa.Column("tag_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("time_us", Micros, primary_key=True, autoincrement=False),
    sa.Column("value", sa.Double, nullable=True),
    sa.Column("text", sa.Text, nullable=True),
    sa.Column("quality", sa.SmallInteger, nullable=False),
    sa.CheckConstraint("quality IN (0, 1, 2)", name="quality"),
    sqlite_with_rowid=False,
    comment="Raw tag samples, one per (tag, time); value for numbers (bool as 0/1), text "
    "for strings, both NULL for NaN; quality 0 good, 1 uncertain, 2 bad.",
)


def _rollup_table(name: str, width: str) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column(
            "tag_id",
            sa.Integer,
            sa.ForeignKey("historian_tags.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("bucket_us", Micros, primary_key=True, autoincrement=False),
        sa.Column("count", Count, nullable=False),
        sa.Column("min_value", sa.Double, nullable=False),
        sa.Column("max_value", sa.Double, nullable=False),
        sa.Column("sum_value", sa.Double, nullable=False),
        sa.Column("last_value", sa.Double, nullable=False),
        sa.Column("last_us", Micros, nullable=False),
        sqlite_with_rowid=False,
        comment=f"Per-{width} rollups of the finite numeric samples of good or uncertain "
        "quality; bucket_us is the bucket's start; avg = sum_value / count; last_value is the "
        "value at last_us, the bucket's latest sample.",
    )


historian_rollup_1m = _rollup_table("historian_rollup_1m", "minute")
historian_rollup_1h = _rollup_table("historian_rollup_1h", "hour")

historian_retention = sa.Table(
    "historian_retention",
    metadata,
    sa.Column("level", sa.Text, primary_key=True),
    sa.Column("cutoff_us", Micros, nullable=False),
    sa.CheckConstraint("level IN ('raw', '1m', '1h')", name="level"),
    comment="Per level, the time before which retention last deleted its rows "
    "(queries choosing a level automatically skip levels cut after the range starts).",
)

HISTORIAN_TABLES = (
    historian_tags,
    historian_samples,
    historian_rollup_1m,
    historian_rollup_1h,
    historian_retention,
)
"""The historian's tables, parents before children."""

# -- monitoring (``otm.store.monitoring``) ------------------------------------
#
# What a running ``otm monitor`` knows and the operators do: each polled
# device's health now and its changes of state, the alarm engine's state,
# the alarm journal, operator actions waiting for the engine, and the
# monitor runs themselves (whose heartbeat tells the command line whether
# an engine is running to take an action).  Times are float seconds, as in
# the inventory tables.  Not derived from observations: saving a snapshot
# leaves them alone.

device_health = sa.Table(
    "device_health",
    metadata,
    sa.Column("asset_ip", sa.Text, primary_key=True),
    sa.Column("protocol", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("since", Time, nullable=False),
    sa.Column("time", Time, nullable=False),
    sa.Column("requests", Count, nullable=False),
    sa.Column("errors", Count, nullable=False),
    sa.Column("timeouts", Count, nullable=False),
    sa.Column("rtt_ms", sa.Double, nullable=True),
    sa.Column("last_good", Time, nullable=True),
    *evidence_columns(nullable=False),
    sa.CheckConstraint("state IN ('up', 'degraded', 'down')", name="state"),
    comment="Each polled device's latest health report; since is when it entered its state; "
    "the counts are those of the report's interval.",
)

health_changes = sa.Table(
    "health_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("asset_ip", sa.Text, nullable=False),
    sa.Column("time", Time, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("previous", sa.Text, nullable=True),
    sa.Column("rtt_ms", sa.Double, nullable=True),
    sa.Column("errors", Count, nullable=False),
    sa.Column("timeouts", Count, nullable=False),
    sa.Index(None, "asset_ip", "time"),
    comment="A device's health entering a state (previous NULL for its first report).",
)

alarm_state = sa.Table(
    "alarm_state",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("config", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("updated_at", Time, nullable=False),
    comment="The alarm engine's state (body: JSON of AlarmEngine.to_dict) with the "
    "otm.alarms/1 text it was built from, so it can be restored without the file.",
)

alarm_events = sa.Table(
    "alarm_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("time", Time, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    sa.Column("alarm", sa.Text, nullable=True),
    sa.Column("occurrence", sa.Text, nullable=True),
    sa.Column("before", sa.Text, nullable=True),
    sa.Column("after", sa.Text, nullable=True),
    sa.Column("priority", sa.Text, nullable=True),
    sa.Column("user", sa.Text, nullable=True),
    sa.Column("flood", sa.Integer, nullable=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.CheckConstraint("type IN ('transition', 'flood')", name="type"),
    sa.Index(None, "time"),
    sa.Index(None, "alarm", "time"),
    comment="The alarm journal: every transition, and one row per flood (its end replaces "
    "its start); body is the event as JSON (otm.alarms.events.event_to_dict).",
)

alarm_actions = sa.Table(
    "alarm_actions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("requested_at", Time, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("alarm", sa.Text, nullable=False),
    sa.Column("user", sa.Text, nullable=False),
    sa.Column("comment", sa.Text, nullable=False),
    sa.Column("until", Time, nullable=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("result", sa.Text, nullable=False),
    sa.Column("done_at", Time, nullable=True),
    sa.CheckConstraint("action IN ('acknowledge', 'shelve', 'unshelve')", name="action"),
    sa.CheckConstraint("status IN ('pending', 'done', 'failed')", name="status"),
    sa.Index(None, "status", "id"),
    comment="Operator actions on alarms, taken by whichever process runs the engine "
    "(a monitor, else the command line); result says what came of it.",
)

monitor_runs = sa.Table(
    "monitor_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("started_at", Time, nullable=False),
    sa.Column("heartbeat", Time, nullable=False),
    sa.Column("stopped_at", Time, nullable=True),
    sa.Column("host", sa.Text, nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("tags", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    comment="otm monitor runs: a heartbeat every few seconds while running; summary is "
    "JSON counts (samples, alarms, stored) updated with it.",
)

MONITORING_TABLES = (
    device_health,
    health_changes,
    alarm_state,
    alarm_events,
    alarm_actions,
    monitor_runs,
)
"""The monitor's tables."""

# -- detection (``otm.store.detection``) --------------------------------------
#
# The baseline the detectors compare with (one JSON document, as
# ``otm.detection.Baseline.to_dict`` writes it) and the alerts they raised,
# aggregated (one row per rule and thing, with a count), with the analyst's
# status.  Times are float seconds.  Not derived from observations alone (a
# baseline depends on when learning stopped): saving a snapshot leaves
# them alone.

detection_baseline = sa.Table(
    "detection_baseline",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("sources", sa.Text, nullable=False),
    sa.Column("updated_at", Time, nullable=False),
    comment="The detection baseline (body: JSON of Baseline.to_dict); sources: JSON list of "
    "the source keys learnt from, so a source is learnt once.",
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("rule_id", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("severity", sa.Text, nullable=False),
    sa.Column("technique", sa.Text, nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("subjects", sa.Text, nullable=False),
    sa.Column("first_seen", Time, nullable=False),
    sa.Column("last_seen", Time, nullable=False),
    sa.Column("count", Count, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("updated_at", Time, nullable=False),
    sa.Column("assignee", sa.Text, nullable=True),  # who works on it (revision 0008)
    sa.CheckConstraint("severity IN ('low', 'medium', 'high', 'critical')", name="severity"),
    sa.CheckConstraint("status IN ('open', 'acknowledged', 'closed', 'accepted')", name="status"),
    sa.Index(None, "last_seen"),
    sa.Index(None, "status", "severity"),
    comment="Alerts, one per rule and thing (id: rule id and a hash of the key); subjects a "
    "JSON list of addresses; body the rest (evidence, details, observations) as JSON.",
)

alert_notes = sa.Table(
    "alert_notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.Text, sa.ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("time", Time, nullable=False),
    sa.Column("user", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Index(None, "alert_id", "time"),
    comment="What analysts did to an alert: status changes and comments, with who and when.",
)

DETECTION_TABLES = (detection_baseline, alerts, alert_notes)
"""The detection tables, parents before children."""

# -- known vulnerabilities (``otm.store.vulns``) ------------------------------
#
# CSAF advisories the user imported (``otm vulns import``), one row an
# advisory id holding the document as it came (``body``: the file's text,
# which ``otm.vulns.csaf`` parses again when matching), with the tracking
# facts copied out for listing and for deciding whether a re-import is newer.
# Matches are not stored: they follow from these rows and the inventory
# snapshot, and are recomputed when either changes.  Times are float seconds.

vuln_advisories = sa.Table(
    "vuln_advisories",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("publisher", sa.Text, nullable=False),
    sa.Column("revision", sa.Text, nullable=False),
    sa.Column("initial_release", Time, nullable=False),
    sa.Column("current_release", Time, nullable=False),
    sa.Column("vulnerabilities", sa.Integer, nullable=False),
    sa.Column("products", sa.Integer, nullable=False),
    sa.Column("cves", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("imported_at", Time, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    comment="Imported CSAF advisories: one per tracking id (a newer revision replaces it); "
    "cves a JSON list; body the document's JSON text as imported from source.",
)

VULN_TABLES = (vuln_advisories,)
"""The tables of known vulnerabilities."""

# -- who may use the console (``otm.store.access``) ---------------------------
#
# Users with a role and an argon2 password hash, API tokens (the secret's
# SHA-256, never the secret), browser sessions (the cookie's SHA-256, with
# the CSRF token the pages send back), failed logins for rate limiting, and
# the audit trail of every state-changing request or command, each entry
# chained to the one before by a SHA-256 so that an edit shows.  Times are
# float seconds.

ROLE_CHECK = "role IN ('viewer', 'operator', 'analyst', 'engineer', 'admin')"

users = sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("password_changed_at", Time, nullable=False),
    sa.Column("must_change_password", sa.Boolean, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False),
    sa.Column("failed_logins", sa.Integer, nullable=False),
    sa.Column("locked_until", Time, nullable=True),
    sa.Column("last_login", Time, nullable=True),
    sa.CheckConstraint(ROLE_CHECK, name="role"),
    comment="Console users: role, argon2 password hash, lockout after failed logins.",
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("user", sa.Text, sa.ForeignKey("users.name", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("secret_hash", sa.Text, nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("expires_at", Time, nullable=True),
    sa.Column("last_used_at", Time, nullable=True),
    sa.Column("revoked_at", Time, nullable=True),
    sa.CheckConstraint(ROLE_CHECK, name="role"),
    comment="API tokens for machines: id is the token's public part; secret_hash the SHA-256 "
    "of its secret part; role at most the owner's.",
)

web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("token_hash", sa.Text, primary_key=True),
    sa.Column("user", sa.Text, sa.ForeignKey("users.name", ondelete="CASCADE"), nullable=False),
    sa.Column("csrf", sa.Text, nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("last_seen", Time, nullable=False),
    sa.Column("expires_at", Time, nullable=False),
    sa.Column("address", sa.Text, nullable=False),
    sa.Index(None, "user"),
    comment="Signed-in browsers: token_hash the SHA-256 of the session cookie; csrf the token "
    "state-changing requests must echo.",
)

login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("time", Time, nullable=False),
    sa.Column("address", sa.Text, nullable=False),
    sa.Column("user", sa.Text, nullable=False),
    sa.Index(None, "address", "time"),
    comment="Failed logins by client address, for rate limiting (old rows are pruned).",
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("time", Time, nullable=False),
    sa.Column("user", sa.Text, nullable=False),
    sa.Column("address", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("previous", sa.Text, nullable=False),
    sa.Column("hash", sa.Text, nullable=False),
    sa.Index(None, "time"),
    comment="Every state-changing request or command: who, from where, what, on what, how it "
    "ended; hash = SHA-256 over previous and the entry, chaining the log.",
)

# A counter per topic (inventory, plant, alerts, health, vulns), raised in the
# transaction that changes it: the console asks one small row set whether
# anything changed since it last looked (its caches, its live updates).

store_revisions = sa.Table(
    "store_revisions",
    metadata,
    sa.Column("topic", sa.Text, primary_key=True),
    sa.Column("revision", Count, nullable=False),
    sa.Column("updated_at", Time, nullable=False),
    comment="A counter per topic, raised by every transaction that changes the topic.",
)

ACCESS_TABLES = (users, api_tokens, web_sessions, login_failures, audit_log, store_revisions)
"""The console's access tables, parents before children."""
