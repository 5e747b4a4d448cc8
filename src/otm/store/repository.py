"""``SqlStore``: the inventory repository on SQLite or PostgreSQL.

Implements ``otm.model.repository.InventoryRepository`` with SQLAlchemy Core
(no ORM objects: rows go in and out as tuples and dicts, which is what keeps
a 100k-observation capture and a 100k-link snapshot fast).  Every public
method is one transaction; every database failure comes out as
``StoreError`` after the transaction was rolled back.

Writes build their rows in Python first and only then open the transaction,
so the write lock is held for the inserts alone.  Rows go to the database in
batches of ``BATCH`` through the driver's executemany.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import islice
from types import TracebackType
from typing import Any, TypeVar

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
from otm.model.repository import Source
from otm.observations.records import (
    AssetSeen,
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

BATCH = 5_000
"""Rows per executemany call: a few MB of JSON at most in memory, few round trips."""

_Row = dict[str, Any]
_Rows = list[_Row]
_T = TypeVar("_T")


class SqlStore:
    """Sources, observations and the inventory snapshot in one SQL database.

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

    def __enter__(self) -> SqlStore:
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
    def _write(self, action: str) -> Iterator[Connection]:
        with translated(action, self._where), self._engine.connect() as conn:
            conn.execution_options(**{WRITE: True})  # in place, for the begin event
            with conn.begin():
                yield conn

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
        in batches of ``BATCH``, never held whole in memory.
        """
        src = t.sources.c
        with self._write("store the source") as conn:
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

    def observations(self) -> Iterator[Observation]:
        """Every stored observation, by source (in ``sources()`` order) then as emitted.

        Streams: rows are fetched ``BATCH`` at a time (a server-side cursor
        on PostgreSQL), and the read transaction stays open until the
        iterator is exhausted or closed.
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

    # -- inventory snapshot -------------------------------------------------

    def save_inventory(self, inventory: Inventory) -> None:
        """Replace the stored snapshot with this one, atomically.

        Raises ``ValueError`` (before touching the database) when a dict key
        of the inventory disagrees with its object (``assets[k].id != k``
        and the like): the snapshot stores the objects and rebuilds the keys.
        """
        rows = _snapshot_rows(inventory)
        with self._write("save the inventory") as conn:
            for table in reversed(t.SNAPSHOT_TABLES):
                conn.execute(table.delete())
            for table in t.SNAPSHOT_TABLES:
                _insert(conn, table, rows[table.name])

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


