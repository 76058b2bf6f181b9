"""Erlang C against an independent exact computation and a published worked example."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routing import erlang


def exact_probability_of_waiting(traffic: Fraction, agents: int) -> Fraction:
    """The textbook sum form, in exact rational arithmetic (independent of the recurrence)."""
    top = traffic**agents / math.factorial(agents) * Fraction(agents) / (agents - traffic)
    bottom = sum(traffic**k / math.factorial(k) for k in range(agents)) + top
    return top / bottom


@given(st.integers(1, 400), st.integers(1, 60))
def test_probability_of_waiting_matches_the_exact_sum_formula(tenths: int, agents: int) -> None:
    traffic = Fraction(tenths, 10)
    if agents <= traffic:
        assert erlang.probability_of_waiting(float(traffic), agents) == 1.0
        return
    expected = float(exact_probability_of_waiting(traffic, agents))
    assert erlang.probability_of_waiting(float(traffic), agents) == pytest.approx(expected, rel=1e-9)


def test_the_call_centre_helper_worked_example() -> None:
    # Call Centre Helper, "Erlang C Formula – Made Simple With an Easy Worked Example" (callcentrehelper.com):
    # 100 calls in 30 minutes, AHT 180 s → 10 erlangs; with 11 agents Pw = 68.21 % and 39 % answered
    # in 20 s; 14 agents are needed for 80 % in 20 s. ASA = Pw × AHT / (N − A) = 122.8 s follows.
    traffic = erlang.traffic(100, 1800, 180)
    assert traffic == pytest.approx(10.0)
    assert erlang.probability_of_waiting(traffic, 11) == pytest.approx(0.6821, abs=5e-5)
    assert erlang.service_level(traffic, 11, 180, 20) == pytest.approx(0.39, abs=5e-3)
    assert erlang.asa(traffic, 11, 180) == pytest.approx(122.8, abs=0.05)
    assert erlang.agents_for_service_level(traffic, 180, 20, 0.8) == 14


def test_a_large_center_stays_numerically_stable() -> None:
    # 360 calls per half hour, 4-minute calls, 55 agents, 15 s target: 48 erlangs.
    traffic = erlang.traffic(360, 1800, 240)
    expected = float(exact_probability_of_waiting(Fraction(48), 55))
    assert erlang.probability_of_waiting(traffic, 55) == pytest.approx(expected, rel=1e-9)
    assert erlang.asa(traffic, 55, 240) == pytest.approx(expected * 240 / 7, rel=1e-9)
    assert erlang.service_level(traffic, 55, 240, 15) == pytest.approx(1 - expected * math.exp(-7 * 15 / 240))
    assert 0 < erlang.probability_of_waiting(900.0, 1000) < 1


def test_overloaded_queues_wait_forever_and_staffing_is_the_first_that_meets_the_target() -> None:
    assert erlang.asa(10.0, 10, 180) == math.inf
    assert erlang.service_level(10.0, 9, 180, 20) == 0.0
    needed = erlang.agents_for_service_level(25.0, 300, 30, 0.9)
    assert erlang.service_level(25.0, needed, 300, 30) >= 0.9
    assert erlang.service_level(25.0, needed - 1, 300, 30) < 0.9


def test_the_wait_for_a_position_is_position_handle_times_over_agents() -> None:
    assert erlang.position_wait(3, 4, 200) == pytest.approx(150.0)
    assert erlang.position_wait(1, 0, 200) is None
