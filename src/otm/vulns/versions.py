"""Firmware versions and the version rules of advisories: parse, compare, decide.

CSAF 2.0 (section 3.1.2.3, branch category ``product_version_range``) asks
for a ``vers`` range (``vers:generic/>=1.0|<2.0``, the package-url vers
specification) or the ``vls`` shorthand.  The CISA feed writes vendor free
text into that field and into ``product_version``; every form below occurs
in the 2,379 OT advisories of the ``cisagov/CSAF`` repository:

==========================================  ===============================
text                                        rule
==========================================  ===============================
``vers:all/*``, ``All versions``, ``*``     ``AllVersions``
``<V4.7``, ``< 3.01``, ``<= 10.10``,        ``Ranges`` (intervals of
``vers:all/<V3.2.19``, ``>=V3.0|<V3.2``,    comparators, the vers way)
``vers:all/>=V3.0.1<V3.0.3``,
``V2.0 and prior``, ``prior to V2.0``
``V2.9 SP1``, ``10 | 11``, ``v.32.011``     ``Exact`` (product_version)
``V4.7: < V4.7 HF27``                       ``Ranges`` limited to one line
``<V33.017_V34.014_V35.013_V36.011``        ``Trains`` (a fix per major)
``< 1.49 (1.29 for NX7)``                   ``Either`` (decided when both agree)
``All versions with Ethernet interface``    any rule with a ``condition``
``TSXETY4103 *``, ``>= 1.31 | <= 1.4``      ``Undecidable`` (with why)
==========================================  ===============================

A version (``Version.parse``) is a numeric release (``3.2.19``; a CIP
revision ``32.011`` is major 32, minor 11: parts compare as integers, so a
zero-padded minor equals the plain one) with optional Siemens-style
qualifiers ordered service pack > update > hotfix (``V5.2 SP3 HF13``),
build numbers appended to the release (``3.1 Build 4022.4`` is
``3.1.4022.4``), SEL's ``R302-V1`` (release 302, version 1) and prefixes
nobody compares (``V``, ``v.``, ``SV``, ``HiOS``, ``firmware``).  Trailing
zero parts do not count: ``V3.2`` equals ``3.2.0``.  Anything else is not a
version, and a rule facing it answers "undecidable" rather than guessing.

Known gap: parts are integers, so a vendor that writes ``2.8`` for ``2.80``
compares wrong; the feed and the devices otm reads write the same widths.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeAlias

MAX_TEXT = 200
"""Longest version or rule text looked at: the longest in the CISA feed is 61
characters; anything much longer is prose, not a rule, and regular
expressions over it are bounded by this."""

MAX_PARTS = 12
"""Most numeric parts a version may have (the feed's longest has 4)."""


# -- versions -----------------------------------------------------------------


_PREFIX = re.compile(
    r"^(?:(?:firmware|fw|version|ver|revision|rev|release|hios|hisecos)\s*[:.]?\s*)?"
    r"(?:v\s*\.?\s*|sv\s*)?",
    re.IGNORECASE,
)
_SEL = re.compile(r"^r(\d{1,6})-v(\d{1,6})$", re.IGNORECASE)
_RELEASE = re.compile(r"^(\d{1,9}(?:\.\d{1,9})*)")
_QUALIFIER = re.compile(
    r"^[\s\-_]*(?:"
    r"(?P<sp>sp|service\s*pack)\s*(?P<spn>\d{1,6})"
    r"|(?P<upd>upd|update)\s*(?P<updn>\d{1,6})"
    r"|(?P<hf>hf|hotfix)\s*(?P<hfn>\d{1,6})"
    r"|(?P<build>build|r)\s*(?P<buildn>\d{1,9}(?:\.\d{1,9})*)"
    r"|(?P<bare>\d{1,9}(?:\.\d{1,9})*)"
    r")",
    re.IGNORECASE,
)


@dataclass(frozen=True, order=False)
class Version:
    """A comparable firmware or software version (see the module docstring).

    ``release`` has trailing zeros removed; ``service_pack``, ``update`` and
    ``hotfix`` are 0 when absent.  Equality and order use ``key`` only, so
    ``Version.parse("V3.2") == Version.parse("3.2.0")``.
    """

    text: str
    release: tuple[int, ...]
    service_pack: int = 0
    update: int = 0
    hotfix: int = 0

    @property
    def key(self) -> tuple[tuple[int, ...], int, int, int]:
        """What comparisons compare."""
        return (self.release, self.service_pack, self.update, self.hotfix)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __lt__(self, other: Version) -> bool:
        return self.key < other.key

    def __le__(self, other: Version) -> bool:
        return self.key <= other.key

    def __gt__(self, other: Version) -> bool:
        return self.key > other.key

    def __ge__(self, other: Version) -> bool:
        return self.key >= other.key

    def __str__(self) -> str:
        return self.text

    @property
    def major(self) -> int:
        """The first release part (0 for an all-zero release)."""
        return self.release[0] if self.release else 0

    def on_line(self, line: tuple[int, ...]) -> bool:
        """Whether this version belongs to the release line ``line`` (``(4, 7)`` = V4.7.x)."""
        padded = self.release + (0,) * max(0, len(line) - len(self.release))
        return padded[: len(line)] == line

    @staticmethod
    def parse(text: str) -> Version | None:
        """The version written in ``text``, or None when it is not one."""
        if not isinstance(text, str):
            return None
        raw = " ".join(text.split())
        if not raw or len(raw) > MAX_TEXT:
            return None
        sel = _SEL.match(raw)
        if sel:
            return _make(raw, [int(sel.group(1)), int(sel.group(2))], 0, 0, 0)
        rest = _PREFIX.sub("", raw, count=1)
        release = _RELEASE.match(rest)
        if release is None:
            return None
        parts = [int(p) for p in release.group(1).split(".")]
        rest = rest[release.end() :]
        sp = upd = hf = 0
        while rest.strip():
            qualifier = _QUALIFIER.match(rest)
            if qualifier is None:
                return None
            if qualifier.group("sp"):
                sp = int(qualifier.group("spn"))
            elif qualifier.group("upd"):
                upd = int(qualifier.group("updn"))
            elif qualifier.group("hf"):
                hf = int(qualifier.group("hfn"))
            elif qualifier.group("build"):
                parts.extend(int(p) for p in qualifier.group("buildn").split("."))
            else:
                if sp or upd or hf:
                    return None  # "V5.2 SP3 7": a number after a qualifier means nothing
                parts.extend(int(p) for p in qualifier.group("bare").split("."))
            rest = rest[qualifier.end() :]
            if len(parts) > MAX_PARTS:
                return None
        return _make(raw, parts, sp, upd, hf)


def _make(raw: str, parts: list[int], sp: int, upd: int, hf: int) -> Version | None:
    if len(parts) > MAX_PARTS:
        return None
    while parts and parts[-1] == 0:
        parts.pop()
    return Version(raw, tuple(parts), sp, upd, hf)


# -- verdicts -----------------------------------------------------------------


class Verdict(StrEnum):
    """What a rule says about one firmware.

    "In range" rather than "affected": the same rule reads a product entry
    CSAF lists as affected and one it lists as fixed.
    """

    IN_RANGE = "in-range"  # an explicit range or exact version contains it
    ALL = "all"  # the rule covers every version
    OUT_OF_RANGE = "out-of-range"  # the rule excludes it
    UNDECIDABLE = "undecidable"  # the rule or the firmware cannot be read


@dataclass(frozen=True)
class Decision:
    """A verdict with the words that justify it (for a match's reason)."""

    verdict: Verdict
    why: str
    condition: str | None = None

    @property
    def possible(self) -> bool:
        """Whether the firmware may be covered (anything but a clear "no")."""
        return self.verdict is not Verdict.OUT_OF_RANGE

    @property
    def certain(self) -> bool:
        """Whether the firmware is covered for sure (in range, or all versions)."""
        return self.verdict in (Verdict.IN_RANGE, Verdict.ALL)


# -- rules ------------------------------------------------------------------


@dataclass(frozen=True)
class AllVersions:
    """Every version is affected (``vers:all/*``, ``All versions``)."""

    def decide(self, version: Version | None, shown: str) -> Decision:
        """Every firmware, known or not, is covered."""
        return Decision(Verdict.ALL, "all versions")

    def describe(self) -> str:
        """The rule in words."""
        return "all versions"


@dataclass(frozen=True)
class Exact:
    """One or a few exact versions (``product_version`` branches, ``10 | 11``)."""

    versions: tuple[Version, ...]

    def decide(self, version: Version | None, shown: str) -> Decision:
        """Affected when the firmware equals one of the versions."""
        if version is None:
            return _unknown(shown, self)
        if version in self.versions:
            return Decision(Verdict.IN_RANGE, f"firmware {shown} is {self.describe()}")
        return Decision(Verdict.OUT_OF_RANGE, f"firmware {shown} is not {self.describe()}")

    def describe(self) -> str:
        """The rule in words."""
        return "version " + " or ".join(v.text for v in self.versions)


Operator: TypeAlias = str  # one of < <= > >= =


@dataclass(frozen=True)
class Constraint:
    """One comparator of a range: ``<V3.2.19``."""

    op: Operator
    version: Version

    def holds(self, version: Version) -> bool:
        """Whether ``version`` satisfies the comparator."""
        if self.op == "<":
            return version < self.version
        if self.op == "<=":
            return version <= self.version
        if self.op == ">":
            return version > self.version
        if self.op == ">=":
            return version >= self.version
        return version == self.version

    def __str__(self) -> str:
        return f"{self.op}{self.version.text}"


@dataclass(frozen=True)
class Ranges:
    """Intervals built from comparators, as the vers specification reads them.

    Comparators sorted by version pair up: a lower bound with the upper bound
    after it is an interval, a leading upper bound is open below, a trailing
    lower bound open above, ``=`` is a point.  ``line`` limits the rule to
    one release line (``V4.7: < V4.7 HF27`` speaks of V4.7.x only).
    """

    constraints: tuple[Constraint, ...]
    line: tuple[int, ...] | None = None

    def intervals(self) -> list[tuple[Constraint | None, Constraint | None]]:
        """(lower, upper) pairs; None is unbounded."""
        # At one version: a point, then lower bounds, then upper bounds, so
        # ">=1|<1" is the empty [1, 1) and ">=1|<=1" is the point 1.
        rank = {"=": 0, ">": 1, ">=": 1, "<": 2, "<=": 2}
        ordered = sorted(self.constraints, key=lambda c: (c.version.key, rank[c.op]))
        out: list[tuple[Constraint | None, Constraint | None]] = []
        lower: Constraint | None = None
        for c in ordered:
            if c.op == "=":
                out.append((c, c))
            elif c.op in (">", ">="):
                if lower is not None:
                    out.append((lower, None))
                lower = c
            else:
                out.append((lower, c))
                lower = None
        if lower is not None:
            out.append((lower, None))
        return out

    def contains(self, version: Version) -> bool:
        """Whether ``version`` lies in one of the intervals (ignoring ``line``)."""
        for lower, upper in self.intervals():
            if (lower is None or lower.holds(version)) and (upper is None or upper.holds(version)):
                return True
        return False

    def decide(self, version: Version | None, shown: str) -> Decision:
        """Affected inside an interval (on the rule's line, if it has one)."""
        if version is None:
            return _unknown(shown, self)
        if self.line is not None and not version.on_line(self.line):
            line = ".".join(str(p) for p in self.line)
            return Decision(Verdict.OUT_OF_RANGE, f"firmware {shown} is not on the V{line} line")
        if self.contains(version):
            return Decision(Verdict.IN_RANGE, f"firmware {shown} is {self.describe()}")
        return Decision(Verdict.OUT_OF_RANGE, f"firmware {shown} is not {self.describe()}")

    def describe(self) -> str:
        """The rule in words."""
        text = "|".join(str(c) for c in self.constraints)
        if self.line is not None:
            return f"{text} (V{'.'.join(str(p) for p in self.line)} line)"
        return text


@dataclass(frozen=True)
class Trains:
    """A fixed version per major release line: ``<V33.017_V34.014_V35.013``.

    A firmware on a listed line is affected below that line's fix; a line
    older than every listed one is affected (the fixes came later); a line
    newer than every listed one is not; a line between listed ones the
    advisory does not name is undecidable.
    """

    fixes: tuple[Version, ...]

    def decide(self, version: Version | None, shown: str) -> Decision:
        """See the class docstring."""
        if version is None:
            return _unknown(shown, self)
        majors = sorted(f.major for f in self.fixes)
        for fix in self.fixes:
            if fix.major == version.major:
                if version < fix:
                    return Decision(
                        Verdict.IN_RANGE, f"firmware {shown} is below its line's fix {fix.text}"
                    )
                return Decision(
                    Verdict.OUT_OF_RANGE, f"firmware {shown} has its line's fix {fix.text}"
                )
        if version.major < majors[0]:
            return Decision(
                Verdict.IN_RANGE,
                f"firmware {shown} is older than every fixed line ({self.describe()})",
            )
        if version.major > majors[-1]:
            return Decision(
                Verdict.OUT_OF_RANGE, f"firmware {shown} is newer than every fixed line"
            )
        return Decision(
            Verdict.UNDECIDABLE, f"firmware {shown} is on a line the advisory does not name"
        )

    def describe(self) -> str:
        """The rule in words."""
        return "below the fix of its line: " + ", ".join(f.text for f in self.fixes)


@dataclass(frozen=True)
class Either:
    """Two readings of one text (``< 1.49 (1.29 for NX7)``): decided when both agree."""

    main: Rule
    variant: Rule
    variant_for: str

    def decide(self, version: Version | None, shown: str) -> Decision:
        """The common verdict of both readings, else undecidable."""
        a = self.main.decide(version, shown)
        b = self.variant.decide(version, shown)
        if a.verdict == b.verdict:
            return Decision(a.verdict, f"{a.why} (and {b.why} for {self.variant_for})")
        return Decision(
            Verdict.UNDECIDABLE,
            f"{a.why}, but {b.why} for {self.variant_for}: which applies is not known",
        )

    def describe(self) -> str:
        """The rule in words."""
        return f"{self.main.describe()} ({self.variant.describe()} for {self.variant_for})"


@dataclass(frozen=True)
class Undecidable:
    """A text no rule could be read from; ``why`` says what was wrong."""

    why: str

    def decide(self, version: Version | None, shown: str) -> Decision:
        """Always undecidable."""
        return Decision(Verdict.UNDECIDABLE, self.why)

    def describe(self) -> str:
        """The rule in words."""
        return f"undecidable ({self.why})"


Rule: TypeAlias = AllVersions | Exact | Ranges | Trains | Either | Undecidable


@dataclass(frozen=True)
class VersionRule:
    """A parsed advisory version text: the rule, any condition, the original text."""

    text: str
    rule: Rule
    condition: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def decidable(self) -> bool:
        """False when the text could not be read as a rule."""
        return not isinstance(self.rule, Undecidable)

    def decide(self, firmware: str | None) -> Decision:
        """The rule's verdict on a firmware as the inventory has it (None: unknown)."""
        version = Version.parse(firmware) if firmware else None
        shown = firmware if firmware else "unknown"
        if firmware and version is None and not isinstance(self.rule, AllVersions | Undecidable):
            return Decision(
                Verdict.UNDECIDABLE,
                f"firmware {firmware!r} is not a version otm can compare",
                self.condition,
            )
        decision = self.rule.decide(version, shown)
        return Decision(decision.verdict, decision.why, self.condition)

    def describe(self) -> str:
        """The rule in words, with its condition."""
        text = self.rule.describe()
        return f"{text}, only {self.condition}" if self.condition else text


def _unknown(shown: str, rule: Rule) -> Decision:
    return Decision(Verdict.UNDECIDABLE, f"firmware unknown, the rule is {rule.describe()}")


# -- parsing rules ------------------------------------------------------------

_VERS = re.compile(r"^vers:(?P<scheme>[a-z0-9.+-]*)/(?P<body>.*)$", re.IGNORECASE)
_ALL = re.compile(r"^(?:all(?:\s+versions?)?|any|\*)$", re.IGNORECASE)
_ALL_PREFIX = re.compile(r"^all\s+versions?\s*(?P<rest>.*)$", re.IGNORECASE)
_OPERATOR = re.compile(r"(<=|>=|=<|=>|<|>|==|=)")
_LINE = re.compile(r"^(?P<line>v?\s*\d{1,9}(?:\.\d{1,9})*)\s*:\s*(?P<rest>.+)$", re.IGNORECASE)
_TRAINS = re.compile(r"^<\s*(?P<list>v?\d[\w.]*(?:_v?\d[\w.]*)+)$", re.IGNORECASE)
_EITHER = re.compile(r"^(?P<main>[^()]+?)\s*\((?P<alt>[^()]+?)\s+for\s+(?P<what>[^()]+)\)$")
_PRIOR = re.compile(
    r"^(?P<v>.+?)\s+(?P<how>and\s+prior|and\s+earlier|and\s+before|and\s+older"
    r"|and\s+later|and\s+newer|and\s+above|or\s+later|or\s+earlier|or\s+prior)$",
    re.IGNORECASE,
)
_BEFORE = re.compile(
    r"^(?P<how>prior\s+to|before|earlier\s+than|up\s+to(?:\s+and\s+including)?|through)"
    r"\s+(?P<v>.+)$",
    re.IGNORECASE,
)
_FROM_TO = re.compile(
    r"^(?:from\s+)?(?P<a>v?\s*\d[\w. ]*?)\s+(?:to|through|-)\s+(?P<b>v?\s*\d[\w. ]*)$",
    re.IGNORECASE,
)
_CONDITION = re.compile(r"^(?:with|on|for|if|when|using|only)\b", re.IGNORECASE)


def parse_rule(text: str) -> VersionRule:
    """Read an advisory's version text into a rule; never raises.

    A bare version means "this version" whether it stands in a
    ``product_version`` or a ``product_version_range`` branch (vendors put
    single versions in both).
    """
    if not isinstance(text, str):
        return VersionRule(str(text), Undecidable("not text"))
    raw = " ".join(text.split())
    if not raw:
        return VersionRule(raw, Undecidable("empty"))
    if len(raw) > MAX_TEXT:
        return VersionRule(raw, Undecidable(f"longer than {MAX_TEXT} characters"))
    rule, condition = _parse(raw)
    return VersionRule(raw, rule, condition)


def _parse(raw: str) -> tuple[Rule, str | None]:
    vers = _VERS.match(raw)
    body = vers.group("body").strip() if vers else raw
    if not body:
        return Undecidable("an empty vers range"), None
    if _ALL.match(body):
        return AllVersions(), None
    prefixed = _ALL_PREFIX.match(body)
    if prefixed:
        rest = prefixed.group("rest").strip()
        if _CONDITION.match(rest):
            return AllVersions(), rest
        body = rest
        if _ALL.match(body) or not body:
            return AllVersions(), None
    either = _EITHER.match(body)
    if either:
        main, main_condition = _parse(either.group("main").strip())
        if isinstance(main, Ranges) and len(main.constraints) == 1 and main_condition is None:
            variant_version = Version.parse(either.group("alt"))
            if variant_version is not None:
                op = main.constraints[0].op
                variant = Ranges((Constraint(op, variant_version),))
                return Either(main, variant, either.group("what").strip()), None
    line = _LINE.match(body)
    if line and _OPERATOR.search(line.group("rest")):
        line_version = Version.parse(line.group("line"))
        inner, condition = _parse(line.group("rest").strip())
        if line_version is not None and isinstance(inner, Ranges):
            return Ranges(inner.constraints, line_version.release), condition
        return inner, condition
    trains = _TRAINS.match(body)
    if trains:
        fixes = [Version.parse(part) for part in trains.group("list").split("_")]
        if all(f is not None for f in fixes):
            found = tuple(f for f in fixes if f is not None)
            if len({f.major for f in found}) == len(found):
                return Trains(found), None
            return Undecidable("several fixes on one release line"), None
        return Undecidable("a list of fixes with one that is not a version"), None
    phrase = _phrase(body)
    if phrase is not None:
        return phrase, None
    if _OPERATOR.match(body):
        return _comparators(body)
    return _exact(body)


def _phrase(body: str) -> Rule | None:
    """English forms: ``V2.0 and prior``, ``prior to V2.0``, ``V1.0 to V1.5``."""
    prior = _PRIOR.match(body)
    if prior:
        version = Version.parse(prior.group("v"))
        if version is None:
            return Undecidable(f"{prior.group('v')!r} is not a version")
        how = prior.group("how").lower()
        op = ">=" if any(w in how for w in ("later", "newer", "above")) else "<="
        return Ranges((Constraint(op, version),))
    before = _BEFORE.match(body)
    if before:
        version = Version.parse(before.group("v"))
        if version is None:
            return Undecidable(f"{before.group('v')!r} is not a version")
        how = before.group("how").lower()
        op = "<=" if ("including" in how or how == "through") else "<"
        return Ranges((Constraint(op, version),))
    span = _FROM_TO.match(body)
    if span:
        low, high = Version.parse(span.group("a")), Version.parse(span.group("b"))
        if low is not None and high is not None and low <= high:
            return Ranges((Constraint(">=", low), Constraint("<=", high)))
    return None


def _comparators(body: str) -> tuple[Rule, str | None]:
    """``<V4.7``, ``>=V3.0|<V3.2``, ``>=V3.0.1<V3.0.3``, ``<= 3.1 C++ / Matlab``."""
    pieces = [p for p in _OPERATOR.split(body) if p.strip() or _OPERATOR.fullmatch(p)]
    constraints: list[Constraint] = []
    condition: str | None = None
    index = 0
    while index < len(pieces):
        op = pieces[index].strip()
        if not _OPERATOR.fullmatch(op):
            return Undecidable(f"{pieces[index].strip()!r} is not a comparator"), None
        if index + 1 >= len(pieces):
            return Undecidable(f"comparator {op!r} without a version"), None
        operand = pieces[index + 1].strip().strip("|,;").strip()
        version, rest = _leading_version(operand)
        if version is None:
            return Undecidable(f"{operand!r} is not a version"), None
        if rest:
            if index + 2 < len(pieces) or not _looks_like_condition(rest):
                return Undecidable(f"{operand!r} is not a version"), None
            condition = rest
        constraints.append(Constraint(_normal_op(op), version))
        index += 2
    lows = [c.version for c in constraints if c.op in (">", ">=")]
    highs = [c.version for c in constraints if c.op in ("<", "<=")]
    if len(lows) == 1 and len(highs) == 1 and lows[0] > highs[0]:
        return Undecidable(f"bounds out of order ({body})"), None
    return Ranges(tuple(constraints)), condition


def _leading_version(operand: str) -> tuple[Version | None, str]:
    """The longest leading run of words that is a version, and what follows it."""
    words = operand.split()
    for end in range(len(words), 0, -1):
        version = Version.parse(" ".join(words[:end]))
        if version is not None:
            return version, " ".join(words[end:])
    return None, operand


def _looks_like_condition(rest: str) -> bool:
    """Free text after a version that restricts the product rather than the version."""
    return bool(re.search(r"[A-Za-z]{2}", rest)) and Version.parse(rest) is None


def _normal_op(op: str) -> Operator:
    return {"=<": "<=", "=>": ">=", "==": "="}.get(op, op)


def _exact(body: str) -> tuple[Rule, str | None]:
    """``V2.9 SP1``, ``10 | 11``, ``12.0``; anything else is undecidable."""
    alternatives = [a.strip() for a in re.split(r"\s*(?:\||,|\bor\b)\s*", body) if a.strip()]
    versions = [Version.parse(a) for a in alternatives]
    if versions and all(v is not None for v in versions):
        return Exact(tuple(v for v in versions if v is not None)), None
    return Undecidable(f"{body!r} is neither a version nor a range"), None
