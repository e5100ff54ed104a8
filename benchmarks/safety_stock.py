"""Safety-stock benchmark: single-node levels at scale, the guaranteed-service model, pooling.

Run: .venv/bin/python benchmarks/safety_stock.py [--quick]
Each figure comes with a reference measured in the same process:
- vectorised levels vs a per-row scalar solve (scipy brentq on the same fill-rate equation),
  timed on a sample and scaled up; the levels must agree;
- the tree DP vs CP-SAT on the same trees (time ratio; costs must agree);
- CP-SAT on a general acyclic network vs two simple placements (stock everywhere: S = 0;
  stock only at the customer-facing nodes: pull everything else);
- pooled levels vs each node sized alone (SAA, same scenarios).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import optimize as sciopt
from scipy import stats

from optimize.safety_stock import (
    evaluate_service_times,
    normal_demand_scenarios,
    order_up_to_levels,
    plan_spike_prebuild,
    pool_stock_saa,
    random_acyclic_network,
    random_tree_network,
    solve_gsm_cpsat,
    solve_gsm_dp,
)


def _row(*cells) -> None:
    print("  ".join(f"{c:<34}" if i == 0 else f"{c:>16}" for i, c in enumerate(cells)))


def _scalar_level(mu, sd, lt, lt_sd, R, beta) -> float:
    s_lr = np.sqrt(sd**2 * (lt + R) + mu**2 * lt_sd**2)
    s_l = np.sqrt(sd**2 * lt + mu**2 * lt_sd**2)

    def loss(x, m, s):
        if s == 0:
            return max(m - x, 0.0)
        z = (x - m) / s
        return s * (stats.norm.pdf(z) - z * stats.norm.sf(z))

    def gap(x):
        return 1 - (loss(x, mu * (lt + R), s_lr) - loss(x, mu * lt, s_l)) / (R * mu) - beta

    lo = mu * (lt + R)
    if gap(lo) >= 0:
        return lo
    return sciopt.brentq(gap, lo, lo + 12 * s_lr + 1, xtol=1e-10)


def single_node(n: int) -> None:
    rng = np.random.default_rng(0)
    mu = rng.uniform(0.5, 200, n)
    sd = mu * rng.uniform(0.2, 1.2, n)
    lt = rng.uniform(1, 20, n)
    lt_sd = rng.uniform(0, 3, n)
    print(f"\nSingle-node (R, S) levels, {n:,} SKU-node pairs, review 7 periods")
    _row("case", "time s", "pairs per s", "min achieved")
    for label, kind, dist in (("normal, fill rate 0.98", "fill_rate", "normal"),
                              ("normal, cycle service 0.95", "cycle_service", "normal"),
                              ("poisson/negbin, fill rate 0.98", "fill_rate", "poisson")):
        target = 0.98 if kind == "fill_rate" else 0.95
        t = time.perf_counter()
        lv = order_up_to_levels(mu, sd, lt, lt_sd, 7, target, kind, dist)
        dt = time.perf_counter() - t
        _row(label, f"{dt:.3f}", f"{n / dt:,.0f}", f"{lv.achieved_service.min():.6f}")
    sample = min(n, 2000)
    t = time.perf_counter()
    ref = np.array([_scalar_level(mu[i], sd[i], lt[i], lt_sd[i], 7, 0.98) for i in range(sample)])
    per_row = (time.perf_counter() - t) / sample
    t = time.perf_counter()
    lv = order_up_to_levels(mu, sd, lt, lt_sd, 7, 0.98)
    vec = time.perf_counter() - t
    diff = np.max(np.abs(lv.order_up_to[:sample] - ref))
    _row("scalar brentq reference (scaled)", f"{per_row * n:.3f}", f"{1 / per_row:,.0f}",
         f"max |dS| {diff:.1e}")
    print(f"  vectorised speed-up over the per-row reference: {per_row * n / vec:.0f}x")


def gsm(quick: bool) -> None:
    limit = 10.0 if quick else 60.0
    print("\nGuaranteed-service model (random networks, T_k in 0..5)")
    _row("network", "DP s", "CP-SAT s", "CP-SAT/DP cost")
    for n in (200, 1000):
        net = random_tree_network(n, seed=1)
        t = time.perf_counter()
        dp = solve_gsm_dp(net)
        t_dp = time.perf_counter() - t
        if quick and n > 200:
            _row(f"tree, {n} nodes", f"{t_dp:.3f}", "skipped", "-")
            continue
        cp = solve_gsm_cpsat(net, time_limit_s=limit)
        _row(f"tree, {n} nodes", f"{t_dp:.3f}",
             f"{cp.time_s:.2f} ({cp.status})", f"{cp.objective / dp.objective:.6f}")
    net = random_acyclic_network(200, seed=1)
    cp = solve_gsm_cpsat(net, time_limit_s=limit)
    everywhere = evaluate_service_times(net, np.zeros(len(net.nodes), int)).cost
    sinks = [not s for s in net.successors]
    pull = np.where(sinks, 0, net.outbound_upper)
    pull = evaluate_service_times(net, pull).cost
    print(f"  acyclic network, 200 nodes, {len(net.edges)} edges: CP-SAT {cp.time_s:.2f} s, "
          f"{cp.status}, gap {cp.gap:.1e}, cost {cp.objective:.1f}")
    print(f"    stock everywhere (S = 0) costs {everywhere / cp.objective:.3f}x the optimum; "
          f"stock only at customer-facing nodes {pull / cp.objective:.3f}x")


def pooling(quick: bool) -> None:
    scen = 500 if quick else 2000
    D = normal_demand_scenarios([120, 90, 60, 30], [40, 30, 20, 12], 0.1, scen, seed=0)
    ship = np.array([[0, 1.5, 2.5, 3.5], [1.5, 0, 1.5, 2.5], [2.5, 1.5, 0, 1.5],
                     [3.5, 2.5, 1.5, 0]])
    res = pool_stock_saa(D, 1.0, 12.0, ship)
    print(f"\nPooling, four forward nodes, {scen} scenarios (h = 1, lost sale 12, extra "
          "shipping 1.5-3.5 per unit)")
    _row("plan", "stock units", "cost/period", "")
    _row("each node sized alone", f"{res.alone_order_up_to.sum():.1f}", f"{res.alone_cost:.2f}",
         "")
    _row("pooled (SAA, GLOP)", f"{res.order_up_to.sum():.1f}", f"{res.objective:.2f}",
         f"{res.time_s:.2f} s")
    print(f"  pooling saving {res.saving:.2f} per period ({100 * res.saving_share:.1f} %), "
          f"stock {100 * (1 - res.order_up_to.sum() / res.alone_order_up_to.sum()):.1f} % lower")


def spike(quick: bool) -> None:
    plan = plan_spike_prebuild(100, 30, 60, 30, 5, 3.0, 7, 0.95, holding_cost=1.0,
                               backorder_cost=10.0, n_paths=500 if quick else 2000)
    print("\nSpike pre-build: 3x demand for 5 periods, lead time 7, cycle service 0.95")
    _row("plan", "spike fill rate", "holding cost", "backorder cost")
    _row("static levels", f"{plan.static_spike_fill_rate:.3f}",
         f"{plan.static_holding_cost_total:.0f}", f"{plan.static_backorder_cost_total:.0f}")
    _row("spike-aware pre-build", f"{plan.spike_fill_rate:.3f}",
         f"{plan.holding_cost_total:.0f}", f"{plan.backorder_cost_total:.0f}")
    print(f"  pre-build adds {plan.extra_holding_cost:.0f} holding cost and saves "
          f"{plan.static_total_cost - plan.objective:.0f} in total")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run")
    args = parser.parse_args()
    single_node(20_000 if args.quick else 100_000)
    gsm(args.quick)
    pooling(args.quick)
    spike(args.quick)


if __name__ == "__main__":
    main()
