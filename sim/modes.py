"""One scenario, several ways to fulfil it: the variants `fulfil compare` runs side by side.

Every variant keeps the scenario's demand, SKUs, seed and carriers, so runs of the same
replication see the same orders (common random numbers) and differ only in fulfilment.
"""

from __future__ import annotations

import copy
import math

from optimize.errors import FieldProblem, InvalidInput
from sim.fulfilment_modes import MODE_RULES, rule_for
from sim.scenario import SUPPLIER_REGIONS, Location, Scenario

__all__ = ["MODES", "dropship_site", "scenario_for_mode"]

MODES = ("in_house", "3pl", "dropship", "marketplace", "hybrid")


def _node_load_per_day(scenario: Scenario) -> float:
    return scenario.demand.orders_per_day / max(
        1, sum(rule_for(n).stocks for n in scenario.nodes))


def scenario_for_mode(scenario: Scenario, mode: str) -> Scenario:
    """A validated copy of `scenario` fulfilled entirely in `mode` (see MODES)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    data = scenario.model_dump(mode="python")
    alt = scenario.alternatives
    nodes = data["nodes"]
    data["name"] = f"{scenario.name}-{mode}"
    capacity = math.ceil(alt.three_pl_capacity_factor * _node_load_per_day(scenario))
    stocking = [n for n in nodes if MODE_RULES[n["mode"]["kind"]].stocks]
    for node in stocking:
        node.update(mode={"kind": "in_house"}, assortment="all")
    if mode == "dropship":
        data["nodes"] = [_supplier_node(scenario)]
        data["disruptions"] = [d for d in data["disruptions"] if d.get("node") is None]
        data["inventory"]["order_up_to"] = data["inventory"]["reorder_point"] = None
    elif mode == "3pl":
        for node in stocking:
            node.update(mode={"kind": "3pl", "capacity_orders_per_day": capacity})
    elif mode == "marketplace":
        for node in stocking:
            # The marketplace's network ships every day; its floor works like the template's
            # (same waves and carts: releasing order by order would cancel the batching).
            # It packs with its own materials: the merchant's carton catalogue goes.
            node.update(mode={"kind": "marketplace", **alt.marketplace.model_dump()},
                        pickup_days=list(range(7)), packaging=None)
    elif mode == "hybrid" and alt.hybrid_rule == "fast_movers_in_house":
        for node in stocking:
            node["assortment"] = "fast_movers"
        nodes.append(_supplier_node(scenario))
        data["routing"] = {"policy": "assortment_split"}
    elif mode == "hybrid":  # overflow_to_3pl: a 3PL beside each node takes what it cannot
        for node in list(stocking):
            twin = copy.deepcopy(node)
            twin.update(id=f"{node['id']}_3pl", stock_multiplier=0.6,
                        mode={"kind": "3pl", "capacity_orders_per_day": capacity})
            node["stock_multiplier"] = 1.6  # co-located nodes split the sized demand
            nodes.append(twin)
        data["routing"] = {"policy": "overflow",
                           "threshold_open_shipments": math.ceil(_node_load_per_day(scenario))}
    return Scenario.model_validate(data)


def dropship_site(scenario: Scenario) -> tuple[Location, str]:
    """Where the dropship alternative's supplier ships from, and how to say it; an error naming
    `alternatives.dropship_supplier` when the scenario gives none (never node 0's site)."""
    where = scenario.alternatives.dropship_supplier
    if where is None:
        raise InvalidInput(FieldProblem(
            "alternatives.dropship_supplier",
            "the dropship alternative's supplier site is required ({lat, lon} or one of the "
            f"regions {', '.join(SUPPLIER_REGIONS)}; it is never taken from node "
            f"{scenario.nodes[0].id!r})", None))
    if isinstance(where, str):
        r = SUPPLIER_REGIONS[where]
        return (Location(lat=r.lat, lon=r.lon),
                f"region {where} ({r.city}, {r.lat:g}, {r.lon:g}"
                + (f", +{r.extra_transit_days} days line haul)" if r.extra_transit_days else ")"))
    return where, f"({where.lat:g}, {where.lon:g})"


def _supplier_node(scenario: Scenario) -> dict:
    alt = scenario.alternatives
    dropship_site(scenario)  # the error naming the field when none is given
    where = alt.dropship_supplier
    site = {"region": where} if isinstance(where, str) else {"location": where.model_dump()}
    stock = None if alt.dropship_stock is None else alt.dropship_stock.model_dump()
    return {"id": "dropship_supplier",
            "mode": {"kind": "dropship", **site, "stock": stock,
                     "processing_days": alt.dropship_processing_days.model_dump()},
            "cutoff_h": alt.dropship_cutoff_h, "pickup_h": alt.dropship_pickup_h}
