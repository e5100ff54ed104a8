"""Order routing policies in the simulation, against a perfect-foresight reference.

The eight-node US Black Friday scenario (scenarios/us_eight_node_black_friday.yaml) over a
month, with stock levels sized for a 0.85 fill rate (`--fill-rate`), run with each routing
policy on common random numbers (same replication = the same orders): myopic
nearest-with-stock, hourly batch re-optimisation, the Acimovic-Graves look-ahead with
holds for replenishment due in time (the default) and without (its stock prices alone), and
the two combined (`batch_lookahead`: hourly batches priced with the look-ahead's stock prices
and holds).
The look-ahead policies price stock by a demand forecast (`demand.forecast`): by default the
online one (`sim.demand_forecast`: the orders seen so far and the announced Black Friday at
the planner's 3.0x, where 3.5x comes), and with `--forecast ... oracle` also the true rate, as
`<policy>_oracle`, for the value of that information.
Per replication, the perfect-foresight reference routes every order of the KPI window at once,
with each node's stock of a SKU the most units of it any policy's run drew there for those
orders, so every policy's plan is feasible for it; its LP relaxation
(`optimize.order_routing.lp_bound`) bounds their cost from below under the same model, so the
share of the gap each policy closes, measured against that bound, is a lower estimate.

Outbound cost is reported twice: the carrier cost the simulation charged (orders of the KPI
window, service chosen at the real ship day) and the modelled cost (the routing cost model
of `sim.routing_policies`, ship day as if routed when the order is ready), on which the
share of the myopic-to-perfect-foresight-bound gap each policy closes is measured.

Run: .venv/bin/python benchmarks/order_routing_sim.py [--quick] [--replications N]
         [--policies P ...] [--forecast online oracle]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimize.order_routing import CostModel, lp_bound, plan_cost
from optimize.order_routing.plan import order_node_units
from sim.api import load_scenario, with_changes
from sim.conservation import check_conservation
from sim.costs import cost_ledger
from sim.demand_forecast import information
from sim.experiments import t_interval
from sim.kpis import summary_kpis, utilisation_table
from sim.model import Network
from sim.routing_policies import (
    CarrierPricing,
    PricedInstance,
)
from sim.routing_registry import switch_policy
from sim.tables import build_tables

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "us_eight_node_black_friday.yaml"
MYOPIC = "nearest_with_stock"
POLICIES = (MYOPIC, "batch_optimal", "lookahead", "lookahead_no_hold", "batch_lookahead")
# benchmark labels that run a policy with other settings
VARIANTS = {"lookahead_no_hold": ("lookahead", {"routing.hold_confidence": None})}
# the policies that read the demand forecast; `<label>_oracle` runs one with the oracle
FORECASTING = ("lookahead", "batch_lookahead")
ORACLE = "_oracle"
# the reference ships every unit (its stock covers every policy's plan, which all do)
FILL_EVERY_UNIT = 1000.0
# days after the KPI window's end left for its orders to ship before the horizon
TAIL_DAYS = 2


@contextlib.contextmanager
def quiet_stdout():
    """Silence the MIP backend's banner, which it writes straight to file descriptor 1."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


def shortened(days: int, orders_per_day: float, time_limit_s: float, fill_rate: float):
    """The scenario over `days` days (2 warm-up), the 4-day spike from day days - 6, stock
    levels sized for `fill_rate`; its routing holds the parameters the policies share (the
    bucket interval and `time_limit_s`), which `simulate` keeps when it switches policy."""
    sc = load_scenario(SCENARIO)
    return with_changes(sc, {
        "run.horizon_days": days, "run.warmup_days": 2,
        "demand.orders_per_day": orders_per_day,
        "demand.spikes[0].start_day": days - 6,
        "routing": {"policy": "batch_optimal", "time_limit_s": time_limit_s},
        "inventory.target": fill_rate,
    })


def window_orders(net: Network) -> np.ndarray:
    """Live, routed orders created after the warm-up and TAIL_DAYS before the horizon."""
    ob, sc = net.orders, net.scenario
    start, end = 24.0 * sc.run.warmup_days, net.horizon_h - 24.0 * TAIL_DAYS
    keep = (ob.created_h >= start) & (ob.created_h < end) & ~ob.cancelled & net.record.routed
    return np.flatnonzero(keep)


