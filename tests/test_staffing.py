"""The staffing optimiser: CP-SAT against exact enumeration on tiny instances, and the
model's promises on hand-checked cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimize.result import Status
from optimize.staffing import (
    StaffingProblem,
    StationLoad,
    quantile_work,
    solve_by_enumeration,
    solve_staffing,
)


def _station(pre, post, works, ships, **kw) -> StationLoad:
    base = dict(name="s", hours_before_pickup=8.0, hours_after_pickup=8.0,
                overtime_before_h=2.0, overtime_after_h=0.0, max_permanent=2, max_temps=1)
    base.update(kw)
    return StationLoad(pre_h=tuple(pre), post_h=tuple(post), works=tuple(works),
                       ships=tuple(ships), **base)


@st.composite
def tiny(draw) -> StaffingProblem:
    n = draw(st.integers(2, 3))
    work = st.floats(0.0, 20.0, allow_nan=False).map(lambda v: round(v, 2))
    pre = draw(st.lists(work, min_size=n, max_size=n))
    post = draw(st.lists(work, min_size=n, max_size=n))
    works = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    ships = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    station = _station(pre, post, works, ships,
                       hours_before_pickup=draw(st.sampled_from([4.0, 8.0])),
                       hours_after_pickup=draw(st.sampled_from([0.0, 4.0])),
                       overtime_before_h=draw(st.sampled_from([0.0, 1.0, 2.0])),
                       hiring_lead_days=draw(st.integers(0, 1)),
                       start_share=draw(st.sampled_from([0.5, 1.0])),
                       ramp_days=draw(st.sampled_from([0.0, 2.0])),
                       presence=draw(st.sampled_from([1.0, 0.9])))
    return StaffingProblem(stations=(station,), wage=draw(st.sampled_from([20.0, 22.5])),
                           overtime_premium=draw(st.sampled_from([0.25, 0.5, 2.0])),
                           agency_premium=draw(st.sampled_from([0.0, 0.3, 1.5])))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny())
def test_cpsat_optimum_equals_enumeration(problem):
    exact = solve_by_enumeration(problem)
    plan = solve_staffing(problem, time_limit_s=30.0)
    assert plan.status == exact.status
    if exact.status is Status.OPTIMAL:
        assert plan.objective == pytest.approx(exact.objective, abs=1e-9)
        assert plan.bound == pytest.approx(plan.objective)
        assert sum(r["cost"] for r in plan.rows) == pytest.approx(plan.objective)


def test_two_stations_solve_separately():
    a = _station([10, 0], [0, 0], [True, True], [True, True])
    b = _station([0, 20], [0, 0], [True, True], [True, True], name="t")
    both = solve_staffing(StaffingProblem(stations=(a, b), wage=20.0))
    one = [solve_staffing(StaffingProblem(stations=(s,), wage=20.0)) for s in (a, b)]
    assert both.objective == pytest.approx(sum(r.objective for r in one))


def test_hand_checked_plan():
    # 16 h due before pickup on day 0, 8 h a head before pickup, no overtime: a permanent
    # head is paid 16 h on both days (640), a temp on day 0 only (16 h x 20 x 1.3 = 416):
    # one permanent + one temp (1056) beats two permanent heads (1280).
    s = _station([16, 0], [0, 0], [True, True], [True, True], overtime_before_h=0.0)
    plan = solve_staffing(StaffingProblem(stations=(s,), wage=20.0, agency_premium=0.3))
    assert plan.optimal
    assert plan.permanent == (1,)
    assert plan.bookings == (((0, 1, 1),),)
    assert plan.objective == pytest.approx(640 + 416)


def test_learning_curve_costs_capacity():
    # A temp at half speed on its first day adds 4 h before pickup, not 8.
    s = _station([12], [0], [True], [True], overtime_before_h=0.0, max_temps=2,
                 max_permanent=1, start_share=0.5, ramp_days=3.0)
    plan = solve_staffing(StaffingProblem(stations=(s,), wage=20.0, agency_premium=0.0))
    assert plan.optimal and plan.permanent == (1,) and plan.bookings == (((0, 1, 1),),)
    s2 = _station([13], [0], [True], [True], overtime_before_h=0.0, max_temps=2,
                  max_permanent=1, start_share=0.5, ramp_days=3.0)
    plan2 = solve_staffing(StaffingProblem(stations=(s2,), wage=20.0, agency_premium=0.0))
    assert plan2.bookings == (((0, 1, 2),),)


def test_hiring_lead_forces_overtime_or_permanent():
    s = _station([12, 12, 12], [0, 0, 0], [True] * 3, [True] * 3, hiring_lead_days=3,
                 overtime_before_h=4.0)
    plan = solve_staffing(StaffingProblem(stations=(s,), wage=20.0))
    assert plan.bookings == ((),)  # no temp can start inside the lead time
    assert plan.permanent == (1,) and plan.overtime_h == ((4, 4, 4),)


def test_infeasible_is_reported():
    s = _station([100, 0], [0, 0], [True, True], [True, True], max_permanent=1, max_temps=1)
    plan = solve_staffing(StaffingProblem(stations=(s,), wage=20.0))
    assert plan.status is Status.INFEASIBLE and math.isnan(plan.objective)
    assert solve_by_enumeration(StaffingProblem(stations=(s,), wage=20.0)).status \
        is Status.INFEASIBLE


def test_quantile_work_is_the_poisson_quantile():
    w = quantile_work(np.array([100.0, 0.0]), 0.5, 0.95)
    # Poisson(100) 95 % quantile is 117 (P(N <= 116) < 0.95 <= P(N <= 117))
    assert w.tolist() == [58.5, 0.0]
