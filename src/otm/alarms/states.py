"""The ISA-18.2 alarm state machine, as one table and one function.

States (ISA-18.2 figure 5, without latching and out-of-service)::

                 activate                  acknowledge
    NORMAL ──────────────────▶ UNACKNOWLEDGED ──────────▶ ACKNOWLEDGED
      ▲  ▲                        │    ▲                      │
      │  │ acknowledge      clear │    │ activate (a new      │ clear
      │  └──────────── RETURNED ◀─┘    │ occurrence)          │
      │                UNACK ──────────┘                      │
      └───────────────────────────────────────────────────────┘

    any of the four ──shelve──▶ SHELVED    ──unshelve (by hand, or at its time)──▶ *
    any of the five ──suppress─▶ SUPPRESSED ──unsuppress (design condition gone)──▶ *

``*``: where the alarm would be now: UNACKNOWLEDGED (a new occurrence) if the
condition is present, else NORMAL; a point whose shelve is still running when
its suppression ends goes back to SHELVED.

An *occurrence* is one annunciation: it opens on every entry into
UNACKNOWLEDGED and ends when the point leaves the four annunciated states
or re-triggers from RETURNED_UNACKNOWLEDGED (the old one ends unacknowledged,
a new one opens: two rows an operator can tell apart).  Shelving or
suppressing an annunciated alarm ends its occurrence too: the operator no
longer sees it, and un-shelving announces afresh what is true then.
"""

from __future__ import annotations

from enum import StrEnum


class AlarmState(StrEnum):
    """Where one alarm point is in its life cycle."""

    NORMAL = "normal"  # condition absent, nothing to acknowledge
    UNACKNOWLEDGED = "unacknowledged"  # condition present, not yet acknowledged
    ACKNOWLEDGED = "acknowledged"  # condition present, acknowledged
    RETURNED_UNACKNOWLEDGED = "returned_unacknowledged"  # condition gone, never acknowledged
    SHELVED = "shelved"  # hidden by an operator until a time
    SUPPRESSED = "suppressed"  # hidden by design (e.g. the device is down)


ANNUNCIATED = frozenset(
    {
        AlarmState.UNACKNOWLEDGED,
        AlarmState.ACKNOWLEDGED,
        AlarmState.RETURNED_UNACKNOWLEDGED,
    }
)
"""The states that belong to an occurrence and show in the alarm summary."""


class Action(StrEnum):
    """What moves a point: the process (activate, clear), an operator, or design."""

    ACTIVATE = "activate"
    CLEAR = "clear"
    ACKNOWLEDGE = "acknowledge"
    SHELVE = "shelve"
    UNSHELVE = "unshelve"
    SUPPRESS = "suppress"
    UNSUPPRESS = "unsuppress"


OPERATOR_ACTIONS = frozenset({Action.ACKNOWLEDGE, Action.SHELVE, Action.UNSHELVE})
"""Actions a person takes (and that always name who); a shelve's expiry is an
UNSHELVE by nobody."""

_RESUME = "resume"
"""Target marker: the state the point would be in now (see ``resume_state``)."""

S = AlarmState
A = Action

TRANSITIONS: dict[tuple[AlarmState, Action], AlarmState | str] = {
    (S.NORMAL, A.ACTIVATE): S.UNACKNOWLEDGED,
    (S.NORMAL, A.SHELVE): S.SHELVED,
    (S.NORMAL, A.SUPPRESS): S.SUPPRESSED,
    (S.UNACKNOWLEDGED, A.ACKNOWLEDGE): S.ACKNOWLEDGED,
    (S.UNACKNOWLEDGED, A.CLEAR): S.RETURNED_UNACKNOWLEDGED,
    (S.UNACKNOWLEDGED, A.SHELVE): S.SHELVED,
    (S.UNACKNOWLEDGED, A.SUPPRESS): S.SUPPRESSED,
    (S.ACKNOWLEDGED, A.CLEAR): S.NORMAL,
    (S.ACKNOWLEDGED, A.SHELVE): S.SHELVED,
    (S.ACKNOWLEDGED, A.SUPPRESS): S.SUPPRESSED,
    (S.RETURNED_UNACKNOWLEDGED, A.ACKNOWLEDGE): S.NORMAL,
    (S.RETURNED_UNACKNOWLEDGED, A.ACTIVATE): S.UNACKNOWLEDGED,
    (S.RETURNED_UNACKNOWLEDGED, A.SHELVE): S.SHELVED,
    (S.RETURNED_UNACKNOWLEDGED, A.SUPPRESS): S.SUPPRESSED,
    (S.SHELVED, A.SHELVE): S.SHELVED,  # a new end time
    (S.SHELVED, A.UNSHELVE): _RESUME,
    (S.SHELVED, A.SUPPRESS): S.SUPPRESSED,
    (S.SUPPRESSED, A.UNSUPPRESS): _RESUME,
}
"""Every move there is.  A (state, action) pair not listed changes nothing:
acknowledging an acknowledged alarm, a clear of a normal one, shelving a
suppressed one (nothing shows to shelve)."""


def resume_state(condition: bool, shelved: bool) -> AlarmState:
    """Where a point goes when a shelve or a suppression ends."""
    if shelved:
        return S.SHELVED
    return S.UNACKNOWLEDGED if condition else S.NORMAL


def next_state(
    state: AlarmState, action: Action, *, condition: bool, shelved: bool = False
) -> AlarmState | None:
    """The state after ``action``, or None when the action does nothing here.

    ``condition`` is whether the alarm condition is present now (after the
    delays); ``shelved`` whether an unexpired shelve waits under a
    suppression.  The process only activates or clears in step with the
    condition, so ACTIVATE with the condition absent (or CLEAR with it
    present) is refused too.
    """
    if action is A.ACTIVATE and not condition:
        return None
    if action is A.CLEAR and condition:
        return None
    target = TRANSITIONS.get((state, action))
    if target is None:
        return None
    if target == _RESUME:
        return resume_state(condition, shelved and action is A.UNSUPPRESS)
    return AlarmState(target)


def opens_occurrence(before: AlarmState, after: AlarmState) -> bool:
    """Every entry into UNACKNOWLEDGED is a new occurrence (a new annunciation)."""
    return after is S.UNACKNOWLEDGED and before is not S.UNACKNOWLEDGED


def ends_occurrence(before: AlarmState, after: AlarmState) -> bool:
    """The occurrence of ``before`` ends: the point leaves the annunciated states,
    or re-triggers (RETURNED_UNACKNOWLEDGED -> UNACKNOWLEDGED)."""
    if before not in ANNUNCIATED:
        return False
    return after not in ANNUNCIATED or opens_occurrence(before, after)
