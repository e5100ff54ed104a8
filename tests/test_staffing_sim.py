"""Crews by date in the simulation: temps, the agency premium, the learning curve and
absenteeism (its own random stream), and their schema errors."""

from __future__ import annotations

import math

import pytest
import simpy
from pydantic import ValidationError

from sim.api import load_scenario, run, with_changes
from sim.scenario import Crew
from sim.station import Station, temp_hours_by_day
from tests.conftest import SCENARIOS

CREW = "nodes[0].resources.pickers"


@pytest.fixture(scope="module")
def base():
    sc = with_changes(load_scenario(SCENARIOS / "us_one_node_in_house.yaml"),
                      {"run.horizon_days": 7, "run.warmup_days": 0,
                       "demand.orders_per_day": 400})
    return sc, run(sc)


def _crew_hours(result, crew: str, column: str) -> float:
    daily = result.tables["daily"]
    return float(daily[f"{crew}_{column}_h"].iloc[-1] - daily[f"{crew}_{column}_h"].iloc[0])


def test_temps_add_paid_hours_and_the_agency_premium(base):
    sc, res = base
    # Monday start: days 1 and 2 are worked, 2 temps x two 8 h shifts each day = 64 h.
    temps = with_changes(sc, {f"{CREW}.temps": [{"count": 2, "start_day": 1, "end_day": 3}]})
    out = run(temps)
    extra = _crew_hours(out, "pickers", "staffed") - _crew_hours(res, "pickers", "staffed")
    assert extra == pytest.approx(64.0)
    h = sc.costs.in_house
    labour = out.tables["costs"].query("category == 'labour'")["amount"].sum()
    base_labour = res.tables["costs"].query("category == 'labour'")["amount"].sum()
    overtime = (_crew_hours(out, "pickers", "overtime") + _crew_hours(out, "packers", "overtime")
                + _crew_hours(out, "receivers", "overtime")
                - _crew_hours(res, "pickers", "overtime") - _crew_hours(res, "packers", "overtime")
                - _crew_hours(res, "receivers", "overtime"))
    expected = (64.0 * (1 + h.agency_premium) + overtime * (1 + h.overtime_premium)) \
        * h.labour_per_hour
    assert labour - base_labour == pytest.approx(expected)
    # the orders drawn are the same (crews move no random stream)
    assert out.tables["orders"]["created_h"].equals(res.tables["orders"]["created_h"])


def test_absence_removes_workers_from_its_own_stream(base):
    sc, res = base
    p = 0.25
    out = run(with_changes(sc, {f"{CREW}.absent_share": p}))
    assert out.tables["orders"]["created_h"].equals(res.tables["orders"]["created_h"])
    staffed = _crew_hours(out, "pickers", "staffed")
    assert staffed == _crew_hours(res, "pickers", "staffed")  # absentees are paid
    crew = sc.nodes[0].resources.pickers
    # available = present x hours (+ overtime): worker-shifts n, each present w.p. 1 - p
    n = crew.count * len(crew.shifts) * 6  # six worked days in the week
    present = (_crew_hours(out, "pickers", "available")
               - _crew_hours(out, "pickers", "overtime")) / 8.0
    sd = math.sqrt(n * p * (1 - p))
    assert abs(present - n * (1 - p)) <= 4 * sd
    assert present < n  # somebody was absent


def test_learning_curve_divides_the_work_time():
    env = simpy.Environment()
    crew = Crew(count=0, shifts=[(0.0, 24.0)], temps=[{"count": 1, "start_day": 0,
                                                        "end_day": 5}],
                learning={"start_share": 0.5, "ramp_days": 4})
    st = Station(env, "x", crew, horizon_days=5)
    done = []
    env.run(until=0.5)
    st.submit(1.0, lambda job: done.append(env.now), "job")
    env.run(until=30.0)
    st.submit(1.0, lambda job: done.append(env.now), "job")  # day 1: share 0.625
    env.run(until=40.0)
    assert done == pytest.approx([0.5 + 2.0, 30.0 + 1.0 / 0.625])


