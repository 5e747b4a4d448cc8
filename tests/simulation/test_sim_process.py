"""The demo plant's process model: pure, deterministic, hysteresis kept, overrides obeyed."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from otm.simulation.process import (
    LINE_CYCLE,
    LINE_RUN,
    PUMP_OFF_ABOVE,
    PUMP_ON_BELOW,
    TANK_CYCLE,
    VARIABLES,
    coerce,
    evaluate,
    noise,
)

times = st.floats(min_value=0, max_value=10 * 86_400, allow_nan=False)
seeds = st.integers(min_value=0, max_value=2**31)
KIND_TYPES = {"bool": bool, "int": int, "float": float, "str": str}


@given(times, seeds)
def test_same_time_and_seed_give_the_same_values(t: float, seed: int) -> None:
    assert evaluate(t, seed) == evaluate(t, seed)


@given(times, seeds)
def test_every_variable_has_its_declared_type(t: float, seed: int) -> None:
    values = evaluate(t, seed)
    assert list(values) == list(VARIABLES)
    for name, value in values.items():
        assert type(value) is KIND_TYPES[VARIABLES[name].kind], name


@given(times, seeds)
def test_pump_hysteresis_keeps_the_level_between_its_switching_points(t: float, seed: int) -> None:
    values = evaluate(t, seed)
    level, pump = values["tank_level"], values["pump_running"]
    assert isinstance(level, float)
    assert PUMP_ON_BELOW <= level <= PUMP_OFF_ABOVE
    if level <= PUMP_ON_BELOW:
        assert pump is True
    if level >= PUMP_OFF_ABOVE:
        assert pump is False
    assert (values["inlet_flow"] > 0) is pump


@given(times, seeds, st.floats(min_value=0.05, max_value=1.0))
def test_level_rises_while_the_pump_runs_and_falls_while_it_is_stopped(
    t: float, seed: int, dt: float
) -> None:
    before, after = evaluate(t, seed), evaluate(t + dt, seed)
    if before["pump_running"] and after["pump_running"]:
        assert after["tank_level"] > before["tank_level"]
    if not before["pump_running"] and not after["pump_running"]:
        assert after["tank_level"] < before["tank_level"]


def test_inside_the_band_the_pump_remembers_which_way_the_level_goes() -> None:
    """At 50 % the pump runs on the way up and is stopped on the way down: hysteresis."""
    states = set()
    t = 0.0
    while t < TANK_CYCLE:
        values = evaluate(t, seed=7)
        if abs(float(values["tank_level"]) - 50.0) < 0.8:
            states.add(values["pump_running"])
        t += 0.25
    assert states == {True, False}


def test_a_whole_cycle_starts_the_pump_once() -> None:
    starts = [evaluate(t, seed=3)["pump_starts"] for t in (0.0, TANK_CYCLE, 2 * TANK_CYCLE)]
    assert starts[1] == starts[0] + 1 and starts[2] == starts[0] + 2


@given(times, st.floats(min_value=0, max_value=3600), seeds)
def test_counters_never_go_backwards(t: float, dt: float, seed: int) -> None:
    before, after = evaluate(t, seed), evaluate(t + dt, seed)
    for name in ("parts_count", "packs_count", "pump_starts"):
        assert after[name] >= before[name], name


def test_line_stops_once_a_cycle_and_makes_nothing_meanwhile() -> None:
    stopped = evaluate(LINE_RUN + 5.0)
    assert stopped["motor_running"] is False and stopped["motor_speed"] == 0.0
    assert evaluate(LINE_RUN + 1.0)["parts_count"] == evaluate(LINE_CYCLE - 1.0)["parts_count"]
    assert evaluate(LINE_CYCLE + 10.0)["motor_running"] is True


def test_the_seed_moves_the_tank_and_the_noise() -> None:
    a, b = evaluate(12.0, seed=1), evaluate(12.0, seed=2)
    assert a["tank_level"] != b["tank_level"]
    assert a["line_temperature"] != b["line_temperature"]


@given(seeds, st.floats(min_value=0, max_value=1e6), st.floats(min_value=0, max_value=0.999))
def test_noise_is_held_for_a_second(seed: int, whole: float, part: float) -> None:
    second = math.floor(whole)
    assert noise(seed, "x", second, 1.0) == noise(seed, "x", second + part, 1.0)


def test_forcing_the_level_drives_the_pump_and_the_high_switch() -> None:
    high = evaluate(5.0, overrides={"tank_level": 96.0})
    assert high["tank_level"] == 96.0
    assert high["pump_running"] is False and high["inlet_flow"] == 0.0
    assert high["high_level_switch"] is True
    low = evaluate(60.0, overrides={"tank_level": 5.0})
    assert low["pump_running"] is True and low["high_level_switch"] is False


def test_forcing_the_setpoint_drives_the_fan() -> None:
    assert evaluate(0.0, overrides={"room_setpoint": 40.0})["fan_running"] is False
    assert evaluate(0.0, overrides={"room_setpoint": 5.0})["fan_running"] is True


@given(times, seeds)
def test_overrides_change_only_what_follows_from_them(t: float, seed: int) -> None:
    plain = evaluate(t, seed)
    forced = evaluate(t, seed, {"batch_name": "TEST"})
    assert forced["batch_name"] == "TEST"
    assert {k: v for k, v in forced.items() if k != "batch_name"} == {
        k: v for k, v in plain.items() if k != "batch_name"
    }


def test_unknown_overrides_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown process variables: nope"):
        evaluate(0.0, overrides={"nope": 1.0})


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("pump_running", "on", True),
        ("pump_running", "inactive", False),
        ("pump_running", "0", False),
        ("outlet_valve", "75", 75),
        ("outlet_valve", "75.0", 75),
        ("tank_level", "96.5", 96.5),
        ("tank_level", "-3", -3.0),
        ("batch_name", "B-42", "B-42"),
    ],
)
def test_command_line_text_reads_as_the_variable_type(name: str, text: str, value: object) -> None:
    got = coerce(name, text)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pump_running", "maybe"),
        ("outlet_valve", "7.5"),
        ("tank_level", "nan"),
        ("tank_level", "high"),
        ("no_such", "1"),
    ],
)
def test_text_that_does_not_fit_the_variable_is_refused(name: str, text: str) -> None:
    with pytest.raises(ValueError):
        coerce(name, text)
