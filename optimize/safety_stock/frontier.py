"""Inventory investment against fill rate for a SKU set, and the ABC split that sets targets."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimize.safety_stock.single_node import order_up_to_levels
from optimize.safety_stock.validation import ArrayChecks

__all__ = ["abc_classes", "efficiency_frontier"]


def efficiency_frontier(demand_mean, demand_sd, lead_time_mean, lead_time_sd, review_period,
                        unit_cost, fill_rates=(0.90, 0.95, 0.98, 0.99, 0.995),
                        distribution: str = "normal") -> pd.DataFrame:
    """Per fill-rate target: safety-stock and average on-hand investment (currency) of the set.

    Columns: fill_rate, safety_stock_value, on_hand_value, achieved_fill_rate (demand-weighted).
    """
    cost = np.asarray(unit_cost, float)
    mu = np.asarray(demand_mean, float)
    rows = []
    for beta in fill_rates:
        lv = order_up_to_levels(demand_mean, demand_sd, lead_time_mean, lead_time_sd,
                                review_period, beta, "fill_rate", distribution)
        weight = np.broadcast_to(mu, lv.achieved_service.shape)
        rows.append({
            "fill_rate": float(beta),
            "safety_stock_value": float(np.sum(lv.safety_stock * cost)),
            "on_hand_value": float(np.sum(lv.expected_on_hand * cost)),
            "achieved_fill_rate": float(np.sum(lv.achieved_service * weight)
                                        / max(float(np.sum(weight)), 1e-12)),
        })
    return pd.DataFrame(rows)


def abc_classes(annual_value, cuts: tuple[float, float] = (0.8, 0.95)) -> np.ndarray:
    """'A', 'B' or 'C' per SKU: A covers the top `cuts[0]` of value, B up to `cuts[1]`.

    SKUs are ranked by value (currency per year); a SKU's class is set by the cumulative share
    of value before it, so the largest SKU is always A.
    """
    v = np.asarray(annual_value, float)
    checks = ArrayChecks()
    checks.require("annual_value", v, lambda a: a >= 0, "must be >= 0")
    if not 0 < cuts[0] < cuts[1] <= 1:
        checks.add("cuts", "must satisfy 0 < A cut < B cut <= 1", cuts)
    checks.raise_if_any()
    order = np.argsort(-v, kind="stable")
    total = v.sum()
    before = np.concatenate([[0.0], np.cumsum(v[order])[:-1]]) / (total if total > 0 else 1.0)
    cls = np.where(before < cuts[0], "A", np.where(before < cuts[1], "B", "C"))
    out = np.empty(v.size, dtype="<U1")
    out[order] = cls
    return out
