"""Cartons on a simulation's orders: the optimiser against one-size-fits-all and a volume-only
rule, on the same orders, and the simulation's speed with and without cartons.

    .venv/bin/python benchmarks/packing_sim.py --days 2
    .venv/bin/python benchmarks/packing_sim.py --throughput --days 3

The orders are the bundled us_one_node_in_house_cartons.yaml's (its order book: same seed,
same baskets), packed with its catalogue and billed by its ground service in one distance
band (`--band`, default 2: about US zone 5) less the in-house carrier discount:
- optimiser: the simulation's packer (sim.cartons: proven optimal for 1-2 units and when the
  bound proves one carton, CP-SAT up to exact_max_units, extreme points beyond);
- one size: the smallest carton that holds 95 % of the orders alone (`--one-size-share`;
  the largest holds all, but no one ships a T-shirt in it), as many as an order needs
  (packed by the heuristic over that carton only); a unit it cannot take goes in the
  smallest carton that takes it;
- volume rule: the smallest carton (by inner volume, mailers included) whose volume and weight
  limit hold the order's; when the units do not fit it by geometry, the next larger, and when
  none holds them all, the largest carton as many times as needed, each then moved to the
  smallest by volume that its contents fit.
Per order: packaging (carton costs), shipping (the carrier's charge on each parcel's billable
weight, surcharges included), cartons, billable / actual kg (sums over all orders).
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass

import numpy as np

from optimize.packing import Carton, Item, PackingInstance, pack
from optimize.packing.quick import quick_pack
from sim.api import load_scenario, run, with_changes
from sim.bundled import bundled_scenario
from sim.carriers import CarrierTable
from sim.cartons import CartonPacker, Parcel
from sim.model import Network

SCENARIO = "us_one_node_in_house_cartons.yaml"


@dataclass
class Tally:
    """Totals of one policy over the orders."""

    packaging: float = 0.0
    shipping: float = 0.0
    cartons: int = 0
    billable_kg: float = 0.0
    actual_kg: float = 0.0
    seconds: float = 0.0


def _fits_one(carton: Carton, items: tuple[Item, ...]) -> list | None:
    """The cartons' contents when `items` go into one `carton` (None if not)."""
    inst = PackingInstance((carton,), items, 1e12)
    res = quick_pack(inst) or pack(inst, "heuristic")
    return res.cartons if res.status.value != "infeasible" and len(res.cartons) == 1 else None


def _parcels(res_cartons: list, by_id: dict[str, Carton]) -> list[Parcel]:
    return [Parcel(c.carton, sum(c.items.values()), c.actual_kg, c.fill_share,
                   tuple(by_id[c.carton].inner_cm), by_id[c.carton].cost) for c in res_cartons]


GEOMETRY_FIXES = [0]  # cartons the volume rule picked that the units did not fit


def _smallest_holding(by_volume: list[Carton], items: tuple[Item, ...]) -> list | None:
    """The contents of the smallest carton (by volume) that holds `items` by volume, weight
    and geometry, or None."""
    vol = math.fsum(math.prod(it.dims_cm) * it.qty for it in items)
    kg = math.fsum(it.weight_kg * it.qty for it in items)
    for c in by_volume:
        if c.volume_cm3 >= vol and c.max_kg >= kg:
            one = _fits_one(c, items)
            if one is not None:
                return one
            GEOMETRY_FIXES[0] += 1
    return None


def volume_rule(cartons: tuple[Carton, ...], items: tuple[Item, ...]) -> list[Parcel]:
    """Smallest carton by volume that holds the order's volume and weight, the next larger
    while the units do not fit; none: the largest, as often as needed, each downsized."""
    by_id = {c.id: c for c in cartons}
    by_volume = sorted(cartons, key=lambda c: (c.volume_cm3, c.cost))
    one = _smallest_holding(by_volume, items)
    if one is not None:
        return _parcels(one, by_id)
    out = []
    for box in pack(PackingInstance((by_volume[-1],), items, 1e12), "heuristic").cartons:
        sub = tuple(Item(it.sku, it.dims_cm, it.weight_kg, box.items[it.sku], it.upright)
                    for it in items if it.sku in box.items)
        out += _parcels(_smallest_holding(by_volume, sub) or [box], by_id)
    return out


def one_size(carton: Carton, cartons: tuple[Carton, ...], items: tuple[Item, ...]
             ) -> list[Parcel]:
    """As many of `carton` as the units need; a unit it cannot take alone in the smallest
    carton (by volume) that takes it."""
    by_id = {c.id: c for c in cartons}
    ok = tuple(it for it in items if _fits_one(carton, (Item(it.sku, it.dims_cm, it.weight_kg,
                                                             1, it.upright),)) is not None)
    out: list[Parcel] = []
    if ok:
        out += _parcels(pack(PackingInstance((carton,), ok, 1e12),
                                   "heuristic").cartons, by_id)
    for it in items:
        if it in ok:
            continue
        single = (Item(it.sku, it.dims_cm, it.weight_kg, 1, it.upright),)
        home = next(c for c in sorted(cartons, key=lambda c: c.volume_cm3)
                    if _fits_one(c, single) is not None)
        out += _parcels(_fits_one(home, single), by_id) * it.qty
    return out


def _bill(tally: Tally, parcels: list[Parcel], ct: CarrierTable, band: int, factor: float
          ) -> None:
    n = len(parcels)
    billable, rate, fees, _ = ct.bill_parcels(
        np.zeros(n, int), np.full(n, band), np.array([p.actual_kg for p in parcels]),
        np.array([p.dims_cm for p in parcels]).reshape(-1, 3))
    tally.packaging += math.fsum(p.cost for p in parcels)
    tally.shipping += float((rate + fees).sum()) * factor
    tally.cartons += n
    tally.billable_kg += float(billable.sum())
    tally.actual_kg += math.fsum(p.actual_kg for p in parcels)


