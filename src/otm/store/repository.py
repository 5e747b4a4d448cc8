"""``SqlStore``: the inventory repository on SQLite or PostgreSQL.

Implements ``otm.model.repository.InventoryRepository`` with SQLAlchemy Core
(no ORM objects: rows go in and out as tuples, which is what keeps
a 100k-observation capture and a 100k-link snapshot fast).  Every public
method is one transaction; every database failure comes out as
``StoreError`` after the transaction was rolled back.

A snapshot's rows are built in Python before its transaction opens, so
the write lock is held for the deletes and inserts alone.  Rows go to the
database in bulk (``_insert``).
"""

from __future__ import annotations

import ipaddress
import json
import os
import time
from collections.abc import Callable, Collection, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from types import TracebackType
from typing import Any, Self, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from otm.model.assets import (
    AnomalyCount,
    Asset,
    Component,
    FieldValue,
    Inventory,
    Link,
    Role,
    ServiceUse,
)
from otm.model.plant import PlantConfig
from otm.model.repository import Source
from otm.observations.records import (
    AssetSeen,
    DeviceHealth,
    Evidence,
    Identity,
    Observation,
    TagSample,
)
from otm.observations.serialization import SchemaError, dumps, loads, to_dict
from otm.store import schema as t
from otm.store.engine import WRITE, create_engine, database_url, display, is_sqlite
from otm.store.errors import StoreError, translated
from otm.store.migration import upgrade
from otm.store.plant import plant_config, plant_rows, sections_to_save

BATCH = 5_000
"""Rows per executemany call: a few MB of JSON at most in memory, few round trips."""

_Row = tuple[Any, ...]
_Rows = list[_Row]
_T = TypeVar("_T")


