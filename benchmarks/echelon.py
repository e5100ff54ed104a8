"""Where to hold safety stock in a two-echelon network, evaluated in the simulation through a
Black Friday spike: the guaranteed-service plan vs all safety stock at the forward nodes vs
all at the DC with fast transfers vs the forward nodes' safety stock pooled.

The network is scenarios/us_dc_three_fc.yaml (an Inland Empire import DC feeding Reno,
Dallas and Columbus; 3.5x on days 25-28). The plans, all for the scenario's 0.97 fill-rate
target per node:

- `gsm`: the guaranteed-service model's placement (`inventory.sizing: gsm`,
  sim/echelon_sizing.py). Here it holds stock at the DC (S_dc = 0: three forward nodes pool
  enough at it), so it is also what sizing each node alone gives.
- `forward`: the DC quotes its whole processing time (supplier lead + dock-to-stock + review,
  rounded up to whole days) and holds nothing; each forward node protects that plus its own
  lead time and review (the GSM's other extreme point).
- `central`: the DC as in `gsm`; the forward nodes hold only their pipeline and cycle stock
  (mean demand over transfer lead + dock-to-stock + review, no safety stock), fed by fast
  transfers (team drivers, about 1,000 miles a day: Reno 1 day, Dallas 1.5, Columbus 2.5,
  fixed) at twice the freight per kg.
- `pooled`: the pooling plan (`inventory.sizing: pooled`, sim/echelon_sizing.py): the DC as
  in `gsm`; the three forward nodes sized together by the SAA solver
  (optimize.safety_stock.pool_stock_saa) at the stock-out probability their stand-alone
  levels imply, run with the transfers pooling assumes: emergency lateral transfers with
  complete pooling (hold-back 0), 2 days (gamma, cv 0.3: team drivers over 1,400-3,000 km),
  75 per shipment + 0.35 per kg; orders also ship from another node when the nearest is short
  (the scenario's `nearest_with_stock` routing, as in every plan).

What each plan knew: the demand model's base rate and variance per node (no spikes, no
future orders); the `+pre` runs add the announced spike at last year's 3.0x.

Each plan runs with static levels and with the spike pre-build (sim/prebuild.py, the online
forecast: Black Friday announced at last year's 3.0x). Replication r of every plan uses the
same orders (common random numbers); the table gives Student t 95 % intervals over the
replications for the normal period (after warm-up, before the spike) and the spike window
(sim.experiments.periods), holding, freight and lateral freight cost after the warm-up; a
cell marked * has too few replications for its interval (sim.experiments.summarise). A second
table gives the paired differences pooled - gsm on the same orders.

    .venv/bin/python benchmarks/echelon.py --quick     # 2 replications, 1,000 orders/day
    .venv/bin/python benchmarks/echelon.py --orders-per-day 1000 --replications 5
    .venv/bin/python benchmarks/echelon.py             # 3 replications, full size
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

from optimize.safety_stock import order_up_to_levels
from sim.api import load_scenario, run, with_changes
from sim.experiments import MIN_REPLICATIONS, paired_differences, run_record, summarise
from sim.fulfilment_modes import rule_for
from sim.model import Network
from sim.scenario import Scenario
from sim.stock_levels import (
    assortment_mask,
    lead_time_days,
    node_demand,
    processing_days,
    protection_lead_days,
)

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "us_dc_three_fc.yaml"
RUNS = Path(__file__).resolve().parent / "results" / "echelon_runs.csv"  # one row a run
METRICS = (
    "normal/unit_fill_rate_pct", "spike/unit_fill_rate_pct", "normal/backorder_pct",
    "spike/backorder_pct", "normal/click_to_door_p95_days", "spike/click_to_door_p95_days",
    "avg_on_hand_units", "holding_cost", "freight_cost", "lateral_freight_cost",
    "lateral_units",
)  # fmt: skip
FAST = {"reno": 1.0, "dallas": 1.5, "columbus": 2.5}  # days, fixed (team drivers)
PLANS = ("gsm", "forward", "central", "pooled")
# The pooled plan's transfers: complete pooling, team drivers between the forward nodes.
POOLED = {"inventory.sizing": "pooled",
          "lateral_transfers": {"emergency": True, "hold_back_share": 0.0,
                                "lead_time_days": {"dist": "gamma", "mean": 2.0, "cv": 0.3},
                                "freight": {"cost_per_shipment": 75.0, "cost_per_kg": 0.35}}}


def _tables(levels: np.ndarray, sc: Scenario, sku_ids) -> dict:
    return {n.id: {str(s): int(v) for s, v in zip(sku_ids, levels[i], strict=True)}
            for i, n in enumerate(sc.nodes)}


def plan(sc: Scenario, name: str) -> Scenario:
    """The scenario with the plan's levels given per node and SKU (and, for `central`, its
    fast transfers; `pooled` sizes itself in each run)."""
    if name == "pooled":
        return with_changes(sc, POOLED)
    gsm = with_changes(sc, {"inventory.sizing": "gsm"})
    if name == "gsm":
        return gsm
    if name == "central":
        changes = {}
        for i, n in enumerate(sc.nodes):
            tr = sc.stock_policy(i).transfer
            if n.id in FAST:
                changes[f"nodes[{i}].inventory.transfer"] = {
                    **tr.model_dump(), "cost_per_kg": 2 * tr.cost_per_kg,
                    "lead_time_days": {"dist": "fixed", "mean": FAST[n.id]}}
        gsm = with_changes(gsm, changes)
    net = Network(gsm)
    stocked = np.array([rule_for(n).stocks for n in gsm.nodes])
    carries = assortment_mask(gsm, net.catalogue, stocked)
    mean, sd = node_demand(gsm, net.catalogue, net.dist_km, net.points["weight"].to_numpy(),
                           carries)
    levels = np.asarray(net.order_up_to, float)
    dc = next(i for i, n in enumerate(gsm.nodes) if n.id not in FAST)
    t_dc = math.ceil(processing_days(gsm, dc, mean[dc]) - 1e-9)
    for i, n in enumerate(gsm.nodes):
        if n.id not in FAST:
            if name == "forward":
                levels[i] = 0.0
            continue
        p = gsm.stock_policy(i)
        lead = protection_lead_days(gsm, i, mean[i])
        if name == "forward":
            levels[i] = np.ceil(order_up_to_levels(
                demand_mean=mean[i], demand_sd=sd[i], lead_time_mean=t_dc + lead,
                lead_time_sd=lead_time_days(p)[1], review_period=p.review_period_days,
                target=p.target, target_kind=p.target_kind, distribution="normal",
            ).order_up_to)
        else:
            levels[i] = np.ceil(mean[i] * (lead + p.review_period_days))
    levels[~carries] = 0
    return with_changes(gsm, {"inventory.sizing": "target",
                              "inventory.order_up_to": _tables(levels, gsm, net.catalogue.ids)})


def one_run(scenario: Scenario, replication: int) -> dict[str, float]:
    """A replication's KPIs (normal/ and spike/ windows), holding, freight and lateral
    freight after warm-up, and the units moved laterally (whole run)."""
    result = run(scenario, replication)
    costs = result.tables["costs"]
    by_category = costs[costs["day"] >= scenario.run.warmup_days].groupby("category")["amount"]
    totals = by_category.sum()
    inbound = result.tables["inbound"]
    lateral = int(inbound.loc[inbound["lateral"], "units"].sum()) if "lateral" in inbound else 0
    return {**run_record(result), "lateral_units": float(lateral),
            **{f"{c}_cost": float(totals.get(c, 0.0))
               for c in ("holding", "freight", "lateral_freight")}}


def _setup() -> tuple[Scenario, int]:
    """The scenario (smaller with --quick) and the number of replications."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 replications, 1,000 orders/day")
    parser.add_argument("--replications", type=int, default=None, help="default 3 (quick 2)")
    parser.add_argument("--orders-per-day", type=float, default=None,
                        help="scale demand (default the scenario's 3,000; quick 1,000)")
    args = parser.parse_args()
    orders = args.orders_per_day or (1000 if args.quick else None)
    size = {"demand.orders_per_day": orders} if orders else {}
    return (with_changes(load_scenario(SCENARIO), size),
            args.replications or (2 if args.quick else 3))


