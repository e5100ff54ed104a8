"""A synthetic client history from a known scenario: the order lines (with returns) and the
SKU master a client would export, for round-trip checks of calibration and for examples."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.client_data.export import export_order_lines
from sim.demand import build_catalogue, day_zero, generate_orders
from sim.scenario import Scenario
from sim.streams import Streams, draw

__all__ = ["CLIENT_COLUMNS", "example_truth", "synthetic_history"]

# How the bundled example export names its columns (a client's names, not ours).
CLIENT_COLUMNS = {"order_id": "OrderNumber", "created_at": "OrderDate", "sku": "ItemCode",
                  "quantity": "Qty", "lat": "ShipLat", "lon": "ShipLon", "service": "Service",
                  "returned_quantity": "ReturnedQty", "returned_at": "ReturnDate"}


def example_truth(orders_per_day: float = 120.0, days: int = 365) -> Scenario:
    """The known scenario behind the bundled example export: the France template with a
    year of demand from Monday 2025-01-06, 15 % growth a year, Black Friday x4 and Cyber
    Monday x3 (one day each)."""
    from datetime import date

    from sim.api import with_changes
    from sim.calibrate.rate import black_friday
    from sim.coverage import template_scenario

    start = date(2025, 1, 6)
    bf = (black_friday(2025) - start).days
    base = Scenario.model_validate(template_scenario("fr"))
    return with_changes(base, {
        "name": "example-client-truth", "run.horizon_days": days, "run.warmup_days": 0,
        "run.start_date": start, "run.seed": 11, "demand.orders_per_day": orders_per_day,
        "demand.trend_per_year": 0.15,
        "demand.spikes": [
            {"name": "black_friday", "start_day": bf, "duration_days": 1, "multiplier": 4.0},
            {"name": "cyber_monday", "start_day": bf + 3, "duration_days": 1,
             "multiplier": 3.0}],
    })


def synthetic_history(scenario: Scenario, replication: int = 0
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(order lines, SKU master) of the scenario's whole horizon, drawn by its generator.
    A line is returned whole with its category's return rate; it comes back after 1-4 days
    of delivery, the scenario's returns delay and its return transit."""
    from sim.geography_source import demand_points_for

    streams = Streams(scenario.run.seed, replication)
    catalogue = build_catalogue(scenario, streams)
    points = demand_points_for(scenario.geography)
    orders = generate_orders(scenario, catalogue, points["weight"].to_numpy(), streams)
    lines = export_order_lines(
        orders, catalogue.ids, points["lat"].to_numpy(), points["lon"].to_numpy(),
        tuple(s.name for s in scenario.demand.service_levels),
        day_zero(scenario.run.start_date, scenario.run.start_weekday))
    lines["order_id"] = lines["order_id"].map("SO-{:07d}".format)
    lines["sku"] = lines["sku"].astype(str)
    lines["service"] = lines["service"].astype(str)
    rng = streams["synthetic.returns"]
    sku = pd.Index(catalogue.ids).get_indexer(lines["sku"])
    returned = rng.random(len(lines)) < catalogue.return_rate[sku]
    days = (rng.integers(1, 5, len(lines)) + draw(rng, scenario.returns.delay_days, len(lines))
            + scenario.returns.transit_days)
    lines["returned_quantity"] = np.where(returned, lines["quantity"], 0)
    lines["returned_at"] = (lines["created_at"] + pd.to_timedelta(days, unit="D")).where(
        returned).dt.floor("s")
    lines["created_at"] = lines["created_at"].dt.floor("s")  # what exports keep
    side_cm = np.round(np.cbrt(catalogue.cube_m3) * 100.0, 2)  # a cube with the SKU's volume
    master = pd.DataFrame({
        "sku": catalogue.ids, "weight_kg": np.round(catalogue.weight_kg, 3),
        "length_cm": side_cm, "width_cm": side_cm, "height_cm": side_cm,
        "unit_cost": np.round(catalogue.unit_value, 2),
        "category": np.asarray(catalogue.category_names, object)[catalogue.category],
    })
    return lines, master