class SqlStore:
    """Sources, observations, the inventory snapshot and the plant configuration in one database.

    ``url`` is an SQLite file path or URL or a PostgreSQL URL (see
    ``otm.store.engine``).  Opening brings the schema to the newest revision.
    Safe to share between threads (each call takes its own pooled
    connection); several processes may use one database, SQLite serialising
    their writes.  Close it (or use it as a context manager) to release the
    connections.
    """

    def __init__(self, url: str | os.PathLike[str]) -> None:
        self._url = database_url(url)
        self._where = display(self._url)
        self._sqlite = is_sqlite(self._url)
        self._engine = create_engine(self._url)
        try:
            with translated("open the database", self._where):
                self.revision = upgrade(self._engine, self._where)
        except BaseException:
            self._engine.dispose()
            raise

    @property
    def url(self) -> str:
        """Where the database is, password hidden."""
        return self._where

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for tests and for services that need SQL of their own."""
        return self._engine

    def close(self) -> None:
        """Release every pooled connection."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- transactions ---------------------------------------------------

    @contextmanager
    def _write(self, action: str, lock: str) -> Iterator[Connection]:
        """A write transaction, serialised with every other writer of ``lock``.

        SQLite's ``BEGIN IMMEDIATE`` serialises all writers anyway.  On
        PostgreSQL a transaction-scoped advisory lock does it: without it two
        snapshot saves could interleave their deletes and inserts (each
        DELETE sees only rows committed when it started) and leave a mix of
        both, and two first stores of one key would race to insert it.
        """
        with translated(action, self._where), self._engine.connect() as conn:
            conn.execution_options(**{WRITE: True})  # in place, for the begin event
            with conn.begin():
                if not self._sqlite:
                    name = sa.literal(f"otm:{lock}", sa.Text)
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(name))))
                yield conn

    @staticmethod
    def _changed(conn: Connection, topic: str) -> None:
        """Raise ``topic``'s revision inside the writing transaction (see ``revisions``)."""
        r = t.store_revisions.c
        now = time.time()
        done = conn.execute(
            t.store_revisions.update()
            .where(r.topic == topic)
            .values(revision=r.revision + 1, updated_at=now)
        )
        if done.rowcount == 0:
            conn.execute(t.store_revisions.insert().values(topic=topic, revision=1, updated_at=now))

    def revisions(self) -> dict[str, int]:
        """Each topic's revision (``inventory``, ``plant``, ``alerts``, ``health``, ``vulns``):
        a changed number means the topic changed; a topic never changed is absent."""
        r = t.store_revisions.c
        with self._read("read the revisions") as conn:
            return {str(k): int(v) for k, v in conn.execute(sa.select(r.topic, r.revision))}

    @contextmanager
    def _read(self, action: str) -> Iterator[Connection]:
        """A read transaction seeing one consistent state of the database."""
        with translated(action, self._where), self._engine.connect() as conn:
            if not self._sqlite:
                # READ COMMITTED would let a snapshot saved between two of
                # our SELECTs mix into the result; SQLite's WAL read
                # transaction is a snapshot already.
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    # -- sources and observations ------------------------------------------

    def find_source(self, key: str) -> Source | None:
        """The source with this key, if stored."""
        with self._read("read the sources") as conn:
            row = conn.execute(_SOURCE_SELECT.where(t.sources.c.key == key)).first()
        return None if row is None else Source(*row)

    def sources(self) -> list[Source]:
        """All stored sources, in the order they were first stored.

        A source stored again under the same key keeps its place (and its
        id), so that replaying all observations gives the same order.
        """
        with self._read("read the sources") as conn:
            rows = conn.execute(_SOURCE_SELECT.order_by(t.sources.c.id)).all()
        return [Source(*row) for row in rows]

    def put_source(
        self,
        kind: str,
        key: str,
        ref: str,
        packets: int,
        observations: Iterable[Observation],
        added_at: float,
        error: str | None = None,
    ) -> Source:
        """Store a source and its observations, replacing any earlier ones with the key.

        One transaction: if the iterable raises (its exception propagates
        unchanged) or the database fails (``StoreError``), the previously
        stored observations of the key are intact.  The iterable is consumed
        in batches of ``BATCH``, never held whole in memory; the transaction
        (on SQLite, the database's write lock) lasts as long as the iterable
        takes, so pass a list when other writers must not wait for a slow one.
        """
        src = t.sources.c
        with self._write("store the source", f"source:{key}") as conn:
            found = conn.execute(sa.select(src.id).where(src.key == key)).scalar()
            values = {
                "kind": kind,
                "ref": ref,
                "packets": packets,
                "observations": 0,
                "added_at": added_at,
                "error": error,
            }
            if found is None:
                source_id = conn.execute(
                    t.sources.insert().values(key=key, **values).returning(src.id)
                ).scalar_one()
            else:
                source_id = int(found)
                conn.execute(t.observations.delete().where(t.observations.c.source_id == found))
                conn.execute(t.sources.update().where(src.id == found).values(**values))
            count = 0
            rows = _observation_rows(source_id, observations)
            while batch := list(islice(rows, BATCH)):
                _insert(conn, t.observations, batch)
                count += len(batch)
            conn.execute(t.sources.update().where(src.id == source_id).values(observations=count))
        return Source(source_id, kind, key, ref, packets, count, added_at, error)

    def append_observations(
        self,
        kind: str,
        key: str,
        ref: str,
        packets: int,
        observations: Iterable[Observation],
        added_at: float,
        error: str | None = None,
    ) -> Source:
        """Add observations after those a source already has (one transaction).

        For sources that grow while otm runs (a live interface): each
        checkpoint's observations are deltas, appended in order, so replaying
        the source gives the same inventory as the running sensor holds.
        """
        src = t.sources.c
        with self._write("append to the source", f"source:{key}") as conn:
            row = conn.execute(sa.select(src.id, src.observations).where(src.key == key)).first()
            values = {"kind": kind, "ref": ref, "packets": packets, "error": error}
            if row is None:
                source_id = conn.execute(
                    t.sources.insert()
                    .values(key=key, observations=0, added_at=added_at, **values)
                    .returning(src.id)
                ).scalar_one()
                start = 0
            else:
                source_id, start = int(row[0]), int(row[1])
            count = start
            rows = _observation_rows(source_id, observations, start)
            while batch := list(islice(rows, BATCH)):
                _insert(conn, t.observations, batch)
                count += len(batch)
            conn.execute(
                t.sources.update().where(src.id == source_id).values(observations=count, **values)
            )
            first_added = conn.execute(
                sa.select(src.added_at).where(src.id == source_id)
            ).scalar_one()
        return Source(source_id, kind, key, ref, packets, count, float(first_added), error)

    def observations(self) -> Generator[Observation, None, None]:
        """Every stored observation, by source (in ``sources()`` order) then as emitted.

        Streams: rows are fetched ``BATCH`` at a time (a server-side cursor
        on PostgreSQL) from one read transaction, which sees the database as
        it was at the first row and stays open until the generator is
        exhausted or closed (``close()`` it when stopping early).
        """
        obs = t.observations.c
        query = sa.select(obs.source_id, obs.seq, obs.body).order_by(obs.source_id, obs.seq)
        with self._read("read the observations") as conn:
            result = conn.execution_options(yield_per=BATCH).execute(query)
            for source_id, seq, body in result:
                try:
                    yield loads(body)
                except SchemaError as exc:
                    raise StoreError(
                        f"cannot read observation {seq} of source {source_id} in "
                        f"{self._where}: {exc} (written by a newer otm?)"
                    ) from exc

    def observations_of(self, key: str, start: int = 0) -> list[Observation]:
        """The observations of one source, as emitted, from its ``start``-th on.

        ``start`` lets a reader of a growing source (a live interface) take
        only what was appended since it last read.  Raises ``StoreError``
        for a source that is not stored.
        """
        obs = t.observations.c
        src = t.sources.c
        with self._read("read a source's observations") as conn:
            source_id = conn.execute(sa.select(src.id).where(src.key == key)).scalar()
            if source_id is None:
                raise StoreError(f"no source {key!r} in {self._where}")
            rows = conn.execute(
                sa.select(obs.seq, obs.body)
                .where(obs.source_id == source_id, obs.seq >= start)
                .order_by(obs.seq)
            ).all()
        out: list[Observation] = []
        for seq, body in rows:
            try:
                out.append(loads(body))
            except SchemaError as exc:
                raise StoreError(
                    f"cannot read observation {seq} of source {key} in {self._where}: {exc} "
                    "(written by a newer otm?)"
                ) from exc
        return out

    # -- inventory snapshot -------------------------------------------------

    def save_inventory(self, inventory: Inventory) -> None:
        """Replace the stored snapshot with this one, atomically.

        Raises ``ValueError`` (before touching the database) when a dict key
        of the inventory disagrees with its object (``assets[k].id != k``
        and the like): the snapshot stores the objects and rebuilds the keys.
        """
        rows = _snapshot_rows(inventory)
        with self._write("save the inventory", "snapshot") as conn:
            for table in reversed(t.SNAPSHOT_TABLES):
                conn.execute(table.delete())
            for table in t.SNAPSHOT_TABLES:
                _insert(conn, table, rows[table.name])
            self._changed(conn, "inventory")

    def load_inventory(self) -> Inventory:
        """The stored snapshot (empty if none), equal to the one saved."""
        with self._read("load the inventory") as conn:
            return _decoded(
                self._where,
                lambda: Inventory(
                    assets=_load_assets(conn, None),
                    links={link.key: link for link in _load_links(conn)},
                    anomalies={(a.protocol, a.kind, a.ip): a for a in _load_anomalies(conn)},
                ),
            )

    def assets(self) -> list[Asset]:
        """Every asset of the snapshot, by lowest IP (numerically) then id.

        IPv4 before IPv6; assets without a parseable IP come last.
        """
        with self._read("read the assets") as conn:
            found = _decoded(self._where, lambda: _load_assets(conn, None))
        return sorted(found.values(), key=_asset_order)

    def asset(self, ref: str) -> Asset | None:
        """One asset by id, else by IP or MAC address (case-insensitive).

        When several assets hold the address, the first in inventory order,
        as ``Inventory.find`` would answer.
        """
        a, addr = t.assets.c, t.asset_addresses.c
        with self._read("read the asset") as conn:
            found = conn.execute(sa.select(a.id).where(a.id == ref)).scalar()
            if found is None:
                found = conn.execute(
                    sa.select(a.id)
                    .join(t.asset_addresses, addr.asset_id == a.id)
                    .where(addr.kind.in_(("ip", "mac")), addr.value.in_({ref, ref.lower()}))
                    .order_by(a.pos)
                    .limit(1)
                ).scalar()
            if found is None:
                return None
            one = _decoded(self._where, lambda: _load_assets(conn, [found]))
        return one.get(found)

    def links(self) -> list[Link]:
        """Every link of the snapshot, in inventory order."""
        with self._read("read the links") as conn:
            return _decoded(self._where, lambda: _load_links(conn))

    # -- plant configuration ---------------------------------------------------

    def save_plant_config(
        self, config: PlantConfig, sections: Collection[str] | None = None
    ) -> None:
        """Replace the stored plant configuration, or only the named sections of it.

        ``sections`` are names from ``otm.model.repository.PLANT_SECTIONS``
        (``ValueError`` for others, before touching the database); the
        sections not named stay as stored.  One transaction.
        """
        names = sections_to_save(sections)
        rows = plant_rows(config, names)
        p = t.plant_sections.c
        with self._write("save the plant configuration", "plant") as conn:
            conn.execute(t.plant_sections.delete().where(p.section.in_(names)))
            _insert(conn, t.plant_sections, rows)
            self._changed(conn, "plant")

    def load_plant_config(self) -> PlantConfig:
        """The stored plant configuration, equal to the one saved (empty if none)."""
        p = t.plant_sections.c
        with self._read("load the plant configuration") as conn:
            rows = [(str(s), str(b)) for s, b in conn.execute(sa.select(p.section, p.body))]
        return plant_config(rows, self._where)