def _cells(ci: pd.DataFrame) -> list[str]:
    """`mean ± half-width`, marked * when the replications are too few for the interval."""
    return [f"{m:,.1f} ± {h:,.1f}{'' if ok else ' *'}"
            for m, h, ok in zip(ci["mean"], ci["half_width"], ci["enough"], strict=True)]


def main() -> None:
    base, reps = _setup()
    rows = []
    start = time.perf_counter()
    plans = {name: plan(base, name) for name in PLANS}
    for name, sc in plans.items():
        totals = Network(sc).order_up_to.sum(axis=1).tolist()
        by_node = dict(zip([x.id for x in sc.nodes], totals, strict=True))
        print(f"{name}: base levels by node (units) {by_node}", flush=True)
    for r in range(reps):
        for name, sc in plans.items():
            for prebuild in (False, True):
                run_sc = with_changes(sc, {"inventory.spike_prebuild": prebuild})
                rows.append({"plan": name, "prebuild": prebuild, "replication": r,
                             **one_run(run_sc, r)})
                print(f"  replication {r} {name} prebuild={prebuild} done "
                      f"({time.perf_counter() - start:.0f} s)", flush=True)
        RUNS.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(rows).to_csv(RUNS, index=False)  # what is done, should the run be cut
    df = pd.DataFrame(rows)
    spike = base.demand.spikes[0]
    print(f"\n{base.name}: {base.demand.orders_per_day:,.0f} orders/day, "
          f"{base.skus.generator.count:,} SKUs, spike x{spike.multiplier} on days "
          f"{spike.start_day:g}-{spike.start_day + spike.duration_days - 1:g}, "
          f"{reps} replications (common random numbers), "
          f"{time.perf_counter() - start:.0f} s; conservation checked in every run\n")
    ci = summarise(df, ["plan", "prebuild"], METRICS)
    ci["column"] = ci["plan"] + np.where(ci["prebuild"].astype(bool), "+pre", "")
    ci["cell"] = _cells(ci)
    table = ci.pivot(index="metric", columns="column", values="cell")
    columns = [f"{p}{x}" for p in PLANS for x in ("", "+pre")]
    df["column"] = df["plan"] + np.where(df["prebuild"], "+pre", "")
    diffs = []
    for x in ("", "+pre"):
        d = paired_differences(df[df["column"].isin([f"gsm{x}", f"pooled{x}"])], "column",
                               f"gsm{x}", METRICS)
        d["enough"] = d["n"] >= MIN_REPLICATIONS
        diffs.append(d.assign(cell=_cells(d)))
    paired = pd.concat(diffs).pivot(index="metric", columns="column", values="cell")
    with pd.option_context("display.width", 250, "display.max_colwidth", 30):
        print(table.reindex(index=list(METRICS), columns=columns).to_string())
        print("\npaired differences on the same orders (pooled - gsm), Student t 95 %:")
        print(paired.reindex(index=list(METRICS)).to_string())


if __name__ == "__main__":
    main()