def supplied(net: Network, orders: np.ndarray) -> np.ndarray:
    """[window line, node] units each node was given (shipped or owed) of each order line."""
    ob = net.orders
    lines = np.concatenate([np.arange(ob.line_start[o], ob.line_start[o + 1]) for o in orders])
    pos = np.full(len(ob.line_qty), -1)
    pos[lines] = np.arange(len(lines))
    flow = np.zeros((len(lines), len(net.nodes)), np.int64)
    in_window = np.zeros(ob.n, bool)
    in_window[orders] = True
    rows = net.record.shipment_rows()
    number, sku, qty = net.record.shipment_lines()
    order, node = rows["order"][number], rows["node"][number]
    for o, n, s, q in zip(order, node, sku, qty, strict=True):
        if not in_window[o]:
            continue
        a, b = ob.line_start[o], ob.line_start[o + 1]
        at = a + np.searchsorted(ob.line_sku[a:b], s)  # an order's lines are by SKU
        flow[pos[at], n] += q
    return flow


def unshipped_carrier_cost(net: Network, orders: np.ndarray) -> float:
    """Carrier cost (currency) of the shipments of `orders` still at their node at the
    horizon, by the rate card as if they shipped on the horizon day."""
    in_window = np.zeros(net.orders.n, bool)
    in_window[orders] = True
    rows = net.record.shipment_rows()
    waiting = in_window[rows["order"]] & np.isnan(rows["shipped_h"])
    if not waiting.any():
        return 0.0
    ct = net.carriers
    number, sku, qty = net.record.shipment_lines()
    weight_all = np.bincount(number, net.catalogue.weight_kg[sku] * qty, minlength=len(rows))
    band = ct.band(rows["distance_km"][waiting])
    weight = weight_all[waiting]
    days_left = rows["promised_day"][waiting].astype(float) - net.horizon_h // 24.0
    return float(ct.rate(ct.choose(band, days_left, weight), band, weight).sum())


def policy_changes(policy: str) -> tuple[str, dict]:
    """(routing policy, scenario changes) of a benchmark label: a policy, a `VARIANTS` label,
    or either with the `ORACLE` suffix (the same under `demand.forecast: oracle`)."""
    label = policy.removesuffix(ORACLE)
    name, changes = VARIANTS.get(label, (label, {}))
    if policy.endswith(ORACLE):
        changes = {**changes, "demand.forecast": "oracle"}
    return name, changes


def simulate(scenario, replication: int, policy: str) -> tuple[dict, Network]:
    """One conserving run of a policy (or a `VARIANTS` or `ORACLE` label); its KPIs and the
    network."""
    name, changes = policy_changes(policy)
    sc = with_changes(scenario, {"routing": switch_policy(scenario.routing, name).model_dump(),
                                 **changes})
    t0 = time.perf_counter()
    with quiet_stdout():
        net = Network(sc, replication=replication, keep_lines=True)
        net.run()
    tables = build_tables(net.record)
    check_conservation(net.record, tables)
    tables["costs"] = cost_ledger(sc, tables)
    tables["utilisation"] = utilisation_table(tables["daily"], sc.run.warmup_days)
    summary = summary_kpis(sc, tables)
    orders = window_orders(net)
    ships = tables["shipments"]
    ships = ships[ships["order"].isin(orders)]
    carrier = float(ships["shipping_cost"].fillna(0.0).sum())
    row = {"policy": policy, "replication": replication,
           "carrier_per_order": carrier / len(orders),
           # a policy that holds orders leaves more at its nodes at the horizon
           "carrier_all_per_order": (carrier + unshipped_carrier_cost(net, orders))
           / len(orders),
           # shipments still at the node at the horizon carry no carrier cost yet
           "unshipped_pct": 100.0 * float(ships["shipped_h"].isna().mean()),
           "split_pct": summary["split_shipment_pct"], "two_day_pct": summary["two_day_pct"],
           "on_time_pct": summary["on_time_pct"], "sim_s": time.perf_counter() - t0,
           "orders": len(orders)}
    row["information"] = (information(sc) if name in FORECASTING
                          else "no forecast (live stock and the orders at hand)")
    stats = net.policy.stats()
    row["holds"] = stats.get("holds", 0.0)
    if stats.get("solves"):
        row["solves"] = stats["solves"]
        row["solves_optimal_pct"] = 100.0 * stats["solves_optimal"] / stats["solves"]
    return row, net