_SOURCE_SELECT = sa.select(
    t.sources.c.id,
    t.sources.c.kind,
    t.sources.c.key,
    t.sources.c.ref,
    t.sources.c.packets,
    t.sources.c.observations,
    t.sources.c.added_at,
    t.sources.c.error,
)
"""Columns in the order of ``Source``'s fields."""


def _insert(conn: Connection, table: sa.Table, rows: Sequence[_Row]) -> None:
    """Insert rows (tuples in the table's column order) in bulk.

    Bypasses SQLAlchemy's per-row parameter handling, which cost twice the
    driver's own time (measured on SQLite: 4.9 s of overhead against 2.3 s
    in ``executemany`` for 560k rows).  PostgreSQL gets ``COPY ... FROM
    STDIN``, about twice as fast as psycopg's pipelined executemany for
    100k observations; SQLite gets the driver's executemany, ``BATCH`` rows
    a call.  Both run inside the caller's transaction.
    """
    if not rows:
        return
    names = [column.name for column in table.columns]
    if len(rows[0]) != len(names):
        raise ValueError(f"{table.name} rows have {len(rows[0])} values for {len(names)} columns")
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in names)
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in names)
    sql = f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({marks})"
    for start in range(0, len(rows), BATCH):
        conn.exec_driver_sql(sql, list(rows[start : start + BATCH]))


