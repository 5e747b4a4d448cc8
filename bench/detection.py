"""Benchmark: detection quality on the shared captures, and what detection costs the passive engine.

Quality.  Every capture of ``../shared/pcaps`` has a label in
``tests/detection/data/labels.yaml`` (what must fire after learning on its
first part, with tshark's evidence; the list's reasoning is written there).
Each capture is replayed as ``otm sensor`` would (``detection_labels.replay``:
the passive engine with checkpoints, one detection engine, the baseline
frozen at the label's split) and its alerts, named by rule and subjects,
are scored against the label: a true positive is an alert a label names, a
false positive one it does not, a false negative a label no alert matches.
Prints a table per capture, overall precision and recall (micro: over all
labels; macro: the mean per capture), alerts labelled, raised and right per
rule, false positives grouped by rule with the labels' analysis, and the
known gaps.  Alerts of rules the labels do
not cover (a rule added since) are listed apart, not scored.

Throughput.  The passive benchmark's capture (``passive.build_capture``,
about 1,000,000 packets, cached under ``bench/out/``) through the passive
engine with a checkpoint every ``--every`` frames (50,000: a live sensor's
rhythm), without and with detection: with it, each checkpoint's
observations go through one ``DetectionEngine``, the first half of the
checkpoints also into the baseline, which is then frozen.  Prints packets/s
both ways and the cost of detection in percent of wall and of CPU time
(issue 6 asks for at most 20 %), best of ``--repeat`` runs each, alternated
so that the machine's load falls on both alike.  No figure is asserted.

Usage: ``python bench/detection.py [--quality-only | --throughput-only]
[--packets N] [--every N] [--repeat R]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from otm.capture.readers import open_capture
from otm.detection import AlertBook, Baseline, DetectionEngine
from otm.sensing.engine import PassiveEngine
from passive import OUT, build_capture

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "detection"))

from detection_labels import (  # noqa: E402 - the labels' module lives with the test data
    PCAPS,
    Score,
    fired,
    load_labels,
    replay,
    rules_covered,
    score,
)

# -- quality ----------------------------------------------------------------------------


def quality() -> None:
    labels = load_labels()
    covered = rules_covered()
    total = Score()
    per_capture: list[Score] = []
    fp_reasons: dict[tuple[str, tuple[str, ...]], str] = {}
    gaps: list[tuple[str, str, tuple[str, ...], str]] = []
    uncovered: dict[str, int] = {}
    per_rule: dict[str, list[int]] = {}  # rule -> [labelled, raised, right]
    print(f"{'capture':50} {'from':>5} {'exp':>4} {'fired':>5} {'TP':>4} {'FP':>3} {'FN':>3}")
    start = time.perf_counter()
    for label in labels:
        raised = fired(replay(PCAPS / label.capture, label.detect_from))
        for rule, _subjects in raised:
            if rule not in covered:
                uncovered[rule] = uncovered.get(rule, 0) + 1
        got = [key for key in raised if key[0] in covered]
        s = score(label, got)
        for key in {*got, *label.expected}:
            counts = per_rule.setdefault(key[0], [0, 0, 0])
            counts[0] += key in label.expected
            counts[1] += key in got
            counts[2] += key in label.expected and key in got
        total.add(s)
        per_capture.append(s)
        for fp in label.false_positives:
            fp_reasons[fp.key] = fp.why
        for key, why in label.gaps.items():
            if key not in raised:
                gaps.append((label.capture, key[0], key[1], why))
        mark = "  quiet" if label.quiet else ""
        print(
            f"{label.capture:50} {label.detect_from:>5} {s.expected:>4} {s.fired:>5} "
            f"{s.tp:>4} {len(s.fp):>3} {len(s.fn):>3}{mark}"
        )
    elapsed = time.perf_counter() - start
    macro_p = sum(s.precision for s in per_capture) / len(per_capture)
    macro_r = sum(s.recall for s in per_capture) / len(per_capture)
    print(
        f"\n{len(labels)} captures replayed in {elapsed:.1f} s; {total.expected} labelled "
        f"alerts, {total.fired} raised, {total.tp} true positives"
    )
    print(f"precision {total.precision:.3f}  recall {total.recall:.3f}  (micro, over alerts)")
    print(f"precision {macro_p:.3f}  recall {macro_r:.3f}  (macro, mean per capture)")

    print(f"\n{'rule':28} {'labelled':>8} {'raised':>6} {'right':>5}")
    for rule, (want, fired_n, right) in sorted(per_rule.items()):
        print(f"{rule:28} {want:>8} {fired_n:>6} {right:>5}")
    quiet = sorted(covered - set(per_rule))
    print(f"rules labelled and raised nowhere (synthetic cases only): {', '.join(quiet)}")

    by_rule: dict[str, list[tuple[str, ...]]] = {}
    for rule, subjects in total.fp:
        by_rule.setdefault(rule, []).append(subjects)
    print(f"\nfalse positives by rule ({len(total.fp)}):")
    for rule, subjects_list in sorted(by_rule.items()):
        print(f"  {rule} ({len(subjects_list)})")
        for subjects in subjects_list:
            why = fp_reasons.get((rule, subjects), "not analysed: add it to the labels")
            print(f"    {' '.join(subjects)}: {_fold(why)}")
    print(f"\nfalse negatives ({len(total.fn)}), of which known gaps ({len(gaps)}):")
    known = {(g[1], g[2]) for g in gaps}
    for rule, subjects in total.fn:
        if (rule, subjects) not in known:
            print(f"  {rule} {' '.join(subjects)}: not a known gap")
    for capture, rule, subjects, why in gaps:
        print(f"  {capture}: {rule} {' '.join(subjects)}: {_fold(why)}")
    if uncovered:
        print("\nalerts of rules the labels do not cover (not scored):")
        for rule, n in sorted(uncovered.items()):
            print(f"  {rule}: {n} (rule, subjects) pairs")


def _fold(text: str, width: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


# -- throughput -----------------------------------------------------------------------


def _batches(path: Path, every: int) -> Iterator[list[tuple[int, float, int, bytes]]]:
    with open_capture(path) as reader:
        frames = iter(reader)
        while batch := list(islice(frames, every)):
            yield batch


def run_engine(
    path: Path, every: int, checkpoints: int, detect: bool
) -> tuple[int, float, float, str]:
    """Frames, wall and CPU seconds and a summary of one pass; detection learns on the
    first half of ``checkpoints`` and judges the rest."""
    start, cpu = time.perf_counter(), time.process_time()
    engine = PassiveEngine(ref=path.name)
    baseline = Baseline()
    detection = DetectionEngine(baseline)
    book = AlertBook()
    frames = observations = 0
    for n, batch in enumerate(_batches(path, every)):
        frames += len(batch)
        engine.feed(batch)
        seen = engine.checkpoint()
        observations += len(seen)
        if detect:
            book.add(detection.detect(seen))
            if not baseline.frozen:
                baseline.learn(seen)
                baseline.frozen = n + 1 >= checkpoints // 2
    rest = engine.finish().observations
    observations += len(rest)
    if detect:
        book.add(detection.detect(rest))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    summary = f"{observations} observations"
    if detect:
        summary += f", {len(book.alerts)} alerts"
    return frames, elapsed, cpu, summary


def throughput(packets: int, every: int, repeat: int) -> None:
    capture = OUT / f"bench-{packets}.pcap"
    if not capture.exists():
        t = time.perf_counter()
        n = build_capture(capture, packets)
        print(f"built {capture.name}: {n} frames in {time.perf_counter() - t:.1f} s")
    with open_capture(capture) as reader:
        total = sum(1 for _ in reader)
    checkpoints = -(-total // every)
    load = os.getloadavg()[0]
    print(
        f"\n{capture.name}: {total} frames, a checkpoint every {every} frames ({checkpoints}); "
        f"load average {load:.2f} on {os.cpu_count()} CPUs"
    )
    # Best of the runs, by wall time and by CPU time apart: on a shared machine the
    # CPU time of the process is the steadier figure.
    wall: dict[bool, float] = {}
    cpu: dict[bool, float] = {}
    summary: dict[bool, str] = {}
    for _ in range(repeat):
        for detect in (False, True):
            frames, seconds, cpu_seconds, summary[detect] = run_engine(
                capture, every, checkpoints, detect
            )
            assert frames == total, (frames, total)
            wall[detect] = min(wall.get(detect, seconds), seconds)
            cpu[detect] = min(cpu.get(detect, cpu_seconds), cpu_seconds)
    for detect, name in (
        (False, "passive engine:            "),
        (True, "passive engine + detection:"),
    ):
        print(
            f"{name} {total / wall[detect]:>10,.0f} packets/s  {wall[detect]:6.2f} s wall  "
            f"{cpu[detect]:6.2f} s CPU  ({summary[detect]})"
        )
    by_wall = (wall[True] - wall[False]) / wall[False] * 100
    by_cpu = (cpu[True] - cpu[False]) / cpu[False] * 100
    print(
        f"detection costs {by_wall:.1f} % of the passive engine's wall time, {by_cpu:.1f} % "
        "of its CPU time (target: at most 20 %)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality-only", action="store_true")
    parser.add_argument("--throughput-only", action="store_true")
    parser.add_argument("--packets", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=4)
    args = parser.parse_args()
    if not args.throughput_only:
        quality()
    if not args.quality_only:
        throughput(args.packets, args.every, args.repeat)


if __name__ == "__main__":
    main()