def reference_instance(net: Network, orders: np.ndarray, stock: np.ndarray) -> PricedInstance:
    """The whole window's orders at once, priced as the policies price them."""
    pricing = CarrierPricing(net.routing_context)
    ob = net.orders
    counts = ob.line_start[orders + 1] - ob.line_start[orders]
    idx = np.concatenate([np.arange(ob.line_start[o], ob.line_start[o + 1]) for o in orders])
    base, per_kg = pricing.rates(orders)
    point = ob.point[orders]
    n_nodes = len(net.nodes)
    return PricedInstance(
        node_ids=tuple(n.spec.id for n in net.nodes), node_lat=pricing.node_lat,
        node_lon=pricing.node_lon, capacity_units=np.full(n_nodes, int(ob.line_qty[idx].sum())),
        sku_ids=tuple(str(k) for k in range(net.catalogue.n)), stock=stock,
        order_ids=tuple(str(o) for o in orders), order_lat=pricing.point_lat[point],
        order_lon=pricing.point_lon[point], line_order=np.repeat(np.arange(len(orders)), counts),
        line_sku=ob.line_sku[idx], line_qty=ob.line_qty[idx],
        cost=CostModel(0.0, 0.0, 0.0, FILL_EVERY_UNIT),
        carrier_shipment_cost=base, carrier_unit_cost=np.zeros(base.shape),
        carrier_per_kg=per_kg, sku_weight_kg=net.catalogue.weight_kg)


def whole_from_cheapest(inst: PricedInstance) -> np.ndarray:
    """[order] modelled cost of each order shipped whole from its cheapest node, as if every
    node held unlimited stock (currency): the floor under every plan and the reference."""
    unit = np.zeros((inst.n_orders, inst.n_nodes))
    np.add.at(unit, inst.line_order, inst.line_unit_cost * inst.line_qty[:, None])
    return (inst.shipment_cost + unit).min(axis=1)


def excess_by_kind(inst: PricedInstance, flow: np.ndarray, floor: np.ndarray
                   ) -> tuple[float, float]:
    """(currency per order above `floor` from orders shipped whole from another node, from
    split orders) of a plan `flow[line, node]` that ships every unit."""
    shipped = order_node_units(inst, flow) > 0
    per_unit = np.zeros(inst.n_orders)
    np.add.at(per_unit, inst.line_order, (inst.line_unit_cost * flow).sum(axis=1))
    excess = (inst.shipment_cost * shipped).sum(axis=1) + per_unit - floor
    split = shipped.sum(axis=1) > 1
    return (float(excess[~split].sum() / inst.n_orders),
            float(excess[split].sum() / inst.n_orders))


def replicate(scenario, replication: int, time_limit_s: float,
              policies: tuple[str, ...] = POLICIES) -> list[dict]:
    """Every policy on one replication, then the perfect-foresight reference."""
    rows, flows, nets = [], {}, {}
    for policy in policies:
        row, net = simulate(scenario, replication, policy)
        orders = window_orders(net)
        flows[policy] = (orders, supplied(net, orders))
        rows.append(row)
        nets[policy] = net
    orders = flows[MYOPIC][0]
    for policy, (o, _) in flows.items():
        assert np.array_equal(o, orders), f"{policy}: not the same orders (CRN broken)"
    net = nets[MYOPIC]
    line_sku = net.orders.line_sku[np.concatenate(
        [np.arange(net.orders.line_start[o], net.orders.line_start[o + 1]) for o in orders])]
    stock = np.zeros((len(net.nodes), net.catalogue.n), np.int64)
    for _, flow in flows.values():
        used = np.zeros_like(stock)
        np.add.at(used.T, line_sku, flow)
        stock = np.maximum(stock, used)
    inst = reference_instance(net, orders, stock)
    t0 = time.perf_counter()
    with quiet_stdout():
        # the LP relaxation: at 20,000 orders the MIP has no time left after it (measured:
        # 185 s for the LP; 600 s of MIP end 0.8 % above it, 60 s only return the greedy plan)
        best = lp_bound(inst, time_limit_s, backend="highs")
    ref_s = time.perf_counter() - t0
    floor = whole_from_cheapest(inst)
    for row in rows:
        row["model_per_order"] = plan_cost(inst, flows[row["policy"]][1]) / len(orders)
        row["floor_per_order"] = float(floor.mean())
        row["excess_whole"], row["excess_split"] = excess_by_kind(
            inst, flows[row["policy"]][1], floor)
        row["pf_per_order"] = best.objective / len(orders)
        row["pf_bound_per_order"] = best.bound / len(orders)
        row["pf_status"] = str(best.status)
        row["pf_s"] = ref_s
    return rows


def _fmt_ci(values: np.ndarray, scale: float = 1.0) -> str:
    ci = t_interval(np.asarray(values, float) * scale)
    return f"{ci.mean:+.4f} [{ci.lo:+.4f}, {ci.hi:+.4f}]"