_TYPE_NAMES: dict[type[Any], str] = {}
"""Observation class -> serialised type name, learned from ``to_dict``."""


def _observation_rows(
    source_id: int, observations: Iterable[Observation], start: int = 0
) -> Iterator[_Row]:
    """Rows of ``schema.observations``: (source_id, seq, type, time, body)."""
    for seq, obs in enumerate(observations, start):
        name = _TYPE_NAMES.get(type(obs))
        if name is None:
            name = _TYPE_NAMES.setdefault(type(obs), str(to_dict(obs)["type"]))
        time = (
            obs.time
            if isinstance(obs, AssetSeen | Identity | TagSample | DeviceHealth)
            else obs.first_seen
        )
        yield (source_id, seq, name, time, dumps(obs))


# -- snapshot encoding ----------------------------------------------------

_NO_EVIDENCE: tuple[None, None, None, None] = (None, None, None, None)


def _ev(evidence: Evidence) -> tuple[str, str, int | None, str]:
    """The ``evidence_*`` column values (see ``schema.evidence_columns``)."""
    return (evidence.source, evidence.ref, evidence.packet, evidence.message)


def _maybe_ev(evidence: Evidence | None) -> tuple[str | None, str | None, int | None, str | None]:
    return _NO_EVIDENCE if evidence is None else _ev(evidence)


def _encode_value(value: str | int) -> tuple[str, str]:
    """A field value as (text, value_type); see ``schema.asset_fields``."""
    if isinstance(value, int):
        return str(int(value)), "int"  # int(): a bool is stored as 0/1
    if "\x00" in value or not _utf8(value):
        # PostgreSQL text cannot hold NUL, no UTF-8 text a lone surrogate;
        # JSON escapes both (ASCII output).
        return json.dumps(value), "json"
    return value, "str"


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates, e.g. from undecodable file names
        return False
    return True


def _counts_text(counts: dict[str, int]) -> str:
    return json.dumps(counts, ensure_ascii=False, separators=(",", ":"))


