"""Devices x advisories -> matches, each with a confidence and the reason for it.

For one subject (a device or module, ``subjects.py``) and one advisory:

1. **Vendor.** Only products whose vendor is the subject's (``vendors.py``
   keys) are looked at; no vendor, no match.
2. **Identity** (``identify``): *exact* when an order number is equal, a
   catalog designation of the product is one of the device's whole
   designations (``1756-ENBT`` for ``1756-ENBT/A``; the pattern
   ``CP1L-EL20D□-□`` for ``CP1L-EL20DR-D``), or the device's model name
   stands in the product's name; *family* when every designation group
   of the product name is found among the device's tokens or families
   (``S7-1200`` in ``SIMATIC S7-1200 CPU family``; ``CP1L`` in ``SYSMAC
   CP1L``).  Vetoes first: order numbers that differ, another hardware
   series, another family, a software product.
3. **Version** (``versions.py``): the product's rule on the firmware: in
   range, all versions, out of range (no match), undecidable.
4. **Status.** Per vulnerability: the subject is affected when a product
   it matches is listed affected (``known_affected``, ``first_affected``,
   ``last_affected``) and no product it matches at least as well, with its
   firmware in range, is listed ``fixed``/``first_fixed``/
   ``known_not_affected``.

Confidence (``CONFIDENCE``)::

                  in range   all versions   undecidable
    exact         high       high           medium
    family        medium     low            medium

then one level lower (not below low) when the rule carries a condition otm
cannot check (``All versions with Ethernet interface``) or the vendor is
only the MAC's OUI owner.  A match keeps, per advisory, the best product
entry (its reason), every applicable vulnerability with its best CVSS, and
the remediations of the matched products, vendor fixes first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from otm.model.assets import Asset
from otm.vulns.designations import (
    PLACEHOLDER,
    Designation,
    ProductProfile,
    SubjectProfile,
    product_profile,
    subject_profile,
)
from otm.vulns.families import compact
from otm.vulns.records import Advisory, Product, Remediation, RemediationCategory, Score
from otm.vulns.subjects import Subject, VendorSource, subjects_of
from otm.vulns.vendors import vendor_key
from otm.vulns.versions import Decision, Verdict


class Strength(StrEnum):
    """How well a product entry identifies a subject."""

    EXACT = "exact"
    FAMILY = "family"
    NONE = "none"


class Confidence(StrEnum):
    """How sure a match is; ``rank`` orders them."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """0 for low, 1 for medium, 2 for high."""
        return _RANKS[self]

    def lower(self) -> Confidence:
        """One level down, low staying low."""
        return _BY_RANK[max(0, self.rank - 1)]


_RANKS = {Confidence.LOW: 0, Confidence.MEDIUM: 1, Confidence.HIGH: 2}
_BY_RANK = {rank: c for c, rank in _RANKS.items()}

CONFIDENCE: dict[tuple[Strength, Verdict], Confidence] = {
    (Strength.EXACT, Verdict.IN_RANGE): Confidence.HIGH,
    (Strength.EXACT, Verdict.ALL): Confidence.HIGH,
    (Strength.EXACT, Verdict.UNDECIDABLE): Confidence.MEDIUM,
    (Strength.FAMILY, Verdict.IN_RANGE): Confidence.MEDIUM,
    (Strength.FAMILY, Verdict.ALL): Confidence.LOW,
    (Strength.FAMILY, Verdict.UNDECIDABLE): Confidence.MEDIUM,
}
"""The table of the module docstring."""

REMEDIATION_ORDER = (
    RemediationCategory.VENDOR_FIX,
    RemediationCategory.WORKAROUND,
    RemediationCategory.MITIGATION,
    RemediationCategory.NO_FIX_PLANNED,
    RemediationCategory.NONE_AVAILABLE,
)
"""How remediations are listed: what removes the flaw before what contains it."""


@dataclass(frozen=True)
class Identified:
    """The answer of ``identify``: a strength and why (also why not)."""

    strength: Strength
    why: str


def identify(subject: SubjectProfile, product: ProductProfile) -> Identified:
    """How well a product entry names this device (vendors already agree)."""
    missing = [w for w in product.software if w not in subject.text]
    if missing:
        return Identified(Strength.NONE, f"an application ({missing[0].lower()}), not a device")
    shared_orders = product.order_numbers & subject.order_numbers
    if shared_orders:
        return Identified(Strength.EXACT, f"order number {min(shared_orders)}")
    if product.order_numbers and subject.order_numbers:
        return Identified(
            Strength.NONE,
            f"order number {min(subject.order_numbers)} is not "
            f"{', '.join(sorted(product.order_numbers))}",
        )
    if product.series and subject.series and product.series != subject.series:
        return Identified(
            Strength.NONE, f"series {product.series}, the device is series {subject.series}"
        )
    if product.families and subject.families and not set(product.families) & set(subject.families):
        return Identified(
            Strength.NONE,
            f"family {product.families[0]}, the device is {subject.families[0]}",
        )
    clash = _part_number_clash(subject, product)
    if clash:
        return Identified(Strength.NONE, clash)
    found_main = [next((d for d in g if subject.has(d)), None) for g in product.groups]
    main = bool(product.groups) and all(found_main)
    main_named = main and any(d is not None and not d.numeric for d in found_main)
    found_alt = [d for g in product.alternatives for d in g if subject.has(d) and not d.numeric]
    families = [f for f in product.families if f in subject.families]
    if main or found_alt:
        for designation in product.designations:
            if not designation.numeric and subject.is_whole(designation):
                return Identified(Strength.EXACT, f"catalog number {designation.text}")
    if main_named and _contains(product.tokens, subject.model_tokens):
        model = " ".join(subject.model_tokens)
        if product.order_numbers:
            return Identified(
                Strength.FAMILY,
                f"model name {model}; the advisory names order number "
                f"{', '.join(sorted(product.order_numbers))}, the device's is not known",
            )
        return Identified(Strength.EXACT, f"model name {model}")
    if main_named or found_alt:
        named = [d for d in found_main if d is not None] if main_named else found_alt[:1]
        shown = [d.text for d in named]
        return Identified(Strength.FAMILY, f"designation {', '.join(shown)}")
    if families and not [g for g in product.groups if not any(subject.has(d) for d in g)]:
        return Identified(Strength.FAMILY, f"family {families[0]}")
    return Identified(Strength.NONE, "no designation of the product is the device's")


def _part_number_clash(subject: SubjectProfile, product: ProductProfile) -> str | None:
    """A device part number of the same series as the product's patterns that none fits.

    ``(part numbers BMEP58*S and BMEH58*S)`` names the safety CPUs: a
    ``BMEP582040`` starts like them but is not one of them.
    """
    patterns = [d for g in product.alternatives for d in g if d.pattern is not None]
    if not patterns or any(subject.is_whole(d) for d in patterns):
        return None
    for d in patterns:
        if len(d.prefix) >= 3:
            near = sorted(w for w in subject.whole if w.startswith(d.prefix))
            if near:
                return f"part number {near[0]} is not {' or '.join(p.text for p in patterns)}"
    return None


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    """Whether ``needle`` (with a designation in it) is a run of ``haystack``."""
    if not needle or not any(any(c.isdigit() for c in t) for t in needle):
        return False
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


@dataclass(frozen=True)
class Candidate:
    """A product entry that names the subject, with its verdict on the firmware."""

    product: Product
    identified: Identified
    decision: Decision
    confidence: Confidence
    order: int = 0  # the product's place in the advisory: earlier wins a tie


@dataclass(frozen=True)
class MatchedVulnerability:
    """One vulnerability a match carries, scored for the matched product."""

    cve: str | None
    name: str
    title: str | None
    cwe: tuple[str, str] | None
    summary: str | None
    score: Score | None
    product_id: str
    confidence: Confidence


@dataclass(frozen=True)
class Match:
    """A subject affected by an advisory: how sure, why, and what to do."""

    subject: Subject
    advisory_id: str
    advisory_title: str
    advisory_revision: str
    advisory_url: str | None
    product: Product
    confidence: Confidence
    identified: str
    version: str
    reason: str
    vulnerabilities: tuple[MatchedVulnerability, ...]
    remediations: tuple[Remediation, ...]

    @property
    def cves(self) -> list[str]:
        """The CVE ids, in advisory order."""
        return [v.cve for v in self.vulnerabilities if v.cve]

    @property
    def max_score(self) -> Score | None:
        """The highest CVSS base score among the vulnerabilities."""
        scores = [v.score for v in self.vulnerabilities if v.score is not None]
        return max(scores, key=lambda s: (s.base_score, s.version), default=None)


def _confidence(subject: Subject, identified: Identified, decision: Decision) -> Confidence:
    confidence = CONFIDENCE[(identified.strength, decision.verdict)]
    if decision.condition:
        confidence = confidence.lower()
    if subject.vendor_source is VendorSource.OUI:
        confidence = confidence.lower()
    return confidence


Identifications = list[tuple[int, Product, Identified]]
"""(place in the advisory, product, how it names the device) of the entries that name it."""


def identified_products(subject: Subject, advisory: Advisory) -> Identifications:
    """Product entries of the advisory that name the subject, its firmware aside."""
    key = vendor_key(subject.vendor)
    if key is None:
        return []
    profile = subject_profile(subject)
    out: Identifications = []
    for order, product in enumerate(advisory.products.values()):
        pp = product_profile(product)
        if pp.vendor != key:
            continue
        identified = identify(profile, pp)
        if identified.strength is not Strength.NONE:
            out.append((order, product, identified))
    return out


def candidates(
    subject: Subject, advisory: Advisory, identified: Identifications | None = None
) -> list[Candidate]:
    """Product entries that name the subject, with their verdict on its firmware.

    ``identified`` is ``identified_products(subject, advisory)`` when the
    caller has it already (it does not depend on the firmware).
    """
    if identified is None:
        identified = identified_products(subject, advisory)
    out: list[Candidate] = []
    for order, product, how in identified:
        decision = (
            product.version.decide(subject.firmware)
            if product.version is not None
            else Decision(Verdict.ALL, "the product names no version")
        )
        confidence = _confidence(subject, how, decision) if decision.possible else Confidence.LOW
        out.append(Candidate(product, how, decision, confidence, order))
    return out


_STRENGTH_RANK = {Strength.EXACT: 2, Strength.FAMILY: 1, Strength.NONE: 0}


def match_advisory(
    subject: Subject, advisory: Advisory, identified: Identifications | None = None
) -> Match | None:
    """The subject's match with one advisory, or None (see the module docstring)."""
    found = candidates(subject, advisory, identified)
    if not found:
        return None
    possible = [c for c in found if c.decision.possible]
    cleared = [c for c in found if c.decision.certain]
    by_id = {c.product.product_id: c for c in possible}
    applicable: list[tuple[MatchedVulnerability, Candidate]] = []
    remediations: dict[tuple[str, str, str | None], Remediation] = {}
    for vuln in advisory.vulnerabilities:
        affected = [by_id[p] for p in vuln.affected() if p in by_id]
        if not affected:
            continue
        best = max(affected, key=_candidate_rank)
        clearing = vuln.cleared()
        if any(
            c.product.product_id in clearing
            and _STRENGTH_RANK[c.identified.strength] >= _STRENGTH_RANK[best.identified.strength]
            for c in cleared
        ):
            continue
        ids = frozenset(c.product.product_id for c in affected)
        applicable.append(
            (
                MatchedVulnerability(
                    cve=vuln.cve,
                    name=vuln.name,
                    title=vuln.title,
                    cwe=vuln.cwe,
                    summary=vuln.summary,
                    score=vuln.best_score(ids),
                    product_id=best.product.product_id,
                    confidence=best.confidence,
                ),
                best,
            )
        )
        for rem in vuln.remediations:
            if not rem.products or rem.products & ids:
                remediations.setdefault((rem.category.value, rem.details, rem.url), rem)
    if not applicable:
        return None
    best = max((c for _, c in applicable), key=_candidate_rank)
    relevance = _relevance(subject, advisory, found)
    ordered = sorted(
        remediations.values(),
        key=lambda r: (-relevance(r.details), REMEDIATION_ORDER.index(r.category)),
    )
    return Match(
        subject=subject,
        advisory_id=advisory.id,
        advisory_title=advisory.title,
        advisory_revision=advisory.revision,
        advisory_url=advisory.url,
        product=best.product,
        confidence=best.confidence,
        identified=best.identified.why,
        version=best.decision.why,
        reason=_reason(subject, best),
        vulnerabilities=tuple(v for v, _ in applicable),
        remediations=tuple(ordered),
    )