def report(df: pd.DataFrame, settings: str) -> None:
    """Print the policy table, paired differences vs myopic and the gap closed."""
    n = df["replication"].nunique()
    print(f"\nOrder routing in the simulation: eight US nodes, {settings}, {n} replications "
          "(common random numbers)\n")
    mean = df.groupby("policy", sort=False)[
        ["carrier_per_order", "carrier_all_per_order", "model_per_order", "split_pct",
         "two_day_pct", "on_time_pct", "unshipped_pct", "sim_s"]].mean()
    print(f"{'policy':<20}{'carrier $/order':>16}{'incl. unshipped':>16}{'model $/order':>15}"
          f"{'split %':>9}{'2-day %':>9}{'on-time %':>11}{'unshipped %':>13}{'run s':>8}")
    for policy, r in mean.iterrows():
        print(f"{policy:<20}{r.carrier_per_order:>16.4f}{r.carrier_all_per_order:>16.4f}"
              f"{r.model_per_order:>15.4f}{r.split_pct:>9.2f}{r.two_day_pct:>9.2f}"
              f"{r.on_time_pct:>11.2f}{r.unshipped_pct:>13.2f}{r.sim_s:>8.1f}")
    print("(incl. unshipped: shipments still at their node at the horizon charged as if they "
          "shipped that day)")
    print("What each policy knew of demand:")
    for policy, info in df.groupby("policy", sort=False)["information"].first().items():
        print(f"  {policy:<24}{info}")
    pf = df[df["policy"] == MYOPIC]
    print(f"{'perfect-foresight bound':<24}{'':>12}{pf['pf_bound_per_order'].mean():>15.4f}"
          f"   (a plan from its LP: {pf['pf_per_order'].mean():.4f}; "
          f"{pf['pf_s'].mean():.1f} s per solve)")
    if "solves" in df:
        solved = df.dropna(subset=["solves"]).groupby("policy", sort=False)[
            ["solves", "solves_optimal_pct"]].mean()
        for policy, r in solved.iterrows():
            print(f"{policy}: {r.solves:.0f} bucket solves per run, "
                  f"{r.solves_optimal_pct:.1f} % proven optimal within the limit")

    held = df[df["holds"] > 0].groupby("policy", sort=False)["holds"].mean()
    for policy, holds in held.items():
        print(f"{policy}: {holds:.0f} orders per run held for replenishment due in time")

    print("\nWhere the costs lie, $/order above every order shipped whole from its cheapest "
          "node (unlimited stock everywhere):")
    floor = df.groupby("policy", sort=False)[["excess_whole", "excess_split",
                                              "model_per_order", "floor_per_order"]].mean()
    print(f"{'policy':<20}{'whole, another node':>21}{'split orders':>14}{'total':>9}")
    for policy, r in floor.iterrows():
        print(f"{policy:<20}{r.excess_whole:>21.4f}{r.excess_split:>14.4f}"
              f"{r.model_per_order - r.floor_per_order:>9.4f}")
    print(f"{'perfect-foresight bound':<20}{'':>21}{'':>14}"
          f"{pf['pf_bound_per_order'].mean() - pf['floor_per_order'].mean():>9.4f}")

    base = df[df["policy"] == MYOPIC].set_index("replication")
    print("\nPaired differences vs myopic (policy - nearest_with_stock), mean [95 % t CI]:")
    print(f"{'policy':<20}{'carrier $/order':>30}{'carrier %':>30}{'incl. unshipped %':>30}")
    print(f"{'':<20}{'split pp':>30}{'2-day pp':>30}{'on-time pp':>30}")
    gap_rows = []
    for policy in df["policy"].unique()[1:]:
        g = df[df["policy"] == policy].set_index("replication").loc[base.index]
        d_cost = g["carrier_per_order"] - base["carrier_per_order"]
        d_all = g["carrier_all_per_order"] / base["carrier_all_per_order"] - 1.0
        print(f"{policy:<20}{_fmt_ci(d_cost):>30}"
              f"{_fmt_ci(d_cost / base['carrier_per_order'], 100.0):>30}"
              f"{_fmt_ci(d_all, 100.0):>30}")
        print(f"{'':<20}{_fmt_ci(g['split_pct'] - base['split_pct']):>30}"
              f"{_fmt_ci(g['two_day_pct'] - base['two_day_pct']):>30}"
              f"{_fmt_ci(g['on_time_pct'] - base['on_time_pct']):>30}")
        # against the perfect-foresight bound: a lower estimate of the share of the gap to
        # the perfect-foresight optimum (which lies between the bound and the plan)
        gap = base["model_per_order"] - base["pf_bound_per_order"]
        saved = base["model_per_order"] - g["model_per_order"]
        gap_rows.append((policy, saved / gap, saved / base["model_per_order"],
                         float(saved.sum() / gap.sum())))
    gap_pct = 100.0 * (base["model_per_order"] - base["pf_bound_per_order"]) / base[
        "model_per_order"]
    print(f"\nMyopic-to-perfect-foresight-bound gap (modelled cost): {_fmt_ci(gap_pct)} % of "
          "myopic cost")
    print(f"{'policy':<20}{'gap closed % (per-rep mean [CI])':>36}{'pooled %':>10}"
          f"{'model saving % [CI]':>32}")
    for policy, closed, saving, pooled in gap_rows:
        print(f"{policy:<20}{_fmt_ci(closed, 100.0):>36}{100.0 * pooled:>10.1f}"
              f"{_fmt_ci(saving, 100.0):>32}")
    print("\nPublished marks: Acimovic & Graves (2015) close about 36 % of the myopic-to-"
          "perfect-foresight gap (about 1 % of outbound shipping cost);")
    print("Mahar & Wright (2009) report up to 23 % lower cost from batching orders before "
          "assigning them.")


