"""Product designations: the tokens of a name that say which product it is.

CISA product names are vendor prose with designations inside:
``SIMATIC S7-300 CPU 315-2 PN/DP (6ES7315-2EH14-0AB0)``, ``SYSMAC CP1L``,
``CP1L-EL20D □ - □`` (□ a placeholder), ``ControlLogix 5580 (1756 - L8z)``
(z a placeholder digit), ``Modicon M580 CPU (part numbers BMEP* and
BMEH*)``, ``SYSMAC CP1E/CP1H``.  A *designation* is a token that contains a
digit (``S7-300``, ``315-2``, ``CP1L``, ``1756-ENBT``); words without one
(``SIMATIC``, ``CPU``, ``Communications``) say too little to tell products
apart and are not compared, except known family names (``families.py``)
and a few words that make a product software rather than a device.

``ProductProfile`` holds what a product entry offers: order numbers (CSAF
``model_numbers``/``skus``, Siemens MLFBs in the name), groups of
designations of the main name (each group must be found in the device;
alternatives inside a group: ``CP1E/CP1H``, ``TSXP574634 TSXP575634``),
the designations in parentheses (an alternative route to the same product),
family names and a hardware series (``Series B``).  ``SubjectProfile`` holds
the device's side: its designations whole, the tokens and leading segments
of each (``CP1L-EL20DR-D`` gives ``CP1L``), its catalog number without the
series letter (``1756-ENBT/A`` is ``1756-ENBT``, series A), its families.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from otm.vulns.families import compact, families_of, phrases_in
from otm.vulns.records import Product
from otm.vulns.subjects import Subject
from otm.vulns.vendors import vendor_key

PLACEHOLDER = "□"

MLFB = re.compile(r"\b6[A-Z]{2}\d\s?\d{3}-\d[A-Z0-9]{4}-\d[A-Z0-9]{3}\b")
"""A Siemens order number (MLFB): ``6ES7 315-2EH14-0AB0``, ``6AG1315-2EH14-7AB0``."""

CATALOG = re.compile(r"^\d{3,4}-[A-Z0-9]")
"""A catalog number leading a model string (Rockwell ``1756-L61/B LOGIX5561``)."""

SOFTWARE_WORDS = (
    "SOFTWARE",
    "PLCSIM",
    "PROGRAMMER",
    "STUDIO",
    "PORTAL",
    "EXPERT",
    "DESIGNER",
    "WORKBENCH",
    "ECHO",
    "EMULATOR",
    "SIMULATOR",
    "MANAGER",
    "REMOTECONNECT",
)
"""Words that make a product an application, which a network device is not
(``SIMATIC S7-1500 Software Controller``, ``FactoryTalk Logix Echo``,
``Smart Security Manager``), unless the device's own name says it too."""

_VERSIONISH = re.compile(r"^V?\d+(?:\.\d+)+$")
_SERIES = re.compile(r"\bSERIES\s+([A-Z])\b")
_TRAILING_SERIES = re.compile(r"^(?P<base>.*\d.*?)/(?P<series>[A-Z])$")
_LIST_WORDS = {"AND", "OR", "&", "/"}


@dataclass(frozen=True)
class Designation:
    """One designation: its text, and a pattern when it has placeholders."""

    text: str
    pattern: re.Pattern[str] | None = None

    def matches(self, candidate: str) -> bool:
        """Whether ``candidate`` (a compact upper-case token) is this designation."""
        if self.pattern is not None:
            return self.pattern.fullmatch(candidate) is not None
        return candidate == self.text

    @property
    def prefix(self) -> str:
        """The literal text before the first placeholder (all of it without one)."""
        cut = [i for i, c in enumerate(self.text) if c in (PLACEHOLDER, "*")]
        return self.text[: cut[0]] if cut else self.text

    @property
    def numeric(self) -> bool:
        """A bare number (``1756``, ``2020``): too weak to identify on its own."""
        return self.text.replace(PLACEHOLDER, "").replace("*", "").isdigit()


Group = tuple[Designation, ...]
"""Alternatives: any one of them found is the group found."""


