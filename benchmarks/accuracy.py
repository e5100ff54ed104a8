"""The value of a scan check (cost per order against the perfect order rate) and of cycle-count
frequencies (counting labour against record accuracy and backorders), on the bundled
us_one_node_in_house.yaml with an accuracy section.

    .venv/bin/python benchmarks/accuracy.py [--days 35] [--replications 2] [--only counts]

Errors: 0.4 % of pick lines wrong, 0.2 % of parcels packed wrong, 5.00 handling per
reshipment plus the parcel's carrier cost, booked in the cost ledger (`reshipment`, on the
day the customer finds the error) and so in cost per order. The scan check is a crew of its
own (`checkers`, 2 a shift on the packers' shifts: paid whether busy or not) taking 10 s +
4 s per line.
Drift: 0.02 units per location and day (a unit lost or misplaced every 50 days per SKU);
the counting crew (`counters`, one on the day shift) counts 60 s a location. Each row is
the mean over replications (common random numbers: the same orders in every row).
Damage in transit (`--only damage`): the same errors and no check, with a chance per parcel
that it arrives damaged (see DAMAGE_CASES for the figures cited, an assumption each).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from sim.api import run, with_changes
from sim.bundled import bundled_scenario
from sim.scenario import load_scenario

SCENARIO = "us_one_node_in_house.yaml"
ERRORS = {"pick_error_per_line": 0.004, "pack_error_per_shipment": 0.002,
          "reship_handling_cost": 5.0}
DAY_SHIFTS = {"shifts": [[6, 14], [14, 22]], "days": [0, 1, 2, 3, 4, 5]}
CHECK = {"crew": "checkers", "s_per_shipment": {"mean": 10.0}, "s_per_line": 4.0}
DRIFT = 0.02
# Chances per parcel of arriving damaged, assumptions from published figures: StellaService
# (2013, 3,234 parcels from 121 US retailers; huffpost.com "One in 10 ecommerce packages
# arrives damaged") found 10 % of parcels' packaging damaged but the product damaged in 16,
# 0.5 %; getattribute.com/blog/shipping-damage-by-carrier quotes 1-3 % for US ground parcels
# (packaging-industry estimates), taken here as 2 %. Claims: a carrier pays back a share of
# the goods' value on a documented claim; 50 % is an assumption, not a published figure.
DAMAGE_CASES = (("no damage", None), ("0.5 % of parcels", {"per_parcel": 0.005}),
                ("2 % of parcels", {"per_parcel": 0.02}),
                ("2 % of parcels, claims recover 50 %",
                 {"per_parcel": 0.02, "claim_recovery_share": 0.5}))


# (header, measure, format) of each table's columns
VERIFICATION_COLUMNS = (
    ("verification", "case", "s"), ("cost / order", "cost_per_order", ".3f"),
    ("of which reshipments", "reship_per_order", ".3f"), ("perfect order %", "perfect", ".2f"),
    ("orders shipped with an error %", "shipped_error", ".3f"),
    ("order picking accuracy %", "picking", ".2f"), ("on time %", "on_time", ".2f"),
    ("checkers busy h", "checker_busy", ".0f"))
DAMAGE_COLUMNS = (
    ("damage in transit", "case", "s"), ("cost / order", "cost_per_order", ".3f"),
    ("of which damage", "damage_per_order", ".3f"), ("perfect order %", "perfect", ".2f"),
    ("damage free %", "damage_free", ".2f"), ("shipments damaged %", "damaged", ".3f"))
COUNT_COLUMNS = (
    ("cycle counts", "case", "s"), ("cost / order", "cost_per_order", ".3f"),
    ("counting h (busy)", "count_h", ".1f"), ("counters paid h", "counter_paid_h", ".0f"),
    ("record accurate by location % (end)", "record_loc", ".1f"),
    ("location-time in error %", "in_error_time", ".2f"),
    ("pick exceptions", "exceptions", ".1f"), ("units written off", "written_off", ".1f"),
    ("orders backordered %", "backorder", ".2f"), ("unit fill %", "fill", ".2f"),
    ("lost demand %", "lost_pct", ".2f"), ("profit / order", "profit", ".3f"))


def _verification_cases() -> list[tuple[str, dict, dict]]:
    crew = {"nodes[0].resources.checkers": {"count": 2, **DAY_SHIFTS}}
    return [("no check", ERRORS, {}),
            ("scan check, catches 80 %", {**ERRORS, "scan_check": {**CHECK, "catch_share": 0.8}},
             crew),
            ("scan check, catches 99 %",
             {**ERRORS, "scan_check": {**CHECK, "catch_share": 0.99}}, crew)]


def _damage_cases() -> list[tuple[str, dict, dict]]:
    return [(label, ERRORS if damage is None else {**ERRORS, "transit_damage": damage}, {})
            for label, damage in DAMAGE_CASES]


def _count_cases() -> list[tuple[str, dict, dict]]:
    crew = {"nodes[0].resources.counters": {"count": 1, "shifts": [[6, 14]],
                                            "days": [0, 1, 2, 3, 4, 5]}}
    drift = {"drift_per_location_day": DRIFT}
    out = [("no drift (the record exact)", {}, {}),
           ("no counts (exceptions only)", drift, {})]
    for a, b, c in ((30, 90, 365), (7, 30, 90), (7, 7, 7)):
        counts = {"crew": "counters", "a_days": a, "b_days": b, "c_days": c,
                  "s_per_location": {"mean": 60.0}}
        out.append((f"ABC every {a}/{b}/{c} days", {**drift, "cycle_counts": counts}, crew))
    return out


def _measure(sc, label: str, accuracy: dict, extra: dict, reps: int) -> dict:
    rows = []
    for rep in range(reps):
        r = run(with_changes(sc, {"nodes[0].accuracy": accuracy, **extra}), replication=rep)
        s, a = r.summary, r.summary["accuracy"]
        util = r.tables["utilisation"].set_index("resource")
        rows.append({
            # the ledger books the reshipments (`reshipment`), so cost per order holds them
            "cost_per_order": s["cost_per_order"],
            "reship_per_order": s["cost_per_order_by_category"].get("reshipment", 0.0),
            "damage_per_order": s["cost_per_order_by_category"].get("transit_damage", 0.0),
            "damage_free": a["damage_free_pct"], "damaged": a["damaged_shipments_pct"],
            "perfect": a["perfect_order_rate_pct"],
            "shipped_error": a["orders_shipped_with_error_pct"],
            "picking": a["order_picking_accuracy_pct"], "on_time": s["on_time_pct"],
            "count_h": a["count_labour_h"],
            "counter_paid_h": float(util["staffed_h"].get("counters", 0.0)),
            "record_loc": a["record_accuracy_by_location_pct"],
            "in_error_time": a["locations_in_error_time_pct"],
            "exceptions": a["pick_exceptions"], "written_off": a["written_off_units"],
            "backorder": s["backorder_pct"], "fill": s["unit_fill_rate_pct"],
            "lost_pct": s["lost_demand_pct"], "profit": s["profit_per_order"],
            "checker_busy": float(util["busy_h"].get("checkers", 0.0)),
        })
    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    return {"case": label, **mean}


def main() -> None:
    """Print both sweeps as Markdown tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=35, help="horizon (days; 7 of warm-up)")
    ap.add_argument("--replications", type=int, default=2)
    ap.add_argument("--only", choices=("verification", "counts", "damage"), default=None,
                    help="run one of the sweeps")
    ap.add_argument("--on-stockout", choices=("backorder", "lost"), default="backorder",
                    help="customers wait for stock (the scenario's) or leave (lost sales)")
    args = ap.parse_args()
    sc = load_scenario(bundled_scenario(SCENARIO))
    sc = with_changes(sc, {"run.horizon_days": args.days,
                           "sales.on_stockout": {"policy": args.on_stockout}})
    t0 = time.perf_counter()
    print(f"{SCENARIO}, {args.days} days (warm-up {sc.run.warmup_days}), "
          f"{args.replications} replication(s) per row\n")
    sweeps = {"verification": (_verification_cases(), VERIFICATION_COLUMNS),
              "counts": (_count_cases(), COUNT_COLUMNS),
              "damage": (_damage_cases(), DAMAGE_COLUMNS)}
    for name, (cases, columns) in sweeps.items():
        if args.only not in (None, name):
            continue
        print("| " + " | ".join(h for h, _, _ in columns) + " |")
        print("|---|" + "---:|" * (len(columns) - 1))
        for label, acc, extra in cases:
            m = _measure(sc, label, acc, extra, args.replications)
            print("| " + " | ".join(format(m[k], f) for _, k, f in columns) + " |", flush=True)
        print()
    print(f"\n{time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
