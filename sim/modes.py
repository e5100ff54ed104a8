"""One scenario, several ways to fulfil it: the variants `fulfil compare` runs side by side.

Every variant keeps the scenario's demand, SKUs, seed and carriers, so runs of the same
replication see the same orders (common random numbers) and differ only in fulfilment.
"""

from __future__ import annotations

import math

from sim.scenario import Scenario

__all__ = ["MODES", "scenario_for_mode"]

MODES = ("in_house", "3pl", "dropship")


def _node_load_per_day(scenario: Scenario) -> float:
    return scenario.demand.orders_per_day / max(
        1, sum(n.mode != "dropship" for n in scenario.nodes))


def scenario_for_mode(scenario: Scenario, mode: str) -> Scenario:
    """A validated copy of `scenario` fulfilled entirely in `mode` (see MODES)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    data = scenario.model_dump(mode="python")
    alt = scenario.alternatives
    nodes = data["nodes"]
    data["name"] = f"{scenario.name}-{mode}"
    if mode == "dropship":
        first = nodes[0]
        where = alt.dropship_supplier or scenario.nodes[0].location
        data["nodes"] = [{
            "id": "dropship_supplier", "location": where.model_dump(), "mode": "dropship",
            "dropship": {"processing_days": alt.dropship_processing_days.model_dump()},
            "cutoff_h": first["cutoff_h"], "pickup_h": first["pickup_h"],
            "pickup_days": first["pickup_days"],
        }]
        data["disruptions"] = [d for d in data["disruptions"] if d.get("node") is None]
        data["inventory"]["order_up_to"] = data["inventory"]["reorder_point"] = None
        return Scenario.model_validate(data)
    capacity = math.ceil(alt.three_pl_capacity_factor * _node_load_per_day(scenario))
    for node in nodes:
        if node["mode"] == "dropship":
            continue
        node["mode"] = mode
        node["sla"] = {"capacity_orders_per_day": capacity} if mode == "3pl" else None
    return Scenario.model_validate(data)