def _designation(token: str) -> Designation:
    if PLACEHOLDER not in token and "*" not in token:
        return Designation(token)
    regex = ""
    for ch in token:
        if ch == PLACEHOLDER:
            regex += "[A-Z0-9]+"
        elif ch == "*":
            regex += "[A-Z0-9/-]*"
        else:
            regex += re.escape(ch)
    return Designation(token, re.compile(regex))


def _prepare(text: str) -> str:
    """Unicode-normalised, placeholders unified, spaced designations joined."""
    text = unicodedata.normalize("NFKC", text).replace("[]", PLACEHOLDER)
    text = re.sub(r"(?<=\d)[xyz]+\b", PLACEHOLDER, text)  # 1756-L8z, 140CPU65xxxxx, P34x
    text = re.sub(rf"\s*{PLACEHOLDER}\s*", PLACEHOLDER, text)
    text = re.sub(rf"(?<=[\w{PLACEHOLDER}*])\s*-\s*(?=[\w{PLACEHOLDER}*(])", "-", text)
    return text.upper()


def _distinctive(token: str) -> bool:
    core = token.replace(PLACEHOLDER, "").replace("*", "")
    if _VERSIONISH.match(token):
        return False
    if core != token and len(core) >= 3 and core.isalnum():
        return True  # a part-number pattern (BMEP*): the placeholder makes it one
    return len(core) >= 2 and any(c.isdigit() for c in core)


def _tokens(text: str) -> list[str]:
    out = []
    for raw in re.split(r"[\s,;]+", text):
        token = raw.strip(".:;'\"()")
        if token:
            out.append(token)
    return out


def _groups(tokens: list[str], exclude: set[str]) -> list[Group]:
    """Designation groups of a token list: slash alternatives, same-prefix lists."""
    groups: list[list[Designation]] = []
    previous_prefix: str | None = None
    joinable = False
    for token in tokens:
        if token in _LIST_WORDS:
            joinable = True
            continue
        if compact(token) in exclude:
            previous_prefix, joinable = None, False
            continue
        parts = token.split("/")
        if len(parts) > 1 and all(_distinctive(p) for p in parts):
            alternatives = [_designation(p) for p in parts]
        elif _distinctive(token):
            alternatives = [_designation(token)]
        else:
            previous_prefix, joinable = None, False
            continue
        prefix = token[:3]
        if groups and (previous_prefix == prefix) and (joinable or len(token) >= 6):
            groups[-1].extend(alternatives)
        else:
            groups.append(alternatives)
        previous_prefix, joinable = prefix, False
    return [tuple(g) for g in groups]


@dataclass(frozen=True)
class ProductProfile:
    """What a product entry offers to a matcher (see the module docstring)."""

    vendor: str | None
    name: str
    order_numbers: frozenset[str]
    groups: tuple[Group, ...]
    alternatives: tuple[Group, ...]
    families: tuple[str, ...]
    series: str | None
    software: tuple[str, ...]
    tokens: tuple[str, ...]

    @property
    def designations(self) -> list[Designation]:
        """Every designation, main name and parentheses."""
        return [d for g in (*self.groups, *self.alternatives) for d in g]


def product_profile(product: Product) -> ProductProfile:
    """The profile of a product entry (cached: advisories are matched many times)."""
    return _profile(product)


@lru_cache(maxsize=65536)
def _profile(product: Product) -> ProductProfile:
    vendor = vendor_key(product.vendor) or _cpe_vendor(product.identification.cpe)
    name = product.product_name or product.name
    cpe_words = _cpe_product(product.identification.cpe)
    if cpe_words and not product.product_name:
        name = f"{name} {cpe_words}"
    text = _prepare(name)
    orders = {compact(m) for m in MLFB.findall(text)}
    orders |= {compact(m) for m in product.identification.model_numbers}
    orders |= {compact(s) for s in product.identification.skus}
    inner = re.findall(r"\(([^()]*)\)", text)
    main = re.sub(r"\([^()]*\)", " ", text)
    alternatives = tuple(g for part in inner for g in _groups(_tokens(part), orders) if g)
    groups = _groups(_tokens(main), orders)
    helper = [_designation(compact(m)) for m in product.identification.model_numbers]
    if helper and not groups:
        groups = [tuple(helper)]
    series = _SERIES.search(text)
    software = tuple(w for w in SOFTWARE_WORDS if re.search(rf"\b{w}", text))
    return ProductProfile(
        vendor=vendor,
        name=name,
        order_numbers=frozenset(orders),
        groups=tuple(groups),
        alternatives=alternatives,
        families=phrases_in(vendor, name),
        series=series.group(1) if series else None,
        software=software,
        tokens=tuple(_tokens(main)),
    )