def _snapshot_rows(inv: Inventory) -> dict[str, _Rows]:
    """The rows of every snapshot table, by table name, in ``schema`` column order.

    Raises ``ValueError`` when a dict key disagrees with its object.
    """
    out: dict[str, _Rows] = {table.name: [] for table in t.SNAPSHOT_TABLES}
    assets, addresses, components = out["assets"], out["asset_addresses"], out["components"]
    fields, services = out["asset_fields"], out["asset_services"]

    def add_fields(
        asset_id: str, component: str | None, named: dict[str, list[FieldValue]]
    ) -> None:
        # pos numbers every value row (the asset's own fields, then each
        # component's), which restores dict and list order on loading.
        for name, values in named.items():
            for fv in values:
                text, value_type = _encode_value(fv.value)
                row = (asset_id, len(fields), component, name, text, value_type, fv.protocol)
                fields.append((*row, fv.first_seen, fv.last_seen, *_ev(fv.evidence)))

    for pos, (key, asset) in enumerate(inv.assets.items()):
        _same_key(key, asset.id, "asset")
        aid = asset.id
        row = (aid, pos, str(asset.role), asset.role_reason, asset.first_seen, asset.last_seen)
        assets.append((*row, *_maybe_ev(asset.evidence)))
        addresses.extend((aid, "ip", ip) for ip in asset.ips)
        addresses.extend((aid, "mac", mac) for mac in asset.macs)
        addresses.extend((aid, "vlan", str(int(vlan))) for vlan in asset.vlans)
        for cpos, (ckey, comp) in enumerate(asset.components.items()):
            _same_key(ckey, comp.key, "component")
            components.append((aid, comp.key, cpos, comp.first_seen, comp.last_seen))
        add_fields(aid, None, asset.fields)
        for comp in asset.components.values():
            add_fields(aid, comp.key, comp.fields)
        services.extend(
            (aid, spos, s.name, s.role, s.transport, s.port)
            for spos, s in enumerate(asset.services)
        )

    for link_id, (lkey, link) in enumerate(inv.links.items(), 1):
        _same_key(lkey, link.key, "link")
        ident = (link_id, link.client, link.server, link.protocol, link.transport, link.port)
        seen = (link.packets, link.bytes, link.first_seen, link.last_seen)
        counts = (_counts_text(link.operations), _counts_text(link.categories))
        out["links"].append((*ident, *seen, *_maybe_ev(link.evidence), *counts))

    for anomaly_id, (akey, an) in enumerate(inv.anomalies.items(), 1):
        _same_key(akey, (an.protocol, an.kind, an.ip), "anomaly")
        head = (anomaly_id, an.protocol, an.kind, an.ip, an.count, an.first_seen, an.last_seen)
        out["anomalies"].append((*head, *_ev(an.evidence), an.detail))
    return out


def _same_key(key: object, own: object, what: str) -> None:
    if key != own:
        raise ValueError(f"inventory {what} stored under {key!r} but its own key is {own!r}")


# -- snapshot decoding ----------------------------------------------------


def _decoded(where: str, build: Callable[[], _T]) -> _T:
    """Run a decoder; stored data it cannot understand becomes a ``StoreError``."""
    try:
        return build()
    except (ValueError, KeyError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
        raise StoreError(
            f"cannot read the inventory in {where}: unexpected stored data ({exc}); "
            "was it written by a newer otm?"
        ) from exc


class _Evidences:
    """Evidence objects from column values, one object per distinct evidence."""

    def __init__(self) -> None:
        self._seen: dict[tuple[Any, ...], Evidence] = {}

    def get(self, source: str, ref: str, packet: int | None, message: str) -> Evidence:
        key = (source, ref, packet, message)
        out = self._seen.get(key)
        if out is None:
            out = self._seen[key] = Evidence(source, ref, packet, message)
        return out

    def maybe(
        self, source: str | None, ref: str | None, packet: int | None, message: str | None
    ) -> Evidence | None:
        if source is None or ref is None or message is None:
            return None
        return self.get(source, ref, packet, message)


def _evidence_cols(table: sa.Table) -> tuple[sa.Column[Any], ...]:
    c = table.c
    return (c.evidence_source, c.evidence_ref, c.evidence_packet, c.evidence_message)


def _decode_value(text: str, value_type: str) -> str | int:
    if value_type == "str":
        return text
    if value_type == "int":
        return int(text)
    if value_type == "json":
        value = json.loads(text)
        if not isinstance(value, str):
            raise ValueError(f"field value {text[:40]!r} is not a JSON string")
        return value
    raise ValueError(f"unknown field value type {value_type!r}")


def _counts(text: str) -> dict[str, int]:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"counts {text[:40]!r} are not a JSON object")
    return value