def _relevance(
    subject: Subject, advisory: Advisory, found: list[Candidate]
) -> Callable[[str], int]:
    """How much a remediation's text is about this device: 1 when it names one of
    its designations, -1 when it names only other products of the advisory, else 0.

    CISA attaches every remediation of an advisory to every product (the
    1756-ENBT gets the MicroLogix 1400 firmware advice), so the product ids
    alone do not tell which text to show first.
    """
    profile = subject_profile(subject)
    mine = {
        compact(d.text)
        for c in found
        for d in product_profile(c.product).designations
        if not d.numeric
    }
    mine = {d for d in mine if profile.has(Designation(d))}
    mine |= {w for w in profile.whole if len(w) >= 4} | set(profile.order_numbers)
    others = {
        compact(d.text)
        for p in advisory.products.values()
        for d in product_profile(p).designations
        if d.pattern is None and not d.numeric and not profile.has(d)
    }
    others |= {
        compact(f)
        for p in advisory.products.values()
        for f in product_profile(p).families
        if f not in profile.families
    }
    mine = {m for m in mine if PLACEHOLDER not in m and "*" not in m}

    def score(details: str) -> int:
        text = compact(details)
        if any(m in text for m in mine):
            return 1
        if any(o in text for o in others if len(o) >= 3):
            return -1
        return 0

    return score


