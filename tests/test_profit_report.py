"""Profit beside cost in the comparison: the KPI table's profit lines, the findings, and the
break-even drawn on profit (the most profitable mode wins, crossings where it changes)."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.api import load_scenario, with_changes
from sim.compare import (
    PROFIT_KPIS,
    CompareSettings,
    CompareTables,
    _crossings,
    _tornado_rows,
    plan_compare,
    tornado_bars,
)
from sim.report import _kpi_table, findings, write_report

from .conftest import SCENARIOS


def _curve(values: dict[str, list[float]], multipliers=(0.5, 1.0, 2.0)) -> pd.DataFrame:
    rows = [{"mode": m, "multiplier": v, "orders_per_day": 3000.0 * v, "n": 1, "mean": c,
             "half_width": float("nan"), "lo": float("nan"), "hi": float("nan")}
            for m, cs in values.items() for v, c in zip(multipliers, cs, strict=True)]
    return pd.DataFrame(rows)


def _kpis() -> pd.DataFrame:
    """Two modes: in-house cheaper per order but losing more sales, 3PL the more profitable."""
    values = {"in_house": {"cost_per_order": 10.0, "profit_per_order": 20.0,
                           "revenue_per_order": 60.0, "lost_sales_value": 900.0,
                           "lost_demand_pct": 4.0, "two_day_pct": 50.0},
              "3pl": {"cost_per_order": 11.0, "profit_per_order": 22.5,
                      "revenue_per_order": 63.0, "lost_sales_value": 100.0,
                      "lost_demand_pct": 0.5, "two_day_pct": 50.0}}
    return pd.DataFrame([{"period": "all", "mode": m, "metric": k, "n": 5, "mean": v,
                          "half_width": 0.5, "lo": v - 0.5, "hi": v + 0.5, "enough": True,
                          "replications_needed": 5}
                         for m, d in values.items() for k, v in d.items()])


def _tables(curve: pd.DataFrame, on: str, kpis: pd.DataFrame | None = None) -> CompareTables:
    empty = pd.DataFrame()
    tornado = pd.DataFrame(columns=["assumption", "level", "mode", "cost_per_order"])
    return CompareTables(kpis if kpis is not None else _kpis(), empty, curve,
                         _crossings(curve, on), tornado, empty, "all", on)


def test_break_even_on_profit_names_the_most_profitable_mode_and_its_crossing():
    # 3pl earns more per order at low volume, in-house above: gaps -2 then +0.5 (higher is
    # better), so the crossing is 2/2.5 of the way from x0.5 to x1.
    t = _tables(_curve({"in_house": [5.0, 8.0, 10.0], "3pl": [7.0, 7.5, 8.0]}), "profit")
    assert len(t.crossings) == 1
    x = 1500.0 + 1500.0 * 2.0 / 2.5
    assert t.crossings["orders_per_day"].iloc[0] == pytest.approx(x)
    assert (t.crossings["cheapest_below"].iloc[0], t.crossings["cheapest_above"].iloc[0]) == (
        "3pl", "in_house")
    assert t.break_even_note().startswith(
        f"below about {x:,.0f} orders/day 3pl is most profitable")
    # The same numbers read as costs crown the other mode at each end.
    as_cost = _tables(_curve({"in_house": [5.0, 8.0, 10.0], "3pl": [7.0, 7.5, 8.0]}), "cost")
    assert as_cost.crossings["cheapest_below"].iloc[0] == "in_house"


def test_no_profit_break_even_says_who_is_most_profitable_throughout():
    t = _tables(_curve({"in_house": [5.0, 8.0, 10.0], "3pl": [4.0, 7.0, 9.0]}), "profit")
    assert t.crossings.empty
    assert t.break_even_note().endswith("in_house is most profitable throughout")
    assert t.crossings_table()["cheapest_below"].iloc[0] == "in_house"


def test_the_kpi_table_shows_profit_and_lost_sales_right_after_the_cost():
    table = _kpi_table(_kpis(), "all", ["in_house", "3pl"])
    labels = table.iloc[:, 0].str.strip().tolist()
    cost_at = labels.index("cost per shipped order")
    shown = labels[cost_at + 1:cost_at + 1 + len(PROFIT_KPIS)]
    assert [s.split(" (")[0] for s in shown] == [
        "revenue per shipped order", "profit per shipped order", "sales lost at stockouts",
        "units ordered lost at stockouts %"]
    profit = table[table.iloc[:, 0].str.startswith("profit")].iloc[0]
    assert profit["3pl"] == "22.50 ± 0.50" and profit["in_house"] == "20.00 ± 0.50"


def test_findings_name_the_most_profitable_mode_beside_the_cheapest():
    small = with_changes(load_scenario(SCENARIOS / "us_one_node_in_house.yaml"),
                         {"run.horizon_days": 14, "run.warmup_days": 3})
    plan = plan_compare(small, CompareSettings(modes=("in_house", "3pl"), sensitivity=False,
                                               break_even_on="profit"))
    text = findings(plan, _tables(_curve({"in_house": [5.0, 8.0, 10.0],
                                          "3pl": [7.0, 7.5, 8.0]}), "profit"))
    cheapest = next(f for f in text if "cheapest at" in f)
    profitable = next(f for f in text if "most profitable at" in f)
    assert "**in_house** is cheapest" in cheapest
    assert "**3pl** is the most profitable at 22.50" in profitable
    assert "**in_house** 900" in profitable and "**3pl** 100" in profitable
    assert any(f.startswith("Break-even (normal period, profit per shipped order)")
               for f in text)


def test_the_report_draws_the_break_even_on_profit(tmp_path):
    small = with_changes(load_scenario(SCENARIOS / "us_one_node_in_house.yaml"),
                         {"run.horizon_days": 14, "run.warmup_days": 3})
    plan = plan_compare(small, CompareSettings(modes=("in_house", "3pl"), sensitivity=False,
                                               break_even_on="profit"))
    t = _tables(_curve({"in_house": [5.0, 8.0, 10.0], "3pl": [7.0, 7.5, 8.0]}), "profit")
    write_report(plan, t, tmp_path, interactive=False)
    md = (tmp_path / "report.md").read_text()
    assert "Break-even: profit per order vs orders per day" in md
    assert "profit per shipped order" in md and "sales lost at stockouts" in md
    crossings = pd.read_csv(tmp_path / "break_even_crossings.csv")
    assert crossings["note"].iloc[0] == "3pl most profitable below, in_house above"


def test_an_unknown_break_even_quantity_is_refused():
    with pytest.raises(ValueError, match="break_even_on"):
        CompareSettings(break_even_on="revenue")


def test_the_cli_refuses_an_unknown_break_even_quantity_with_exit_2():
    from typer.testing import CliRunner

    import sim.cli.compare_command  # noqa: F401  (registers `fulfil compare`)
    from sim.cli.app import app

    res = CliRunner().invoke(app, ["compare", str(SCENARIOS / "us_one_node_in_house.yaml"),
                                   "--break-even-on", "revenue"])
    assert res.exit_code == 2
    assert "--break-even-on" in res.output and "revenue" in res.output


def _tornado(values: dict[tuple[str, str], dict[str, tuple[float, float]]]) -> pd.DataFrame:
    """A tornado table from {(assumption, level): {mode: (cost, profit)}}."""
    return pd.DataFrame([{"assumption": a, "level": lv, "mode": m, "cost_per_order": c,
                          "profit_per_order": p}
                         for (a, lv), by_mode in values.items()
                         for m, (c, p) in by_mode.items()])


def test_the_tornado_on_profit_ranks_by_profit_not_cost():
    # in-house is cheaper per order, 3PL earns more (it loses fewer sales): on cost the
    # choice is in-house by 1, on profit 3PL by 2.5; a rent rise flips neither.
    t = _tornado({("base", "base"): {"in_house": (10.0, 20.0), "3pl": (11.0, 22.5)},
                  ("rent", "low"): {"in_house": (9.0, 21.0), "3pl": (11.0, 22.5)},
                  ("rent", "high"): {"in_house": (11.5, 18.5), "3pl": (11.0, 22.5)}})
    bars, best, second, gap = tornado_bars(t, "cost")
    assert (best, second, gap) == ("in_house", "3pl", pytest.approx(1.0))
    assert bars.set_index("assumption").loc["rent", "high"] == pytest.approx(-0.5)
    bars, best, second, gap = tornado_bars(t, "profit")
    assert (best, second, gap) == ("3pl", "in_house", pytest.approx(2.5))
    rent = bars.set_index("assumption").loc["rent"]
    assert (rent["low"], rent["high"]) == (pytest.approx(1.5), pytest.approx(4.0))


def test_a_cost_priced_again_moves_profit_by_as_much_the_other_way():
    plan = plan_compare(load_scenario(SCENARIOS / "us_one_node_in_house.yaml"),
                        CompareSettings(modes=("in_house",), volumes=(1.0,)))
    sens = pd.DataFrame([{"mode": "in_house", "role": "volume", "level": "base",
                          "factor": 1.0, "cost_per_order": 10.0 + r, "profit_per_order": 5.0,
                          "recost:labour_rate-high:cost_per_order": 12.0 + r}
                         for r in (0.0, 1.0)])
    rows = _tornado_rows(plan, sens).set_index(["assumption", "level"])
    assert rows.loc[("labour rate", "high"), "cost_per_order"] == pytest.approx(12.5)
    assert rows.loc[("labour rate", "high"), "profit_per_order"] == pytest.approx(3.0)
    # no priced-again column: the base value, and a simulated assumption with no run too
    assert rows.loc[("labour rate", "low"), "profit_per_order"] == pytest.approx(5.0)
    assert rows.loc[("carrier discount", "low"), "cost_per_order"] == pytest.approx(10.5)


def test_the_carrier_discount_is_simulated_for_modes_that_get_it():
    sc = load_scenario(SCENARIOS / "us_one_node_in_house.yaml")
    plan = plan_compare(sc, CompareSettings(modes=("in_house", "3pl", "dropship"),
                                            volumes=(1.0,), carrier_discount_swing=1.0))
    runs = {(plan.roles[t.key][0], plan.roles[t.key][1], t.changes["mode"]): t
            for t in plan.tasks if t.key in plan.roles}
    discount = {k[1:]: t for k, t in runs.items() if k[0] == "carrier discount"}
    # dropship parcels are the supplier's: no run; list rates (x0) and twice the discount
    assert set(discount) == {(lv, m) for lv in ("low", "high") for m in ("in_house", "3pl")}
    base = sc.costs.in_house.carrier_discount
    assert discount[("low", "in_house")].changes["costs.in_house.carrier_discount"] == 0.0
    assert discount[("high", "in_house")].changes[
        "costs.in_house.carrier_discount"] == pytest.approx(2 * base)