def _cpe_parts(cpe: str | None) -> list[str]:
    """The fields of a CPE 2.3 formatted string or a 2.2 URI (``cpe:/h:vendor:product``)."""
    if not cpe:
        return []
    if cpe.startswith("cpe:2.3:"):
        return cpe.split(":")[2:]
    if cpe.lower().startswith("cpe:/"):
        return cpe[5:].split(":")
    return []


def _cpe_vendor(cpe: str | None) -> str | None:
    parts = _cpe_parts(cpe)
    if len(parts) > 1 and parts[1] not in ("*", "-", ""):
        return vendor_key(parts[1].replace("_", " "))
    return None


def _cpe_product(cpe: str | None) -> str:
    parts = _cpe_parts(cpe)
    if len(parts) > 2 and parts[2] not in ("*", "-", ""):
        return parts[2].replace("_", " ").replace("\\", "")
    return ""


@dataclass(frozen=True)
class SubjectProfile:
    """What a device offers to a matcher (see the module docstring)."""

    vendor: str | None
    whole: frozenset[str]
    tokens: frozenset[str]
    order_numbers: frozenset[str]
    families: tuple[str, ...]
    series: str | None
    model_tokens: tuple[str, ...]
    text: str

    def has(self, designation: Designation) -> bool:
        """Whether the device carries this designation as a token or whole."""
        if designation.pattern is None:
            return designation.text in self.tokens or designation.text in self.whole
        return any(designation.matches(t) for t in (*self.tokens, *self.whole))

    def is_whole(self, designation: Designation) -> bool:
        """Whether the designation is one of the device's complete designations."""
        return any(designation.matches(w) for w in self.whole)


def subject_profile(subject: Subject) -> SubjectProfile:
    """The profile of a subject (cached by its identity: many devices share one)."""
    return _subject_profile(
        subject.vendor,
        tuple(subject.designations),
        subject.order_number,
        subject.model or subject.product_name or "",
    )


@lru_cache(maxsize=65536)
def _subject_profile(
    vendor_name: str | None, designations: tuple[str, ...], order_number: str | None, model: str
) -> SubjectProfile:
    vendor = vendor_key(vendor_name)
    whole: set[str] = set()
    tokens: set[str] = set()
    series: str | None = None
    orders: set[str] = set()
    catalog: list[str] = []
    for value in designations:
        upper = " ".join(_prepare(value).split())
        whole.add(compact(upper))
        first = upper.split()[0] if upper.split() else ""
        for token in _tokens(upper):
            tokens.add(token)
            tokens.add(token.split("-")[0])
            tokens.update(p for p in token.split("/") if p)
            trailing = _TRAILING_SERIES.match(token)
            if trailing:
                tokens.add(trailing.group("base"))
                if token == first or len(_tokens(upper)) == 1:
                    whole.add(trailing.group("base"))
                    series = series or trailing.group("series")
        if CATALOG.match(first):
            trailing = _TRAILING_SERIES.match(first)
            catalog.append(trailing.group("base") if trailing else first)
            whole.add(catalog[-1])
        orders.update(compact(m) for m in MLFB.findall(upper))
    if order_number:
        orders.add(compact(order_number))
    families = list(families_of(vendor, [*designations, *catalog]))
    for value in designations:
        families.extend(f for f in phrases_in(vendor, value) if f not in families)
    for family in families:
        tokens.update(_tokens(family.upper()))
    return SubjectProfile(
        vendor=vendor,
        whole=frozenset(whole),
        tokens=frozenset(tokens),
        order_numbers=frozenset(orders),
        families=tuple(families),
        series=series,
        model_tokens=tuple(_tokens(_prepare(model))),
        text=" ".join(_prepare(v) for v in designations),
    )