def _candidate_rank(c: Candidate) -> tuple[int, int, int, int]:
    certain = 1 if c.decision.certain else 0
    return (c.confidence.rank, _STRENGTH_RANK[c.identified.strength], certain, -c.order)


def _reason(subject: Subject, best: Candidate) -> str:
    source = {
        VendorSource.DEVICE: f"said by the device over {subject.vendor_via}",
        VendorSource.PROTOCOL: f"implied by {subject.vendor_via}",
        VendorSource.OUI: "only its MAC's OUI owner",
        VendorSource.PARENT: f"that of its {subject.vendor_via}",
        None: "unknown",
    }[subject.vendor_source]
    product = best.product
    rule = product.version.describe() if product.version is not None else "no version given"
    text = (
        f"vendor {subject.vendor} ({source}) is {product.vendor}; "
        f"product {product.label!r} [{product.product_id}] by {best.identified.why}; "
        f"version {product.version_text or '-'!r}"
    )
    if rule != best.decision.why:
        text += f" ({rule})"
    text += f": {best.decision.why}"
    if best.decision.condition:
        text += f"; not checked: only {best.decision.condition}"
    return text


def explain(subject: Subject, advisory: Advisory) -> list[tuple[Product, Identified]]:
    """How each product entry of the subject's vendor was judged (tests, debugging)."""
    key = vendor_key(subject.vendor)
    profile = subject_profile(subject)
    return [
        (p, identify(profile, product_profile(p)))
        for p in advisory.products.values()
        if key is not None and product_profile(p).vendor == key
    ]