def _insert(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows in batches of ``BATCH`` (one executemany each)."""
    for start in range(0, len(rows), BATCH):
        conn.execute(table.insert(), list(rows[start : start + BATCH]))


_TYPE_NAMES: dict[type[Any], str] = {}
"""Observation class -> serialised type name, learned from ``to_dict``."""


def _observation_rows(source_id: int, observations: Iterable[Observation]) -> Iterator[_Row]:
    for seq, obs in enumerate(observations):
        name = _TYPE_NAMES.get(type(obs))
        if name is None:
            name = _TYPE_NAMES.setdefault(type(obs), str(to_dict(obs)["type"]))
        time = obs.time if isinstance(obs, AssetSeen | Identity | TagSample) else obs.first_seen
        yield {"source_id": source_id, "seq": seq, "type": name, "time": time, "body": dumps(obs)}


# -- snapshot encoding ----------------------------------------------------


class _EvidenceCodec:
    """Evidence <-> JSON text, memoised: thousands of values share one Evidence."""

    def __init__(self) -> None:
        self._texts: dict[Evidence, str] = {}
        self._objects: dict[str, Evidence] = {}

    def text(self, evidence: Evidence) -> str:
        out = self._texts.get(evidence)
        if out is None:
            out = json.dumps(
                {
                    "source": evidence.source,
                    "ref": evidence.ref,
                    "packet": evidence.packet,
                    "message": evidence.message,
                },
                ensure_ascii=False,
                separators=(",", ":"),
            )
            self._texts[evidence] = out
        return out

    def maybe_text(self, evidence: Evidence | None) -> str | None:
        return None if evidence is None else self.text(evidence)

    def evidence(self, text: str) -> Evidence:
        out = self._objects.get(text)
        if out is None:
            data = json.loads(text)
            out = Evidence(data["source"], data["ref"], data["packet"], data["message"])
            self._objects[text] = out
        return out

    def maybe_evidence(self, text: str | None) -> Evidence | None:
        return None if text is None else self.evidence(text)


def _encode_value(value: str | int) -> tuple[str, str]:
    """A field value as (text, value_type); see ``schema.asset_fields``."""
    if isinstance(value, int):
        return str(int(value)), "int"  # int(): a bool is stored as 0/1
    if "\x00" in value or not _utf8(value):
        return json.dumps(value), "json"
    return value, "str"


def _decode_value(text: str, value_type: str) -> str | int:
    if value_type == "int":
        return int(text)
    if value_type == "json":
        value = json.loads(text)
        if not isinstance(value, str):
            raise ValueError(f"field value {text!r} is not a JSON string")
        return value
    if value_type == "str":
        return text
    raise ValueError(f"unknown field value type {value_type!r}")


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates, e.g. from undecodable file names
        return False
    return True


def _snapshot_rows(inv: Inventory) -> dict[str, _Rows]:
    """The rows of every snapshot table, by table name."""
    codec = _EvidenceCodec()
    out: dict[str, _Rows] = {table.name: [] for table in t.SNAPSHOT_TABLES}
    assets, addresses, components = out["assets"], out["asset_addresses"], out["components"]
    fields, services = out["asset_fields"], out["asset_services"]

    def add_fields(
        asset_id: str, component: str | None, values: dict[str, list[FieldValue]]
    ) -> None:
        for name, field_values in values.items():
            for fv in field_values:
                text, value_type = _encode_value(fv.value)
                fields.append(
                    {
                        "asset_id": asset_id,
                        "pos": len(fields),
                        "component": component,
                        "name": name,
                        "value": text,
                        "value_type": value_type,
                        "protocol": fv.protocol,
                        "first_seen": fv.first_seen,
                        "last_seen": fv.last_seen,
                        "evidence": codec.text(fv.evidence),
                    }
                )

    for pos, (key, asset) in enumerate(inv.assets.items()):
        _same_key(key, asset.id, "asset")
        assets.append(
            {
                "id": asset.id,
                "pos": pos,
                "role": str(asset.role),
                "role_reason": asset.role_reason,
                "first_seen": asset.first_seen,
                "last_seen": asset.last_seen,
                "evidence": codec.maybe_text(asset.evidence),
            }
        )
        for kind, values in (("ip", asset.ips), ("mac", asset.macs)):
            addresses.extend({"asset_id": asset.id, "kind": kind, "value": v} for v in values)
        addresses.extend(
            {"asset_id": asset.id, "kind": "vlan", "value": str(int(v))} for v in asset.vlans
        )
        for cpos, (ckey, comp) in enumerate(asset.components.items()):
            _same_key(ckey, comp.key, "component")
            components.append(
                {
                    "asset_id": asset.id,
                    "key": comp.key,
                    "pos": cpos,
                    "first_seen": comp.first_seen,
                    "last_seen": comp.last_seen,
                }
            )
        add_fields(asset.id, None, asset.fields)
        for comp in asset.components.values():
            add_fields(asset.id, comp.key, comp.fields)
        services.extend(
            {
                "asset_id": asset.id,
                "pos": spos,
                "name": s.name,
                "role": s.role,
                "transport": s.transport,
                "port": s.port,
            }
            for spos, s in enumerate(asset.services)
        )

    links, operations = out["links"], out["link_operations"]
    for link_id, (lkey, link) in enumerate(inv.links.items(), 1):
        _same_key(lkey, link.key, "link")
        links.append(
            {
                "id": link_id,
                "client": link.client,
                "server": link.server,
                "protocol": link.protocol,
                "transport": link.transport,
                "port": link.port,
                "packets": link.packets,
                "bytes": link.bytes,
                "first_seen": link.first_seen,
                "last_seen": link.last_seen,
                "evidence": codec.maybe_text(link.evidence),
            }
        )
        for kind, counts in (("operation", link.operations), ("category", link.categories)):
            operations.extend(
                {"link_id": link_id, "kind": kind, "name": name, "pos": opos, "count": count}
                for opos, (name, count) in enumerate(counts.items())
            )

    for anomaly_id, (akey, an) in enumerate(inv.anomalies.items(), 1):
        _same_key(akey, (an.protocol, an.kind, an.ip), "anomaly")
        out["anomalies"].append(
            {
                "id": anomaly_id,
                "protocol": an.protocol,
                "kind": an.kind,
                "ip": an.ip,
                "count": an.count,
                "first_seen": an.first_seen,
                "last_seen": an.last_seen,
                "evidence": codec.text(an.evidence),
                "detail": an.detail,
            }
        )
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


def _load_assets(conn: Connection, only: list[str] | None) -> dict[str, Asset]:
    """Assets in inventory order, all of them or those with the ids in ``only``."""

    def select(table: sa.Table, *order: str) -> sa.Select[Any]:
        query = sa.select(table).order_by(*(table.c[name] for name in order))
        if only is not None:
            column = table.c.id if table is t.assets else table.c.asset_id
            query = query.where(column.in_(only))
        return query

    codec = _EvidenceCodec()
    found: dict[str, Asset] = {}
    for asset_id, _pos, role, role_reason, first, last, evidence in conn.execute(
        select(t.assets, "pos")
    ):
        found[asset_id] = Asset(
            id=asset_id,
            role=Role(role),
            role_reason=role_reason,
            first_seen=first,
            last_seen=last,
            evidence=codec.maybe_evidence(evidence),
        )
    for asset_id, kind, value in conn.execute(select(t.asset_addresses, "asset_id")):
        asset = found[asset_id]
        if kind == "ip":
            asset.ips.add(value)
        elif kind == "mac":
            asset.macs.add(value)
        else:
            asset.vlans.add(int(value))
    for asset_id, key, _pos, first, last in conn.execute(select(t.components, "asset_id", "pos")):
        found[asset_id].components[key] = Component(key=key, first_seen=first, last_seen=last)
    for row in conn.execute(select(t.asset_fields, "asset_id", "pos")):
        asset_id, _pos, component, name, text, value_type, protocol, first, last, evidence = row
        asset = found[asset_id]
        target = asset.fields if component is None else asset.components[component].fields
        target.setdefault(name, []).append(
            FieldValue(
                value=_decode_value(text, value_type),
                evidence=codec.evidence(evidence),
                first_seen=first,
                last_seen=last,
                protocol=protocol,
            )
        )
    for asset_id, _pos, name, role, transport, port in conn.execute(
        select(t.asset_services, "asset_id", "pos")
    ):
        found[asset_id].services.append(ServiceUse(name, role, transport, port))
    return found


def _load_links(conn: Connection) -> list[Link]:
    codec = _EvidenceCodec()
    by_id: dict[int, Link] = {}
    for row in conn.execute(sa.select(t.links).order_by(t.links.c.id)):
        link_id, client, server, protocol, transport, port, packets, nbytes, first, last, ev = row
        by_id[link_id] = Link(
            client=client,
            server=server,
            protocol=protocol,
            transport=transport,
            port=port,
            packets=packets,
            bytes=nbytes,
            first_seen=first,
            last_seen=last,
            evidence=codec.maybe_evidence(ev),
        )
    ops = t.link_operations.c
    for link_id, kind, name, _pos, count in conn.execute(
        sa.select(t.link_operations).order_by(ops.link_id, ops.kind, ops.pos)
    ):
        link = by_id[link_id]
        counts = link.operations if kind == "operation" else link.categories
        counts[name] = count
    return list(by_id.values())


def _load_anomalies(conn: Connection) -> list[AnomalyCount]:
    codec = _EvidenceCodec()
    return [
        AnomalyCount(
            protocol=protocol,
            kind=kind,
            count=count,
            first_seen=first,
            last_seen=last,
            ip=ip,
            evidence=codec.evidence(evidence),
            detail=detail,
        )
        for _id, protocol, kind, ip, count, first, last, evidence, detail in conn.execute(
            sa.select(t.anomalies).order_by(t.anomalies.c.id)
        )
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
