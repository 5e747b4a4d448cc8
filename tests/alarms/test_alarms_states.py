"""The state machine table against the ISA-18.2 moves written by hand."""

from __future__ import annotations

import itertools

import pytest
from alarms_support import ISA_MOVES

from otm.alarms import ANNUNCIATED, TRANSITIONS, Action, AlarmState
from otm.alarms.states import ends_occurrence, next_state, opens_occurrence, resume_state

S = AlarmState
A = Action


def test_every_move_the_engine_can_make_is_an_isa_move() -> None:
    made = set()
    for state, action, condition, shelved in itertools.product(
        AlarmState, Action, (False, True), (False, True)
    ):
        after = next_state(state, action, condition=condition, shelved=shelved)
        if after is not None:
            made.add((state, action, after))
    assert made == ISA_MOVES


def test_table_keys_cover_no_impossible_pair() -> None:
    impossible = {
        (S.NORMAL, A.CLEAR),
        (S.NORMAL, A.ACKNOWLEDGE),
        (S.UNACKNOWLEDGED, A.ACTIVATE),
        (S.ACKNOWLEDGED, A.ACTIVATE),
        (S.ACKNOWLEDGED, A.ACKNOWLEDGE),
        (S.RETURNED_UNACKNOWLEDGED, A.CLEAR),
        (S.SHELVED, A.ACKNOWLEDGE),
        (S.SUPPRESSED, A.ACKNOWLEDGE),
        (S.SUPPRESSED, A.SHELVE),
        (S.SUPPRESSED, A.SUPPRESS),
    }
    assert not impossible & set(TRANSITIONS)
    assert not any(
        (state, a) in TRANSITIONS
        for state in AlarmState
        for a in (A.UNSHELVE, A.UNSUPPRESS)
        if state not in (S.SHELVED, S.SUPPRESSED)
    )


@pytest.mark.parametrize(
    ("state", "action", "condition"),
    [
        (S.NORMAL, A.ACTIVATE, False),  # the process activates only with its condition
        (S.RETURNED_UNACKNOWLEDGED, A.ACTIVATE, False),
        (S.UNACKNOWLEDGED, A.CLEAR, True),
        (S.ACKNOWLEDGED, A.CLEAR, True),
    ],
)
def test_process_moves_follow_the_condition(
    state: AlarmState, action: Action, condition: bool
) -> None:
    assert next_state(state, action, condition=condition) is None


def test_an_acknowledged_alarm_never_becomes_unacknowledged_again_in_one_step() -> None:
    for action in Action:
        for condition in (False, True):
            after = next_state(S.ACKNOWLEDGED, action, condition=condition)
            assert after not in (S.UNACKNOWLEDGED, S.RETURNED_UNACKNOWLEDGED)


def test_shelve_and_suppression_resume_where_the_alarm_would_be() -> None:
    assert resume_state(condition=True, shelved=False) is S.UNACKNOWLEDGED
    assert resume_state(condition=False, shelved=False) is S.NORMAL
    assert resume_state(condition=True, shelved=True) is S.SHELVED
    # an unshelve ignores the flag (it is the shelve ending)
    assert next_state(S.SHELVED, A.UNSHELVE, condition=True, shelved=True) is S.UNACKNOWLEDGED
    assert next_state(S.SUPPRESSED, A.UNSUPPRESS, condition=True, shelved=True) is S.SHELVED


def test_occurrences_open_on_entering_unacknowledged() -> None:
    assert opens_occurrence(S.NORMAL, S.UNACKNOWLEDGED)
    assert opens_occurrence(S.RETURNED_UNACKNOWLEDGED, S.UNACKNOWLEDGED)
    assert opens_occurrence(S.SHELVED, S.UNACKNOWLEDGED)
    assert not opens_occurrence(S.UNACKNOWLEDGED, S.ACKNOWLEDGED)
    assert ends_occurrence(S.RETURNED_UNACKNOWLEDGED, S.UNACKNOWLEDGED)  # re-trigger
    assert ends_occurrence(S.ACKNOWLEDGED, S.NORMAL)
    assert ends_occurrence(S.UNACKNOWLEDGED, S.SHELVED)
    assert not ends_occurrence(S.UNACKNOWLEDGED, S.RETURNED_UNACKNOWLEDGED)
    assert not ends_occurrence(S.SHELVED, S.SUPPRESSED)
    assert {S.UNACKNOWLEDGED, S.ACKNOWLEDGED, S.RETURNED_UNACKNOWLEDGED} == ANNUNCIATED
