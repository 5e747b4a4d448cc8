"""Use case: the inventory as the console browses it - one summary row an asset, filtered,
searched, sorted and paged, and the topology graph - fast with tens of thousands of assets.

The console answers many small questions ("page 3 of the PLCs in zone
cell-1, by firmware") about a state that changes a few times a minute at
most.  So it does not ask the database each time: ``CatalogCache`` keeps
one ``Catalog`` built from the stored inventory, plant map, device health
and open alerts, and rebuilds it when the store's revisions of those topics
(``SqlStore.revisions``, one tiny query) say something changed.  A page is
then a filter and a sort over in-memory rows (measured in
``bench/console.py``: 5-30 ms for a page of 100 of 10,000 assets).

Building a catalog of 10,000 assets and 100,000 links takes seconds (loading
the inventory, then the plant map: levels, zones, processes).  Only a change
of the inventory or of the plant file needs that; alerts and device health
change far more often (a running monitor raises the health revision at every
flush), so a change of those only lays the new states over the catalog's rows
(``Catalog.refreshed``: tens of milliseconds).  Parsed advisories are kept
likewise until the ``vulns`` revision changes.

That catalog is some 850,000 objects, and a full run of Python's cyclic
garbage collector walks them all: 0.5 s, at a random request.  So a built
catalog is moved out of the collector's sight (``gc.freeze``), and put back
(``gc.unfreeze``) when the next one is built, so that the old one can go.

``AssetQuery`` is the one definition of the filters: the REST API reads it
from query parameters, the web UI sends those parameters, and
``Catalog.page`` applies it.
"""

from __future__ import annotations

import copy
import gc
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import networkx as nx

from otm.model.assets import Asset, Inventory, Link
from otm.model.plant import PlantConfig, PlantMap
from otm.services import plantdocs
from otm.services import vulns as vuln_service
from otm.services.export import asset_sort_key, ip_sort_key, link_sort_key, vendor_of
from otm.services.hints import view_hints
from otm.services.plant import IMPACT_MODES
from otm.store.combined import Store
from otm.topology.impact import exposure, impact
from otm.topology.plan import plant_view
from otm.vulns.exposure import Hint
from otm.vulns.matching import Confidence, Match, Matcher

SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
"""Alert severities, least urgent first."""

BASE_TOPICS = ("inventory", "plant")
"""Store topics whose change rebuilds a catalog."""

STATE_TOPICS = ("alerts", "health")
"""Store topics whose change only refreshes a catalog's states (``Catalog.refreshed``)."""

TOPICS = BASE_TOPICS + STATE_TOPICS
"""Store topics a catalog is built from."""

SORTS = (
    "address",
    "name",
    "role",
    "vendor",
    "model",
    "firmware",
    "level",
    "zone",
    "last_seen",
    "first_seen",
    "alerts",
)
"""What assets may be sorted by."""

MAX_LIMIT = 1000
"""The largest page."""


@dataclass(frozen=True)
class AssetQuery:
    """Which assets, in which order, which page (the API's and the UI's shared filters).

    ``q`` searches names, addresses, vendor, model, firmware, serial, role,
    zone and protocols (every word must match somewhere, case-insensitive);
    the other filters match a field exactly (case-insensitive).
    """

    q: str = ""
    role: str | None = None
    vendor: str | None = None
    model: str | None = None
    level: str | None = None
    zone: str | None = None
    process: str | None = None
    protocol: str | None = None
    health: str | None = None
    alerted: bool | None = None
    sort: str = "address"
    order: Literal["asc", "desc"] = "asc"
    offset: int = 0
    limit: int = 100


