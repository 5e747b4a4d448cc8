"""What otm keeps of a CSAF advisory: frozen, typed records, no JSON left in them.

One ``Advisory`` per document (unique by ``id``, the tracking id such as
``ICSA-22-104-06``; a later ``revision`` of the same id replaces it).  Its
product tree is flattened into ``Product`` records keyed by CSAF
``product_id``, each with the branch path that led to it (vendor, families,
product name, version text), so a matcher never walks the tree again.
Vulnerabilities refer to products by id, as CSAF does; product groups are
already expanded into ids.  Field meanings follow CSAF 2.0 (OASIS Standard,
18 November 2022), section numbers in the comments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from otm.vulns.versions import VersionRule


class ProductStatus(StrEnum):
    """CSAF 3.2.3.9 product_status lists, as one vulnerability's view of a product."""

    FIRST_AFFECTED = "first_affected"
    FIRST_FIXED = "first_fixed"
    FIXED = "fixed"
    KNOWN_AFFECTED = "known_affected"
    KNOWN_NOT_AFFECTED = "known_not_affected"
    LAST_AFFECTED = "last_affected"
    RECOMMENDED = "recommended"
    UNDER_INVESTIGATION = "under_investigation"


AFFECTED_STATUSES = frozenset(
    {ProductStatus.FIRST_AFFECTED, ProductStatus.KNOWN_AFFECTED, ProductStatus.LAST_AFFECTED}
)
"""Statuses that say a product has the vulnerability."""

CLEARED_STATUSES = frozenset(
    {ProductStatus.FIRST_FIXED, ProductStatus.FIXED, ProductStatus.KNOWN_NOT_AFFECTED}
)
"""Statuses that say a product does not (any more) have it."""


class RemediationCategory(StrEnum):
    """CSAF 3.2.3.12.1 remediation categories."""

    MITIGATION = "mitigation"
    NO_FIX_PLANNED = "no_fix_planned"
    NONE_AVAILABLE = "none_available"
    VENDOR_FIX = "vendor_fix"
    WORKAROUND = "workaround"


@dataclass(frozen=True)
class Identification:
    """CSAF 3.1.3.3 product_identification_helper, the parts a matcher can use."""

    cpe: str | None = None
    purl: str | None = None
    model_numbers: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()
    serial_numbers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Product:
    """One product of the tree (a branch leaf, a full product name or a relationship).

    ``name`` is the CSAF full product name (for people); ``product_name``,
    ``families`` and ``vendor`` come from the branches above it and
    ``version_text`` from its ``product_version``/``product_version_range``
    branch, parsed into ``version``.  A product without a version branch has
    ``version_text`` None and covers every version.
    """

    product_id: str
    name: str
    vendor: str | None = None
    families: tuple[str, ...] = ()
    product_name: str | None = None
    version_text: str | None = None
    version_category: str | None = None
    version: VersionRule | None = None
    identification: Identification = field(default_factory=Identification)
    path: str = ""

    @property
    def label(self) -> str:
        """The product name a person recognises (branch name, else full name)."""
        return self.product_name or self.name


@dataclass(frozen=True)
class Score:
    """A CVSS base score (CSAF 3.2.3.11 ``cvss_v3``; ``cvss_v4`` of CSAF 2.1 too)."""

    version: str
    base_score: float
    severity: str
    vector: str
    products: frozenset[str]


@dataclass(frozen=True)
class Remediation:
    """CSAF 3.2.3.12: what to do, for which products."""

    category: RemediationCategory
    details: str
    products: frozenset[str]
    url: str | None = None
    date: str | None = None


@dataclass(frozen=True)
class Vulnerability:
    """CSAF 3.2.3: one vulnerability and the status of each product for it."""

    cve: str | None
    title: str | None
    cwe: tuple[str, str] | None
    summary: str | None
    status: dict[ProductStatus, frozenset[str]]
    scores: tuple[Score, ...]
    remediations: tuple[Remediation, ...]
    references: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The CVE id, else the title, else a placeholder."""
        return self.cve or self.title or "(unnamed vulnerability)"

    def affected(self) -> frozenset[str]:
        """Product ids with an affected status."""
        return frozenset().union(*(self.status.get(s, frozenset()) for s in AFFECTED_STATUSES))

    def cleared(self) -> frozenset[str]:
        """Product ids with a fixed or not-affected status."""
        return frozenset().union(*(self.status.get(s, frozenset()) for s in CLEARED_STATUSES))

    def best_score(self, product_ids: frozenset[str]) -> Score | None:
        """The highest base score given for any of these products (or for all)."""
        scores = [s for s in self.scores if not s.products or s.products & product_ids]
        return max(scores, key=lambda s: (s.base_score, s.version), default=None)


@dataclass(frozen=True)
class Advisory:
    """One CSAF document (CSAF 3.2.1 document, 3.2.2 product_tree, 3.2.3 vulnerabilities).

    ``revision`` is tracking/version (integer or semantic versioning, 3.1.11);
    release dates are seconds since the epoch, UTC, and their text.
    ``warnings`` lists what was wrong but tolerable (a product id defined
    twice, a status naming an undefined product).
    """

    id: str
    title: str
    publisher: str
    revision: str
    status: str
    initial_release: float
    current_release: float
    initial_release_text: str
    current_release_text: str
    products: dict[str, Product]
    vulnerabilities: tuple[Vulnerability, ...]
    summary: str | None = None
    url: str | None = None
    csaf_version: str = "2.0"
    warnings: tuple[str, ...] = ()

    @property
    def cves(self) -> list[str]:
        """The CVE ids of the advisory, in document order."""
        return [v.cve for v in self.vulnerabilities if v.cve]
