"""CSAF 2.0 JSON -> ``Advisory``: the one way an advisory enters otm.

The user brings the files (the plant is air-gapped; CISA publishes its ICS
advisories as CSAF in ``cisagov/CSAF``), so anything may arrive: another
JSON document, a truncated download, an HTML error page, a hand-edited
advisory.  ``parse_advisory`` either returns a complete ``Advisory`` or
raises ``CsafError`` naming the file and the JSON path of the first problem
(``icsa-22-104-06.json: $.vulnerabilities[3].scores[0].cvss_v3.baseScore:
expected a number from 0 to 10``); nothing else escapes, which a
hypothesis test holds it to.

What is required is what otm uses: ``document`` with ``csaf_version``
2.0 (2.1 is read too), ``title``, ``publisher.name`` and ``tracking``
(``id``, ``version``, ``initial_release_date``, ``current_release_date``);
every field present must have its CSAF type.  Tolerated with a warning
(``Advisory.warnings``), because CISA's own documents do it and the rest of
the document is sound: a product id defined twice (the first is kept) and
statuses, scores or remediations naming product ids the tree does not
define (CSAF 6.1.1; they simply never match).

Sections of CSAF 2.0 (OASIS Standard, 18 November 2022) are cited where
their rules are applied.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn

from otm.vulns.records import (
    Advisory,
    Identification,
    Product,
    ProductStatus,
    Remediation,
    RemediationCategory,
    Score,
    Vulnerability,
)
from otm.vulns.versions import parse_rule

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
"""Largest file read as an advisory.  The largest OT advisory of the CISA feed
is about 2 MB (Siemens' multi-product ones); a file 30 times that is not
one, and reading it whole would only cost memory."""

MAX_BRANCH_DEPTH = 32
"""Deepest product-tree branch nesting followed (CSAF sets no limit; the CISA
feed nests 3 deep, vendor feeds 5-6).  A guard against a crafted file."""

CSAF_VERSIONS = ("2.0", "2.1")
"""Versions of the standard read; 2.1 only adds fields (``metrics``, CVSS v4)."""

VERSION_BRANCHES = ("product_version", "product_version_range")
"""Branch categories whose name is a version or a version range (CSAF 3.1.2.3)."""

_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")
_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)


class CsafError(ValueError):
    """A file is not a readable CSAF advisory: which file, where in it, what."""

    def __init__(self, source: str, path: str, message: str) -> None:
        super().__init__(f"{source}: {path}: {message}")
        self.source = source
        self.path = path
        self.message = message


@dataclass
class _Reader:
    """Typed access to the decoded JSON, failing with the JSON path."""

    source: str
    warnings: list[str] = field(default_factory=list)

    def fail(self, path: str, message: str) -> NoReturn:
        raise CsafError(self.source, path, message)

    def obj(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, f"expected an object, found {_kind(value)}")
        return value

    def items(self, value: Any, path: str) -> Iterator[tuple[str, Any]]:
        """(path of item, item) for a JSON array."""
        if not isinstance(value, list):
            self.fail(path, f"expected an array, found {_kind(value)}")
        for index, item in enumerate(value):
            yield f"{path}[{index}]", item

    def text(self, value: Any, path: str) -> str:
        if not isinstance(value, str):
            self.fail(path, f"expected a string, found {_kind(value)}")
        if not value.strip():
            self.fail(path, "expected a non-empty string")
        return value.strip()

    def need(self, parent: dict[str, Any], key: str, path: str) -> Any:
        if key not in parent:
            self.fail(path, f"missing {key!r}")
        return parent[key]

    def opt_text(self, parent: dict[str, Any], key: str, path: str) -> str | None:
        return self.text(parent[key], f"{path}.{key}") if key in parent else None

    def texts(self, parent: dict[str, Any], key: str, path: str) -> tuple[str, ...]:
        if key not in parent:
            return ()
        return tuple(self.text(v, p) for p, v in self.items(parent[key], f"{path}.{key}"))

    def date(self, parent: dict[str, Any], key: str, path: str) -> tuple[float, str]:
        """A CSAF date-time (RFC 3339) as epoch seconds and its text."""
        where = f"{path}.{key}"
        text = self.text(self.need(parent, key, path), where)
        try:
            moment = datetime.fromisoformat(text.replace("z", "Z"))
        except ValueError:
            self.fail(where, f"{text!r} is not an ISO 8601 date-time")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        try:
            return moment.timestamp(), text
        except (OverflowError, OSError, ValueError):
            self.fail(where, f"{text!r} is out of range")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_json(data: bytes | str, source: str) -> Any:
    """Decode the bytes of a file as JSON, or raise ``CsafError`` saying why not."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise CsafError(source, "$", f"larger than {MAX_DOCUMENT_BYTES // 2**20} MiB")
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CsafError(source, "$", f"not UTF-8 text (byte {exc.start})") from None
    else:
        text = data
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise CsafError(
            source, "$", f"not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except ValueError as exc:  # NaN / Infinity, or an integer too long to convert
        raise CsafError(source, "$", f"not JSON: {exc}") from None
    except RecursionError:
        raise CsafError(source, "$", "not JSON otm can read: nested too deeply") from None


def parse_advisory(data: bytes | str, source: str = "<advisory>") -> Advisory:
    """The advisory in a CSAF JSON document (bytes or text); ``CsafError`` otherwise.

    ``source`` names the file in error messages.
    """
    return advisory_from_json(load_json(data, source), source)


def advisory_from_json(doc: Any, source: str = "<advisory>") -> Advisory:
    """The advisory in an already decoded CSAF document; ``CsafError`` otherwise."""
    r = _Reader(source)
    root = r.obj(doc, "$")
    if "document" not in root:
        r.fail("$", "not a CSAF document (no 'document' object)")
    document = r.obj(root["document"], "$.document")
    version = r.text(r.need(document, "csaf_version", "$.document"), "$.document.csaf_version")
    if version not in CSAF_VERSIONS:
        r.fail("$.document.csaf_version", f"CSAF {version} is not supported (2.0 or 2.1)")
    title = r.text(r.need(document, "title", "$.document"), "$.document.title")
    publisher = r.obj(r.need(document, "publisher", "$.document"), "$.document.publisher")
    publisher_name = r.text(
        r.need(publisher, "name", "$.document.publisher"), "$.document.publisher.name"
    )
    tracking = r.obj(r.need(document, "tracking", "$.document"), "$.document.tracking")
    where = "$.document.tracking"
    tracking_id = r.text(r.need(tracking, "id", where), f"{where}.id")
    revision = r.text(r.need(tracking, "version", where), f"{where}.version")
    if revision_key(revision) is None:
        r.fail(f"{where}.version", f"{revision!r} is neither integer nor semantic versioning")
    status = r.opt_text(tracking, "status", where) or "final"
    initial, initial_text = r.date(tracking, "initial_release_date", where)
    current, current_text = r.date(tracking, "current_release_date", where)
    summary = _note(r, document, "$.document", ("summary", "description"))
    url = _self_url(r, document)

    products: dict[str, Product] = {}
    groups: dict[str, frozenset[str]] = {}
    if "product_tree" in root:
        _product_tree(r, r.obj(root["product_tree"], "$.product_tree"), products, groups)

    vulnerabilities: list[Vulnerability] = []
    if "vulnerabilities" in root:
        for path, item in r.items(root["vulnerabilities"], "$.vulnerabilities"):
            vulnerabilities.append(_vulnerability(r, r.obj(item, path), path, groups))

    _check_references(r, products, vulnerabilities)
    return Advisory(
        id=tracking_id,
        title=title,
        publisher=publisher_name,
        revision=revision,
        status=status,
        initial_release=initial,
        current_release=current,
        initial_release_text=initial_text,
        current_release_text=current_text,
        products=products,
        vulnerabilities=tuple(vulnerabilities),
        summary=summary,
        url=url,
        csaf_version=version,
        warnings=tuple(r.warnings),
    )


def revision_key(revision: str) -> tuple[int, int, int, int, str] | None:
    """A sortable key of a tracking version (CSAF 3.1.11), None if it is neither form.

    Integer versioning (``"2"``) reads as ``2.0.0``; a semantic version's
    pre-release sorts before its release.
    """
    text = revision.strip()
    if text.isdigit() and (text == "0" or not text.startswith("0")) and len(text) <= 18:
        return (int(text), 0, 0, 1, "")
    match = _SEMVER.match(text)
    if match is None or any(len(match.group(i)) > 18 for i in (1, 2, 3)):
        return None
    pre = match.group(4)
    return (
        int(match.group(1)),
        int(match.group(2)),
        int(match.group(3)),
        0 if pre else 1,
        pre or "",
    )


# -- product tree -----------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What the branches above a product said about it."""

    vendor: str | None = None
    families: tuple[str, ...] = ()
    product_name: str | None = None
    version_text: str | None = None
    version_category: str | None = None
    path: tuple[str, ...] = ()


def _product_tree(
    r: _Reader,
    tree: dict[str, Any],
    products: dict[str, Product],
    groups: dict[str, frozenset[str]],
) -> None:
    """Flatten branches, full product names and relationships (CSAF 3.2.2)."""
    if "branches" in tree:
        _branches(r, tree["branches"], "$.product_tree.branches", _Context(), products, 1)
    if "full_product_names" in tree:
        where = "$.product_tree.full_product_names"
        for path, item in r.items(tree["full_product_names"], where):
            _add(r, products, _full_product(r, item, path, _Context()), path)
    if "product_groups" in tree:
        for path, item in r.items(tree["product_groups"], "$.product_tree.product_groups"):
            group = r.obj(item, path)
            group_id = r.text(r.need(group, "group_id", path), f"{path}.group_id")
            groups[group_id] = frozenset(r.texts(group, "product_ids", path))
    if "relationships" in tree:
        for path, item in r.items(tree["relationships"], "$.product_tree.relationships"):
            product = _relationship(r, r.obj(item, path), path, products)
            if product is not None:
                _add(r, products, product, path)


def _branches(
    r: _Reader,
    value: Any,
    where: str,
    ctx: _Context,
    products: dict[str, Product],
    depth: int,
) -> None:
    if depth > MAX_BRANCH_DEPTH:
        r.fail(where, f"branches nested deeper than {MAX_BRANCH_DEPTH}")
    for path, item in r.items(value, where):
        branch = r.obj(item, path)
        category = r.text(r.need(branch, "category", path), f"{path}.category")
        name = r.text(r.need(branch, "name", path), f"{path}.name")
        here = _descend(ctx, category, name)
        if "product" in branch:
            _add(r, products, _full_product(r, branch["product"], f"{path}.product", here), path)
        if "branches" in branch:
            _branches(r, branch["branches"], f"{path}.branches", here, products, depth + 1)


def _descend(ctx: _Context, category: str, name: str) -> _Context:
    """The context below a branch of this category and name."""
    path = (*ctx.path, name)
    if category == "vendor":
        return _Context(name, (), None, None, None, path)
    if category == "product_family":
        return _Context(ctx.vendor, (*ctx.families, name), None, None, None, path)
    if category == "product_name":
        return _Context(ctx.vendor, ctx.families, name, None, None, path)
    if category in VERSION_BRANCHES:
        return _Context(ctx.vendor, ctx.families, ctx.product_name, name, category, path)
    # architecture, host_name, language, legacy, patch_level, service_pack,
    # specification: they narrow the product but name neither it nor its version.
    return _Context(
        ctx.vendor, ctx.families, ctx.product_name, ctx.version_text, ctx.version_category, path
    )


def _full_product(r: _Reader, value: Any, path: str, ctx: _Context) -> Product:
    """A full_product_name_t (CSAF 3.1.3) in the context of its branches."""
    fpn = r.obj(value, path)
    product_id = r.text(r.need(fpn, "product_id", path), f"{path}.product_id")
    name = r.text(r.need(fpn, "name", path), f"{path}.name")
    helper = Identification()
    if "product_identification_helper" in fpn:
        where = f"{path}.product_identification_helper"
        h = r.obj(fpn["product_identification_helper"], where)
        helper = Identification(
            cpe=r.opt_text(h, "cpe", where),
            purl=r.opt_text(h, "purl", where),
            model_numbers=r.texts(h, "model_numbers", where),
            skus=r.texts(h, "skus", where),
            serial_numbers=r.texts(h, "serial_numbers", where),
        )
    return Product(
        product_id=product_id,
        name=name,
        vendor=ctx.vendor,
        families=ctx.families,
        product_name=ctx.product_name,
        version_text=ctx.version_text,
        version_category=ctx.version_category,
        version=None if ctx.version_text is None else parse_rule(ctx.version_text),
        identification=helper,
        path=" / ".join(ctx.path) if ctx.path else name,
    )


def _relationship(
    r: _Reader, rel: dict[str, Any], path: str, products: dict[str, Product]
) -> Product | None:
    """A relationship's product (CSAF 3.2.2.4): X installed on / component of Y.

    The device is Y (``relates_to_product_reference``: its vendor, name and
    identification), the version rule is X's (``product_reference``).
    """
    r.text(r.need(rel, "category", path), f"{path}.category")
    ref_id = r.text(r.need(rel, "product_reference", path), f"{path}.product_reference")
    to_id = r.text(
        r.need(rel, "relates_to_product_reference", path), f"{path}.relates_to_product_reference"
    )
    fpn = _full_product(
        r, r.need(rel, "full_product_name", path), f"{path}.full_product_name", _Context()
    )
    ref, to = products.get(ref_id), products.get(to_id)
    if ref is None or to is None:
        missing = ref_id if ref is None else to_id
        r.warnings.append(f"{path}: product {missing!r} is not defined; relationship skipped")
        return None
    return Product(
        product_id=fpn.product_id,
        name=fpn.name,
        vendor=to.vendor or ref.vendor,
        families=to.families,
        product_name=to.label,
        version_text=ref.version_text,
        version_category=ref.version_category,
        version=ref.version,
        identification=to.identification,
        path=f"{ref.path} + {to.path}",
    )


def _add(r: _Reader, products: dict[str, Product], product: Product, path: str) -> None:
    if product.product_id in products:
        r.warnings.append(f"{path}: product id {product.product_id!r} defined twice; first kept")
        return
    products[product.product_id] = product


# -- vulnerabilities ----------------------------------------------------------------


def _vulnerability(
    r: _Reader, v: dict[str, Any], path: str, groups: dict[str, frozenset[str]]
) -> Vulnerability:
    """CSAF 3.2.3: one vulnerability."""
    cve = r.opt_text(v, "cve", path)
    if cve is not None and not _CVE.match(cve):
        r.fail(f"{path}.cve", f"{cve!r} is not a CVE id")
    cwe: tuple[str, str] | None = None
    if "cwe" in v:
        c = r.obj(v["cwe"], f"{path}.cwe")
        cwe = (
            r.text(r.need(c, "id", f"{path}.cwe"), f"{path}.cwe.id"),
            r.opt_text(c, "name", f"{path}.cwe") or "",
        )
    status: dict[ProductStatus, frozenset[str]] = {}
    if "product_status" in v:
        where = f"{path}.product_status"
        ps = r.obj(v["product_status"], where)
        for key in ps:
            try:
                kind = ProductStatus(key)
            except ValueError:
                r.fail(f"{where}.{key}", "not a CSAF product status")
            status[kind] = frozenset(r.texts(ps, key, where))
    scores = [*_scores(r, v, path), *_metrics(r, v, path)]
    remediations = []
    if "remediations" in v:
        for rpath, item in r.items(v["remediations"], f"{path}.remediations"):
            remediations.append(_remediation(r, r.obj(item, rpath), rpath, groups))
    references: list[str] = []
    if "references" in v:
        for rpath, item in r.items(v["references"], f"{path}.references"):
            ref = r.obj(item, rpath)
            references.append(r.text(r.need(ref, "url", rpath), f"{rpath}.url"))
    return Vulnerability(
        cve=cve,
        title=r.opt_text(v, "title", path),
        cwe=cwe,
        summary=_note(r, v, path, ("summary", "description", "details")),
        status=status,
        scores=tuple(scores),
        remediations=tuple(remediations),
        references=tuple(references),
    )


_SCORE_KEYS = ("cvss_v4", "cvss_v3", "cvss_v2")


def _scores(r: _Reader, v: dict[str, Any], path: str) -> Iterator[Score]:
    """CSAF 2.0 ``scores``: [{products, cvss_v2?, cvss_v3?}]."""
    if "scores" not in v:
        return
    for spath, item in r.items(v["scores"], f"{path}.scores"):
        entry = r.obj(item, spath)
        products = frozenset(r.texts(entry, "products", spath))
        for key in _SCORE_KEYS:
            if key in entry:
                yield _cvss(r, entry[key], f"{spath}.{key}", key, products)


def _metrics(r: _Reader, v: dict[str, Any], path: str) -> Iterator[Score]:
    """CSAF 2.1 ``metrics``: [{products, content: {cvss_v2?, cvss_v3?, cvss_v4?, ...}}]."""
    if "metrics" not in v:
        return
    for mpath, item in r.items(v["metrics"], f"{path}.metrics"):
        entry = r.obj(item, mpath)
        products = frozenset(r.texts(entry, "products", mpath))
        content = r.obj(r.need(entry, "content", mpath), f"{mpath}.content")
        for key in _SCORE_KEYS:
            if key in content:
                yield _cvss(r, content[key], f"{mpath}.content.{key}", key, products)


def _cvss(r: _Reader, value: Any, path: str, key: str, products: frozenset[str]) -> Score:
    """One CVSS object (FIRST's JSON schemas: baseScore, baseSeverity, vectorString)."""
    cvss = r.obj(value, path)
    score = r.need(cvss, "baseScore", path)
    if (
        not isinstance(score, int | float)
        or isinstance(score, bool)
        or not math.isfinite(score)
        or not 0 <= score <= 10
    ):
        r.fail(f"{path}.baseScore", "expected a number from 0 to 10")
    vector = r.text(r.need(cvss, "vectorString", path), f"{path}.vectorString")
    version = r.opt_text(cvss, "version", path) or key.removeprefix("cvss_v").replace("_", ".")
    severity = r.opt_text(cvss, "baseSeverity", path) or _severity(float(score), key)
    return Score(version, float(score), severity.upper(), vector, products)


def _severity(score: float, key: str) -> str:
    """The qualitative rating of a score (CVSS v3/v4 table; v2's three bands)."""
    if key == "cvss_v2":
        return "HIGH" if score >= 7 else "MEDIUM" if score >= 4 else "LOW"
    if score == 0:
        return "NONE"
    return "CRITICAL" if score >= 9 else "HIGH" if score >= 7 else "MEDIUM" if score >= 4 else "LOW"


def _remediation(
    r: _Reader, rem: dict[str, Any], path: str, groups: dict[str, frozenset[str]]
) -> Remediation:
    """CSAF 3.2.3.12: category, details, product_ids and group_ids (expanded), url, date."""
    category_text = r.text(r.need(rem, "category", path), f"{path}.category")
    try:
        category = RemediationCategory(category_text)
    except ValueError:
        r.fail(f"{path}.category", f"{category_text!r} is not a CSAF remediation category")
    products = set(r.texts(rem, "product_ids", path))
    for group_id in r.texts(rem, "group_ids", path):
        if group_id not in groups:
            r.warnings.append(f"{path}.group_ids: group {group_id!r} is not defined")
        products |= groups.get(group_id, frozenset())
    return Remediation(
        category=category,
        details=r.text(r.need(rem, "details", path), f"{path}.details"),
        products=frozenset(products),
        url=r.opt_text(rem, "url", path),
        date=r.opt_text(rem, "date", path),
    )


def _note(r: _Reader, parent: dict[str, Any], path: str, categories: tuple[str, ...]) -> str | None:
    """The text of the first note of the first of these categories present."""
    if "notes" not in parent:
        return None
    found: dict[str, str] = {}
    for npath, item in r.items(parent["notes"], f"{path}.notes"):
        note = r.obj(item, npath)
        category = r.text(r.need(note, "category", npath), f"{npath}.category")
        text = r.text(r.need(note, "text", npath), f"{npath}.text")
        found.setdefault(category, text)
    return next((found[c] for c in categories if c in found), None)


def _self_url(r: _Reader, document: dict[str, Any]) -> str | None:
    """The advisory's own web page: a ``self`` reference, the human one preferred."""
    if "references" not in document:
        return None
    urls: list[str] = []
    for path, item in r.items(document["references"], "$.document.references"):
        ref = r.obj(item, path)
        url = r.text(r.need(ref, "url", path), f"{path}.url")
        if ref.get("category") == "self":
            urls.append(url)
    pages = [u for u in urls if not u.lower().endswith(".json")]
    chosen = pages or urls
    return chosen[0] if chosen else None


def _check_references(
    r: _Reader, products: dict[str, Product], vulnerabilities: list[Vulnerability]
) -> None:
    """CSAF 6.1.1: every product id used is defined (a warning here, not a failure)."""
    used: set[str] = set()
    for v in vulnerabilities:
        for ids in v.status.values():
            used |= ids
        for s in v.scores:
            used |= s.products
        for rem in v.remediations:
            used |= rem.products
    missing = sorted(used - products.keys())
    if missing:
        shown = ", ".join(repr(m) for m in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        r.warnings.append(f"product ids used but not defined in the product tree: {shown}{more}")