@dataclass(frozen=True)
class AssetSummary:
    """One row of the inventory table."""

    id: str
    name: str
    role: str
    vendor: str | None
    model: str | None
    firmware: str | None
    serial: str | None
    ips: tuple[str, ...]
    macs: tuple[str, ...]
    level: str | None
    zone: str | None
    processes: tuple[str, ...]
    protocols: tuple[str, ...]
    first_seen: float
    last_seen: float
    health: str | None
    open_alerts: int
    worst_alert: str | None
    order: int = 0
    text: str = field(default="", repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (without the search text and the order)."""
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "vendor": self.vendor,
            "model": self.model,
            "firmware": self.firmware,
            "serial": self.serial,
            "ips": list(self.ips),
            "macs": list(self.macs),
            "level": self.level,
            "zone": self.zone,
            "processes": list(self.processes),
            "protocols": list(self.protocols),
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "health": self.health,
            "open_alerts": self.open_alerts,
            "worst_alert": self.worst_alert,
        }


@dataclass(frozen=True)
class Page:
    """A page of assets and how many matched in all."""

    total: int
    items: list[AssetSummary]


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _sort_value(sort: str) -> Callable[[AssetSummary], Any]:
    if sort == "address":
        return lambda s: s.order
    if sort == "alerts":
        return lambda s: (SEVERITY_RANK.get(s.worst_alert or "", -1), s.open_alerts)
    if sort in ("first_seen", "last_seen"):
        return lambda s: getattr(s, sort)
    # Text columns: missing values last in either order is not possible with one key;
    # they sort first ascending, as "" does.
    return lambda s: (getattr(s, sort) or "").lower()


class Catalog:
    """The console's view of one state of the store (see the module docstring)."""

    def __init__(
        self,
        inventory: Inventory,
        config: PlantConfig,
        health: dict[str, str],
        alerts: Iterable[tuple[tuple[str, ...], str]],
        revisions: dict[str, int] | None = None,
    ) -> None:
        self.revisions = dict(revisions or {})
        self.inventory = inventory
        view = plant_view(inventory, config)
        self.view = view
        self.plant: PlantMap = view.plant
        self.graph: nx.DiGraph = view.graph
        self._by_address: dict[str, str] = {}
        for asset in inventory.assets.values():
            for address in (*asset.ips, *asset.macs):
                self._by_address.setdefault(address, asset.id)
        self._links_at: dict[str, list[Link]] = {}
        self._sorted_links: list[Link] | None = None
        for link in inventory.links.values():
            self._links_at.setdefault(link.client, []).append(link)
            if link.server != link.client:
                self._links_at.setdefault(link.server, []).append(link)
        processes: dict[str, set[str]] = {}
        for attachment in self.plant.attachments:
            processes.setdefault(attachment.asset, set()).add(attachment.process)
        ordered = sorted(inventory.assets.values(), key=asset_sort_key)
        self._plain = [self._summary(a, i, processes) for i, a in enumerate(ordered)]
        self.summaries: list[AssetSummary] = []
        self._by_id: dict[str, AssetSummary] = {}
        self._overlay(health, alerts)
        self._hints: list[Hint] | None = None
        self._hints_lock = threading.Lock()

    def refreshed(
        self,
        health: dict[str, str],
        alerts: Iterable[tuple[tuple[str, ...], str]],
        revisions: dict[str, int],
    ) -> Catalog:
        """This catalog with other device health and open alerts, sharing everything
        else: what a change of the ``STATE_TOPICS`` costs (module docstring)."""
        fresh = copy.copy(self)
        fresh.revisions = dict(revisions)
        fresh._overlay(health, alerts)
        return fresh

    def _overlay(
        self, health: dict[str, str], alerts: Iterable[tuple[tuple[str, ...], str]]
    ) -> None:
        """Lay health states and open alerts over the plain rows."""
        open_count: Counter[str] = Counter()
        worst: dict[str, str] = {}
        for subjects, severity in alerts:
            for asset_id in {self._by_address.get(s) for s in subjects} - {None}:
                assert asset_id is not None
                open_count[asset_id] += 1
                if SEVERITY_RANK[severity] > SEVERITY_RANK.get(worst.get(asset_id, ""), -1):
                    worst[asset_id] = severity
        summaries = []
        for plain in self._plain:
            state = next((health[ip] for ip in plain.ips if ip in health), None)
            count, bad = open_count.get(plain.id, 0), worst.get(plain.id)
            if state is None and count == 0 and bad is None:
                summaries.append(plain)
            else:
                summaries.append(replace(plain, health=state, open_alerts=count, worst_alert=bad))
        self.summaries = summaries
        self._by_id = {s.id: s for s in summaries}

    def _summary(self, asset: Asset, order: int, processes: dict[str, set[str]]) -> AssetSummary:
        """An asset's row without health and alerts (``_overlay`` adds them)."""
        vendor, _ = vendor_of(asset)
        placed = self.plant.levels.get(asset.id)
        member = self.plant.membership.get(asset.id)
        ips = tuple(sorted(asset.ips, key=ip_sort_key))
        macs = tuple(sorted(asset.macs))
        protocols = tuple(sorted({s.name for s in asset.services}))
        summary = AssetSummary(
            id=asset.id,
            name=self.plant.names.get(asset.id, asset.id),
            role=asset.role.value,
            vendor=vendor,
            model=_text(asset.value("model")),
            firmware=_text(asset.value("firmware")),
            serial=_text(asset.value("serial")),
            ips=ips,
            macs=macs,
            level=None if placed is None else placed.level.value,
            zone=None if member is None else member.zone,
            processes=tuple(sorted(processes.get(asset.id, ()))),
            protocols=protocols,
            first_seen=asset.first_seen,
            last_seen=asset.last_seen,
            health=None,
            open_alerts=0,
            worst_alert=None,
            order=order,
        )
        words = [
            summary.id,
            summary.name,
            summary.role,
            vendor,
            summary.model,
            summary.firmware,
            summary.serial,
            summary.zone,
            *ips,
            *macs,
            *protocols,
            *summary.processes,
        ]
        text = " ".join(w for w in words if w).lower()
        return replace(summary, text=text)

    # -- questions -------------------------------------------------------------------

    def asset_id(self, ref: str) -> str | None:
        """The id of the asset an id, IP or MAC names."""
        if ref in self._by_id:
            return ref
        return self._by_address.get(ref) or self._by_address.get(ref.lower())

    def summary(self, asset_id: str) -> AssetSummary | None:
        """The row of one asset."""
        return self._by_id.get(asset_id)

    def links(self) -> list[Link]:
        """Every link, by ``link_sort_key`` (sorted once)."""
        if self._sorted_links is None:
            self._sorted_links = sorted(self.inventory.links.values(), key=link_sort_key)
        return self._sorted_links

    def links_of(self, asset_id: str) -> list[Link]:
        """The links one of the asset's addresses is client or server of (``link_sort_key``)."""
        asset = self.inventory.assets[asset_id]
        found = {
            link.key: link
            for address in (*asset.ips, *asset.macs)
            for link in self._links_at.get(address, ())
        }
        return sorted(found.values(), key=link_sort_key)

    def page(self, query: AssetQuery) -> Page:
        """The assets ``query`` asks for (module docstring)."""
        if query.sort not in SORTS:
            raise ValueError(f"cannot sort by {query.sort!r}; one of {', '.join(SORTS)}")
        rows: Iterable[AssetSummary] = self.summaries
        words = query.q.lower().split()
        if words:
            rows = (s for s in rows if all(w in s.text for w in words))
        exact: list[tuple[str, Callable[[AssetSummary], Iterable[str | None]]]] = []
        for value, get in (
            (query.role, lambda s: (s.role,)),
            (query.vendor, lambda s: (s.vendor,)),
            (query.model, lambda s: (s.model,)),
            (query.level, lambda s: (s.level,)),
            (query.zone, lambda s: (s.zone,)),
            (query.process, lambda s: s.processes),
            (query.protocol, lambda s: s.protocols),
            (query.health, lambda s: (s.health,)),
        ):
            if value is not None and value != "":
                exact.append((value.lower(), get))
        if exact:
            rows = (
                s
                for s in rows
                if all(any((v or "").lower() == want for v in get(s)) for want, get in exact)
            )
        if query.alerted is not None:
            rows = (s for s in rows if (s.open_alerts > 0) is query.alerted)
        matched = list(rows)
        if query.sort != "address" or query.order == "desc":
            key = _sort_value(query.sort)
            matched.sort(key=lambda s: (key(s), s.order), reverse=query.order == "desc")
        limit = max(0, min(query.limit, MAX_LIMIT))
        offset = max(0, query.offset)
        return Page(len(matched), matched[offset : offset + limit])

    def counts(self) -> dict[str, dict[str, int]]:
        """Assets by role, level, vendor, zone and health (the dashboard)."""
        out: dict[str, Counter[str]] = {
            k: Counter() for k in ("role", "level", "vendor", "zone", "health")
        }
        for s in self.summaries:
            out["role"][s.role] += 1
            out["level"][s.level or "unknown"] += 1
            out["vendor"][s.vendor or "unknown"] += 1
            out["zone"][s.zone or "none"] += 1
            out["health"][s.health or "not polled"] += 1
        return {k: dict(c.most_common()) for k, c in out.items()}

    def impact(self, asset_id: str, mode: str = "fail") -> dict[str, Any]:
        """What is hit if the asset fails (``fail``) or is cut off (``isolate``), as
        ``plantdocs.impact_doc`` gives it."""
        if mode not in IMPACT_MODES:
            raise ValueError(f"unknown impact mode {mode!r}: {' or '.join(IMPACT_MODES)}")
        return plantdocs.impact_doc(impact(self.graph, self.plant, asset_id, mode))

    def exposure(self, asset_id: str, max_paths: int = 50) -> dict[str, Any]:
        """The paths into the asset from less-trusted zones (``plantdocs.exposure_doc``)."""
        return plantdocs.exposure_doc(exposure(self.graph, self.plant, asset_id, max_paths))

    def hints(self) -> list[Hint]:
        """The exposure hints of this state (``services.hints``), computed once."""
        with self._hints_lock:
            if self._hints is None:
                self._hints = view_hints(self.view)
            return self._hints

    def facets(self) -> dict[str, list[str]]:
        """The values each filter can take (for the UI's choices)."""
        values: dict[str, set[str]] = {
            k: set() for k in ("role", "vendor", "level", "zone", "process", "protocol")
        }
        for s in self.summaries:
            values["role"].add(s.role)
            if s.vendor:
                values["vendor"].add(s.vendor)
            if s.level:
                values["level"].add(s.level)
            if s.zone:
                values["zone"].add(s.zone)
            values["process"].update(s.processes)
            values["protocol"].update(s.protocols)
        return {k: sorted(v) for k, v in values.items()}


def _states(store: Store) -> tuple[dict[str, str], list[tuple[tuple[str, ...], str]]]:
    """Device health by address, and the open alerts' subjects and severity."""
    health = {h.asset_ip: h.state for h in store.health()}
    alerts = [
        (tuple(str(x) for x in a.data.get("subjects", ())), str(a.data["severity"]))
        for a in store.alerts(status=("open", "acknowledged"))
    ]
    return health, alerts


def build_catalog(store: Store) -> Catalog:
    """A catalog of the store's current state."""
    revisions = store.revisions()  # before the data: a change in between rebuilds again
    inventory = store.load_inventory()
    config = store.load_plant_config()
    return Catalog(inventory, config, *_states(store), revisions)


class CatalogCache:
    """One catalog, rebuilt when the store's revisions of ``TOPICS`` change (thread-safe)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._catalog: Catalog | None = None
        self._lock = threading.Lock()
        self._matcher: tuple[int | None, Matcher] | None = None
        self._matcher_lock = threading.Lock()

    def get(self) -> Catalog:
        """The catalog of the store as it is now."""
        revisions = self.store.revisions()
        current = self._catalog
        if current is not None and not _changed(current, revisions, TOPICS):
            return current
        with self._lock:
            current = self._catalog
            revisions = self.store.revisions()  # before the data (see build_catalog)
            if current is None or _changed(current, revisions, BASE_TOPICS):
                gc.unfreeze()  # the catalog being replaced may be collected (module docstring)
                current = self._catalog = build_catalog(self.store)
                gc.freeze()
            elif _changed(current, revisions, STATE_TOPICS):
                current = self._catalog = current.refreshed(*_states(self.store), revisions)
            return current

    def vulnerabilities(self, asset: Asset, minimum: Confidence = Confidence.LOW) -> list[Match]:
        """The stored advisories' matches of one asset; the advisories are parsed once for
        each revision of the ``vulns`` topic (``VulnsError`` as ``load_advisories`` says)."""
        revision = self.store.revisions().get("vulns")
        with self._matcher_lock:
            if self._matcher is None or self._matcher[0] != revision:
                loaded = vuln_service.load_advisories(self.store)
                self._matcher = (revision, Matcher(loaded.advisories))
            matcher = self._matcher[1]
        return matcher.match_assets([asset], minimum)


def _changed(catalog: Catalog, revisions: dict[str, int], topics: Iterable[str]) -> bool:
    return any(catalog.revisions.get(t) != revisions.get(t) for t in topics)