def main() -> None:
    """Parse options, run every replication and print the report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3 replications of an 8-day run")
    ap.add_argument("--replications", type=int, default=10)
    ap.add_argument("--days", type=int, default=30, help="horizon in days (2 of warm-up)")
    ap.add_argument("--fill-rate", type=float, default=0.85,
                    help="fill-rate target the nodes' stock levels are sized for; at the "
                         "scenario's 0.97 stock is ample and myopic is within 0.35 %% of "
                         "perfect foresight")
    ap.add_argument("--orders-per-day", type=float, default=600.0)
    ap.add_argument("--time-limit", type=float, default=2.0, help="s per batch solve")
    ap.add_argument("--reference-time-limit", type=float, default=900.0,
                    help="s for the perfect-foresight LP")
    ap.add_argument("--hold-confidence", type=float, nargs="*", default=[],
                    help="also run the look-ahead at these hold confidences (the scenario's "
                         "is 0.9), as lookahead_q<value>")
    ap.add_argument("--policies", nargs="+", default=list(POLICIES),
                    help=f"policies to run (default all; {MYOPIC} always runs first)")
    ap.add_argument("--forecast", nargs="+", choices=("online", "oracle"), default=["online"],
                    help="forecasts the look-ahead policies run with (online: the orders seen "
                         "so far and announced spikes; oracle: the true rate, as "
                         f"<policy>{ORACLE})")
    ap.add_argument("--rows-out", type=Path, default=None,
                    help="write the rows (per policy and replication) to this CSV after "
                         "each replication")
    args = ap.parse_args()
    unknown = sorted(set(args.policies) - set(POLICIES))
    if unknown:
        ap.error(f"--policies: {', '.join(unknown)} not among {', '.join(POLICIES)}")
    policies = [MYOPIC] + [p for p in POLICIES if p in args.policies and p != MYOPIC]
    for q in args.hold_confidence:
        if not 0.0 < q < 1.0:
            ap.error(f"--hold-confidence: {q} is not a probability strictly between 0 and 1")
        label = f"lookahead_q{q:g}"
        VARIANTS[label] = ("lookahead", {"routing.hold_confidence": q})
        policies.append(label)
    looking = [p for p in policies if policy_changes(p)[0] in FORECASTING]
    if "online" not in args.forecast:
        policies = [p for p in policies if p not in looking]
    if "oracle" in args.forecast:
        policies += [p + ORACLE for p in looking]
    if args.quick:
        args.replications, args.days, args.orders_per_day = 3, 8, 400.0
    sc = shortened(args.days, args.orders_per_day, args.time_limit, args.fill_rate)
    settings = (f"{args.days} days (2 warm-up, 4-day 3.5x spike from day {args.days - 6}; "
                f"stock for a {args.fill_rate:g} fill rate; "
                f"KPIs on orders of days 2-{args.days - TAIL_DAYS}), "
                f"{args.orders_per_day:g} orders/day, batch every "
                f"{sc.routing.interval_h:g} h with {args.time_limit:g} s per solve")
    t0 = time.perf_counter()
    rows = []
    for rep in range(args.replications):
        rows += replicate(sc, rep, args.reference_time_limit, tuple(policies))
        if args.rows_out is not None:
            pd.DataFrame(rows).to_csv(args.rows_out, index=False)
        print(f"replication {rep} done ({time.perf_counter() - t0:.0f} s)", flush=True)
    report(pd.DataFrame(rows), settings)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