class Matcher:
    """Advisories ready to be matched many times (profiles and results cached).

    Devices with the same identity (vendor, model, order number, firmware
    ...) get the same matches, so a plant of 500 identical drives costs one
    comparison against each advisory, not 500; devices that differ only in
    firmware share which product entries name them, and only the version
    rules are evaluated again.
    """

    def __init__(self, advisories: Iterable[Advisory]) -> None:
        self.advisories = sorted(advisories, key=lambda a: a.id)
        self._vendors = [
            {product_profile(p).vendor for p in a.products.values()} for a in self.advisories
        ]
        self._cache: dict[tuple[object, ...], list[Match]] = {}
        self._identified: dict[tuple[object, ...], Identifications] = {}

    def match(self, subject: Subject) -> list[Match]:
        """Every advisory's match with the subject, in advisory id order."""
        key = subject.identity_key
        cached = self._cache.get(key)
        if cached is None:
            vendor = vendor_key(subject.vendor)
            cached = []
            for index, (advisory, vendors) in enumerate(
                zip(self.advisories, self._vendors, strict=True)
            ):
                if vendor is None or vendor not in vendors:
                    continue
                device = (subject.device_key, index)
                identified = self._identified.get(device)
                if identified is None:
                    identified = identified_products(subject, advisory)
                    self._identified[device] = identified
                if not identified:
                    continue
                found = match_advisory(subject, advisory, identified)
                if found is not None:
                    cached.append(found)
            self._cache[key] = cached
        return [m if m.subject == subject else replace(m, subject=subject) for m in cached]

    def match_assets(
        self, assets: Iterable[Asset], minimum: Confidence = Confidence.LOW
    ) -> list[Match]:
        """Matches of every asset and module at ``minimum`` confidence or above."""
        out: list[Match] = []
        for asset in assets:
            for subject in subjects_of(asset):
                out.extend(m for m in self.match(subject) if m.confidence.rank >= minimum.rank)
        return sorted(out, key=match_sort_key)


def match_sort_key(m: Match) -> tuple[object, ...]:
    """Most certain and most severe first, then by device and advisory."""
    score = m.max_score
    return (
        -m.confidence.rank,
        -(score.base_score if score else -1.0),
        m.subject.address,
        m.subject.component or "",
        m.advisory_id,
    )