def compare(days: int, band: int, sample: int, share: float) -> None:
    """Pack the first `days` of the scenario's orders three ways and print the table."""
    sc = load_scenario(bundled_scenario(SCENARIO))
    sc = with_changes(sc, {"run.horizon_days": days, "run.warmup_days": 0})
    net = Network(sc)
    cat, book = net.catalogue, net.orders
    ct = net.carriers
    factor = 1.0 - sc.costs.in_house.carrier_discount
    packer = CartonPacker.for_node(sc, sc.nodes[0].packaging, ct, cat.ids, cat.cube_m3,
                                   cat.weight_kg, factor)
    orders = [book.lines(i) for i in range(book.n)]

    def items_of(sku: np.ndarray, qty: np.ndarray) -> tuple[Item, ...]:
        return tuple(Item(str(cat.ids[s]), tuple(float(d) for d in packer.dims_cm[s]),
                          float(cat.weight_kg[s]), int(q), bool(packer.upright[s]))
                     for s, q in zip(sku, qty, strict=True))

    # the carton that holds the most orders alone, judged on the first `sample` orders
    boxes = [c for c in packer.cartons if c.id in {x.id for x in sc.nodes[0].packaging.cartons}]
    held = {c.id: sum(_fits_one(c, items_of(*o)) is not None for o in orders[:sample])
            for c in boxes}
    enough = [c for c in boxes if held[c.id] >= share * min(sample, book.n)]
    best = min(enough, key=lambda c: c.volume_cm3) if enough else max(
        boxes, key=lambda c: held[c.id])
    print(f"{book.n} orders, {days} days; one size = {best.id}, the smallest carton that holds "
          f">= {100 * share:g} % of the first {sample} orders alone (orders each holds: {held})",
          flush=True)
    tallies = {"optimiser": Tally(), f"one size ({best.id})": Tally(), "volume rule": Tally()}
    rules = {"optimiser": lambda s, q, it: list(packer.pack(s, q)[0]),
             f"one size ({best.id})": lambda s, q, it: one_size(best, packer.cartons, it),
             "volume rule": lambda s, q, it: volume_rule(packer.cartons, it)}
    fixed = 0  # orders the volume rule's first carton did not take
    for k, (sku, qty) in enumerate(orders):
        its = items_of(sku, qty)
        for name, rule in rules.items():
            misfits = GEOMETRY_FIXES[0]
            t0 = time.perf_counter()
            parcels = rule(sku, qty, its)
            tallies[name].seconds += time.perf_counter() - t0
            fixed += GEOMETRY_FIXES[0] > misfits
            assert sum(p.units for p in parcels) == int(qty.sum())
            _bill(tallies[name], parcels, ct, band, factor)
        if (k + 1) % 1000 == 0:
            print(f"  {k + 1} orders", flush=True)
    n = book.n
    print("\n| policy | packaging / order | shipping / order | total / order | cartons / "
          "order | billable / actual kg | ms / order |\n|---|---:|---:|---:|---:|---:|---:|")
    for name, t in tallies.items():
        print(f"| {name} | {t.packaging / n:.3f} | {t.shipping / n:.3f} | "
              f"{(t.packaging + t.shipping) / n:.3f} | {t.cartons / n:.3f} | "
              f"{t.billable_kg / t.actual_kg:.3f} | {1000 * t.seconds / n:.2f} |")
    print(f"\nvolume rule: {fixed} of {n} orders ({100 * fixed / n:.1f} %)"
          " did not fit the carton their volume picked and went up a size (or split)")
    print(f"optimiser cache: {packer.hits} hits, {packer.misses} misses "
          f"({100 * packer.hit_rate:.1f} % of orders)")


def throughput(days: int) -> None:
    """Simulated orders per second of the scenario with and without its cartons."""
    sc = with_changes(load_scenario(bundled_scenario(SCENARIO)),
                      {"run.horizon_days": days, "run.warmup_days": min(1, days - 1)})
    plain = with_changes(sc, {"nodes[0].packaging": None})
    for name, s in (("without cartons", plain), ("with cartons", sc)):
        t0 = time.perf_counter()
        res = run(s)
        el = time.perf_counter() - t0
        n = len(res.tables["orders"])
        extra = ""
        if "parcels" in res.tables:
            p = res.tables["parcels"].drop_duplicates("shipment")
            extra = (f", packings from the cache {100 * (p['method'] == 'cached').mean():.1f} %"
                     f" of {len(p)} shipments; by method {p['method'].value_counts().to_dict()}")
        print(f"{name}: {n} orders in {el:.1f} s = {n / el:,.0f} orders/s{extra}", flush=True)


def main() -> None:
    """Parse the options and run the comparison or the throughput measurement."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=2, help="days of orders (3,000 a day)")
    ap.add_argument("--band", type=int, default=2, help="distance band billed (0-4)")
    ap.add_argument("--sample", type=int, default=500,
                    help="orders that choose the one-size carton")
    ap.add_argument("--one-size-share", type=float, default=0.95,
                    help="one size: the smallest carton holding this share of orders alone")
    ap.add_argument("--throughput", action="store_true",
                    help="simulated orders/s with and without cartons instead")
    args = ap.parse_args()
    if args.throughput:
        throughput(args.days)
    else:
        compare(args.days, args.band, args.sample, args.one_size_share)


if __name__ == "__main__":
    main()