def _load_assets(conn: Connection, only: list[str] | None) -> dict[str, Asset]:
    """Assets in inventory order, all of them or those with the ids in ``only``."""

    def rows(table: sa.Table, columns: Sequence[sa.Column[Any]], *order: str) -> Any:
        query = sa.select(*columns).order_by(*(table.c[name] for name in order))
        if only is not None:
            query = query.where((table.c.id if table is t.assets else table.c.asset_id).in_(only))
        return conn.execute(query)

    evidences = _Evidences()
    found: dict[str, Asset] = {}
    a = t.assets.c
    for asset_id, role, reason, first, last, *ev in rows(
        t.assets,
        (a.id, a.role, a.role_reason, a.first_seen, a.last_seen, *_evidence_cols(t.assets)),
        "pos",
    ):
        found[asset_id] = Asset(
            id=asset_id,
            role=Role(role),
            role_reason=reason,
            first_seen=first,
            last_seen=last,
            evidence=evidences.maybe(*ev),
        )
    ad = t.asset_addresses.c
    for asset_id, kind, value in rows(t.asset_addresses, (ad.asset_id, ad.kind, ad.value)):
        asset = found[asset_id]
        if kind == "ip":
            asset.ips.add(value)
        elif kind == "mac":
            asset.macs.add(value)
        else:
            asset.vlans.add(int(value))
    co = t.components.c
    for asset_id, key, first, last in rows(
        t.components, (co.asset_id, co.key, co.first_seen, co.last_seen), "asset_id", "pos"
    ):
        found[asset_id].components[key] = Component(key=key, first_seen=first, last_seen=last)
    f = t.asset_fields.c
    field_columns = (f.asset_id, f.component, f.name, f.value, f.value_type, f.protocol)
    for asset_id, component, name, text, value_type, protocol, first, last, *ev in rows(
        t.asset_fields,
        (*field_columns, f.first_seen, f.last_seen, *_evidence_cols(t.asset_fields)),
        "asset_id",
        "pos",
    ):
        asset = found[asset_id]
        target = asset.fields if component is None else asset.components[component].fields
        target.setdefault(name, []).append(
            FieldValue(_decode_value(text, value_type), evidences.get(*ev), first, last, protocol)
        )
    sv = t.asset_services.c
    for asset_id, name, role, transport, port in rows(
        t.asset_services, (sv.asset_id, sv.name, sv.role, sv.transport, sv.port), "asset_id", "pos"
    ):
        found[asset_id].services.append(ServiceUse(name, role, transport, port))
    return found


def _load_links(conn: Connection) -> list[Link]:
    evidences = _Evidences()
    c = t.links.c
    # The first nine columns in the order of Link's own fields.
    head = (c.client, c.server, c.protocol, c.transport, c.port, c.packets, c.bytes)
    query = sa.select(
        *head, c.first_seen, c.last_seen, c.operations, c.categories, *_evidence_cols(t.links)
    ).order_by(c.id)
    return [
        Link(*row[:9], _counts(row[9]), _counts(row[10]), evidences.maybe(*row[11:]))
        for row in conn.execute(query)
    ]


def _load_anomalies(conn: Connection) -> list[AnomalyCount]:
    evidences = _Evidences()
    c = t.anomalies.c
    head = (c.protocol, c.kind, c.count, c.first_seen, c.last_seen, c.ip, c.detail)
    query = sa.select(*head, *_evidence_cols(t.anomalies)).order_by(c.id)
    return [
        AnomalyCount(protocol, kind, count, first, last, ip, evidences.get(*ev), detail)
        for protocol, kind, count, first, last, ip, detail, *ev in conn.execute(query)
    ]


def _asset_order(asset: Asset) -> tuple[tuple[int, int, str], str]:
    """Sort key: the asset's numerically lowest IP, then its id."""
    keys = [_ip_key(ip) for ip in asset.ips]
    return (min(keys) if keys else (9, 0, ""), asset.id)


def _ip_key(ip: str) -> tuple[int, int, str]:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return (8, 0, ip)  # not an IP: after every real one, by text
    return (address.version, int(address), ip)
