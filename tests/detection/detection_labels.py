"""The detection labels of the shared captures: loading, replaying a capture as otm would, scoring.

``data/labels.yaml`` (``otm.detection-labels/1``) says, for every capture in
``../shared/pcaps``, where its normal part ends (``detect_from``: the first
frame of the part otm judges), which alerts must fire after learning on the
part before it, and why, with tshark (the oracle) display filters as the
evidence.  An alert is named by its rule and its subjects (client and
server, or one host), as ``Alert.subjects`` names them; several alerts of
one rule about the same pair (a download is three operations) are one
label.

``replay`` walks a capture the way ``otm sensor`` does: the passive engine
fed frame by frame with checkpoints, each checkpoint's observations first
judged by one ``DetectionEngine`` and, while learning, folded into the
baseline; the baseline is frozen at ``detect_from``.  Policy rules (SNMP
community, OPC UA without security, malformed messages) and the named
operations (stop, download ...) fire while learning too, as they do live.

Shared by ``test_detection_captures.py`` and ``bench/detection.py``.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from otm.capture.readers import open_capture
from otm.detection import AlertBook, Baseline, DetectionEngine, RuleSet
from otm.sensing.engine import PassiveEngine

HERE = Path(__file__).resolve().parent
LABELS = HERE / "data" / "labels.yaml"
PCAPS = HERE.parents[2] / "shared" / "pcaps"
SCHEMA = "otm.detection-labels/1"

Key = tuple[str, tuple[str, ...]]
"""(rule id, subjects): what a label names and what an alert is scored by."""

BASELINE_KINDS = ("OTM-NEW-", "OTM-SWEEP", "OTM-UNIT-SWEEP", "OTM-POLLING-", "OTM-EXCEPTION-STORM")
"""Rule id prefixes of the rules that compare with the baseline: what they report
must happen after the split (tshark's first frame at or after ``detect_from``)."""


@dataclass(frozen=True)
class Evidence:
    """A tshark display filter, how many frames it keeps and the first of them."""

    tshark: str
    frames: int
    first: int | None

    @classmethod
    def of(cls, data: Mapping[str, Any], where: str) -> Evidence:
        text = data.get("tshark")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{where}: a tshark display filter is required")
        if "," in text:
            # io,stat separates its columns with commas (see tshark_counts).
            raise ValueError(f"{where}: no commas (write sets as ranges or || chains)")
        frames = data.get("frames")
        first = data.get("first")
        if not isinstance(frames, int) or (first is not None and not isinstance(first, int)):
            raise ValueError(f"{where}: frames (and first, a frame number) must be integers")
        if (frames == 0) != (first is None):
            raise ValueError(f"{where}: first is the first of the frames, absent when none")
        return cls(text, frames, first)


@dataclass(frozen=True)
class Expected:
    """One alert a capture must raise (or, in ``false_positives``, one it must not)."""

    rule: str
    subjects: tuple[str, ...]
    evidence: Evidence
    why: str = ""
    known_gap: str | None = None

    @property
    def key(self) -> Key:
        return (self.rule, self.subjects)


@dataclass(frozen=True)
class CaptureLabel:
    """What one capture is, where its normal part ends and what must fire after it."""

    capture: str
    frames: int
    purpose: str
    activity: tuple[str, ...]
    detect_from: int
    split: str
    quiet: bool
    expect: tuple[Expected, ...]
    false_positives: tuple[Expected, ...] = ()
    checks: tuple[Evidence, ...] = ()

    @property
    def expected(self) -> set[Key]:
        return {e.key for e in self.expect}

    @property
    def gaps(self) -> dict[Key, str]:
        return {e.key: e.known_gap for e in self.expect if e.known_gap}

    def evidence(self) -> Iterator[Evidence]:
        """Every tshark claim of this label: its alerts', its false positives', its checks."""
        yield from (e.evidence for e in self.expect)
        yield from (e.evidence for e in self.false_positives)
        yield from self.checks


def _expected(item: object, where: str) -> Expected:
    if not isinstance(item, Mapping):
        raise ValueError(f"{where}: an alert is a mapping")
    rule, subjects = item.get("rule"), item.get("subjects")
    if not isinstance(rule, str) or not isinstance(subjects, list) or not subjects:
        raise ValueError(f"{where}: rule and subjects (a list) are required")
    gap = item.get("known_gap")
    return Expected(
        rule,
        tuple(str(s) for s in subjects),
        Evidence.of(item, where),
        str(item.get("why", "")),
        str(gap) if gap else None,
    )


def load_labels(path: Path = LABELS) -> list[CaptureLabel]:
    """Every capture's label, in file order; ``ValueError`` says what is malformed."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(doc, Mapping) or doc.get("schema") != SCHEMA:
        raise ValueError(f"{path}: not an {SCHEMA} document")
    out: list[CaptureLabel] = []
    for i, entry in enumerate(doc["captures"]):
        where = f"{path.name}: captures[{i}] ({entry.get('capture')})"
        expect = tuple(
            _expected(e, f"{where} expect[{j}]") for j, e in enumerate(entry.get("expect") or [])
        )
        fps = tuple(
            _expected(e, f"{where} false_positives[{j}]")
            for j, e in enumerate(entry.get("false_positives") or [])
        )
        checks = tuple(
            Evidence.of(c, f"{where} checks[{j}]") for j, c in enumerate(entry.get("checks") or [])
        )
        label = CaptureLabel(
            str(entry["capture"]),
            int(entry["frames"]),
            str(entry["purpose"]),
            tuple(entry.get("activity") or ()),
            int(entry["detect_from"]),
            str(entry["split"]),
            bool(entry.get("quiet", False)),
            expect,
            fps,
            checks,
        )
        if label.quiet and (label.expect or label.false_positives):
            raise ValueError(f"{where}: a quiet capture expects nothing")
        if not label.quiet and not label.expect:
            raise ValueError(f"{where}: expects nothing: mark it quiet")
        if not 1 <= label.detect_from <= label.frames + 1:
            raise ValueError(f"{where}: detect_from outside the capture")
        out.append(label)
    return out


def rules_covered(path: Path = LABELS) -> set[str]:
    """The rule ids the labels were written for (``rules`` of the document)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return set(doc["rules"])


# -- replay -----------------------------------------------------------------------------


def replay(
    path: Path,
    detect_from: int,
    rules: RuleSet | None = None,
    checkpoint_every: int = 0,
) -> AlertBook:
    """The alerts otm raises on ``path`` learning on frames before ``detect_from``.

    ``checkpoint_every`` > 0 takes a checkpoint every that many frames as a live
    sensor does (and one at the split); 0 takes one at the split and one at the end.
    """
    engine = PassiveEngine(ref=path.name)
    baseline = Baseline()
    detection = DetectionEngine(baseline, rules)
    book = AlertBook()

    def judge(frames: Sequence[tuple[int, float, int, bytes]]) -> None:
        step = checkpoint_every or max(len(frames), 1)
        for start in range(0, len(frames), step):
            engine.feed(frames[start : start + step])
            observations = engine.checkpoint()
            book.add(detection.detect(observations))
            if not baseline.frozen:
                baseline.learn(observations)

    with open_capture(path) as reader:
        frames = list(reader)
    judge([f for f in frames if f[0] < detect_from])
    baseline.frozen = True
    judge([f for f in frames if f[0] >= detect_from])
    book.add(detection.detect(engine.finish().observations))
    return book


def fired(book: AlertBook) -> dict[Key, list[str]]:
    """The alerts of a book by (rule, subjects), each with its messages."""
    out: dict[Key, list[str]] = {}
    for alert in book.sorted():
        out.setdefault((alert.rule_id, alert.subjects), []).append(alert.message)
    return out


# -- scoring ----------------------------------------------------------------------------


@dataclass
class Score:
    """One capture's (or all captures') labels against what otm raised."""

    expected: int = 0
    fired: int = 0
    tp: int = 0
    fp: list[Key] = field(default_factory=list)
    fn: list[Key] = field(default_factory=list)

    def add(self, other: Score) -> None:
        self.expected += other.expected
        self.fired += other.fired
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float:
        return self.tp / self.fired if self.fired else 1.0

    @property
    def recall(self) -> float:
        return self.tp / self.expected if self.expected else 1.0


def score(label: CaptureLabel, raised: Iterable[Key]) -> Score:
    """True positives: raised keys a label names; the rest are false positives."""
    got = set(raised)
    want = label.expected
    return Score(len(want), len(got), len(got & want), sorted(got - want), sorted(want - got))


# -- the oracle -------------------------------------------------------------------------

_ROW = re.compile(r"^\|\s*[\d.]+\s*<>\s*[\d.]+\s*\|(.*)\|\s*$")


def tshark_counts(
    tshark: str, capture: Path, filters: Sequence[str], timeout: float = 120
) -> list[tuple[int, int | None]]:
    """(frames kept, first frame or None) for each display filter, in one tshark pass.

    ``tshark -z io,stat,0,COUNT(frame)frame&&F,MIN(frame.number)frame.number&&F ...``
    with one interval over the whole capture.
    """
    columns: list[str] = []
    for text in filters:
        columns += [f"COUNT(frame)frame&&({text})", f"MIN(frame.number)frame.number&&({text})"]
    command = [tshark, "-n", "-r", str(capture), "-q", "-z", "io,stat,0," + ",".join(columns)]
    result = subprocess.run(command, capture_output=True, text=True, check=True, timeout=timeout)
    rows = [m.group(1) for line in result.stdout.splitlines() if (m := _ROW.match(line))]
    if len(rows) != 1:
        raise ValueError(f"tshark io,stat on {capture.name}: {result.stdout[-2000:]}")
    cells = [int(c.strip()) for c in rows[0].split("|") if c.strip()]
    pairs = list(zip(cells[0::2], cells[1::2], strict=True))
    return [(count, first if count else None) for count, first in pairs]