def test_temp_hours_by_day_counts_worked_days_and_the_shift():
    crew = Crew(count=3, shifts=[(6, 14), (14, 22)], days=[0, 1, 2, 3, 4],
                temps=[{"count": 2, "start_day": 3, "end_day": 7, "shift": 1}])
    hours = temp_hours_by_day(crew, 8, start_weekday=0)
    assert hours.tolist() == [0, 0, 0, 16, 16, 0, 0, 0]  # days 5 and 6: the weekend


@pytest.mark.parametrize(("crew", "words"), [
    ({"count": 1, "temps": [{"count": 1, "start_day": 2, "end_day": 2}]}, "before end_day"),
    ({"count": 1, "temps": [{"count": 1, "start_day": 0, "end_day": 2, "shift": 1}]},
     "temps[0].shift 1"),
    ({"count": 1, "hiring_lead_days": 5, "temps": [{"count": 1, "start_day": 4,
                                                    "end_day": 9}]}, "hiring_lead_days: 5"),
    ({"count": 1, "learning": {"start_share": 0.0}}, "start_share"),
    ({"count": 1, "absent_share": 1.5}, "absent_share"),
])
def test_schema_errors_name_the_field(crew, words):
    with pytest.raises(ValidationError, match=words.replace("[", r"\[").replace("]", r"\]")):
        Crew.model_validate(crew)


def _flex_run(jobs: int) -> tuple[Station, Station, list[float]]:
    """Three idle pickers, one packer with `jobs` one-hour jobs; up to two pickers help
    while more than three jobs wait (checked every 15 min); run for 12 h."""
    from sim.station import flex_workers

    env = simpy.Environment()
    src = Station(env, "pickers", Crew(count=3), horizon_days=2)
    dst = Station(env, "packers", Crew(count=1), horizon_days=2)
    env.process(flex_workers(env, src, dst, count=2, threshold=3, check_h=0.25))
    done: list[float] = []
    for _ in range(jobs):
        dst.submit(1.0, lambda job: done.append(env.now), "job")
    env.run(until=12.0)
    return src, dst, done


def test_flex_workers_move_while_the_queue_is_long_and_go_back():
    src, dst, done = _flex_run(10)
    # one packer alone takes 10 h; two pickers join from the first check on, so three
    # work from t <= 0.25 until the queue is down to nothing
    assert len(done) == 10 and max(done) <= 4.25
    assert src.lent == 0 and dst.borrowed == 0  # back home once the queue emptied
    staffed, _ot, busy, _avail = src.hours()
    assert staffed == pytest.approx(36.0)  # paid by their own crew all along
    assert busy == 0.0 and dst.hours()[2] == pytest.approx(10.0)


def test_flex_without_a_long_queue_moves_nobody():
    _src, _dst, done = _flex_run(3)
    assert done == pytest.approx([1.0, 2.0, 3.0])


def test_flex_names_crews_of_the_node():
    from sim.scenario import Resources

    r = Resources.model_validate({"flex": [{"from": "pickers", "to": "packers", "count": 2,
                                            "rule": "queue_longer_than 20"}]})
    assert r.flex[0].threshold == 20 and r.flex[0].from_ == "pickers"
    with pytest.raises(ValidationError, match=r"flex\[0\]\.to 'packerz'"):
        Resources.model_validate({"flex": [{"from": "pickers", "to": "packerz", "count": 1,
                                            "rule": "queue_longer_than 2"}]})
    with pytest.raises(ValidationError, match="queue_longer_than"):
        Resources.model_validate({"flex": [{"from": "pickers", "to": "packers", "count": 1,
                                            "rule": "queue_above 2"}]})


def test_flex_in_a_run_relieves_the_bottleneck(base):
    sc, _ = base
    short = with_changes(sc, {"nodes[0].resources.packers.count": 1,
                              "demand.orders_per_day": 900})  # packing needs ~34 h a day
    flexed = with_changes(short, {"nodes[0].resources.flex": [
        {"from": "pickers", "to": "packers", "count": 3, "rule": "queue_longer_than 5"}]})
    alone, helped = run(short), run(flexed)
    assert helped.summary["orders_shipped"] > alone.summary["orders_shipped"]
    assert _crew_hours(helped, "packers", "available") > _crew_hours(alone, "packers",
                                                                     "available")
    assert _crew_hours(helped, "pickers", "staffed") == _crew_hours(alone, "pickers", "staffed")
